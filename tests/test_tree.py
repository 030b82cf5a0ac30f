"""How errors become what the user reads."""

from __future__ import annotations

from discord import app_commands

from bot.errors import InvalidInput
from bot.tree import MESSAGE_MAX, describe_error


def test_a_domain_error_is_shown_as_its_message() -> None:
    assert describe_error(InvalidInput("Pick a topic.")) == ("Pick a topic.", True)


def test_a_domain_error_inside_a_command_error_is_unwrapped() -> None:
    wrapped = app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)
    wrapped.original = InvalidInput("Pick a topic.")
    assert describe_error(wrapped) == ("Pick a topic.", True)


def test_a_very_long_domain_message_still_fits_in_a_discord_message() -> None:
    message, expected = describe_error(InvalidInput("x" * 5000))
    assert expected and len(message) == MESSAGE_MAX and message.endswith("…")


def test_missing_permissions_are_named() -> None:
    message, expected = describe_error(app_commands.MissingPermissions(["manage_guild", "kick_members"]))
    assert expected and "Manage Server" in message and "Kick Members" in message


def test_anything_else_is_unexpected() -> None:
    assert describe_error(ZeroDivisionError()) == ("", False)
