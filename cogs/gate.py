"""/gate and /apply: the membership gate's commands, events and jobs.

The cog declares what Discord sees and hands the work to its helpers: ``_gate_applications`` (the
form, the review card and the decision), ``_gate_newcomers`` (welcome, reminder, kick), ``_gate_moderation``
(inactivity report, prune, anti-spam), ``_gate_views`` (buttons and forms), ``_gate_cards`` (embeds)
and ``_gate_discord`` (permissions and sending). The rules live in ``bot.gate``.
"""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.gate import config as gate_config
from bot.gate import drafts, inactivity, newcomers
from bot.gate.config import ConfigCache, GateConfig
from bot.gate.drafts import TypedAnswers
from bot.gate.privacy import purge_expired
from bot.ui.checks import require
from bot.ui.paging import Page, page_view
from bot.ui.render import NO_PINGS
from cogs._gate_applications import Applications
from cogs._gate_cards import config_embed
from cogs._gate_discord import require_moderator, setup_problems
from cogs._gate_moderation import Moderation
from cogs._gate_newcomers import Newcomers
from cogs._gate_views import ApplyButton, PruneButton, ReplyButton, ReviewButton

log = logging.getLogger(__name__)

SWEEP_MINUTES = 10
COUNTED_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
BUTTONS = (ApplyButton, ReviewButton, ReplyButton, PruneButton)


