"""A guild is seeded before anything is handled for it: right after IDENTIFY, and when the bot joins one.

discord.py fires on_ready only ``guild_ready_timeout`` (2 s by default) after the last GUILD_CREATE;
these tests keep that realistic 2 s, so a command sent right after the bot identified arrives well
inside the window in which, before the fix, nothing had been seeded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import topics
from bot.core import CohortBot
from tests.conftest import BotRunner
from tests.standin import StandIn
from tests.standin.state import TEXT, FakeChannel, FakeMember, FakeRole, Guild

READY_TIMEOUT = 2.0  # discord.py's default guild_ready_timeout
SEEDED_TOPICS = ("ML in browsers", "Online prediction & online learning", "MLOps")


async def connected_before_ready(standin: StandIn, bot_runner: BotRunner) -> CohortBot:
    bot = await bot_runner.start(wait_until_ready=False, guild_ready_timeout=READY_TIMEOUT)
    await standin.wait_until_connected(timeout=10)  # READY and GUILD_CREATE sent, on_ready still ~2 s away
    return bot


async def test_topic_list_right_after_identify_shows_the_seeded_topics(
        standin: StandIn, bot_runner: BotRunner) -> None:
    bot = await connected_before_ready(standin, bot_runner)
    reply = await standin.slash("topic list", user=standin.alice)
    assert not bot.is_ready(), "the command must have been answered before on_ready to test the window"
    assert "No topics yet" not in reply.text
    for name in SEEDED_TOPICS:
        assert name in reply.text
    standin.assert_clean()


async def test_topic_add_of_a_seeded_slug_right_after_identify_is_refused(
        standin: StandIn, bot_runner: BotRunner) -> None:
    bot = await connected_before_ready(standin, bot_runner)
    reply = await standin.slash("topic add", user=standin.admin, slug="mlops", name="Mine", description="x")
    assert not bot.is_ready()
    assert reply.ephemeral and "already a topic `mlops`" in reply.text
    assert [t.name for t in await topics.list_topics(bot.db, standin.guild_id) if t.slug == "mlops"] == ["MLOps"]


async def test_about_right_after_identify_counts_the_seeded_topics(standin: StandIn, bot_runner: BotRunner) -> None:
    bot = await connected_before_ready(standin, bot_runner)
    reply = await standin.slash("about", user=standin.alice)
    assert not bot.is_ready()
    assert "3 topics" in reply.text


def second_guild(standin: StandIn) -> tuple[Guild, FakeChannel, FakeMember]:
    """Another server, with an owner, the bot and one member, that the bot has not seen yet."""
    ids = standin.ids
    owner = standin.add_user("second-owner")
    guild = Guild(ids(), "Second server", owner.id)
    guild.roles[guild.id] = FakeRole(guild.id, "@everyone", standin.everyone_role.permissions, 0)
    bot_role = FakeRole(ids(), standin.bot_role.name, standin.bot_role.permissions, 1, managed=True,
                        bot_id=standin.bot_user_id)
    guild.roles[bot_role.id] = bot_role
    channel = FakeChannel(ids(), "lobby", TEXT, guild_id=guild.id, position=0)
    guild.channels[channel.id] = channel
    guild.system_channel_id = channel.id
    joined = dt.datetime.now(dt.UTC)
    guild.members[standin.bot_user_id] = FakeMember(standin.bot_user, [bot_role.id], joined_at=joined)
    guild.members[owner.id] = FakeMember(owner, [], joined_at=joined - dt.timedelta(days=10))
    learner = FakeMember(standin.add_user("second-learner"), [], joined_at=joined - dt.timedelta(days=3))
    guild.members[learner.user.id] = learner
    standin.world.guilds[guild.id] = guild
    return guild, channel, learner


async def guild_seeds(bot: CohortBot, guild_id: int) -> set[str]:
    rows = await bot.db.fetchall("SELECT seeder FROM guild_seeds WHERE guild_id = ?", (guild_id,))
    return {row["seeder"] for row in rows}


async def test_a_guild_that_joins_while_running_is_seeded_before_its_first_command(
        standin: StandIn, bot_runner: BotRunner) -> None:
    bot = await bot_runner.start()
    guild, lobby, learner = second_guild(standin)
    assert await guild_seeds(bot, guild.id) == set()
    await standin.dispatch("GUILD_CREATE", guild.to_gateway_dict(bot_id=standin.bot_user_id,
                                                                 include_all_members=True))
    # Sent at once, before anything waited for the join to be handled.
    reply = await standin.slash("topic list", user=learner, channel=lobby)
    for name in SEEDED_TOPICS:
        assert name in reply.text
    assert {"topics", "resources", "feeds"} <= await guild_seeds(bot, guild.id)
    assert bot.seeding.is_seeded(guild.id)
    # The first guild's topics are its own: nothing was mixed up.
    assert len(await topics.list_topics(bot.db, standin.guild_id)) == 3


async def test_seeding_is_recorded_so_a_restart_does_not_seed_again(standin: StandIn, bot_runner: BotRunner) -> None:
    first = await bot_runner.start()
    await standin.slash("topic remove", user=standin.admin, topic="mlops", force=True)
    second: Any = await bot_runner.restart(first)
    reply = await standin.slash("topic list", user=standin.alice)
    assert "MLOps" not in reply.text  # removed stays removed: the seeder ran once, ever
    assert second.seeding.is_seeded(standin.guild_id)
