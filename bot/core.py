"""The bot itself: a ``commands.Bot`` that is handed its dependencies and wires the features."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pkgutil
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

import cogs
from bot import topics
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database, migrate
from bot.guilds import GuildSeeding
from bot.jobs import JobExecutor
from bot.logs import quiet_cancelled_jobs
from bot.participation import ParticipationRecorder
from bot.tree import CohortTree
from bot.ui.paging import PageButton, PageRenderer
from bot.web.context import ServerInfo
from bot.web.server import WebServer

log = logging.getLogger(__name__)
PARTICIPATION_FLUSH_SECONDS = 5
JOB_SHUTDOWN_SECONDS = 5.0  # how long running jobs get to finish when the bot stops
# Gateway events whose payload is the guild itself (its id under "id"); the rest carry "guild_id".
GUILD_OBJECT_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


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
        self.seeding = GuildSeeding(db, clock, {"topics": self._seed_topics})
        self.guild_seeders = self.seeding.seeders  # features register theirs from cog_load
        self.guilds_seeded = asyncio.Event()  # set at on_ready, once every guild in READY is seeded
        self._guilds_listed = asyncio.Event()  # READY came: its guilds are being seeded
        self.jobs = JobExecutor(before_each=self._before_job)
        self.scheduler = AsyncIOScheduler(timezone="UTC", executors={"default": self.jobs})
        self.participation = ParticipationRecorder(db, clock)
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
        self._seed_before_handling()
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

    async def ensure_guild(self, guild_id: int) -> None:
        """Wait until the guild is seeded (seeding it now if it is new)."""
        await self.seeding.ensure(guild_id)

    def _seed_before_handling(self) -> None:
        """Hold every gateway event for a guild, interactions included, until the guild is seeded.

        Seeding starts for each guild listed in READY and at each GUILD_CREATE (a join), long before
        discord.py's on_ready (which waits ``guild_ready_timeout`` after the last GUILD_CREATE), and
        events that arrive meanwhile are handled in order once it is done. Afterwards the check is one
        set lookup per event.
        """
        parsers = self._connection.parsers
        for event, parse in list(parsers.items()):
            parsers[event] = self._after_guild_seeded(event, parse)

    def _after_guild_seeded(self, event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        key = "id" if event in GUILD_OBJECT_EVENTS else "guild_id"
        seeding = self.seeding

        def parse_when_seeded(data: Any) -> None:
            raw = data.get(key) if isinstance(data, dict) else None
            if raw is None:
                parse(data)
                if event == "READY":
                    for guild in data.get("guilds", ()):
                        seeding.start(int(guild["id"]))
                    self._guilds_listed.set()
                return
            guild_id = int(raw)
            if event == "GUILD_DELETE" and not seeding.is_seeded(guild_id) and not seeding.holds(guild_id):
                parse(data)  # an outage or a leave before anything else came: nothing to seed it for
                return
            seeding.after_seeding(guild_id, parse, data)

        return parse_when_seeded

    async def _before_job(self) -> None:
        """A scheduled job runs only once the guilds it may concern are seeded."""
        await self._guilds_listed.wait()
        await self.seeding.settled()

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
            # No new jobs; running ones get a bounded time to finish, then are cancelled (a cancelled
            # delivery keeps its claim for the next start). Only then may the database close.
            self.scheduler.pause()
            await self.jobs.drain(JOB_SHUTDOWN_SECONDS)
            self.scheduler.shutdown(wait=False)
        with contextlib.suppress(TimeoutError):  # a seeding in progress finishes before the database closes
            await asyncio.wait_for(self.seeding.settled(), JOB_SHUTDOWN_SECONDS)
        try:
            await self.participation.flush()
        except Exception:
            log.exception("could not write the last participation counts")
        await super().close()
