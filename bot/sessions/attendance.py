"""Attendance from voice: intervals members spent in voice channels, stored as they happen.

Intervals live in the database, not in memory, so a restart loses nothing: at start-up
:func:`reconcile_voice` compares the open intervals with who Discord says is in voice now. A
member still in the same channel keeps their open interval (they were there before and after);
anyone else's interval is closed at that moment, since when they left during the downtime is
unknown.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.sessions.model import Attendee, Session

KEEP_INTERVALS_DAYS = 2


async def voice_joined(db: Database, clock: Clock, guild_id: int, user_id: int, channel_id: int) -> None:
    """A member entered (or moved to) a voice channel."""
    now = to_db(clock.now())
    async with db.transaction():
        await db.execute("UPDATE sessions_voice_intervals SET left_at = ? "
                         "WHERE guild_id = ? AND user_id = ? AND left_at IS NULL", (now, guild_id, user_id))
        await db.execute("INSERT INTO sessions_voice_intervals (guild_id, channel_id, user_id, joined_at) "
                         "VALUES (?, ?, ?, ?)", (guild_id, channel_id, user_id, now))


async def voice_left(db: Database, clock: Clock, guild_id: int, user_id: int) -> None:
    await db.execute("UPDATE sessions_voice_intervals SET left_at = ? "
                     "WHERE guild_id = ? AND user_id = ? AND left_at IS NULL", (to_db(clock.now()), guild_id, user_id))


async def reconcile_voice(db: Database, clock: Clock, guild_id: int, present: dict[int, int]) -> None:
    """Bring open intervals in line with who is in voice now (``present``: user id → channel id)."""
    now = to_db(clock.now())
    async with db.transaction():
        rows = await db.fetchall("SELECT user_id, channel_id FROM sessions_voice_intervals "
                                 "WHERE guild_id = ? AND left_at IS NULL", (guild_id,))
        open_now = {row["user_id"]: row["channel_id"] for row in rows}
        for user_id, channel_id in open_now.items():
            if present.get(user_id) != channel_id:
                await db.execute("UPDATE sessions_voice_intervals SET left_at = ? "
                                 "WHERE guild_id = ? AND user_id = ? AND left_at IS NULL", (now, guild_id, user_id))
        for user_id, channel_id in present.items():
            if open_now.get(user_id) != channel_id:
                await db.execute("INSERT INTO sessions_voice_intervals (guild_id, channel_id, user_id, joined_at) "
                                 "VALUES (?, ?, ?, ?)", (guild_id, channel_id, user_id, now))


async def attendance(db: Database, clock: Clock, session: Session, minimum_minutes: int) -> list[Attendee]:
    """Everyone who was in the session's voice channel during its window, most time first.

    Time inside the window counts (joining early or staying late does not add); someone still in
    the channel counts up to now. ``attended`` means at least ``minimum_minutes``.
    """
    if session.voice_channel_id is None:
        return []
    window_end = min(session.ends_at, clock.now())
    rows = await db.fetchall(
        "SELECT user_id, joined_at, left_at FROM sessions_voice_intervals WHERE guild_id = ? AND channel_id = ? "
        "AND joined_at < ? AND (left_at IS NULL OR left_at > ?)",
        (session.guild_id, session.voice_channel_id, to_db(session.ends_at), to_db(session.starts_at)))
    seconds: defaultdict[int, float] = defaultdict(float)
    for row in rows:
        seconds[row["user_id"]] += _overlap(from_db(row["joined_at"]),
                                            from_db(row["left_at"]) if row["left_at"] else window_end,
                                            session.starts_at, window_end)
    found = [Attendee(user_id, int(total), total >= minimum_minutes * 60)
             for user_id, total in seconds.items() if total > 0]
    return sorted(found, key=lambda a: (-a.seconds, a.user_id))


def _overlap(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> float:
    return max(0.0, (min(end, window_end) - max(start, window_start)).total_seconds())


async def record_attendance(db: Database, session: Session, attendees: list[Attendee]) -> list[int]:
    """Store who attended (once per session); returns the members recorded now, not before."""
    recorded = []
    async with db.transaction():
        for attendee in attendees:
            if not attendee.attended:
                continue
            _, inserted = await db.execute(
                "INSERT OR IGNORE INTO sessions_attendance (session_id, guild_id, user_id, seconds) "
                "VALUES (?, ?, ?, ?)", (session.id, session.guild_id, attendee.user_id, attendee.seconds))
            if inserted:
                recorded.append(attendee.user_id)
    return recorded


async def recorded_attendance(db: Database, session_id: int) -> list[Attendee]:
    rows = await db.fetchall("SELECT user_id, seconds FROM sessions_attendance WHERE session_id = ? "
                             "ORDER BY seconds DESC, user_id", (session_id,))
    return [Attendee(row["user_id"], row["seconds"], True) for row in rows]


async def prune_intervals(db: Database, before: datetime) -> int:
    """Forget closed intervals that ended before ``before`` (kept only as long as recaps need them)."""
    _, count = await db.execute("DELETE FROM sessions_voice_intervals WHERE left_at IS NOT NULL AND left_at < ?",
                                (to_db(before),))
    return count
