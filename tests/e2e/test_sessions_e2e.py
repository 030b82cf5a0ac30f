"""Study sessions end to end: the real bot against the Discord stand-in."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from bot.clock import FakeClock
from bot.core import CohortBot
from bot.sessions import deliveries, rsvp, store
from bot.sessions.model import RsvpStatus
from cogs.sessions import Sessions
from tests.conftest import BotRunner
from tests.e2e.helpers import wait_for
from tests.standin import SentMessage, StandIn


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock set to the real now: Discord (and the stand-in) refuse events in the real past."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def bot(bot_runner: BotRunner, clock: FakeClock, standin: StandIn) -> CohortBot:
    return await start(bot_runner, clock)


async def start(bot_runner: BotRunner, clock: FakeClock) -> CohortBot:
    started = await bot_runner.start(clock=clock)
    await asyncio.wait_for(cog(started).jobs_ready.wait(), 5)
    return started


def cog(bot: CohortBot) -> Sessions:
    """The loaded cog (discord.py imports extensions afresh, so it is not this module's class object)."""
    found: Any = bot.get_cog("Sessions")
    assert found is not None
    return found  # type: ignore[no-any-return]


async def delivery_outcome(bot: CohortBot, session_id: int, kind: str) -> Any:
    """The delivery row once it has an outcome (the bot records it just after Discord answers)."""
    async def settled() -> Any:
        return next((d for d in await deliveries.history(bot.db, session_id)
                     if d.kind == kind and d.outcome is not None), None)

    for _ in range(100):
        found = await settled()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"delivery {kind} of session {session_id} never got an outcome")


async def use_announcements(standin: StandIn) -> None:
    reply = await standin.slash("config channel", user=standin.admin,
                                options={"kind": "announcements", "channel": standin.announcements})
    assert reply.ephemeral


async def schedule(standin: StandIn, *, user: Any = None, **options: Any) -> SentMessage:
    """Schedule through the command; returns the card."""
    fields = {"topic": "mlops", "title": "Paper club", "when": "in 3 days"} | options
    reply = await standin.slash("session schedule", user=user or standin.admin, **fields)
    assert reply.ephemeral and "Scheduled" in reply.text, reply.text
    session_id = int(re.search(r"\(#(\d+)\)", reply.text).group(1))  # type: ignore[union-attr]
    return next(m for m in standin.world.messages.values() if f"sessions:going:{session_id}" in m.component_ids)


def button(card: SentMessage, answer: str) -> dict[str, Any]:
    return next(c for row in card.components for c in row["components"] if c["custom_id"].startswith(
        f"sessions:{answer}:"))


def session_id_of(card: SentMessage) -> int:
    return int(button(card, "going")["custom_id"].rsplit(":", 1)[1])


def pinged(standin: StandIn, message: SentMessage) -> tuple[set[int], set[int]]:
    """Who a message may ping (user ids, role ids), from the allowed_mentions the bot sent with it."""
    [request] = [r for r in standin.requests_to("POST", "/channels/*/messages")
                 if r.response and r.response.get("id") == str(message.id)]
    allowed = request.json.get("allowed_mentions") or {}
    assert "users" not in allowed.get("parse", []) and "roles" not in allowed.get("parse", [])
    assert "everyone" not in allowed.get("parse", [])
    return {int(u) for u in allowed.get("users", [])}, {int(r) for r in allowed.get("roles", [])}


# Scheduling ---------------------------------------------------------------------------------------
async def test_an_organiser_schedules_and_the_card_is_posted(standin: StandIn, bot: CohortBot,
                                                             clock: FakeClock) -> None:
    await use_announcements(standin)
    reply = await standin.slash("session schedule", user=standin.admin, topic="mlops", title="Paper club",
                                when="2026-12-24 18:00" if clock.now() < datetime(2026, 12, 1, tzinfo=UTC)
                                else "in 10 days", duration="90m", capacity=5, voice_channel=standin.voice)
    session = (await store.list_upcoming(bot.db, clock, standin.guild_id))[0]
    assert reply.ephemeral and f"<t:{int(session.starts_at.timestamp())}:F>" in reply.text
    [card] = standin.messages_in(standin.announcements)
    [embed] = card.embeds
    assert embed["title"] == "Paper club"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Topic"] == "MLOps" and fields["Host"] == f"<@{standin.admin.id}>"
    assert fields["Starts"] == f"<t:{int(session.starts_at.timestamp())}:F>\n<t:{int(session.starts_at.timestamp())}:R>"
    assert fields["Duration"] == "1h 30m" and fields["Places"] == "0/5 going"
    assert fields["Voice"] == f"<#{standin.voice.id}>"
    assert fields["Going (0)"] == "nobody" and fields["Maybe (0)"] == "nobody"
    assert embed["footer"]["text"] == f"Session #{session.id}"
    assert [button(card, a)["label"] for a in ("going", "maybe", "no")] == ["Going (0)", "Maybe (0)", "Can't (0)"]
    assert session.message_id == card.id and session.duration == timedelta(minutes=90)
    standin.assert_clean()


