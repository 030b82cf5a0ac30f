"""The stand-in checks request bodies against Discord's OpenAPI spec, as Discord would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import handle_message_parameters
from discord.webhook.async_ import interaction_message_response_params

from tests.standin.openapi import generate_subset
from tests.standin.validation import RequestValidator, format_discord_error

CHANNEL_MESSAGES = "/channels/123/messages"
CALLBACK = "/interactions/456/token/callback"
GLOBAL_COMMANDS = "/applications/789/commands"


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return RequestValidator()


def resource_card(title: str = "Attention Is All You Need", description: str = "A classic.") -> discord.Embed:
    """An embed using every part discord.py can send."""
    embed = discord.Embed(
        title=title,
        description=description,
        url="https://example.org/paper",
        colour=discord.Colour.blurple(),
        timestamp=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    )
    embed.add_field(name="Topic", value="mlops", inline=True)
    embed.set_footer(text="Shared by Alice", icon_url="https://example.org/alice.png")
    embed.set_author(name="Cohort", url="https://example.org")
    embed.set_thumbnail(url="https://example.org/thumb.png")
    embed.set_image(url="attachment://chart.png")
    return embed


def resource_buttons() -> discord.ui.View:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Upvote", custom_id="resource:upvote:42", emoji="👍"))
    view.add_item(discord.ui.Button(label="Open", url="https://example.org/paper"))
    view.add_item(
        discord.ui.Select(custom_id="resource:topic:42", options=[discord.SelectOption(label="mlops", emoji="✅")])
    )
    return view


def message_body(**kwargs: Any) -> Any:
    """The JSON body discord.py sends for ``channel.send(**kwargs)``."""
    return handle_message_parameters(**kwargs).payload


def reply_body(**kwargs: Any) -> Any:
    """The JSON body discord.py sends for ``interaction.response.send_message(**kwargs)``."""
    return interaction_message_response_params(type=4, **kwargs).payload


def embed_of_size(characters: int) -> dict[str, Any]:
    """An embed whose counted text (description, field, footer, title, author) totals ``characters``."""
    limits = {"description": 4096, "value": 1024, "text": 2048, "title": 256, "name": 256, "author": 256}
    lengths: dict[str, int] = {}
    for part, limit in limits.items():
        lengths[part] = min(limit, characters - sum(lengths.values()))
    assert sum(lengths.values()) == characters
    return {
        "description": "d" * lengths["description"],
        "fields": [{"name": "n" * lengths["name"], "value": "v" * lengths["value"]}],
        "footer": {"text": "f" * lengths["text"]},
        "title": "t" * lengths["title"],
        "author": {"name": "a" * lengths["author"]},
    }


def command_tree() -> app_commands.CommandTree:
    """A tree with a group, a subcommand group, every option type, permissions, contexts and installs."""
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    resource = app_commands.Group(name="resource", description="The shared resource library")
    admin = app_commands.Group(name="admin", description="Library upkeep", parent=resource)

    @resource.command(name="add", description="Share a learning resource with a topic")
    @app_commands.describe(url="Where it lives", topic="What it is about")
    @app_commands.choices(kind=[app_commands.Choice(name="Video", value="video")])
    async def add(
        interaction: discord.Interaction,
        url: str,
        topic: app_commands.Range[str, 1, 50],
        kind: str,
        votes: app_commands.Range[int, 0, 10] = 0,
        channel: discord.TextChannel | None = None,
        member: discord.Member | None = None,
        role: discord.Role | None = None,
        file: discord.Attachment | None = None,
        pinned: bool = False,
        weight: float = 1.0,
    ) -> None: ...

    @admin.command(name="purge", description="Forget old resources")
    async def purge(interaction: discord.Interaction, days: int) -> None: ...

    @app_commands.command(name="settings", description="Configure Cohort")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def settings(interaction: discord.Interaction) -> None: ...

    @app_commands.context_menu(name="Report message")
    async def report(interaction: discord.Interaction, message: discord.Message) -> None: ...

    for command in (resource, settings, report):
        tree.add_command(command)
    return tree


def command_sync_body() -> list[dict[str, Any]]:
    """The JSON body of ``tree.sync()``: PUT /applications/{id}/commands."""
    tree = command_tree()
    return [command.to_dict(tree) for command in tree.get_commands()]


def test_discord_py_message_with_embed_buttons_and_reply_is_valid(validator: RequestValidator) -> None:
    body = message_body(
        content="New resource",
        embed=resource_card(),
        view=resource_buttons(),
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(5)], roles=False, everyone=False),
        message_reference=discord.MessageReference(message_id=1, channel_id=123, guild_id=9).to_dict(),
        mention_author=False,
        nonce=111,
    )
    assert validator.validate("POST", CHANNEL_MESSAGES, body) == []


def test_discord_py_edit_that_clears_everything_is_valid(validator: RequestValidator) -> None:
    body = message_body(content=None, embed=None, view=None, attachments=[], allowed_mentions=None)
    assert body == {"content": None, "embeds": [], "components": [], "attachments": [], "tts": False}
    assert validator.validate("PATCH", f"{CHANNEL_MESSAGES}/1", body) == []


def test_embed_title_of_257_characters_is_refused(validator: RequestValidator) -> None:
    body = message_body(embed=resource_card(title="x" * 257))
    assert validator.validate("POST", CHANNEL_MESSAGES, body) == ["embeds.0.title: Must be 256 or fewer in length."]


def test_eleven_embeds_are_refused(validator: RequestValidator) -> None:
    body = {"embeds": [{"title": f"{number}"} for number in range(11)]}
    assert validator.validate("POST", CHANNEL_MESSAGES, body) == ["embeds: Must be 10 or fewer in length."]


def test_content_over_2000_characters_is_refused_for_a_bot(validator: RequestValidator) -> None:
    assert validator.validate("POST", CHANNEL_MESSAGES, {"content": "x" * 2000}) == []
    errors = validator.validate("POST", CHANNEL_MESSAGES, {"content": "x" * 2001})
    assert errors == ["content: Must be 2000 or fewer in length."]


def test_embeds_totalling_over_6000_characters_are_refused(validator: RequestValidator) -> None:
    within_limits = {"embeds": [embed_of_size(3000), embed_of_size(3000)]}
    assert validator.validate("POST", CHANNEL_MESSAGES, within_limits) == []
    too_big = {"embeds": [embed_of_size(3000), embed_of_size(3001)]}
    assert validator.validate("POST", CHANNEL_MESSAGES, too_big) == [
        "embeds: Embed size exceeds maximum size of 6000 (got 6001)."
    ]


def test_embed_total_counts_in_an_interaction_reply_too(validator: RequestValidator) -> None:
    body = {"type": 4, "data": {"embeds": [embed_of_size(4000), embed_of_size(2001)]}}
    assert validator.validate("POST", CALLBACK, body) == [
        "data.embeds: Embed size exceeds maximum size of 6000 (got 6001)."
    ]


def test_discord_py_interaction_reply_is_valid(validator: RequestValidator) -> None:
    body = reply_body(
        content="Shared!",
        embed=resource_card(),
        view=resource_buttons(),
        flags=discord.MessageFlags(ephemeral=True),
        allowed_mentions=discord.AllowedMentions.none(),
    )
    assert set(body["data"]) == {"tts", "content", "embeds", "components", "flags", "allowed_mentions"}
    assert validator.validate("POST", CALLBACK, body) == []


def test_interaction_reply_with_overlong_content_and_button_label_is_refused(validator: RequestValidator) -> None:
    body = reply_body(content="x" * 2001, view=resource_buttons())
    body["data"]["components"][0]["components"][0]["label"] = "l" * 81
    assert sorted(validator.validate("POST", CALLBACK, body)) == [
        "data.components.0.components.0.label: Must be 80 or fewer in length.",
        "data.content: Must be 2000 or fewer in length.",
    ]


def test_interaction_callback_of_unknown_type_is_refused(validator: RequestValidator) -> None:
    errors = validator.validate("POST", CALLBACK, {"type": 3})
    assert errors == ["type: Value must be one of {1, 4, 5, 6, 7, 8, 9, 12, 13}."]


def test_deferred_and_autocomplete_callbacks_are_valid(validator: RequestValidator) -> None:
    assert validator.validate("POST", CALLBACK, {"type": 5, "data": {"flags": 64}}) == []
    assert validator.validate("POST", CALLBACK, {"type": 6}) == []
    choices = {"type": 8, "data": {"choices": [{"name": "mlops", "value": "mlops"}]}}
    assert validator.validate("POST", CALLBACK, choices) == []


def test_discord_py_command_sync_is_valid(validator: RequestValidator) -> None:
    body = command_sync_body()
    group = next(command for command in body if command["name"] == "resource")
    assert {option["type"] for option in group["options"]} == {1, 2}  # a subcommand and a subcommand group
    assert validator.validate("PUT", GLOBAL_COMMANDS, body) == []
    assert validator.validate("PUT", "/applications/789/guilds/1/commands", body) == []


def test_command_sync_with_permissions_as_a_string_is_valid(validator: RequestValidator) -> None:
    body = command_sync_body()
    settings = next(command for command in body if command["name"] == "settings")
    assert settings["contexts"] == [0] and settings["integration_types"] == [0]
    settings["default_member_permissions"] = "32"  # as Discord documents it
    assert validator.validate("PUT", GLOBAL_COMMANDS, body) == []


def test_command_description_of_101_characters_is_refused(validator: RequestValidator) -> None:
    body = command_sync_body()
    body[0]["options"][0]["description"] = "d" * 101
    errors = validator.validate("PUT", GLOBAL_COMMANDS, body)
    assert errors == ["0.options.0.description: Must be 100 or fewer in length."]


def test_discord_py_modal_is_valid(validator: RequestValidator) -> None:
    class Suggest(discord.ui.Modal, title="Suggest a resource"):
        url = discord.ui.TextInput(label="URL", placeholder="https://", max_length=500)
        why = discord.ui.TextInput(label="Why", style=discord.TextStyle.paragraph, required=False)

    assert validator.validate("POST", CALLBACK, {"type": 9, "data": Suggest().to_dict()}) == []


def test_modal_title_over_45_characters_is_refused(validator: RequestValidator) -> None:
    class Suggest(discord.ui.Modal, title="t" * 46):
        url = discord.ui.TextInput(label="URL")

    errors = validator.validate("POST", CALLBACK, {"type": 9, "data": Suggest().to_dict()})
    assert errors == ["data.title: Must be 45 or fewer in length."]


def test_message_with_a_file_is_checked_through_payload_json(validator: RequestValidator, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"png")
    form = handle_message_parameters(content="x" * 2001, file=discord.File(chart)).multipart or []
    fields = {part["name"]: part["value"] for part in form}
    errors = validator.validate("POST", CHANNEL_MESSAGES, fields, content_type="multipart/form-data; boundary=b")
    assert errors == ["content: Must be 2000 or fewer in length."]


def test_bodies_discord_accepts_but_the_spec_types_differently_are_valid(validator: RequestValidator) -> None:
    # Snowflakes as numbers, permissions as strings, and no body where the spec wants one.
    assert validator.validate("POST", "/users/@me/channels", {"recipient_id": 42}) == []
    assert validator.validate("POST", "/guilds/1/roles", {"name": "Mentor", "permissions": "0"}) == []
    overwrite = {"id": 7, "type": 0, "allow": "1024", "deny": "0"}
    assert (
        validator.validate("POST", "/guilds/1/channels", {"name": "study", "permission_overwrites": [overwrite]}) == []
    )
    assert validator.validate("PATCH", "/guilds/1/members/2", {"roles": [3, 4]}) == []
    assert validator.validate("DELETE", "/guilds/1/bans/2", None) == []


def test_unknown_route_or_method_is_reported(validator: RequestValidator) -> None:
    assert validator.validate("POST", "/nowhere/1", {}) == ["unknown route POST /nowhere/1"]
    assert validator.validate("PUT", CHANNEL_MESSAGES, {}) == [f"unknown route PUT {CHANNEL_MESSAGES}"]


def test_literal_segments_win_over_parameters(validator: RequestValidator) -> None:
    # PATCH exists on /users/@me but not on /users/{user_id}.
    assert validator.validate("PATCH", "/users/@me", {"username": "cohort"}) == []
    assert validator.validate("PATCH", "/users/123", {"username": "cohort"}) == ["unknown route PATCH /users/123"]
    assert validator.validate("PATCH", "/webhooks/1/token/messages/@original", {"content": "edited"}) == []


def test_discord_error_body_nests_each_error_at_its_path(validator: RequestValidator) -> None:
    errors = validator.validate("POST", CALLBACK, {"type": 4, "data": {"content": "x" * 2001, "tts": "no"}})
    assert format_discord_error(errors) == {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {
            "data": {
                "content": {
                    "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
                },
                "tts": {
                    "_errors": [
                        {"code": "BOOLEAN_TYPE_CONVERT", "message": "Must be of type boolean or null (got string)."}
                    ]
                },
            }
        },
    }


def test_generator_reproduces_the_committed_subset() -> None:
    source = generate_subset.DEFAULT_SOURCE
    if not source.is_file():
        pytest.skip(f"{source} is not here to regenerate from")
    subset, missing = generate_subset.build_subset(json.loads(source.read_text(encoding="utf-8")))
    assert missing == []
    assert generate_subset.render_subset(subset) == generate_subset.SUBSET_PATH.read_text(encoding="utf-8")
    licence = source.with_name("discord-openapi.LICENSE").read_text(encoding="utf-8")
    assert generate_subset.render_license(licence) == generate_subset.LICENSE_PATH.read_text(encoding="utf-8")
