"""``python -m bot feed preview URL [--json] [--limit N]``: what the bot would announce for a feed."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from bot.errors import DomainError
from bot.feeds.entries import identify, newest
from bot.feeds.manage import clean_url
from bot.feeds.policy import FeedPolicy
from bot.feeds.problems import NotAFeed
from bot.feeds.reader import FeedReader
from bot.feeds.render import announce
from bot.net import make_session


def iso_utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


async def preview_command(settings: Settings, url: str, *, as_json: bool = False, limit: int = 10) -> int:
    """Print the newest ``limit`` entries as the bot would announce them; non-zero if it is not a feed."""
    if limit < 1:
        print("error: --limit must be 1 or more", file=sys.stderr)
        return 2
    policy = FeedPolicy.from_settings(settings)
    try:
        async with make_session(user_agent=settings.user_agent, allow_private=settings.allow_private_urls) as session:
            read = await FeedReader(session, policy, SystemClock()).read(clean_url(url))
    except NotAFeed as problem:
        print(f"error: {problem.message}", file=sys.stderr)
        for alternate in problem.alternates:
            print(f"  feed: {alternate}", file=sys.stderr)
        return 1
    except DomainError as problem:
        print(f"error: {url} could not be read as a feed: {problem.message}", file=sys.stderr)
        return 1
    assert read.feed is not None
    identities = {id(entry): identity for identity, entry in identify(read.feed.entries)}
    rows = []
    for entry in newest(read.feed.entries, limit):
        announcement = announce(read.feed.title, entry)
        rows.append({"id": identities.get(id(entry), ""), "title": announcement.title, "link": announcement.link,
                     "published": iso_utc(announcement.published), "author": announcement.author,
                     "summary": announcement.summary, "image": announcement.image_url})
    feed_info = {"url": read.url, "title": read.feed.title, "site": read.feed.site_url,
                 "entries": len(read.feed.entries), "malformed": read.feed.malformed}
    if as_json:
        print(json.dumps({"feed": feed_info, "entries": rows}, ensure_ascii=False, indent=2))
    else:
        print(_as_text(feed_info, rows))
    return 0


def _as_text(feed: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [f"{feed['title']} <{feed['url']}>: {feed['entries']} entries"
             + (" (malformed, read leniently)" if feed["malformed"] else "")]
    for number, row in enumerate(rows, start=1):
        lines += ["", f"[{number}] {row['title']}",
                  f"    id:        {row['id']}",
                  f"    link:      {row['link'] or '-'}",
                  f"    published: {row['published'] or '-'}",
                  f"    author:    {row['author'] or '-'}"]
        if row["image"]:
            lines.append(f"    image:     {row['image']}")
        lines.append("    summary:")
        lines += [f"      {line}" for line in (row["summary"] or "-").splitlines()]
    return "\n".join(lines)
