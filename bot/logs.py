"""Logging in discord.py's style, one line per event, with the token scrubbed from every record."""

from __future__ import annotations

import asyncio
import logging

import discord


class RedactToken(logging.Filter):
    """Replace the token wherever it might appear in a log line (defence in depth)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self._token and self._token in record.getMessage():
            record.msg = record.getMessage().replace(self._token, "[token]")
            record.args = None
        return True


def setup_logging(level: str, token: str) -> None:
    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, getattr(logging, level)))


class CancelledJobsAreNotErrors(logging.Filter):
    """APScheduler logs a job cancelled at shutdown as a failure; it is the expected way to stop."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = f"{record.msg} (cancelled: the bot is stopping)"
            record.exc_info = record.exc_text = None
        return True


def quiet_cancelled_jobs() -> None:
    """Install :class:`CancelledJobsAreNotErrors` on APScheduler's executor logger, once."""
    logger = logging.getLogger("apscheduler.executors.default")
    if not any(isinstance(f, CancelledJobsAreNotErrors) for f in logger.filters):
        logger.addFilter(CancelledJobsAreNotErrors())
