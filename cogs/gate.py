"""/gate and /apply: the membership gate, its review buttons, newcomer follow-up, inactivity and anti-spam."""

from __future__ import annotations

import io
import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config, topics
from bot.core import CohortBot
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.gate import antispam, applications, drafts, inactivity, newcomers
from bot.gate import config as gate_config
from bot.gate.applications import Application
from bot.gate.config import ConfigCache, GateConfig
from bot.gate.drafts import TypedAnswers
from bot.gate.inactivity import InactivityReport, MemberSince, Prune
from bot.gate.scoring import account_age
from bot.text import counted
from bot.ui.checks import require
from bot.ui.paging import Page, clamp_page, page_view
from bot.ui.render import COLOUR_BAD, COLOUR_WARN, NO_PINGS, cut, safe, when
from cogs._gate_ui import (
    PRUNE_LIST_SHOWN,
    REPORT_PER_PAGE,
    ApplyButton,
    ApplyModal,
    PruneButton,
    ReasonModal,
    ReplyButton,
    ReplyModal,
    ReviewButton,
    apply_view,
    config_embed,
    decision_log,
    is_moderator,
    post,
    prune_embed,
    prune_view,
    quoted,
    reply_view,
    report_embed,
    require_moderator,
    review_card,
    review_view,
    role_problem,
    send_dm,
    setup_problems,
)

log = logging.getLogger(__name__)

SWEEP_MINUTES = 10
COUNTED_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


