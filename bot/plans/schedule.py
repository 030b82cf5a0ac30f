"""When a plan's units start and its items fall due, in the plan's wall time.

Unit *n* starts ``(n - 1) * unit_days`` days after the plan's wall-clock anchor, at the anchor's
time of day, so a plan started on a Monday at 09:00 Europe/Berlin starts every unit at Monday 09:00
Berlin time on both sides of a DST change. Wall times a DST change skips or repeats follow the
sessions' rule (:func:`bot.sessions.recurrence.localize`: gaps move forward, overlaps take the first).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.plans.model import Due
from bot.sessions.recurrence import localize


def parse_anchor(start_local: str) -> datetime:
    """The stored anchor ('YYYY-MM-DDTHH:MM') as a naive wall time."""
    return datetime.fromisoformat(start_local)


def format_anchor(anchor: datetime) -> str:
    return anchor.replace(second=0, microsecond=0, tzinfo=None).isoformat(timespec="minutes")


def unit_wall_start(anchor: datetime, unit_days: int, number: int) -> datetime:
    """The naive wall time unit ``number`` (1-based) starts."""
    return anchor + timedelta(days=(number - 1) * unit_days)


def unit_start(anchor: datetime, zone: str, unit_days: int, number: int) -> datetime:
    """The aware UTC instant unit ``number`` starts (unit ``count + 1`` is when the plan ends)."""
    return localize(unit_wall_start(anchor, unit_days, number), zone)


def unit_first_day(anchor: datetime, unit_days: int, number: int) -> date:
    return unit_wall_start(anchor, unit_days, number).date()


def item_due(anchor: datetime, zone: str, unit_days: int, number: int, due: Due | None) -> datetime | None:
    """The aware UTC instant an item of unit ``number`` is due, or None when it has no due time."""
    if due is None:
        return None
    day = unit_first_day(anchor, unit_days, number) + timedelta(days=due.day)
    wall = datetime.combine(day, time(due.minute // 60, due.minute % 60))
    return localize(wall, zone)


def current_unit(anchor: datetime, zone: str, unit_days: int, unit_count: int, now: datetime) -> int:
    """The unit running at ``now``: 0 before the start, ``unit_count + 1`` once the last unit ended."""
    if now < unit_start(anchor, zone, unit_days, 1):
        return 0
    # Wall-clock days are at most an hour off UTC days, so the estimate is exact or one off.
    elapsed = now - unit_start(anchor, zone, unit_days, 1)
    number = min(max(1, elapsed.days // unit_days + 1), unit_count + 1)
    while number <= unit_count and unit_start(anchor, zone, unit_days, number + 1) <= now:
        number += 1
    while number > 1 and unit_start(anchor, zone, unit_days, number) > now:
        number -= 1
    return number