async def test_a_member_without_manage_events_cannot_schedule(standin: StandIn, bot: CohortBot,
                                                              clock: FakeClock) -> None:
    reply = await standin.slash("session schedule", user=standin.alice, topic="mlops", title="Mine",
                                when="in 3 days")
    assert reply.ephemeral and "Only organisers" in reply.text and "Manage Events" in reply.text
    assert await store.count_upcoming(bot.db, clock, standin.guild_id) == 0


async def test_the_organiser_role_may_schedule(standin: StandIn, bot: CohortBot) -> None:
    role = await standin.add_role("Organisers")
    await standin.slash("config organizer-role", user=standin.admin, role=role)
    await standin.give_roles(standin.alice, role)
    await asyncio.sleep(0.1)
    card = await schedule(standin, user=standin.alice, title="Alice's club")
    assert card.embeds[0]["title"] == "Alice's club"


@pytest.mark.parametrize(("when", "timezone", "expected"), [
    ("yesterday 10am", None, "in the past"),
    ("in 400 days", None, "more than a year ahead"),
    ("whenever you like", None, "could not read"),
    ("tomorrow 18:00", "Mars/Olympus", "not a timezone I know"),
])
async def test_bad_times_are_refused_clearly(standin: StandIn, bot: CohortBot, clock: FakeClock, when: str,
                                             timezone: str | None, expected: str) -> None:
    options = {"timezone": timezone} if timezone else {}
    reply = await standin.slash("session schedule", user=standin.admin, topic="mlops", title="X", when=when,
                                **options)
    assert reply.ephemeral and expected in reply.text
    assert await store.count_upcoming(bot.db, clock, standin.guild_id) == 0


async def test_when_is_read_in_the_organisers_timezone(standin: StandIn, bot: CohortBot, clock: FakeClock) -> None:
    await standin.slash("timezone set", user=standin.admin, tz="Asia/Kolkata")
    await schedule(standin, when="tomorrow 18:30")
    [session] = await store.list_upcoming(bot.db, clock, standin.guild_id)
    assert session.timezone == "Asia/Kolkata"
    assert session.starts_at.astimezone(UTC).strftime("%H:%M") == "13:00"


