"""kill -9 tests' shared steps, around the ``spawn`` fixture (tests/conftest.py) that runs the bot as a
real ``python -m bot`` process against the stand-in: wait for a row of the database to reach a state,
and restart the bot in-process to count what it sends.

``COHORT_TEST_PAUSE_AFTER_CLAIM`` (seconds) holds the bot between a claim and its send, so a test can
send a real SIGKILL exactly there.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import BotRunner

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0


def read_row(db_path: Path, query: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
    """One row, read with plain sqlite3 while the bot process holds the database."""
    with sqlite3.connect(db_path, timeout=5) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(query, params).fetchone()


async def wait_for_row(read: Callable[[], sqlite3.Row | None], ready: Callable[[sqlite3.Row], bool], what: str,
                       process: asyncio.subprocess.Process) -> None:
    """Poll until the row ``read`` returns is ``ready``; fail if the bot exits or it takes too long."""
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        if process.returncode is not None:
            raise AssertionError(f"the bot exited early with code {process.returncode}")
        row = read()
        if row is not None and ready(row):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} within {STARTUP_TIMEOUT}s")


async def restart_in_process(bot_runner: BotRunner, cog_name: str) -> Any:
    """The bot again, in this process, once the feature's jobs are rebuilt, plus time for anything
    wrongly re-armed to fire."""
    bot = await bot_runner.start()
    cog: Any = bot.get_cog(cog_name)
    await asyncio.wait_for(cog.jobs_ready.wait(), 5)
    await asyncio.sleep(0.5)
    return bot
