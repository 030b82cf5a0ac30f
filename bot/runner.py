"""Running the bot as a process: open dependencies, start, and shut down cleanly on a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import discord

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import CohortBot
from bot.db import Database
from bot.net import make_session

log = logging.getLogger(__name__)

INTENTS_HELP = (
    "Discord refused a privileged intent (close code 4014). In the developer portal open your "
    "application -> Bot -> Privileged Gateway Intents and turn on SERVER MEMBERS INTENT and "
    "MESSAGE CONTENT INTENT (or set MESSAGE_CONTENT_INTENT=0 to run without the newcomer anti-spam)."
)
LOGIN_HELP = (
    "DISCORD_TOKEN: Discord rejected the token. Reset it in the developer portal "
    "(your application -> Bot -> Reset Token) and put the new one in .env."
)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (see bench/interactions.py for what it saves), else
    asyncio's own (None)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop  # type: ignore[no-any-return]


@asynccontextmanager
async def open_bot(settings: Settings, *, clock: Clock | None = None,
                   sync_commands: bool = True, **client_options: Any) -> AsyncIterator[CohortBot]:
    """Open the database and HTTP session, build the bot, and close all three afterwards."""
    db = await Database.open(settings.database_path)
    try:
        async with make_session(user_agent=settings.user_agent,
                                allow_private=settings.allow_private_urls) as http_session:
            bot = CohortBot(settings=settings, db=db, http_session=http_session,
                            clock=clock or SystemClock(), sync_commands=sync_commands, **client_options)
            try:
                yield bot
            finally:
                if not bot.is_closed():
                    await bot.close()
    finally:
        await db.close()


async def run(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    async with open_bot(settings) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _stop, bot, sig)
        try:
            await bot.start(settings.token)
        except discord.PrivilegedIntentsRequired:
            log.error(INTENTS_HELP)
            return 1
        except discord.LoginFailure:
            log.error(LOGIN_HELP)
            return 1
    log.info("stopped cleanly")
    return 0


def _stop(bot: CohortBot, sig: signal.Signals) -> None:
    log.info("received %s, shutting down", sig.name)
    asyncio.get_running_loop().create_task(bot.close())


async def sync_only(settings: Settings) -> int:
    """Log in, sync the command tree (done by ``setup_hook``), and exit.

    The web companion stays off: a one-off command must not serve pages, nor take the port from (or
    fail beside) a bot already running with the same settings."""
    async with open_bot(replace(settings, web_port=None)) as bot:
        try:
            await bot.login(settings.token)
        except discord.LoginFailure:
            log.error(LOGIN_HELP)
            return 1
    return 0
