"""Waiting in e2e tests for what the bot does a moment later (a gateway event, a job), polled, never slept through."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

POLL = 0.05


async def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """``condition()``'s first truthy result, polled every 50 ms; fails the test after ``timeout`` seconds."""
    for _ in range(int(timeout / POLL)):
        result = condition()
        if result:
            return result
        await asyncio.sleep(POLL)
    raise AssertionError("condition not met in time")


async def wait_until(condition: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
    """The same for a condition that reads the database (a coroutine function)."""
    for _ in range(int(timeout / POLL)):
        result = await condition()
        if result:
            return result
        await asyncio.sleep(POLL)
    raise AssertionError("condition not met in time")
