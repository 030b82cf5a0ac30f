"""What end-to-end tests share about time: a fake clock at the real now, and waiting for the bot.

The bot answers interactions at once but does its scheduled work (rounds, reminders, posts) in the
background; :func:`wait_for` polls the stand-in until that work shows, and :func:`settle` gives it a
moment before a test asserts that something did *not* happen (was not sent twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.clock import FakeClock

POLL_SECONDS = 0.05


def clock_at_real_now() -> FakeClock:
    """A fake clock set to the real now: Discord (and the stand-in) refuse some things in the real past."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """The first truthy value of ``condition()``, polled until ``timeout`` seconds; fails the test otherwise."""
    for _ in range(int(timeout / POLL_SECONDS)):
        result = condition()
        if result:
            return result
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError("condition not met in time")


async def settle(seconds: float = 0.3) -> None:
    """Let background work that might (wrongly) repeat itself run before asserting it did not."""
    await asyncio.sleep(seconds)
