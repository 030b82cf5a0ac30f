"""Per-guild session settings: reminder offsets, whether "maybe" gets reminded, attendance minutes."""

from __future__ import annotations

from datetime import timedelta

from bot.db import Database
from bot.errors import InvalidInput
from bot.guild_config import get_setting, set_setting
from bot.sessions.timeparse import format_offsets, parse_offsets

REMINDER_OFFSETS_KEY = "sessions.reminder_offsets"
REMIND_MAYBE_KEY = "sessions.remind_maybe"
ATTENDANCE_MINUTES_KEY = "sessions.attendance_minutes"

DEFAULT_OFFSETS = (timedelta(hours=24), timedelta(minutes=15))
DEFAULT_ATTENDANCE_MINUTES = 10
MAX_ATTENDANCE_MINUTES = 24 * 60


async def reminder_offsets(db: Database, guild_id: int) -> tuple[timedelta, ...]:
    """How long before a session its reminders go out, largest first."""
    stored = await get_setting(db, guild_id, REMINDER_OFFSETS_KEY)
    return parse_offsets(stored) if stored else DEFAULT_OFFSETS


async def set_reminder_offsets(db: Database, guild_id: int, text: str) -> tuple[timedelta, ...]:
    offsets = parse_offsets(text)
    await set_setting(db, guild_id, REMINDER_OFFSETS_KEY, format_offsets(offsets))
    return offsets


async def remind_maybe(db: Database, guild_id: int) -> bool:
    """Whether members who answered "maybe" are pinged by reminders too (off unless set)."""
    return await get_setting(db, guild_id, REMIND_MAYBE_KEY) == "1"


async def set_remind_maybe(db: Database, guild_id: int, enabled: bool) -> None:
    await set_setting(db, guild_id, REMIND_MAYBE_KEY, "1" if enabled else "0")


async def attendance_minutes(db: Database, guild_id: int) -> int:
    """Minutes in the voice channel during a session that count as having attended."""
    stored = await get_setting(db, guild_id, ATTENDANCE_MINUTES_KEY)
    return int(stored) if stored else DEFAULT_ATTENDANCE_MINUTES


async def set_attendance_minutes(db: Database, guild_id: int, minutes: int) -> int:
    if not 1 <= minutes <= MAX_ATTENDANCE_MINUTES:
        raise InvalidInput(f"Attendance needs between 1 and {MAX_ATTENDANCE_MINUTES} minutes in the voice channel; "
                           f"{minutes} is out of range.")
    await set_setting(db, guild_id, ATTENDANCE_MINUTES_KEY, str(minutes))
    return minutes
