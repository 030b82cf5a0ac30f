"""Fixtures for the feed tests: the feed server, an HTTP session, a reader with test-sized limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.feeds.policy import FeedPolicy
from bot.feeds.reader import FeedReader
from bot.net import make_session
from tests.feedserver.server import FeedServer

USER_AGENT = "CohortBot/test (+https://example.org/contact)"


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    yield server
    await server.stop()


@pytest.fixture
def policy() -> FeedPolicy:
    """Real limits, except a short timeout so the trickling server test stays fast."""
    return FeedPolicy(user_agent=USER_AGENT, allow_private=True, timeout_seconds=1.5)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with make_session(user_agent=USER_AGENT, allow_private=True) as session:
        yield session


@pytest.fixture
def reader(http: aiohttp.ClientSession, policy: FeedPolicy, clock: FakeClock) -> FeedReader:
    return FeedReader(http, policy, clock)
