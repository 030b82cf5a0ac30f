"""What every request goes through: methods, query length, a per-client rate limit, security headers.

The rate limit is a token bucket per client address: 60 requests, refilled at one a second, so a
client may burst a page and its stylesheet but not more than 60 requests a minute; beyond that the
answer is 429 with Retry-After. The address comes from ``X-Forwarded-For`` only when the operator
says a reverse proxy sets it (``WEB_TRUST_PROXY=1``), and then its last entry (the one the proxy
added; earlier ones are whatever the client sent).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

ALLOWED_METHODS = frozenset({"GET", "HEAD"})
MAX_QUERY = 512
RATE = 60  # requests a minute per client
MAX_CLIENTS = 10_000  # buckets kept; the least recently seen is forgotten first
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RateLimiter:
    """Token buckets per client; ``monotonic`` is injectable so tests never wait."""

    def __init__(self, per_minute: int = RATE, *, monotonic: Callable[[], float] = time.monotonic,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._monotonic = monotonic
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, client: str) -> int:
        """0 when the request may go ahead, else the whole seconds to wait (for Retry-After)."""
        now = self._monotonic()
        tokens, seen = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.refill)
        wait = 0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = max(1, math.ceil((1 - tokens) / self.refill))
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return wait


class LoopShare:
    """Web handlers get at most ``share`` of the time, one at a time, with ``burst`` seconds to spare.

    The web companion shares the event loop with Discord. Each handler's time (its own work and its
    database wait) is charged to a budget that refills at ``share`` seconds per second; when it is
    spent, the next web request waits. Under a flood the pages slow down; interactions do not.
    """

    def __init__(self, share: float = 0.2, burst: float = 0.2, *,
                 clock: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.share = share
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._budget = burst
        self._stamp = clock()
        self._lock: asyncio.Lock | None = None

    def _refill(self) -> None:
        now = self._clock()
        self._budget = min(self.burst, self._budget + (now - self._stamp) * self.share)
        self._stamp = now

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self._refill()
            if self._budget < 0:
                await self._sleep(-self._budget / self.share)
                self._refill()
            started = self._clock()
            try:
                yield
            finally:
                self._budget -= self._clock() - started


def client_address(request: web.Request, *, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.remote or "unknown"


def guard_middleware(limiter: RateLimiter | None, *, trust_proxy: bool,
                     plain_error: Callable[[int, str], web.Response]) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ALLOWED_METHODS:
            response = plain_error(405, "Only GET and HEAD are served here.")
            response.headers["Allow"] = "GET, HEAD"
            return response
        if len(request.query_string) > MAX_QUERY:
            return plain_error(414, f"The address is too long: queries are at most {MAX_QUERY} characters.")
        if limiter is not None and not request.path.startswith("/static/"):
            wait = limiter.check(client_address(request, trust_proxy=trust_proxy))
            if wait:
                response = plain_error(429, f"Too many requests; try again in {wait} seconds.")
                response.headers["Retry-After"] = str(wait)
                return response
        return await handler(request)

    return guard


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs for every response, errors and static files included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/c/"):
        response.headers["X-Robots-Tag"] = "noindex"
