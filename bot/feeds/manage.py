"""What the /feed commands do: subscribe without flooding, preview, pause, resume, remove, seed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yarl

from bot import net
from bot.clock import Clock
from bot.db import Database
from bot.errors import AlreadyExists, InvalidInput
from bot.feeds import store
from bot.feeds.entries import identify, identity_hash, newest, parse_filter
from bot.feeds.parse import ParsedFeed
from bot.feeds.reader import FeedReader
from bot.feeds.render import Announcement, announce
from bot.feeds.store import Feed
from bot.topics import Topic

PREVIEW_COUNT = 3
URL_MAX = 2000


@dataclass(frozen=True)
class Subscription:
    feed: Feed
    entries: int  # how many entries were in the feed, all now marked seen
    preview: tuple[Announcement, ...]


@dataclass(frozen=True)
class Preview:
    url: str
    feed: ParsedFeed
    announcements: tuple[Announcement, ...]


def clean_url(url: str) -> str:
    """The URL as typed, trimmed, checked to be http(s) and percent-encoded as it is requested (so
    it holds no spaces, brackets or backticks when shown); raises :class:`InvalidInput`."""
    url = url.replace("\x00", "").strip().strip("<>")
    if len(url) > URL_MAX:
        raise InvalidInput(f"That URL is {len(url)} characters long; feed URLs are shorter than {URL_MAX}.")
    net.check_url_syntax(url)
    try:
        encoded = str(yarl.URL(url))
    except ValueError as exc:
        raise InvalidInput(f"That URL cannot be read ({str(exc)[:100]}); check it and try again.") from exc
    if len(encoded) > URL_MAX:
        raise InvalidInput(f"That URL is {len(encoded)} characters long once encoded; feed URLs are shorter "
                           f"than {URL_MAX}.")
    return encoded


async def preview_feed(reader: FeedReader, url: str, count: int = PREVIEW_COUNT) -> Preview:
    """Read ``url`` now and render its newest ``count`` entries as they would be posted."""
    url = clean_url(url)
    read = await reader.read(url)
    assert read.feed is not None  # no validators were sent, so the body is always parsed
    return Preview(read.url, read.feed, tuple(announce(read.feed.title, e) for e in newest(read.feed.entries, count)))


async def subscribe(db: Database, clock: Clock, reader: FeedReader, *, guild_id: int, url: str,
                    channel_id: int | None, topic: Topic | None, include: str | None, exclude: str | None,
                    mention_role_id: int | None, created_by: int | None) -> Subscription:
    """Add a feed: fetch it once, mark every current entry seen (nothing is posted), show a preview."""
    url = clean_url(url)
    include_filter = parse_filter(include, "include filter")
    exclude_filter = parse_filter(exclude, "exclude filter")
    if channel_id is None and (topic is None or topic.channel_id is None):
        raise InvalidInput("Say where to post: give a channel, or a topic that has a channel.")
    if await store.find_feed_by_url(db, guild_id, url):
        raise AlreadyExists("This server already follows that feed; `/feed list` shows it.")
    read = await reader.read(url)
    assert read.feed is not None
    now = clock.now()
    identities = [identity_hash(identity) for identity, _ in identify(read.feed.entries)]
    async with db.transaction():
        feed_id = await store.insert_feed(
            db, guild_id=guild_id, url=url, title=read.feed.title, site_url=read.feed.site_url,
            channel_id=channel_id, topic_id=topic.id if topic else None, include_filter=include_filter.source,
            exclude_filter=exclude_filter.source, mention_role_id=mention_role_id, created_by=created_by, now=now,
            next_check_at=now + reader.policy.poll_interval, validators=read.validators, body_hash=read.body_hash)
        if feed_id is None:
            raise AlreadyExists("This server already follows that feed; `/feed list` shows it.")
        await store.mark_seen(db, feed_id, guild_id, identities, now)
    feed = await store.get_feed(db, guild_id, feed_id)
    preview = tuple(announce(read.feed.title, e) for e in newest(read.feed.entries, PREVIEW_COUNT))
    return Subscription(feed, len(identities), preview)


async def newest_entry(db: Database, reader: FeedReader, guild_id: int, feed_id: int) -> tuple[Feed, Announcement]:
    """The feed's newest entry, read now, for ``/feed test`` (nothing is marked seen)."""
    feed = await store.get_feed(db, guild_id, feed_id)
    read = await reader.read(feed.url)
    assert read.feed is not None
    entries = newest(read.feed.entries, 1)
    if not entries:
        raise InvalidInput(f"Feed #{feed.id} has no entries right now, so there is nothing to test with.")
    return feed, announce(read.feed.title, entries[0])


async def remove(db: Database, guild_id: int, feed_id: int) -> Feed:
    feed = await store.get_feed(db, guild_id, feed_id)
    await store.delete_feed(db, feed.id)
    return feed


async def pause(db: Database, clock: Clock, guild_id: int, feed_id: int) -> Feed:
    feed = await store.get_feed(db, guild_id, feed_id)
    if feed.status == "paused":
        raise InvalidInput(f"Feed #{feed.id} is already paused; `/feed resume` starts it again.")
    if feed.status == "disabled":
        raise InvalidInput(f"Feed #{feed.id} is disabled ({feed.disabled_reason}); `/feed resume` tries it again, "
                           "`/feed remove` removes it.")
    await store.set_status(db, feed.id, "paused", now=clock.now())
    return await store.get_feed(db, guild_id, feed.id)


async def resume(db: Database, clock: Clock, guild_id: int, feed_id: int) -> Feed:
    """Start a paused or disabled feed again, with a clean slate, checked at the next poll."""
    feed = await store.get_feed(db, guild_id, feed_id)
    if feed.status == "active":
        raise InvalidInput(f"Feed #{feed.id} is already running.")
    await store.set_status(db, feed.id, "active", now=clock.now())
    return await store.get_feed(db, guild_id, feed.id)


async def seed_feeds(db: Database, clock: Clock, guild_id: int, urls: Sequence[str]) -> int:
    """Add ``FEED_URLS`` to a guild seen for the first time; returns how many were new.

    They post to the announcements channel (looked up at each post, so one set later is used).
    Their first good fetch only marks entries seen, so adding them never floods. Idempotent.
    """
    now = clock.now()
    added = 0
    for url in urls:
        feed_id = await store.insert_feed(
            db, guild_id=guild_id, url=clean_url(url), title="", site_url=None, channel_id=None, topic_id=None,
            include_filter="", exclude_filter="", mention_role_id=None, created_by=None, now=now,
            next_check_at=now, needs_baseline=True)
        added += feed_id is not None
    return added
