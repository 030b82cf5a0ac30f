"""Submitting work: one link per member per assignment, replaceable until the due time."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import NotAllowed
from bot.resources.urls import normalise_url
from bot.reviews import rounds, store
from bot.reviews.model import NOTE_MAX, Assignment, Status, Submission
from bot.text import clean_text


@dataclass(frozen=True)
class Submitted:
    submission: Submission
    created: bool        # a first submission (participation counts it), not a replacement
    reviewers: int = 0   # reviewers given at once (a late submission during the round)


async def submit(db: Database, clock: Clock, assignment: Assignment, *, user_id: int, url: str,
                 note: str | None = None, public: bool = False, absent: Collection[int] = ()) -> Submitted:
    """Store or replace the member's submission. Refuses a closed assignment, a non-http(s) link,
    a late one when late work is off, and replacing after the due time. A late one during the round
    gets reviewers at once, never among ``absent`` (members who left the server)."""
    link = normalise_url(url)
    text = clean_text(note or "", "the note", NOTE_MAX, required=False)
    now = clock.now()
    if assignment.status is Status.CLOSED:
        raise NotAllowed(f"{assignment.label} is closed; it takes no more submissions.")
    late = now > assignment.due_at or assignment.status is not Status.OPEN
    if late and not assignment.accept_late:
        raise NotAllowed(f"{assignment.label} takes no late submissions: {_closed_because(assignment, now)}. "
                         "Nothing was saved.")
    async with db.transaction():
        existing = await store.submission_of(db, assignment.id, user_id)
        if existing is not None:
            if late:
                where = f"<#{assignment.thread_id}>" if assignment.thread_id else "the assignment's channel"
                raise NotAllowed(f"Your submission to {assignment.label} can no longer be replaced: "
                                 f"{_closed_because(assignment, now)}, and reviewers may already be reading "
                                 f"{_shown(existing.url)}. If your work moved, say so in {where}.")
            await db.execute("UPDATE reviews_submissions SET url = ?, note = ?, public = ?, updated_at = ? "
                             "WHERE id = ?", (link, text, int(public), to_db(now), existing.id))
            replaced = await store.get_submission(db, existing.id)
            assert replaced is not None
            return Submitted(replaced, created=False)
        submission_id, _ = await db.execute(
            "INSERT INTO reviews_submissions (guild_id, assignment_id, user_id, url, note, public, late, submitted_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (assignment.guild_id, assignment.id, user_id, link, text, int(public), int(late), to_db(now), to_db(now)))
        assert submission_id is not None
        created = await store.get_submission(db, submission_id)
        assert created is not None
        reviewers = 0
        if assignment.status is Status.REVIEWING:
            reviewers = await rounds.review_late_submission(db, clock, assignment, created, absent=absent)
    return Submitted(created, created=True, reviewers=reviewers)


# The showcase card follows claim → send → mark: the channel is claimed before the card is sent and
# the message id kept after, so a crash in between leaves a claim without a message, never two cards.
async def claim_showcase(db: Database, submission_id: int, channel_id: int) -> bool:
    """Take the right to post the submission's card in ``channel_id``; False if it is already taken."""
    _, count = await db.execute("UPDATE reviews_submissions SET showcase_channel_id = ?, showcase_message_id = NULL "
                                "WHERE id = ? AND showcase_channel_id IS NULL", (channel_id, submission_id))
    return count == 1


async def set_showcase(db: Database, submission_id: int, channel_id: int, message_id: int) -> None:
    await db.execute("UPDATE reviews_submissions SET showcase_channel_id = ?, showcase_message_id = ? WHERE id = ?",
                     (channel_id, message_id, submission_id))


async def clear_showcase(db: Database, submission_id: int) -> None:
    """No card (taken down, or Discord refused it): the next public submission may post one."""
    await db.execute("UPDATE reviews_submissions SET showcase_channel_id = NULL, showcase_message_id = NULL "
                     "WHERE id = ?", (submission_id,))


def _shown(url: str) -> str:
    """The link in a refusal: a long one (up to 2,048 characters) is named rather than quoted."""
    return f"<{url}>" if len(url) <= 300 else "the link you gave"


def _closed_because(assignment: Assignment, now: datetime) -> str:
    """Why submissions are over: the due time passed, or organisers drew the reviewers before it."""
    if now > assignment.due_at:
        return f"it was due <t:{int(assignment.due_at.timestamp())}:f>"
    return "organisers closed submissions early to draw the reviewers"


async def showcase_cards(db: Database, *, user_id: int, guild_id: int | None) -> list[tuple[int, int]]:
    """``(channel_id, message_id)`` of the member's showcase cards (in one guild, or all), which quote
    their link and mention them: ``/privacy forget`` should take them down with the submissions."""
    scope, extra = ("AND guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
    rows = await db.fetchall("SELECT showcase_channel_id, showcase_message_id FROM reviews_submissions "
                             f"WHERE user_id = ? {scope} AND showcase_message_id IS NOT NULL ORDER BY id",
                             (user_id, *extra))
    return [(row["showcase_channel_id"], row["showcase_message_id"]) for row in rows]
