"""Any text in any free-text option of /session and /timezone, through the real bot and the stand-in.

Each text is either stored and shown escaped with no ping, or refused with an ephemeral message
that says what was wrong; nothing is half-written, and the stand-in sees no invalid request.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.core import CohortBot
from bot.guild_config import timezone_names
from bot.sessions import members, store
from bot.sessions.model import Session
from tests.conftest import BotRunner
from tests.e2e.any_text import drawn
from tests.standin import Reply, SentMessage, StandIn


@pytest.fixture
def clock() -> FakeClock:
    """The real now: the stand-in, like Discord, refuses scheduled events in the real past."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def bot(bot_runner: BotRunner, clock: FakeClock, standin: StandIn) -> CohortBot:
    started = await bot_runner.start(clock=clock)
    found: Any = started.get_cog("Sessions")
    assert found is not None
    await asyncio.wait_for(found.jobs_ready.wait(), 5)
    return started



EDGE_CASES = ["", "x", "x" * 6000, "@everyone look", "@here", "<@&{role}>", "<@{user}>", "\u202eevil\u200f",
              "nul\x00byte", "**bold** __under__ `code` ||spoiler|| ~~strike~~", "> quote\n# heading",
              "[click](https://evil.example)", "🚀", "  \n  ", "ﷺ e\u0301", "\\*not bold\\*", "-# small print"]
# Texts a member might type into `when`: leap days, a day that does not exist, dates out of range.
TIME_CASES = ["tomorrow 6pm", "in 2 hours", "next tuesday 18:30", "in 3 days", "2027-02-29 18:00",
              "2028-02-29 18:00", "31 April 18:00", "yesterday 10am", "in 400 days", "9999-12-31 23:00",
              "0001-01-01 00:00 UTC", "in 99999999 hours", "18:00 +14:00", "next year", "`@everyone` 6pm"]
UNTIL_CASES = ["in 3 weeks", "next year", "2027-02-29", "2028-02-29", "9999-12-31", "0001-01-01 00:00 UTC",
               "yesterday", "`@everyone`"]
DURATION_CASES = ["90m", "1h30m", "1.5h", "2 hours and 15 minutes", "0", "-5m", "4m", "13h",
                  "99999999999999999999999h", "1e9m", "٣h"]
ZONE_CASES = ["Europe/Berlin", "europe/berlin", " Asia/Kolkata ", "america/argentina/buenos aires", "Mars/Olympus",
              "../../etc/passwd", "UTC", "Etc/GMT+12", "Pacific/Kiritimati"]