class Gate(commands.Cog):
    """Committed learners only: applications, review, newcomer follow-up, inactivity and anti-spam."""

    gate = app_commands.Group(name="gate", description="The membership gate: setup, review and inactivity.",
                              guild_only=True, default_permissions=discord.Permissions(kick_members=True))

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.configs = ConfigCache(bot.db)
        self.applications = Applications(bot)
        self.newcomers = Newcomers(bot)
        self.moderation = Moderation(bot, self.configs)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*BUTTONS)
        self.bot.pagers["gate"] = self.render_report_page
        self.bot.scheduler.add_job(self.sweep, "interval", minutes=SWEEP_MINUTES, id="gate:sweep",
                                   replace_existing=True, coalesce=True, max_instances=1)
        self.bot.scheduler.add_job(self.purge, "cron", hour=4, minute=17, id="gate:purge",
                                   replace_existing=True, coalesce=True, max_instances=1)

    async def cog_unload(self) -> None:
        for job_id in ("gate:sweep", "gate:purge"):
            if self.bot.scheduler.get_job(job_id):
                self.bot.scheduler.remove_job(job_id)
        self.bot.remove_dynamic_items(*BUTTONS)
        self.bot.pagers.pop("gate", None)

    # Setup -------------------------------------------------------------------------------------
    @gate.command(name="setup")
    @app_commands.describe(
        newcomer_role="Role for people who joined but are not approved yet",
        member_role="Role approved members get",
        review_channel="Where applications are posted for reviewers",
        welcome_channel="Where newcomers are welcomed (default: by DM)",
        min_account_age_days="Flag accounts younger than this to reviewers",
        apply_within_days="Days a newcomer has to apply before a reminder",
        inactive_days="Days without taking part before a member counts as inactive",
        auto_approve="Approve applications scoring at or above the threshold at once",
        kick_unapplied="Kick newcomers who still have not applied 3 days after the reminder",
        reapply_cooldown_days="Days before someone rejected may apply again (default 7)",
    )
    async def setup_command(self, interaction: discord.Interaction, newcomer_role: discord.Role,
                            member_role: discord.Role, review_channel: discord.TextChannel,
                            welcome_channel: discord.TextChannel | None = None,
                            min_account_age_days: app_commands.Range[int, 0, 365] = 7,
                            apply_within_days: app_commands.Range[int, 1, 90] = 7,
                            inactive_days: app_commands.Range[int, 1, 3650] = 45,
                            auto_approve: bool = False, kick_unapplied: bool = False,
                            reapply_cooldown_days: app_commands.Range[int, 0, 365] | None = None) -> None:
        """Set up the membership gate: roles, channels and deadlines (Manage Server)."""
        member = require(interaction, manage_guild=True)
        for role in (newcomer_role, member_role):
            if role.is_default() or role.managed:
                raise InvalidInput(f"{role.mention} cannot be handed out; pick a normal role.")
        config = await gate_config.setup_gate(
            self.bot.db, self.bot.clock, guild_id=member.guild.id, configured_by=member.id,
            newcomer_role_id=newcomer_role.id, member_role_id=member_role.id, review_channel_id=review_channel.id,
            welcome_channel_id=welcome_channel.id if welcome_channel else None,
            min_account_age_days=min_account_age_days, apply_within_days=apply_within_days,
            inactive_days=inactive_days, auto_approve=auto_approve, kick_unapplied=kick_unapplied,
            reapply_cooldown_days=reapply_cooldown_days)
        self.configs.forget(member.guild.id)
        await interaction.response.send_message("The membership gate is set up.",
                                                embed=await self._config_embed(member.guild, config),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def _config_embed(self, guild: discord.Guild, config: GateConfig) -> discord.Embed:
        shared = await guild_config.get_config(self.bot.db, guild.id)
        content_intent = self.bot.settings.message_content_intent
        problems = setup_problems(guild, config, mod_log_channel_id=shared.mod_log_channel_id,
                                  content_intent=content_intent)
        return config_embed(config, problems, content_intent=content_intent)

    @gate.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show the gate's settings and check that I can do everything it needs."""
        member = require_moderator(interaction)
        config = await gate_config.require_gate_config(self.bot.db, member.guild.id)
        await interaction.response.send_message(embed=await self._config_embed(member.guild, config), ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @gate.command(name="scoring")
    @app_commands.describe(
        answer_min_chars="Background and goals each score when at least this long",
        answer_points="Points for each long-enough answer", hours_threshold="Hours per week that score",
        hours_points="Points for committing enough hours", topic_points="Points for choosing a server topic",
        account_age_days="Account age (days) that scores", account_age_points="Points for an old-enough account",
        link_points="Points for a GitHub or portfolio link",
        approve_threshold="With auto_approve, scores at or above this are approved at once")
    async def scoring(self, interaction: discord.Interaction, answer_min_chars: int | None = None,
                      answer_points: int | None = None, hours_threshold: int | None = None,
                      hours_points: int | None = None, topic_points: int | None = None,
                      account_age_days: int | None = None, account_age_points: int | None = None,
                      link_points: int | None = None, approve_threshold: int | None = None) -> None:
        """Change how applications are scored (Manage Server)."""
        member = require(interaction, manage_guild=True)
        config = await gate_config.set_scoring(
            self.bot.db, member.guild.id, answer_min_chars=answer_min_chars, answer_points=answer_points,
            hours_threshold=hours_threshold, hours_points=hours_points, topic_points=topic_points,
            account_age_days=account_age_days, account_age_points=account_age_points, link_points=link_points,
            approve_threshold=approve_threshold)
        self.configs.forget(member.guild.id)
        await interaction.response.send_message("Score rules saved; they apply to new applications.",
                                                embed=await self._config_embed(member.guild, config),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @gate.command(name="antispam")
    @app_commands.describe(enabled="Turn the newcomer anti-spam on or off",
                           max_links="Newcomers may post at most this many links in their first 24 h",
                           max_mentions="This many user/role mentions or more is deleted with a timeout")
    async def antispam_command(self, interaction: discord.Interaction, enabled: bool | None = None,
                               max_links: app_commands.Range[int, 0, 50] | None = None,
                               max_mentions: app_commands.Range[int, 2, 50] | None = None) -> None:
        """Configure the newcomer anti-spam (Manage Server)."""
        member = require(interaction, manage_guild=True)
        config = await gate_config.set_antispam(self.bot.db, member.guild.id, enabled=enabled, max_links=max_links,
                                                max_mentions=max_mentions)
        self.configs.forget(member.guild.id)
        await interaction.response.send_message(embed=await self._config_embed(member.guild, config),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    # Joining and leaving ---------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        config = await self.configs.get(member.guild.id)
        if config is None:
            return
        await newcomers.record_join(self.bot.db, guild_id=member.guild.id, user_id=member.id,
                                    joined_at=member.joined_at or self.bot.clock.now(),
                                    account_created_at=member.created_at)
        if not member.pending:  # with screening or onboarding on, wait until they pass it
            await self.newcomers.welcome(member, config)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if after.bot or not before.pending or after.pending:
            return
        config = await self.configs.get(after.guild.id)
        if config is None:
            return
        await self.newcomers.joined(after, config)

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        config = await self.configs.get(member.guild.id)
        if config is None:
            return
        await newcomers.record_leave(self.bot.db, self.bot.clock, member.guild.id, member.id)
        await drafts.delete_draft(self.bot.db, member.guild.id, member.id)
        await self.applications.withdraw_left(member.guild, config, member.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Welcome whoever joined (or passed screening) while the bot was away."""
        for guild in self.bot.guilds:
            config = await self.configs.get(guild.id)
            if config is not None:
                await self.newcomers.welcome_missed(guild, config)

    # Applying and reviewing (the buttons and forms of _gate_views call these) ------------------
    @app_commands.command(name="apply")
    @app_commands.guild_only()
    async def apply(self, interaction: discord.Interaction) -> None:
        """Apply to become a member, or answer a reviewer's question."""
        assert interaction.guild_id is not None
        await self.open_apply(interaction, interaction.guild_id)

    async def open_apply(self, interaction: discord.Interaction, guild_id: int) -> None:
        await self.applications.open_apply(interaction, guild_id)

    async def open_reply(self, interaction: discord.Interaction, question_id: int) -> None:
        await self.applications.open_reply(interaction, question_id)

    async def submit_apply(self, interaction: discord.Interaction, guild_id: int, typed: TypedAnswers) -> None:
        await self.applications.submit_apply(interaction, guild_id, typed)

    async def review_pressed(self, interaction: discord.Interaction, action: str, application_id: int) -> None:
        await self.applications.review_pressed(interaction, action, application_id)

    async def submit_reject(self, interaction: discord.Interaction, application_id: int, reason: str) -> None:
        await self.applications.submit_reject(interaction, application_id, reason)

    async def submit_question(self, interaction: discord.Interaction, application_id: int, text: str) -> None:
        await self.applications.submit_question(interaction, application_id, text)

    async def submit_reply(self, interaction: discord.Interaction, question_id: int, answer: str) -> None:
        await self.applications.submit_reply(interaction, question_id, answer)

    # Jobs: newcomer follow-up, expiry, retention -----------------------------------------------
    async def sweep(self) -> None:
        """Periodic: expire prune confirmations, remind, kick or list newcomers who have not applied."""
        for prune in await inactivity.expire_prunes(self.bot.db, self.bot.clock):
            await self.moderation.redraw_prune(prune)
        for guild_id in await gate_config.configured_guild_ids(self.bot.db):
            guild = self.bot.get_guild(guild_id)
            config = await self.configs.get(guild_id)
            if guild is None or config is None:
                continue
            try:
                await self.newcomers.follow_up(guild, config)
            except Exception:
                log.exception("newcomer follow-up failed in guild %s", guild_id)

    async def purge(self) -> None:
        """Daily: delete what is past its keeping time (see the privacy section of the README)."""
        removed = await purge_expired(self.bot.db, self.bot.clock)
        if removed:
            log.info("retention: removed %s", ", ".join(f"{n} {kind}" for kind, n in removed.items()))

    # Inactivity ------------------------------------------------------------------------------
    @gate.command(name="report")
    @app_commands.describe(days="Inactive means nothing for more than this many days (default: the gate's setting)")
    async def report(self, interaction: discord.Interaction,
                     days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        """List members who have not taken part for a while (a dry run), with a CSV."""
        member = require_moderator(interaction)
        found = await self.moderation.build_report(member.guild, days)
        page = self.moderation.report_page(found, 0)
        await interaction.response.send_message(embed=page.embed, view=page_view("gate", str(found.days), page),
                                                file=self.moderation.report_file(member.guild, found),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def render_report_page(self, interaction: discord.Interaction, state: str, page: int) -> Page:
        member = require_moderator(interaction)
        return self.moderation.report_page(await self.moderation.build_report(member.guild, int(state)), page)

    @gate.command(name="prune")
    @app_commands.describe(days="Act on members inactive for more than this many days",
                           action="demote: member role off, newcomer role on; kick: remove from the server")
    async def prune(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650],
                    action: Literal["demote", "kick"]) -> None:
        """Demote or kick inactive members, after showing the exact list and a Confirm button."""
        member = (require(interaction, manage_roles=True) if action == "demote"
                  else require(interaction, kick_members=True))
        if action == "demote":
            await gate_config.require_gate_config(self.bot.db, member.guild.id)
        await self.moderation.start_prune(interaction, member, days, action)

    async def prune_pressed(self, interaction: discord.Interaction, action: str, prune_id: int) -> None:
        await self.moderation.prune_pressed(interaction, action, prune_id)

    # Messages: participation counts and anti-spam ----------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        if guild is None or message.author.bot or message.webhook_id is not None:
            return
        if message.type not in COUNTED_MESSAGE_TYPES:
            return
        if self.bot.settings.message_content_intent and isinstance(message.author, discord.Member):
            known, config = self.configs.cached(guild.id)
            if not known:
                config = await self.configs.get(guild.id)
            if config is not None and config.antispam_enabled:
                verdict = self.moderation.judge(message, message.author, config)
                if verdict is not None:
                    await self.moderation.stop_spam(message, message.author, verdict)
                    return
        # Counts only: the content is never stored.
        self.bot.participation.record(guild.id, message.author.id, messages=1)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Gate(bot))
