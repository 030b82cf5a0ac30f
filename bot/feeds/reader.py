"""Reading one feed URL: fetch within the host limits, skip parsing when nothing changed, parse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import aiohttp

from bot import net
from bot.clock import Clock
from bot.feeds.fetch import Validators, fetch_feed
from bot.feeds.parse import ParsedFeed, parse_feed
from bot.feeds.policy import FeedPolicy


@dataclass(frozen=True)
class FeedRead:
    """The outcome of reading a feed. ``feed`` is None when nothing changed (304, or the same bytes)."""

    url: str
    feed: ParsedFeed | None
    validators: Validators
    body_hash: str | None
    max_age: float | None

    @property
    def changed(self) -> bool:
        return self.feed is not None


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class FeedReader:
    """Fetches and parses feeds for the whole bot: at most ``per_host`` at once per host, and
    ``concurrent_fetches`` overall."""

    def __init__(self, session: aiohttp.ClientSession, policy: FeedPolicy, clock: Clock) -> None:
        self.session = session
        self.policy = policy
        self.clock = clock
        self.limiter = net.HostLimiter(per_host=policy.per_host, total=policy.concurrent_fetches)

    async def read(self, url: str, *, validators: Validators = Validators(),
                   last_hash: str | None = None) -> FeedRead:
        """Fetch ``url`` (conditionally, given the last validators) and parse it if it changed.

        Raises :class:`~bot.feeds.problems.FeedProblem` (and :class:`NotAFeed`) with the reason.
        """
        async with self.limiter.slot(net.host_of(url)):
            response = await fetch_feed(self.session, url, self.policy, self.clock, validators)
        if response.not_modified:
            return FeedRead(response.url, None, validators, last_hash, response.max_age)
        digest = body_hash(response.body)
        if digest == last_hash:
            return FeedRead(response.url, None, response.validators, digest, response.max_age)
        parsed = await parse_feed(response.body, url=response.url, content_type=response.content_type)
        return FeedRead(response.url, parsed, response.validators, digest, response.max_age)
