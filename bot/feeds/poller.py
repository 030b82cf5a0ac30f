"""The poll cycle: check every feed that is due, decide what to post, and post it exactly once.

Posting goes through an outbox. A check decides what to announce and, in one transaction, marks
every entry of the fetch as seen and queues the posts. :meth:`FeedPoller.drain` then sends the
queue in order and deletes each row only after Discord accepted the message. So a crash (even
``kill -9``) between "Discord accepted" and "row deleted" re-sends that one message after the
restart, and nothing else is sent twice or lost. We chose at-least-once for the in-flight message
over at-most-once: a course update that silently never appears is worse than one repeated post.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot import guild_config, topics
from bot.clock import Clock
from bot.db import Database
from bot.feeds import store
from bot.feeds.entries import identify, identity_hash, oldest_first, parse_filter, too_old, wanted
from bot.feeds.parse import FeedEntry, ParsedFeed
from bot.feeds.policy import FeedPolicy
from bot.feeds.problems import FeedProblem
from bot.feeds.reader import FeedRead, FeedReader
from bot.feeds.render import announce
from bot.feeds.store import Feed, OutboxItem

log = logging.getLogger(__name__)

MAX_AGE_SETTING = "feeds.max_age_days"
Outcome = Literal["unchanged", "read", "baseline", "waiting", "failed", "disabled"]


class DeliveryFailed(Exception):
    """Discord did not take a post. ``permanent``: it never will (channel gone, no access)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Publisher(Protocol):
    """Sends one queued post; raises :class:`DeliveryFailed` when it could not."""

    async def deliver(self, item: OutboxItem) -> None: ...


@dataclass
class PollReport:
    """What one cycle did, for logs and the benchmark."""

    due: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    delivered: int = 0
    seconds: float = 0.0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


async def target_channel(db: Database, feed: Feed) -> int | None:
    """Where the feed posts: its own channel, else its topic's, else the announcements channel."""
    if feed.channel_id is not None:
        return feed.channel_id
    if feed.topic_id is not None:
        topic = await topics.get_topic_by_id(db, feed.guild_id, feed.topic_id)
        if topic is not None and topic.channel_id is not None:
            return topic.channel_id
    return (await guild_config.get_config(db, feed.guild_id)).announcements_channel_id


async def max_entry_age(db: Database, guild_id: int, default: timedelta) -> timedelta:
    """Entries older than this are skipped; a guild may set ``feeds.max_age_days``."""
    value = await guild_config.get_setting(db, guild_id, MAX_AGE_SETTING)
    try:
        days = float(value) if value is not None else None
    except ValueError:
        days = None
    return timedelta(days=days) if days is not None and 0 < days <= 3650 else default


