"""The resource library end to end: real discord.py against the stand-in, every command and button."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from hypothesis import strategies as st

from bot import guild_config, topics
from bot.clock import FakeClock
from bot.core import CohortBot
from bot.resources import library, starter
from bot.resources.model import Resource
from tests.conftest import BotRunner
from tests.e2e.any_text import assert_no_pings, drawn
from tests.local_http import serve
from tests.standin import Upload

CURATED_MLOPS = len(starter.load_starter_library()["mlops"])


# Helpers ------------------------------------------------------------------------------------
@pytest.fixture
async def pages() -> AsyncIterator[str]:
    """A website on 127.0.0.1: /og has an og:title, /gone answers 404."""
    app = web.Application()

    async def og(request: web.Request) -> web.Response:
        return web.Response(text='<html><head><meta property="og:title" content="Feature stores, explained">'
                                 "<title>ignored</title></head></html>", content_type="text/html")

    app.router.add_get("/og", og)
    async with serve(app) as base_url:
        yield base_url


async def share(bot: CohortBot, standin: Any, url: str, *, author: Any = None, topic: str = "mlops",
                **fields: str) -> Resource:
    """Put a resource in the library directly (set-up, not what is being tested)."""
    found = await topics.get_topic(bot.db, standin.guild_id, topic)
    return await library.add_resource(bot.db, bot.clock, guild_id=standin.guild_id,
                                      author_id=(author or standin.alice).id, topic_id=found.id,
                                      draft=library.draft_resource(url=url, **fields))


def fields_of(embed: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


def button(reply_or_message: Any, part: str) -> str:
    return next(cid for cid in reply_or_message.component_ids if part in cid)


async def participation(bot: CohortBot, guild_id: int, user_id: int, column: str) -> int:
    await bot.participation.flush()
    return int(await bot.db.fetchval(f"SELECT IFNULL(SUM({column}), 0) FROM participation_daily "
                                     "WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)))




async def first_followup(reply: Any) -> Any:
    return reply.followups[0] if reply.followups else await reply.next_followup()


async def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# /resource add --------------------------------------------------------------------------------
async def test_add_replies_with_the_card_and_its_buttons(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("resource add", user=standin.alice, url="HTTPS://Example.org/a/?utm_source=x#top",
                                topic="mlops", title="A *great* guide", note="Read this, @everyone",
                                level="beginner", kind="article", tags="Guide, Feature stores")
    assert not reply.ephemeral
    card = reply.embeds[0]
    assert (card["title"], card["url"]) == ("A \\*great\\* guide", "https://example.org/a")
    assert "@\u200beveryone" in card["description"]
    shown = fields_of(card)
    assert (shown["Topic"], shown["Level"], shown["Kind"], shown["Tags"], shown["Votes"]) == (
        "MLOps", "beginner", "article", "guide, feature-stores", "0")
    assert shown["Shared by"].startswith(f"<@{standin.alice.id}>")
    stored = await library.find_by_url(bot.db, standin.guild_id, "https://example.org/a")
    assert stored is not None and stored.title == "A *great* guide" and stored.author_id == standin.alice.id
    assert reply.component_ids == [f"resources:upvote:{stored.id}", f"resources:save:{stored.id}"]
    assert await participation(bot, standin.guild_id, standin.alice.id, "resources_shared") == 1
    assert_no_pings(standin)
    standin.assert_clean()


async def test_add_without_a_title_reads_it_from_the_page(standin: Any, bot: CohortBot, pages: str) -> None:
    reply = await standin.slash("resource add", user=standin.alice, url=f"{pages}/og", topic="mlops")
    assert reply.deferred and reply.embeds[0]["title"] == "Feature stores, explained"


async def test_add_falls_back_to_host_and_path_when_the_page_has_no_title(standin: Any, bot: CohortBot,
                                                                          pages: str) -> None:
    reply = await standin.slash("resource add", user=standin.alice, url=f"{pages}/gone/page", topic="mlops")
    assert reply.embeds[0]["title"] == f"{pages.removeprefix('http://')}/gone/page"


async def test_a_duplicate_link_is_refused_with_the_existing_card(standin: Any, bot: CohortBot) -> None:
    await standin.slash("resource add", user=standin.alice, url="https://example.org/a?utm_source=x",
                        topic="mlops", title="First")
    before = await library.count_resources(bot.db, standin.guild_id)
    reply = await standin.slash("resource add", user=standin.bob, url="HTTPS://Example.org/a#top", topic="mlops",
                                title="Second")
    assert reply.ephemeral and "already shared" in reply.text and f"<@{standin.alice.id}>" in reply.content
    assert reply.embeds[0]["title"] == "First"
    assert await library.count_resources(bot.db, standin.guild_id) == before
    assert await participation(bot, standin.guild_id, standin.bob.id, "resources_shared") == 0
    standin.assert_clean()


async def test_bad_input_is_refused_clearly(standin: Any, bot: CohortBot) -> None:
    for options, complaint in (({"url": "ftp://example.org/x"}, "Only http"),
                               ({"url": "https://example.org/x", "tags": "<@&1>"}, "not a tag"),
                               ({"url": "https://example.org/x", "title": "t" * 201}, "keep it to 200"),
                               ({"url": "https://example.org/x", "topic": "nope"}, "no topic")):
        reply = await standin.slash("resource add", user=standin.alice, **{"topic": "mlops", **options})
        assert reply.ephemeral and complaint in reply.text
    standin.assert_clean()


async def test_the_card_is_also_posted_in_the_topic_channel(standin: Any, bot: CohortBot) -> None:
    channel = await standin.add_channel("mlops-resources")
    await until(lambda: bot.get_channel(channel.id) is not None)
    await topics.edit_topic(bot.db, guild_id=standin.guild_id, slug="mlops", channel_id=channel.id)
    reply = await standin.slash("resource add", user=standin.alice, url="https://example.org/c", topic="mlops",
                                title="Posted")
    assert f"<#{channel.id}>" in reply.content
    (posted,) = standin.messages_in(channel)
    assert posted.embeds[0]["title"] == "Posted" and any("resources:upvote:" in c for c in posted.component_ids)
    standin.assert_clean()


async def test_only_members_may_share_when_the_server_says_so(standin: Any, bot: CohortBot) -> None:
    refused = await standin.slash("resource policy", user=standin.alice, who="members")
    assert refused.ephemeral and "Manage Server" in refused.text
    warned = await standin.slash("resource policy", user=standin.admin, who="members")
    assert "No member role is set up" in warned.text
    role = await standin.add_role("Member")
    await guild_config.set_setting(bot.db, standin.guild_id, "gate.member_role", str(role.id))

    outsider = await standin.slash("resource add", user=standin.alice, url="https://example.org/m", topic="mlops",
                                   title="M")
    assert outsider.ephemeral and "Only members" in outsider.text
    await standin.give_roles(standin.alice, role)
    member = await standin.slash("resource add", user=standin.alice, url="https://example.org/m", topic="mlops",
                                 title="M")
    assert not member.ephemeral and member.embeds[0]["title"] == "M"
    moderator = await standin.slash("resource add", user=standin.moderator, url="https://example.org/n",
                                    topic="mlops", title="N")
    assert not moderator.ephemeral
    standin.assert_clean()


async def test_topic_autocomplete_offers_the_guilds_topics(standin: Any, bot: CohortBot) -> None:
    choices = await standin.autocomplete("resource add", focused="topic", user=standin.alice, url="x", topic="ml")
    assert {c["value"] for c in choices} >= {"mlops", "ml-in-browsers"}


# /resource list and paging --------------------------------------------------------------------
async def test_list_pages_keep_working_after_a_restart(standin: Any, bot_runner: BotRunner) -> None:
    bot = await bot_runner.start()
    await topics.add_topic(bot.db, bot.clock, guild_id=standin.guild_id, slug="testing", name="Testing")
    made = [await share(bot, standin, f"https://example.org/{i}", topic="testing", title=f"Item {i}")
            for i in range(12)]
    reply = await standin.slash("resource list", user=standin.bob, topic="testing", sort="new")
    assert reply.embeds[0]["footer"]["text"] == "Page 1/2 · 12 resources"
    assert reply.embeds[0]["fields"][0]["name"].startswith(f"#{made[-1].id} ")

    await standin.click(reply, button(reply, ":next:"), user=standin.bob)
    assert reply.message.embeds[0]["footer"]["text"] == "Page 2/2 · 12 resources"
    assert [f["name"].split()[0] for f in reply.message.embeds[0]["fields"]] == [f"#{made[1].id}", f"#{made[0].id}"]

    await bot_runner.restart(bot)
    back = await standin.click(reply.message, button(reply.message, ":prev:"), user=standin.carol)
    assert back.embeds[0]["footer"]["text"] == "Page 1/2 · 12 resources"
    standin.assert_clean()


async def test_list_filters_by_level_and_kind_and_sorts_by_votes(standin: Any, bot: CohortBot) -> None:
    plain = await share(bot, standin, "https://example.org/plain", title="Plain", level="beginner", kind="paper")
    liked = await share(bot, standin, "https://example.org/liked", title="Liked", level="beginner", kind="paper")
    await share(bot, standin, "https://example.org/other", title="Other", level="advanced", kind="paper")
    await standin.slash("resource upvote", user=standin.bob, id=liked.id)
    reply = await standin.slash("resource list", user=standin.bob, topic="mlops", level="beginner", kind="paper")
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    assert names == [f"#{liked.id} · ▲ 1", f"#{plain.id} · ▲ 0"]
    assert "(beginner · paper)" in reply.embeds[0]["title"]


async def test_the_starter_library_is_there_from_the_start(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("resource list", user=standin.alice, topic="ml-in-browsers")
    assert "TensorFlow.js" in reply.text
    assert reply.embeds[0]["footer"]["text"].endswith(
        f"{len(starter.load_starter_library()['ml-in-browsers'])} resources")
    assert "curated starter library" in reply.text


# Cards, votes and saves -----------------------------------------------------------------------
async def test_the_card_buttons_keep_working_after_a_restart(standin: Any,
                                                                           bot_runner: BotRunner) -> None:
    bot = await bot_runner.start()
    res = await share(bot, standin, "https://example.org/v", title="Vote on me")
    card = await standin.slash("resource show", user=standin.bob, id=res.id)
    voted = await standin.click(card, f"resources:upvote:{res.id}", user=standin.bob)
    assert fields_of(voted.embeds[0])["Votes"] == "1"
    assert "You upvoted" in (await first_followup(voted)).text
    assert await participation(bot, standin.guild_id, standin.alice.id, "upvotes_received") == 1

    bot = await bot_runner.restart(bot)
    unvoted = await standin.click(card.message, f"resources:upvote:{res.id}", user=standin.bob)
    assert fields_of(unvoted.embeds[0])["Votes"] == "0"
    assert "taken back" in (await first_followup(unvoted)).text
    assert (await library.get_resource(bot.db, standin.guild_id, res.id)).votes == 0
    assert await participation(bot, standin.guild_id, standin.alice.id, "upvotes_received") == 0
    saved = await standin.click(card.message, f"resources:save:{res.id}", user=standin.bob)
    assert "Saved" in saved.text
    standin.assert_clean()


async def test_nobody_upvotes_their_own_resource(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/own", title="Mine")
    card = await standin.slash("resource show", user=standin.alice, id=res.id)
    refused = await standin.click(card, f"resources:upvote:{res.id}", user=standin.alice)
    assert refused.ephemeral and "cannot upvote" in refused.text
    by_command = await standin.slash("resource upvote", user=standin.alice, id=res.id)
    assert by_command.ephemeral and "cannot upvote" in by_command.text
    assert (await library.get_resource(bot.db, standin.guild_id, res.id)).votes == 0


async def test_the_upvote_command_toggles(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/u", title="U")
    first = await standin.slash("resource upvote", user=standin.bob, id=res.id)
    assert first.ephemeral and "1 vote." in first.text
    second = await standin.slash("resource upvote", user=standin.bob, id=res.id)
    assert "taken back" in second.text and "0 votes" in second.text


async def test_saving_by_button_and_command_and_the_saved_list(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/s", title="Keep me")
    other = await share(bot, standin, "https://example.org/t", title="Me too")
    card = await standin.slash("resource show", user=standin.bob, id=res.id)
    saved = await standin.click(card, f"resources:save:{res.id}", user=standin.bob)
    assert saved.ephemeral and "Saved" in saved.text
    assert "Saved" in (await standin.slash("resource save", user=standin.bob, id=other.id)).text

    mine = await standin.slash("resource saved", user=standin.bob)
    assert mine.ephemeral and "Keep me" in mine.text and "Me too" in mine.text
    assert "off your saved list" in (await standin.slash("resource save", user=standin.bob, id=res.id)).text
    assert "Keep me" not in (await standin.slash("resource saved", user=standin.bob)).text
    assert "Nothing saved" in (await standin.slash("resource saved", user=standin.carol)).text
    standin.assert_clean()


async def test_show_of_an_unknown_id_says_so(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("resource show", user=standin.alice, id=987654321)
    assert reply.ephemeral and "no resource #987654321" in reply.text


# Search ---------------------------------------------------------------------------------------
async def test_search_finds_by_words_whatever_the_syntax(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/zs", title="Zebrafish stores in practice", tags="quokka")
    for query in ("zebrafish stor", 'zebrafish "stores', "NEAR(zebrafish) OR -stores*", "quok", "(zebrafish",
                  "🚀 zebrafish", "zebrafish kubernetes", "example.org zebra"):
        reply = await standin.slash("resource search", user=standin.alice, query=query)
        assert reply.ephemeral and reply.embeds[0]["fields"][0]["name"].startswith(f"#{res.id} "), query
    in_topic = await standin.slash("resource search", user=standin.alice, query="zebrafish", topic="online-learning")
    assert "No resource matches" in in_topic.text
    curated = await standin.slash("resource search", user=standin.alice, query="vowpal")
    assert "Vowpal Wabbit" in curated.text
    nothing = await standin.slash("resource search", user=standin.alice, query="🚀 *** ()")
    assert nothing.ephemeral and "at least one word" in nothing.text
    standin.assert_clean()


# Edit, remove, restore ------------------------------------------------------------------------
async def test_editing_is_for_the_sharer_and_moderators(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/e", title="Old", note="old note")
    refused = await standin.slash("resource edit", user=standin.bob, id=res.id, title="Hijacked")
    assert refused.ephemeral and "Manage Messages" in refused.text
    edited = await standin.slash("resource edit", user=standin.alice, id=res.id, title="New", note="-",
                                 topic="online-learning", level="advanced")
    assert edited.ephemeral and edited.embeds[0]["title"] == "New"
    by_moderator = await standin.slash("resource edit", user=standin.moderator, id=res.id, tags="fixed")
    assert fields_of(by_moderator.embeds[0])["Tags"] == "fixed"
    stored = await library.get_resource(bot.db, standin.guild_id, res.id)
    assert (stored.title, stored.note, stored.topic_slug, stored.level, stored.tags) == (
        "New", "", "online-learning", "advanced", ("fixed",))
    standin.assert_clean()


async def test_removal_is_soft_and_moderators_restore(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/r", title="Removable")
    refused = await standin.slash("resource remove", user=standin.bob, id=res.id)
    assert refused.ephemeral and "Manage Messages" in refused.text
    removed = await standin.slash("resource remove", user=standin.alice, id=res.id)
    assert "Removed" in removed.text and f"restore id:{res.id}" in removed.text
    assert "Removable" not in (await standin.slash("resource list", user=standin.bob, topic="mlops")).text
    assert (await standin.slash("resource show", user=standin.bob, id=res.id)).ephemeral

    not_a_moderator = await standin.slash("resource restore", user=standin.alice, id=res.id)
    assert not_a_moderator.ephemeral and "Manage Messages" in not_a_moderator.text
    restored = await standin.slash("resource restore", user=standin.moderator, id=res.id)
    assert "Restored" in restored.text
    assert not (await library.get_resource(bot.db, standin.guild_id, res.id)).removed
    standin.assert_clean()


# Link health ----------------------------------------------------------------------------------
async def test_the_link_check_job_is_derived_from_the_database_at_start(standin: Any,
                                                                        bot_runner: BotRunner) -> None:
    bot = await bot_runner.start()
    job = bot.scheduler.get_job("resources:linkcheck")  # scheduled once the starter library was seeded
    assert job is not None
    assert abs((job.next_run_time - (datetime.now(UTC) + timedelta(days=7))).total_seconds()) < 60
    await bot.db.execute("UPDATE resources SET next_check_at = ? WHERE id = 1",
                         ((bot.clock.now() + timedelta(days=2)).isoformat(timespec="seconds"),))

    bot = await bot_runner.restart(bot)
    job = bot.scheduler.get_job("resources:linkcheck")
    assert job is not None
    assert abs((job.next_run_time - (datetime.now(UTC) + timedelta(days=2))).total_seconds()) < 60


async def test_links_failing_two_weekly_checks_are_listed_as_broken(standin: Any, bot_runner: BotRunner,
                                                                    pages: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    bot = await bot_runner.start(clock=clock)
    # The curated links point at the real web; keep this test's checks on 127.0.0.1.
    await bot.db.execute("UPDATE resources SET next_check_at = '9999-01-01T00:00:00+00:00' WHERE curated = 1")
    dead = await share(bot, standin, f"{pages}/gone", title="Dead link")
    await share(bot, standin, f"{pages}/og", title="Live link")
    cog: Any = bot.get_cog("Resources")
    for _ in range(2):
        clock.advance(timedelta(days=7))
        await cog.run_linkcheck()

    refused = await standin.slash("resource broken", user=standin.alice)
    assert refused.ephemeral and "Manage Messages" in refused.text
    reply = await standin.slash("resource broken", user=standin.moderator)
    assert reply.ephemeral and [f["name"].split()[0] for f in reply.embeds[0]["fields"]] == [f"#{dead.id}"]
    assert "HTTP 404" in reply.text
    card = await standin.slash("resource show", user=standin.alice, id=dead.id)
    assert "failing (HTTP 404) for 2 weekly checks" in card.text
    job = bot.scheduler.get_job("resources:linkcheck")
    assert job is not None and job.next_run_time > datetime.now(UTC) + timedelta(days=6)
    standin.assert_clean()


# Import and export ----------------------------------------------------------------------------
async def finished(reply: Any) -> Any:
    """The import's progress message once it says the import finished."""
    await until(lambda: "finished" in reply.message.content, timeout=60)
    return reply.message