# Answers ---------------------------------------------------------------------------------------------
async def test_buttons_update_counts_live_and_keep_working_after_a_restart(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    card = await schedule(standin)
    reply = await standin.click(card, button(card, "going")["custom_id"], user=standin.alice)
    assert button(standin.message(card.id), "going")["label"] == "Going (1)"
    followup = await wait_for(lambda: reply.followups)
    assert "You are going" in followup[0].text and followup[0].ephemeral
    await bot_runner.restart(bot, clock=clock)
    await standin.click(card, button(card, "maybe")["custom_id"], user=standin.bob)
    live = standin.message(card.id)
    assert button(live, "maybe")["label"] == "Maybe (1)" and button(live, "going")["label"] == "Going (1)"
    standin.assert_clean()


def card_fields(standin: StandIn, card: SentMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in standin.message(card.id).embeds[0]["fields"]}


async def test_the_card_lists_who_is_going_and_who_might_come_without_pinging(
        standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin)
    await standin.click(card, button(card, "going")["custom_id"], user=standin.alice)
    await standin.click(card, button(card, "going")["custom_id"], user=standin.bob)
    await standin.click(card, button(card, "maybe")["custom_id"], user=standin.carol)
    fields = card_fields(standin, card)
    assert fields["Going (2)"] == f"<@{standin.alice.id}>, <@{standin.bob.id}>"
    assert fields["Maybe (1)"] == f"<@{standin.carol.id}>"
    await standin.click(card, button(card, "no")["custom_id"], user=standin.bob)  # a changed answer leaves the list
    fields = card_fields(standin, card)
    assert fields["Going (1)"] == f"<@{standin.alice.id}>" and fields["Maybe (1)"] == f"<@{standin.carol.id}>"
    assert standin.message(card.id).embeds[0]["footer"]["text"] == f"Session #{session_id_of(card)}"
    for request in standin.requests:  # the card's mentions name members; no message ever pinged one
        body = request.json if isinstance(request.json, dict) else {}
        body = body["data"] if isinstance(body.get("data"), dict) else body
        if "embeds" in body:
            allowed = body.get("allowed_mentions") or {}
            assert allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles"), body
    standin.assert_clean()


async def test_a_long_going_list_is_cut_to_fit_with_how_many_more(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin)
    session = await store.get_session(bot.db, standin.guild_id, session_id_of(card))
    crowd = [10**17 + n for n in range(80)]  # 80 mentions of 21 characters do not fit in a field's 1024
    for user_id in crowd:
        await rsvp.answer(bot.db, bot.clock, session, user_id, RsvpStatus.GOING)
    await standin.click(card, button(card, "going")["custom_id"], user=standin.alice)
    going = card_fields(standin, card)["Going (81)"]
    shown = re.findall(r"<@(\d+)>", going)
    more = re.fullmatch(r".*, <@\d+> … \+(\d+) more", going)
    assert more is not None and len(going) <= 1024, going
    assert [int(u) for u in shown] == crowd[:len(shown)] and len(shown) + int(more[1]) == 81
    standin.assert_clean()


async def test_a_full_session_offers_the_waitlist_and_a_freed_place_promotes(
        standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, capacity=1)
    session_id = session_id_of(card)
    await standin.click(card, f"sessions:going:{session_id}", user=standin.alice)
    refused = await standin.click(card, f"sessions:going:{session_id}", user=standin.bob)
    assert refused.ephemeral and "full" in refused.text
    assert f"sessions:waitlist:{session_id}" in refused.component_ids
    joined = await standin.click(refused, f"sessions:waitlist:{session_id}", user=standin.bob)
    assert "number 1 in line" in joined.text
    assert "1/1 going · 1 waiting" in standin.message(card.id).text
    reply = await standin.slash("session rsvp", user=standin.alice, id=session_id, status="no")
    assert reply.ephemeral and "can't come" in reply.text
    told = await wait_for(lambda: [m for m in standin.messages_in(card.channel_id) if "place freed up" in m.text])
    assert f"<@{standin.bob.id}>" in told[0].content
    assert pinged(standin, told[0]) == ({standin.bob.id}, set())
    await wait_for(lambda: "1/1 going" in standin.message(card.id).text
                   and "waiting" not in standin.message(card.id).text)


async def test_rsvp_command_show_and_list(standin: StandIn, bot: CohortBot) -> None:
    for day in range(9):
        await schedule(standin, title=f"Session {day}", when=f"in {day + 2} days")
    first = min(await store.list_upcoming(bot.db, bot.clock, standin.guild_id), key=lambda s: s.starts_at)
    reply = await standin.slash("session rsvp", user=standin.alice, id=first.id, status="going")
    assert "You are going" in reply.text
    shown = await standin.slash("session show", user=standin.bob, id=first.id)
    assert shown.ephemeral and "Going (1)" in shown.text and f"<@{standin.alice.id}>" in shown.text
    listed = await standin.slash("session list", user=standin.bob)
    assert "Session 0" in listed.text and "Session 8" not in listed.text and "Page 1/2" in listed.text
    next_page = await standin.click(listed, "sessions:next:.0:0", user=standin.bob)
    assert "Session 8" in next_page.text and "Page 2/2" in next_page.text
    mine = await standin.slash("session list", user=standin.alice, mine=True)
    assert mine.ephemeral and "Session 0" in mine.text and "Session 1" not in mine.text
    missing = await standin.slash("session show", user=standin.bob, id=999)
    assert missing.ephemeral and "no session #999" in missing.text
    standin.assert_clean()


async def test_cant_button_and_the_topic_role_ping(standin: StandIn, bot: CohortBot) -> None:
    role = await standin.add_role("MLOps learners", mentionable=True)
    await standin.slash("topic edit", user=standin.admin, topic="mlops", role=role)
    card = await schedule(standin, ping=True)
    session = await store.get_session(bot.db, standin.guild_id, session_id_of(card))
    assert card.content == (f"<@&{role.id}> New study session: **Paper club** "
                            f"<t:{int(session.starts_at.timestamp())}:R>")
    assert pinged(standin, card) == (set(), {role.id})
    quiet = await schedule(standin, title="No ping")
    assert quiet.content == "" and pinged(standin, quiet) == (set(), set())
    await standin.click(card, button(card, "no")["custom_id"], user=standin.carol)
    assert button(standin.message(card.id), "no")["label"] == "Can't (1)"


async def test_list_filters_by_topic(standin: StandIn, bot: CohortBot) -> None:
    await schedule(standin, title="Ops night")
    await schedule(standin, topic="ml-in-browsers", title="WebGPU night")
    listed = await standin.slash("session list", user=standin.alice, topic="ml-in-browsers")
    assert "WebGPU night" in listed.text and "Ops night" not in listed.text and "ML in browsers" in listed.text


# Editing and cancelling -----------------------------------------------------------------------------------
async def test_edit_tells_those_going_and_keeps_the_card_and_event_in_step(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, native_event=True, voice_channel=standin.voice)
    session_id = session_id_of(card)
    await standin.slash("session rsvp", user=standin.alice, id=session_id, status="going")
    await standin.slash("session rsvp", user=standin.bob, id=session_id, status="maybe")
    reply = await standin.slash("session edit", user=standin.admin, id=session_id, title="Paper club II",
                                duration="2h")
    assert reply.ephemeral and "Title: Paper club → Paper club II" in reply.text and "1 member going" in reply.text
    assert standin.message(card.id).embeds[0]["title"] == "Paper club II"
    [notice] = [m for m in standin.messages_in(card.channel_id) if "changed" in m.text]
    assert pinged(standin, notice) == ({standin.alice.id}, set())
    [event] = standin.guild.scheduled_events.values()
    assert event["name"] == "Paper club II"
    session = await store.get_session(bot.db, standin.guild_id, session_id)
    assert event["scheduled_end_time"].startswith(session.ends_at.strftime("%Y-%m-%dT%H:%M"))
    refused = await standin.slash("session edit", user=standin.alice, id=session_id, title="Hijack")
    assert refused.ephemeral and "Only organisers" in refused.text
    standin.assert_clean()


async def test_cancel_tells_going_and_maybe_and_disables_the_buttons(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, native_event=True, voice_channel=standin.voice)
    session_id = session_id_of(card)
    await standin.slash("session rsvp", user=standin.alice, id=session_id, status="going")
    await standin.slash("session rsvp", user=standin.bob, id=session_id, status="maybe")
    await standin.slash("session rsvp", user=standin.carol, id=session_id, status="no")
    reply = await standin.slash("session cancel", user=standin.admin, id=session_id, reason="Speaker is ill")
    assert reply.ephemeral and "2 members who answered were told" in reply.text
    live = standin.message(card.id)
    assert live.embeds[0]["title"].startswith("Cancelled:") and "Speaker is ill" in live.text
    assert all(button(live, a).get("disabled") for a in ("going", "maybe", "no"))
    [notice] = [m for m in standin.messages_in(card.channel_id) if "is cancelled" in m.text]
    assert pinged(standin, notice) == ({standin.alice.id, standin.bob.id}, set())
    [event] = standin.guild.scheduled_events.values()
    assert event["status"] == 4  # cancelled
    assert [r.json for r in standin.requests_to("PATCH", "/guilds/*/scheduled-events/*")] == [{"status": 4}]
    assert await deliveries.next_pending(bot.db, session_id) is None
    assert cog(bot).jobs.armed_job(session_id) is None
    standin.assert_clean()


async def test_cancelling_one_occurrence_or_the_whole_series(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, repeat="weekly")
    first_id = session_id_of(card)
    await standin.slash("session cancel", user=standin.admin, id=first_id)
    # The next occurrence is created at once, and its card is posted by its job.
    second_card = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                               if m.id != card.id and m.embeds
                                               and m.embeds[0]["title"] == "Paper club"), None))
    second_id = session_id_of(second_card)
    assert second_id != first_id
    reply = await standin.slash("session cancel", user=standin.admin, id=second_id, series=True)
    assert "1 session of the series" in reply.text
    assert await store.count_upcoming(bot.db, bot.clock, standin.guild_id) == 0
    await asyncio.sleep(0.2)
    assert len([m for m in standin.messages_in(card.channel_id) if m.embeds and "Paper club" in m.embeds[0]["title"]
                and "Cancelled" not in m.embeds[0]["title"]]) == 0


