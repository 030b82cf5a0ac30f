"""Outbound HTTP that is safe to point at URLs strangers type.

* SSRF guard: only http(s) to public addresses, checked for the URL, for every redirect hop, and
  again at connection time by the resolver (so DNS that changes between check and connect is
  caught too). ``allow_private`` lifts it for local development and tests.
* Bounded: a total timeout, a redirect limit, and a body cap enforced while streaming.
* Polite: a per-host and a global concurrency limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.errors import DomainError, InvalidInput

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class UnsafeURL(InvalidInput):
    """The URL is not http(s), or points at an address that is not public."""


class FetchError(DomainError):
    """The fetch failed; ``permanent`` says whether trying again later could help."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class TooLarge(FetchError):
    """The body was larger than allowed; reading stopped at the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the response is larger than {limit // 1024} KB", permanent=True)


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url_syntax(url: str) -> tuple[str, str]:
    """Return ``(scheme, host)`` of an absolute http(s) URL, or raise :class:`UnsafeURL`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise UnsafeURL(f"That URL cannot be read ({exc}); check it and try again.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeURL("Only http:// and https:// links work here.")
    return parts.scheme, host


async def check_public(url: str, *, allow_private: bool) -> None:
    """Raise :class:`UnsafeURL` unless every address ``url``'s host resolves to is public."""
    _, host = check_url_syntax(url)
    if allow_private:
        return
    try:
        addresses = [ipaddress.ip_address(host).compressed]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"the host {host} could not be found") from exc
        addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise UnsafeURL(f"{host} is not a public address, so I will not fetch it.")


class PublicOnlyResolver(AbstractResolver):
    """A resolver that refuses names resolving to non-public addresses (the connect-time guard)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results or not all(is_public_address(r["host"]) for r in results):
            raise OSError(f"{host} does not resolve to a public address")
        return results

    async def close(self) -> None:
        await self._inner.close()


def make_session(*, user_agent: str, allow_private: bool) -> aiohttp.ClientSession:
    """The bot's HTTP session; with the public-only resolver unless private addresses are allowed."""
    resolver: AbstractResolver = DefaultResolver() if allow_private else PublicOnlyResolver()
    connector = aiohttp.TCPConnector(resolver=resolver, limit=64, ttl_dns_cache=300)
    return aiohttp.ClientSession(connector=connector, headers={"User-Agent": user_agent},
                                 auto_decompress=True)


async def fetch(
    session: aiohttp.ClientSession, url: str, *, allow_private: bool, max_bytes: int, timeout: float,
    max_redirects: int = 5, method: str = "GET", headers: Mapping[str, str] | None = None,
    truncate: bool = False,
) -> FetchResult:
    """Fetch ``url`` following redirects one hop at a time, each hop checked, the body capped.

    Non-2xx answers (304, 404, 429, 5xx, …) come back as results for the caller to judge.
    With ``truncate`` a longer body is cut at ``max_bytes`` instead of raising :class:`TooLarge`
    (for readers that only need the start of a page, such as its title).
    """
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(session, url, allow_private, max_bytes, max_redirects, method, headers, truncate)
    except TimeoutError as exc:
        raise FetchError(f"no complete answer within {timeout:g} s") from exc
    except aiohttp.ClientError as exc:
        raise FetchError(f"connection failed: {exc.__class__.__name__}") from exc
    except OSError as exc:
        raise FetchError(f"connection failed: {exc}") from exc


async def _fetch(session: aiohttp.ClientSession, url: str, allow_private: bool, max_bytes: int,
                 max_redirects: int, method: str, headers: Mapping[str, str] | None,
                 truncate: bool = False) -> FetchResult:
    current = url
    for _hop in range(max_redirects + 1):
        await check_public(current, allow_private=allow_private)
        async with session.request(method, current, headers=dict(headers or {}), allow_redirects=False) as resp:
            if resp.status in REDIRECTS and "Location" in resp.headers:
                current = urljoin(current, resp.headers["Location"])
                if resp.status == 303:
                    method = "GET"
                continue
            body = await read_capped(resp, max_bytes, truncate=truncate) if method != "HEAD" else b""
            return FetchResult(str(resp.url), resp.status, {k.lower(): v for k, v in resp.headers.items()}, body)
    raise FetchError(f"more than {max_redirects} redirects", permanent=True)


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int, *, truncate: bool = False) -> bytes:
    """Read the body, stopping (and raising :class:`TooLarge`) as soon as it passes ``max_bytes``.

    With ``truncate`` the first ``max_bytes`` are returned instead of raising.
    """
    declared = response.content_length
    if declared is not None and declared > max_bytes and not truncate:
        raise TooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            if truncate:
                chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                break
            raise TooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


class HostLimiter:
    """At most ``per_host`` requests to one host and ``total`` overall at once."""

    def __init__(self, per_host: int = 2, total: int = 32) -> None:
        self._per_host_limit = per_host
        self._total = asyncio.Semaphore(total)
        # host -> (semaphore, requests holding or waiting for it); dropped when idle, so a bot
        # that has fetched a million hosts does not keep a million semaphores.
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        key = host.lower()
        semaphore, users = self._hosts.get(key, (asyncio.Semaphore(self._per_host_limit), 0))
        self._hosts[key] = (semaphore, users + 1)
        try:
            # The host's slot first: a request queued behind its own busy host must not sit on a
            # global slot meanwhile, or one slow host with many feeds would stall every other host.
            async with semaphore, self._total:
                yield
        finally:
            semaphore, users = self._hosts[key]
            if users == 1:
                del self._hosts[key]
            else:
                self._hosts[key] = (semaphore, users - 1)

    @property
    def hosts_in_use(self) -> int:
        return len(self._hosts)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()

