"""When rounds fall: weekly, every two weeks or monthly, on a weekday at an hour of the server's timezone.

Weekly and biweekly rounds count whole weeks from the first round's wall time (the anchor), so a
Monday 09:00 Europe/Berlin round stays at 09:00 Berlin time across DST changes (through
:func:`bot.sessions.recurrence.localize`). Monthly rounds fall on the month's first such weekday.
The check-back comes halfway to the next round.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.sessions.recurrence import Repeat, localize, occurrence_wall_time, wall_time

Cadence = Literal["weekly", "biweekly", "monthly"]
CADENCES: tuple[Cadence, ...] = ("weekly", "biweekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PERIOD = {"weekly": timedelta(weeks=1), "biweekly": timedelta(weeks=2), "monthly": timedelta(weeks=4)}
MAX_SCAN = 1000


def first_anchor(now: datetime, zone: str, cadence: Cadence, weekday: int, hour: int) -> datetime:
    """The naive wall time of the first round after ``now``: the next such weekday and hour."""
    local = wall_time(now, zone)
    if cadence == "monthly":
        return _first_weekday_after(local, weekday, hour)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, time(hour))
    if localize(candidate, zone) <= now:
        candidate += timedelta(weeks=1)
    return candidate


def _first_weekday_of(year: int, month: int, weekday: int, hour: int) -> datetime:
    first = date(year, month, 1)
    return datetime.combine(first + timedelta(days=(weekday - first.weekday()) % 7), time(hour))


def _first_weekday_after(local: datetime, weekday: int, hour: int) -> datetime:
    year, month = local.year, local.month
    while True:
        candidate = _first_weekday_of(year, month, weekday, hour)
        if candidate > local:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def round_wall_time(anchor: datetime, cadence: Cadence, index: int) -> datetime:
    """The naive wall time of scheduled round ``index`` (0 is the anchor)."""
    if cadence == "monthly":
        month_index = anchor.year * 12 + anchor.month - 1 + index
        return _first_weekday_of(month_index // 12, month_index % 12 + 1, anchor.weekday(), anchor.hour)
    return occurrence_wall_time(anchor, Repeat(cadence), index)


def round_at(anchor: datetime, zone: str, cadence: Cadence, index: int) -> datetime:
    return localize(round_wall_time(anchor, cadence, index), zone)


def latest_due(anchor: datetime, zone: str, cadence: Cadence, now: datetime) -> datetime | None:
    """The last scheduled round at or before ``now`` (None before the first)."""
    found = None
    for index in range(MAX_SCAN):
        moment = round_at(anchor, zone, cadence, index)
        if moment > now:
            return found
        found = moment
    return found


def next_round(anchor: datetime, zone: str, cadence: Cadence, after: datetime) -> datetime:
    """The first scheduled round after ``after``."""
    for index in range(MAX_SCAN):
        moment = round_at(anchor, zone, cadence, index)
        if moment > after:
            return moment
    raise ValueError("no round in the next thousand periods")


def checkback_at(ran_at: datetime, cadence: Cadence) -> datetime:
    """Halfway through the round: half a period after its groups were made."""
    return ran_at + PERIOD[cadence] / 2


def describe(cadence: Cadence, weekday: int, hour: int, zone: str) -> str:
    """``"every Monday at 09:00 (Europe/Berlin)"``."""
    when = {"weekly": f"every {WEEKDAYS[weekday]}", "biweekly": f"every other {WEEKDAYS[weekday]}",
            "monthly": f"the first {WEEKDAYS[weekday]} of each month"}[cadence]
    return f"{when} at {hour:02d}:00 ({zone})"


def rounds_span(cadence: Cadence, rounds: int) -> str:
    """``"4 rounds (about 4 months)"``: how long a number of rounds lasts at this cadence."""
    unit, per_round = {"weekly": ("week", 1), "biweekly": ("week", 2), "monthly": ("month", 1)}[cadence]
    amount = rounds * per_round
    return f"{rounds} round{'s' if rounds != 1 else ''} (about {amount} {unit}{'s' if amount != 1 else ''})"
