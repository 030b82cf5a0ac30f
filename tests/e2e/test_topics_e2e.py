"""/topic through the stand-in, as members and organisers use it."""

from __future__ import annotations

from typing import Any

from bot import topics
from bot.core import CohortBot
from tests.e2e import any_text


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


# Any text, any option -------------------------------------------------------------------------
def assert_shown_escaped(text: str, context: object) -> None:
    assert not any_text.UNESCAPED_MENTION.search(text), (context, text)
    assert not any_text.UNESCAPED_MARKDOWN.search(text), (context, text)


async def all_topic_pages(standin: Any) -> list[Any]:
    page = await standin.slash("topic list", user=standin.alice)
    pages = [page]
    while any(":next:" in cid for cid in page.component_ids) and \
            not next(c for c in page.components[0]["components"] if ":next:" in c["custom_id"]).get("disabled"):
        page = await standin.click(page, next(c for c in page.component_ids if ":next:" in c), user=standin.alice)
        pages.append(page)
    return pages


async def test_any_text_in_topic_add_and_edit_is_stored_and_shown_escaped_or_refused(
        standin: Any, bot: CohortBot) -> None:
    guild_id = standin.guild_id
    role = await standin.add_role("Pingable")
    added = refused = 0
    for i, text in enumerate(any_text.texts(standin, role, 8)):
        for options in ({"slug": text, "name": "Named", "description": "d"},
                        {"slug": f"name-{i}", "name": text, "description": "d"},
                        {"slug": f"description-{i}", "name": "Described", "description": text}):
            before = len(await topics.list_topics(bot.db, guild_id))
            reply = await standin.slash("topic add", user=standin.admin, **options)
            after = len(await topics.list_topics(bot.db, guild_id))
            assert reply.text and "went wrong" not in reply.text, (options, text)
            assert not any_text.UNESCAPED_MENTION.search(reply.text), (options, reply.text)
            if reply.ephemeral:
                refused += 1
                assert after == before, (options, text)
                continue
            added += 1
            assert after == before + 1 and "Added topic" in reply.text, (options, text)
            stored = await topics.get_topic(bot.db, guild_id, str(options["slug"]))
            typed = {"name": stored.name, "description": stored.description}
            for field in ("name", "description"):
                assert typed[field] == str(options[field]).replace("\x00", "").strip(), (field, text)
        for options in ({"name": text}, {"description": text}):
            reply = await standin.slash("topic edit", user=standin.admin, topic="mlops", **options)
            assert reply.text and "went wrong" not in reply.text, (options, text)
            assert not any_text.UNESCAPED_MENTION.search(reply.text), (options, reply.text)
            if not reply.ephemeral:
                stored = await topics.get_topic(bot.db, guild_id, "mlops")
                assert getattr(stored, next(iter(options))) == text.replace("\x00", "").strip(), (options, text)
        for command in ("topic edit", "topic join"):
            reply = await standin.slash(command, user=standin.admin, topic=text, **(
                {"description": "Edited"} if command == "topic edit" else {}))
            assert reply.text and "went wrong" not in reply.text, (command, text)
            assert not any_text.UNESCAPED_MENTION.search(reply.text), (command, reply.text)
    assert added and refused  # both outcomes happened, so both were checked
    pages = await all_topic_pages(standin)
    shown = [field for page in pages for field in page.embeds[0].get("fields", [])]
    assert len(shown) == len(await topics.list_topics(bot.db, guild_id))
    for field in shown:
        name, _, slug = field["name"].rpartition(" (")
        assert_shown_escaped(name, field)
        assert topics.SLUG.match(slug.rstrip(")")), field
        description = field["value"].split("\n")[0]
        if description != "*No description.*":
            assert_shown_escaped(description, field)
    any_text.assert_no_pings(standin)
    standin.assert_clean()


async def test_ten_topics_with_long_escaped_text_fit_on_one_page(standin: Any, bot: CohortBot) -> None:
    for n in range(10):
        await topics.add_topic(bot.db, bot.clock, guild_id=standin.guild_id, slug=f"{'z' * 30}-{n}",
                               name="_*" * 50, description="*_`" * 100)
    reply = await standin.slash("topic list", user=standin.alice)
    assert len(reply.embeds[0]["fields"]) == 10
    standin.assert_clean()
