"""Scheduling, editing and cancelling sessions, and growing repeating series one occurrence at a time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.sessions import deliveries, rsvp
from bot.sessions.model import SESSION_SELECT, Change, EditResult, Session, SessionNotFound, session_from_row
from bot.sessions.recurrence import Repeat, next_occurrence, wall_time
from bot.sessions.timeparse import MAX_AHEAD, MAX_DURATION, MIN_DURATION, format_duration
from bot.text import clean_text

TITLE_MAX = 100  # a Discord scheduled event's name is at most 100 characters
DESCRIPTION_MAX = 1000  # … and its description at most 1000
CAPACITY_MAX = 1000
CANCEL_REASON_MAX = 300



def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and not 1 <= capacity <= CAPACITY_MAX:
        raise InvalidInput(f"Capacity is the number of places, from 1 to {CAPACITY_MAX}; leave it out for no limit.")
    return capacity


def check_duration(duration: timedelta) -> timedelta:
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise InvalidInput(f"A session lasts between {format_duration(MIN_DURATION)} and "
                           f"{format_duration(MAX_DURATION)}.")
    return duration


def check_start(starts_at: datetime, now: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be aware")
    if starts_at <= now:
        raise InvalidInput("That start time is in the past; give a time in the future.")
    if starts_at > now + MAX_AHEAD:
        raise InvalidInput("That start time is more than a year ahead; schedule sessions within the next 12 months.")
    return starts_at


async def schedule_session(db: Database, clock: Clock, *, guild_id: int, host_id: int, topic_id: int | None,
                           title: str, starts_at: datetime, duration: timedelta, zone: str,
                           repeat: Repeat = Repeat.NONE, until: datetime | None = None,
                           capacity: int | None = None, voice_channel_id: int | None = None,
                           channel_id: int | None = None, description: str = "", ping_role: bool = False,
                           native_event: bool = False) -> Session:
    """Store a new session (and its series when it repeats) and plan its deliveries."""
    now = clock.now()
    title = clean_text(title, "the title", TITLE_MAX, required=True)
    description = clean_text(description, "the description", DESCRIPTION_MAX, required=False)
    check_start(starts_at, now)
    check_duration(duration)
    check_capacity(capacity)
    ZoneInfo(zone)  # a bad name is a programming error here: the cog validates what members type
    if until is not None and repeat is Repeat.NONE:
        raise InvalidInput("`until` only applies to repeating sessions; pick a `repeat` or leave `until` out.")
    if until is not None and until < starts_at:
        raise InvalidInput("`until` is before the first session; give a later date.")
    async with db.transaction():
        series_id = None
        if repeat is not Repeat.NONE:
            series_id, _ = await db.execute(
                "INSERT INTO sessions_series (guild_id, repeat, timezone, anchor_local, until_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, repeat.value, zone, wall_time(starts_at, zone).isoformat(),
                 to_db(until) if until else None, to_db(now)),
            )
        session_id, _ = await db.execute(
            "INSERT INTO sessions (guild_id, topic_id, series_id, occurrence, title, description, host_id, "
            "starts_at, ends_at, timezone, capacity, voice_channel_id, channel_id, ping_role, native_event, "
            "created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, topic_id, series_id, title, description, host_id, to_db(starts_at),
             to_db(starts_at + duration), zone, capacity, voice_channel_id, channel_id, int(ping_role),
             int(native_event), to_db(now), to_db(now)),
        )
        assert session_id is not None
        session = await get_session_by_id(db, session_id)
        await deliveries.plan(db, clock, session)
    return session


async def get_session_by_id(db: Database, session_id: int) -> Session:
    row = await db.fetchone(f"{SESSION_SELECT} WHERE s.id = ?", (session_id,))
    if row is None:
        raise SessionNotFound(session_id)
    return session_from_row(row)


async def get_session(db: Database, guild_id: int, session_id: int) -> Session:
    """A session of this guild; another guild's id is reported as not found."""
    row = await db.fetchone(f"{SESSION_SELECT} WHERE s.id = ? AND s.guild_id = ?", (session_id, guild_id))
    if row is None:
        raise SessionNotFound(session_id)
    return session_from_row(row)


