"""The resource library's domain: URLs, sharing, lists, votes, saves, edits, removal, search, seeding."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from bot import guild_config, topics
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed
from bot.gate.inactivity import member_totals
from bot.participation import ParticipationRecorder
from bot.resources import library, search, starter
from bot.resources.model import (
    RESOURCE_COLUMNS,
    DuplicateResource,
    Resource,
    ResourceNotFound,
    clean_note,
    clean_title,
    parse_tags,
)
from bot.resources.urls import normalise_url, title_from_url

GUILD = 111
OTHER_GUILD = 222
ALICE, BOB, CAROL = 1001, 1002, 1003


@pytest.fixture
async def topic_ids(db: Database, clock: FakeClock) -> dict[str, int]:
    for guild in (GUILD, OTHER_GUILD):
        await topics.seed_topics(db, clock, guild)
    return {t.slug: t.id for t in await topics.list_topics(db, GUILD)}


async def share(db: Database, clock: FakeClock, topic_id: int, url: str, *, author: int = ALICE,
                guild: int = GUILD, **fields: str) -> library.Resource:
    draft = library.draft_resource(url=url, **fields)
    return await library.add_resource(db, clock, guild_id=guild, author_id=author, topic_id=topic_id, draft=draft)


# URLs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "stored"), [
    ("HTTPS://Example.ORG/a", "https://example.org/a"),
    ("https://example.org:443/a/", "https://example.org/a"),
    ("http://example.org:80", "http://example.org/"),
    ("http://example.org:8080/x", "http://example.org:8080/x"),
    ("https://example.org/a?utm_source=x&id=3&fbclid=y&gclid=z#section", "https://example.org/a?id=3"),
    ("https://example.org/a?UTM_Medium=x", "https://example.org/a"),
    ("https://example.org/?", "https://example.org/"),
    ("example.org/page", "https://example.org/page"),
    ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
    ("https://[2001:DB8::1]/a", "https://[2001:db8::1]/a"),
    ("https://example.org./a", "https://example.org/a"),
    ("https://example.org/a%20b", "https://example.org/a%20b"),
])
def test_urls_are_normalised(typed: str, stored: str) -> None:
    assert normalise_url(typed) == stored


@pytest.mark.parametrize(("typed", "complaint"), [
    ("", "Give a link"),
    ("ftp://example.org/file", "Only http"),
    ("javascript:alert(1)", "cannot be read"),
    ("https://user:pw@example.org/", "user name or password"),
    ("https://exa mple.org/", "spaces"),
    ("https://example.org/" + "a" * 2048, "2048"),
    ("https://example.org:99999/", "cannot be read"),
    ("https:///path-only", "no host"),
    ("https://exa_mple..org/", "not a valid domain"),
])
def test_bad_urls_are_refused_with_the_reason(typed: str, complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint):
        normalise_url(typed)


def test_resource_columns_are_selected_in_the_resource_fields_order() -> None:
    # resource_from_row reads rows by position
    selected = [column.split(" AS ")[-1].split(".")[-1] for column in RESOURCE_COLUMNS.split(", ")]
    assert selected == [field.name for field in dataclasses.fields(Resource)]


def test_title_from_url_is_host_and_path() -> None:
    assert title_from_url("https://www.example.org/docs/intro") == "example.org/docs/intro"
    assert title_from_url("https://example.org/") == "example.org"


# Free text ----------------------------------------------------------------------------------
def test_text_fields_are_cleaned_or_refused() -> None:
    assert clean_title("  A\ttitle\nwith  breaks\x00 ") == "A title with breaks"
    assert clean_note("line one\r\n\n\n\nline two\x00") == "line one\n\nline two"
    assert parse_tags("WebGPU, On Device,,webgpu, c++") == ("webgpu", "on-device", "c++")
    with pytest.raises(InvalidInput, match="empty"):
        clean_title(" \x00 ")
    with pytest.raises(InvalidInput, match="200"):
        clean_title("x" * 201)
    with pytest.raises(InvalidInput, match="not a tag"):
        parse_tags("<@&123>")
    with pytest.raises(InvalidInput, match="up to 8"):
        parse_tags(",".join(f"t{i}" for i in range(9)))


# Sharing ------------------------------------------------------------------------------------
async def test_sharing_stores_a_normalised_resource(db: Database, clock: FakeClock,
                                                    topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "HTTPS://Example.org/a/?utm_source=x", title="A guide",
                      note="Read this first", level="Beginner", kind="article", tags="mlops, Guide")
    assert (res.url, res.title, res.note, res.level, res.kind, res.tags) == (
        "https://example.org/a", "A guide", "Read this first", "beginner", "article", ("mlops", "guide"))
    assert (res.topic_slug, res.author_id, res.votes, res.curated, res.removed) == ("mlops", ALICE, 0, False, False)
    assert res.created_at == clock.now()


async def test_a_duplicate_link_is_refused_and_nothing_is_written(db: Database, clock: FakeClock,
                                                                 topic_ids: dict[str, int]) -> None:
    first = await share(db, clock, topic_ids["mlops"], "https://example.org/a?utm_source=x")
    with pytest.raises(DuplicateResource) as refused:
        await share(db, clock, topic_ids["online-learning"], "HTTPS://Example.org/a#top", author=BOB)
    assert refused.value.existing.id == first.id
    assert f"<@{ALICE}>" in refused.value.message and "already shared" in refused.value.message
    assert await library.count_resources(db, GUILD) == 1


async def test_the_same_link_may_be_shared_in_another_guild(db: Database, clock: FakeClock,
                                                           topic_ids: dict[str, int]) -> None:
    await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    other_topic = (await topics.get_topic(db, OTHER_GUILD, "mlops")).id
    await share(db, clock, other_topic, "https://example.org/a", guild=OTHER_GUILD)
    assert await library.count_resources(db, OTHER_GUILD) == 1


async def test_without_a_title_the_host_and_path_are_used(db: Database, clock: FakeClock,
                                                          topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://www.example.org/papers/one")
    assert res.title == "example.org/papers/one"


# Who may add --------------------------------------------------------------------------------
async def test_everyone_may_share_by_default(db: Database) -> None:
    await library.ensure_may_add(db, GUILD, role_ids=[], moderator=False)


async def test_members_policy_needs_the_gate_member_role(db: Database) -> None:
    await library.set_add_policy(db, GUILD, "members")
    with pytest.raises(NotAllowed, match="no member role"):
        await library.ensure_may_add(db, GUILD, role_ids=[], moderator=False)
    await guild_config.set_setting(db, GUILD, "gate.member_role", "555")
    with pytest.raises(NotAllowed, match="<@&555>"):
        await library.ensure_may_add(db, GUILD, role_ids=[999], moderator=False)
    await library.ensure_may_add(db, GUILD, role_ids=[999, 555], moderator=False)
    await library.ensure_may_add(db, GUILD, role_ids=[], moderator=True)


async def test_an_unknown_policy_is_refused(db: Database) -> None:
    with pytest.raises(InvalidInput, match="everyone, members"):
        await library.set_add_policy(db, GUILD, "admins")


# Lists --------------------------------------------------------------------------------------
async def test_list_pages_top_and_new_with_filters(db: Database, clock: FakeClock,
                                                   topic_ids: dict[str, int]) -> None:
    made = []
    for i in range(23):
        clock.advance(timedelta(minutes=1))
        made.append(await share(db, clock, topic_ids["mlops"], f"https://example.org/{i}",
                                level="beginner" if i % 2 else "advanced", kind="paper" if i < 5 else "repo"))
    for voter in (BOB, CAROL):
        await library.toggle_upvote(db, clock, guild_id=GUILD, resource_id=made[3].id, user_id=voter)
    await library.toggle_upvote(db, clock, guild_id=GUILD, resource_id=made[7].id, user_id=BOB)

    top = await library.list_resources(db, GUILD, topic_ids["mlops"], sort="top")
    assert [r.id for r in top.items[:3]] == [made[3].id, made[7].id, made[22].id]
    assert (top.page, top.pages, top.total, len(top.items)) == (0, 3, 23, 10)

    new = await library.list_resources(db, GUILD, topic_ids["mlops"], sort="new", page=2)
    assert [r.id for r in new.items] == [made[2].id, made[1].id, made[0].id]

    beyond = await library.list_resources(db, GUILD, topic_ids["mlops"], sort="new", page=99)
    assert beyond.page == 2

    beginner_papers = await library.list_resources(db, GUILD, topic_ids["mlops"], level="beginner", kind="paper")
    assert {r.id for r in beginner_papers.items} == {made[1].id, made[3].id}
    assert beginner_papers.total == 2


async def test_removed_resources_leave_lists_and_counts(db: Database, clock: FakeClock,
                                                       topic_ids: dict[str, int]) -> None:
    keep = await share(db, clock, topic_ids["mlops"], "https://example.org/keep")
    gone = await share(db, clock, topic_ids["mlops"], "https://example.org/gone")
    await library.remove_resource(db, clock, guild_id=GUILD, resource_id=gone.id, user_id=ALICE, moderator=False)
    page = await library.list_resources(db, GUILD, topic_ids["mlops"])
    assert [r.id for r in page.items] == [keep.id] and page.total == 1
    await library.restore_resource(db, guild_id=GUILD, resource_id=gone.id)
    assert (await library.list_resources(db, GUILD, topic_ids["mlops"])).total == 2


async def test_counts_follow_topic_changes_and_topic_removal(db: Database, clock: FakeClock,
                                                            topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a", level="beginner")
    await library.edit_resource(db, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False,
                                topic_id=topic_ids["online-learning"], level="advanced")
    assert (await library.list_resources(db, GUILD, topic_ids["mlops"])).total == 0
    assert (await library.list_resources(db, GUILD, topic_ids["online-learning"], level="advanced")).total == 1
    await topics.remove_topic(db, guild_id=GUILD, slug="online-learning", force=True)
    moved = await library.get_resource(db, GUILD, res.id)
    assert moved.topic_id is None
    assert await db.fetchval("SELECT SUM(live) FROM resources_counts WHERE guild_id = ? AND topic_id = 0",
                             (GUILD,)) == 1


# Votes and saves ----------------------------------------------------------------------------
async def test_upvote_toggles_and_is_one_per_member(db: Database, clock: FakeClock,
                                                    topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    first = await library.toggle_upvote(db, clock, guild_id=GUILD, resource_id=res.id, user_id=BOB)
    assert first.on and first.resource.votes == 1
    other = await library.toggle_upvote(db, clock, guild_id=GUILD, resource_id=res.id, user_id=CAROL)
    assert other.resource.votes == 2
    again = await library.toggle_upvote(db, clock, guild_id=GUILD, resource_id=res.id, user_id=BOB)
    assert not again.on and again.resource.votes == 1
    assert await db.fetchval("SELECT COUNT(*) FROM resources_votes WHERE resource_id = ?", (res.id,)) == 1


async def test_a_vote_credits_the_sharer_and_taking_it_back_debits_them(db: Database, clock: FakeClock,
                                                                         topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    recorder = ParticipationRecorder(db, clock)
    assert (await library.vote(db, clock, recorder, guild_id=GUILD, resource_id=res.id, user_id=BOB)).on
    await recorder.flush()
    assert (await member_totals(db, GUILD, ALICE)).upvotes_received == 1
    assert not (await library.vote(db, clock, recorder, guild_id=GUILD, resource_id=res.id, user_id=BOB)).on
    await recorder.flush()
    assert (await member_totals(db, GUILD, ALICE)).upvotes_received == 0
    assert (await member_totals(db, GUILD, BOB)).upvotes_received == 0


async def test_a_vote_for_a_resource_without_a_sharer_credits_nobody(db: Database, clock: FakeClock,
                                                                      topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    await db.execute("UPDATE resources SET author_id = NULL WHERE id = ?", (res.id,))  # as /privacy forget does
    recorder = ParticipationRecorder(db, clock)
    assert (await library.vote(db, clock, recorder, guild_id=GUILD, resource_id=res.id, user_id=BOB)).on
    assert recorder.pending == 0


async def test_nobody_upvotes_their_own_share(db: Database, clock: FakeClock, topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    with pytest.raises(NotAllowed, match="cannot upvote"):
        await library.toggle_upvote(db, clock, guild_id=GUILD, resource_id=res.id, user_id=ALICE)
    assert (await library.get_resource(db, GUILD, res.id)).votes == 0


async def test_saving_toggles_and_the_saved_list_pages(db: Database, clock: FakeClock,
                                                       topic_ids: dict[str, int]) -> None:
    made = [await share(db, clock, topic_ids["mlops"], f"https://example.org/{i}") for i in range(12)]
    for res in made:
        clock.advance(timedelta(seconds=1))
        assert (await library.toggle_save(db, clock, guild_id=GUILD, resource_id=res.id, user_id=BOB)).on
    unsaved = await library.toggle_save(db, clock, guild_id=GUILD, resource_id=made[0].id, user_id=BOB)
    assert not unsaved.on
    first = await library.saved_resources(db, GUILD, BOB)
    assert (first.total, first.pages, first.items[0].id) == (11, 2, made[11].id)
    assert (await library.saved_resources(db, GUILD, CAROL)).total == 0


async def test_votes_and_saves_refuse_removed_or_foreign_resources(db: Database, clock: FakeClock,
                                                                   topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    with pytest.raises(ResourceNotFound):
        await library.toggle_upvote(db, clock, guild_id=OTHER_GUILD, resource_id=res.id, user_id=BOB)
    await library.remove_resource(db, clock, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False)
    with pytest.raises(ResourceNotFound):
        await library.toggle_save(db, clock, guild_id=GUILD, resource_id=res.id, user_id=BOB)


# Edit, remove, restore ----------------------------------------------------------------------
async def test_the_sharer_edits_and_a_dash_clears(db: Database, clock: FakeClock, topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a", note="old", tags="a, b")
    edited = await library.edit_resource(db, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False,
                                         title="New title", note="-", tags="-", kind="video")
    assert (edited.title, edited.note, edited.tags, edited.kind) == ("New title", "", (), "video")


async def test_others_cannot_edit_or_remove_but_moderators_can(db: Database, clock: FakeClock,
                                                               topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    with pytest.raises(NotAllowed, match="Manage Messages"):
        await library.edit_resource(db, guild_id=GUILD, resource_id=res.id, user_id=BOB, moderator=False, title="x")
    with pytest.raises(NotAllowed):
        await library.remove_resource(db, clock, guild_id=GUILD, resource_id=res.id, user_id=BOB, moderator=False)
    removed = await library.remove_resource(db, clock, guild_id=GUILD, resource_id=res.id, user_id=BOB,
                                            moderator=True)
    assert removed.removed
    with pytest.raises(ResourceNotFound):
        await library.get_resource(db, GUILD, res.id)


async def test_an_empty_edit_is_refused(db: Database, clock: FakeClock, topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    with pytest.raises(InvalidInput, match="Nothing to change"):
        await library.edit_resource(db, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False)


async def test_restore_needs_a_removed_resource(db: Database, clock: FakeClock, topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    with pytest.raises(InvalidInput, match="not removed"):
        await library.restore_resource(db, guild_id=GUILD, resource_id=res.id)


async def test_a_removed_link_shared_again_points_at_restore(db: Database, clock: FakeClock,
                                                             topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://example.org/a")
    await library.remove_resource(db, clock, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False)
    with pytest.raises(DuplicateResource, match=f"restore id:{res.id}"):
        await share(db, clock, topic_ids["mlops"], "https://example.org/a", author=BOB)


# Search -------------------------------------------------------------------------------------
async def test_search_ranks_title_matches_first_and_matches_prefixes(db: Database, clock: FakeClock,
                                                                     topic_ids: dict[str, int]) -> None:
    in_note = await share(db, clock, topic_ids["mlops"], "https://a.example/1", title="Serving guide",
                          note="covers webgpu briefly among many other things to read about")
    in_title = await share(db, clock, topic_ids["mlops"], "https://b.example/2", title="WebGPU compute")
    await share(db, clock, topic_ids["mlops"], "https://c.example/3", title="Unrelated")
    found = await search.search_resources(db, GUILD, "webgp")
    assert [r.id for r in found] == [in_title.id, in_note.id]


async def test_search_covers_tags_and_host_and_filters_by_topic(db: Database, clock: FakeClock,
                                                                topic_ids: dict[str, int]) -> None:
    tagged = await share(db, clock, topic_ids["mlops"], "https://x.example/1", title="One", tags="drift")
    hosted = await share(db, clock, topic_ids["online-learning"], "https://arxiv.org/abs/1", title="Two")
    assert [r.id for r in await search.search_resources(db, GUILD, "drift")] == [tagged.id]
    assert [r.id for r in await search.search_resources(db, GUILD, "arxiv")] == [hosted.id]
    assert await search.search_resources(db, GUILD, "arxiv", topic_id=topic_ids["mlops"]) == []


async def test_search_skips_removed_and_other_guilds(db: Database, clock: FakeClock,
                                                     topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://x.example/1", title="Feature stores")
    other_topic = (await topics.get_topic(db, OTHER_GUILD, "mlops")).id
    await share(db, clock, other_topic, "https://y.example/1", title="Feature stores elsewhere", guild=OTHER_GUILD)
    assert [r.id for r in await search.search_resources(db, GUILD, "feature")] == [res.id]
    await library.remove_resource(db, clock, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False)
    assert await search.search_resources(db, GUILD, "feature") == []


async def test_search_follows_edits(db: Database, clock: FakeClock, topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://x.example/1", title="Old words")
    await library.edit_resource(db, guild_id=GUILD, resource_id=res.id, user_id=ALICE, moderator=False,
                                title="Brand new")
    assert await search.search_resources(db, GUILD, "old") == []
    assert [r.id for r in await search.search_resources(db, GUILD, "brand")] == [res.id]


@pytest.mark.parametrize("typed", [
    'feature "stores', "feature OR", "NEAR(feature stores)", "-feature", "feature*", "(feature", "feature)",
    "title:feature", "feature AND NOT", "feature 🚀", "^feature", "feature + stores", "FEATURE",
    "feature " + "x " * 600,
])
async def test_search_syntax_never_fails_or_empties(db: Database, clock: FakeClock, topic_ids: dict[str, int],
                                                    typed: str) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://x.example/1", title="Feature stores explained")
    assert [r.id for r in await search.search_resources(db, GUILD, typed)] == [res.id]


async def test_words_missing_together_fall_back_to_any_word(db: Database, clock: FakeClock,
                                                            topic_ids: dict[str, int]) -> None:
    res = await share(db, clock, topic_ids["mlops"], "https://x.example/1", title="Feature stores")
    assert [r.id for r in await search.search_resources(db, GUILD, "feature kubernetes")] == [res.id]


async def test_a_search_without_words_is_refused_clearly(db: Database) -> None:
    with pytest.raises(InvalidInput, match="at least one word"):
        await search.search_resources(db, GUILD, '🚀 *** "" ()')


def test_the_query_quotes_every_word_and_prefixes_the_last() -> None:
    query = search.build_query('say "hi" OR bye* title:Hi NEAR(xy) z')
    assert query is not None
    assert query.all_words == '"say" "hi" "bye" "title" "xy" "z"'
    assert query.any_word == '"say"* OR "hi"* OR "bye"* OR "title"* OR "xy"* OR "z"'


def test_stop_words_only_count_when_there_is_nothing_else() -> None:
    with_others = search.build_query("the theory of the learning")
    assert with_others is not None and with_others.all_words == '"theory" "learning"*'
    alone = search.build_query("The of")
    assert alone is not None and alone.all_words == '"The" "of"*'


def test_a_one_letter_last_word_is_not_a_prefix() -> None:
    query = search.build_query("learning x")
    assert query is not None and query.all_words == '"learning" "x"'


# Starter library ----------------------------------------------------------------------------
async def test_the_starter_library_is_seeded_once_and_curated(db: Database, clock: FakeClock,
                                                              topic_ids: dict[str, int]) -> None:
    added = await starter.seed_starter_library(db, clock, GUILD)
    assert added == sum(len(v) for v in starter.load_starter_library().values())
    assert await starter.seed_starter_library(db, clock, GUILD) == 0
    page = await library.list_resources(db, GUILD, topic_ids["ml-in-browsers"], per_page=50)
    assert 10 <= page.total <= 15
    assert all(r.curated and r.author_id is None for r in page.items)
    assert any("TensorFlow.js" in r.title for r in page.items)


def test_every_starter_resource_is_complete_and_its_link_already_canonical() -> None:
    library_data = starter.load_starter_library()
    assert set(library_data) == {"ml-in-browsers", "online-learning", "mlops"}
    for drafts in library_data.values():
        assert 10 <= len(drafts) <= 15
        for draft in drafts:
            assert draft.title and draft.kind and draft.level and draft.note
    # One topic per link: a link listed twice would be skipped, silently, by the second INSERT OR IGNORE.
    urls = [draft.url for drafts in library_data.values() for draft in drafts]
    assert len(set(urls)) == len(urls)
    # As written in the file (the drafts above are normalised already): no tracking parameters,
    # fragments or odd spellings; normalising may only drop a trailing slash.
    written = json.loads(starter.STARTER_FILE.read_text(encoding="utf-8"))
    for entry in (entry for entries in written.values() for entry in entries):
        assert normalise_url(entry["url"]) in (entry["url"], entry["url"].rstrip("/")), entry["url"]
        assert entry["url"].startswith("https://"), entry["url"]
