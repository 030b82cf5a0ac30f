"""SIGTERM while a job is delivering: a clean exit, nothing logged as an error, nothing sent twice.

The bot runs as a real ``python -m bot`` subprocess. The stand-in holds back its answer to the
reminder's message POST, so the job is mid-delivery (claimed, message accepted by Discord, not yet
confirmed to the bot) when the process receives SIGTERM. Running jobs get a bounded time (5 s) to
finish: one answered within it completes normally; one that is not is cancelled, keeps its claim, and
the next start marks it lost instead of sending it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from bot.core import JOB_SHUTDOWN_SECONDS
from bot.sessions import deliveries
from tests.conftest import BotRunner
from tests.e2e.test_sessions_crash_e2e import (
    prepare,
    reminder_row,
    reminders_posted,
    restart_in_process,
)
from tests.standin import StandIn
from tests.standin.server import RecordedRequest

EXIT_TIMEOUT = JOB_SHUTDOWN_SECONDS + 15


class HeldReminder:
    """Holds back the stand-in's answer to the bot's reminder message until released."""

    def __init__(self, standin: StandIn) -> None:
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        standin.response_hooks.append(self._hook)

    async def _hook(self, request: RecordedRequest) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        if request.method == "POST" and request.path.endswith("/messages") and "Reminder" in str(body):
            self.arrived.set()
            await self.release.wait()


def log_text(tmp_path: Path) -> str:
    return (tmp_path / "bot-0.log").read_text(encoding="utf-8", errors="replace")


async def sigterm_while_held(standin: StandIn, tmp_path: Path, spawn: Any, held: HeldReminder) -> int:
    process = await spawn()
    await asyncio.wait_for(held.arrived.wait(), 30)
    os.kill(process.pid, signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), EXIT_TIMEOUT)


async def test_sigterm_mid_delivery_cancels_after_the_grace_and_the_next_start_sends_nothing_twice(
        standin: StandIn, tmp_path: Path, spawn: Any, bot_runner: BotRunner) -> None:
    db_path = tmp_path / "cohort.db"
    session_id = await prepare(standin, db_path)
    held = HeldReminder(standin)
    try:
        assert await sigterm_while_held(standin, tmp_path, spawn, held) == 0
    finally:
        held.release.set()
    log = log_text(tmp_path)
    assert "ERROR" not in log and "Traceback" not in log, log
    assert "stopped cleanly" in log
    assert "did not finish within 5 s and were cancelled" in log
    row = reminder_row(db_path, session_id)
    assert row is not None and row["claimed_at"] and row["sent_at"] is None  # left claimed, nothing after
    assert len(reminders_posted(standin)) == 1  # Discord did take it

    bot = await restart_in_process(bot_runner)
    assert len(reminders_posted(standin)) == 1  # not sent again
    outcomes = {d.kind: d.outcome for d in await deliveries.history(bot.db, session_id)}
    assert outcomes["remind-1m"] == "lost"


async def test_sigterm_mid_delivery_lets_the_job_finish_within_the_grace(
        standin: StandIn, tmp_path: Path, spawn: Any, bot_runner: BotRunner) -> None:
    db_path = tmp_path / "cohort.db"
    session_id = await prepare(standin, db_path)
    held = HeldReminder(standin)
    process = await spawn()
    await asyncio.wait_for(held.arrived.wait(), 30)
    os.kill(process.pid, signal.SIGTERM)
    await asyncio.sleep(0.5)  # the bot is stopping now, waiting for the job
    assert process.returncode is None
    held.release.set()
    assert await asyncio.wait_for(process.wait(), EXIT_TIMEOUT) == 0
    log = log_text(tmp_path)
    assert "ERROR" not in log and "Traceback" not in log, log
    row = reminder_row(db_path, session_id)
    assert row is not None and row["sent_at"] is not None and row["outcome"] == "sent"

    bot = await restart_in_process(bot_runner)
    assert len(reminders_posted(standin)) == 1
    assert {d.kind: d.outcome for d in await deliveries.history(bot.db, session_id)}["remind-1m"] == "sent"
