"""Page titles and link health, against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import net, topics
from bot.clock import FakeClock
from bot.db import Database
from bot.resources import library, linkcheck, titles
from bot.resources.model import TITLE_MAX
from tests.local_http import serve

GUILD = 111


@dataclass
class Site:
    """A small website whose pages misbehave in the ways real ones do."""

    base: str
    hits: Counter[str] = field(default_factory=Counter)
    broken: set[str] = field(default_factory=set)  # paths that answer 404 until removed
    concurrent: Counter[str] = field(default_factory=Counter)
    peak: int = 0

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    app = web.Application()
    state = Site("")

    async def page(request: web.Request) -> web.StreamResponse:
        path = request.path
        state.hits[f"{request.method} {path}"] += 1
        state.concurrent["now"] += 1
        state.peak = max(state.peak, state.concurrent["now"])
        try:
            if path.startswith("/slow"):
                await asyncio.sleep(0.05)
            if path in state.broken:
                raise web.HTTPNotFound()
            if path == "/og":
                return html('<html><head><title>Plain title</title>'
                            '<meta property="og:title" content="The &amp; OG  title"></head><body>x</body></html>')
            if path == "/title":
                return html("<html><head><title>\n  Only a\ttitle \n</title></head><body></body></html>")
            if path == "/latin1":
                return web.Response(body="<title>Café crème</title>".encode("latin-1"),
                                    content_type="text/html", charset="latin-1")
            if path == "/notitle":
                return html("<html><head></head><body><title>not in head</title></body></html>")
            if path == "/big":
                head = b"<html><head><title>Big page</title></head><body>"
                return web.Response(body=head + b"x" * (900 * 1024), content_type="text/html")
            if path == "/pdf":
                return web.Response(body=b"%PDF-1.4", content_type="application/pdf")
            if path == "/hang":
                await asyncio.sleep(1)  # longer than the (shortened) timeout below
            if path == "/moved":
                raise web.HTTPMovedPermanently("/og")
            if path == "/no-head" and request.method == "HEAD":
                raise web.HTTPMethodNotAllowed("HEAD", ["GET"])
            if path == "/busy":
                raise web.HTTPTooManyRequests()
            return html("<title>ok</title>")
        finally:
            state.concurrent["now"] -= 1

    app.router.add_route("*", "/{tail:.*}", page)
    async with serve(app) as state.base:
        yield state


def html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


# Titles -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "title"), [
    ("/og", "The & OG title"),
    ("/title", "Only a title"),
    ("/latin1", "Café crème"),
    ("/big", "Big page"),
    ("/moved", "The & OG title"),
    ("/notitle", None),
    ("/pdf", None),
    ("/missing-page", "ok"),
])
async def test_titles_come_from_the_page(site: Site, session: aiohttp.ClientSession, path: str,
                                         title: str | None) -> None:
    assert await titles.fetch_title(session, site.url(path), allow_private=True) == title


async def test_a_missing_page_gives_no_title(site: Site, session: aiohttp.ClientSession) -> None:
    site.broken.add("/gone")
    assert await titles.fetch_title(session, site.url("/gone"), allow_private=True) is None


async def test_a_slow_page_gives_up_after_two_seconds(site: Site, session: aiohttp.ClientSession,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(titles, "TITLE_TIMEOUT", 0.2)  # the same code path as 2 s, without waiting 2 s
    started = asyncio.get_running_loop().time()
    assert await titles.fetch_title(session, site.url("/hang"), allow_private=True) is None
    assert asyncio.get_running_loop().time() - started < 1


async def test_private_addresses_are_not_fetched_for_titles(site: Site, session: aiohttp.ClientSession) -> None:
    assert await titles.fetch_title(session, site.url("/og"), allow_private=False) is None
    assert site.hits["GET /og"] == 0


def test_title_parsing_is_bounded_and_clean() -> None:
    assert titles.title_from_html(b"<title>" + b"a" * 500 + b"</title>") == "a" * 199 + "…"
    assert titles.title_from_html(b"<title>a\x00b\x07c</title>") == "abc"
    assert titles.title_from_html(b"<meta name='twitter:title' content='Tw'><title>T</title>") == "Tw"
    assert titles.title_from_html(b"<title>x</title>", "text/html; charset=no-such-charset") == "x"


def test_charsets_that_cannot_decode_leniently_fall_back_to_utf8() -> None:
    # Python knows these names, but they refuse errors="replace" (idna) or any bytes at all (undefined).
    assert titles.title_from_html(b'<meta charset="idna"><title>Caf\xc3\xa9</title>') == "Café"
    assert titles.title_from_html(b"<title>x</title>", "text/html; charset=undefined") == "x"


def test_broken_markup_gives_what_was_read_before_it() -> None:
    # html.parser raises AssertionError on "<![" followed by junk.
    assert titles.title_from_html(b"<title>Kept</title><![<html>") == "Kept"
    assert titles.title_from_html(b"<![<html><title>Lost</title>") is None


MARKUP = st.sampled_from(["<html>", "<head>", "</head>", "<body>", "<title>", "</title>", "<title", "<![", "<![CDATA[",
                          "]]>", "<!", "<!--", "-->", "<?", "<!DOCTYPE", "<![if x]>", "&#0;", "&#x110000;", "&", "<",
                          ">", "\x00", "é", "'", '"', "<script>", "</script>", "<meta charset=idna>",
                          "<meta property='og:title' content='og'>", "<meta charset='bogus'>"])
CONTENT_TYPES = st.sampled_from(["text/html", "text/html; charset=utf-8", "text/html; charset=idna",
                                 "text/html; charset=undefined", "text/html; charset=utf-16", "text/html; charset=x"])


@given(pieces=st.lists(st.one_of(MARKUP, st.text(max_size=6)), max_size=30), content_type=CONTENT_TYPES,
       raw=st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_any_page_gives_a_clean_title_or_none(pieces: list[str], content_type: str, raw: bytes) -> None:
    body = "".join(pieces).encode("utf-8", "surrogatepass") + raw
    title = titles.title_from_html(body, content_type)
    assert title is None or (0 < len(title) <= TITLE_MAX and title == title.strip() and title.isprintable())


# Link health --------------------------------------------------------------------------------
async def add_links(db: Database, clock: FakeClock, site: Site, paths: list[str]) -> list[library.Resource]:
    await topics.seed_topics(db, clock, GUILD)
    topic = await topics.get_topic(db, GUILD, "mlops")
    made = []
    for path in paths:
        draft = library.draft_resource(url=site.url(path), title=path)
        made.append(await library.add_resource(db, clock, guild_id=GUILD, author_id=1, topic_id=topic.id,
                                               draft=draft))
    return made


@pytest.mark.parametrize(("path", "alive", "detail"), [
    ("/og", True, "ok"),
    ("/moved", True, "ok"),
    ("/no-head", True, "ok"),
    ("/busy", None, "HTTP 429"),
    ("/gone", False, "HTTP 404"),
])
async def test_a_check_judges_the_answer(site: Site, session: aiohttp.ClientSession, path: str,
                                         alive: bool | None, detail: str) -> None:
    site.broken.add("/gone")
    result = await linkcheck.check_link(session, site.url(path), allow_private=True)
    assert (result.alive, result.detail) == (alive, detail)


async def test_head_is_tried_first_then_get(site: Site, session: aiohttp.ClientSession) -> None:
    await linkcheck.check_link(session, site.url("/og"), allow_private=True)
    await linkcheck.check_link(session, site.url("/no-head"), allow_private=True)
    assert (site.hits["HEAD /og"], site.hits["GET /og"]) == (1, 0)
    assert (site.hits["HEAD /no-head"], site.hits["GET /no-head"]) == (1, 1)


async def test_unreachable_and_private_links_fail(session: aiohttp.ClientSession) -> None:
    refused = await linkcheck.check_link(session, "http://127.0.0.1:9/x", allow_private=False)
    assert (refused.alive, refused.detail) == (False, "not a public address")
    closed = await linkcheck.check_link(session, "http://127.0.0.1:9/x", allow_private=True, timeout=1)
    assert closed.alive is False and "connection failed" in closed.detail


async def test_a_link_is_flagged_after_two_failed_weekly_checks_and_unflagged_when_back(
        db: Database, clock: FakeClock, site: Site, session: aiohttp.ClientSession) -> None:
    (res,) = await add_links(db, clock, site, ["/flaky"])
    site.broken.add("/flaky")
    assert await linkcheck.run_due_checks(db, clock, session, allow_private=True) == linkcheck.RunSummary(
        0, 0, 0, 0, 0, 0)  # not due before a week has passed

    clock.advance(timedelta(days=7))
    first = await linkcheck.run_due_checks(db, clock, session, allow_private=True)
    assert (first.checked, first.failed, first.newly_broken) == (1, 1, 0)
    assert not (await library.get_resource(db, GUILD, res.id)).broken
    assert (await linkcheck.run_due_checks(db, clock, session, allow_private=True)).checked == 0  # checked weekly

    clock.advance(timedelta(days=7))
    second = await linkcheck.run_due_checks(db, clock, session, allow_private=True)
    assert second.newly_broken == 1
    flagged = await library.get_resource(db, GUILD, res.id)
    assert flagged.broken and flagged.last_check_result == "HTTP 404"
    assert [r.id for r in (await library.broken_resources(db, GUILD)).items] == [res.id]

    site.broken.discard("/flaky")
    clock.advance(timedelta(days=7))
    third = await linkcheck.run_due_checks(db, clock, session, allow_private=True)
    assert third.recovered == 1
    assert (await library.broken_resources(db, GUILD)).total == 0


async def test_an_inconclusive_answer_changes_nothing(db: Database, clock: FakeClock, site: Site,
                                                      session: aiohttp.ClientSession) -> None:
    (res,) = await add_links(db, clock, site, ["/busy"])
    await db.execute("UPDATE resources SET failed_checks = 1 WHERE id = ?", (res.id,))
    clock.advance(timedelta(days=7))
    summary = await linkcheck.run_due_checks(db, clock, session, allow_private=True)
    assert summary.inconclusive == 1
    assert (await library.get_resource(db, GUILD, res.id)).failed_checks == 1


async def test_checks_run_concurrently_but_two_at_most_per_host(db: Database, clock: FakeClock, site: Site,
                                                                session: aiohttp.ClientSession) -> None:
    await add_links(db, clock, site, [f"/slow/{i}" for i in range(8)])
    clock.advance(timedelta(days=7))
    started = asyncio.get_running_loop().time()
    summary = await linkcheck.run_due_checks(db, clock, session, allow_private=True,
                                             limiter=net.HostLimiter(per_host=2, total=16))
    elapsed = asyncio.get_running_loop().time() - started
    assert summary.alive == 8
    assert site.peak == 2  # one host: never more than two requests at once…
    assert elapsed < 8 * 0.05  # …yet faster than one after another


async def test_removed_links_are_not_checked_and_the_next_due_time_is_derived(
        db: Database, clock: FakeClock, site: Site, session: aiohttp.ClientSession) -> None:
    first, _ = await add_links(db, clock, site, ["/a", "/b"])
    assert await linkcheck.next_due(db) == clock.now() + timedelta(days=7)
    await library.remove_resource(db, clock, guild_id=GUILD, resource_id=first.id, user_id=1, moderator=False)
    clock.advance(timedelta(days=7))
    summary = await linkcheck.run_due_checks(db, clock, session, allow_private=True)
    assert summary.checked == 1 and site.hits["HEAD /a"] == 0
    assert await linkcheck.next_due(db) == clock.now() + timedelta(days=7)