async def set_card(db: Database, session_id: int, channel_id: int, message_id: int) -> None:
    await db.execute("UPDATE sessions SET channel_id = ?, message_id = ? WHERE id = ?",
                     (channel_id, message_id, session_id))


async def set_native_event(db: Database, session_id: int, event_id: int | None) -> None:
    await db.execute("UPDATE sessions SET native_event_id = ? WHERE id = ?", (event_id, session_id))


async def delete_session(db: Database, session_id: int) -> None:
    """Undo a session whose card could not be posted (nothing else refers to it yet)."""
    async with db.transaction():
        series_id = await db.fetchval("SELECT series_id FROM sessions WHERE id = ?", (session_id,))
        await db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        if series_id is not None:
            await db.execute("DELETE FROM sessions_series WHERE id = ? AND NOT EXISTS "
                             "(SELECT 1 FROM sessions WHERE series_id = ?)", (series_id, series_id))


def _upcoming_filter(guild_id: int, now: datetime, topic_id: int | None,
                     member_id: int | None) -> tuple[str, list[object]]:
    where = "s.guild_id = ? AND s.status = 'scheduled' AND s.ends_at > ?"
    params: list[object] = [guild_id, to_db(now)]
    if topic_id is not None:
        where += " AND s.topic_id = ?"
        params.append(topic_id)
    if member_id is not None:
        where += (" AND (s.host_id = ? OR EXISTS (SELECT 1 FROM sessions_rsvps v WHERE v.session_id = s.id "
                  "AND v.user_id = ? AND v.status IN ('going', 'maybe', 'waitlist')))")
        params += [member_id, member_id]
    return where, params


async def list_upcoming(db: Database, clock: Clock, guild_id: int, *, topic_id: int | None = None,
                        member_id: int | None = None, offset: int = 0, limit: int = 100) -> list[Session]:
    """Sessions not yet over, soonest first; ``member_id`` keeps those they host or answered yes/maybe to."""
    where, params = _upcoming_filter(guild_id, clock.now(), topic_id, member_id)
    rows = await db.fetchall(f"{SESSION_SELECT} WHERE {where} ORDER BY s.starts_at, s.id LIMIT ? OFFSET ?",
                             (*params, limit, offset))
    return [session_from_row(row) for row in rows]


async def count_upcoming(db: Database, clock: Clock, guild_id: int, *, topic_id: int | None = None,
                         member_id: int | None = None) -> int:
    where, params = _upcoming_filter(guild_id, clock.now(), topic_id, member_id)
    return int(await db.fetchval(f"SELECT COUNT(*) FROM sessions s WHERE {where}", params))


