"""``python -m bot feed preview URL [--json] [--limit N]``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.feeds.cli import preview_command
from tests.feedserver import FeedServer
from tests.feedserver.shapes import Item, html_page, rss20

REPO = Path(__file__).resolve().parents[1]
ENTRIES = [Item("Lecture 2: bandits", link="https://course.example/2", guid="lec-2",
                published=datetime(2026, 1, 5, 9, 30, tzinfo=UTC), author="Prof. Ng",
                summary="<p>Explore <b>vs</b> exploit. @everyone</p><script>x()</script>"),
           Item("Lecture 1", link="https://course.example/1", guid="lec-1")]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(token="", database_path=tmp_path / "cohort.db", allow_private_urls=True)


async def test_text_preview_shows_what_would_be_announced(feed_server: FeedServer, settings: Settings,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    feed_server.feed("/feed", rss20(ENTRIES, title="Bandits course"))
    assert await preview_command(settings, feed_server.url("/feed")) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Bandits course <{feed_server.url('/feed')}>: 2 entries")
    assert "[1] Lecture 2: bandits" in out
    assert "id:        guid:lec-2" in out
    assert "link:      https://course.example/2" in out
    assert "published: 2026-01-05T09:30:00Z" in out
    assert "author:    Prof. Ng" in out
    assert "      Explore **vs** exploit. @\u200beveryone" in out
    assert "x()" not in out
    assert "[2] Lecture 1" in out and "published: -" in out


async def test_json_preview_with_a_limit(feed_server: FeedServer, settings: Settings,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    feed_server.feed("/feed", rss20(ENTRIES))
    assert await preview_command(settings, feed_server.url("/feed"), as_json=True, limit=1) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["feed"]["entries"] == 2
    assert data["entries"] == [{"id": "guid:lec-2", "title": "Lecture 2: bandits", "link": "https://course.example/2",
                                "published": "2026-01-05T09:30:00Z", "author": "Prof. Ng",
                                "summary": "Explore **vs** exploit. @\u200beveryone", "image": None}]


async def test_a_web_page_is_not_a_feed_and_its_feeds_are_listed(feed_server: FeedServer, settings: Settings,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    feed_server.page("/", html_page(("application/atom+xml", "/atom.xml")))
    assert await preview_command(settings, feed_server.url("/")) == 1
    err = capsys.readouterr().err
    assert "is a web page, not a feed" in err and f"feed: {feed_server.url('/atom.xml')}" in err


async def test_unreachable_or_refused_urls_exit_non_zero(feed_server: FeedServer, settings: Settings,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert await preview_command(settings, feed_server.url("/missing")) == 1
    assert "the feed is gone (HTTP 404)" in capsys.readouterr().err
    guarded = Settings(token="", database_path=settings.database_path, allow_private_urls=False)
    assert await preview_command(guarded, feed_server.url("/missing")) == 1
    assert "not a public address" in capsys.readouterr().err
    assert await preview_command(settings, "not a url") == 1
    assert await preview_command(settings, feed_server.url("/feed"), limit=0) == 2


async def test_the_real_command_line(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.feed("/feed", rss20(ENTRIES))
    env = {**os.environ, "FEED_ALLOW_PRIVATE": "1", "DATABASE_PATH": str(tmp_path / "c.db")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feed", "preview", feed_server.url("/feed"), "--json", "--limit", "2",
        cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert [e["id"] for e in json.loads(out)["entries"]] == ["guid:lec-2", "guid:lec-1"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feed", "preview", feed_server.url("/nope"), cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    assert process.returncode == 1 and b"could not be read as a feed" in err
