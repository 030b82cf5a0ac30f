"""The web companion in a real browser: Playwright driving Debian's Chromium (never `playwright install`).

Skipped only where Chromium is not installed (``make test`` installs it when run as root), with the
reason printed.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.clock import FakeClock, to_db
from bot.db import Database
from tests.web_site import GUILD, NOW, web_client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
PAGES = {"home": "/g/demo", "library": "/g/demo/library", "search": "/g/demo/library?q=webgpu",
         "sessions": "/g/demo/sessions", "plan": "/g/demo/plans/ml-systems-design", "not-found": "/g/nothing-here"}
# (the demo plan's slug is ml-systems-design whether it comes from data/plans or bot/demo.py's own)
WIDTHS = (1280, 360)
# Listens for CSP violations before any page script could run (the pages have none; this is the test's own).
CSP_LISTENER = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=(
    "Chromium is not installed at /usr/bin/chromium: run `apt-get install -y chromium` as root "
    "(`make test` does it when it runs as root)."))


def chromium_major() -> int:
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)\.\d+\.\d+", version)
    assert found, version
    return int(found.group(1))


def playwright_chromium_major() -> int:
    import playwright

    browsers = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    entry = next(b for b in json.loads(browsers.read_text())["browsers"] if b["name"] == "chromium")
    return int(entry["browserVersion"].split(".")[0])


def test_playwright_is_pinned_to_debians_chromium() -> None:
    """Playwright speaks the DevTools protocol of its own Chromium; Debian's must be the same major."""
    assert playwright_chromium_major() == chromium_major(), (
        f"playwright bundles Chromium {playwright_chromium_major()} but Debian has {chromium_major()}: pin "
        "playwright in pyproject.toml to the release made for that Chromium")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def site(db: Database) -> AsyncIterator[str]:
    clock = FakeClock(NOW)
    async with web_client(db, clock) as (client, _):
        yield str(client.make_url("")).rstrip("/")