class FeedPoller:
    """Checks due feeds and drains the outbox. One instance per bot; :meth:`poll` is the job."""

    def __init__(self, db: Database, clock: Clock, reader: FeedReader, publisher: Publisher,
                 policy: FeedPolicy) -> None:
        self.db = db
        self.clock = clock
        self.reader = reader
        self.publisher = publisher
        self.policy = policy
        self._cycle_lock = asyncio.Lock()
        self._drain_lock = asyncio.Lock()

    async def poll(self) -> PollReport:
        """One cycle: check every due feed (concurrently, within the host limits), then post."""
        async with self._cycle_lock:
            started = time.perf_counter()
            now = self.clock.now()
            report = PollReport()
            due = await store.due_feeds(self.db, now)
            report.due = len(due)
            outcomes = await asyncio.gather(*(self._check_guarded(feed, now, report) for feed in due))
            for outcome in outcomes:
                report.count(outcome)
            report.delivered = await self.drain()
            report.seconds = time.perf_counter() - started
            if due:
                log.debug("feed poll: %d due, %s, %d queued, %d posted in %.2f s", report.due, report.outcomes,
                          report.queued, report.delivered, report.seconds)
            return report

    async def _check_guarded(self, feed: Feed, now: datetime, report: PollReport) -> Outcome:
        try:
            return await self.check(feed, now, report)
        except Exception:
            # A bug, not the feed's fault; count it as a failure so the feed backs off, not hot-loops.
            log.exception("unexpected error checking feed %s (%s)", feed.id, feed.url)
            return await self._failed(feed, FeedProblem("an unexpected error on my side; see the bot's logs"), now)

    async def check(self, feed: Feed, now: datetime, report: PollReport | None = None) -> Outcome:
        """Check one feed now: fetch, and queue what is new. Failures are recorded, never raised."""
        try:
            read = await self.reader.read(feed.url, validators=feed.validators, last_hash=feed.body_hash)
        except FeedProblem as problem:
            return await self._failed(feed, problem, now)
        next_check_at = now + self._pause(read.max_age)
        if read.feed is None:
            await store.record_unchanged(self.db, feed.id, now=now, next_check_at=next_check_at,
                                         validators=read.validators, body_hash=read.body_hash)
            return "unchanged"
        identified = [(identity_hash(identity), entry) for identity, entry in identify(read.feed.entries)]
        if feed.needs_baseline:
            await self._remember(feed, read, read.feed, identified, now, next_check_at, [])
            return "baseline"
        channel_id = await target_channel(self.db, feed)
        if channel_id is None:
            await store.record_waiting(self.db, feed.id, now=now, next_check_at=next_check_at,
                                       reason="nowhere to post: give the feed a channel, or set the announcements "
                                              "channel with /config channel")
            return "waiting"
        seen = await store.seen_hashes(self.db, feed.id, [digest for digest, _ in identified])
        fresh = [entry for digest, entry in identified if digest not in seen]
        chosen, more = await self._choose(feed, fresh, now)
        await self._remember(feed, read, read.feed, identified, now, next_check_at, chosen, more, channel_id)
        if report is not None:
            report.queued += len(chosen) + (1 if more else 0)
        return "read"

    async def _choose(self, feed: Feed, fresh: Sequence[FeedEntry], now: datetime) -> tuple[list[FeedEntry], int]:
        """The entries to post (oldest first, at most ``posts_per_poll``, the newest of them) and how
        many more were new and wanted but are only summed up."""
        if not fresh:
            return [], 0
        max_age = await max_entry_age(self.db, feed.guild_id, self.policy.max_entry_age)
        include = parse_filter(feed.include_filter)
        exclude = parse_filter(feed.exclude_filter)
        kept = [e for e in fresh if not too_old(e, now, max_age) and wanted(e, include, exclude)]
        ordered = oldest_first(kept)
        limit = self.policy.posts_per_poll
        return ordered[-limit:], max(len(ordered) - limit, 0)

    async def _remember(self, feed: Feed, read: FeedRead, parsed: ParsedFeed,
                        identified: Sequence[tuple[str, FeedEntry]], now: datetime, next_check_at: datetime,
                        chosen: Sequence[FeedEntry], more: int = 0, channel_id: int | None = None) -> None:
        """In one transaction: every entry seen, the posts queued, the feed's state updated."""
        # HTML → markdown is CPU work (BeautifulSoup, markdownify): a worker thread keeps the loop free.
        announcements = await asyncio.to_thread(lambda: [announce(parsed.title, entry) for entry in chosen])
        last = chosen[-1] if chosen else None
        async with self.db.transaction():
            await store.mark_seen(self.db, feed.id, feed.guild_id, (digest for digest, _ in identified), now)
            await store.forget_seen_before(self.db, feed.id, now - self.policy.forget_after)
            if channel_id is not None:
                for announcement in announcements:
                    await store.enqueue(self.db, guild_id=feed.guild_id, feed_id=feed.id, channel_id=channel_id,
                                        kind="entry", payload=announcement.to_json(), now=now,
                                        mention_role_id=feed.mention_role_id)
                if more:
                    await store.enqueue(self.db, guild_id=feed.guild_id, feed_id=feed.id, channel_id=channel_id,
                                        kind="more", now=now,
                                        payload={"count": more, "feed_title": parsed.title,
                                                 "site_url": parsed.site_url or feed.url})
            await store.record_read(self.db, feed.id, now=now, next_check_at=next_check_at,
                                    validators=read.validators, body_hash=read.body_hash, title=parsed.title,
                                    site_url=parsed.site_url, last_entry_title=last.title if last else None,
                                    last_entry_at=(last.published or now) if last else None)

    def _pause(self, max_age: float | None) -> timedelta:
        """The normal interval, or the server's max-age when it is longer (within reason)."""
        interval = self.policy.poll_interval
        if max_age is not None and max_age > interval.total_seconds():
            return min(timedelta(seconds=max_age), max(self.policy.longest_server_pause, interval))
        return interval

    async def _failed(self, feed: Feed, problem: FeedProblem, now: datetime) -> Outcome:
        """Back off 5 min × 2^n (or longer if the server asked); disable when it is hopeless."""
        pause = self.policy.backoff(feed.failures + 1)
        if problem.retry_after:
            asked = timedelta(seconds=min(problem.retry_after, self.policy.longest_server_pause.total_seconds()))
            pause = max(pause, asked)
        failures = await store.record_failure(self.db, feed.id, now=now, next_check_at=now + pause,
                                              error=problem.message)
        log.info("feed %s (%s) failed (%d in a row): %s", feed.id, feed.url, failures, problem.message)
        if problem.permanent:
            await self.disable(feed, problem.message, now)
            return "disabled"
        if failures >= self.policy.max_failures:
            await self.disable(feed, f"{failures} failed checks in a row; the last: {problem.message}", now)
            return "disabled"
        return "failed"

    async def disable(self, feed: Feed, reason: str, now: datetime) -> None:
        """Stop checking the feed, keep the reason, and tell the admins once in the mod-log channel."""
        mod_log = (await guild_config.get_config(self.db, feed.guild_id)).mod_log_channel_id
        async with self.db.transaction():
            await store.set_status(self.db, feed.id, "disabled", now=now, reason=reason[:500])
            if mod_log is not None:
                await store.enqueue(self.db, guild_id=feed.guild_id, feed_id=feed.id, channel_id=mod_log,
                                    kind="disabled", now=now,
                                    payload={"feed_title": feed.name, "url": feed.url, "reason": reason[:500]})
        if mod_log is None:
            log.warning("feed %s disabled (%s); guild %s has no mod-log channel to tell", feed.id, reason,
                        feed.guild_id)

    async def drain(self) -> int:
        """Send queued posts in order; returns how many Discord accepted.

        A row is deleted only after its message was accepted. A channel that fails for a moment is
        skipped for the rest of this round so its posts stay in order.
        """
        async with self._drain_lock:
            delivered = 0
            held_back: set[int] = set()
            for item in await store.pending_outbox(self.db):
                if item.channel_id in held_back:
                    continue
                try:
                    await self.publisher.deliver(item)
                except DeliveryFailed as failure:
                    await self._undelivered(item, failure, held_back)
                    continue
                # A kill -9 here re-sends this one item after the restart; see the module docstring.
                await store.outbox_done(self.db, item.id)
                delivered += 1
            return delivered

    async def _undelivered(self, item: OutboxItem, failure: DeliveryFailed, held_back: set[int]) -> None:
        attempts = await store.outbox_retry_later(self.db, item.id)
        if not failure.permanent and attempts < self.policy.delivery_attempts:
            held_back.add(item.channel_id)
            return
        await store.outbox_done(self.db, item.id)
        log.warning("dropped a %s post of feed %s for channel %s: %s", item.kind, item.feed_id, item.channel_id,
                    failure.reason)
        if item.kind != "disabled":
            await store.note_error(self.db, item.feed_id, f"could not post in <#{item.channel_id}>: {failure.reason}")
