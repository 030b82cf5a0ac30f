"""What end-to-end tests of features with scheduler jobs share: a clock at the real now, starting
the bot until a cog's jobs are built, finding a loaded cog, and waiting for what the bot does next."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot.clock import FakeClock
from bot.core import CohortBot
from tests.conftest import BotRunner


def clock_at_real_now() -> FakeClock:
    """A fake clock set to the real now: Discord (and the stand-in) refuse some times in the real past."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


def loaded_cog(bot: CohortBot, name: str) -> Any:
    """The loaded cog (discord.py imports extensions afresh, so it is not the test module's class object)."""
    found = bot.get_cog(name)
    assert found is not None, f"the {name} cog is not loaded"
    return found


async def start_with_jobs(bot_runner: BotRunner, clock: FakeClock, cog_name: str) -> CohortBot:
    """Start the bot and wait until the named cog has built its scheduler jobs (``jobs_ready``)."""
    started = await bot_runner.start(clock=clock)
    await asyncio.wait_for(loaded_cog(started, cog_name).jobs_ready.wait(), 5)
    return started


async def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``condition`` until it returns something truthy, and return that; fail after ``timeout`` s."""
    for _ in range(int(timeout / 0.05)):
        result = condition()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def wait_until(condition: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
    """The same for a condition that reads the database (a coroutine function)."""
    for _ in range(int(timeout / 0.05)):
        result = await condition()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def settle(seconds: float = 0.3) -> None:
    """Let background work that might (wrongly) repeat itself run before asserting it did not."""
    await asyncio.sleep(seconds)