FAR_WEST = "Etc/GMT+12"  # UTC-12
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
UNESCAPED_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,20})")
# A markdown marker after an even number of backslashes (none included) is live, not escaped.
UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)(?:\\\\)*[*_`~|]")
URL = re.compile(r"https?://\S+")  # discord.py leaves links as they are; Discord renders no markdown in them


def texts(standin: StandIn, role_id: int, extra: list[str], drawn_count: int) -> list[str]:
    edges = [e.format(role=role_id, user=standin.bob.id) for e in EDGE_CASES]
    return edges + extra + drawn(ANY_TEXT, drawn_count)


def assert_escaped(shown: str, context: object) -> None:
    outside_links = URL.sub("", shown)
    assert not UNESCAPED_MENTION.search(shown), (context, shown)
    assert not UNESCAPED_MARKDOWN.search(outside_links), (context, shown)


def typed(text: str) -> str:
    """What is stored of a member's text: NULs dropped, surrounding blanks trimmed."""
    return text.replace("\x00", "").strip()


def assert_refused_clearly(reply: Reply, context: object) -> None:
    assert reply.ephemeral and reply.text.strip(), context
    assert "went wrong" not in reply.text, (context, reply.text)


def card_of(standin: StandIn, session: Session) -> SentMessage:
    assert session.message_id is not None
    return standin.message(session.message_id)


def assert_card_escaped(card: SentMessage, context: object) -> None:
    [embed] = card.embeds
    title = re.sub(r"^(Cancelled|Ended): ", "", embed["title"])
    why = next((f["value"] for f in embed.get("fields", []) if f["name"] == "Why"), "")
    for part in (title, embed.get("description") or "", why):
        assert_escaped(part, context)


def assert_pinged_at_most(standin: StandIn, users: set[int]) -> None:
    """Every message the bot sent or edited allowed no mention beyond ``users`` (never a role or @everyone)."""
    for request in standin.requests:
        body = request.json if isinstance(request.json, dict) else {}
        body = body.get("data", body) if isinstance(body.get("data"), dict) else body
        if any(key in body for key in ("content", "embeds")):
            allowed = body.get("allowed_mentions")
            assert allowed is not None and allowed.get("parse") == [], (request.path, allowed)
            assert {int(u) for u in allowed.get("users", [])} <= users, (request.path, allowed)
            assert not allowed.get("roles"), (request.path, allowed)


async def stored_sessions(bot: CohortBot, guild_id: int) -> int:
    return int(await bot.db.fetchval("SELECT COUNT(*) FROM sessions WHERE guild_id = ?", (guild_id,)))


async def newest_session(bot: CohortBot, guild_id: int) -> Session:
    session_id = await bot.db.fetchval("SELECT MAX(id) FROM sessions WHERE guild_id = ?", (guild_id,))
    return await store.get_session(bot.db, guild_id, session_id)


# /session schedule ------------------------------------------------------------------------------
SCHEDULE_OPTIONS = {"title": [], "description": [], "when": TIME_CASES, "until": UNTIL_CASES,
                    "duration": DURATION_CASES, "timezone": ZONE_CASES}


@pytest.mark.parametrize("option", SCHEDULE_OPTIONS)
async def test_any_text_in_a_schedule_option_is_shown_escaped_or_refused(standin: StandIn, bot: CohortBot,
                                                                         option: str) -> None:
    role = await standin.add_role("Pingable", mentionable=True)
    outcomes: set[str] = set()
    for text in texts(standin, role.id, SCHEDULE_OPTIONS[option], 5):
        fields: dict[str, Any] = {"topic": "mlops", "title": "Text club", "when": "in 3 days", option: text}
        if option == "until":
            fields["repeat"] = "weekly"
        if option in ("when", "until"):
            fields["timezone"] = FAR_WEST  # year 9999 read here is past the end of datetime in UTC
        before = await stored_sessions(bot, standin.guild_id)
        reply = await standin.slash("session schedule", user=standin.admin, **fields)
        context = (option, text, reply.text)
        assert reply.ephemeral, context
        if "Scheduled" not in reply.text:
            outcomes.add("refused")
            assert_refused_clearly(reply, context)
            assert await stored_sessions(bot, standin.guild_id) == before, context  # nothing half-written
            continue
        outcomes.add("scheduled")
        assert await stored_sessions(bot, standin.guild_id) == before + 1, context
        session = await newest_session(bot, standin.guild_id)
        assert f"<t:{int(session.starts_at.timestamp())}:F>" in reply.text, context
        if option in ("title", "description"):
            assert getattr(session, option) == typed(text), context
        echoed = re.match(r"Scheduled \*\*(.*?)\*\* \(#\d+\) for <t:", reply.text, re.DOTALL)
        assert echoed is not None, context
        assert_escaped(echoed[1], context)
        assert_card_escaped(card_of(standin, session), context)
    assert outcomes == {"refused", "scheduled"}  # both outcomes happened, so both were checked
    listed = await standin.slash("session list", user=standin.bob)
    for field in listed.embeds[0]["fields"]:
        assert_escaped(field["name"], "list")
        assert re.match(r"#\d+ · ", field["name"]), field["name"]  # the number shows without a backslash
    assert_pinged_at_most(standin, set())
    standin.assert_clean()


# /session edit and /session cancel ---------------------------------------------------------------
EDIT_OPTIONS = {"title": [], "description": [], "when": TIME_CASES, "duration": DURATION_CASES,
                "timezone": ZONE_CASES}


async def schedule(standin: StandIn, bot: CohortBot, title: str) -> Session:
    reply = await standin.slash("session schedule", user=standin.admin, topic="mlops", title=title,
                                when="in 5 days", timezone=FAR_WEST)
    assert "Scheduled" in reply.text, reply.text
    return await newest_session(bot, standin.guild_id)


@pytest.mark.parametrize("option", EDIT_OPTIONS)
async def test_any_text_in_an_edit_option_is_shown_escaped_or_refused(standin: StandIn, bot: CohortBot,
                                                                      option: str) -> None:
    role = await standin.add_role("Pingable", mentionable=True)
    session = await schedule(standin, bot, "Editable")
    outcomes: set[str] = set()
    for text in texts(standin, role.id, EDIT_OPTIONS[option], 4):
        # A timezone alone changes nothing; it is given with a start to read in it.
        fields = {option: text} if option != "timezone" else {"timezone": text, "when": "in 4 days 18:00"}
        before = await store.get_session(bot.db, standin.guild_id, session.id)
        reply = await standin.slash("session edit", user=standin.admin, id=session.id, **fields)
        context = (option, text, reply.text)
        after = await store.get_session(bot.db, standin.guild_id, session.id)
        assert reply.ephemeral, context
        if not reply.text.startswith("Updated"):
            outcomes.add("refused")
            assert_refused_clearly(reply, context)
            assert after == before, context
            continue
        outcomes.add("updated")
        if option in ("title", "description"):
            assert getattr(after, option) == typed(text), context
        for line in reply.text.splitlines():
            if line.startswith("• Title: "):
                assert_escaped(line.removeprefix("• Title: "), context)
        assert_card_escaped(card_of(standin, after), context)
    assert outcomes == {"refused", "updated"}
    assert_pinged_at_most(standin, set())
    standin.assert_clean()


async def test_any_cancel_reason_is_shown_escaped_or_refused(standin: StandIn, bot: CohortBot) -> None:
    role = await standin.add_role("Pingable", mentionable=True)
    outcomes: set[str] = set()
    for text in texts(standin, role.id, [], 6):
        target = await schedule(standin, bot, "Cancellable")
        await standin.slash("session rsvp", user=standin.alice, id=target.id, status="going")
        reply = await standin.slash("session cancel", user=standin.admin, id=target.id, reason=text)
        context = (text, reply.text)
        after = await store.get_session(bot.db, standin.guild_id, target.id)
        assert reply.ephemeral, context
        if not reply.text.startswith("Cancelled"):
            outcomes.add("refused")
            assert_refused_clearly(reply, context)
            assert not after.cancelled, context
            continue
        outcomes.add("cancelled")
        assert after.cancelled and (after.cancel_reason or "") == typed(text), context
        assert "1 member who answered was told" in reply.text, context
        assert_card_escaped(card_of(standin, after), context)
        [notice] = [m for m in standin.messages_in(card_of(standin, after).channel_id)
                    if f"session #{target.id}) is cancelled" in m.content]
        told = re.fullmatch(rf"❌ .*? is cancelled\.(?: Reason: (.*))?\n<@{standin.alice.id}>", notice.content,
                            re.DOTALL)
        assert told is not None, (context, notice.content)
        assert (told[1] is None) == (not typed(text)), (context, notice.content)
        assert_escaped(told[1] or "", context)
    assert outcomes == {"refused", "cancelled"}
    assert_pinged_at_most(standin, {standin.alice.id})  # the notice pings exactly who answered
    standin.assert_clean()


# /timezone ----------------------------------------------------------------------------------------
async def test_any_text_as_a_timezone_is_stored_canonical_or_refused(standin: StandIn, bot: CohortBot) -> None:
    known = set(timezone_names())
    outcomes: set[str] = set()
    for text in [*EDGE_CASES, *ZONE_CASES, *drawn(ANY_TEXT, 15)]:
        before = await members.member_timezone(bot.db, standin.guild_id, standin.alice.id)
        reply = await standin.slash("timezone set", user=standin.alice, tz=text)
        stored = await members.member_timezone(bot.db, standin.guild_id, standin.alice.id)
        context = (text, reply.text)
        assert reply.ephemeral, context
        if "is now" in reply.text:
            outcomes.add("set")
            assert stored in known and f"**{stored}**" in reply.text, context
        else:
            outcomes.add("refused")
            assert_refused_clearly(reply, context)
            assert stored == before, context
        choices = await standin.autocomplete("timezone set", focused="tz", user=standin.alice, tz=text)
        assert len(choices) <= 25 and all(c["value"] in known for c in choices), context
    assert outcomes == {"set", "refused"}
    shown = await standin.slash("timezone show", user=standin.alice)
    assert shown.ephemeral and "Your timezone is" in shown.text
    assert_pinged_at_most(standin, set())
    standin.assert_clean()


# topic: and the session picker --------------------------------------------------------------------
async def test_any_text_as_a_topic_or_a_session_search_is_answered_clearly(standin: StandIn,
                                                                           bot: CohortBot) -> None:
    role = await standin.add_role("Pingable", mentionable=True)
    await schedule(standin, bot, "Findable")
    outcomes: set[str] = set()
    for text in texts(standin, role.id, ["mlops", "MLOps", " mlops "], 5):
        before = await stored_sessions(bot, standin.guild_id)
        reply = await standin.slash("session schedule", user=standin.admin, topic=text, title="T", when="in 3 days")
        if "Scheduled" in reply.text:
            outcomes.add("scheduled")
        else:
            outcomes.add("refused")
            assert_refused_clearly(reply, text)
            assert await stored_sessions(bot, standin.guild_id) == before, text
        for command in ("session list", "session calendar"):
            answered = await standin.slash(command, user=standin.bob, topic=text)
            assert "went wrong" not in answered.text, (command, text)
            if answered.ephemeral and not answered.attachments and not answered.embeds:
                assert_refused_clearly(answered, (command, text))
        choices = await standin.autocomplete("session show", focused="id", user=standin.bob, id=text[:20])
        assert len(choices) <= 25 and all(0 < len(c["name"]) <= 100 for c in choices), text
    assert outcomes == {"scheduled", "refused"}
    assert_pinged_at_most(standin, set())
    standin.assert_clean()
