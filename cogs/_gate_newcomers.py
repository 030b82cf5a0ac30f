"""Newcomers on Discord: the welcome with its Apply button, the flag for young accounts, the one
reminder to apply, and then a kick or a list for the reviewers (the timing lives in ``bot.gate.newcomers``).

A helper of ``cogs/gate.py``: it imports nothing from the cog.
"""

from __future__ import annotations

import logging

import discord

from bot.core import CohortBot
from bot.gate import newcomers
from bot.gate.config import GateConfig
from bot.gate.scoring import account_age
from bot.text import counted
from bot.ui.render import COLOUR_WARN, cut, safe, when
from cogs._gate_discord import is_member, mod_log, post, role_problem, send_dm
from cogs._gate_views import apply_view

log = logging.getLogger("cogs.gate")


class Newcomers:
    """Welcomes, reminders and what follows an application that never came."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    async def joined(self, member: discord.Member, config: GateConfig) -> None:
        """Someone joined (or passed screening): note it, once, and welcome them."""
        if await newcomers.get_newcomer(self.bot.db, member.guild.id, member.id) is None:
            await newcomers.record_join(self.bot.db, guild_id=member.guild.id, user_id=member.id,
                                        joined_at=member.joined_at or self.bot.clock.now(),
                                        account_created_at=member.created_at)
        await self.welcome(member, config)

    async def welcome_missed(self, guild: discord.Guild, config: GateConfig) -> None:
        """Welcome whoever joined (or passed screening) while the bot was away."""
        welcomed = await newcomers.welcomed_user_ids(self.bot.db, guild.id)
        for member in guild.members:
            if member.bot or member.pending or not newcomers.owed_welcome(
                    member.joined_at, config.configured_at, welcomed=member.id in welcomed,
                    member=is_member(member, config)):
                continue
            await self.joined(member, config)

    async def welcome(self, member: discord.Member, config: GateConfig) -> None:
        """Newcomer role, a welcome with an Apply button, and a flag to reviewers for young accounts."""
        guild = member.guild
        if is_member(member, config):
            return
        if not await newcomers.mark_welcomed(self.bot.db, self.bot.clock, guild.id, member.id):
            return
        newcomer_role = guild.get_role(config.newcomer_role_id)
        problem = role_problem(guild, newcomer_role, "newcomer role")
        if problem is None and newcomer_role is not None:
            try:
                await member.add_roles(newcomer_role, reason="Joined: newcomer until their application is approved")
            except discord.HTTPException as error:
                log.warning("could not give the newcomer role to %s in %s: %s", member.id, guild.id, error)
        else:
            log.warning("could not give the newcomer role in guild %s: %s", guild.id, problem)
        text = (f"Welcome to **{safe(guild.name, 100)}**, {member.mention}! This is a community of committed "
                f"learners. Press **Apply** (or use `/apply`) to tell us what you want to learn; please apply "
                f"within {config.apply_within_days} days. Reviewers usually answer within a few days.")
        channel = guild.get_channel(config.welcome_channel_id) if config.welcome_channel_id else None
        if channel is not None:
            await post(channel, content=text, view=apply_view(guild.id),
                       allowed_mentions=discord.AllowedMentions(users=[member], roles=False, everyone=False))
        elif not await send_dm(member, content=text, view=apply_view(guild.id)):
            await post(guild.get_channel(config.review_channel_id),
                       content=f"I could not DM the welcome to {member.mention}: their DMs are closed. They can "
                               "still use `/apply`.")
        age_days = (self.bot.clock.now() - member.created_at).days
        if age_days < config.min_account_age_days:
            await post(guild.get_channel(config.review_channel_id),
                       content=f"⚠️ {member.mention} joined with an account {account_age(age_days)} (younger "
                               f"than {counted(config.min_account_age_days, 'day')}); look closely at their "
                               "application.")

    async def follow_up(self, guild: discord.Guild, config: GateConfig) -> None:
        db, clock = self.bot.db, self.bot.clock
        due = await newcomers.due_follow_ups(db, clock, config)
        review_channel = guild.get_channel(config.review_channel_id)
        unreachable: list[str] = []
        for newcomer in due.remind:
            member = guild.get_member(newcomer.user_id)
            if member is None:
                await newcomers.record_leave(db, clock, guild.id, newcomer.user_id)
                continue
            await newcomers.mark_reminded(db, clock, guild.id, member.id)
            if is_member(member, config):
                continue
            text = (f"A reminder from **{safe(guild.name, 100)}**: you joined {config.apply_within_days} days ago "
                    "and have not applied yet. Press **Apply** below (or use `/apply` in the server) to tell us "
                    "what you want to learn."
                    + (" Newcomers who have not applied 3 days from now are removed." if config.kick_unapplied
                       else ""))
            if not await send_dm(member, content=text, view=apply_view(guild.id)):
                unreachable.append(member.mention)
        if unreachable:
            await post(review_channel, content=cut("I could not send the apply reminder to these newcomers (DMs "
                                                   "closed): " + ", ".join(unreachable), 2000))
        listed: list[int] = []
        for newcomer in due.kick:
            member = guild.get_member(newcomer.user_id)
            if member is None:
                await newcomers.record_leave(db, clock, guild.id, newcomer.user_id)
            elif is_member(member, config):
                await newcomers.mark_listed(db, clock, guild.id, [member.id])
            elif not await self.kick_unapplied(guild, config, member):
                listed.append(member.id)
        for newcomer in due.list_to_reviewers:
            member = guild.get_member(newcomer.user_id)
            if member is not None and not is_member(member, config):
                listed.append(member.id)
        if listed:
            lines = "\n".join(f"<@{user_id}>" for user_id in listed)
            await post(review_channel, content=cut(f"These newcomers have not applied, {config.apply_within_days} "
                                                   f"days after joining and 3 days after a reminder:\n{lines}", 2000))
        await newcomers.mark_listed(db, clock, guild.id, [n.user_id for n in due.list_to_reviewers] + listed)

    async def kick_unapplied(self, guild: discord.Guild, config: GateConfig, member: discord.Member) -> bool:
        await send_dm(member, content=(
            f"You were removed from **{safe(guild.name, 100)}** because you did not apply within "
            f"{config.apply_within_days} days and 3 days after a reminder. You are welcome to join again and "
            "apply with `/apply`."))
        try:
            await member.kick(reason="Did not apply to the membership gate in time")
        except discord.HTTPException as error:
            log.warning("could not kick unapplied newcomer %s in %s: %s", member.id, guild.id, error)
            return False
        await newcomers.mark_kicked(self.bot.db, self.bot.clock, guild.id, member.id)
        embed = discord.Embed(title="Newcomer removed: did not apply", colour=COLOUR_WARN,
                              description=f"{member.mention} ({safe(member.display_name, 100)}) joined "
                                          f"{when(member.joined_at or self.bot.clock.now(), 'R')} and did not apply "
                                          "after the reminder.")
        await mod_log(self.bot.db, guild, embed)
        return True
