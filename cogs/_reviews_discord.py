"""Peer review's messages to Discord: the card and thread, reviewers' DMs (with the thread as the
fallback), reminders, results and the organisers' notes: places unfilled, the window's end
(``bot.reviews.jobs.Notifier``)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import timedelta

import discord

from bot import topics
from bot.claims import DeliveryFailed
from bot.core import CohortBot
from bot.guild_config import get_config
from bot.reviews import store, submissions
from bot.reviews.model import Assignment, Review, Status, Submission, averages
from bot.reviews.notices import Outcome
from bot.text import counted
from bot.ui.render import COLOUR_OK, NO_PINGS, cut, safe, when
from cogs._reviews_ui import assignment_embed, averages_text, review_buttons, showcase_embed, work_embed

log = logging.getLogger("bot.reviews")
THREAD_NAME_MAX = 100
SHOWCASE_SEARCH = 50  # recent messages searched for a card whose id a crash lost


def absent_members(guild: discord.Guild | None, user_ids: Collection[int]) -> set[int]:
    """Those of ``user_ids`` not in ``guild``; nobody when its member list is not complete (the
    members intent fills it at start), so that nobody is set aside by mistake."""
    if guild is None or not guild.chunked:
        return set()
    return {user_id for user_id in user_ids if guild.get_member(user_id) is None}


class ReviewMessenger:
    """Implements the jobs' notifier with discord.py."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    async def card_channel_id(self, assignment: Assignment) -> int | None:
        """Where the card goes: the channel chosen at creation, else the topic's, else announcements."""
        if assignment.channel_id:
            return assignment.channel_id
        if assignment.topic_id is not None:
            topic = await topics.get_topic_by_id(self.bot.db, assignment.guild_id, assignment.topic_id)
            if topic is not None and topic.channel_id:
                return topic.channel_id
        return (await get_config(self.bot.db, assignment.guild_id)).announcements_channel_id

    def _messageable(self, channel_id: int | None) -> discord.TextChannel | discord.Thread | discord.PartialMessageable:
        if channel_id is None:
            raise DeliveryFailed("no channel for this assignment: set the topic's channel or /config channel")
        found = self.bot.get_channel(channel_id)
        if isinstance(found, discord.TextChannel | discord.Thread):
            return found
        return self.bot.get_partial_messageable(channel_id)

    def _discussion(self, assignment: Assignment) -> discord.TextChannel | discord.Thread | discord.PartialMessageable:
        """The assignment's thread, or its card's channel when there is no thread."""
        return self._messageable(assignment.thread_id or assignment.channel_id)

    async def post_card(self, assignment: Assignment) -> tuple[int, int, int | None]:
        channel_id = await self.card_channel_id(assignment)
        try:
            message = await self._messageable(channel_id).send(embed=assignment_embed(assignment),
                                                               allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post in channel {channel_id}: {error}") from error
        thread_id: int | None = None
        try:
            thread = await message.create_thread(name=cut(assignment.title.replace("\n", " "), THREAD_NAME_MAX),
                                                 auto_archive_duration=10080)  # a week
            thread_id = thread.id
        except (discord.HTTPException, ValueError) as error:  # no thread permission: the channel does instead
            log.info("assignment %s: no thread (%s); the card's channel is used instead", assignment.id, error)
        assert channel_id is not None
        return channel_id, message.id, thread_id

    async def absent(self, guild_id: int, user_ids: Collection[int]) -> set[int]:
        return absent_members(self.bot.get_guild(guild_id), user_ids)

    async def refresh_card(self, assignment: Assignment) -> None:
        if assignment.channel_id is None or assignment.message_id is None:
            return
        message = self._messageable(assignment.channel_id)
        try:
            await message.get_partial_message(assignment.message_id).edit(
                embed=assignment_embed(assignment, has_reviewers=await store.has_reviewers(self.bot.db,
                                                                                           assignment.id)),
                allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.info("assignment %s: card not updated: %s", assignment.id, error)

    # The showcase card ------------------------------------------------------------------------------
    async def showcase(self, assignment: Assignment, submission: Submission, public: bool) -> str | None:
        """Post, update or (``public`` False) take down the submission's showcase card, at most one per
        submission (claimed before it is sent); returns a line for the member, if there is news."""
        if submission.showcase_channel_id is not None:
            existing = await self._showcase_message(assignment, submission)
            if existing is not None:
                told = await self._update_showcase(assignment, submission, existing, public)
                if told is not None:
                    return told
            await submissions.clear_showcase(self.bot.db, submission.id)  # deleted, or never sent
        if not public:
            return None
        channel_id = await self.showcase_channel_id(assignment)
        if channel_id is None:
            return "There is no channel for showcases here, so it was not shown off."
        if not await submissions.claim_showcase(self.bot.db, submission.id, channel_id):
            return None  # another /submit of this member's is posting it right now
        try:
            message = await self._messageable(channel_id).send(embed=showcase_embed(assignment, submission),
                                                               allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:  # certainly not posted: the claim is released
            log.warning("assignment %s: showcase card not posted: %s", assignment.id, error)
            await submissions.clear_showcase(self.bot.db, submission.id)
            return f"I could not post the showcase card in <#{channel_id}>."
        await submissions.set_showcase(self.bot.db, submission.id, channel_id, message.id)
        return f"Shown off in <#{channel_id}>."

    async def showcase_channel_id(self, assignment: Assignment) -> int | None:
        """The topic's channel, else where the assignment's card is."""
        if assignment.topic_id is not None:
            topic = await topics.get_topic_by_id(self.bot.db, assignment.guild_id, assignment.topic_id)
            if topic is not None and topic.channel_id:
                return topic.channel_id
        return await self.card_channel_id(assignment)

    async def _showcase_message(self, assignment: Assignment, submission: Submission) -> discord.PartialMessage | None:
        """The card already posted: by its id, or, after a crash between sending and keeping the id, found
        among the channel's recent messages (and its id kept). None: there is none."""
        channel = self._messageable(submission.showcase_channel_id)
        if submission.showcase_message_id:
            return channel.get_partial_message(submission.showcase_message_id)
        footer, mention = f"Assignment #{assignment.id}", f"<@{submission.user_id}> "
        try:
            async for message in channel.history(limit=SHOWCASE_SEARCH):
                if self.bot.user is not None and message.author.id == self.bot.user.id and any(
                        (embed.footer.text or "").startswith(footer) and (embed.description or "").startswith(mention)
                        for embed in message.embeds):
                    await submissions.set_showcase(self.bot.db, submission.id, channel.id, message.id)
                    return channel.get_partial_message(message.id)
        except discord.HTTPException as error:
            log.info("assignment %s: could not look for a showcase card: %s", assignment.id, error)
        return None

    async def _update_showcase(self, assignment: Assignment, submission: Submission, message: discord.PartialMessage,
                               public: bool) -> str | None:
        """Edit or take down the card; None when it is gone (someone deleted it)."""
        where = f"<#{message.channel.id}>"
        try:
            if not public:
                await message.delete()
                await submissions.clear_showcase(self.bot.db, submission.id)
                return f"Your showcase card in {where} was taken down, as this submission is not public."
            await message.edit(embed=showcase_embed(assignment, submission), allowed_mentions=NO_PINGS)
        except discord.NotFound:
            return None
        except discord.HTTPException as error:
            log.warning("assignment %s: showcase card not changed: %s", assignment.id, error)
            return f"I could not change your showcase card in {where}."
        return f"Your showcase card in {where} was updated."

    async def _dm(self, user_id: int, embed: discord.Embed, view: discord.ui.View | None) -> bool:
        try:
            dm = await self.bot.create_dm(discord.Object(user_id))
            await dm.send(embed=embed, view=view or discord.utils.MISSING, allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.info("DM to member %s refused (%s); telling them in the assignment's thread", user_id, error)
            return False
        return True

    async def _tell(self, assignment: Assignment, user_id: int, embed: discord.Embed,
                    view: discord.ui.View | None, fallback: str) -> str:
        """By DM; with DMs closed, one message in the thread that mentions (and pings) only them."""
        if await self._dm(user_id, embed, view):
            return Outcome.SENT
        try:
            await self._discussion(assignment).send(
                content=cut(f"<@{user_id}> {fallback}", 2000), embed=embed, view=view or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions(everyone=False, roles=False,
                                                         users=[discord.Object(user_id)]))
        except discord.HTTPException as error:
            raise DeliveryFailed(f"neither a DM nor the thread reached member {user_id}: {error}") from error
        return Outcome.FALLBACK

    async def tell_reviewer(self, assignment: Assignment, user_id: int,
                            work: list[tuple[Review, Submission]]) -> str:
        intro = (f"You have {counted(len(work), 'review')} to write for **{safe(assignment.title, 200)}**. "
                 "Press a button to open the form: a score for each criterion, then what works and what to improve.")
        return await self._tell(assignment, user_id, work_embed(assignment, work, intro), review_buttons(work),
                                f"I could not DM you: you have {counted(len(work), 'review')} to write here.")

    async def remind(self, assignment: Assignment, user_id: int, work: list[tuple[Review, Submission]],
                     lead: timedelta) -> str:
        ends = assignment.review_ends_at
        intro = (f"Reminder: the reviews for **{safe(assignment.title, 200)}** are due "
                 f"{when(ends, 'R') if ends else 'soon'}, and {counted(len(work), 'review')} of yours "
                 f"{'is' if len(work) == 1 else 'are'} still to write.")
        return await self._tell(assignment, user_id, work_embed(assignment, work, intro), review_buttons(work),
                                f"reminder: {counted(len(work), 'review')} still to write, due "
                                f"{when(ends, 'R') if ends else 'soon'}.")

    async def results(self, assignment: Assignment, submission: Submission, reviews: list[Review]) -> str:
        done = [r for r in reviews if r.done]
        pending = len(reviews) - len(done)
        closed = assignment.status is Status.CLOSED
        embed = discord.Embed(title=safe(f"Your reviews: {assignment.title}", 256), colour=COLOUR_OK)
        if done:
            embed.description = (f"{counted(len(done), 'review')} of your work {'is' if len(done) == 1 else 'are'} "
                                 f"in. Read {'it' if len(done) == 1 else 'them'} with "
                                 f"`/review mine assignment:{assignment.id}`, and mark the ones that helped you.")
            if pending and not closed:
                one = pending == 1
                embed.description += (f" {counted(pending, 'more review')} {'is' if one else 'are'} still being "
                                      f"written; you will hear when {'it comes' if one else 'they come'} in.")
            embed.add_field(name="Rubric averages", value=averages_text(averages(assignment.rubric, done)),
                            inline=False)
        elif not reviews:
            embed.description = ("There were too few submitters for anyone to be given your work to review. "
                                 "Organisers have been told; a volunteer can still take it, and you will hear "
                                 "when a review comes in." if not closed else
                                 "The round closed before anyone could be given your work to review.")
        elif closed:
            embed.description = "The round closed before your reviewers wrote their reviews; organisers know."
        else:
            embed.description = (f"The review window ended before your {counted(pending, 'reviewer')} wrote "
                                 f"{'their review' if pending == 1 else 'their reviews'}. Organisers have been told; "
                                 "late reviews still count until they close the round, and you will hear when one "
                                 "comes in.")
        return await self._tell(assignment, submission.user_id, embed, None,
                                "I could not DM you: news of your reviews is here; see "
                                f"`/review mine assignment:{assignment.id}`.")

    async def _tell_organisers(self, assignment: Assignment, text: str) -> str:
        """Organisers read it in the mod-log channel, else in the assignment's thread."""
        config = await get_config(self.bot.db, assignment.guild_id)
        target = self._messageable(config.mod_log_channel_id) if config.mod_log_channel_id \
            else self._discussion(assignment)
        try:
            await target.send(content=cut(text, 2000), allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot tell organisers about assignment {assignment.id}: {error}") from error
        return Outcome.SENT

    async def shortfall(self, assignment: Assignment) -> str:
        name = f"**{safe(assignment.title, 200)}** (#{assignment.id})"
        if not await store.submissions(self.bot.db, assignment.id):
            if assignment.status is Status.CLOSED:
                return await self._tell_organisers(assignment, f"Nobody submitted to {name} by its due time, and it "
                                                               "takes no late work, so it is closed.")
            return await self._tell_organisers(
                assignment, f"Nobody submitted to {name} by its due time. Late submissions are still taken (marked "
                "late) and reviewed by each other and by volunteers; `/assignment close` ends it.")
        places = counted(assignment.shortfall, "review place")
        return await self._tell_organisers(
            assignment, f"{name}: {places} could not be filled (too few submitters, or a reviewer left the "
            f"server and nobody was free to take over). Volunteers and organisers can take them with "
            f"`/review volunteer assignment:{assignment.id}`; `/assignment status` shows who reviews what.")

    async def window_ended(self, assignment: Assignment, reviews: list[Review]) -> str:
        done = sum(1 for r in reviews if r.done)
        name = f"**{safe(assignment.title, 200)}** (#{assignment.id})"
        if not reviews:
            text = (f"The review window of {name} is over; nobody had been given a review to write (too few "
                    f"submitters). `/assignment close assignment:{assignment.id}` ends the round.")
        elif done == len(reviews):
            text = (f"The review window of {name} is over and every review is in ({done}). "
                    f"`/assignment close assignment:{assignment.id}` ends the round.")
        else:
            late = len({r.reviewer_id for r in reviews if not r.done})
            text = (f"The review window of {name} is over: {done} of {counted(len(reviews), 'review')} are in; "
                    f"{counted(late, 'reviewer')} still owe {counted(len(reviews) - done, 'review')}. Authors "
                    "have been told what came in. Late reviews count until you run "
                    f"`/assignment close assignment:{assignment.id}`; `/assignment status` shows who owes what.")
        return await self._tell_organisers(assignment, text)
