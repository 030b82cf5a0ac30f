"""The review round: the draw at the due time (or on close), late arrivals, volunteers, closing.

Every change here is written in one transaction together with the notices that announce it, so
nobody is told about reviews that were not stored, and a crash never leaves half a draw.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.reviews import notices, store
from bot.reviews.draw import Draw, draw_reviewers, late_reviewers
from bot.reviews.model import REMINDER_LEADS, Assignment, Source, Status, Submission
from bot.reviews.notices import Notice


@dataclass(frozen=True)
class RoundStarted:
    assignment: Assignment
    draw: Draw
    submissions: int     # drawn: reviewed and reviewing
    set_aside: int = 0   # submissions of members who had left the server


async def start_round(db: Database, clock: Clock, assignment_id: int, *, seed: int | None = None,
                      absent: Collection[int] = ()) -> RoundStarted | None:
    """Draw the reviewers and plan every notice; None if the round had already started (idempotent).

    ``absent`` are members who left the server: their submissions are set aside (nobody could read
    the reviews, nor could they write theirs) and they do not fill in as volunteers.

    With nobody to review and no late work accepted, there is no round: the assignment closes at once.
    Organisers hear of a draw that left places unfilled or had nobody to draw from, and, when the
    window ends, how many reviews are in."""
    now = clock.now()
    async with db.transaction():
        assignment = await store.get_assignment_by_id(db, assignment_id)
        if assignment is None or assignment.status is not Status.OPEN:
            return None
        everyone = await store.submissions(db, assignment_id)
        subs = [s for s in everyone if s.user_id not in absent]
        helpers = [h for h in await store.volunteers(db, assignment_id) if h not in absent]
        seed = secrets.randbits(62) if seed is None else seed
        draw = draw_reviewers([(s.id, s.user_id) for s in subs], helpers, assignment.reviewers, seed)
        ends = now + timedelta(days=assignment.review_days)
        assigned_at = to_db(now)
        await db.executemany(
            "INSERT INTO reviews_reviews (guild_id, assignment_id, submission_id, reviewer_id, source, assigned_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(assignment.guild_id, assignment_id, sid, reviewer, source.value, assigned_at)
             for sid, reviewer, source in draw.pairs])
        dead_end = not subs and not assignment.accept_late  # nothing to review, nothing can come
        await db.execute(
            "UPDATE reviews_assignments SET status = ?, seed = ?, assigned_at = ?, review_ends_at = ?, shortfall = ?, "
            "closed_at = ? WHERE id = ?",
            ((Status.CLOSED if dead_end else Status.REVIEWING).value, seed, to_db(now), to_db(ends), draw.missing,
             to_db(now) if dead_end else None, assignment_id))
        planned = reviewer_notices(assignment, sorted(draw.loads()), now, ends)
        planned += [Notice(assignment.guild_id, assignment_id, f"results:{s.id}", s.user_id, ends) for s in subs]
        if draw.missing or not subs:
            planned.append(Notice(assignment.guild_id, assignment_id, notices.SHORTFALL, None, now))
        if subs:
            planned.append(Notice(assignment.guild_id, assignment_id, notices.ENDED, None, ends))
        await notices.plan(db, planned)
        started = await store.get_assignment(db, assignment.guild_id, assignment_id)
    return RoundStarted(started, draw, len(subs), len(everyone) - len(subs))


def reviewer_notices(assignment: Assignment, reviewer_ids: list[int], now: datetime, ends: datetime,
                      suffix: str = "") -> list[Notice]:
    """Tell each reviewer now; remind them before the window ends (leads already past are left out).

    Reminders before the round's own end are one per reviewer whatever they were given later (a
    late submission, a volunteered place), so nobody is reminded twice at the same moment; only a
    window of its own (work added after the round's end) gets reminders of its own."""
    planned = [Notice(assignment.guild_id, assignment.id, f"assigned:{user}{suffix}", user, now)
               for user in reviewer_ids]
    own_window = suffix if assignment.review_ends_at is not None and ends != assignment.review_ends_at else ""
    for lead in REMINDER_LEADS:
        if ends - lead > now:
            planned += [Notice(assignment.guild_id, assignment.id, notices.reminder_key(lead, user) + own_window,
                               user, ends - lead) for user in reviewer_ids]
    return planned


async def current_loads(db: Database, assignment_id: int) -> dict[int, int]:
    """Every candidate reviewer (submitters and volunteers) and how many reviews they have."""
    rows = await db.fetchall(
        "SELECT c.user_id, (SELECT COUNT(*) FROM reviews_reviews r WHERE r.assignment_id = ? "
        "AND r.reviewer_id = c.user_id) AS load FROM (SELECT user_id FROM reviews_submissions WHERE assignment_id = ? "
        "UNION SELECT user_id FROM reviews_volunteers WHERE assignment_id = ?) c",
        (assignment_id, assignment_id, assignment_id))
    return {row["user_id"]: row["load"] for row in rows}


def window_end(assignment: Assignment, now: datetime) -> datetime:
    """The end of the reviews for something added during the round: the round's, or a full window from now."""
    if assignment.review_ends_at is not None and assignment.review_ends_at > now:
        return assignment.review_ends_at
    return now + timedelta(days=assignment.review_days)


async def review_late_submission(db: Database, clock: Clock, assignment: Assignment, submission: Submission, *,
                                 absent: Collection[int] = ()) -> int:
    """A submission after the draw gets reviewers too, and its author takes places still missing on
    others' work, as a peer would have (inside the caller's transaction); returns its reviewers."""
    now = clock.now()
    assert assignment.seed is not None
    loads = {user: load for user, load in (await current_loads(db, assignment.id)).items() if user not in absent}
    chosen = late_reviewers(submission.id, submission.user_id, loads, assignment.reviewers, assignment.seed)
    ends = window_end(assignment, now)
    for reviewer in chosen:
        review_id, _ = await db.execute(
            "INSERT INTO reviews_reviews (guild_id, assignment_id, submission_id, reviewer_id, source, assigned_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (assignment.guild_id, assignment.id, submission.id, reviewer,
                                          Source.LATE.value, to_db(now)))
        await notices.plan(db, reviewer_notices(assignment, [reviewer], now, ends, suffix=f":{review_id}"))
    planned = [Notice(assignment.guild_id, assignment.id, f"results:{submission.id}", submission.user_id, ends)]
    missing = assignment.reviewers - len(chosen)
    if missing:
        await db.execute("UPDATE reviews_assignments SET shortfall = shortfall + ? WHERE id = ?",
                         (missing, assignment.id))
        planned.append(Notice(assignment.guild_id, assignment.id, f"{notices.SHORTFALL}:{submission.id}", None, now))
    await notices.plan(db, planned)
    await _take_missing_places(db, assignment, submission.user_id, assignment.reviewers, Source.PEER, now,
                               suffix=f":p{submission.id}")
    return len(chosen)


