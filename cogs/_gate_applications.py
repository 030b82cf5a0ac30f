"""The gate's application flow on Discord: the form, the review card and its buttons, and the decision
(roles, DMs, the mod log). The rules (scoring, cool-downs, who may decide) live in ``bot.gate``.

A helper of ``cogs/gate.py``: it imports nothing from the cog.
"""

from __future__ import annotations

import logging

import discord

from bot import topics
from bot.core import CohortBot
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.gate import applications, drafts
from bot.gate import config as gate_config
from bot.gate.applications import Application
from bot.gate.config import GateConfig
from bot.gate.drafts import TypedAnswers
from bot.ui.render import NO_PINGS, safe, when
from cogs._gate_cards import decision_log, review_card
from cogs._gate_discord import is_member, mod_log, post, quoted, require_moderator, role_problem, send_dm
from cogs._gate_views import ApplyModal, ReasonModal, ReplyModal, reply_view, review_view

log = logging.getLogger("cogs.gate")


class Applications:
    """Applying (``/apply``, the Apply button, the form) and reviewing (Approve, Reject, Ask, Reply)."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    # Applying ----------------------------------------------------------------------------------
    async def applicant(self, interaction: discord.Interaction,
                         guild_id: int) -> tuple[discord.Guild, discord.Member, GateConfig]:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise NotFound("I am no longer in that server.")
        member = guild.get_member(interaction.user.id)
        if member is None:
            raise NotAllowed(f"You are not in **{safe(guild.name, 100)}** (any more); join it first.")
        config = await gate_config.require_gate_config(self.bot.db, guild.id)
        if is_member(member, config):
            raise InvalidInput(f"You are already a member of **{safe(guild.name, 100)}**; no need to apply.")
        return guild, member, config

    async def open_apply(self, interaction: discord.Interaction, guild_id: int) -> None:
        """Open the application form, or the reply form if a reviewer's question is waiting."""
        guild, member, config = await self.applicant(interaction, guild_id)
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
        guild, member, config = await self.applicant(interaction, guild_id)
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
    async def review_context(self, interaction: discord.Interaction,
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
        guild, config, application = await self.review_context(interaction, application_id)
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
        await mod_log(self.bot.db, guild, decision_log(decided, applicant=member.display_name, action=action,
                                                       by=decided_by, detail="\n".join(notes)))
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
        guild, config, application = await self.review_context(interaction, application_id)
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
        await mod_log(self.bot.db, guild, decision_log(
            decided, applicant=applicant.display_name if applicant else "left", action="rejected",
            by=interaction.user.id, detail=f"Reason: {safe(reason, 1000)}"))
        await interaction.response.send_message("\n".join([f"Rejected <@{decided.user_id}>.", *notes]),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def submit_question(self, interaction: discord.Interaction, application_id: int, text: str) -> None:
        guild, config, application = await self.review_context(interaction, application_id)
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
        await mod_log(self.bot.db, guild, decision_log(
            application, applicant=applicant.display_name if applicant else "left", action="question asked",
            by=interaction.user.id, detail=f"Question: {safe(question.question, 1000)}"))
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

    async def withdraw_left(self, guild: discord.Guild, config: GateConfig, user_id: int) -> None:
        """Someone left the server: their open application is withdrawn and its card says so."""
        withdrawn = await applications.withdraw_open(self.bot.db, self.bot.clock, guild.id, user_id)
        if withdrawn is not None:
            await self.refresh_card(guild, config, withdrawn, note="Withdrawn: they left the server.")
