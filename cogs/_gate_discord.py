"""The gate's dealings with Discord itself: who is a moderator or a member, what the bot may not do
(each with its fix), and sending (DMs, posts, the mod log) where a refusal is logged, not raised.

A helper of ``cogs/gate.py``: it imports nothing from the cog or its other helpers.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot import guild_config
from bot.db import Database
from bot.gate.config import GateConfig
from bot.ui.render import NO_PINGS, cut, safe
from bot.ui.sending import DMS_CLOSED

log = logging.getLogger("cogs.gate")



# Who may do what -------------------------------------------------------------------------------
def is_moderator(permissions: discord.Permissions) -> bool:
    """Moderators review applications, run reports and are exempt from the mention rule."""
    return (permissions.administrator or permissions.manage_guild or permissions.kick_members
            or permissions.manage_roles or permissions.moderate_members)


def require_moderator(interaction: discord.Interaction) -> discord.Member:
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise app_commands.NoPrivateMessage()
    if not is_moderator(interaction.permissions):
        raise app_commands.MissingPermissions(["kick_members"])
    return interaction.user


def is_member(member: discord.Member, config: GateConfig) -> bool:
    """Holds the gate's member role (approved, or a member from before the gate)."""
    return member.get_role(config.member_role_id) is not None


def role_ids(member: discord.Member) -> frozenset[int]:
    """The member's roles without @everyone, for the domain's rules."""
    return frozenset(role.id for role in member.roles if not role.is_default())


# What stops the bot ----------------------------------------------------------------------------
def role_problem(guild: discord.Guild, role: discord.Role | None, what: str) -> str | None:
    """Why the bot cannot hand out or take away ``role``, with the fix; None when it can."""
    if role is None:
        return f"The {what} no longer exists: run `/gate setup` again with an existing role."
    me = guild.me
    if role.managed or role.is_default():
        return f"{role.mention} ({what}) is managed by Discord or an integration: pick a normal role in `/gate setup`."
    if role >= me.top_role:
        return (f"My highest role ({me.top_role.mention}) is not above {role.mention} ({what}): in Server Settings → "
                f"Roles, drag {me.top_role.mention} above {role.mention}.")
    return None


def channel_problems(channel: discord.abc.GuildChannel | None, what: str, *, files: bool = False) -> list[str]:
    if channel is None:
        return [f"The {what} no longer exists: run `/gate setup` again with an existing channel."]
    me = channel.guild.me
    allowed = channel.permissions_for(me)
    needed = [("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("embed_links", "Embed Links")]
    if files:
        needed.append(("attach_files", "Attach Files"))
    missing = [label for name, label in needed if not getattr(allowed, name)]
    if not missing:
        return []
    return [f"I cannot post in {channel.mention} ({what}): give my role **{', '.join(missing)}** there "
            "(channel settings → Permissions)."]


def setup_problems(guild: discord.Guild, config: GateConfig, *, mod_log_channel_id: int | None,
                   content_intent: bool) -> list[str]:
    """Everything that stops the gate from working here, each with its fix."""
    problems: list[str] = []
    me = guild.me
    for role_id, what in ((config.newcomer_role_id, "newcomer role"), (config.member_role_id, "member role")):
        problem = role_problem(guild, guild.get_role(role_id), what)
        if problem:
            problems.append(problem)
    granted = me.guild_permissions
    for name, label in (("manage_roles", "Manage Roles"), ("kick_members", "Kick Members")):
        if not getattr(granted, name):
            problems.append(f"I am missing **{label}**: Server Settings → Roles → {me.top_role.mention} → "
                            f"Permissions → turn on {label}.")
    problems += channel_problems(guild.get_channel(config.review_channel_id), "review channel")
    if config.welcome_channel_id is not None:
        problems += channel_problems(guild.get_channel(config.welcome_channel_id), "welcome channel")
    if mod_log_channel_id is None:
        problems.append("No mod-log channel, so decisions are not logged: set one with `/config channel mod_log`.")
    else:
        problems += channel_problems(guild.get_channel(mod_log_channel_id), "mod-log channel")
    if config.antispam_enabled and content_intent:
        for name, label in (("manage_messages", "Manage Messages"), ("moderate_members", "Timeout Members")):
            if not getattr(granted, name):
                problems.append(f"The anti-spam needs **{label}**: Server Settings → Roles → {me.top_role.mention} "
                                f"→ Permissions → turn on {label}.")
    return problems


# Sending ---------------------------------------------------------------------------------------
def quoted(text: str | None, limit: int) -> str:
    """User text as a Discord block quote (every line of it), escaped and cut to ``limit``."""
    return cut("> " + safe(text).replace("\n", "\n> "), limit)


async def send_dm(user: discord.User | discord.Member, **kwargs: Any) -> bool:
    """DM a user; closed DMs (50007) are normal, so they are logged quietly and False is returned."""
    try:
        await user.send(allowed_mentions=NO_PINGS, **kwargs)
        return True
    except discord.Forbidden as error:
        if error.code == DMS_CLOSED:
            log.info("could not DM user %s: their DMs are closed", user.id)
        else:
            log.warning("could not DM user %s: %s", user.id, error)
        return False
    except discord.HTTPException as error:
        log.warning("could not DM user %s: %s", user.id, error)
        return False


async def post(channel: discord.abc.GuildChannel | discord.Thread | None, **kwargs: object) -> discord.Message | None:
    """Post to a guild channel if it exists and the bot may; a failure is logged, not raised."""
    if not isinstance(channel, discord.abc.Messageable):
        return None
    kwargs.setdefault("allowed_mentions", NO_PINGS)
    try:
        return await channel.send(**kwargs)  # type: ignore[call-overload, no-any-return]
    except discord.HTTPException as error:
        log.warning("could not post in channel %s: %s", getattr(channel, "id", "?"), error)
        return None


async def mod_log(db: Database, guild: discord.Guild, embed: discord.Embed) -> None:
    """Post to the server's mod-log channel, if it has one."""
    shared = await guild_config.get_config(db, guild.id)
    if shared.mod_log_channel_id is None:
        log.info("no mod-log channel in guild %s: %s", guild.id, embed.title)
        return
    await post(guild.get_channel(shared.mod_log_channel_id), embed=embed)
