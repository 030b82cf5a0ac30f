"""Any text as a plan's title or in a check-in, through the real bot and the stand-in.

Each text is stored and shown escaped, pinging no one, or refused with an ephemeral message that
says what was wrong; nothing is half-written.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.core import CohortBot
from bot.plans import store
from tests.conftest import BotRunner
from tests.e2e.any_text import UNESCAPED_MARKDOWN, UNESCAPED_MENTION, assert_no_pings, outside_code, texts
from tests.e2e.test_plans_e2e import SLUG, cog, import_and_start, run_jobs_at
from tests.standin import Reply, StandIn

MODAL_FIELD_MAX = 1000
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2027, 1, 1, 12, tzinfo=UTC))


@pytest.fixture
async def bot(bot_runner: BotRunner, clock: FakeClock, standin: StandIn) -> CohortBot:
    started = await bot_runner.start(clock=clock)
    await asyncio.wait_for(cog(started).jobs_ready.wait(), 5)
    return started


def assert_escaped(shown: str, context: object) -> None:
    assert not UNESCAPED_MENTION.search(shown.replace("<@", "<@\u200b")), (context, shown)
    assert not UNESCAPED_MENTION.search(shown), (context, shown)
    assert not UNESCAPED_MARKDOWN.search(outside_code(shown)), (context, shown)


def assert_refused_clearly(reply: Reply, context: object) -> None:
    assert reply.ephemeral and reply.text.strip(), context
    assert "went wrong" not in reply.text, (context, reply.text)


async def test_any_text_as_a_title_is_shown_escaped_or_refused(standin: StandIn, bot: CohortBot) -> None:
    await standin.slash("plan import", user=standin.admin, example=SLUG, options={"channel": standin.general})
    role = await standin.add_role("Pingable", mentionable=True)
    first_request = len(standin.requests)
    outcomes = set()
    for text in texts(standin, role, 6):
        before = (await store.get_plan(bot.db, standin.guild_id, SLUG)).title
        reply = await standin.slash("plan edit", user=standin.admin, plan=SLUG, title=text)
        context = (text, reply.text)
        stored = (await store.get_plan(bot.db, standin.guild_id, SLUG)).title
        if "Updated" in reply.text:
            outcomes.add("stored")
            assert stored == " ".join(CONTROLS.sub("", text).split()), context  # one line
            listed = await standin.slash("plan list", user=standin.alice)
            shown = listed.embeds[0]["description"].split("\n")[0]
            assert shown.startswith("**") and shown.endswith("**"), context
            assert_escaped(shown[2:-2], context)
            assert_escaped(reply.text.removeprefix("Updated **").rsplit("** (`", 1)[0], context)
        else:
            outcomes.add("refused")
            assert_refused_clearly(reply, context)
            assert stored == before, context
    assert outcomes == {"stored", "refused"}
    assert_no_pings(standin, first_request)
    standin.assert_clean()


async def test_any_text_in_a_checkin_is_posted_escaped_or_refused(standin: StandIn, bot: CohortBot,
                                                                 clock: FakeClock) -> None:
    plan = await import_and_start(standin, bot)
    await standin.slash("plan join", user=standin.alice, plan=SLUG)
    await run_jobs_at(bot, clock, plan, store.week_start(plan, 1) + timedelta(minutes=1))  # type: ignore[operator]
    role = await standin.add_role("Pingable", mentionable=True)
    first_request = len(standin.requests)
    outcomes = set()
    for text in texts(standin, role, 6):
        typed = text[:MODAL_FIELD_MAX]
        opened = await standin.slash("plan checkin", user=standin.alice, plan=SLUG)
        assert opened.modal is not None
        saved = await standin.submit_modal(opened.modal.custom_id, {"did": typed, "next": "", "blockers": ""},
                                           user=standin.alice)
        context: Any = (typed, saved.text)
        row = await bot.db.fetchone("SELECT did, message_id FROM plans_checkins WHERE user_id = ?",
                                    (standin.alice.id,))
        if "Checked in" in saved.text:
            outcomes.add("posted")
            assert row is not None and row["did"] == typed.replace("\x00", "").strip(), context
            card = standin.message(row["message_id"])
            [field] = [f for f in card.embeds[0]["fields"] if f["name"] == "Did"]
            assert_escaped(field["value"], context)
        else:
            outcomes.add("refused")
            assert_refused_clearly(saved, context)
    assert outcomes == {"posted", "refused"}
    assert_no_pings(standin, first_request)
