"""/submit and /review: hand in work, write reviews through the form, read what others wrote.

This cog also runs peer review's scheduler jobs (the draw at the due time, reviewers' DMs,
reminders, results) and keeps study-plan assignments in step with their plans.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.reviews import leavers, plansync, reviewing, rounds, store, submissions
from bot.reviews.jobs import ReviewJobs
from bot.reviews.model import Status, averages
from bot.text import counted
from bot.tree import report_interaction_error
from bot.ui.checks import guild_member
from bot.ui.render import NO_PINGS, safe, when
from cogs._reviews_discord import ReviewMessenger, absent_members
from cogs._reviews_ui import (
    DYNAMIC_ITEMS,
    CommentsButton,
    CommentsModal,
    HelpfulButton,
    assignment_autocomplete,
    form_embed,
    form_has_comments_button,
    form_view,
    link,
    results_embed,
    review_embed,
    submitted_comments,
)

log = logging.getLogger("bot.reviews")


@app_commands.guild_only()
class Reviews(commands.Cog):
    """Peer review: submit, review, read your reviews."""

    review = app_commands.Group(name="review", description="Peer review: volunteer, read your reviews",
                                guild_only=True)

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.messenger = ReviewMessenger(bot)
        self.jobs = ReviewJobs(bot.db, bot.clock, bot.scheduler, self.messenger)
        self.jobs_ready = asyncio.Event()
        self._jobs_started = False

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.jobs.stop()

    # Start-up and events ---------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._jobs_started:  # on_ready comes again after a reconnect; jobs are built once
            return
        self._jobs_started = True
        for guild_id, plan_id in await plansync.running_plans(self.bot.db):
            await plansync.sync_plan_assignments(self.bot.db, self.bot.clock, guild_id, plan_id)
        count = await self.jobs.start()
        self.jobs_ready.set()
        log.info("peer review jobs built for %d assignments", count)

    @commands.Cog.listener()
    async def on_plan_changed(self, guild_id: int, plan_id: int) -> None:
        """A study plan changed (the plans cog dispatches ``plan_changed``): its assignments follow."""
        synced = await plansync.sync_plan_assignments(self.bot.db, self.bot.clock, guild_id, plan_id)
        for assignment_id in synced.changed:
            await self.jobs.sync(assignment_id)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Review comments (the ``review:form:<id>`` modal) are read here, from the interaction itself:
        a modal object lives in memory only, and a reviewer may submit after the bot restarted."""
        submitted = submitted_comments(interaction)
        if submitted is None:
            return
        review_id, works, improve = submitted
        try:
            await self.submit_comments(interaction, review_id, works, improve)
        except Exception as error:
            await report_interaction_error(interaction, error)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A member left: the reviews they owe in running rounds go to others; reviews of their work stop."""
        if payload.user.bot:
            return
        guild = self.bot.get_guild(payload.guild_id)
        present = {m.id for m in guild.members} if guild is not None and guild.chunked else None
        for handed in await leavers.member_left(self.bot.db, self.bot.clock, payload.guild_id, payload.user.id,
                                                present):
            log.info("assignment %s: member %s left; %d reviews handed on, %d unfilled, %d of their work withdrawn",
                     handed.assignment_id, payload.user.id, handed.handed_on, handed.unfilled, handed.withdrawn)
            await self.jobs.sync(handed.assignment_id)

    # /submit --------------------------------------------------------------------------------------
    @app_commands.command(name="submit")
    @app_commands.guild_only()
    @app_commands.autocomplete(assignment=assignment_autocomplete)
    @app_commands.describe(assignment="The assignment", url="A link to your work (http or https)",
                           note="A few words for your reviewers", public="Also show it off in the topic's channel")
    async def submit(self, interaction: discord.Interaction, assignment: str, url: str, note: str | None = None,
                     public: bool = False) -> None:
        """Hand in your work for an assignment (you can replace it until the due time)."""
        member = guild_member(interaction)
        found = await store.find_assignment(self.bot.db, member.guild.id, assignment)
        people = {s.user_id for s in await store.submissions(self.bot.db, found.id)} \
            | set(await store.volunteers(self.bot.db, found.id)) if found.status is Status.REVIEWING else set()
        done = await submissions.submit(self.bot.db, self.bot.clock, found, user_id=member.id, url=url, note=note,
                                        public=public, absent=absent_members(member.guild, people))
        if done.created:
            self.bot.participation.record(member.guild.id, member.id, submissions=1)
        if found.status is Status.REVIEWING:  # a late one: its reviewers, and the places its author takes
            await self.jobs.sync(found.id)
            await self.messenger.refresh_card(found)  # "too few submitted" may no longer hold
        lines = [("Submitted" if done.created else "Replaced your submission to") + f" **{safe(found.title, 200)}**: "
                 f"{link(done.submission.url, 1000)}"]
        if done.submission.late:
            after = "the due time" if self.bot.clock.now() > found.due_at else "organisers closed submissions"
            lines.append(f"It came after {after}, so it is marked late.")
            if found.status is Status.REVIEWING:
                lines.append((f"{counted(done.reviewers, 'reviewer')} will read it" if done.reviewers else
                              "Nobody is free to review it yet (organisers have been told)")
                             + "; if others' work still lacks reviewers, some of it comes to you by DM.")
        else:
            lines.append(f"You can replace it until {when(found.due_at, 'F')}; reviewers are drawn then, and you "
                         f"will review {counted(found.reviewers, 'submission')} of others.")
        showcased = await self.messenger.showcase(found, done.submission, public)
        if showcased:
            lines.append(showcased)
        await interaction.response.send_message("\n".join(lines), ephemeral=True, allowed_mentions=NO_PINGS)

    # /review ----------------------------------------------------------------------------------------
    @review.command(name="volunteer")
    @app_commands.autocomplete(assignment=assignment_autocomplete)
    @app_commands.describe(assignment="The assignment you offer to review for")
    async def volunteer(self, interaction: discord.Interaction, assignment: str) -> None:
        """Offer to review when there are too few submitters."""
        member = guild_member(interaction)
        found = await store.find_assignment(self.bot.db, member.guild.id, assignment)
        taken = await rounds.volunteer(self.bot.db, self.bot.clock, found, member.id)
        if taken:
            await self.jobs.sync(found.id)
            text = f"Thank you! You took {counted(taken, 'review')}; they are on their way to your DMs."
        else:
            text = ("Thank you! You are on the list: if there are too few submitters when reviewers are drawn, you "
                    "will be asked to fill in." if found.seed is None else
                    "Thank you! No review place is missing right now; you are on the list for late submissions.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @review.command(name="mine")
    @app_commands.autocomplete(assignment=assignment_autocomplete)
    @app_commands.describe(assignment="The assignment you submitted to")
    async def mine(self, interaction: discord.Interaction, assignment: str) -> None:
        """Read the reviews of your submission and the rubric averages."""
        member = guild_member(interaction)
        found = await store.find_assignment(self.bot.db, member.guild.id, assignment)
        results = await reviewing.my_results(self.bot.db, found, member.id)
        await interaction.response.send_message(embed=results_embed(results, averages(found.rubric, results.reviews)),
                                                ephemeral=True, allowed_mentions=NO_PINGS)
        for number, review in enumerate(results.reviews, start=1):
            view = discord.ui.View(timeout=None)
            view.add_item(HelpfulButton(review.id, done=review.helpful))
            await interaction.followup.send(embed=review_embed(found, review, number), view=view, ephemeral=True,
                                            allowed_mentions=NO_PINGS)

    # The review form (called by the dynamic items) ---------------------------------------------------
    async def open_form(self, interaction: discord.Interaction, review_id: int) -> None:
        form = await reviewing.open_review(self.bot.db, review_id, interaction.user.id)
        await interaction.response.send_message(embed=form_embed(form), view=form_view(form), ephemeral=True,
                                                allowed_mentions=NO_PINGS)
        if not form_has_comments_button(form):  # five selects fill the message: the button comes apart
            view = discord.ui.View(timeout=None)
            view.add_item(CommentsButton(review_id))
            await interaction.followup.send("Once every criterion has a score, write your comments here.",
                                            view=view, ephemeral=True, allowed_mentions=NO_PINGS)

    async def score(self, interaction: discord.Interaction, review_id: int, criterion: int, values: list[str]) -> None:
        if len(values) != 1 or not (values[0].isascii() and values[0].lstrip("-").isdigit()):
            raise InvalidInput("Pick one score from 1 to 5.")
        form = await reviewing.set_score(self.bot.db, review_id, interaction.user.id, criterion, int(values[0]))
        if form.complete_scores:
            await interaction.response.send_modal(CommentsModal(review_id, form.assignment.title, form.review.works,
                                                                form.review.improve))
            return
        await interaction.response.edit_message(embed=form_embed(form), view=form_view(form),
                                                allowed_mentions=NO_PINGS)

    async def open_comments(self, interaction: discord.Interaction, review_id: int) -> None:
        form = await reviewing.open_review(self.bot.db, review_id, interaction.user.id)
        await interaction.response.send_modal(CommentsModal(review_id, form.assignment.title, form.review.works,
                                                            form.review.improve))

    async def submit_comments(self, interaction: discord.Interaction, review_id: int, works: str,
                              improve: str) -> None:
        try:
            done = await reviewing.submit_review(self.bot.db, self.bot.clock, review_id, interaction.user.id,
                                                 works=works, improve=improve)
        except InvalidInput as refusal:  # the draft is stored: offer the form again, holding it
            view = discord.ui.View(timeout=None)
            view.add_item(CommentsButton(review_id, label="Edit your comments"))
            await interaction.response.send_message(refusal.message, view=view, ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        self.bot.participation.record(done.review.guild_id, interaction.user.id, reviews_given=1)
        await self.jobs.sync(done.review.assignment_id)  # the author may be due their results now
        await interaction.response.send_message(
            "Thank you: your review is in" + (" (after the window, so it is marked late)." if done.review.late
                                              else ". The author will see it, anonymously unless the organisers "
                                                   "chose otherwise."), ephemeral=True, allowed_mentions=NO_PINGS)

    async def helpful(self, interaction: discord.Interaction, review_id: int) -> None:
        review = await reviewing.mark_helpful(self.bot.db, self.bot.clock, review_id, interaction.user.id)
        if review.reviewer_id is not None:
            self.bot.participation.record(review.guild_id, review.reviewer_id, helpful_marks=1)
        view = discord.ui.View(timeout=None)
        view.add_item(HelpfulButton(review.id, done=True))
        await interaction.response.edit_message(view=view, allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Reviews(bot))
