"""Assignments: create, find, list; and reading submissions and reviews back."""

from __future__ import annotations

import json
from datetime import datetime

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.reviews import notices
from bot.reviews.model import (
    DEFAULT_REVIEW_DAYS,
    DEFAULT_REVIEWERS,
    DEFAULT_RUBRIC,
    REVIEW_DAYS_MAX,
    REVIEWERS_MAX,
    TITLE_MAX,
    Assignment,
    AssignmentNotFound,
    Review,
    ReviewNotFound,
    Status,
    Submission,
    assignment_from_row,
    review_from_row,
    submission_from_row,
)
from bot.text import clean_text


async def create_assignment(db: Database, clock: Clock, *, guild_id: int, title: str, due_at: datetime,
                            review_days: int = DEFAULT_REVIEW_DAYS, reviewers: int = DEFAULT_REVIEWERS,
                            rubric: tuple[str, ...] = DEFAULT_RUBRIC, topic_id: int | None = None,
                            reveal_reviewers: bool = False, accept_late: bool = True,
                            created_by: int | None = None, plan_item_id: int | None = None,
                            channel_id: int | None = None) -> Assignment:
    """Store a new assignment and plan its card (posted by the jobs, once, in ``channel_id`` if given)."""
    name = clean_text(title, "the title", TITLE_MAX, required=True)
    if not 1 <= review_days <= REVIEW_DAYS_MAX:
        raise InvalidInput(f"The review window is 1 to {REVIEW_DAYS_MAX} days; {review_days} is not.")
    if not 1 <= reviewers <= REVIEWERS_MAX:
        raise InvalidInput(f"Each submission gets 1 to {REVIEWERS_MAX} reviewers; {reviewers} is not.")
    if due_at <= clock.now():
        raise InvalidInput("The due time is in the past; give a time in the future, such as `next friday 18:00`.")
    async with db.transaction():
        assignment_id, _ = await db.execute(
            "INSERT INTO reviews_assignments (guild_id, title, topic_id, due_at, review_days, reviewers, rubric, "
            "reveal_reviewers, accept_late, created_by, plan_item_id, channel_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, name, topic_id, to_db(due_at), review_days, reviewers, json.dumps(list(rubric)),
             int(reveal_reviewers), int(accept_late), created_by, plan_item_id, channel_id, to_db(clock.now())))
        assert assignment_id is not None
        await notices.plan(db, [notices.Notice(guild_id, assignment_id, notices.CARD, None, clock.now())])
    return await get_assignment(db, guild_id, assignment_id)


async def get_assignment(db: Database, guild_id: int, assignment_id: int) -> Assignment:
    row = await db.fetchone("SELECT * FROM reviews_assignments WHERE guild_id = ? AND id = ?",
                            (guild_id, assignment_id))
    if row is None:
        raise AssignmentNotFound(f"#{assignment_id}")
    return assignment_from_row(row)


async def get_assignment_by_id(db: Database, assignment_id: int) -> Assignment | None:
    row = await db.fetchone("SELECT * FROM reviews_assignments WHERE id = ?", (assignment_id,))
    return assignment_from_row(row) if row else None


async def find_assignment(db: Database, guild_id: int, text: str) -> Assignment:
    """What a member typed or picked: ``12``, ``#12``, or the exact title (any case)."""
    cleaned = text.replace("\x00", "").strip()
    number = cleaned.lstrip("#")
    if number.isascii() and number.isdigit() and len(number) < 19:  # "²" and other digits int() refuses
        row = await db.fetchone("SELECT * FROM reviews_assignments WHERE guild_id = ? AND id = ?",
                                (guild_id, int(number)))
        if row is not None:
            return assignment_from_row(row)
    rows = await db.fetchall("SELECT * FROM reviews_assignments WHERE guild_id = ? AND title = ? COLLATE NOCASE "
                             "ORDER BY id DESC LIMIT 1", (guild_id, cleaned))
    if not rows:
        raise AssignmentNotFound(cleaned)
    return assignment_from_row(rows[0])


async def list_assignments(db: Database, guild_id: int, *, include_closed: bool = True,
                           limit: int = 100) -> list[Assignment]:
    """Newest due first; open ones before the rest."""
    closed = "" if include_closed else "AND status != 'closed' "
    rows = await db.fetchall(
        f"SELECT * FROM reviews_assignments WHERE guild_id = ? {closed}"
        "ORDER BY status = 'closed', due_at DESC LIMIT ?", (guild_id, limit))
    return [assignment_from_row(row) for row in rows]


