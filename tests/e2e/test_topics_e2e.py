"""/topic through the stand-in, as members and organisers use it."""

from __future__ import annotations

from typing import Any

from bot import topics
from bot.core import CohortBot


async def add_topic_role(standin: Any, bot: CohortBot, slug: str, **where: Any) -> Any:
    role = await standin.add_role(f"Topic {slug}", **where)
    await standin.slash("topic edit", user=standin.admin, topic=slug, options={"role": role})
    return role


async def test_list_shows_the_seeded_topics(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("topic list", user=standin.alice)
    assert not reply.ephemeral
    for name in ("ML in browsers", "Online prediction & online learning", "MLOps"):
        assert name in reply.text
    standin.assert_clean()


async def test_autocomplete_shows_names_and_sends_slugs(standin: Any, bot: CohortBot) -> None:
    choices = await standin.autocomplete("topic join", focused="topic", user=standin.alice, topic="ML")
    assert [c["value"] for c in choices][:2] == ["ml-in-browsers", "mlops"]
    assert choices[0]["name"] == "ML in browsers"


async def test_join_and_leave_assign_the_topic_role(standin: Any, bot: CohortBot) -> None:
    role = await add_topic_role(standin, bot, "mlops")
    reply = await standin.slash("topic join", user=standin.alice, topic="mlops")
    assert reply.ephemeral and "You joined" in reply.text
    assert role.id in standin.guild.member(standin.alice.id).roles
    again = await standin.slash("topic join", user=standin.alice, topic="mlops")
    assert again.ephemeral and "already" in again.text
    left = await standin.slash("topic leave", user=standin.alice, topic="mlops")
    assert "You left" in left.text and role.id not in standin.guild.member(standin.alice.id).roles
    standin.assert_clean()


async def test_join_a_topic_without_a_role_says_so(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("topic join", user=standin.alice, topic="mlops")
    assert reply.ephemeral and "has no role" in reply.text


async def test_join_a_role_above_the_bot_explains_the_fix(standin: Any, bot: CohortBot) -> None:
    await add_topic_role(standin, bot, "mlops", above=standin.bot_role)
    reply = await standin.slash("topic join", user=standin.alice, topic="mlops")
    assert reply.ephemeral and "above my highest role" in reply.text
    assert not standin.requests_to("PUT", "/guilds/*/members/*/roles/*")


async def test_unknown_topic_is_refused_clearly(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("topic join", user=standin.alice, topic="quantum-baking")
    assert reply.ephemeral and "no topic" in reply.text and "/topic list" in reply.text


async def test_admin_adds_edits_and_removes_a_topic(standin: Any, bot: CohortBot) -> None:
    guild_id = standin.guild_id
    added = await standin.slash("topic add", user=standin.admin, slug="rl", name="Reinforcement learning",
                                description="Agents that learn by acting", options={"channel": standin.general})
    assert "Added topic" in added.text
    stored = await topics.get_topic(bot.db, guild_id, "rl")
    assert stored.channel_id == standin.general.id
    await standin.slash("topic edit", user=standin.admin, topic="rl", name="RL", clear_channel=True)
    stored = await topics.get_topic(bot.db, guild_id, "rl")
    assert (stored.name, stored.channel_id) == ("RL", None)
    removed = await standin.slash("topic remove", user=standin.admin, topic="rl")
    assert "Removed" in removed.text
    assert [t.slug for t in await topics.list_topics(bot.db, guild_id)].count("rl") == 0
    standin.assert_clean()


async def test_a_plain_member_is_refused_admin_subcommands(standin: Any, bot: CohortBot) -> None:
    for command, options in (("topic add", {"slug": "x", "name": "X", "description": "d"}),
                             ("topic edit", {"topic": "mlops", "name": "Y"}),
                             ("topic remove", {"topic": "mlops"})):
        reply = await standin.slash(command, user=standin.alice, **options)
        assert reply.ephemeral and "Manage Server" in reply.text, command
    assert (await topics.get_topic(bot.db, standin.guild_id, "mlops")).name == "MLOps"


async def test_mentions_in_topic_text_ping_no_one(standin: Any, bot: CohortBot) -> None:
    await standin.slash("topic add", user=standin.admin, slug="pings", name="@everyone <@&1>",
                        description="@here **bold**")
    reply = await standin.slash("topic list", user=standin.alice)
    assert reply.raw["data"]["allowed_mentions"] == {"parse": []}
    assert "@\u200beveryone" in reply.text