async def test_a_native_event_is_created(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, native_event=True, voice_channel=standin.voice, description="Chapter 3")
    [event] = standin.guild.scheduled_events.values()
    session = await store.get_session(bot.db, standin.guild_id, session_id_of(card))
    assert event["name"] == "Paper club" and event["entity_type"] == 2
    assert event["channel_id"] == str(standin.voice.id) and event["description"] == "Chapter 3"
    assert int(event["id"]) == session.native_event_id
    text_only = await schedule(standin, native_event=True, title="Text club")
    assert len(standin.guild.scheduled_events) == 2
    external = next(e for e in standin.guild.scheduled_events.values() if e["name"] == "Text club")
    assert external["entity_type"] == 3 and external["entity_metadata"]["location"].startswith("#")
    assert text_only.id != card.id
    standin.assert_clean()


# Calendar ---------------------------------------------------------------------------------------------
async def test_the_calendar_attachment_parses_back(standin: StandIn, bot: CohortBot) -> None:
    await standin.slash("timezone set", user=standin.admin, tz="Europe/Berlin")
    await schedule(standin, title="One-off", when="in 5 days")
    await schedule(standin, title="Weekly", when="in 2 days", repeat="weekly")
    await schedule(standin, topic="ml-in-browsers", title="Other topic", when="in 4 days")
    reply = await standin.slash("session calendar", user=standin.alice, topic="mlops")
    assert reply.ephemeral and "2 upcoming sessions" in reply.text
    [attachment] = reply.attachments
    assert attachment.filename == "sessions-mlops.ics"
    calendar = Calendar.from_ical(attachment.data)
    found = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(found) == {"One-off", "Weekly"}
    assert found["Weekly"]["RRULE"]["FREQ"] == ["WEEKLY"] and "RRULE" not in found["One-off"]
    assert found["One-off"]["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(found["One-off"]["UID"]).startswith("session-")
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


# Reminders ---------------------------------------------------------------------------------------------
async def test_a_reminder_is_posted_by_the_scheduler_pinging_only_those_going(
        standin: StandIn, bot: CohortBot) -> None:
    reply = await standin.slash("config reminders", user=standin.admin, offsets="1m")
    assert "1m" in reply.text
    card = await schedule(standin, when="in 61 seconds", voice_channel=standin.voice)
    session_id = session_id_of(card)
    await standin.slash("session rsvp", user=standin.alice, id=session_id, status="going")
    await standin.slash("session rsvp", user=standin.bob, id=session_id, status="maybe")
    reminder = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                            if "Reminder" in m.text), None))
    assert f"<#{standin.voice.id}>" in reminder.content and "Paper club" in reminder.content
    assert f"<@{standin.alice.id}>" in reminder.content and f"<@{standin.bob.id}>" not in reminder.content
    assert pinged(standin, reminder) == ({standin.alice.id}, set())
    # The message reaches Discord before the bot marks it sent: wait for the mark.
    sent = await delivery_outcome(bot, session_id, "remind-1m")
    assert sent.outcome == "sent" and sent.claimed_at is not None
    assert cog(bot).jobs.armed_job(session_id) == f"session:{session_id}:start"