async def search_assignments(db: Database, guild_id: int, text: str, limit: int = 25) -> list[Assignment]:
    """For autocomplete: by number or a piece of the title; those not closed first."""
    needle = text.replace("\x00", "").strip().lstrip("#").lower()
    found = await list_assignments(db, guild_id, limit=500)
    matches = [a for a in found if not needle or needle in str(a.id) or needle in a.title.lower()]
    return matches[:limit]


async def set_card(db: Database, assignment_id: int, *, channel_id: int, message_id: int,
                   thread_id: int | None) -> None:
    await db.execute("UPDATE reviews_assignments SET channel_id = ?, message_id = ?, thread_id = ? WHERE id = ?",
                     (channel_id, message_id, thread_id, assignment_id))


async def active_assignment_ids(db: Database) -> list[int]:
    """Assignments that still have something to do: waiting for the due time."""
    rows = await db.fetchall("SELECT id FROM reviews_assignments WHERE status = ?", (Status.OPEN.value,))
    return [row["id"] for row in rows]


# Reading submissions and reviews ------------------------------------------------------------------
async def get_submission(db: Database, submission_id: int) -> Submission | None:
    row = await db.fetchone("SELECT * FROM reviews_submissions WHERE id = ?", (submission_id,))
    return submission_from_row(row) if row else None


async def submission_of(db: Database, assignment_id: int, user_id: int) -> Submission | None:
    row = await db.fetchone("SELECT * FROM reviews_submissions WHERE assignment_id = ? AND user_id = ?",
                            (assignment_id, user_id))
    return submission_from_row(row) if row else None


async def submissions(db: Database, assignment_id: int) -> list[Submission]:
    rows = await db.fetchall("SELECT * FROM reviews_submissions WHERE assignment_id = ? ORDER BY id",
                             (assignment_id,))
    return [submission_from_row(row) for row in rows]


async def get_review(db: Database, review_id: int) -> Review:
    row = await db.fetchone("SELECT * FROM reviews_reviews WHERE id = ?", (review_id,))
    if row is None:
        raise ReviewNotFound()
    return review_from_row(row)


async def reviews_of_submission(db: Database, submission_id: int) -> list[Review]:
    rows = await db.fetchall("SELECT * FROM reviews_reviews WHERE submission_id = ? ORDER BY id", (submission_id,))
    return [review_from_row(row) for row in rows]


async def reviews_by(db: Database, assignment_id: int, reviewer_id: int) -> list[Review]:
    rows = await db.fetchall("SELECT * FROM reviews_reviews WHERE assignment_id = ? AND reviewer_id = ? "
                             "ORDER BY id", (assignment_id, reviewer_id))
    return [review_from_row(row) for row in rows]


async def reviews_of_assignment(db: Database, assignment_id: int) -> list[Review]:
    rows = await db.fetchall("SELECT * FROM reviews_reviews WHERE assignment_id = ? ORDER BY id", (assignment_id,))
    return [review_from_row(row) for row in rows]


async def has_reviewers(db: Database, assignment_id: int) -> bool:
    """Whether anyone was given a review of this assignment's work (False: too few submitted)."""
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM reviews_reviews WHERE assignment_id = ?)",
                                  (assignment_id,), 0))


async def volunteers(db: Database, assignment_id: int) -> list[int]:
    rows = await db.fetchall("SELECT user_id FROM reviews_volunteers WHERE assignment_id = ? ORDER BY user_id",
                             (assignment_id,))
    return [row["user_id"] for row in rows]


async def counts_by_user(db: Database, guild_id: int, user_id: int) -> tuple[int, int]:
    """(submissions made, reviews given) in a guild, for the profile card."""
    made = await db.fetchval("SELECT COUNT(*) FROM reviews_submissions WHERE guild_id = ? AND user_id = ?",
                             (guild_id, user_id), 0)
    given = await db.fetchval("SELECT COUNT(*) FROM reviews_reviews WHERE guild_id = ? AND reviewer_id = ? "
                              "AND submitted_at IS NOT NULL", (guild_id, user_id), 0)
    return int(made), int(given)
