"""kill -9 the bot around a week card's claim, restart it, and count the cards: never more than one.

As for sessions, with the shared steps of :mod:`tests.e2e.crash`: the bot runs as a real
``python -m bot`` subprocess; ``COHORT_TEST_PAUSE_AFTER_CLAIM`` holds it between claim and send so
the test can send a real SIGKILL exactly there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.db import Database, migrate
from bot.plans import posts, store
from tests.conftest import BotRunner
from tests.e2e.crash import read_row, restart_in_process, wait_for_row
from tests.plans_support import small_doc
from tests.standin import StandIn


async def prepare(standin: StandIn, db_path: Path) -> int:
    """A plan whose week 1 began this minute (UTC): its card is due as soon as the bot runs."""
    db = await Database.open(db_path)
    try:
        await migrate(db)
        clock = SystemClock()
        created = await store.create_plan(db, clock, guild_id=standin.guild_id, doc=small_doc(),
                                          created_by=standin.admin.id, channel_id=standin.general.id)
        now = datetime.now(UTC)
        plan = await store.start_plan(db, clock, created.plan, start=now.strftime("%Y-%m-%d %H:%M"), zone="UTC")
        return plan.id
    finally:
        await db.close()


def card_row(db_path: Path, plan_id: int) -> sqlite3.Row | None:
    return read_row(db_path, "SELECT * FROM plans_posts WHERE plan_id = ? AND key = 'card:1'", (plan_id,))


async def wait_for_status(db_path: Path, plan_id: int, status: str, process: asyncio.subprocess.Process) -> None:
    await wait_for_row(lambda: card_row(db_path, plan_id), lambda row: row["status"] == status,
                       f"the card was not {status}", process)


def cards_posted(standin: StandIn) -> list[Any]:
    return [m for m in standin.messages_in(standin.general) if any(c.startswith("plan:done:") for c in m.component_ids)]


async def test_kill_9_between_claim_and_send_then_restart_posts_no_card(
        standin: StandIn, tmp_path: Path, spawn: Any, bot_runner: BotRunner) -> None:
    db_path = tmp_path / "cohort.db"
    plan_id = await prepare(standin, db_path)
    process = await spawn(COHORT_TEST_PAUSE_AFTER_CLAIM="60")
    await wait_for_status(db_path, plan_id, "claimed", process)
    os.kill(process.pid, signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL
    assert cards_posted(standin) == []

    bot = await restart_in_process(bot_runner, "Plans")
    assert cards_posted(standin) == []  # at most once: the claimed card is marked lost, not posted again
    statuses = {row["key"]: row["status"] for row in await posts.history(bot.db, plan_id)}
    assert statuses["card:1"] == "lost"


async def test_kill_9_after_posting_then_restart_does_not_post_again(
        standin: StandIn, tmp_path: Path, spawn: Any, bot_runner: BotRunner) -> None:
    db_path = tmp_path / "cohort.db"
    plan_id = await prepare(standin, db_path)
    process = await spawn()
    await wait_for_status(db_path, plan_id, "sent", process)
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    assert len(cards_posted(standin)) == 1

    bot = await restart_in_process(bot_runner, "Plans")
    assert len(cards_posted(standin)) == 1
    row = card_row(bot_runner.db_path, plan_id)
    assert row is not None and row["status"] == "sent" and row["thread_id"] is not None
    assert bot.get_cog("Plans").jobs.armed(plan_id)  # type: ignore[union-attr]