async def test_dm_reminders_fall_back_to_the_channel_when_dms_are_closed(
        standin: StandIn, bot: CohortBot, caplog: pytest.LogCaptureFixture) -> None:
    await standin.slash("config reminders", user=standin.admin, offsets="1m")
    for member in (standin.alice, standin.bob):
        reply = await standin.slash("session remind", user=member, dm=True)
        assert "by DM" in reply.text
    standin.set_dms_open(standin.bob, False)
    card = await schedule(standin, when="in 61 seconds")
    session_id = session_id_of(card)
    for member in (standin.alice, standin.bob, standin.carol):
        await standin.slash("session rsvp", user=member, id=session_id, status="going")
    with caplog.at_level(logging.INFO, logger="bot.sessions"):
        reminder = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                                if "Reminder" in m.text), None))
    assert pinged(standin, reminder) == ({standin.bob.id, standin.carol.id}, set())
    [dm] = standin.dms_to(standin.alice)
    assert "Reminder" in dm.text and "Paper club" in dm.text
    assert any("closed DMs" in r.getMessage() and r.levelno < logging.ERROR for r in caplog.records)
    assert (await delivery_outcome(bot, session_id, "remind-1m")).outcome == "sent"


async def test_after_downtime_a_recent_reminder_is_sent_once_and_an_old_one_skipped(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await standin.slash("config reminders", user=standin.admin, offsets="1h,15m")
    card = await schedule(standin, when="in 2 hours")
    session_id = session_id_of(card)
    await bot_runner.stop(bot)
    clock.advance(timedelta(hours=1, minutes=50))  # the 1 h reminder is 50 min late, the 15 min one 5 min late
    bot = await start(bot_runner, clock)
    reminder = await wait_for(lambda: [m for m in standin.messages_in(card.channel_id) if "Reminder" in m.text])
    await asyncio.sleep(0.3)
    assert len([m for m in standin.messages_in(card.channel_id) if "Reminder" in m.text]) == 1
    assert "15m notice" in reminder[0].text
    outcomes = {d.kind: d.outcome for d in await deliveries.history(bot.db, session_id)}
    assert outcomes["remind-60m"] == "late" and outcomes["remind-15m"] == "sent"


async def test_starting_now_links_the_voice_channel_and_the_series_goes_on(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    card = await schedule(standin, when="in 3 hours", repeat="weekly", voice_channel=standin.voice,
                          native_event=True)
    session_id = session_id_of(card)
    await standin.slash("session rsvp", user=standin.alice, id=session_id, status="going")
    await bot_runner.stop(bot)
    clock.advance(timedelta(hours=3, seconds=30))
    bot = await start(bot_runner, clock)
    notice = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                          if "starting now" in m.text), None))
    assert f"Join <#{standin.voice.id}>" in notice.content
    assert pinged(standin, notice) == ({standin.alice.id}, set())
    session = await store.get_session(bot.db, standin.guild_id, session_id)
    [_, second] = await store.series_occurrences(bot.db, session.series_id or 0)
    assert second.starts_at == session.starts_at + timedelta(weeks=1)
    second_card = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                               if f"sessions:going:{second.id}" in m.component_ids), None))
    assert "Weekly" in second_card.text
    await wait_for(lambda: len(standin.guild.scheduled_events) == 2)