async def edit_session(db: Database, clock: Clock, session: Session, *, title: str | None = None,
                       starts_at: datetime | None = None, duration: timedelta | None = None,
                       capacity: int | None = None, clear_capacity: bool = False,
                       voice_channel_id: int | None = None, clear_voice_channel: bool = False,
                       description: str | None = None) -> EditResult:
    """Change one occurrence; returns it updated, what changed (worded for the members going) and who
    left the waitlist because the capacity grew.

    ``clear_capacity`` removes the limit; ``clear_voice_channel`` removes the voice channel.

    Edits to one occurrence of a series carry forward to the next one, except its time, which
    keeps following the series.
    """
    now = clock.now()
    if session.cancelled:
        raise InvalidInput(f"Session #{session.id} was cancelled; schedule a new one instead.")
    if session.has_started(now):
        raise InvalidInput(f"Session #{session.id} has already started; it can no longer be edited.")
    columns: dict[str, object] = {}
    changes: list[Change] = []
    if title is not None:
        title = clean_text(title, "the title", TITLE_MAX, required=True)
        if title != session.title:
            columns["title"] = title
            changes.append(Change("Title", session.title, title))
    new_start = session.starts_at if starts_at is None else check_start(starts_at, now)
    new_duration = session.duration if duration is None else check_duration(duration)
    if new_start != session.starts_at:
        columns["starts_at"] = to_db(new_start)
        changes.append(Change("Start", _ts(session.starts_at), _ts(new_start)))
    if new_duration != session.duration:
        changes.append(Change("Duration", format_duration(session.duration), format_duration(new_duration)))
    if new_start + new_duration != session.ends_at:
        columns["ends_at"] = to_db(new_start + new_duration)
    new_capacity = None if clear_capacity else check_capacity(capacity) if capacity is not None else session.capacity
    if new_capacity != session.capacity:
        columns["capacity"] = new_capacity
        changes.append(Change("Capacity", str(session.capacity or "no limit"), str(new_capacity or "no limit")))
    new_voice = None if clear_voice_channel else voice_channel_id or session.voice_channel_id
    if new_voice != session.voice_channel_id:
        columns["voice_channel_id"] = new_voice
        changes.append(Change("Voice channel", _channel(session.voice_channel_id), _channel(new_voice)))
    if description is not None:
        description = clean_text(description, "the description", DESCRIPTION_MAX, required=False)
        if description != session.description:
            columns["description"] = description
            changes.append(Change("Description", "", "updated"))
    if not columns:
        raise InvalidInput("Nothing to change: give a new title, time, duration, capacity, voice channel or "
                           "description.")
    columns["updated_at"] = to_db(now)
    assignments = ", ".join(f"{column} = ?" for column in columns)
    async with db.transaction():
        await db.execute(f"UPDATE sessions SET {assignments} WHERE id = ?", (*columns.values(), session.id))
        updated = await get_session_by_id(db, session.id)
        if "starts_at" in columns or "ends_at" in columns:
            await deliveries.plan(db, clock, updated)
        promoted = await rsvp.promote_waitlist(db, clock, updated) if "capacity" in columns else ()
    return EditResult(updated, tuple(changes), promoted)


