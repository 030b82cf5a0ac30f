"""Shared fixtures: a real migrated SQLite file, a fake clock, and the real bot against the stand-in."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock, FakeClock
from bot.config import Settings
from bot.core import CohortBot
from bot.db import Database, migrate
from bot.runner import open_bot

pytest_plugins = ["tests.standin.fixtures", "tests.feedserver.fixtures"]

REPO = Path(__file__).resolve().parents[1]

READY_TIMEOUT = 10


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    """A running APScheduler on the test's loop, for the features' job classes."""
    running = AsyncIOScheduler(timezone="UTC")
    running.start()
    yield running
    running.shutdown(wait=False)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real SQLite file with the real migrations."""
    database = await Database.open(tmp_path / "cohort.db")
    await migrate(database)
    yield database
    await database.close()


def settings_for(standin: Any, db_path: Path, **overrides: Any) -> Settings:
    base = Settings(
        token=standin.token,
        database_path=db_path,
        api_url=standin.api_url,
        gateway_url=standin.gateway_url,
        allow_private_urls=True,
        log_level="DEBUG",
    )
    return replace(base, **overrides)


class ErrorLogCapture(logging.Handler):
    """Collects error records so a test fails if the bot hit an unhandled exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class BotRunner:
    """Starts real CohortBots against the stand-in and stops them all at teardown."""

    def __init__(self, standin: Any, tmp_path: Path) -> None:
        self.standin = standin
        self.db_path = tmp_path / "cohort.db"
        self._running: list[tuple[CohortBot, asyncio.Task[None], Any]] = []

    async def start(self, *, clock: Clock | None = None, guild_ready_timeout: float = 0.05,
                    wait_until_ready: bool = True, **overrides: Any) -> CohortBot:
        """Start a bot; by default wait until on_ready (discord.py's 2 s guild_ready_timeout is cut short)."""
        settings = settings_for(self.standin, self.db_path, **overrides)
        context = open_bot(settings, clock=clock, guild_ready_timeout=guild_ready_timeout)
        bot = await context.__aenter__()
        task = asyncio.create_task(bot.start(settings.token), name="bot")
        self._running.append((bot, task, context))
        if not wait_until_ready:
            return bot
        waiter = asyncio.create_task(bot.guilds_seeded.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            if task.done():
                task.result()
            raise TimeoutError("the bot did not become ready")
        # Cogs' own on_ready listeners run as separate tasks; let them finish so that a test which
        # stops or restarts the bot right away does not close the database under them.
        listeners = [t for t in asyncio.all_tasks() if t.get_name() == "discord.py: on_ready" and not t.done()]
        if listeners:
            await asyncio.wait(listeners, timeout=READY_TIMEOUT)
        return bot

    async def stop(self, bot: CohortBot) -> None:
        for entry in list(self._running):
            if entry[0] is bot:
                self._running.remove(entry)
                _, task, context = entry
                await bot.close()
                await asyncio.wait_for(task, timeout=5)
                await context.__aexit__(None, None, None)

    async def restart(self, bot: CohortBot, **kwargs: Any) -> CohortBot:
        """Stop ``bot`` and start a new one on the same database, as after a process restart."""
        await self.stop(bot)
        return await self.start(**kwargs)

    async def stop_all(self) -> None:
        for bot, *_ in list(self._running):
            await self.stop(bot)


@pytest.fixture
async def bot_runner(standin: Any, tmp_path: Path) -> AsyncIterator[BotRunner]:
    capture = ErrorLogCapture()
    logging.getLogger().addHandler(capture)
    runner = BotRunner(standin, tmp_path)
    try:
        yield runner
    finally:
        await runner.stop_all()
        logging.getLogger().removeHandler(capture)
    unexpected = [r for r in capture.records if not getattr(r, "expected_in_test", False)]
    if unexpected:
        details = "\n".join(f"{r.name}: {r.getMessage()}" for r in unexpected)
        pytest.fail(f"the bot logged errors:\n{details}")


@pytest.fixture
async def bot(bot_runner: BotRunner) -> CohortBot:
    """The real bot, logged in to the stand-in, guilds seeded."""
    return await bot_runner.start()


StartBot = Callable[..., Awaitable[CohortBot]]


@pytest.fixture
async def spawn(standin: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Start ``python -m bot`` against the stand-in (log in ``bot-N.log``); anything still running is killed at
    the end."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(**extra_env: str) -> asyncio.subprocess.Process:
        env = {**os.environ, **standin.env, "DATABASE_PATH": str(tmp_path / "cohort.db"), "FEED_ALLOW_PRIVATE": "1",
               "LOG_LEVEL": "INFO", **extra_env}
        log = (tmp_path / f"bot-{len(processes)}.log").open("wb")
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=REPO, env=env,
                                                       stdout=log, stderr=log)
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()
