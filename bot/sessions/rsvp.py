"""Answers to a session (going, maybe, can't) and its waitlist when places are limited."""

from __future__ import annotations

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.sessions.model import RsvpCounts, RsvpResult, RsvpStatus, Session, SessionFull


async def counts(db: Database, session_id: int) -> RsvpCounts:
    return (await counts_for(db, [session_id]))[session_id]


async def counts_for(db: Database, session_ids: list[int]) -> dict[int, RsvpCounts]:
    """:func:`counts` for several sessions in one query (a list page shows ten)."""
    if not session_ids:
        return {}
    marks = ", ".join("?" for _ in session_ids)
    rows = await db.fetchall(
        f"SELECT session_id, status, COUNT(*) AS n FROM sessions_rsvps WHERE session_id IN ({marks}) "
        "GROUP BY session_id, status", session_ids)
    by_session: dict[int, dict[str, int]] = {session_id: {} for session_id in session_ids}
    for row in rows:
        by_session[row["session_id"]][row["status"]] = row["n"]
    return {session_id: RsvpCounts(**found) for session_id, found in by_session.items()}


async def members(db: Database, session_id: int, *statuses: RsvpStatus) -> list[int]:
    """Members with one of ``statuses``, in the order they answered."""
    marks = ", ".join("?" for _ in statuses)
    rows = await db.fetchall(
        f"SELECT user_id FROM sessions_rsvps WHERE session_id = ? AND status IN ({marks}) ORDER BY seq",
        (session_id, *statuses))
    return [row["user_id"] for row in rows]


async def status_of(db: Database, session_id: int, user_id: int) -> RsvpStatus | None:
    value = await db.fetchval("SELECT status FROM sessions_rsvps WHERE session_id = ? AND user_id = ?",
                              (session_id, user_id))
    return None if value is None else RsvpStatus(value)


async def waitlist_position(db: Database, session_id: int, user_id: int) -> int | None:
    waiting = await members(db, session_id, RsvpStatus.WAITLIST)
    return waiting.index(user_id) + 1 if user_id in waiting else None


async def answer(db: Database, clock: Clock, session: Session, user_id: int, status: RsvpStatus, *,
                 join_waitlist: bool = False) -> RsvpResult:
    """Record a member's answer.

    "Going" to a full session raises :class:`SessionFull` unless ``join_waitlist``; then the member
    waits in line. When someone going changes their answer, the first in line takes the place.
    """
    now = clock.now()
    if session.cancelled:
        raise InvalidInput(f"Session #{session.id} was cancelled, so it takes no answers.")
    if session.has_ended(now):
        raise InvalidInput(f"Session #{session.id} is over, so it takes no answers.")
    async with db.transaction():
        current = await status_of(db, session.id, user_id)
        wanted = status
        if wanted in (RsvpStatus.GOING, RsvpStatus.WAITLIST) and current is not RsvpStatus.GOING:
            going = len(await members(db, session.id, RsvpStatus.GOING))
            full = session.capacity is not None and going >= session.capacity
            if full and current is RsvpStatus.WAITLIST:
                raise SessionFull(session, await waitlist_position(db, session.id, user_id))
            if full and not (join_waitlist or wanted is RsvpStatus.WAITLIST):
                raise SessionFull(session, None)
            wanted = RsvpStatus.WAITLIST if full else RsvpStatus.GOING
        elif wanted is RsvpStatus.WAITLIST:
            wanted = RsvpStatus.GOING  # already has a place
        changed = wanted is not current
        if changed:
            await db.execute(
                "INSERT INTO sessions_rsvps (session_id, guild_id, user_id, status, answered_at, seq) "
                "VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sessions_rsvps WHERE session_id = ?)) "
                "ON CONFLICT (session_id, user_id) DO UPDATE SET status = excluded.status, "
                "answered_at = excluded.answered_at, seq = excluded.seq",
                (session.id, session.guild_id, user_id, wanted.value, to_db(now), session.id),
            )
        promoted = await promote_waitlist(db, clock, session) if current is RsvpStatus.GOING and changed else ()
        position = await waitlist_position(db, session.id, user_id) if wanted is RsvpStatus.WAITLIST else None
        return RsvpResult(session, user_id, wanted, changed, promoted, await counts(db, session.id), position)


async def promote_waitlist(db: Database, clock: Clock, session: Session) -> tuple[int, ...]:
    """Give free places to the waitlist, first come first served; returns who got one."""
    promoted: list[int] = []
    async with db.transaction():
        going = len(await members(db, session.id, RsvpStatus.GOING))
        waiting = await members(db, session.id, RsvpStatus.WAITLIST)
        free = len(waiting) if session.capacity is None else max(0, session.capacity - going)
        for user_id in waiting[:free]:
            await db.execute("UPDATE sessions_rsvps SET status = 'going', answered_at = ? "
                             "WHERE session_id = ? AND user_id = ?", (to_db(clock.now()), session.id, user_id))
            promoted.append(user_id)
    return tuple(promoted)
