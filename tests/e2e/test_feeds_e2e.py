"""/feed end to end: the real bot, the Discord stand-in, and a real feed server."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot import guild_config, topics
from bot.clock import FakeClock
from bot.core import CohortBot
from bot.db import Database, migrate
from bot.feeds import store
from bot.feeds.fetch import Validators
from cogs.feeds import Feeds
from tests.conftest import BotRunner
from tests.e2e import any_text
from tests.feedserver import FeedServer
from tests.feedserver.shapes import Item, reddit, reddit_post_html, rss20
from tests.standin import RecordedRequest, StandIn

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def lectures(numbers: range | list[int], *, base: datetime = START, **extra: Any) -> list[Item]:
    """Lecture n, published n minutes after a day before ``base``; newest first, as feeds list them."""
    start = base - timedelta(days=1)
    return [Item(f"Lecture {n}", link=f"https://course.example/l/{n}", guid=f"lec-{n}",
                 published=start + timedelta(minutes=n), summary=f"<p>Notes for lecture {n}.</p>",
                 author="Prof. Ng", **extra) for n in sorted(numbers, reverse=True)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def feeds_bot(bot_runner: BotRunner, clock: FakeClock) -> CohortBot:
    return await bot_runner.start(clock=clock)


def cog(bot: CohortBot) -> Feeds:
    found = bot.get_cog("Feeds")  # an instance of the extension's own copy of cogs.feeds, hence no isinstance
    assert found is not None and type(found).__name__ == "Feeds"
    return cast(Feeds, found)


async def next_poll(bot: CohortBot, clock: FakeClock, minutes: int = 10) -> None:
    """What the scheduler does every FEED_POLL_SECONDS, with the fake clock moved on."""
    clock.advance(timedelta(minutes=minutes))
    await cog(bot).poll_job()


def message_posts(standin: StandIn, channel: Any) -> list[RecordedRequest]:
    channel_id = standin.channel(channel).id
    return [r for r in standin.requests_to("POST", f"/channels/{channel_id}/messages") if r.status == 200]


async def add_feed(standin: StandIn, server: FeedServer, path: str = "/feed", **options: Any):
    values = {"channel": standin.general, **options}
    return await standin.slash("feed add", user=standin.admin, url=server.url(path), options=values)


async def test_add_posts_nothing_then_a_new_entry_is_posted_once(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer, clock: FakeClock) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 6)), title="Online Learning 101"))
    reply = await add_feed(standin, feed_server)
    assert reply.ephemeral
    assert "Following #1: Online Learning 101" in reply.text and "5 current entries are marked as seen" in reply.text
    assert [e.get("title") for e in reply.embeds[1:]] == ["Lecture 5", "Lecture 4", "Lecture 3"]
    await next_poll(feeds_bot, clock)
    assert standin.messages_in(standin.general) == []

    feed_server.feed("/feed", rss20(lectures(range(1, 7)), title="Online Learning 101"))
    await next_poll(feeds_bot, clock)
    posted = standin.messages_in(standin.general)
    assert len(posted) == 1
    embed = posted[0].payload["embeds"][0]
    assert embed["title"] == "Lecture 6" and embed["url"] == "https://course.example/l/6"
    assert embed["description"] == "Notes for lecture 6."
    assert embed["author"]["name"] == "Prof. Ng" and embed["footer"]["text"] == "Online Learning 101"
    assert embed["timestamp"].startswith("2026-01-04T12:06:00")
    assert message_posts(standin, standin.general)[0].json["allowed_mentions"] == {"parse": []}

    await next_poll(feeds_bot, clock)
    assert len(standin.messages_in(standin.general)) == 1
    assert standin.messages_in(standin.announcements) == []
    standin.assert_clean()


async def test_a_flood_is_five_posts_and_one_more_line_in_the_topics_channel(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer, clock: FakeClock) -> None:
    studio = await standin.add_channel("online-learning")
    await topics.edit_topic(feeds_bot.db, guild_id=standin.guild_id, slug="online-learning", channel_id=studio.id)
    feed_server.feed("/feed", rss20(lectures([1]), title="Bandits"))
    reply = await standin.slash("feed add", user=standin.admin, url=feed_server.url("/feed"), topic="online-learning")
    assert f"New entries go to <#{studio.id}>" in reply.text
    feed_server.feed("/feed", rss20(lectures(range(1, 10)), title="Bandits"))
    await next_poll(feeds_bot, clock)
    posted = standin.messages_in(studio)
    assert [m.payload["embeds"][0]["title"] for m in posted[:5]] == [f"Lecture {n}" for n in range(5, 10)]
    assert posted[5].payload["content"] == "… and 3 more new entries from **Bandits**: <https://course.example/>"
    assert len(posted) == 6 and standin.messages_in(standin.general) == []
    standin.assert_clean()


async def test_mentions_in_entries_ping_no_one_but_the_chosen_role(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer, clock: FakeClock) -> None:
    learners = await standin.add_role("Learners", mentionable=True)
    feed_server.feed("/feed", rss20([]))
    reply = await add_feed(standin, feed_server, mention_role=learners)
    assert "Following" in reply.text
    loud = Item(f"@everyone new lecture <@&{standin.admin_role.id}> @here", link="https://course.example/x",
                guid="loud", published=START - timedelta(hours=1),
                summary=f"<p>@everyone and &lt;@&amp;{standin.admin_role.id}&gt; and @here, see *this*</p>")
    feed_server.feed("/feed", rss20([loud]))
    await next_poll(feeds_bot, clock)
    [request] = message_posts(standin, standin.general)
    assert request.json["allowed_mentions"] == {"parse": [], "roles": [learners.id]}
    assert request.json["content"] == f"<@&{learners.id}>"
    embed = request.json["embeds"][0]
    assert "@everyone" not in embed["title"] and "@here" not in embed["title"]
    assert f"<@&{standin.admin_role.id}>" not in embed["title"]
    assert "@everyone" not in embed["description"] and f"<@&{standin.admin_role.id}>" not in embed["description"]
    standin.assert_clean()


async def test_a_role_that_cannot_be_pinged_is_pointed_out(standin: StandIn, feeds_bot: CohortBot,
                                                            feed_server: FeedServer) -> None:
    quiet = await standin.add_role("Quiet", mentionable=False)
    feed_server.feed("/feed", rss20([]))
    reply = await add_feed(standin, feed_server, mention_role=quiet)
    assert f"<@&{quiet.id}> is not mentionable" in reply.text


async def test_every_command_works(standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer,
                                   clock: FakeClock) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 4)), title="Course"))
    await add_feed(standin, feed_server, include="lecture", exclude="/quiz/")

    listed = await standin.slash("feed list", user=standin.admin)
    assert listed.ephemeral and "#1 Course" in listed.text and "✅ OK" in listed.text
    assert "Last new entry: none yet" in listed.text and "Next check:" in listed.text
    assert "include `lecture`" in listed.text and "exclude `/quiz/`" in listed.text

    paused = await standin.slash("feed pause", user=standin.admin, id=1)
    assert "Paused feed #1" in paused.text
    assert "⏸️ Paused" in (await standin.slash("feed list", user=standin.admin)).text
    again = await standin.slash("feed pause", user=standin.admin, id=1)
    assert again.ephemeral and "already paused" in again.text
    resumed = await standin.slash("feed resume", user=standin.admin, id=1)
    assert "running again" in resumed.text

    tested = await standin.slash("feed test", user=standin.admin, id=1)
    assert tested.ephemeral and "as a test" in tested.text
    [test_post] = standin.messages_in(standin.general)
    assert "Test post" in test_post.payload["content"]
    assert test_post.payload["embeds"][0]["title"] == "Lecture 3"
    assert test_post.payload["embeds"][0]["footer"]["text"] == "Test post · Course"

    preview = await standin.slash("feed preview", user=standin.admin, url=feed_server.url("/feed"))
    assert preview.ephemeral and [e["title"] for e in preview.embeds] == ["Lecture 3", "Lecture 2", "Lecture 1"]

    choices = await standin.autocomplete("feed remove", focused="id", user=standin.admin, id="cour")
    assert [c["value"] for c in choices] == [1] and choices[0]["name"] == "#1 Course"

    removed = await standin.slash("feed remove", user=standin.admin, id=1)
    assert "Removed feed #1" in removed.text
    assert "No feeds yet" in (await standin.slash("feed list", user=standin.admin)).text
    missing = await standin.slash("feed pause", user=standin.admin, id=1)
    assert missing.ephemeral and "There is no feed #1" in missing.text
    standin.assert_clean()


async def test_members_without_manage_server_cannot_add(standin: StandIn, feeds_bot: CohortBot,
                                                        feed_server: FeedServer) -> None:
    feed_server.feed("/feed", rss20(lectures([1])))
    reply = await standin.slash("feed add", user=standin.alice, url=feed_server.url("/feed"),
                                options={"channel": standin.general})
    assert reply.ephemeral and "Manage Server" in reply.text
    assert await store.count_feeds(feeds_bot.db, standin.guild_id) == 0


async def test_a_url_that_is_not_a_feed_says_why(standin: StandIn, feeds_bot: CohortBot,
                                                 feed_server: FeedServer) -> None:
    feed_server.feed("/api", '{"not": "a feed"}', content_type="application/json")
    reply = await add_feed(standin, feed_server, "/api")
    assert reply.ephemeral and "is not an RSS or Atom feed (it sent application/json)" in reply.text
    missing = await add_feed(standin, feed_server, "/nothing-here")
    assert "the feed is gone (HTTP 404)" in missing.text
    assert await store.count_feeds(feeds_bot.db, standin.guild_id) == 0


async def test_an_html_page_offers_its_feeds_to_pick_from(standin: StandIn, feeds_bot: CohortBot,
                                                          feed_server: FeedServer) -> None:
    feed_server.page("/course", '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                                '<link rel="alternate" type="application/atom+xml" href="/atom.xml"></head></html>')
    feed_server.feed("/feed.xml", rss20(lectures([1, 2]), title="Course RSS"))
    offer = await add_feed(standin, feed_server, "/course")
    assert offer.ephemeral and "is a web page, not a feed" in offer.text and feed_server.url("/feed.xml") in offer.text
    select = next(c for c in offer.components[0]["components"])
    assert [o["label"] for o in select["options"]] == [feed_server.url("/feed.xml"), feed_server.url("/atom.xml")]
    picked = await standin.click(offer, select["custom_id"], user=standin.admin, values=["0"])
    assert "Following #1: Course RSS" in picked.text
    feed = (await store.list_feeds(feeds_bot.db, standin.guild_id))[0]
    assert feed.url == feed_server.url("/feed.xml") and feed.channel_id == standin.general.id
    standin.assert_clean()


async def test_a_disabled_feed_is_reported_once_in_the_mod_log(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer, clock: FakeClock) -> None:
    await guild_config.set_channel(feeds_bot.db, standin.guild_id, "mod_log", standin.mod_log.id)
    feed_server.feed("/feed", rss20(lectures([1]), title="Course"))
    await add_feed(standin, feed_server)
    feed_server.status("/feed", 410)
    await next_poll(feeds_bot, clock)
    await next_poll(feeds_bot, clock, minutes=600)
    [notice] = standin.messages_in(standin.mod_log)
    assert notice.payload["embeds"][0]["title"] == "Feed disabled"
    assert "the feed is gone (HTTP 410)" in notice.payload["embeds"][0]["description"]
    listed = await standin.slash("feed list", user=standin.admin)
    assert "⛔ Disabled: the feed is gone (HTTP 410)" in listed.text
    standin.assert_clean()


async def test_feed_urls_are_added_to_the_announcements_channel_without_a_flood(
        standin: StandIn, bot_runner: BotRunner, feed_server: FeedServer, clock: FakeClock, tmp_path: Path) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 20)), title="Seeded"))
    db = await Database.open(tmp_path / "cohort.db")
    await migrate(db)
    await guild_config.set_channel(db, standin.guild_id, "announcements", standin.announcements.id)
    await db.close()
    bot = await bot_runner.start(clock=clock, feed_urls=(feed_server.url("/feed"),))
    [feed] = await store.list_feeds(bot.db, standin.guild_id)
    assert feed.url == feed_server.url("/feed")
    await next_poll(bot, clock)  # the first poll (this or the job's own, which ran after seeding) is the baseline
    assert standin.messages_in(standin.announcements) == []
    feed_server.feed("/feed", rss20(lectures(range(1, 21)), title="Seeded"))
    await next_poll(bot, clock)
    [post] = standin.messages_in(standin.announcements)
    assert post.payload["embeds"][0]["title"] == "Lecture 20"
    standin.assert_clean()


async def test_the_poll_job_runs_on_its_own(standin: StandIn, bot_runner: BotRunner, feed_server: FeedServer) -> None:
    """With the real clock and FEED_POLL_SECONDS=1, a new entry shows up without any nudge."""
    now = datetime.now(UTC)
    feed_server.feed("/feed", rss20(lectures([1], base=now)))
    bot = await bot_runner.start(feed_poll_seconds=1)
    job = bot.scheduler.get_job("feeds:poll")
    assert job is not None and job.trigger.interval == timedelta(seconds=1)
    await add_feed(standin, feed_server)
    feed_server.feed("/feed", rss20(lectures([1, 2], base=now)))
    for _ in range(40):
        if standin.messages_in(standin.general):
            break
        await asyncio.sleep(0.1)
    [post] = standin.messages_in(standin.general)
    assert post.payload["embeds"][0]["title"] == "Lecture 2"


async def test_kill_9_between_send_and_commit_repeats_only_the_message_in_flight(
        standin: StandIn, feed_server: FeedServer, tmp_path: Path) -> None:
    """The subprocess bot is killed while Discord holds back its answer to the 2nd feed post (the
    message is stored: Discord accepted it, the bot has not recorded that yet). After the restart
    that one post is sent again; nothing else is repeated and nothing is lost."""
    now = datetime.now(UTC)
    feed_server.feed("/feed", rss20(lectures([1], base=now), title="Course"))
    db_path = tmp_path / "cohort.db"
    db = await Database.open(db_path)
    await migrate(db)
    await guild_config.set_channel(db, standin.guild_id, "announcements", standin.announcements.id)
    await db.close()

    in_flight = asyncio.Event()
    feed_posts = f"/channels/{standin.announcements.id}/messages"

    async def hold_second_post(request: RecordedRequest) -> None:
        if request.method == "POST" and request.path == feed_posts and len(message_posts(standin,
                                                                                          standin.announcements)) == 2:
            in_flight.set()
            await asyncio.sleep(30)  # the bot is killed long before this answer would go out

    standin.response_hooks.append(hold_second_post)
    env = {**os.environ, **standin.env, "DATABASE_PATH": str(db_path), "FEED_ALLOW_PRIVATE": "1",
           "FEED_POLL_SECONDS": "1", "FEED_URLS": feed_server.url("/feed"), "LOG_LEVEL": "INFO"}
    log_path = tmp_path / "bot.log"
    first = await _start_bot_process(env, log_path)
    try:
        await _wait_until_baseline_done(db_path, first, log_path)
        feed_server.feed("/feed", rss20(lectures([1, 2, 3, 4, 5], base=now), title="Course"))
        await asyncio.wait_for(in_flight.wait(), timeout=15)
    finally:
        if first.returncode is None:
            first.send_signal(signal.SIGKILL)
        await first.wait()
    assert first.returncode == -signal.SIGKILL, log_path.read_text()[-3000:]
    standin.response_hooks.clear()
    assert [_title(m) for m in standin.messages_in(standin.announcements)] == ["Lecture 2", "Lecture 3"]

    second = await _start_bot_process(env, log_path)
    try:
        for _ in range(150):
            if len(standin.messages_in(standin.announcements)) >= 5:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # a poll more, to show nothing else follows
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=10)
    titles = [_title(m) for m in standin.messages_in(standin.announcements)]
    assert titles == ["Lecture 2", "Lecture 3", "Lecture 3", "Lecture 4", "Lecture 5"], log_path.read_text()[-3000:]


def _title(message: Any) -> str:
    return str(message.payload["embeds"][0]["title"])


async def _start_bot_process(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=REPO, env=env, stdout=log,
                                                    stderr=log)


async def _wait_until_baseline_done(db_path: Path, process: asyncio.subprocess.Process, log_path: Path) -> None:
    for _ in range(150):
        assert process.returncode is None, log_path.read_text()[-3000:]
        if db_path.exists():
            db = await Database.open(db_path)
            try:
                done = await db.fetchval(
                    "SELECT COUNT(*) FROM feeds WHERE needs_baseline = 0 AND body_hash IS NOT NULL")
            except Exception:  # tables not created yet
                done = 0
            finally:
                await db.close()
            if done:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the subprocess bot never read the seeded feed")


# Any text, any option -------------------------------------------------------------------------
def shown_lines(reply: Any) -> list[str]:
    """Every line of every field of a /feed list page."""
    return [line for embed in reply.embeds for field in embed.get("fields", []) for line in field["value"].split("\n")]


def assert_escaped(line: str) -> None:
    """No mention or markup escapes its place: code spans are whole, links hold no spaces or brackets."""
    if line.startswith("<") and line.endswith(">") and not line.startswith("<#"):
        assert not any(c.isspace() or c in "<>`" for c in line[1:-1]), line
        return
    assert line.count("`") % 2 == 0, line
    assert not any_text.UNESCAPED_MENTION.search(any_text.outside_code(line)), line


async def all_list_pages(standin: StandIn) -> list[Any]:
    page = await standin.slash("feed list", user=standin.admin)
    pages = [page]
    while any(":next:" in cid for cid in page.component_ids) and \
            not next(c for c in page.components[0]["components"] if ":next:" in c["custom_id"]).get("disabled"):
        page = await standin.click(page, next(c for c in page.component_ids if ":next:" in c), user=standin.admin)
        pages.append(page)
    return pages


async def test_any_text_in_feed_add_options_is_stored_and_shown_escaped_or_refused(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 4)), title="Course"))
    feed_server.feed("/api", '{"not": "a feed"}', content_type="application/json")
    role = await standin.add_role("Pingable")
    followed = refused = 0
    for i, text in enumerate(any_text.texts(standin, role, 8)):
        for option, url, value in (("include", feed_server.url(f"/feed?include={i}"), text),
                                   ("exclude", feed_server.url(f"/feed?exclude={i}"), text),
                                   ("url", "", (feed_server.url(f"/feed?{i}=") + text)[:6000]),
                                   ("url", "", (feed_server.url(f"/api?{i}=") + text)[:6000]),
                                   ("url", "", text)):
            options = {"url": url, option: value}
            before = await store.count_feeds(feeds_bot.db, standin.guild_id)
            reply = await standin.slash("feed add", user=standin.admin, options={"channel": standin.general, **options})
            count = await store.count_feeds(feeds_bot.db, standin.guild_id)
            assert reply.ephemeral and reply.text and "went wrong" not in reply.text, (option, text)
            if "Following #" not in reply.text:
                refused += 1
                assert count == before, (option, text)
                continue
            followed += 1
            assert count == before + 1 and [e.get("title") for e in reply.embeds[1:]] == [
                "Lecture 3", "Lecture 2", "Lecture 1"], (option, text)
            feed = (await store.list_feeds(feeds_bot.db, standin.guild_id))[-1]
            if option != "url":
                assert getattr(feed, f"{option}_filter") == text.replace("\x00", "").strip(), (option, text)
    assert followed and refused  # both outcomes happened, so both were checked
    pages = await all_list_pages(standin)
    assert sum(len(p.embeds[0].get("fields", [])) for p in pages) == followed
    for line in (line for page in pages for line in shown_lines(page)):
        assert_escaped(line)
    any_text.assert_no_pings(standin)
    standin.assert_clean()


async def test_any_text_as_a_preview_url_is_shown_or_refused(standin: StandIn, feeds_bot: CohortBot,
                                                               feed_server: FeedServer) -> None:
    feed_server.feed("/feed", rss20(lectures(range(1, 4)), title="Course"))
    feed_server.feed("/api", '{"not": "a feed"}', content_type="application/json")
    role = await standin.add_role("Pingable")
    shown = 0
    for i, text in enumerate(any_text.texts(standin, role, 10)):
        for url in (text, (feed_server.url(f"/feed?{i}=") + text)[:6000], (feed_server.url("/api?") + text)[:6000]):
            reply = await standin.slash("feed preview", user=standin.alice, url=url)
            assert reply.ephemeral and reply.text and "went wrong" not in reply.text, url
            if reply.embeds:
                shown += 1
                assert [e["title"] for e in reply.embeds] == ["Lecture 3", "Lecture 2", "Lecture 1"], url
            else:
                assert not any_text.UNESCAPED_MENTION.search(any_text.outside_code(reply.text)), url
    assert shown
    any_text.assert_no_pings(standin)
    standin.assert_clean()



async def test_a_full_list_page_of_long_feeds_stays_within_discords_limits(
        standin: StandIn, feeds_bot: CohortBot, clock: FakeClock) -> None:
    now = clock.now()
    for n in range(9):
        feed_id = await store.insert_feed(
            feeds_bot.db, guild_id=standin.guild_id, url=f"https://feeds.example/{n}/" + "p_" * 900,
            title="_*" * 150, site_url=None, channel_id=standin.general.id, topic_id=None,
            include_filter="word_" * 40, exclude_filter="/" + "x|" * 99 + "/", mention_role_id=standin.admin_role.id,
            created_by=None, now=now, next_check_at=now)
        assert feed_id is not None
        await store.record_read(feeds_bot.db, feed_id, now=now, next_check_at=now, validators=Validators(),
                                body_hash=None, title="_*" * 150, site_url=None, last_entry_title="*_" * 300,
                                last_entry_at=now)
        await store.record_failure(feeds_bot.db, feed_id, now=now, next_check_at=now, error="`*_" * 200)
    listed = await standin.slash("feed list", user=standin.admin)
    assert listed.embeds[0]["footer"]["text"].endswith("9 feeds")
    assert all("Failing since" in field["value"] for field in listed.embeds[0]["fields"])
    standin.assert_clean()


RAW_MARKUP = re.compile(r"<!--|-->|</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&(#?[A-Za-z0-9]+);")


async def test_a_feed_that_escapes_its_html_twice_posts_clean_text(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer, clock: FakeClock) -> None:
    def posts(*numbers: int) -> list[Item]:
        return [Item(f"[D] Question {n}: what's best &amp; why?", link=f"https://www.reddit.com/r/ml/comments/{n}/",
                     guid=f"t3_{n}", published=START - timedelta(hours=n), author="someone",
                     summary=reddit_post_html(f"<p>Hey Reddit! Post {n}: which <strong>optimiser</strong> do "
                                              "you use?</p><ul><li>Adam</li><li>SGD</li></ul>"))
                for n in numbers]

    feed_server.feed("/r/ml/.rss", reddit(posts(2, 3)), content_type="application/atom+xml; charset=UTF-8")
    await add_feed(standin, feed_server, "/r/ml/.rss")
    feed_server.feed("/r/ml/.rss", reddit(posts(1, 2, 3)), content_type="application/atom+xml; charset=UTF-8")
    await next_poll(feeds_bot, clock)
    [posted] = standin.messages_in(standin.general)
    embed = posted.payload["embeds"][0]
    assert embed["description"].startswith("Hey Reddit! Post 1: which **optimiser** do you use?\n\n- Adam\n- SGD")
    assert "[/u/someone](https://www.reddit.com/user/someone)" in embed["description"]
    assert embed["title"] == "[D] Question 1: what's best & why?"
    for text in (embed["description"], embed["title"], posted.text):
        assert RAW_MARKUP.search(text) is None, text
    standin.assert_clean()


@pytest.mark.parametrize("shape", ["rss", "reddit"])
async def test_a_literal_less_than_in_an_entry_survives(
        standin: StandIn, feeds_bot: CohortBot, feed_server: FeedServer, clock: FakeClock, shape: str) -> None:
    body = "<p>Use a &lt; b when sorting; <code>List&lt;int&gt;</code> keeps its type.</p>"

    def document(*numbers: int) -> str:
        items = [Item(f"Tip {n}", link=f"https://tips.example/{n}", guid=f"tip-{n}",
                      published=START - timedelta(hours=n),
                      summary=reddit_post_html(body) if shape == "reddit" else body) for n in numbers]
        return reddit(items) if shape == "reddit" else rss20(items, cdata=False)

    feed_server.feed("/tips", document(2))
    await add_feed(standin, feed_server, "/tips")
    feed_server.feed("/tips", document(1, 2))
    await next_poll(feeds_bot, clock)
    [posted] = standin.messages_in(standin.general)
    assert posted.payload["embeds"][0]["description"].startswith(
        "Use a < b when sorting; `List<int>` keeps its type.")
