"""The web companion over a real migrated database with the demo community, for HTTP-level tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FakeClock
from bot.db import Database
from bot.demo import seed_demo_community
from bot.web.app import STATIC_DIR, build_app
from bot.web.context import Links, ServerInfo, WebContext
from bot.web.guard import RateLimiter

GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222
CHANNEL = 333_333_333_333_333_333
HOST = 900_000_000_000_000_001
MEMBERS = (900_000_000_000_000_002, 900_000_000_000_000_003, 900_000_000_000_000_004)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SERVERS = {GUILD: ServerInfo("Browser ML Learners", "We learn to run models in the browser."),
           OTHER_GUILD: ServerInfo("Other place")}


class ManualTime:
    """A monotonic clock for the rate limiter that only moves when told to."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@asynccontextmanager
async def web_client(db: Database, clock: FakeClock, *, limiter: RateLimiter | None = None,
                     trust_proxy: bool = False, static_dir: Path = STATIC_DIR,
                     seed: bool = True) -> AsyncIterator[tuple[TestClient, WebContext]]:
    if seed:
        await seed_demo_community(db, clock, GUILD, host_id=HOST, member_ids=MEMBERS, channel_id=CHANNEL)
    holder: dict[str, str] = {}
    context = WebContext(db=db, clock=clock, links=Links(lambda: holder["base"]), servers=SERVERS.get)
    app = build_app(context, limiter=limiter, trust_proxy=trust_proxy, static_dir=static_dir)
    server = TestServer(app, host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    holder["base"] = str(server.make_url("")).rstrip("/")
    try:
        yield client, context
    finally:
        await client.close()
