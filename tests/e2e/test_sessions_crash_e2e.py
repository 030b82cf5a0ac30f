"""kill -9 the bot process around a reminder's claim, restart it, and count what was delivered.

The bot runs as a real ``python -m bot`` subprocess against the stand-in. To kill it exactly between
claim and send, the test-only ``COHORT_TEST_PAUSE_AFTER_CLAIM`` makes it wait there; the test waits
for the claim to appear in the database and sends a real SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.db import Database, migrate
from bot.sessions import deliveries, rsvp, settings, store
from bot.sessions.model import RsvpStatus
from tests.conftest import BotRunner
from tests.e2e import crash
from tests.e2e.crash import read_row, wait_for_row
from tests.standin import StandIn


async def prepare(standin: StandIn, db_path: Path) -> int:
    """A session whose one-minute reminder is due about now; Alice is going."""
    db = await Database.open(db_path)
    try:
        await migrate(db)
        clock = SystemClock()
        await settings.set_reminder_offsets(db, standin.guild_id, "1m")
        session = await store.schedule_session(
            db, clock, guild_id=standin.guild_id, host_id=standin.admin.id, topic_id=None, title="Crash course",
            starts_at=clock.now() + timedelta(seconds=62), duration=timedelta(hours=1), zone="UTC",
            channel_id=standin.general.id)
        await rsvp.answer(db, clock, session, standin.alice.id, RsvpStatus.GOING)
        return session.id
    finally:
        await db.close()


def reminder_row(db_path: Path, session_id: int) -> sqlite3.Row | None:
    return read_row(db_path, "SELECT * FROM sessions_deliveries WHERE session_id = ? AND kind = 'remind-1m'",
                    (session_id,))


async def wait_for_reminder(db_path: Path, session_id: int, column: str, process: asyncio.subprocess.Process) -> None:
    await wait_for_row(lambda: reminder_row(db_path, session_id), lambda row: row[column] is not None,
                       f"the reminder was not {column}", process)


async def restart_in_process(bot_runner: BotRunner) -> Any:
    """The bot again, in-process, with the sessions' jobs rebuilt (the shutdown tests use it too)."""
    return await crash.restart_in_process(bot_runner, "Sessions")


def reminders_posted(standin: StandIn) -> list[str]:
    return [m.text for m in standin.messages_in(standin.general) if "Reminder" in m.text]


async def test_kill_9_between_claim_and_send_then_restart_delivers_nothing_twice(
        standin: StandIn, tmp_path: Path, spawn: Any, bot_runner: BotRunner) -> None:
    db_path = tmp_path / "cohort.db"
    session_id = await prepare(standin, db_path)
    process = await spawn(COHORT_TEST_PAUSE_AFTER_CLAIM="60")
    await wait_for_reminder(db_path, session_id, "claimed_at", process)
    os.kill(process.pid, signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL
    row = reminder_row(db_path, session_id)
    assert row is not None and row["claimed_at"] and row["sent_at"] is None
    assert reminders_posted(standin) == []

    bot = await restart_in_process(bot_runner)
    # At most once: the claimed reminder is marked lost, not sent again.
    assert reminders_posted(standin) == []
    outcomes = {d.kind: d.outcome for d in await deliveries.history(bot.db, session_id)}
    assert outcomes["remind-1m"] == "lost"
    assert bot.get_cog("Sessions").jobs.armed_job(session_id) == f"session:{session_id}:start"  # type: ignore[union-attr]


async def test_kill_9_after_sending_then_restart_does_not_send_again(
        standin: StandIn, tmp_path: Path, spawn: Any, bot_runner: BotRunner) -> None:
    db_path = tmp_path / "cohort.db"
    session_id = await prepare(standin, db_path)
    process = await spawn()
    await wait_for_reminder(db_path, session_id, "sent_at", process)
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    [posted] = reminders_posted(standin)
    assert "Crash course" in posted and f"<@{standin.alice.id}>" in posted

    bot = await restart_in_process(bot_runner)
    assert len(reminders_posted(standin)) == 1
    history = {d.kind: d for d in await deliveries.history(bot.db, session_id)}
    assert history["remind-1m"].outcome == "sent"
    assert history["remind-1m"].sent_at is not None and history["remind-1m"].sent_at <= datetime.now(UTC)
