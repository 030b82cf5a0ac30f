"""Logging: the token never shows, and jobs cancelled at shutdown are not reported as failures."""

from __future__ import annotations

import asyncio
import logging

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.logs import RedactToken, quiet_cancelled_jobs


def test_the_token_is_scrubbed_from_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting with %s", ("sekrit.token",), None)
    RedactToken("sekrit.token").filter(record)
    assert record.getMessage() == "connecting with [token]"


async def test_a_job_cancelled_at_shutdown_is_logged_below_error(caplog: pytest.LogCaptureFixture) -> None:
    quiet_cancelled_jobs()
    started = asyncio.Event()

    async def long_job() -> None:
        started.set()
        await asyncio.sleep(60)

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    scheduler.add_job(long_job, id="long")
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        await asyncio.wait_for(started.wait(), 5)
        scheduler.shutdown(wait=False)
        for _ in range(50):
            if any("the bot is stopping" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
    cancelled = [r for r in caplog.records if "cancelled: the bot is stopping" in r.getMessage()]
    assert cancelled and all(r.levelno == logging.INFO for r in cancelled)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
