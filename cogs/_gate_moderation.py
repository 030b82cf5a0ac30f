"""Moderation on Discord: the inactivity report, prunes behind a Confirm button, and the newcomer
anti-spam. Who is inactive and which message breaks a rule is decided in ``bot.gate``.

A helper of ``cogs/gate.py``: it imports nothing from the cog.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import discord

from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.gate import antispam, inactivity
from bot.gate.config import ConfigCache, GateConfig
from bot.gate.inactivity import Candidate, InactivityReport, Prune
from bot.ui.paging import Page, clamp_page
from bot.ui.render import COLOUR_BAD, NO_PINGS, safe
from cogs._gate_cards import PRUNE_LIST_SHOWN, REPORT_PER_PAGE, prune_embed, report_embed
from cogs._gate_discord import is_moderator, mod_log, role_ids, role_problem, send_dm
from cogs._gate_views import apply_view, prune_view

log = logging.getLogger("cogs.gate")


class Moderation:
    """Reports, prunes and anti-spam, with the gate's settings from the shared cache."""

    def __init__(self, bot: CohortBot, configs: ConfigCache) -> None:
        self.bot = bot
        self.configs = configs

    # Inactivity --------------------------------------------------------------------------------
    async def build_report(self, guild: discord.Guild, days: int | None) -> InactivityReport:
        config = await self.configs.get(guild.id)
        days = days if days is not None else (config.inactive_days if config else 45)
        await self.bot.participation.flush()
        candidates = (Candidate(m.id, m.joined_at, m.bot, role_ids(m)) for m in guild.members)
        return await inactivity.inactivity_report(self.bot.db, self.bot.clock, guild_id=guild.id,
                                                  members=inactivity.members_to_check(candidates, config), days=days)

    def report_file(self, guild: discord.Guild, report: InactivityReport, prefix: str = "inactive") -> discord.File:
        names = {}
        for inactive in report.members:
            member = guild.get_member(inactive.user_id)
            names[inactive.user_id] = member.display_name if member else ""
        data = inactivity.report_csv(report, names).encode("utf-8")
        today = self.bot.clock.now().date().isoformat()
        return discord.File(io.BytesIO(data), filename=f"{prefix}-{report.days}d-{today}.csv")

    def report_page(self, found: InactivityReport, page: int) -> Page:
        page, pages = clamp_page(page, len(found.members), REPORT_PER_PAGE)
        return Page(report_embed(found, page, pages), page, pages)

    async def start_prune(self, interaction: discord.Interaction, member: discord.Member, days: int,
                          action: str) -> None:
        """List the members a prune would act on, with Confirm and Cancel for the invoker."""
        found = await self.build_report(member.guild, days)
        pending = await inactivity.create_prune(self.bot.db, self.bot.clock, guild_id=member.guild.id,
                                                invoker_id=member.id, action=action, report=found)
        extra: dict[str, Any] = {}
        if len(pending.targets) > PRUNE_LIST_SHOWN:
            extra["file"] = self.report_file(member.guild, found, prefix=f"prune-{pending.id}")
        await interaction.response.send_message(embed=prune_embed(pending), view=prune_view(pending.id),
                                                allowed_mentions=NO_PINGS, **extra)
        message = await interaction.original_response()
        await inactivity.set_prune_message(self.bot.db, pending.id, message.channel.id, message.id)

    async def prune_pressed(self, interaction: discord.Interaction, action: str, prune_id: int) -> None:
        db, clock = self.bot.db, self.bot.clock
        if action == "cancel":
            cancelled = await inactivity.cancel_prune(db, clock, prune_id, user_id=interaction.user.id)
            await interaction.response.edit_message(embed=prune_embed(cancelled), view=None, allowed_mentions=NO_PINGS)
            return
        try:
            started = await inactivity.confirm_prune(db, clock, prune_id, user_id=interaction.user.id)
        except InvalidInput:
            await self.redraw_prune(await inactivity.get_prune(db, prune_id))
            raise
        await interaction.response.edit_message(embed=prune_embed(started), view=None, allowed_mentions=NO_PINGS)
        guild = self.bot.get_guild(started.guild_id)
        assert guild is not None
        config = await self.configs.get(guild.id)
        await self.bot.participation.flush()
        for target in started.targets:
            outcome = await self.prune_one(guild, config, started, target.user_id)
            await inactivity.record_outcome(db, started.id, target.user_id, outcome)
        done = await inactivity.finish_prune(db, clock, started.id)
        summary = inactivity.outcome_summary(done)
        await self.redraw_prune(done, result=summary)
        log_embed = prune_embed(done, result=summary)
        log_embed.title = f"Prune ({done.action}) by {interaction.user.display_name}"[:256]
        await mod_log(self.bot.db, guild, log_embed)
        await interaction.followup.send(f"Done: {summary}.", ephemeral=True, allowed_mentions=NO_PINGS)

    async def redraw_prune(self, prune: Prune, result: str | None = None) -> None:
        if prune.channel_id is None or prune.message_id is None:
            return
        channel = self.bot.get_channel(prune.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        try:
            await channel.get_partial_message(prune.message_id).edit(embed=prune_embed(prune, result=result),
                                                                      view=None, allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.warning("could not update prune %s: %s", prune.id, error)

    async def prune_one(self, guild: discord.Guild, config: GateConfig | None, prune: Prune, user_id: int) -> str:
        member = guild.get_member(user_id)
        if member is None:
            return "skipped: left the server"
        if await inactivity.active_since_listed(self.bot.db, prune, user_id):
            return "skipped: active again"
        if member.top_role >= guild.me.top_role or member.id == guild.owner_id:
            return "skipped: their role is not below mine"
        why = f"you have not taken part in **{safe(guild.name, 100)}** for more than {prune.days} days"
        try:
            if prune.action == "demote":
                assert config is not None
                member_role, newcomer_role = guild.get_role(config.member_role_id), guild.get_role(
                    config.newcomer_role_id)
                problem = role_problem(guild, member_role, "member role") or role_problem(
                    guild, newcomer_role, "newcomer role")
                if problem or member_role is None or newcomer_role is None:
                    return f"failed: {problem}"
                if member_role not in member.roles:
                    return "skipped: no member role"
                await member.remove_roles(member_role, reason=f"Inactive for {prune.days}+ days (prune #{prune.id})")
                await member.add_roles(newcomer_role, reason=f"Inactive for {prune.days}+ days (prune #{prune.id})")
                delivered = await send_dm(member, view=apply_view(guild.id), content=(
                    f"You were moved back to newcomer because {why}. To come back, apply again: press **Apply** "
                    "or use `/apply` in the server. We would be glad to have you."))
                return "demoted" + ("" if delivered else " (DMs closed)")
            delivered = await send_dm(member, content=(
                f"You were removed from **{safe(guild.name, 100)}** because {why}. To come back, join again and "
                "apply with `/apply`. We would be glad to have you."))
            await member.kick(reason=f"Inactive for {prune.days}+ days (prune #{prune.id})")
            return "kicked" + ("" if delivered else " (DMs closed)")
        except discord.HTTPException as error:
            log.warning("prune %s could not act on %s: %s", prune.id, user_id, error)
            return f"failed: {error.text or error.status}"

    # Anti-spam ---------------------------------------------------------------------------------
    def judge(self, message: discord.Message, author: discord.Member,
              config: GateConfig) -> antispam.Verdict | None:
        # Distinct users and roles Discord resolved (an id that matches nobody pings nobody).
        mentions = len(message.mentions) + len(message.role_mentions)
        only_newcomer = antispam.only_newcomer(role_ids(author), config.newcomer_role_id)
        if not antispam.may_break_a_rule(mentions=mentions, only_newcomer=only_newcomer,
                                         max_mentions=config.antispam_max_mentions):
            return None  # the common case, decided without looking further
        facts = antispam.MessageFacts(
            content=message.content, mentions=mentions,
            author_is_moderator=is_moderator(author.guild_permissions), author_only_newcomer=only_newcomer,
            author_joined_at=author.joined_at, sent_at=message.created_at)
        return antispam.judge(facts, max_links=config.antispam_max_links, max_mentions=config.antispam_max_mentions)

    async def stop_spam(self, message: discord.Message, author: discord.Member, verdict: antispam.Verdict) -> None:
        actions = []
        try:
            await message.delete()
            actions.append("message deleted")
        except discord.NotFound:
            actions.append("message already gone")
        except discord.HTTPException as error:
            log.warning("anti-spam could not delete message %s: %s", message.id, error)
            actions.append("could not delete the message (I need Manage Messages)")
        if verdict.timeout is not None:
            try:
                await author.timeout(verdict.timeout, reason=f"Anti-spam: {verdict.detail}")
                actions.append(f"timed out for {int(verdict.timeout.total_seconds() // 60)} minutes")
            except discord.HTTPException as error:
                log.warning("anti-spam could not time out %s: %s", author.id, error)
                actions.append("could not time them out (I need Timeout Members, and a role above theirs)")
        embed = discord.Embed(title="Anti-spam", colour=COLOUR_BAD,
                              description=f"{author.mention} ({safe(author.display_name, 100)}) in "
                                          f"{getattr(message.channel, 'mention', 'a channel')}: {verdict.detail}.")
        embed.add_field(name="Action", value="; ".join(actions), inline=False)
        if message.content:
            embed.add_field(name="Message (start)", value=safe(message.content, 500), inline=False)
        assert message.guild is not None
        await mod_log(self.bot.db, message.guild, embed)