class Watched:
    """A page whose console errors and CSP violations are collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def csp_violations(self) -> list[str]:
        return list(await self.page.evaluate("window.__csp"))


async def open_page(browser: Any, url: str, *, width: int = 1280, dark: bool = False) -> Watched:
    context = await browser.new_context(viewport={"width": width, "height": 800},
                                        color_scheme="dark" if dark else "light")
    await context.add_init_script(CSP_LISTENER)
    page = await context.new_page()
    watched = Watched(page)
    await page.goto(url, wait_until="load")
    return watched


async def plan_facts(db: Database) -> tuple[str, int, str]:
    """The demo plan's title, number of weeks and week 2's title (the plan runs its second week)."""
    plan = await db.fetchone("SELECT id, title FROM plans WHERE guild_id = ?", (GUILD,))
    assert plan is not None
    weeks = await db.fetchall("SELECT title FROM plans_units WHERE plan_id = ? ORDER BY number", (plan["id"],))
    return plan["title"], len(weeks), weeks[1]["title"]


async def test_home_page_shows_topics_sessions_and_the_plan(browser: Any, site: str, db: Database) -> None:
    watched = await open_page(browser, site + "/g/demo")
    page = watched.page
    assert await page.locator("h1").count() == 1
    assert await page.locator("h1").inner_text() == "Browser ML Learners"
    topics = page.locator("section", has=page.locator("h2", has_text="Topics"))
    assert await topics.locator("li").count() >= 3
    sessions = page.locator("section", has=page.locator("h2", has_text="Sessions in the next 14 days"))
    assert "Paper club: Attention Is All You Need" in await sessions.inner_text()
    assert "going" in await sessions.inner_text()
    plans = page.locator("section", has=page.locator("h2", has_text="Study plans"))
    text = await plans.inner_text()
    plan_title, weeks, week_two = await plan_facts(db)
    assert plan_title in text and f"This week: week 2, {week_two}" in text
    assert await plans.locator("th[scope=row]").count() == weeks
    first_time = page.locator("time").first
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d[+-]\d\d:\d\d$", await first_time.get_attribute("datetime") or "")
    assert "Europe/Berlin" in await first_time.inner_text()
    assert await page.locator("main").count() == 1 and await page.locator("nav").count() >= 1
    atom = page.locator('link[rel=alternate][type="application/atom+xml"]')
    assert (await atom.get_attribute("href") or "").endswith("/g/demo/resources.atom")


async def test_a_search_finds_a_word_in_a_note_and_pages_through(browser: Any, site: str, db: Database) -> None:
    rows = [(GUILD, f"https://example.org/ferns/{n}", "example.org", f"Botany reading {n}",
             f"A walk through fern biology, part {n}", to_db(NOW), to_db(NOW)) for n in range(25)]
    rows.append((GUILD, "https://example.org/axolotl", "example.org", "Regeneration in amphibians",
                 "Why the axolotl regrows limbs", to_db(NOW), to_db(NOW)))
    await db.executemany("INSERT INTO resources (guild_id, url, host, title, note, created_at, next_check_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    watched = await open_page(browser, site + "/g/demo/library")
    page = watched.page
    await page.get_by_label("Words to search for").fill("axolotl")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_load_state("load")
    results = page.locator("main ul.cards > li")
    assert await results.count() == 1
    assert "Regeneration in amphibians" in await results.first.inner_text()

    await page.get_by_label("Words to search for").fill("fern")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_load_state("load")
    assert await results.count() == 20
    first_page = set(await results.locator("h3").all_inner_texts())
    await page.get_by_role("link", name="Next page").click()
    await page.wait_for_load_state("load")
    assert "page=2" in page.url and "q=fern" in page.url
    second_page = set(await results.locator("h3").all_inner_texts())
    assert len(second_page) == 5 and not first_page & second_page
    await page.get_by_role("link", name="Previous page").click()
    await page.wait_for_load_state("load")
    assert set(await results.locator("h3").all_inner_texts()) == first_page
    assert not watched.errors


async def test_dark_mode_changes_the_background(browser: Any, site: str) -> None:
    colours = []
    for dark in (False, True):
        watched = await open_page(browser, site + "/g/demo", dark=dark)
        colours.append(await watched.page.evaluate("getComputedStyle(document.body).backgroundColor"))
    light, dark_colour = colours
    assert light == "rgb(255, 255, 255)"
    assert dark_colour != light and dark_colour == "rgb(18, 19, 23)"


async def test_no_console_errors_and_no_csp_violations(browser: Any, site: str) -> None:
    for name, path in PAGES.items():
        watched = await open_page(browser, site + path)
        assert await watched.csp_violations() == [], name
        unexpected = [e for e in watched.errors if not (name == "not-found" and "404" in e)]
        assert unexpected == [], f"{name}: {unexpected}"
        stylesheet = await watched.page.evaluate("document.styleSheets.length")
        assert stylesheet == 1, f"{name}: the stylesheet did not load"


async def test_axe_finds_no_serious_or_critical_violations(browser: Any, site: str) -> None:
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    for dark in (False, True):
        for name, path in PAGES.items():
            watched = await open_page(browser, site + path, width=360, dark=dark)
            results = await axe.run(watched.page)
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
            assert bad == [], f"{name} ({'dark' if dark else 'light'}): {bad}"


async def test_screenshots_at_desktop_and_phone_width(browser: Any, site: str, tmp_path: Path) -> None:
    for name, path in PAGES.items():
        for width, dark in [(w, False) for w in WIDTHS] + [(WIDTHS[-1], True)]:
            watched = await open_page(browser, site + path, width=width, dark=dark)
            target = tmp_path / f"{name}-{width}{'-dark' if dark else ''}.png"
            await watched.page.screenshot(path=str(target), full_page=True)
            with Image.open(target) as image:
                assert image.width == width and image.height >= 300
                assert len(image.convert("L").getcolors(maxcolors=65536) or []) > 10  # text was drawn, not a blank page
            # Nothing is wider than the phone: no sideways scrolling.
            overflow = await watched.page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{name} at {width}px scrolls sideways ({overflow}px)"
    print(f"screenshots in {tmp_path}")
