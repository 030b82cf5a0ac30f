"""Run-time permission checks. Discord's ``default_member_permissions`` only hides whole top-level
commands, so every admin action is checked again here and the refusal names what is missing."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.errors import NotAllowed


def guild_member(interaction: discord.Interaction) -> discord.Member:
    """The invoking member; raises if the interaction is not in a guild."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise app_commands.NoPrivateMessage()
    return interaction.user


def require(interaction: discord.Interaction, **permissions: bool) -> discord.Member:
    """Raise ``MissingPermissions`` naming each permission the member lacks."""
    member = guild_member(interaction)
    granted = interaction.permissions
    missing = [name for name, wanted in permissions.items() if wanted and not getattr(granted, name)]
    if missing:
        raise app_commands.MissingPermissions(missing)
    return member


def require_organiser(interaction: discord.Interaction, organiser_role_id: int | None) -> discord.Member:
    """Members with Manage Events, or the organiser role set with ``/config organizer-role``."""
    return _permission_or_role(interaction, organiser_role_id, "manage_events")


def require_manager_or_organiser(interaction: discord.Interaction, organiser_role_id: int | None) -> discord.Member:
    """Members with Manage Server, or the organiser role set with ``/config organizer-role``."""
    return _permission_or_role(interaction, organiser_role_id, "manage_guild")


def _permission_or_role(interaction: discord.Interaction, organiser_role_id: int | None,
                        permission: str) -> discord.Member:
    """The member, if they have ``permission`` (or Administrator) or the organiser role; else NotAllowed."""
    member = guild_member(interaction)
    if getattr(interaction.permissions, permission) or interaction.permissions.administrator:
        return member
    if organiser_role_id is not None and any(role.id == organiser_role_id for role in member.roles):
        return member
    role_hint = f" or the <@&{organiser_role_id}> role" if organiser_role_id else ""
    raise NotAllowed(f"Only organisers can do that: you need the **{_PERMISSION_NAMES[permission]}** "
                     f"permission{role_hint}.")


_PERMISSION_NAMES = {"manage_events": "Manage Events", "manage_guild": "Manage Server"}
