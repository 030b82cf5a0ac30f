"""What the web handlers are given: the database, the clock, where the site lives, server names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.db import Database
from bot.web.calendars import GuildFeeds
from bot.web.render import environment, webcal


@dataclass(frozen=True)
class ServerInfo:
    name: str
    description: str = ""


ServerDirectory = Callable[[int], ServerInfo | None]


@dataclass(frozen=True)
class Links:
    """Absolute addresses of the pages and feeds, from PUBLIC_URL (what the bot posts, what feeds hold).

    ``base_url`` is a callable: with a test's free port, the address is known only once bound.
    """

    base_url: Callable[[], str]

    @property
    def root(self) -> str:
        """The path PUBLIC_URL adds in front of every page (``/cohort``), usually nothing."""
        return urlsplit(self.base_url()).path.rstrip("/")

    def guild_links(self, slug: str) -> dict[str, str]:
        """Absolute URLs of a server's pages and feeds (for feeds, calendar apps and the bot's messages)."""
        base = f"{self.base_url()}/g/{slug}"
        calendar = f"{base}/calendar.ics"
        return {"home": base, "library": f"{base}/library", "sessions": f"{base}/sessions",
                "calendar": calendar, "webcal": webcal(calendar), "atom": f"{base}/resources.atom"}

    def personal_link(self, token: str) -> str:
        return f"{self.base_url()}/c/{token}.ics"


@dataclass
class WebContext:
    db: Database
    clock: Clock
    links: Links
    servers: ServerDirectory
    templates: jinja2.Environment = field(default_factory=environment)
    feeds: GuildFeeds = field(default_factory=GuildFeeds)

    def server(self, guild_id: int, slug: str) -> ServerInfo:
        return self.servers(guild_id) or ServerInfo(slug.replace("-", " ").title())

    @property
    def root(self) -> str:
        return self.links.root

    def guild_links(self, slug: str) -> dict[str, str]:
        return self.links.guild_links(slug)


CONTEXT: web.AppKey[WebContext] = web.AppKey("cohort_web_context", WebContext)