# Attendance -----------------------------------------------------------------------------------------------
async def test_attendance_is_taken_from_voice_and_recapped(standin: StandIn, bot: CohortBot,
                                                           bot_runner: BotRunner, clock: FakeClock) -> None:
    await standin.slash("config attendance", user=standin.admin, minutes=15)
    card = await schedule(standin, when="in 1 hour", duration="1h", voice_channel=standin.voice)
    session = await store.get_session(bot.db, standin.guild_id, session_id_of(card))
    early = await standin.slash("session attendance", user=standin.alice, id=session.id)
    assert "has not started" in early.text
    clock.set(session.starts_at + timedelta(minutes=1))
    await standin.voice(standin.alice, standin.voice)
    await standin.voice(standin.bob, standin.voice)
    await asyncio.sleep(0.2)
    clock.advance(timedelta(minutes=10))
    await standin.voice(standin.bob, None)
    await asyncio.sleep(0.2)
    bot = await bot_runner.restart(bot, clock=clock)  # Alice is still in voice: nothing is lost
    await cog(bot).jobs_ready.wait()
    clock.advance(timedelta(minutes=20))
    live = await standin.slash("session attendance", user=standin.carol, id=session.id)
    assert "So far" in live.text and f"<@{standin.alice.id}> · 30m" in live.text
    assert f"<@{standin.bob.id}> · 10m" in live.text and "Under 15 min (1)" in live.text
    await bot_runner.stop(bot)
    clock.set(session.ends_at + timedelta(minutes=1))
    bot = await start(bot_runner, clock)
    recap = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                         if m.embeds and m.embeds[0]["title"].startswith("Recap")), None))
    fields = {f["name"]: f["value"] for f in recap.embeds[0]["fields"]}
    assert fields["Attended"] == "1" and f"<@{standin.alice.id}>" in fields["Who came"]
    assert f"<@{standin.bob.id}>" not in fields["Who came"] and "1h" in fields["Session"]
    assert standin.message(card.id).embeds[0]["title"].startswith("Ended:")
    counted = await bot.db.fetchval("SELECT SUM(sessions_attended) FROM participation_daily WHERE user_id = ?",
                                    (standin.alice.id,))
    assert counted == 1
    final = await standin.slash("session attendance", user=standin.carol, id=session.id)
    assert "Final" in final.text and f"<@{standin.alice.id}>" in final.text


# Timezones and settings ------------------------------------------------------------------------------------
async def test_timezone_autocomplete_set_and_show(standin: StandIn, bot: CohortBot) -> None:
    choices = await standin.autocomplete("timezone set", focused="tz", user=standin.alice, tz="berl")
    assert choices[0]["value"] == "Europe/Berlin"
    before = await standin.slash("timezone show", user=standin.alice)
    assert "have not set" in before.text and "UTC" in before.text
    await standin.slash("timezone set", user=standin.alice, tz="europe/berlin")
    after = await standin.slash("timezone show", user=standin.alice)
    assert "**Europe/Berlin**" in after.text
    refused = await standin.slash("timezone set", user=standin.alice, tz="Atlantis/Capital")
    assert refused.ephemeral and "not a timezone I know" in refused.text