# The cog -----------------------------------------------------------------------------------------
class Gate(commands.Cog):
    """Committed learners only: applications, review, newcomer follow-up, inactivity and anti-spam."""

    gate = app_commands.Group(name="gate", description="The membership gate: setup, review and inactivity.",
                              guild_only=True, default_permissions=discord.Permissions(kick_members=True))

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.configs = ConfigCache(bot.db)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ApplyButton, ReviewButton, ReplyButton, PruneButton)
        self.bot.pagers["gate"] = self.render_report_page
        self.bot.scheduler.add_job(self.sweep, "interval", minutes=SWEEP_MINUTES, id="gate:sweep",
                                   replace_existing=True, coalesce=True, max_instances=1)
        self.bot.scheduler.add_job(self.purge, "cron", hour=4, minute=17, id="gate:purge",
                                   replace_existing=True, coalesce=True, max_instances=1)

    async def cog_unload(self) -> None:
        for job_id in ("gate:sweep", "gate:purge"):
            if self.bot.scheduler.get_job(job_id):
                self.bot.scheduler.remove_job(job_id)
        self.bot.remove_dynamic_items(ApplyButton, ReviewButton, ReplyButton, PruneButton)
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

    # Joining -----------------------------------------------------------------------------------
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
            await self.welcome(member, config)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if after.bot or not before.pending or after.pending:
            return
        config = await self.configs.get(after.guild.id)
        if config is None:
            return
        if await newcomers.get_newcomer(self.bot.db, after.guild.id, after.id) is None:
            await newcomers.record_join(self.bot.db, guild_id=after.guild.id, user_id=after.id,
                                        joined_at=after.joined_at or self.bot.clock.now(),
                                        account_created_at=after.created_at)
        await self.welcome(after, config)

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        config = await self.configs.get(member.guild.id)
        if config is None:
            return
        await newcomers.record_leave(self.bot.db, self.bot.clock, member.guild.id, member.id)
        await drafts.delete_draft(self.bot.db, member.guild.id, member.id)
        withdrawn = await applications.withdraw_open(self.bot.db, self.bot.clock, member.guild.id, member.id)
        if withdrawn is not None:
            await self.refresh_card(member.guild, config, withdrawn, note="Withdrawn: they left the server.")

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Welcome whoever joined (or passed screening) while the bot was away."""
        for guild in self.bot.guilds:
            config = await self.configs.get(guild.id)
            if config is None:
                continue
            welcomed = await newcomers.welcomed_user_ids(self.bot.db, guild.id)
            for member in guild.members:
                if (member.bot or member.pending or member.id in welcomed or self.is_member(member, config)
                        or member.joined_at is None or member.joined_at < config.configured_at):
                    continue
                if await newcomers.get_newcomer(self.bot.db, guild.id, member.id) is None:
                    await newcomers.record_join(self.bot.db, guild_id=guild.id, user_id=member.id,
                                                joined_at=member.joined_at, account_created_at=member.created_at)
                await self.welcome(member, config)

    @staticmethod
    def is_member(member: discord.Member, config: GateConfig) -> bool:
        return member.get_role(config.member_role_id) is not None

    async def welcome(self, member: discord.Member, config: GateConfig) -> None:
        """Newcomer role, a welcome with an Apply button, and a flag to reviewers for young accounts."""
        guild = member.guild
        if self.is_member(member, config):
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

    # Applying ----------------------------------------------------------------------------------
    @app_commands.command(name="apply")
    @app_commands.guild_only()
    async def apply(self, interaction: discord.Interaction) -> None:
        """Apply to become a member, or answer a reviewer's question."""
        assert interaction.guild_id is not None
        await self.open_apply(interaction, interaction.guild_id)

    async def _applicant(self, interaction: discord.Interaction,
                         guild_id: int) -> tuple[discord.Guild, discord.Member, GateConfig]:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise NotFound("I am no longer in that server.")
        member = guild.get_member(interaction.user.id)
        if member is None:
            raise NotAllowed(f"You are not in **{safe(guild.name, 100)}** (any more); join it first.")
        config = await gate_config.require_gate_config(self.bot.db, guild.id)
        if self.is_member(member, config):
            raise InvalidInput(f"You are already a member of **{safe(guild.name, 100)}**; no need to apply.")
        return guild, member, config

    async def open_apply(self, interaction: discord.Interaction, guild_id: int) -> None:
        """Open the application form, or the reply form if a reviewer's question is waiting."""
        guild, member, config = await self._applicant(interaction, guild_id)
        question = await applications.unanswered_question(self.bot.db, guild.id, member.id)
        if question is not None:
            await interaction.response.send_modal(ReplyModal(question.id, question.question))
            return
        await applications.check_can_apply(self.bot.db, self.bot.clock, config, member.id)
        draft = await drafts.get_draft(self.bot.db, guild.id, member.id)
        await interaction.response.send_modal(ApplyModal(guild.id, guild.name, draft.answers if draft else None))

    async def open_reply(self, interaction: discord.Interaction, question_id: int) -> None:
        """The Reply button under a reviewer's question in the applicant's DMs."""
        question = await applications.get_question(self.bot.db, question_id)
        if question.answer is not None:
            raise InvalidInput("You already answered this question; thank you.")
        await interaction.response.send_modal(ReplyModal(question.id, question.question))

    async def submit_apply(self, interaction: discord.Interaction, guild_id: int, typed: TypedAnswers) -> None:
        guild, member, config = await self._applicant(interaction, guild_id)
        parsed = await drafts.check_or_keep(self.bot.db, self.bot.clock, guild.id, member.id, typed)
        application = await applications.submit_application(self.bot.db, self.bot.clock, config, user_id=member.id,
                                                            answers=parsed, account_created_at=member.created_at)
        await interaction.response.defer(ephemeral=True, thinking=True)
        card = await post(guild.get_channel(config.review_channel_id),
                          embed=await self.card_for(guild, config, application), view=review_view(application))
        if card is not None:
            await applications.set_review_message(self.bot.db, application.id, card.channel.id, card.id)
            application = await applications.get_application(self.bot.db, application.id)
        else:
            log.warning("application %s in guild %s could not be posted for review", application.id, guild.id)
            if not config.auto_approve:
                await interaction.followup.send(
                    f"Application #{application.id} is saved, but I could not post it for the reviewers. Please "
                    "tell an organiser (they can run `/gate show` to see why).", ephemeral=True,
                    allowed_mentions=NO_PINGS)
                return
        if config.auto_approve and application.score >= config.scoring.approve_threshold:
            assert self.bot.user is not None
            await self.approve(guild, config, application, decided_by=self.bot.user.id, automatic=True)
            await interaction.followup.send(f"Welcome in! Your application scored {application.score} and was "
                                            f"approved at once. You now have the member role in "
                                            f"**{safe(guild.name, 100)}**.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.followup.send(
            f"Thank you! Application #{application.id} is with the reviewers. I will DM you when they decide "
            "(keep DMs from server members on), or if they have a question.", ephemeral=True,
            allowed_mentions=NO_PINGS)

    async def card_for(self, guild: discord.Guild, config: GateConfig, application: Application,
                       note: str | None = None) -> discord.Embed:
        names = []
        for topic_id in application.topic_ids:
            topic = await topics.get_topic_by_id(self.bot.db, guild.id, topic_id)
            if topic is not None:
                names.append(topic.name)
        member = guild.get_member(application.user_id)
        return review_card(application, applicant=member.display_name if member else str(application.user_id),
                           topic_names=names, questions=await applications.questions_for(self.bot.db, application.id),
                           min_account_age_days=config.min_account_age_days, note=note)

    async def refresh_card(self, guild: discord.Guild, config: GateConfig, application: Application,
                           note: str | None = None) -> None:
        """Redraw the review card after a decision, question or answer (buttons go once decided)."""
        if application.review_channel_id is None or application.review_message_id is None:
            return
        channel = guild.get_channel(application.review_channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        try:
            await channel.get_partial_message(application.review_message_id).edit(
                embed=await self.card_for(guild, config, application, note), view=review_view(application),
                allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.warning("could not update the card of application %s: %s", application.id, error)

    # Reviewing ---------------------------------------------------------------------------------
    async def _review_context(self, interaction: discord.Interaction,
                              application_id: int) -> tuple[discord.Guild, GateConfig, Application]:
        member = require_moderator(interaction)
        config = await gate_config.require_gate_config(self.bot.db, member.guild.id)
        application = await applications.get_application(self.bot.db, application_id)
        if application.guild_id != member.guild.id:
            raise NotFound(f"Application #{application_id} belongs to another server.")
        if application.status != applications.OPEN:
            raise applications.already_decided(application)
        return member.guild, config, application

    async def review_pressed(self, interaction: discord.Interaction, action: str, application_id: int) -> None:
        guild, config, application = await self._review_context(interaction, application_id)
        if action in ("reject", "ask"):
            await interaction.response.send_modal(ReasonModal(action, application.id))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, notes = await self.approve(guild, config, application, decided_by=interaction.user.id)
        await interaction.followup.send("\n".join([f"Approved <@{application.user_id}>.", *notes]), ephemeral=True,
                                        allowed_mentions=NO_PINGS)

    async def approve(self, guild: discord.Guild, config: GateConfig, application: Application, *,
                      decided_by: int, automatic: bool = False) -> tuple[Application, list[str]]:
        """Member role on, newcomer role off, topic roles, a welcome DM, the card and the mod log."""
        member = guild.get_member(application.user_id)
        if member is None:
            withdrawn = await applications.withdraw_open(self.bot.db, self.bot.clock, guild.id, application.user_id)
            if withdrawn is not None:
                await self.refresh_card(guild, config, withdrawn, note="Withdrawn: they left the server.")
            raise InvalidInput(f"<@{application.user_id}> has left the server; the application is now withdrawn.")
        member_role = guild.get_role(config.member_role_id)
        problem = role_problem(guild, member_role, "member role")
        if problem or member_role is None:
            raise NotAllowed(f"I cannot approve yet. {problem}")
        decided = await applications.decide(self.bot.db, self.bot.clock, application.id,
                                            status=applications.APPROVED, decided_by=decided_by)
        notes = await self._grant_membership(guild, config, member, decided, member_role)
        text = (f"Welcome to **{safe(guild.name, 100)}**: your application was approved and you are now a "
                "member. Join topics with `/topic join`, share resources and come to study sessions. "
                "Members who stop taking part for a long while are moved back to newcomer, and can always "
                "apply again.")
        if not await send_dm(member, content=text):
            notes.append(f"I could not DM the welcome to {member.mention}: their DMs are closed.")
        await self.refresh_card(guild, config, decided, note="\n".join(notes) or None)
        action = "auto-approved" if automatic else "approved"
        await self.mod_log(guild, decision_log(decided, applicant=member.display_name, action=action, by=decided_by,
                                               detail="\n".join(notes)))
        return decided, notes

    async def _grant_membership(self, guild: discord.Guild, config: GateConfig, member: discord.Member,
                                application: Application, member_role: discord.Role) -> list[str]:
        notes: list[str] = []
        topic_roles: list[discord.Role] = []
        for topic_id in application.topic_ids:
            topic = await topics.get_topic_by_id(self.bot.db, guild.id, topic_id)
            role = guild.get_role(topic.role_id) if topic and topic.role_id else None
            if topic is None or role is None or role in member.roles:
                continue
            problem = role_problem(guild, role, f"role of topic {topic.slug}")
            if problem:
                notes.append(problem)
            else:
                topic_roles.append(role)
        newcomer_role = guild.get_role(config.newcomer_role_id)
        try:
            await member.add_roles(member_role, *topic_roles, reason=f"Application #{application.id} approved")
            if newcomer_role is not None and newcomer_role in member.roles:
                if role_problem(guild, newcomer_role, "newcomer role") is None:
                    await member.remove_roles(newcomer_role, reason=f"Application #{application.id} approved")
                else:
                    notes.append(f"I could not take {newcomer_role.mention} away: it is above my highest role.")
        except discord.HTTPException as error:
            log.warning("role change for approved application %s failed: %s", application.id, error)
            notes.append(f"Discord refused a role change ({error.text or error.status}); run `/gate show` and fix "
                         "the roles by hand.")
        return notes

    async def submit_reject(self, interaction: discord.Interaction, application_id: int, reason: str) -> None:
        guild, config, application = await self._review_context(interaction, application_id)
        decided = await applications.decide(self.bot.db, self.bot.clock, application.id,
                                            status=applications.REJECTED, decided_by=interaction.user.id,
                                            reason=reason)
        again = applications.reapply_at(config, decided)
        notes: list[str] = []
        applicant = guild.get_member(decided.user_id)
        text = (f"Thank you for applying to **{safe(guild.name, 100)}**. This time your application was not "
                f"accepted. The reviewers said:\n{quoted(decided.decision_reason, 1500)}\n\nYou can apply again "
                f"from {when(again, 'f')} (a {config.reapply_cooldown_days}-day cool-down) with `/apply`.")
        if applicant is None or not await send_dm(applicant, content=text):
            notes.append(f"I could not DM <@{decided.user_id}> the reason: their DMs are closed (or they left).")
        await self.refresh_card(guild, config, decided, note="\n".join(notes) or None)
        await self.mod_log(guild, decision_log(decided, applicant=applicant.display_name if applicant else "left",
                                               action="rejected", by=interaction.user.id,
                                               detail=f"Reason: {safe(reason, 1000)}"))
        await interaction.response.send_message("\n".join([f"Rejected <@{decided.user_id}>.", *notes]),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def submit_question(self, interaction: discord.Interaction, application_id: int, text: str) -> None:
        guild, config, application = await self._review_context(interaction, application_id)
        question = await applications.ask_question(self.bot.db, self.bot.clock, application.id,
                                                   asked_by=interaction.user.id, question=text)
        applicant = guild.get_member(application.user_id)
        dm = (f"A reviewer of **{safe(guild.name, 100)}** has a question about your application:\n"
              f"{quoted(question.question, 1500)}\n\nPress **Reply** to answer.")
        delivered = applicant is not None and await send_dm(applicant, content=dm, view=reply_view(question.id))
        if delivered:
            await applications.mark_question_delivered(self.bot.db, question.id)
            reply = f"Question sent to <@{application.user_id}>; their answer will appear on the card."
        else:
            reply = (f"I could not DM <@{application.user_id}>: their DMs are closed. The question is saved, and "
                     "they will see it the next time they use `/apply`.")
        await self.refresh_card(guild, config, application)
        await self.mod_log(guild, decision_log(application, applicant=applicant.display_name if applicant else "left",
                                               action="question asked", by=interaction.user.id,
                                               detail=f"Question: {safe(question.question, 1000)}"))
        await interaction.response.send_message(reply, ephemeral=True, allowed_mentions=NO_PINGS)

    async def submit_reply(self, interaction: discord.Interaction, question_id: int, answer: str) -> None:
        _, application = await applications.answer_question(self.bot.db, self.bot.clock, question_id,
                                                            user_id=interaction.user.id, answer=answer)
        guild = self.bot.get_guild(application.guild_id)
        config = await gate_config.get_gate_config(self.bot.db, application.guild_id)
        if guild is not None and config is not None:
            await self.refresh_card(guild, config, application)
            jump = ""
            if application.review_channel_id and application.review_message_id:
                jump = (f" https://discord.com/channels/{guild.id}/{application.review_channel_id}/"
                        f"{application.review_message_id}")
            await post(guild.get_channel(config.review_channel_id),
                       content=f"<@{application.user_id}> answered a question on application #{application.id}."
                               + jump)
        await interaction.response.send_message("Thank you, your answer was passed on to the reviewers.",
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def mod_log(self, guild: discord.Guild, embed: discord.Embed) -> None:
        shared = await guild_config.get_config(self.bot.db, guild.id)
        if shared.mod_log_channel_id is None:
            log.info("no mod-log channel in guild %s: %s", guild.id, embed.title)
            return
        await post(guild.get_channel(shared.mod_log_channel_id), embed=embed)

    # Follow-up of newcomers, expiry, retention --------------------------------------------------
    async def sweep(self) -> None:
        """Periodic: expire prune confirmations, remind, kick or list newcomers who have not applied."""
        for prune in await inactivity.expire_prunes(self.bot.db, self.bot.clock):
            await self._redraw_prune(prune)
        for guild_id in [row["guild_id"] for row in await self.bot.db.fetchall("SELECT guild_id FROM gate_config")]:
            guild = self.bot.get_guild(guild_id)
            config = await self.configs.get(guild_id)
            if guild is None or config is None:
                continue
            try:
                await self.follow_up(guild, config)
            except Exception:
                log.exception("newcomer follow-up failed in guild %s", guild_id)

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
            if self.is_member(member, config):
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
            elif self.is_member(member, config):
                await newcomers.mark_listed(db, clock, guild.id, [member.id])
            elif not await self._kick_unapplied(guild, config, member):
                listed.append(member.id)
        for newcomer in due.list_to_reviewers:
            member = guild.get_member(newcomer.user_id)
            if member is not None and not self.is_member(member, config):
                listed.append(member.id)
        if listed:
            lines = "\n".join(f"<@{user_id}>" for user_id in listed)
            await post(review_channel, content=cut(f"These newcomers have not applied, {config.apply_within_days} "
                                                   f"days after joining and 3 days after a reminder:\n{lines}", 2000))
        await newcomers.mark_listed(db, clock, guild.id, [n.user_id for n in due.list_to_reviewers] + listed)

    async def _kick_unapplied(self, guild: discord.Guild, config: GateConfig, member: discord.Member) -> bool:
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
        await self.mod_log(guild, embed)
        return True

    async def purge(self) -> None:
        """Daily: delete what is past its keeping time (see the privacy section of the README)."""
        from bot.gate.privacy import purge_expired

        removed = await purge_expired(self.bot.db, self.bot.clock)
        if removed:
            log.info("retention: removed %s", ", ".join(f"{n} {kind}" for kind, n in removed.items()))

    # Inactivity --------------------------------------------------------------------------------
    def report_members(self, guild: discord.Guild, config: GateConfig | None) -> list[MemberSince]:
        """Everyone who counts: humans, except newcomers still in the application flow."""
        found = []
        for member in guild.members:
            if member.bot:
                continue
            if config is not None and member.get_role(config.newcomer_role_id) and not self.is_member(member, config):
                continue
            found.append(MemberSince(member.id, member.joined_at))
        return found

    async def build_report(self, guild: discord.Guild, days: int | None) -> InactivityReport:
        config = await self.configs.get(guild.id)
        days = days if days is not None else (config.inactive_days if config else 45)
        await self.bot.participation.flush()
        return await inactivity.inactivity_report(self.bot.db, self.bot.clock, guild_id=guild.id,
                                                  members=self.report_members(guild, config), days=days)

    def report_file(self, guild: discord.Guild, report: InactivityReport, prefix: str = "inactive") -> discord.File:
        names = {}
        for inactive in report.members:
            member = guild.get_member(inactive.user_id)
            names[inactive.user_id] = member.display_name if member else ""
        data = inactivity.report_csv(report, names).encode("utf-8")
        today = self.bot.clock.now().date().isoformat()
        return discord.File(io.BytesIO(data), filename=f"{prefix}-{report.days}d-{today}.csv")

    @gate.command(name="report")
    @app_commands.describe(days="Inactive means nothing for more than this many days (default: the gate's setting)")
    async def report(self, interaction: discord.Interaction,
                     days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        """List members who have not taken part for a while (a dry run), with a CSV."""
        member = require_moderator(interaction)
        found = await self.build_report(member.guild, days)
        page = self._report_page(found, 0)
        await interaction.response.send_message(embed=page.embed, view=page_view("gate", str(found.days), page),
                                                file=self.report_file(member.guild, found), ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    def _report_page(self, found: InactivityReport, page: int) -> Page:
        page, pages = clamp_page(page, len(found.members), REPORT_PER_PAGE)
        return Page(report_embed(found, page, pages), page, pages)

    async def render_report_page(self, interaction: discord.Interaction, state: str, page: int) -> Page:
        member = require_moderator(interaction)
        return self._report_page(await self.build_report(member.guild, int(state)), page)

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
            await self._redraw_prune(await inactivity.get_prune(db, prune_id))
            raise
        await interaction.response.edit_message(embed=prune_embed(started), view=None, allowed_mentions=NO_PINGS)
        guild = self.bot.get_guild(started.guild_id)
        assert guild is not None
        config = await self.configs.get(guild.id)
        await self.bot.participation.flush()
        for target in started.targets:
            outcome = await self._prune_one(guild, config, started, target.user_id)
            await inactivity.record_outcome(db, started.id, target.user_id, outcome)
        done = await inactivity.finish_prune(db, clock, started.id)
        summary = inactivity.outcome_summary(done)
        await self._redraw_prune(done, result=summary)
        log_embed = prune_embed(done, result=summary)
        log_embed.title = f"Prune ({done.action}) by {interaction.user.display_name}"[:256]
        await self.mod_log(guild, log_embed)
        await interaction.followup.send(f"Done: {summary}.", ephemeral=True, allowed_mentions=NO_PINGS)

    async def _redraw_prune(self, prune: Prune, result: str | None = None) -> None:
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

    async def _prune_one(self, guild: discord.Guild, config: GateConfig | None, prune: Prune, user_id: int) -> str:
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

    # Messages: participation counts and anti-spam ------------------------------------------------
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
                verdict = self._judge(message, message.author, config)
                if verdict is not None:
                    await self._stop_spam(message, message.author, verdict)
                    return
        # Counts only: the content is never stored.
        self.bot.participation.record(guild.id, message.author.id, messages=1)

    def _judge(self, message: discord.Message, author: discord.Member,
               config: GateConfig) -> antispam.Verdict | None:
        # Distinct users and roles Discord resolved (an id that matches nobody pings nobody).
        mentions = len(message.mentions) + len(message.role_mentions)
        only_newcomer = (author.get_role(config.newcomer_role_id) is not None and len(author.roles) == 2)
        if mentions < config.antispam_max_mentions and not only_newcomer:
            return None  # the common case, decided without looking further
        facts = antispam.MessageFacts(
            content=message.content, mentions=mentions,
            author_is_moderator=is_moderator(author.guild_permissions), author_only_newcomer=only_newcomer,
            author_joined_at=author.joined_at, sent_at=message.created_at)
        return antispam.judge(facts, max_links=config.antispam_max_links, max_mentions=config.antispam_max_mentions)

    async def _stop_spam(self, message: discord.Message, author: discord.Member, verdict: antispam.Verdict) -> None:
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
        await self.mod_log(message.guild, embed)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Gate(bot))

