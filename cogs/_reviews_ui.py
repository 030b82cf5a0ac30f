"""What peer review looks like on Discord: cards, the review form (selects, then a modal), buttons.

Every button and select is a ``DynamicItem`` whose custom id holds the review's id
(``review:open:42``, ``review:score:42:0``), so the form keeps working after a restart.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands

from bot.reviews import store
from bot.reviews.model import COMMENT_MAX, COMMENT_MIN, SCORE_MAX, SCORE_MIN, Assignment, Review, Status, Submission
from bot.reviews.reviewing import MyResults, ReviewForm
from bot.tree import report_interaction_error
from bot.ui.render import COLOUR, COLOUR_OK, COLOUR_WARN, FIELD_VALUE, cut, safe, when, when_both

SCORE_WORDS = {1: "poor", 2: "weak", 3: "fair", 4: "good", 5: "excellent"}
STATUS_TEXT = {Status.OPEN: "taking submissions", Status.REVIEWING: "in review", Status.CLOSED: "closed"}
BUTTONS_PER_MESSAGE = 25
ROWS_PER_MESSAGE = 5


def reviews_cog(interaction: discord.Interaction) -> Any:
    cog = interaction.client.get_cog("Reviews")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the peer review feature is not loaded")
    return cog


async def assignment_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The server's assignments by number or title; those still running first."""
    if interaction.guild_id is None:
        return []
    db = interaction.client.db  # type: ignore[attr-defined]
    found = await store.search_assignments(db, interaction.guild_id, current[:100])
    return [app_commands.Choice(name=cut(f"#{a.id} {a.title} · {STATUS_TEXT[a.status]}", 100), value=str(a.id))
            for a in found]


# Cards -------------------------------------------------------------------------------------------
def assignment_embed(assignment: Assignment, *, submissions: int | None = None,
                     has_reviewers: bool = True) -> discord.Embed:
    """The assignment's card (and /assignment show): ``has_reviewers`` False when the draw found too
    few submissions to give anyone a review."""
    embed = discord.Embed(title=safe(assignment.title, 200), colour=COLOUR_OK if assignment.status is Status.OPEN
                          else COLOUR)
    embed.description = card_text(assignment, has_reviewers)
    embed.add_field(name="Due", value=when(assignment.due_at, "F"))
    embed.add_field(name="Reviews", value=f"{assignment.reviewers} per submission, "
                                          f"{assignment.review_days} days to write them")
    embed.add_field(name="Late work", value="accepted, marked late" if assignment.accept_late else "not accepted")
    embed.add_field(name="Rubric (each 1–5)", value=safe("\n".join(assignment.rubric), FIELD_VALUE), inline=False)
    embed.add_field(name="Status", value=STATUS_TEXT[assignment.status])
    if assignment.review_ends_at is not None:
        embed.add_field(name="Reviews due", value=when(assignment.review_ends_at, "F"))
    if submissions is not None:
        embed.add_field(name="Submissions", value=str(submissions))
    embed.add_field(name="Reviewers are", value="named to the author" if assignment.reveal_reviewers else "anonymous")
    embed.set_footer(text=f"Assignment #{assignment.id}")
    return embed


def card_text(assignment: Assignment, has_reviewers: bool = True) -> str:
    """What a member can do with the assignment now, following its round."""
    submit = f"`/submit assignment:{assignment.id} url:…`"
    if assignment.status is Status.OPEN:
        return f"Submit your work with {submit} by {when_both(assignment.due_at)}."
    if assignment.status is Status.CLOSED:
        return "This round is over: no more submissions or reviews. `/review mine` shows the reviews of your work."
    late = (f" Late work is still taken with {submit}, marked late, and gets reviewers at once."
            if assignment.accept_late else "")
    if not has_reviewers:
        return (f"Too few submitted by the due time for reviewers to be drawn.{late} Members can offer to "
                f"review with `/review volunteer assignment:{assignment.id}`.")
    due = f" by {when_both(assignment.review_ends_at)}" if assignment.review_ends_at else ""
    return f"Reviewers are drawn and write their reviews{due}; their buttons are in their DMs.{late}"


def showcase_embed(assignment: Assignment, submission: Submission) -> discord.Embed:
    embed = discord.Embed(title=safe(f"Showcase: {assignment.title}", 256), colour=COLOUR_OK,
                          description=f"<@{submission.user_id}> shared their work: {link(submission.url, 3000)}")
    if submission.note:
        embed.add_field(name="Note", value=safe(submission.note, FIELD_VALUE), inline=False)
    embed.set_footer(text=f"Assignment #{assignment.id}" + (" · late" if submission.late else ""))
    return embed


def link(url: str, room: int) -> str:
    """A submitted link as shown: ``<url>`` (no preview) when it fits in ``room`` characters, else its
    start in a code span, so a cut link is never clickable. Links may be 2,048 characters long."""
    if len(url) + 2 <= room:
        return f"<{url}>"
    return "`" + cut(url.replace("`", "'"), max(room - 2, 1)) + "`"