async def test_session_autocomplete_offers_upcoming_sessions(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, title="Transformers deep dive")
    choices = await standin.autocomplete("session show", focused="id", user=standin.alice, id="transf")
    assert [c["value"] for c in choices] == [session_id_of(card)]


async def test_config_reminders_and_attendance_need_manage_server(standin: StandIn, bot: CohortBot) -> None:
    refused = await standin.slash("config reminders", user=standin.alice, offsets="1m")
    assert refused.ephemeral and "Manage Server" in refused.text
    bad = await standin.slash("config reminders", user=standin.admin, offsets="soon")
    assert bad.ephemeral and "could not read" in bad.text
    ok = await standin.slash("config reminders", user=standin.admin, offsets="2h, 10m", maybe=True)
    assert "**2h and 10m** before" in ok.text and "going and maybe" in ok.text
    shown = await standin.slash("config attendance", user=standin.admin, minutes=5)
    assert "5 min" in shown.text
    settings_text = (await standin.slash("config show", user=standin.admin)).text.replace("\\_", "_")
    assert "**Session reminders go out before the start**: 2h and 10m" in settings_text
    assert "**Minutes in voice that count as attending**: 5" in settings_text


async def test_new_offsets_replan_the_jobs_of_upcoming_sessions(standin: StandIn, bot: CohortBot) -> None:
    card = await schedule(standin, when="in 3 days")
    session_id = session_id_of(card)
    assert cog(bot).jobs.armed_job(session_id) == f"session:{session_id}:remind-1440m"
    await standin.slash("config reminders", user=standin.admin, offsets="2h")
    await wait_for(lambda: cog(bot).jobs.armed_job(session_id) == f"session:{session_id}:remind-120m")


# The native event through a session's life ----------------------------------------------------------------
EVENTS = "/guilds/*/scheduled-events/{}"


async def jump_to(bot: CohortBot, clock: FakeClock, moment: datetime) -> None:
    """Move the fake clock and re-derive the jobs from the database, as a restart would (the
    scheduler waits in real time: a job armed before the jump would still wait the old delay)."""
    clock.set(moment)
    await cog(bot).jobs.rebuild()


def status_patches(standin: StandIn, event_id: int) -> list[tuple[dict[str, Any], int | None]]:
    """Every PATCH the bot sent to the event: (body, HTTP status of the answer)."""
    return [(r.json, r.status) for r in standin.requests_to("PATCH", EVENTS.format(event_id))]


async def event_status(standin: StandIn, event_id: int, wanted: int) -> None:
    await wait_for(lambda: standin.guild.scheduled_events[event_id]["status"] == wanted)


async def soon_with_event(standin: StandIn, bot: CohortBot, **options: Any) -> Any:
    """A five-minute session with a Discord event, starting in 61 seconds; Alice is going."""
    card = await schedule(standin, when="in 61 seconds", duration="5m", native_event=True, **options)
    await standin.slash("session rsvp", user=standin.alice, id=session_id_of(card), status="going")
    session = await store.get_session(bot.db, standin.guild_id, session_id_of(card))
    assert session.native_event_id is not None
    assert standin.guild.scheduled_events[session.native_event_id]["status"] == 1  # scheduled
    return card, session


@pytest.mark.parametrize("in_voice", [True, False])
async def test_the_event_goes_live_at_the_start_and_completes_at_the_end(
        standin: StandIn, bot: CohortBot, clock: FakeClock, in_voice: bool) -> None:
    card, session = await soon_with_event(standin, bot, **({"voice_channel": standin.voice} if in_voice else {}))
    event_id = session.native_event_id
    await jump_to(bot, clock, session.starts_at - timedelta(seconds=1))
    await wait_for(lambda: any("starting now" in m.text for m in standin.messages_in(card.channel_id)))
    await event_status(standin, event_id, 2)  # active
    assert status_patches(standin, event_id) == [({"status": 2}, 200)]
    await jump_to(bot, clock, session.ends_at - timedelta(seconds=1))
    recap = await wait_for(lambda: next((m for m in standin.messages_in(card.channel_id)
                                         if m.embeds and m.embeds[0]["title"].startswith("Recap")), None))
    await event_status(standin, event_id, 3)  # completed
    assert status_patches(standin, event_id) == [({"status": 2}, 200), ({"status": 3}, 200)]
    fields = {f["name"]: f["value"] for f in recap.embeds[0]["fields"]}
    if in_voice:
        assert fields["Attended"] == "0" and "Going" not in fields
    else:
        assert "Attendance is taken only in a voice channel" in recap.embeds[0]["description"]
        assert fields["Going"] == "1" and fields["Said they were going"] == f"<@{standin.alice.id}>"
    assert (await store.get_session(bot.db, standin.guild_id, session.id)).native_event_id == event_id
    standin.assert_clean()


