"""The poll cycle against a real database and a real feed server: what gets posted, when, and once.

Discord is out of the picture here: the publisher below stands in for the channel (the e2e tests
post through the real cog and the Discord stand-in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot import guild_config, topics
from bot.clock import FakeClock
from bot.db import Database
from bot.feeds import manage, store
from bot.feeds.policy import FeedPolicy
from bot.feeds.poller import DeliveryFailed, FeedPoller
from bot.feeds.reader import FeedReader
from bot.feeds.store import OutboxItem
from tests.feedserver import FeedServer
from tests.feedserver.shapes import Item, rss20

GUILD = 1
CHANNEL = 111
MOD_LOG = 999
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@dataclass
class RecordingPublisher:
    """Takes every post, or refuses the ones ``refuse`` names."""

    sent: list[OutboxItem] = field(default_factory=list)
    refuse: dict[int, DeliveryFailed] = field(default_factory=dict)  # by channel

    async def deliver(self, item: OutboxItem) -> None:
        if item.channel_id in self.refuse:
            raise self.refuse[item.channel_id]
        self.sent.append(item)

    def titles(self) -> list[str]:
        return [item.payload["title"] for item in self.sent if item.kind == "entry"]


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def poller(db: Database, clock: FakeClock, reader: FeedReader, publisher: RecordingPublisher,
           policy: FeedPolicy) -> FeedPoller:
    return FeedPoller(db, clock, reader, publisher, policy)


def lectures(numbers: Iterable[int], *, days_ago: float = 0, dated: bool = True) -> list[Item]:
    """Lecture n is published n hours after the start of the day ``days_ago`` days back; newest first."""
    base = START - timedelta(days=days_ago) - timedelta(hours=12)
    return [Item(f"Lecture {n}", link=f"https://course.example/l/{n}", guid=f"lec-{n}",
                 published=base + timedelta(hours=n) if dated else None, summary=f"<p>Lecture {n}.</p>")
            for n in sorted(numbers, reverse=True)]


async def follow(db: Database, clock: FakeClock, reader: FeedReader, server: FeedServer, path: str = "/feed",
                 **options: object) -> store.Feed:
    kwargs: dict[str, object] = {"channel_id": CHANNEL, "topic": None, "include": None, "exclude": None,
                                 "mention_role_id": None}
    kwargs.update(options)
    sub = await manage.subscribe(db, clock, reader, guild_id=GUILD, url=server.url(path), created_by=5,
                                 **kwargs)  # type: ignore[arg-type]
    return sub.feed


async def next_poll(poller: FeedPoller, clock: FakeClock, minutes: int = 10):
    clock.advance(timedelta(minutes=minutes))
    return await poller.poll()


async def test_adding_a_feed_posts_nothing_and_remembers_every_entry(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 31))))
    sub = await manage.subscribe(db, clock, reader, guild_id=GUILD, url=feed_server.url("/feed"), channel_id=CHANNEL,
                                 topic=None, include=None, exclude=None, mention_role_id=None, created_by=5)
    assert sub.entries == 30 and [a.title for a in sub.preview] == ["Lecture 30", "Lecture 29", "Lecture 28"]
    assert await store.count_seen(db, sub.feed.id) == 30
    feed_server.feed("/feed", rss20(lectures(range(1, 31))), etag=False, last_modified=None)  # force a full read
    await next_poll(poller, clock)
    assert publisher.sent == []


async def test_a_new_entry_is_posted_once(db: Database, clock: FakeClock, reader: FeedReader,
                                          feed_server: FeedServer, poller: FeedPoller,
                                          publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1, 2])))
    feed = await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures([1, 2, 3])))
    report = await next_poll(poller, clock)
    assert report.outcomes == {"read": 1} and report.delivered == 1
    assert publisher.titles() == ["Lecture 3"] and publisher.sent[0].channel_id == CHANNEL
    assert (await store.get_feed(db, GUILD, feed.id)).last_entry_title == "Lecture 3"
    report = await next_poll(poller, clock)
    assert report.outcomes == {"unchanged": 1}  # a 304: nothing parsed
    assert publisher.titles() == ["Lecture 3"]
    assert feed_server.requests_for("/feed")[-1].headers.get("If-None-Match")


async def test_a_flood_is_five_posts_oldest_first_and_one_more_line(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures(range(1, 10))))
    await next_poll(poller, clock)
    assert publisher.titles() == [f"Lecture {n}" for n in range(5, 10)]
    more = publisher.sent[-1]
    assert more.kind == "more" and more.payload["count"] == 3
    assert more.payload["site_url"] == "https://course.example/"
    await next_poll(poller, clock)
    assert len(publisher.sent) == 6  # the summed-up ones are not posted later either


async def test_entries_older_than_seven_days_are_skipped_unless_the_guild_says_otherwise(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures([1]) + lectures([2], days_ago=8) + lectures([3], days_ago=20)))
    await next_poll(poller, clock)
    assert publisher.sent == []
    feed_server.feed("/feed", rss20(lectures([1]) + lectures([4], days_ago=8)))
    await guild_config.set_setting(db, GUILD, "feeds.max_age_days", "10")
    await next_poll(poller, clock)
    assert publisher.titles() == ["Lecture 4"]


async def test_a_feed_without_dates_still_works(db: Database, clock: FakeClock, reader: FeedReader,
                                                feed_server: FeedServer, poller: FeedPoller,
                                                publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1, 2], dated=False)))
    await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures([1, 2, 3, 4], dated=False)))
    await next_poll(poller, clock)
    assert publisher.titles() == ["Lecture 3", "Lecture 4"]


async def test_include_and_exclude_filters(db: Database, clock: FakeClock, reader: FeedReader,
                                           feed_server: FeedServer, poller: FeedPoller,
                                           publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20([]))
    await follow(db, clock, reader, feed_server, include="/lecture [0-9]+/", exclude="lecture 2, lecture 4")
    feed_server.feed("/feed", rss20(lectures([1, 2, 3, 4])))
    await next_poll(poller, clock)
    assert publisher.titles() == ["Lecture 1", "Lecture 3"]


async def test_a_feed_is_only_fetched_when_due(db: Database, clock: FakeClock, reader: FeedReader,
                                               feed_server: FeedServer, poller: FeedPoller) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server)
    assert (await poller.poll()).due == 0
    assert (await next_poll(poller, clock, minutes=5)).due == 0
    assert (await next_poll(poller, clock, minutes=5)).due == 1
    assert len(feed_server.requests_for("/feed")) == 2


async def test_a_longer_cache_max_age_is_honoured(db: Database, clock: FakeClock, reader: FeedReader,
                                                  feed_server: FeedServer, poller: FeedPoller) -> None:
    feed_server.feed("/feed", rss20(lectures([1])), headers={"Cache-Control": "max-age=7200"})
    feed = await follow(db, clock, reader, feed_server)
    await next_poll(poller, clock)
    assert (await store.get_feed(db, GUILD, feed.id)).next_check_at == clock.now() + timedelta(hours=2)


async def test_errors_back_off_exponentially_up_to_six_hours_then_disable(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    await guild_config.set_channel(db, GUILD, "mod_log", MOD_LOG)
    feed_server.status("/feed", 500)
    pauses = []
    for _ in range(10):
        clock.set((await store.get_feed(db, GUILD, feed.id)).next_check_at)
        await poller.poll()
        state = await store.get_feed(db, GUILD, feed.id)
        pauses.append(state.next_check_at - clock.now())
    assert [p.total_seconds() / 60 for p in pauses[:7]] == [5, 10, 20, 40, 80, 160, 320]
    assert pauses[7:] == [timedelta(hours=6)] * 3
    assert state.status == "disabled" and state.failures == 10
    assert state.disabled_reason == "10 failed checks in a row; the last: the server answered HTTP 500"
    assert state.failing_since == START + timedelta(minutes=10)
    notices = [item for item in publisher.sent if item.kind == "disabled"]
    assert len(notices) == 1 and notices[0].channel_id == MOD_LOG
    clock.advance(timedelta(days=2))
    assert (await poller.poll()).due == 0  # disabled feeds are left alone; the admins were told once
    assert len([item for item in publisher.sent if item.kind == "disabled"]) == 1


async def test_retry_after_longer_than_the_backoff_is_honoured(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    feed_server.status("/feed", 429, headers={"Retry-After": "5400"})
    await next_poll(poller, clock)
    state = await store.get_feed(db, GUILD, feed.id)
    assert state.next_check_at == clock.now() + timedelta(minutes=90) and state.status == "active"


@pytest.mark.parametrize(("answer", "reason"), [
    ("404", "the feed is gone (HTTP 404)"),
    ("410", "the feed is gone (HTTP 410)"),
    ("html", "is a web page, not a feed"),
])
async def test_permanent_errors_disable_at_once_and_tell_the_mod_log_once(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher, answer: str, reason: str) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    await guild_config.set_channel(db, GUILD, "mod_log", MOD_LOG)
    if answer == "html":
        feed_server.page("/feed", "<html><body>moved</body></html>")
    else:
        feed_server.status("/feed", int(answer))
    assert (await next_poll(poller, clock)).outcomes == {"disabled": 1}
    state = await store.get_feed(db, GUILD, feed.id)
    assert state.status == "disabled" and reason in (state.disabled_reason or "")
    assert [item.kind for item in publisher.sent] == ["disabled"]
    assert reason in publisher.sent[0].payload["reason"]


async def test_a_too_large_feed_is_disabled(db: Database, clock: FakeClock, reader: FeedReader,
                                            feed_server: FeedServer, poller: FeedPoller) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    feed_server.giant("/feed", 50 * 1024 * 1024)
    await next_poll(poller, clock)
    state = await store.get_feed(db, GUILD, feed.id)
    assert state.status == "disabled" and "larger than 5 MB" in (state.disabled_reason or "")


async def test_resume_starts_afresh(db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer,
                                    poller: FeedPoller, publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    feed_server.status("/feed", 410)
    await next_poll(poller, clock)
    feed_server.feed("/feed", rss20(lectures([1, 2])))
    resumed = await manage.resume(db, clock, GUILD, feed.id)
    assert resumed.status == "active" and resumed.failures == 0 and resumed.next_check_at == clock.now()
    await poller.poll()
    assert publisher.titles() == ["Lecture 2"]


async def test_paused_feeds_are_not_checked(db: Database, clock: FakeClock, reader: FeedReader,
                                            feed_server: FeedServer, poller: FeedPoller) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    await manage.pause(db, clock, GUILD, feed.id)
    assert (await next_poll(poller, clock, minutes=60)).due == 0
    with pytest.raises(Exception, match="already paused"):
        await manage.pause(db, clock, GUILD, feed.id)


async def test_a_topic_feed_posts_in_the_topics_channel(db: Database, clock: FakeClock, reader: FeedReader,
                                                        feed_server: FeedServer, poller: FeedPoller,
                                                        publisher: RecordingPublisher) -> None:
    topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps", channel_id=444)
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server, channel_id=None, topic=topic)
    feed_server.feed("/feed", rss20(lectures([1, 2])))
    await next_poll(poller, clock)
    assert [item.channel_id for item in publisher.sent] == [444]


async def test_a_topic_without_a_channel_needs_a_channel(db: Database, clock: FakeClock, reader: FeedReader,
                                                         feed_server: FeedServer) -> None:
    topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps")
    feed_server.feed("/feed", rss20(lectures([1])))
    with pytest.raises(Exception, match="give a channel, or a topic that has a channel"):
        await follow(db, clock, reader, feed_server, channel_id=None, topic=topic)


async def test_seeded_feeds_start_quietly_and_wait_for_an_announcements_channel(
        db: Database, clock: FakeClock, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 20))))
    assert await manage.seed_feeds(db, clock, GUILD, [feed_server.url("/feed")]) == 1
    assert await manage.seed_feeds(db, clock, GUILD, [feed_server.url("/feed")]) == 0  # idempotent
    assert (await poller.poll()).outcomes == {"baseline": 1}
    feed_server.feed("/feed", rss20(lectures(range(1, 21))))
    assert (await next_poll(poller, clock)).outcomes == {"waiting": 1}
    await guild_config.set_channel(db, GUILD, "announcements", 777)
    await next_poll(poller, clock)
    assert publisher.titles() == ["Lecture 20"] and publisher.sent[0].channel_id == 777


async def test_mention_role_travels_with_each_entry(db: Database, clock: FakeClock, reader: FeedReader,
                                                    feed_server: FeedServer, poller: FeedPoller,
                                                    publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server, mention_role_id=321)
    feed_server.feed("/feed", rss20(lectures(range(1, 8))))
    await next_poll(poller, clock)
    assert [(item.kind, item.mention_role_id) for item in publisher.sent] == [("entry", 321)] * 5 + [("more", None)]


async def test_a_channel_failing_for_a_moment_keeps_its_posts_in_order(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures([1, 2, 3])))
    publisher.refuse[CHANNEL] = DeliveryFailed("503 try later", permanent=False)
    await next_poll(poller, clock)
    assert publisher.sent == [] and len(await store.pending_outbox(db)) == 2
    del publisher.refuse[CHANNEL]
    assert await poller.drain() == 2
    assert publisher.titles() == ["Lecture 2", "Lecture 3"]


async def test_a_channel_that_is_gone_drops_its_posts_and_says_why(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures([1, 2])))
    publisher.refuse[CHANNEL] = DeliveryFailed("404 Unknown Channel", permanent=True)
    await next_poll(poller, clock)
    assert await store.pending_outbox(db) == []
    state = await store.get_feed(db, GUILD, feed.id)
    assert state.last_error == f"could not post in <#{CHANNEL}>: 404 Unknown Channel"


async def test_a_crash_after_sending_repeats_only_the_message_in_flight(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, policy: FeedPolicy) -> None:
    """The process dies after Discord took the 2nd post but before the outbox row was deleted."""

    class DiesAfterSecondPost(RecordingPublisher):
        async def deliver(self, item: OutboxItem) -> None:
            await super().deliver(item)
            if len(self.sent) == 2:
                raise SystemExit("killed")

    before = DiesAfterSecondPost()
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures(range(1, 5))))
    clock.advance(timedelta(minutes=10))
    with pytest.raises(SystemExit):
        await FeedPoller(db, clock, reader, before, policy).poll()
    after = RecordingPublisher()
    await FeedPoller(db, clock, reader, after, policy).poll()
    posted = before.titles() + after.titles()
    assert posted == ["Lecture 2", "Lecture 3", "Lecture 3", "Lecture 4"]


async def test_removing_a_feed_forgets_its_entries_and_queued_posts(
        db: Database, clock: FakeClock, reader: FeedReader, feed_server: FeedServer, poller: FeedPoller,
        publisher: RecordingPublisher) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    feed = await follow(db, clock, reader, feed_server)
    feed_server.feed("/feed", rss20(lectures([1, 2])))
    publisher.refuse[CHANNEL] = DeliveryFailed("503", permanent=False)
    await next_poll(poller, clock)
    await manage.remove(db, GUILD, feed.id)
    assert await store.pending_outbox(db) == [] and await store.count_seen(db, feed.id) == 0
    assert await store.count_feeds(db, GUILD) == 0


async def test_the_same_url_twice_is_refused(db: Database, clock: FakeClock, reader: FeedReader,
                                             feed_server: FeedServer) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    await follow(db, clock, reader, feed_server)
    with pytest.raises(Exception, match="already follows that feed"):
        await follow(db, clock, reader, feed_server)
