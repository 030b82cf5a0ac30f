"""Topics and guild settings, against a real SQLite file."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import guild_config, topics
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import AlreadyExists, DomainError, InvalidInput
from bot.guilds import ensure_guild

GUILD = 111


async def test_first_sight_seeds_three_topics_once(db: Database, clock: FakeClock) -> None:
    async def seed(guild_id: int) -> None:
        await topics.seed_topics(db, clock, guild_id)

    assert await ensure_guild(db, clock, GUILD, {"topics": seed}) == ["topics"]
    assert await ensure_guild(db, clock, GUILD, {"topics": seed}) == []
    slugs = [t.slug for t in await topics.list_topics(db, GUILD)]
    assert sorted(slugs) == ["ml-in-browsers", "mlops", "online-learning"]


async def test_a_failed_seeder_runs_again_next_time(db: Database, clock: FakeClock) -> None:
    calls = []

    async def flaky(guild_id: int) -> None:
        calls.append(guild_id)
        if len(calls) == 1:
            raise RuntimeError("network down")

    with pytest.raises(RuntimeError):
        await ensure_guild(db, clock, GUILD, {"flaky": flaky})
    assert await ensure_guild(db, clock, GUILD, {"flaky": flaky}) == ["flaky"]
    assert calls == [GUILD, GUILD]


async def test_a_seeder_added_later_still_seeds_a_known_guild(db: Database, clock: FakeClock) -> None:
    seen = []

    async def first(guild_id: int) -> None:
        seen.append("first")

    async def later(guild_id: int) -> None:
        seen.append("later")

    await ensure_guild(db, clock, GUILD, {"first": first})
    assert await ensure_guild(db, clock, GUILD, {"first": first, "later": later}) == ["later"]
    assert seen == ["first", "later"]


async def test_add_edit_remove(db: Database, clock: FakeClock) -> None:
    added = await topics.add_topic(db, clock, guild_id=GUILD, slug="rl", name="Reinforcement learning",
                                   description="Agents", channel_id=5)
    assert added.channel_id == 5
    with pytest.raises(AlreadyExists):
        await topics.add_topic(db, clock, guild_id=GUILD, slug="rl", name="Again")
    edited = await topics.edit_topic(db, guild_id=GUILD, slug="rl", name="RL", channel_id=None, role_id=9)
    assert (edited.name, edited.channel_id, edited.role_id) == ("RL", None, 9)
    await topics.remove_topic(db, guild_id=GUILD, slug="rl")
    assert await topics.list_topics(db, GUILD) == []


async def test_topics_are_per_guild(db: Database, clock: FakeClock) -> None:
    await topics.add_topic(db, clock, guild_id=1, slug="a", name="A")
    await topics.add_topic(db, clock, guild_id=2, slug="a", name="A elsewhere")
    assert [t.name for t in await topics.list_topics(db, 2)] == ["A elsewhere"]


async def test_remove_refuses_while_referenced_unless_forced(db: Database, clock: FakeClock) -> None:
    topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="rl", name="RL")
    await db.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, guild_id INTEGER, "
                     "topic_id INTEGER REFERENCES topics(id) ON DELETE SET NULL)")
    await db.execute("INSERT INTO things (guild_id, topic_id) VALUES (?, ?)", (GUILD, topic.id))
    with pytest.raises(topics.TopicInUse, match="1 thing\\. Move it first"):
        await topics.remove_topic(db, guild_id=GUILD, slug="rl")
    await topics.remove_topic(db, guild_id=GUILD, slug="rl", force=True)
    assert await db.fetchval("SELECT topic_id FROM things") is None


async def test_search_matches_slug_or_name_case_insensitively(db: Database, clock: FakeClock) -> None:
    await topics.seed_topics(db, clock, GUILD)
    assert [t.slug for t in await topics.search_topics(db, GUILD, "ML")][:2] == ["ml-in-browsers", "mlops"]
    assert [t.slug for t in await topics.search_topics(db, GUILD, "predic")] == ["online-learning"]
    assert [t.slug for t in await topics.search_topics(db, GUILD, "Online Prediction")] == ["online-learning"]


@pytest.mark.parametrize("slug", ["", "-x", "x-", "Has Caps", "a" * 41, "sp ace", "ü"])
async def test_bad_slugs_are_refused(db: Database, clock: FakeClock, slug: str) -> None:
    with pytest.raises(InvalidInput, match="slug"):
        await topics.add_topic(db, clock, guild_id=GUILD, slug=slug, name="x")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=150), description=st.text(max_size=400))
async def test_any_name_and_description_is_stored_or_refused_clearly(
        db: Database, clock: FakeClock, name: str, description: str) -> None:
    await db.execute("DELETE FROM topics")
    try:
        topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="t", name=name, description=description)
    except DomainError as error:
        assert error.message
        return
    assert "\x00" not in topic.name and 0 < len(topic.name) <= topics.NAME_MAX
    assert len(topic.description) <= topics.DESCRIPTION_MAX


async def test_guild_settings_round_trip(db: Database) -> None:
    await guild_config.set_channel(db, GUILD, "announcements", 42)
    await guild_config.set_organizer_role(db, GUILD, 7)
    assert await guild_config.set_timezone(db, GUILD, "europe/berlin") == "Europe/Berlin"
    config = await guild_config.get_config(db, GUILD)
    assert (config.announcements_channel_id, config.organizer_role_id, config.timezone) == (42, 7, "Europe/Berlin")
    assert (await guild_config.get_config(db, 999)).timezone == "UTC"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "\x00", "Europe/Berlin" * 10])
def test_unknown_timezones_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        guild_config.parse_timezone(name)


def test_timezone_suggestions_find_berlin_from_berl() -> None:
    assert guild_config.suggest_timezones("berl")[0] == "Europe/Berlin"
    assert len(guild_config.suggest_timezones("a")) <= 25


async def test_a_slug_wins_over_another_topics_name_that_reads_the_same(db: Database, clock: FakeClock) -> None:
    for slug, name in (("ops", "mlops"), ("mlops", "MLOps"), ("b", "ml-ops"), ("ml-ops", "Operations")):
        await topics.add_topic(db, clock, guild_id=GUILD, slug=slug, name=name)
    for typed, meant in (("ml-ops", "ml-ops"), ("ML-Ops", "ml-ops"), ("mlops", "mlops"), ("operations", "ml-ops")):
        assert (await topics.get_topic(db, GUILD, typed)).slug == meant, typed