def work_line(index: int, submission: Submission, room: int) -> str:
    """One work to review: its link, and the author's note if there is room."""
    note = f" · {safe(submission.note, 200)}" if submission.note else ""
    shown = link(submission.url, room - 10)
    return f"**{index}.** {shown}{note if len(shown) + len(note) + 10 <= room else ''}"


def review_buttons(work: list[tuple[Review, Submission]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for index, (review, _) in enumerate(work[:BUTTONS_PER_MESSAGE], start=1):
        view.add_item(ReviewButton(review.id, label=f"Review {index}" if len(work) > 1 else "Review"))
    return view


def work_embed(assignment: Assignment, work: list[tuple[Review, Submission]], intro: str) -> discord.Embed:
    embed = discord.Embed(title=safe(f"Reviews to write: {assignment.title}", 256), colour=COLOUR, description=intro)
    shown = work[:BUTTONS_PER_MESSAGE]
    lines = [work_line(i, s, FIELD_VALUE // len(shown) - 1) for i, (_, s) in enumerate(shown, start=1)]
    embed.add_field(name="The work", value=cut("\n".join(lines), FIELD_VALUE), inline=False)
    if assignment.review_ends_at:
        embed.add_field(name="Reviews due", value=when_both(assignment.review_ends_at), inline=False)
    embed.set_footer(text=f"Assignment #{assignment.id} · each review: a score per criterion, then comments")
    return embed


def averages_text(pairs: list[tuple[str, float | None]]) -> str:
    return "\n".join(f"{safe(name, 60)}: **{avg:.1f}**/5" if avg is not None else f"{safe(name, 60)}: no scores yet"
                     for name, avg in pairs)


def review_embed(assignment: Assignment, review: Review, number: int) -> discord.Embed:
    """One review as its author reads it."""
    who = (f" by <@{review.reviewer_id}>" if review.reviewer_id else " by a former member") \
        if assignment.reveal_reviewers else ""
    embed = discord.Embed(title=f"Review {number}", colour=COLOUR, description=f"Review {number}{who}"
                          + (" · late" if review.late else "") + (" · marked helpful" if review.helpful else ""))
    scores = "\n".join(f"{safe(name, 60)}: **{score}**/5" for name, score in zip(assignment.rubric, review.scores,
                                                                                 strict=False))
    embed.add_field(name="Scores", value=scores or "none", inline=False)
    embed.add_field(name="What works", value=safe(review.works, FIELD_VALUE), inline=False)
    embed.add_field(name="What to improve", value=safe(review.improve, FIELD_VALUE), inline=False)
    return embed


def results_embed(results: MyResults, pairs: list[tuple[str, float | None]]) -> discord.Embed:
    assignment = results.assignment
    embed = discord.Embed(title=safe(f"Your reviews: {assignment.title}", 256), colour=COLOUR_OK,
                          description=f"Your submission: {link(results.submission.url, 3000)}")
    if results.reviews:
        embed.add_field(name="Rubric averages", value=averages_text(pairs), inline=False)
        embed.add_field(name="Reviews in", value=str(len(results.reviews)))
    elif assignment.status is Status.OPEN:
        embed.add_field(name="Reviews in", value=f"none yet: reviewers are drawn at the due time, "
                                                 f"{when(assignment.due_at, 'F')}", inline=False)
    elif results.pending and assignment.status is Status.REVIEWING:
        embed.add_field(name="Reviews in", value="none yet: you get a DM when they are", inline=False)
    else:
        embed.add_field(name="Reviews in", value="none" + (": the round is closed" if assignment.status
                                                           is Status.CLOSED else " yet: organisers know"),
                        inline=False)
    if results.pending and assignment.status is Status.REVIEWING:
        embed.add_field(name="Still being written", value=str(results.pending))
    embed.set_footer(text="Reviewers are " + ("named" if assignment.reveal_reviewers else "anonymous")
                          + (" · mark the reviews that helped you" if results.reviews else ""))
    return embed


def form_embed(form: ReviewForm) -> discord.Embed:
    """The review form: the work, and the scores chosen so far."""
    embed = discord.Embed(title=safe(f"Review: {form.assignment.title}", 256), colour=COLOUR_WARN,
                          description=f"The work: {link(form.submission.url, 3000)}")
    if form.submission.note:
        embed.add_field(name="The author's note", value=safe(form.submission.note, FIELD_VALUE), inline=False)
    embed.add_field(name="Scored", value=f"{form.scored} of {len(form.assignment.rubric)} criteria")
    embed.set_footer(text=f"Score each criterion from {SCORE_MIN} to {SCORE_MAX}; then write what works and what to "
                          f"improve (at least {COMMENT_MIN} characters each).")
    return embed


def form_view(form: ReviewForm) -> discord.ui.View:
    """A select per criterion, and (when a row is left) a button to the comments."""
    view = discord.ui.View(timeout=None)
    for index, name in enumerate(form.assignment.rubric):
        current = form.review.scores[index] if index < len(form.review.scores) else None
        view.add_item(ScoreSelect(form.review.id, index, name, current))
    if form_has_comments_button(form):
        view.add_item(CommentsButton(form.review.id))
    return view


def form_has_comments_button(form: ReviewForm) -> bool:
    """A message holds five rows: with five criteria the selects take them all."""
    return len(form.assignment.rubric) < ROWS_PER_MESSAGE


# Dynamic items -----------------------------------------------------------------------------------
class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"review:open:(?P<id>\d{1,20})"):
    """Opens the review form for one review."""

    def __init__(self, review_id: int, label: str = "Review") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary,
                                           custom_id=f"review:open:{review_id}"))
        self.review_id = review_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ReviewButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await reviews_cog(interaction).open_form(interaction, self.review_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class ScoreSelect(discord.ui.DynamicItem[discord.ui.Select[Any]],
                  template=r"review:score:(?P<id>\d{1,20}):(?P<criterion>\d)"):
    """One rubric criterion's score, 1 to 5; stored in the draft as soon as it is picked."""

    def __init__(self, review_id: int, criterion: int, name: str = "", current: int | None = None) -> None:
        options = [discord.SelectOption(label=f"{score} – {SCORE_WORDS[score]}", value=str(score),
                                        default=score == current) for score in range(SCORE_MIN, SCORE_MAX + 1)]
        super().__init__(discord.ui.Select(custom_id=f"review:score:{review_id}:{criterion}", options=options,
                                           placeholder=cut(f"{name}: score it {SCORE_MIN}–{SCORE_MAX}", 150)))
        self.review_id, self.criterion = review_id, criterion

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ScoreSelect:
        return cls(int(match["id"]), int(match["criterion"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await reviews_cog(interaction).score(interaction, self.review_id, self.criterion, list(self.item.values))
        except Exception as error:
            await report_interaction_error(interaction, error)


class CommentsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"review:comments:(?P<id>\d{1,20})"):
    """Opens the comments modal, holding the draft."""

    def __init__(self, review_id: int, label: str = "Write comments") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.success,
                                           custom_id=f"review:comments:{review_id}"))
        self.review_id = review_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> CommentsButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await reviews_cog(interaction).open_comments(interaction, self.review_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class HelpfulButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"review:helpful:(?P<id>\d{1,20})"):
    """The author marks a review helpful."""

    def __init__(self, review_id: int, *, done: bool = False) -> None:
        super().__init__(discord.ui.Button(label="Marked helpful" if done else "This helped me",
                                           style=discord.ButtonStyle.secondary, disabled=done,
                                           custom_id=f"review:helpful:{review_id}"))
        self.review_id = review_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> HelpfulButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await reviews_cog(interaction).helpful(interaction, self.review_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class CommentsModal(discord.ui.Modal):
    """What works, what to improve; opened with the draft, so a refused submit loses nothing."""

    def __init__(self, review_id: int, title: str, works: str = "", improve: str = "") -> None:
        super().__init__(title=cut(f"Review: {title}", 45), timeout=3600, custom_id=f"review:form:{review_id}")
        self.review_id = review_id
        self.works: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=f"What works (at least {COMMENT_MIN} characters)", custom_id="works",
            style=discord.TextStyle.paragraph, max_length=COMMENT_MAX, default=works[:COMMENT_MAX] or None,
            placeholder="What is good about the work, specifically?")
        self.improve: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=f"What to improve (at least {COMMENT_MIN} characters)", custom_id="improve",
            style=discord.TextStyle.paragraph, max_length=COMMENT_MAX, default=improve[:COMMENT_MAX] or None,
            placeholder="One or two changes that would make it better, and why")
        self.add_item(self.works)
        self.add_item(self.improve)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Nothing here: the reviews cog takes every ``review:form:<id>`` submission from the raw
        interaction (:func:`submitted_comments`), so a form opened before a restart still arrives."""


COMMENTS_FORM = re.compile(r"review:form:(?P<id>\d{1,20})")


def submitted_comments(interaction: discord.Interaction) -> tuple[int, str, str] | None:
    """``(review id, what works, what to improve)`` from a submitted comments modal, else None."""
    data: Any = interaction.data or {}
    match = COMMENTS_FORM.fullmatch(str(data.get("custom_id", "")))
    if interaction.type is not discord.InteractionType.modal_submit or match is None:
        return None
    values: dict[str, str] = {}
    for row in data.get("components", []):
        for component in [*row.get("components", []), row.get("component") or {}]:  # action row, or label
            if "custom_id" in component:
                values[component["custom_id"]] = str(component.get("value") or "")
    return int(match["id"]), values.get("works", ""), values.get("improve", "")


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ReviewButton, ScoreSelect, CommentsButton,
                                                                 HelpfulButton)
