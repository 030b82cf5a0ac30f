"""One polite HTTP request for a feed: conditional, guarded, bounded, and judged.

The transport (SSRF guard on every hop, streamed body cap, total timeout, redirect limit) is
:func:`bot.net.fetch`; this module adds what is particular to feeds: validators, the meaning of
each status, and how long the server asks us to wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp

from bot import net
from bot.clock import Clock
from bot.feeds.policy import FeedPolicy
from bot.feeds.problems import FeedProblem

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, " \
         "text/xml;q=0.8, */*;q=0.1"
GONE = (404, 410)
SLOW_DOWN = (429, 503)


@dataclass(frozen=True)
class Validators:
    """The ETag and Last-Modified of the last 200, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FeedResponse:
    url: str  # after redirects
    not_modified: bool
    body: bytes
    content_type: str | None
    validators: Validators
    max_age: float | None  # Cache-Control max-age, seconds


def request_headers(policy: FeedPolicy, validators: Validators) -> dict[str, str]:
    """Headers for a feed request; a validator is sent only when there is one (never empty)."""
    headers = {"User-Agent": policy.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if validators.etag and validators.etag.strip():
        headers["If-None-Match"] = validators.etag.strip()
    if validators.last_modified and validators.last_modified.strip():
        headers["If-Modified-Since"] = validators.last_modified.strip()
    return headers


async def fetch_feed(session: aiohttp.ClientSession, url: str, policy: FeedPolicy, clock: Clock,
                     validators: Validators = Validators()) -> FeedResponse:
    """GET ``url``; return the body or "not modified", or raise :class:`FeedProblem` saying why not."""
    try:
        result = await net.fetch(session, url, allow_private=policy.allow_private, max_bytes=policy.max_bytes,
                                 timeout=policy.timeout_seconds, max_redirects=policy.max_redirects,
                                 headers=request_headers(policy, validators))
    except net.TooLarge as exc:
        raise FeedProblem(f"the feed is larger than {policy.max_bytes // (1024 * 1024)} MB", permanent=True) from exc
    except net.UnsafeURL as exc:
        raise FeedProblem(exc.message, permanent=True) from exc
    except net.FetchError as exc:
        raise FeedProblem(exc.message, permanent=exc.permanent) from exc
    return judge(result, clock)


def judge(result: net.FetchResult, clock: Clock) -> FeedResponse:
    """Turn a status into a response or a problem: 304 fine, 404/410 gone, 429/503 wait, others retry."""
    headers = result.headers
    if result.status == 304:
        return FeedResponse(result.url, True, b"", headers.get("content-type"), Validators(),
                            cache_max_age(headers))
    if 200 <= result.status < 300:
        validators = Validators(etag=_non_empty(headers.get("etag")),
                                last_modified=_non_empty(headers.get("last-modified")))
        return FeedResponse(result.url, False, result.body, headers.get("content-type"), validators,
                            cache_max_age(headers))
    if result.status in GONE:
        raise FeedProblem(f"the feed is gone (HTTP {result.status})", permanent=True)
    retry_after = retry_after_seconds(headers.get("retry-after"), clock.now())
    if result.status in SLOW_DOWN:
        wait = f"; it asked to wait {retry_after:.0f} s" if retry_after else ""
        raise FeedProblem(f"the server is busy (HTTP {result.status}){wait}", retry_after=retry_after)
    if 300 <= result.status < 400:
        raise FeedProblem(f"the server answered HTTP {result.status} without a usable redirect")
    raise FeedProblem(f"the server answered HTTP {result.status}", retry_after=retry_after)


def _non_empty(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """``Cache-Control: max-age=N`` in seconds, if present and sane."""
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age":
            try:
                seconds = int(value.strip().strip('"'))
            except ValueError:
                return None
            return float(seconds) if seconds >= 0 else None
    return None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: either a number of seconds or an HTTP date."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0)
