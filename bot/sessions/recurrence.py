"""When the occurrences of a repeating session fall, computed in the organiser's wall time.

Occurrence *n* is found from the series' first wall time (the anchor), never from the previous
occurrence, so nothing drifts: a weekly 18:00 Europe/Berlin session is at 18:00 local on both
sides of a DST change (16:00 UTC in summer, 17:00 UTC in winter).

Two wall times need a rule, and the rule is RFC 5545's (so the .ics export agrees) and PEP 495's
``fold=0``:

* a wall time that a DST change skips (02:30 on a spring-forward night in Europe) is read with the
  offset in force before the gap, which lands the same distance after it: 02:30 → 03:30;
* a wall time that happens twice (02:30 on a fall-back night) is the first of the two.

Monthly series keep the day of the month, and in a month too short for it (the 31st in April, the
29th–31st in February) fall on that month's last day; the next month goes back to the anchor day.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_OCCURRENCES_SCANNED = 1000  # a series catching up after downtime never loops without end


class Repeat(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


def localize(wall: datetime, zone: str) -> datetime:
    """A naive wall time in ``zone`` → the aware UTC instant (gaps and overlaps as the module says)."""
    if wall.tzinfo is not None:
        raise ValueError("localize takes a naive wall time")
    return wall.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def wall_time(moment: datetime, zone: str) -> datetime:
    """The naive wall time in ``zone`` of an aware instant."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def add_months(day: date, months: int, anchor_day: int) -> date:
    """``day`` moved by ``months``, on ``anchor_day`` or the month's last day if it is shorter."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor_day, last))


def occurrence_wall_time(anchor: datetime, repeat: Repeat, index: int) -> datetime:
    """The naive wall time of occurrence ``index`` (0 is the anchor itself)."""
    if index < 0:
        raise ValueError("occurrence index must be 0 or more")
    if repeat is Repeat.WEEKLY:
        return anchor + timedelta(weeks=index)
    if repeat is Repeat.BIWEEKLY:
        return anchor + timedelta(weeks=2 * index)
    if repeat is Repeat.MONTHLY:
        return datetime.combine(add_months(anchor.date(), index, anchor.day), anchor.time())
    if index == 0:
        return anchor
    raise ValueError("a one-off session has no further occurrences")


def occurrence_start(anchor: datetime, zone: str, repeat: Repeat, index: int) -> datetime:
    """The UTC start of occurrence ``index``."""
    return localize(occurrence_wall_time(anchor, repeat, index), zone)


def next_occurrence(anchor: datetime, zone: str, repeat: Repeat, *, after_index: int,
                    not_before: datetime, until: datetime | None) -> tuple[int, datetime] | None:
    """The first occurrence after ``after_index`` that starts after ``not_before`` and by ``until``.

    Occurrences missed while the bot was down are skipped rather than created in the past.
    """
    if repeat is Repeat.NONE:
        return None
    for index in range(after_index + 1, after_index + 1 + MAX_OCCURRENCES_SCANNED):
        start = occurrence_start(anchor, zone, repeat, index)
        if until is not None and start > until:
            return None
        if start > not_before:
            return index, start
    return None


def rrule(repeat: Repeat, anchor: datetime, until: datetime | None) -> dict[str, object]:
    """The RFC 5545 RRULE (as icalendar's ``vRecur`` parts) that yields the same occurrences."""
    if repeat is Repeat.NONE:
        raise ValueError("a one-off session has no RRULE")
    rule: dict[str, object] = {"FREQ": "MONTHLY" if repeat is Repeat.MONTHLY else "WEEKLY"}
    if repeat is Repeat.BIWEEKLY:
        rule["INTERVAL"] = 2
    if repeat is Repeat.MONTHLY and anchor.day > 28:
        # "The 31st, or the month's last day": the last of the days 28..31 that the month has.
        rule["BYMONTHDAY"] = list(range(28, anchor.day + 1))
        rule["BYSETPOS"] = -1
    if until is not None:
        rule["UNTIL"] = until.astimezone(UTC)
    return rule
