"""The web companion as a component of the bot: started in ``setup_hook``, stopped in ``close``.

It runs in the bot's event loop but reads through its own SQLite connection (its own thread,
``query_only``), and at most a few handlers run at once, so web traffic cannot queue up in front of
the database work of Discord interactions.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.web.access_log import RedactingAccessLogger
from bot.web.app import build_app
from bot.web.context import Links, ServerDirectory, WebContext
from bot.web.guard import RateLimiter

log = logging.getLogger("bot.web")
access_log = logging.getLogger("bot.web.access")


class WebServer:
    """``settings.web_port`` None: off. 0: any free port (tests); :attr:`port` is the bound one."""

    def __init__(self, settings: Settings, clock: Clock, servers: ServerDirectory) -> None:
        self.settings = settings
        self.clock = clock
        self.servers = servers
        self.port: int | None = None
        self._db: Database | None = None
        self._runner: web.AppRunner | None = None
        self.links = Links(self.base_url)

    @property
    def enabled(self) -> bool:
        return self.settings.web_port is not None

    @property
    def running(self) -> bool:
        return self._runner is not None

    def base_url(self) -> str:
        return self.settings.web_base_url(self.port)


    async def start(self) -> None:
        if not self.enabled or self._runner is not None:
            return
        self._db = await Database.open(self.settings.database_path)
        await self._db.execute("PRAGMA query_only = ON")
        context = WebContext(db=self._db, clock=self.clock, links=self.links, servers=self.servers)
        app = build_app(context, limiter=RateLimiter(), trust_proxy=self.settings.web_trust_proxy)
        runner = web.AppRunner(app, handle_signals=False, access_log_class=RedactingAccessLogger,
                               access_log=access_log, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.web_host, self.settings.web_port or 0)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            await self._close_db()
            log.error("web companion: cannot listen on %s:%s (%s); set WEB_PORT to a free port, or 0 to turn "
                      "it off. The bot goes on without it.", self.settings.web_host, self.settings.web_port,
                      error.strerror or error)
            return
        self._runner = runner
        self.port = runner.addresses[0][1]  # the bound port, also when a test asked for any (0)
        log.info("web companion on http://%s:%s (public address %s)", self.settings.web_host, self.port,
                 self.base_url())

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._close_db()

    async def _close_db(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()
