"""The bot itself: a ``commands.Bot`` that is handed its dependencies and wires the features."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from datetime import datetime
from typing import Any

import aiohttp
import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

import cogs
from bot import guilds, topics
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database, migrate
from bot.guilds import GuildSeeder
from bot.logs import quiet_cancelled_jobs
from bot.participation import ParticipationRecorder
from bot.tree import CohortTree
from bot.ui.paging import PageButton, PageRenderer
from bot.web.context import ServerInfo
from bot.web.server import WebServer

log = logging.getLogger(__name__)
PARTICIPATION_FLUSH_SECONDS = 5


def build_intents(settings: Settings) -> discord.Intents:
    """Only what the features use. Members and message content are privileged (see the README)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True  # the gate: joins, roles, inactivity review
    intents.guild_messages = True  # participation counts
    intents.message_content = settings.message_content_intent  # only the newcomer anti-spam reads it
    intents.voice_states = True  # study-session attendance
    intents.guild_scheduled_events = True  # native events kept in step
    return intents


def point_discord_py_at(settings: Settings) -> None:
    """Send REST and Gateway traffic to the configured endpoints (a proxy, or the test stand-in).

    discord.py keeps these as class attributes, so they are set here, once, before login.
    """
    discord.http.Route.BASE = settings.api_url or "https://discord.com/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url or "wss://gateway.discord.gg/")


def extension_names() -> list[str]:
    """Every module in ``cogs/`` that is an extension (private helpers start with ``_``)."""
    return sorted(f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_"))


class CohortBot(commands.Bot):
    """Cohort. Receives settings, database, HTTP session and clock; holds no global state."""

    def __init__(self, *, settings: Settings, db: Database, http_session: aiohttp.ClientSession,
                 clock: Clock, sync_commands: bool = True, **client_options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=build_intents(settings),
            tree_cls=CohortTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            chunk_guilds_at_startup=True,
            **client_options,
        )
        point_discord_py_at(settings)
        self.settings = settings
        self.db = db
        self.http_session = http_session
        self.clock = clock
        self.started_at: datetime = clock.now()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.participation = ParticipationRecorder(db, clock)
        self.guild_seeders: dict[str, GuildSeeder] = {"topics": self._seed_topics}
        self.guilds_seeded = asyncio.Event()
        self.pagers: dict[str, PageRenderer] = {}
        self._sync_on_start = sync_commands
        self._closing = False
        self.web = WebServer(settings, clock, servers=self._server_info)

    # Start-up ----------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        applied = await migrate(self.db)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        quiet_cancelled_jobs()
        self.scheduler.start()
        self.scheduler.add_job(self.participation.flush, "interval", seconds=PARTICIPATION_FLUSH_SECONDS,
                               id="participation:flush", coalesce=True, max_instances=1)
        self.add_dynamic_items(PageButton)
        for name in extension_names():
            await self.load_extension(name)
        if self._sync_on_start:
            await self.sync_commands()
        await self.web.start()

    async def sync_commands(self) -> int:
        """Sync to the configured guild (instant) or globally."""
        if self.settings.guild_id:
            guild = discord.Object(self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d commands %s", len(synced),
                 f"to guild {self.settings.guild_id}" if self.settings.guild_id else "globally")
        return len(synced)

    async def on_connect(self) -> None:
        # After READY discord.py resumes at Discord's resume_gateway_url; behind a proxy (or the
        # stand-in) the configured gateway must stay the one used, so put it back.
        if self.settings.gateway_url and self.ws is not None:
            self.ws.gateway = yarl.URL(self.settings.gateway_url)

    async def on_ready(self) -> None:
        for guild in self.guilds:
            await self.ensure_guild(guild.id)
        self.guilds_seeded.set()
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.ensure_guild(guild.id)

    async def ensure_guild(self, guild_id: int) -> None:
        await guilds.ensure_guild(self.db, self.clock, guild_id, self.guild_seeders)

    async def _seed_topics(self, guild_id: int) -> None:
        await topics.seed_topics(self.db, self.clock, guild_id)

    def _server_info(self, guild_id: int) -> ServerInfo | None:
        """A server's name and description for the web pages, from the gateway cache."""
        guild = self.get_guild(guild_id)
        return None if guild is None else ServerInfo(guild.name, guild.description or "")

    # Shutdown ----------------------------------------------------------------------------
    async def close(self) -> None:
        if self._closing:
            return await super().close()
        self._closing = True
        await self.web.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        try:
            await self.participation.flush()
        except Exception:
            log.exception("could not write the last participation counts")
        await super().close()