async def test_import_reports_bad_rows_in_a_file_and_imports_the_rest(standin: Any, bot: CohortBot) -> None:
    data = ("url,topic,title,level\n"
            "https://example.org/i1,mlops,One,beginner\n"
            "not a link at all,mlops,Two,\n"
            "https://example.org/i3,no-such-topic,Three,\n"
            "https://example.org/i4,online-learning,,expert\n"
            "https://example.org/i5,online-learning,Five,\n")
    reply = await standin.slash("resource import", user=standin.admin, file=Upload("library.csv", data.encode()))
    assert reply.ephemeral
    message = await finished(reply)
    assert "2 imported, 3 of 5 rows not imported" in message.content
    (report,) = message.attachments
    rows = list(csv.reader(io.StringIO(report.data.decode())))
    assert [row[0] for row in rows[1:]] == ["line 3", "line 4", "line 5"]
    assert "spaces" in rows[1][2] and "does not exist" in rows[2][2] and "not a level" in rows[3][2]
    assert await library.find_by_url(bot.db, standin.guild_id, "https://example.org/i5") is not None
    standin.assert_clean()


async def test_import_is_for_server_managers(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("resource import", user=standin.moderator,
                                file=Upload("x.csv", b"url,topic\nhttps://example.org/z,mlops\n"))
    assert reply.ephemeral and "Manage Server" in reply.text
    assert await library.find_by_url(bot.db, standin.guild_id, "https://example.org/z") is None


async def test_a_ten_megabyte_import_shows_progress_and_the_bot_stays_responsive(standin: Any,
                                                                                 bot: CohortBot) -> None:
    note = "n" * 1000
    lines = ["url,topic,title,note"]
    lines += [f"https://example.org/big/{i},mlops,Big {i},{note}" for i in range(9_600)]
    data = "\n".join(lines).encode()
    assert len(data) >= 10_000_000  # 10 MB, under the stand-in's (and Discord's) 10 MiB upload limit
    reply = await standin.slash("resource import", user=standin.admin, file=Upload("big.json.csv", data))

    started = time.perf_counter()
    other = await standin.slash("resource show", user=standin.bob, id=1)
    assert time.perf_counter() - started < 1.0 and not other.ephemeral  # answered while the import runs

    message = await finished(reply)
    assert "9600 imported, 0 of 9600 rows" in message.content and not message.attachments
    assert any("% read" in (old.get("content") or "") for old in message.history)
    assert await library.count_resources(bot.db, standin.guild_id) == 9_600 + sum(
        len(v) for v in starter.load_starter_library().values())
    standin.assert_clean()


async def test_import_of_json(standin: Any, bot: CohortBot) -> None:
    items = [{"url": "https://example.org/j1", "topic": "mlops", "title": "J1", "tags": ["a", "b"]},
             {"url": "https://example.org/j2", "topic": "mlops", "title": "J2", "kind": "podcast"}]
    reply = await standin.slash("resource import", user=standin.admin,
                                file=Upload("items.json", json.dumps(items).encode()))
    message = await finished(reply)
    assert "1 imported, 1 of 2 rows not imported" in message.content
    stored = await library.find_by_url(bot.db, standin.guild_id, "https://example.org/j1")
    assert stored is not None and stored.tags == ("a", "b")


async def test_export_attaches_csv_and_json(standin: Any, bot: CohortBot) -> None:
    await share(bot, standin, "https://example.org/x1", title="Exported", tags="one, two")
    reply = await standin.slash("resource export", user=standin.alice, topic="mlops")
    assert reply.ephemeral and f"{CURATED_MLOPS + 1} resources" in reply.text
    by_name = {file.filename: file.data for file in reply.attachments}
    assert set(by_name) == {"resources-mlops.csv", "resources-mlops.json"}
    as_json = json.loads(by_name["resources-mlops.json"])
    as_csv = list(csv.DictReader(io.StringIO(by_name["resources-mlops.csv"].decode())))
    assert [item["url"] for item in as_json] == [row["url"] for row in as_csv]
    assert as_json[-1]["title"] == "Exported" and as_csv[-1]["tags"] == "one, two"
    assert len(as_json) == CURATED_MLOPS + 1
    standin.assert_clean()


# Any text, any option -------------------------------------------------------------------------

EDGE_CASES = ["", "x", "x" * 6000, "@everyone look", "@here", "<@&{role}>", "<@{user}>", "\u202eevil\u200f",
              "nul\x00byte", "**bold** __under__ `code` ||spoiler|| ~~strike~~", "> quote\n# heading",
              "[click](https://evil.example)", "🚀", "  \n  ", "ﷺ e\u0301"]
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
UNESCAPED_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,20})")
UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)[*_`~|]")


def user_text_shown(embed: dict[str, Any]) -> list[str]:
    """The parts of a card that show what a member typed (not the bot's own "Shared by <@id>")."""
    fields = fields_of(embed)
    return [embed.get("title", ""), embed.get("description") or "", fields.get("Tags", "")]


async def test_any_text_in_any_option_is_shown_escaped_or_refused(standin: Any, bot: CohortBot) -> None:
    role = await standin.add_role("Pingable")
    edges = [e.format(role=role.id, user=standin.bob.id) for e in EDGE_CASES]
    texts = edges + drawn(ANY_TEXT, 25)
    shown = refused = 0
    for i, text in enumerate(texts):
        for option in ("title", "note", "tags"):
            url = f"https://example.org/any/{i}/{option}"
            reply = await standin.slash("resource add", user=standin.alice, url=url, topic="mlops", **{option: text})
            stored = await library.find_by_url(bot.db, standin.guild_id, url)
            if reply.ephemeral:
                refused += 1
                assert stored is None and reply.text and "went wrong" not in reply.text, (option, text)
                continue
            shown += 1
            assert stored is not None, (option, text)
            for part in user_text_shown(reply.embeds[0]):
                assert not UNESCAPED_MENTION.search(part) and not UNESCAPED_MARKDOWN.search(part), (option, part)
        for options in ({"url": text, "title": "Typed link"}, {"url": f"https://example.org/t/{i}", "topic": text}):
            reply = await standin.slash("resource add", user=standin.alice, **{"topic": "mlops", **options})
            if reply.ephemeral:
                assert reply.text and "went wrong" not in reply.text, (options, text)
            else:
                assert reply.embeds[0]["url"].startswith(("http://", "https://")), text
        found = await standin.slash("resource search", user=standin.bob, query=text)
        assert found.ephemeral and "went wrong" not in found.text, text
        assert not UNESCAPED_MENTION.search(found.embeds[0]["title"] if found.embeds else found.text), text
    assert shown and refused  # both outcomes happened, so both were checked
    assert_no_pings(standin)
    standin.assert_clean()


async def test_any_text_in_an_edit_is_shown_escaped_or_refused(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/editable", title="Editable")
    for text in [*EDGE_CASES, *drawn(ANY_TEXT, 15)]:
        for option in ("title", "note", "tags"):
            reply = await standin.slash("resource edit", user=standin.alice, id=res.id, **{option: text})
            assert reply.ephemeral and "went wrong" not in reply.text, (option, text)
            if reply.embeds:
                for part in user_text_shown(reply.embeds[0]):
                    assert not UNESCAPED_MENTION.search(part) and not UNESCAPED_MARKDOWN.search(part)
    listed = await standin.slash("resource list", user=standin.bob, topic="mlops", sort="new")
    assert not UNESCAPED_MENTION.search(listed.embeds[0]["fields"][0]["value"].split("\n")[0])
    assert_no_pings(standin)
    standin.assert_clean()


MASKED_LINK = re.compile(r"\[([^\[\]]*)\]\(([^)\s]*)\)")


async def test_a_title_cannot_point_the_list_link_at_another_site(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/real", title="Docs](https://evil.example) [Docs")
    listed = await standin.slash("resource list", user=standin.bob, topic="mlops", sort="new")
    value = listed.embeds[0]["fields"][0]["value"]
    assert [target for _, target in MASKED_LINK.findall(value)] == [res.url]
    assert "evil.example" not in "".join(target for _, target in MASKED_LINK.findall(value))
    standin.assert_clean()


async def test_any_text_as_a_topic_finds_the_topic_or_is_refused_clearly(standin: Any, bot: CohortBot) -> None:
    """The ``topic:`` option of list, search, export and edit (add's is covered above)."""
    role = await standin.add_role("Pingable")
    res = await share(bot, standin, "https://example.org/topical", title="Topical")
    texts = [e.format(role=role.id, user=standin.bob.id) for e in EDGE_CASES] + drawn(ANY_TEXT, 15)
    texts += ["MLOps", " mlops ", "online-learning"]  # a name, a padded slug and a slug: found
    found = refused = 0
    for i, text in enumerate(texts):
        exporter = await standin.add_member(f"exporter{i}")  # each member may export once every 30 s
        replies = [
            await standin.slash("resource list", user=standin.bob, topic=text),
            await standin.slash("resource search", user=standin.bob, query="topical", topic=text),
            await standin.slash("resource export", user=exporter, topic=text),
            await standin.slash("resource edit", user=standin.alice, id=res.id, topic=text),
        ]
        for reply in replies:
            assert reply.text and "went wrong" not in reply.text, text
            if reply.embeds or reply.attachments:
                found += 1
            else:
                refused += 1
                assert reply.ephemeral and ("no topic" in reply.text or "Nothing to change" in reply.text), text
    assert found and refused  # both outcomes happened, so both were checked
    stored = await library.get_resource(bot.db, standin.guild_id, res.id)
    assert stored.topic_slug == "online-learning"  # where the last edit moved it
    assert_no_pings(standin)
    standin.assert_clean()


async def test_a_refused_export_does_not_count_against_the_cooldown(standin: Any, bot: CohortBot) -> None:
    typo = await standin.slash("resource export", user=standin.alice, topic="mlosp")
    assert typo.ephemeral and "no topic" in typo.text
    fixed = await standin.slash("resource export", user=standin.alice, topic="mlops")
    assert len(fixed.attachments) == 2
    again = await standin.slash("resource export", user=standin.alice, topic="mlops")
    assert again.ephemeral and "Slow down" in again.text and not again.attachments
    other = await standin.slash("resource export", user=standin.bob)
    assert len(other.attachments) == 2  # the cooldown is each member's own
    standin.assert_clean()


async def test_a_forgotten_member_s_resources_stay_without_their_name(standin: Any, bot: CohortBot) -> None:
    res = await share(bot, standin, "https://example.org/kept", title="Kept")
    await bot.db.execute("UPDATE resources SET author_id = NULL WHERE id = ?", (res.id,))  # as /privacy forget does
    card = await standin.slash("resource show", user=standin.bob, id=res.id)
    assert fields_of(card.embeds[0])["Shared by"].startswith("a former member")
    assert "curated" not in card.embeds[0]["footer"]["text"]