async def test_an_event_still_scheduled_at_the_end_goes_live_then_completes(
        standin: StandIn, bot: CohortBot, clock: FakeClock) -> None:
    """Down through the whole session: the late start must not announce an event live after the end;
    the end moves it the only way Discord allows, through live to completed."""
    _, session = await soon_with_event(standin, bot, voice_channel=standin.voice)
    event_id = session.native_event_id
    await jump_to(bot, clock, session.ends_at + timedelta(seconds=1))
    await event_status(standin, event_id, 3)
    assert status_patches(standin, event_id) == [({"status": 2}, 200), ({"status": 3}, 200)]
    standin.assert_clean()


async def test_an_event_moved_in_discord_is_not_moved_again(standin: StandIn, bot: CohortBot,
                                                            clock: FakeClock) -> None:
    """Discord starts external events itself (and people start them by hand): the bot only ends it."""
    card, session = await soon_with_event(standin, bot, voice_channel=standin.voice)
    event_id = session.native_event_id
    event = standin.guild.scheduled_events[event_id]
    event["status"] = 2
    await standin.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
    await wait_for(lambda: (found := bot.get_guild(standin.guild_id).get_scheduled_event(event_id))  # type: ignore[union-attr]
                   is not None and found.status.value == 2)
    await jump_to(bot, clock, session.starts_at - timedelta(seconds=1))
    await wait_for(lambda: any("starting now" in m.text for m in standin.messages_in(card.channel_id)))
    await jump_to(bot, clock, session.ends_at - timedelta(seconds=1))
    await event_status(standin, event_id, 3)
    assert status_patches(standin, event_id) == [({"status": 3}, 200)]
    standin.assert_clean()


@pytest.mark.parametrize("bot_heard", [True, False])
async def test_an_event_deleted_in_discord_is_forgotten_quietly(
        standin: StandIn, bot: CohortBot, clock: FakeClock, caplog: pytest.LogCaptureFixture,
        bot_heard: bool) -> None:
    """Someone deleted the event in Discord: the session goes on, the bot logs it (not as an error) and
    forgets the event. ``bot_heard``: the deletion reached the bot (it asks Discord, GET → 404 10070);
    else its cache is stale and the PATCH itself is answered 404 10070."""
    card, session = await soon_with_event(standin, bot, voice_channel=standin.voice)
    event_id = session.native_event_id
    event = standin.guild.scheduled_events.pop(event_id)
    if bot_heard:
        await standin.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)
        await wait_for(lambda: bot.get_guild(standin.guild_id).get_scheduled_event(event_id) is None)  # type: ignore[union-attr]
    with caplog.at_level(logging.INFO, logger="bot.sessions"):
        await jump_to(bot, clock, session.starts_at - timedelta(seconds=1))
        await wait_for(lambda: any("starting now" in m.text for m in standin.messages_in(card.channel_id)))
        await wait_for(lambda: any("deleted in Discord" in r.getMessage() for r in caplog.records))
    assert (await store.get_session(bot.db, standin.guild_id, session.id)).native_event_id is None
    asked = standin.requests_to("GET" if bot_heard else "PATCH", EVENTS.format(event_id))
    assert [r.status for r in asked] == [404] and asked[0].response["code"] == 10070  # type: ignore[index]
    assert all(r.levelno < logging.ERROR for r in caplog.records if r.name.startswith("bot"))
    before = len(standin.requests_to(None, EVENTS.format(event_id)))
    await jump_to(bot, clock, session.ends_at - timedelta(seconds=1))
    await wait_for(lambda: any(m.embeds and m.embeds[0]["title"].startswith("Recap")
                               for m in standin.messages_in(card.channel_id)))
    assert (await delivery_outcome(bot, session.id, "recap")).outcome == "sent"
    assert len(standin.requests_to(None, EVENTS.format(event_id))) == before  # forgotten: not asked again
    standin.assert_clean()
