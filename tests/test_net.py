"""The outbound HTTP guard, against a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.net import FetchError, HostLimiter, TooLarge, UnsafeURL, check_public, fetch, is_public_address
from tests.local_http import serve


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                     "100.64.0.1", "240.0.0.1"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "http://",
                                 "http://[::1", "http://example.org:99999/"])
async def test_urls_that_are_not_http_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        await check_public(url, allow_private=True)


async def test_literal_private_address_is_refused_without_resolving() -> None:
    with pytest.raises(UnsafeURL):
        await check_public("http://169.254.169.254/latest/meta-data", allow_private=False)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["n"])
        if left == 0:
            return web.Response(text="arrived")
        raise web.HTTPFound(f"/hop/{left - 1}")

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 65536)
        return response

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"x")
            await asyncio.sleep(0.05)
        return response

    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/big", big)
    app.router.add_get("/trickle", trickle)
    async with serve(app) as base_url:
        yield base_url


async def test_redirects_are_followed_up_to_the_limit(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        result = await fetch(session, f"{server}/hop/5", allow_private=True, max_bytes=1000, timeout=5)
        assert result.status == 200 and result.body == b"arrived" and result.url.endswith("/hop/0")
        with pytest.raises(FetchError, match="redirects"):
            await fetch(session, f"{server}/hop/6", allow_private=True, max_bytes=1000, timeout=5)


async def test_loopback_server_is_refused_when_private_addresses_are_not_allowed(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(UnsafeURL):
            await fetch(session, f"{server}/hop/0", allow_private=False, max_bytes=1000, timeout=5)


async def test_body_is_cut_off_at_the_cap(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TooLarge):
            await fetch(session, f"{server}/big", allow_private=True, max_bytes=512 * 1024, timeout=5)


async def test_a_server_that_trickles_bytes_hits_the_total_timeout(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(FetchError, match="within"):
            await fetch(session, f"{server}/trickle", allow_private=True, max_bytes=1000, timeout=0.5)


async def test_host_limiter_allows_two_per_host_at_once() -> None:
    limiter = HostLimiter(per_host=2, total=10)
    inside = peak = 0

    async def visit() -> None:
        nonlocal inside, peak
        async with limiter.slot("Example.org"):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(visit() for _ in range(8)))
    assert peak == 2
    assert limiter.hosts_in_use == 0  # idle hosts are forgotten
