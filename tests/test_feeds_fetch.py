"""Fetching: conditional GET, redirects, the SSRF guard, limits, and what each status means."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import net
from bot.clock import FakeClock
from bot.errors import InvalidInput
from bot.feeds.fetch import Validators, cache_max_age, retry_after_seconds
from bot.feeds.manage import clean_url
from bot.feeds.policy import FeedPolicy
from bot.feeds.problems import FeedProblem
from bot.feeds.reader import FeedReader
from tests.feedserver import FeedServer
from tests.feedserver.fixtures import USER_AGENT
from tests.feedserver.shapes import Item, rss20

BODY = rss20([Item("One", link="https://course.example/1", guid="1")])


async def test_requests_name_the_bot_and_ask_for_compression(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/f", BODY)
    await reader.read(feed_server.url("/f"))
    headers = feed_server.requests_for("/f")[0].headers
    assert headers["User-Agent"] == USER_AGENT and "+https://example.org/contact" in headers["User-Agent"]
    assert "gzip" in headers["Accept-Encoding"] and "deflate" in headers["Accept-Encoding"]


async def test_conditional_get_sends_the_validators_of_the_last_200_and_skips_parsing_on_304(
        feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/f", BODY)
    first = await reader.read(feed_server.url("/f"))
    assert first.changed and first.validators.etag and first.validators.last_modified
    second = await reader.read(feed_server.url("/f"), validators=first.validators, last_hash=first.body_hash)
    sent = feed_server.requests_for("/f")
    assert "If-None-Match" not in sent[0].headers and "If-Modified-Since" not in sent[0].headers
    assert sent[1].headers["If-None-Match"] == first.validators.etag
    assert sent[1].headers["If-Modified-Since"] == "Mon, 05 Jan 2026 10:00:00 GMT"
    assert not second.changed and second.validators == first.validators


async def test_no_validators_means_no_conditional_headers_at_all(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/plain", BODY, etag=False, last_modified=None)
    first = await reader.read(feed_server.url("/plain"))
    assert first.validators == Validators(None, None)
    await reader.read(feed_server.url("/plain"), validators=Validators("", "  "))
    for request in feed_server.requests_for("/plain"):
        assert "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers


async def test_the_same_bytes_again_are_not_parsed(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/same", BODY, etag=False, last_modified=None)
    first = await reader.read(feed_server.url("/same"))
    again = await reader.read(feed_server.url("/same"), last_hash=first.body_hash)
    assert first.changed and not again.changed and again.body_hash == first.body_hash


async def test_redirect_chains_are_followed(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.redirect("/a", "/b", 301)
    feed_server.redirect("/b", feed_server.url("/c"), 302)
    feed_server.redirect("/c", "/feed", 308)
    feed_server.feed("/feed", BODY)
    result = await reader.read(feed_server.url("/a"))
    assert result.url == feed_server.url("/feed") and result.feed is not None


async def test_more_than_five_redirects_is_a_permanent_problem(feed_server: FeedServer, reader: FeedReader) -> None:
    for hop in range(7):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    feed_server.feed("/r7", BODY)
    with pytest.raises(FeedProblem, match="more than 5 redirects") as caught:
        await reader.read(feed_server.url("/r0"))
    assert caught.value.permanent


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed", "http://localhost/feed", "http://10.1.2.3/feed", "http://192.168.1.1/feed",
    "http://172.16.0.1/feed", "http://169.254.169.254/latest/meta-data", "http://[::1]/feed", "http://0.0.0.0/",
    "http://224.0.0.1/", "http://240.0.0.1/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
])
async def test_private_and_special_addresses_are_refused_by_default(http: aiohttp.ClientSession, policy: FeedPolicy,
                                                                    clock: FakeClock, url: str) -> None:
    guarded = FeedReader(http, FeedPolicy(user_agent=USER_AGENT, allow_private=False), clock)
    with pytest.raises(FeedProblem, match="not a public address") as caught:
        await guarded.read(url)
    assert caught.value.permanent


async def test_only_http_and_https(reader: FeedReader) -> None:
    with pytest.raises(FeedProblem, match="Only http"):
        await reader.read("file:///etc/passwd")


async def test_a_redirect_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """127.0.0.1 plays a public host here; its redirect to 127.0.0.2 (loopback, private) must not be followed."""
    real_check = net.is_public_address
    monkeypatch.setattr(net, "is_public_address", lambda address: address == "127.0.0.1" or real_check(address))
    server = await FeedServer(hosts=("127.0.0.1", "127.0.0.2")).start()
    try:
        server.redirect("/feed", server.url("/admin", host="127.0.0.2"), 302)
        server.feed("/admin", BODY)
        async with net.make_session(user_agent=USER_AGENT, allow_private=False) as session:
            guarded = FeedReader(session, FeedPolicy(user_agent=USER_AGENT, allow_private=False), clock)
            with pytest.raises(FeedProblem, match=r"127\.0\.0\.2 is not a public address"):
                await guarded.read(server.url("/feed"))
        assert len(server.requests_for("/feed")) == 1
        assert server.requests_for("/admin") == []
    finally:
        await server.stop()


async def test_a_trickling_server_is_cut_off_by_the_total_timeout(
        feed_server: FeedServer, http: aiohttp.ClientSession, clock: FakeClock) -> None:
    feed_server.trickle("/slow", BODY.encode(), chunk=8, every=0.1)  # a byte rate that never times out a read
    impatient = FeedReader(http, FeedPolicy(user_agent=USER_AGENT, allow_private=True, timeout_seconds=0.6), clock)
    started = time.perf_counter()
    with pytest.raises(FeedProblem, match=r"no complete answer within 0\.6 s") as caught:
        await impatient.read(feed_server.url("/slow"))
    assert time.perf_counter() - started < 1.2
    assert not caught.value.permanent


async def test_a_50_mb_body_is_aborted_past_the_cap(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.giant("/huge", 50 * 1024 * 1024)
    with pytest.raises(FeedProblem, match="larger than 5 MB") as caught:
        await reader.read(feed_server.url("/huge"))
    assert caught.value.permanent
    assert feed_server.sent["/huge"][0] < 20 * 1024 * 1024  # stopped early, not read to the end


async def test_a_declared_50_mb_body_is_refused_before_reading(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.giant("/declared", 50 * 1024 * 1024, declare_length=True)
    with pytest.raises(FeedProblem, match="larger than 5 MB"):
        await reader.read(feed_server.url("/declared"))


@pytest.mark.parametrize(("status", "permanent"), [(404, True), (410, True), (500, False), (502, False),
                                                  (403, False)])
async def test_status_codes(feed_server: FeedServer, reader: FeedReader, status: int, permanent: bool) -> None:
    feed_server.status("/s", status)
    with pytest.raises(FeedProblem, match=f"HTTP {status}") as caught:
        await reader.read(feed_server.url("/s"))
    assert caught.value.permanent is permanent


async def test_429_carries_retry_after(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.status("/busy", 429, headers={"Retry-After": "3600"})
    with pytest.raises(FeedProblem, match="asked to wait 3600 s") as caught:
        await reader.read(feed_server.url("/busy"))
    assert caught.value.retry_after == 3600 and not caught.value.permanent


def test_retry_after_as_an_http_date(clock: FakeClock) -> None:
    assert retry_after_seconds("Mon, 05 Jan 2026 13:00:00 GMT", clock.now()) == 3600
    assert retry_after_seconds("soon", clock.now()) is None
    assert retry_after_seconds("", clock.now()) is None


def test_cache_control_max_age() -> None:
    assert cache_max_age({"cache-control": "public, max-age=7200"}) == 7200
    assert cache_max_age({"cache-control": "no-cache"}) is None
    assert cache_max_age({"cache-control": "max-age=abc"}) is None
    assert cache_max_age({}) is None


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=300), st.from_regex(r"https?://[a-z0-9.\-]{1,30}(:[0-9]{1,6})?/[ -~]{0,40}",
                                                        fullmatch=True)))
def test_any_url_text_is_accepted_as_http_or_refused_with_a_reason(text: str) -> None:
    try:
        url = clean_url(text)
    except InvalidInput as refused:
        assert refused.message
        return
    assert urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname and "\x00" not in url
