"""The web companion with the real bot: /web and /calendar through the stand-in, pages over real HTTP.

The bot binds a free port of its own choosing (``web_port=0``, see bot/config.py) and reports it
as ``bot.web.port``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar

from bot.core import CohortBot
from bot.demo import seed_demo_community
from bot.web import store
from tests.conftest import BotRunner
from tests.standin import StandIn


@pytest.fixture
async def bot(bot_runner: BotRunner) -> CohortBot:
    started = await bot_runner.start(web_port=0)
    assert started.web.running and started.web.port
    return started


def base(bot: CohortBot) -> str:
    return f"http://127.0.0.1:{bot.web.port}"


async def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.text()


async def test_enable_show_disable(standin: StandIn, bot: CohortBot) -> None:
    refused = await standin.slash("web enable", user=standin.alice)
    assert refused.ephemeral and "Manage Server" in refused.text
    assert await store.get_web_guild(bot.db, standin.guild_id) is None

    reply = await standin.slash("web enable", user=standin.admin)
    assert reply.ephemeral and "The web page is **on**" in reply.text
    page = await store.get_web_guild(bot.db, standin.guild_id)
    assert page is not None and page.enabled
    home = f"{base(bot)}/g/{page.slug}"
    assert home in reply.text and f"webcal://127.0.0.1:{bot.web.port}/g/{page.slug}/calendar.ics" in reply.text
    assert "up to a day" in reply.text
    status, headers, body = await fetch(home)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    guild_name = bot.get_guild(standin.guild_id).name  # type: ignore[union-attr]
    assert f"<h1>{guild_name}</h1>" in body

    renamed = await standin.slash("web enable", user=standin.admin, slug="ml-club")
    assert "/g/ml-club" in renamed.text
    assert (await fetch(home))[0] == 404 and (await fetch(f"{base(bot)}/g/ml-club"))[0] == 200
    bad = await standin.slash("web enable", user=standin.admin, slug="Not a slug!")
    assert "lower-case letters" in bad.text

    shown = await standin.slash("web show", user=standin.alice)
    assert "**on**" in shown.text and "/g/ml-club/library" in shown.text

    off = await standin.slash("web disable", user=standin.admin)
    assert "**off**" in off.text
    disabled = await fetch(f"{base(bot)}/g/ml-club")
    unknown = await fetch(f"{base(bot)}/g/no-such-server")
    assert disabled[0] == unknown[0] == 404 and disabled[2] == unknown[2]
    for feed in ("calendar.ics", "resources.atom", "library", "sessions"):
        assert (await fetch(f"{base(bot)}/g/ml-club/{feed}"))[0] == 404
    assert "**off**" in (await standin.slash("web show", user=standin.admin)).text
    standin.assert_clean()


class LogLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_personal_calendar_link_reset_and_a_log_without_the_token(standin: StandIn, bot: CohortBot) -> None:
    lines = LogLines()
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(lines)
    try:
        await seed_demo_community(bot.db, bot.clock, standin.guild_id, host_id=standin.admin.id,
                                  member_ids=[standin.alice.id, standin.bob.id], channel_id=standin.general.id)
        reply = await standin.slash("calendar link", user=standin.alice)
        assert reply.ephemeral and "Keep it secret" in reply.text and "up to a day" in reply.text
        url = re.search(r"(http://\S+/c/(\S+)\.ics)", reply.text)
        assert url is not None
        link, token = url.group(1), url.group(2)
        stored = await bot.db.fetchval("SELECT token_hash FROM web_calendar_tokens WHERE user_id = ?",
                                       (standin.alice.id,))
        assert stored == store.token_hash(token) and token not in stored

        status, headers, body = await fetch(link)
        assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert headers["X-Robots-Tag"] == "noindex"
        calendar = Calendar.from_ical(body)
        summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        assert any(s.startswith("Paper club") for s in summaries), summaries
        plan_title = await bot.db.fetchval("SELECT title FROM plans WHERE guild_id = ?", (standin.guild_id,))
        assert any(s.startswith("Due: ") and plan_title in s for s in summaries), summaries

        again = await standin.slash("calendar link", user=standin.alice)
        assert "cannot be shown again" in again.text and token not in again.text

        reset = await standin.slash("calendar reset", user=standin.alice)
        new = re.search(r"(http://\S+/c/\S+\.ics)", reset.text)
        assert new is not None and new.group(1) != link
        gone = await fetch(link)
        assert gone[0] == 404 and gone[2] == (await fetch(f"{base(bot)}/g/not-a-server"))[2]
        assert (await fetch(new.group(1)))[0] == 200
    finally:
        root.removeHandler(lines)
        root.setLevel(old_level)
    access = [line for line in lines.lines if "/c/" in line]
    assert access and all("/c/[token].ics" in line for line in access), access
    assert not [line for line in lines.lines if token in line]
    standin.assert_clean()


async def test_interactions_are_answered_while_the_web_is_busy(standin: StandIn, bot: CohortBot) -> None:
    """200 web requests in flight, and 50 connections that never finish their request, while
    members use /resource search: every command is answered, every web request gets its page or a 429."""
    await seed_demo_community(bot.db, bot.clock, standin.guild_id, host_id=standin.admin.id,
                              member_ids=[standin.alice.id], channel_id=standin.general.id)
    stalled = []
    for _ in range(50):  # slow clients: a request line and then nothing
        _, writer = await asyncio.open_connection("127.0.0.1", bot.web.port)
        writer.write(b"GET /g/demo/library?q=webgpu HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        stalled.append(writer)
    statuses: list[int] = []
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def one(n: int) -> None:
            async with http.get(f"{base(bot)}/g/demo/library?q=model&page={n % 3 + 1}") as response:
                await response.read()
                statuses.append(response.status)

        web_load = asyncio.gather(*(one(n) for n in range(200)))
        replies = []
        for query in ("webgpu", "mlops", "learning", "model", "pipeline"):
            replies.append(await standin.slash("resource search", user=standin.alice, query=query))
        await web_load
    for writer in stalled:
        assert not writer.is_closing()  # still hanging while every command was answered
        writer.close()
    assert all(reply.ephemeral and reply.embeds for reply in replies)
    assert len(statuses) == 200 and set(statuses) <= {200, 429} and 200 in statuses
    standin.assert_clean()


async def test_web_port_zero_in_the_environment_turns_the_companion_off(bot_runner: BotRunner) -> None:
    quiet: Any = await bot_runner.start()  # Settings made by hand: web_port None, as WEB_PORT=0
    assert not quiet.web.enabled and not quiet.web.running and quiet.web.port is None
