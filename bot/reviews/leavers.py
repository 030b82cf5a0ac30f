"""A member left the server during a review round: nothing waits on them, nobody waits for them.

Their unwritten reviews go to others (the least loaded present candidates, never the author, at
most ``reviewers + 1`` each, as for late work), or become places missing that organisers hear of.
Unwritten reviews of their own work are withdrawn: nobody could read them, so reviewers are not
asked for them any more. Written reviews stay on both sides. Before the draw, their submission is
set aside by the draw itself (:func:`bot.reviews.rounds.start_round`'s ``absent``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.clock import Clock, to_db
from bot.db import Database
from bot.reviews import notices, rounds, store
from bot.reviews.draw import late_reviewers
from bot.reviews.model import Source, Status
from bot.reviews.notices import Notice


@dataclass(frozen=True)
class HandedOn:
    assignment_id: int
    handed_on: int   # reviews they owed, now someone else's
    unfilled: int    # reviews they owed that nobody could take
    withdrawn: int   # unwritten reviews of their work


async def member_left(db: Database, clock: Clock, guild_id: int, user_id: int,
                      present: Collection[int] | None) -> list[HandedOn]:
    """Hand on what ``user_id`` owed in every running round; ``present`` are the server's members now
    (None: not known, so any other candidate may take them)."""
    rows = await db.fetchall(
        "SELECT DISTINCT a.id FROM reviews_assignments a JOIN reviews_reviews r ON r.assignment_id = a.id "
        "LEFT JOIN reviews_submissions s ON s.id = r.submission_id "
        "WHERE a.guild_id = ? AND a.status = ? AND r.submitted_at IS NULL AND (r.reviewer_id = ? OR s.user_id = ?) "
        "ORDER BY a.id", (guild_id, Status.REVIEWING.value, user_id, user_id))
    return [await _hand_on(db, clock, row["id"], user_id, present) for row in rows]


async def _hand_on(db: Database, clock: Clock, assignment_id: int, user_id: int,
                   present: Collection[int] | None) -> HandedOn:
    now = clock.now()
    async with db.transaction():
        assignment = await store.get_assignment_by_id(db, assignment_id)
        assert assignment is not None and assignment.seed is not None
        own = await store.submission_of(db, assignment_id, user_id)
        withdrawn = 0
        if own is not None:
            _, withdrawn = await db.execute("DELETE FROM reviews_reviews WHERE submission_id = ? "
                                            "AND submitted_at IS NULL", (own.id,))
        owed = await db.fetchall("SELECT id, submission_id FROM reviews_reviews WHERE assignment_id = ? "
                                 "AND reviewer_id = ? AND submitted_at IS NULL ORDER BY id", (assignment_id, user_id))
        await db.execute("DELETE FROM reviews_reviews WHERE assignment_id = ? AND reviewer_id = ? "
                         "AND submitted_at IS NULL", (assignment_id, user_id))
        ends = rounds.window_end(assignment, now)
        planned: list[Notice] = []
        handed = 0
        for row in owed:
            submission = await store.get_submission(db, row["submission_id"])
            assert submission is not None
            taken = {r.reviewer_id for r in await store.reviews_of_submission(db, submission.id)}
            loads = {user: load for user, load in (await rounds.current_loads(db, assignment_id)).items()
                     if (present is None or user in present) and user not in taken and user != user_id}
            chosen = late_reviewers(submission.id, submission.user_id, loads, assignment.reviewers, assignment.seed)
            if not chosen:
                continue
            review_id, _ = await db.execute(
                "INSERT INTO reviews_reviews (guild_id, assignment_id, submission_id, reviewer_id, source, "
                "assigned_at) VALUES (?, ?, ?, ?, ?, ?)", (assignment.guild_id, assignment_id, submission.id,
                                                          chosen[0], Source.LATE.value, to_db(now)))
            planned += rounds.reviewer_notices(assignment, [chosen[0]], now, ends, suffix=f":{review_id}")
            handed += 1
        unfilled = len(owed) - handed
        if unfilled:
            await db.execute("UPDATE reviews_assignments SET shortfall = shortfall + ? WHERE id = ?",
                             (unfilled, assignment_id))
            planned.append(Notice(assignment.guild_id, assignment_id, f"{notices.SHORTFALL}:{user_id}:left", None,
                                  now))
        await notices.plan(db, planned)
        if own is not None:  # nobody to tell about reviews of their work
            await notices.skip_pending(db, clock, assignment_id, f"results:{own.id}", notices.Outcome.SKIPPED)
    return HandedOn(assignment_id, handed, unfilled, withdrawn)