async def _take_missing_places(db: Database, assignment: Assignment, user_id: int, most: int, source: Source,
                               now: datetime, *, suffix: str) -> int:
    """Give ``user_id`` up to ``most`` reviews of submissions still short of reviewers (never their own,
    never one they already review), and plan telling them; returns how many (inside a transaction)."""
    rows = await db.fetchall(
        "SELECT s.id FROM reviews_submissions s WHERE s.assignment_id = ? AND s.user_id != ? "
        "AND (SELECT COUNT(*) FROM reviews_reviews r WHERE r.submission_id = s.id) < ? "
        "AND NOT EXISTS (SELECT 1 FROM reviews_reviews r WHERE r.submission_id = s.id AND r.reviewer_id = ?) "
        "ORDER BY s.id", (assignment.id, user_id, assignment.reviewers, user_id))
    wanted = [row["id"] for row in rows][: max(0, most)]
    if not wanted:
        return 0
    await db.executemany(
        "INSERT INTO reviews_reviews (guild_id, assignment_id, submission_id, reviewer_id, source, assigned_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(assignment.guild_id, assignment.id, sid, user_id, source.value, to_db(now)) for sid in wanted])
    await db.execute("UPDATE reviews_assignments SET shortfall = MAX(shortfall - ?, 0) WHERE id = ?",
                     (len(wanted), assignment.id))
    await notices.plan(db, reviewer_notices(assignment, [user_id], now, window_end(assignment, now),
                                             suffix=f"{suffix}:{wanted[0]}"))
    return len(wanted)


async def volunteer(db: Database, clock: Clock, assignment: Assignment, user_id: int) -> int:
    """Offer to review. During the round, fill places still missing at once; returns the reviews taken."""
    if assignment.status is Status.CLOSED:
        raise InvalidInput(f"{assignment.label} is closed; there is nothing left to review.")
    now = clock.now()
    async with db.transaction():
        await db.execute("INSERT OR IGNORE INTO reviews_volunteers (guild_id, assignment_id, user_id, volunteered_at) "
                         "VALUES (?, ?, ?, ?)", (assignment.guild_id, assignment.id, user_id, to_db(now)))
        if assignment.status is not Status.REVIEWING:
            return 0
        taken = await db.fetchval("SELECT COUNT(*) FROM reviews_reviews WHERE assignment_id = ? AND reviewer_id = ?",
                                  (assignment.id, user_id), 0)
        return await _take_missing_places(db, assignment, user_id, assignment.reviewers + 1 - taken,
                                          Source.VOLUNTEER, now, suffix=":v")


@dataclass(frozen=True)
class RoundClosed:
    assignment: Assignment
    pending: int  # reviews still unwritten, no longer accepted


async def close(db: Database, clock: Clock, assignment: Assignment, *,
                absent: Collection[int] = ()) -> RoundStarted | RoundClosed:
    """``/assignment close``: an open assignment draws its reviewers now; a running round ends.

    Each step happens once: a close that finds the step already taken (a second organiser, the due
    time a moment before) is refused with what did happen, rather than taking the next step."""
    if assignment.status is Status.OPEN:
        started = await start_round(db, clock, assignment.id, absent=absent)
        if started is None:
            raise InvalidInput(f"Reviewers for {assignment.label} were drawn a moment ago (at its due time or by "
                               "another organiser); `/assignment status` shows them. Nothing was changed.")
        return started
    if assignment.status is Status.CLOSED:
        raise InvalidInput(f"{assignment.label} is already closed; nothing was changed.")
    now = clock.now()
    async with db.transaction():
        _, count = await db.execute("UPDATE reviews_assignments SET status = ?, closed_at = ? WHERE id = ? "
                                    "AND status = ?", (Status.CLOSED.value, to_db(now), assignment.id,
                                                       Status.REVIEWING.value))
        if count != 1:
            raise InvalidInput(f"{assignment.label} was closed a moment ago by another organiser; nothing was changed.")
        for kind in (*(notices.reminder_kind(lead) for lead in REMINDER_LEADS), notices.ENDED):
            await notices.skip_pending(db, clock, assignment.id, kind, notices.Outcome.SKIPPED)
        await db.execute("UPDATE reviews_notices SET due_at = ? WHERE assignment_id = ? AND key LIKE 'results:%' "
                         "AND claimed_at IS NULL", (to_db(now), assignment.id))
        pending = await db.fetchval("SELECT COUNT(*) FROM reviews_reviews WHERE assignment_id = ? "
                                    "AND submitted_at IS NULL", (assignment.id,), 0)
    return RoundClosed(await store.get_assignment(db, assignment.guild_id, assignment.id), int(pending))