def _ts(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:F>"


def _channel(channel_id: object) -> str:
    return f"<#{channel_id}>" if channel_id else "none"


async def cancel_session(db: Database, clock: Clock, session: Session, *, reason: str | None = None,
                         series: bool = False) -> list[Session]:
    """Cancel one occurrence, or with ``series`` every occurrence not yet started and all future ones.

    Returns the occurrences cancelled now. Cancelling the newest occurrence of a series that goes on
    creates its next occurrence straight away (it would otherwise be made when this one started).
    """
    now = clock.now()
    reason = clean_text(reason, "the reason", CANCEL_REASON_MAX, required=False) if reason else None
    if series and session.series_id is None:
        raise InvalidInput(f"Session #{session.id} is not part of a repeating series; leave out `series`.")
    if not series and session.cancelled:
        raise InvalidInput(f"Session #{session.id} is already cancelled.")
    if not series and session.has_started(now):
        raise InvalidInput(f"Session #{session.id} has already started; it can no longer be cancelled.")
    async with db.transaction():
        if series:
            await db.execute("UPDATE sessions_series SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                             (to_db(now), session.series_id))
            rows = await db.fetchall(
                "SELECT id FROM sessions WHERE series_id = ? AND status = 'scheduled' AND starts_at > ?",
                (session.series_id, to_db(now)))
            ids = [row["id"] for row in rows]
        else:
            ids = [session.id]
        for session_id in ids:
            await db.execute("UPDATE sessions SET status = 'cancelled', cancel_reason = ?, updated_at = ? "
                             "WHERE id = ?", (reason, to_db(now), session_id))
            await deliveries.drop_pending(db, clock, session_id)
        cancelled = [await get_session_by_id(db, session_id) for session_id in ids]
    if not series and session.series_id is not None:
        await continue_series(db, clock, session.series_id)
    return cancelled


async def continue_series(db: Database, clock: Clock, series_id: int, *,
                          started: Session | None = None) -> Session | None:
    """Create the series' next occurrence once its newest one has started (or was cancelled).

    ``started`` is the occurrence whose start is being handled now. Idempotent: an occurrence
    number is created once (``UNIQUE (series_id, occurrence)``), so a start-up catch-up and a start
    job running together make one row. Occurrences missed during downtime are skipped.
    """
    series = await db.fetchone("SELECT * FROM sessions_series WHERE id = ?", (series_id,))
    if series is None or series["cancelled_at"] is not None:
        return None
    latest_row = await db.fetchone(f"{SESSION_SELECT} WHERE s.series_id = ? ORDER BY s.occurrence DESC LIMIT 1",
                                   (series_id,))
    if latest_row is None:
        return None
    latest = session_from_row(latest_row)
    now = clock.now()
    handled_now = started is not None and started.id == latest.id
    if not (latest.cancelled or latest.has_started(now) or handled_now):
        return None
    found = next_occurrence(datetime.fromisoformat(series["anchor_local"]), series["timezone"],
                            Repeat(series["repeat"]), after_index=latest.occurrence,
                            not_before=max(now, latest.starts_at),
                            until=from_db(series["until_at"]) if series["until_at"] else None)
    if found is None:
        return None
    index, start = found
    async with db.transaction():
        session_id, inserted = await db.execute(
            "INSERT OR IGNORE INTO sessions (guild_id, topic_id, series_id, occurrence, title, description, "
            "host_id, starts_at, ends_at, timezone, capacity, voice_channel_id, channel_id, ping_role, "
            "native_event, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (latest.guild_id, latest.topic_id, series_id, index, latest.title, latest.description, latest.host_id,
             to_db(start), to_db(start + latest.duration), latest.timezone, latest.capacity,
             latest.voice_channel_id, latest.channel_id, int(latest.ping_role), int(latest.native_event),
             to_db(now), to_db(now)),
        )
        if not inserted or session_id is None:
            return None
        created = await get_session_by_id(db, session_id)
        await deliveries.plan(db, clock, created, announce=True)
    return created


async def active_series_ids(db: Database) -> list[int]:
    rows = await db.fetchall("SELECT id FROM sessions_series WHERE cancelled_at IS NULL")
    return [row["id"] for row in rows]


async def series_occurrences(db: Database, series_id: int) -> list[Session]:
    rows = await db.fetchall(f"{SESSION_SELECT} WHERE s.series_id = ? ORDER BY s.occurrence", (series_id,))
    return [session_from_row(row) for row in rows]


async def series_anchor(db: Database, series_id: int) -> tuple[datetime, str] | None:
    """The series' first wall time and its timezone (for the calendar's RRULE)."""
    row = await db.fetchone("SELECT anchor_local, timezone FROM sessions_series WHERE id = ?", (series_id,))
    return None if row is None else (datetime.fromisoformat(row["anchor_local"]), row["timezone"])


async def series_anchors(db: Database, sessions: Iterable[Session]) -> dict[int, tuple[datetime, str]]:
    """The anchor of every series among ``sessions``, by series id (what the calendar's RRULEs need)."""
    anchors = {}
    for series_id in {s.series_id for s in sessions if s.series_id is not None}:
        anchor = await series_anchor(db, series_id)
        if anchor is not None:
            anchors[series_id] = anchor
    return anchors


async def calendar_sessions(db: Database, clock: Clock, guild_id: int, *,
                            topic_id: int | None = None) -> list[Session]:
    """Occurrences for the .ics export: those not over yet, cancelled ones included (they become EXDATEs)."""
    where = "s.guild_id = ? AND s.ends_at > ?"
    params: list[object] = [guild_id, to_db(clock.now())]
    if topic_id is not None:
        where += " AND s.topic_id = ?"
        params.append(topic_id)
    rows = await db.fetchall(f"{SESSION_SELECT} WHERE {where} ORDER BY s.starts_at, s.id", params)
    return [session_from_row(row) for row in rows]


async def replan_reminders(db: Database, clock: Clock, guild_id: int) -> list[int]:
    """After the guild's reminder offsets changed: re-plan every session not started yet; returns their ids."""
    rows = await db.fetchall(f"{SESSION_SELECT} WHERE s.guild_id = ? AND s.status = 'scheduled' AND s.starts_at > ?",
                             (guild_id, to_db(clock.now())))
    sessions = [session_from_row(row) for row in rows]
    async with db.transaction():
        for session in sessions:
            await deliveries.plan(db, clock, session)
    return [session.id for session in sessions]
