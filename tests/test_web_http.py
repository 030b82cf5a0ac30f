"""The web companion over HTTP: headers, not-found, methods, limits, HEAD, static files, feeds, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from hypothesis import strategies as st

from bot.clock import FakeClock, to_db
from bot.db import Database
from bot.web import store
from bot.web.app import STATIC_DIR
from bot.web.guard import CSP, RateLimiter
from tests.e2e.any_text import EDGE_CASES, drawn
from tests.web_site import GUILD, NOW, ManualTime, web_client

# Text shaped like markup as often as not, plus anything else Unicode has.
ANY_HTMLISH = st.text(st.sampled_from(list("<>&\"'=/ ab;{}%#!-\n")) | st.characters(exclude_categories=("Cs",)),
                      min_size=1, max_size=60)
PAGES = ["/", "/g/demo", "/g/demo/library", "/g/demo/library?q=webgpu&sort=new&page=1", "/g/demo/sessions",
         "/g/demo/plans/ml-systems-design", "/g/demo/calendar.ics", "/g/demo/resources.atom"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def assert_security_headers(headers: object, path: str) -> None:
    assert headers["Content-Security-Policy"] == CSP, path  # type: ignore[index]
    assert headers["X-Content-Type-Options"] == "nosniff", path  # type: ignore[index]
    assert headers["Referrer-Policy"] == "no-referrer", path  # type: ignore[index]


async def test_every_response_carries_the_security_headers(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock, limiter=RateLimiter(monotonic=ManualTime())) as (client, _):
        paths = [*PAGES, "/g/unknown", "/g/demo/plans/none", "/static/cohort.css", "/static/missing.css",
                 "/g/demo?" + "q" * 600]
        for path in paths:
            response = await client.get(path)
            assert response.status < 500, path
            assert_security_headers(response.headers, path)
            assert "X-Robots-Tag" not in response.headers
        posted = await client.post("/g/demo")
        assert posted.status == 405 and posted.headers["Allow"] == "GET, HEAD"
        assert_security_headers(posted.headers, "POST")
        for _ in range(70):
            last = await client.get("/g/demo")
        assert last.status == 429
        assert_security_headers(last.headers, "429")


async def test_a_turned_off_page_is_exactly_an_unknown_one(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        assert (await client.get("/g/demo")).status == 200
        await store.disable(db, clock, GUILD)
        unknown = await client.get("/g/never-existed")
        unknown_body = await unknown.read()
        for path in ["/g/demo", "/g/demo/library?q=x", "/g/demo/sessions", "/g/demo/plans/ml-systems-design",
                     "/g/demo/calendar.ics", "/g/demo/resources.atom", "/g/demo/sessions/1.ics"]:
            response = await client.get(path)
            assert response.status == 404 and await response.read() == unknown_body, path
            assert dict(response.headers) == dict(unknown.headers) | {"Date": response.headers["Date"]}, path
        assert (await client.get("/g/DEMO")).status == 404


async def test_only_get_and_head(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            response = await client.request(method, "/g/demo/library")
            assert response.status == 405 and response.headers["Allow"] == "GET, HEAD", method
        got = await client.get("/g/demo/calendar.ics")
        head = await client.head("/g/demo/calendar.ics")
        assert head.status == 200 and await head.read() == b""
        assert head.headers["ETag"] == got.headers["ETag"]
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
        assert int(head.headers["Content-Length"]) == len(await got.read())
        assert (await client.head("/g/demo")).status == 200


async def test_query_strings_are_capped(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        prefix = "/g/demo/library?q="
        assert (await client.get(prefix + "a" * (512 - 2))).status == 200
        too_long = await client.get(prefix + "a" * (512 - 1))
        assert too_long.status == 414 and "512" in await too_long.text()


async def test_rate_limit_then_retry_after(db: Database, clock: FakeClock) -> None:
    time = ManualTime()
    async with web_client(db, clock, limiter=RateLimiter(monotonic=time)) as (client, _):
        statuses = [(await client.get("/g/demo/sessions")).status for _ in range(60)]
        assert statuses == [200] * 60
        refused = await client.get("/g/demo/sessions")
        assert refused.status == 429 and refused.headers["Retry-After"] == "1"
        # X-Forwarded-For is not believed without WEB_TRUST_PROXY: a new value does not help.
        assert (await client.get("/g/demo", headers={"X-Forwarded-For": "203.0.113.9"})).status == 429
        assert (await client.get("/static/cohort.css")).status == 200  # the stylesheet never counts
        time.value += 1.0
        assert (await client.get("/g/demo")).status == 200
        assert (await client.get("/g/demo")).status == 429
        time.value += 60
        assert [(await client.get("/g/demo")).status for _ in range(60)] == [200] * 60


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock, limiter=RateLimiter(monotonic=ManualTime()), trust_proxy=True) as (client, _):
        first = {"X-Forwarded-For": "198.51.100.1, 203.0.113.1"}
        for _ in range(60):
            assert (await client.get("/", headers=first)).status == 200
        assert (await client.get("/", headers=first)).status == 429
        # The proxy's own (last) entry counts, not what the client wrote in front of it.
        assert (await client.get("/", headers={"X-Forwarded-For": "10.0.0.7, 203.0.113.1"})).status == 429
        assert (await client.get("/", headers={"X-Forwarded-For": "203.0.113.2"})).status == 200


async def test_static_files_do_not_follow_symlinks(db: Database, clock: FakeClock, tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "cohort.css").write_bytes((STATIC_DIR / "cohort.css").read_bytes())
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    (static / "leak.css").symlink_to(secret)
    (static / "up").symlink_to(tmp_path, target_is_directory=True)
    async with web_client(db, clock, static_dir=static) as (client, _):
        css = await client.get("/static/cohort.css")
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        for path in ("/static/leak.css", "/static/up/secret.txt", "/static/../secret.txt", "/static/%2e%2e/secret.txt",
                     "/static/"):
            response = await client.get(path)
            assert response.status in (403, 404), path
            assert "not for the web" not in await response.text()


async def test_atom_feed_is_valid_with_the_newest_fifty(db: Database, clock: FakeClock) -> None:
    rows = [(GUILD, f"https://example.org/{n}", "example.org", f"Title {n} <b>&amp;", "note\x0b with a control",
             to_db(NOW), to_db(NOW)) for n in range(60)]
    async with web_client(db, clock) as (client, context):
        await db.executemany("INSERT INTO resources (guild_id, url, host, title, note, created_at, next_check_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        response = await client.get("/g/demo/resources.atom")
        assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(await response.read())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10" and len(parsed.entries) == 50
        assert parsed.entries[0].title == "Title 59 <b>&amp;"
        self_link = [link for link in parsed.feed.links if link.rel == "self"]
        assert self_link and self_link[0].href == context.guild_links("demo")["atom"]
        page = await (await client.get("/g/demo")).text()
        assert f'type="application/atom+xml" title="Browser ML Learners: new in the library" ' \
               f'href="{context.guild_links("demo")["atom"]}"' in page


async def test_pages_show_both_calendar_links_and_the_google_note(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, context):
        links = context.guild_links("demo")
        for path in ("/g/demo", "/g/demo/sessions"):
            page = await (await client.get(path)).text()
            assert f'href="{links["webcal"]}"' in page and links["calendar"] in page, path
            assert links["webcal"].startswith("webcal://") and links["calendar"].startswith("http")
            assert "Google Calendar can take up to a day to refresh" in page


async def test_no_member_ids_or_names_on_any_page(db: Database, clock: FakeClock) -> None:
    from tests.web_site import HOST, MEMBERS

    async with web_client(db, clock) as (client, _):
        for path in PAGES:
            body = await (await client.get(path)).text()
            for user_id in (HOST, *MEMBERS):
                assert str(user_id) not in body, path


async def test_member_written_text_is_escaped_on_the_library_page(db: Database, clock: FakeClock) -> None:
    """Hypothesis-made titles and notes (and known troublemakers) come out as text, never as markup."""
    samples = [*EDGE_CASES, "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</li></ul><h1>x",
               "{{ 7*7 }}", "&lt;b&gt;", "javascript:alert(1)", *drawn(ANY_HTMLISH, 60)]
    async with web_client(db, clock) as (client, _):
        for start in range(0, len(samples), 20):
            batch = samples[start:start + 20]
            await db.execute("DELETE FROM resources WHERE guild_id = ?", (GUILD,))
            await db.executemany(
                "INSERT INTO resources (guild_id, url, host, title, note, created_at, next_check_at) "
                "VALUES (?, ?, 'example.org', ?, ?, ?, ?)",
                [(GUILD, f"https://example.org/{start + n}", f"T{start + n}: {text}", text, to_db(NOW), to_db(NOW))
                 for n, text in enumerate(batch)])
            html = await (await client.get("/g/demo/library?sort=new")).text()
            soup = BeautifulSoup(html, "html.parser")
            assert not soup.find_all("script") and not soup.find_all("img") and len(soup.find_all("h1")) == 1
            assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
            hrefs = [a["href"] for a in soup.find_all("a")]
            assert all(re.match(r"^(https?://|webcal://|/|\?|#main$)", href) for href in hrefs), hrefs
            titles = [" ".join(h.get_text().replace("\x00", "").replace("\ufffd", "").split())
                      for h in soup.select("ul.cards h3")]
            for n, text in enumerate(batch):
                expected = " ".join(f"T{start + n}: {text}".replace("\x00", "").replace("\ufffd", "").split())
                assert expected in titles, (text, titles[:3])
