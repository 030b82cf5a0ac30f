"""The one place where app-command, button and modal errors become replies."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import DomainError

log = logging.getLogger("bot.errors")
MESSAGE_MAX = 2000  # Discord's limit for message content


def _permission_names(permissions: list[str]) -> str:
    return ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in permissions)


def describe_error(error: BaseException) -> tuple[str, bool]:
    """Return ``(message for the user, whether it was expected)``."""
    original = error
    while isinstance(original, app_commands.CommandInvokeError | app_commands.TransformerError) and (
        original.__cause__ is not None
    ):
        original = original.__cause__
    if isinstance(original, app_commands.CommandInvokeError):
        original = original.original
    if isinstance(original, DomainError):
        text = original.message
        return (text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"), True
    if isinstance(original, app_commands.MissingPermissions):
        return f"You need the **{_permission_names(original.missing_permissions)}** permission for that.", True
    if isinstance(original, app_commands.BotMissingPermissions):
        names = _permission_names(original.missing_permissions)
        return f"I need the **{names}** permission for that; ask an admin to grant it to my role.", True
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command only works in a server.", True
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {original.retry_after:.0f} s.", True
    if isinstance(original, app_commands.TransformerError):
        return f"`{str(original.value)[:50]}` is not a valid value for that option.", True
    if isinstance(original, app_commands.CheckFailure) and str(original):
        return str(original), True
    if isinstance(original, discord.Forbidden):
        return ("Discord refused: I am missing a permission or my role is too low for that. An admin can "
                "check my role's permissions and its place in Server Settings → Roles."), True
    return "", False


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally; log the unexpected with an error id."""
    message, expected = describe_error(error)
    if not expected:
        error_id = secrets.token_hex(4)
        log.error("unexpected error %s in %s", error_id, _describe(interaction), exc_info=error)
        message = f"Something went wrong on my side. Error id `{error_id}`; an organiser can find it in the logs."
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True,
                                            allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(message, ephemeral=True,
                                                    allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException:
        log.warning("could not deliver an error message for %s", _describe(interaction))


def _describe(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = interaction.data.get("custom_id") if interaction.data else None
    return f"guild={interaction.guild_id} user={interaction.user.id} command={command} custom_id={custom_id}"


class CohortTree(app_commands.CommandTree):
    """Maps domain errors to short ephemeral messages and hides the rest behind an error id."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_interaction_error(interaction, error)
