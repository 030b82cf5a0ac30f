"""When repeating sessions fall: DST-correct, the 31st in short months, Feb 29, and the RRULE agreeing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import vRecur

from bot.sessions.recurrence import (
    Repeat,
    add_months,
    localize,
    next_occurrence,
    occurrence_start,
    occurrence_wall_time,
    rrule,
    wall_time,
)

BERLIN = "Europe/Berlin"
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]
REPEATS = [Repeat.WEEKLY, Repeat.BIWEEKLY, Repeat.MONTHLY]


def test_weekly_1800_berlin_stays_1800_local_across_the_change() -> None:
    anchor = datetime(2026, 3, 17, 18, 0)  # a Tuesday in winter time
    starts = [occurrence_start(anchor, BERLIN, Repeat.WEEKLY, i) for i in range(4)]
    assert [s.hour for s in starts] == [17, 17, 16, 16]  # UTC: CET then CEST
    assert all(wall_time(s, BERLIN) == anchor + timedelta(weeks=i) for i, s in enumerate(starts))


def test_monthly_on_the_31st_falls_on_the_last_day_of_short_months() -> None:
    anchor = datetime(2026, 1, 31, 18, 0)
    days = [occurrence_wall_time(anchor, Repeat.MONTHLY, i).date().isoformat() for i in range(5)]
    assert days == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]


def test_monthly_on_the_29th_meets_feb_29_in_a_leap_year() -> None:
    anchor = datetime(2027, 12, 29, 9, 0)
    assert occurrence_wall_time(anchor, Repeat.MONTHLY, 2).date().isoformat() == "2028-02-29"
    assert occurrence_wall_time(anchor, Repeat.MONTHLY, 14).date().isoformat() == "2029-02-28"


def test_a_gap_wall_time_is_read_with_the_offset_before_the_gap() -> None:
    assert localize(datetime(2026, 3, 29, 2, 30), BERLIN) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_an_overlap_wall_time_is_the_first_of_the_two() -> None:
    assert localize(datetime(2026, 10, 25, 2, 30), BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_next_occurrence_skips_those_missed_during_downtime() -> None:
    anchor = datetime(2026, 1, 6, 18, 0)
    after_downtime = datetime(2026, 1, 28, tzinfo=UTC)
    index, start = next_occurrence(anchor, "UTC", Repeat.WEEKLY, after_index=0, not_before=after_downtime,
                                   until=None) or (None, None)
    assert index == 4 and start == datetime(2026, 2, 3, 18, 0, tzinfo=UTC)


def test_next_occurrence_stops_at_until() -> None:
    anchor = datetime(2026, 1, 6, 18, 0)
    until = datetime(2026, 1, 13, 18, 0, tzinfo=UTC)
    assert next_occurrence(anchor, "UTC", Repeat.WEEKLY, after_index=0, not_before=anchor.replace(tzinfo=UTC),
                           until=until) == (1, until)
    assert next_occurrence(anchor, "UTC", Repeat.WEEKLY, after_index=1, not_before=until, until=until) is None


def test_a_one_off_session_has_no_next_occurrence() -> None:
    anchor = datetime(2026, 1, 6, 18, 0)
    assert next_occurrence(anchor, "UTC", Repeat.NONE, after_index=0, not_before=anchor.replace(tzinfo=UTC),
                           until=None) is None
    with pytest.raises(ValueError):
        occurrence_wall_time(anchor, Repeat.NONE, 1)


@settings(max_examples=100, deadline=None)
@given(anchor=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)),
       zone=st.sampled_from(ZONES), repeat=st.sampled_from(REPEATS), index=st.integers(0, 60))
def test_occurrences_keep_the_wall_time_and_only_move_forward_out_of_gaps(anchor: datetime, zone: str,
                                                                          repeat: Repeat, index: int) -> None:
    anchor = anchor.replace(second=0, microsecond=0)
    wall = occurrence_wall_time(anchor, repeat, index)
    start = occurrence_start(anchor, zone, repeat, index)
    assert wall.time() == anchor.time()
    shown = wall_time(start, zone)
    assert shown == wall or timedelta(0) < shown - wall <= timedelta(hours=1)
    if index:
        assert start > occurrence_start(anchor, zone, repeat, index - 1)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=datetime(2025, 1, 1).date(), max_value=datetime(2035, 1, 1).date()),
       months=st.integers(0, 120))
def test_add_months_keeps_the_day_or_takes_the_last_day(day: object, months: int) -> None:
    moved = add_months(day, months, day.day)  # type: ignore[attr-defined]
    assert moved.day == day.day or (moved + timedelta(days=1)).day == 1  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(anchor=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
       zone=st.sampled_from(ZONES), repeat=st.sampled_from(REPEATS))
def test_the_rrule_yields_the_same_wall_times_as_the_series(anchor: datetime, zone: str, repeat: Repeat) -> None:
    anchor = anchor.replace(second=0, microsecond=0)
    rule = vRecur({k: v for k, v in rrule(repeat, anchor, None).items()}).to_ical().decode()
    expanded = rrulestr(f"RRULE:{rule}", dtstart=anchor)
    got = [expanded[i] for i in range(24)]
    assert got == [occurrence_wall_time(anchor, repeat, i) for i in range(24)]


def test_rrule_until_is_in_utc() -> None:
    until = datetime(2026, 6, 30, 21, 59, 59, tzinfo=ZoneInfo(BERLIN))
    rule = rrule(Repeat.BIWEEKLY, datetime(2026, 1, 6, 18, 0), until)
    assert rule["INTERVAL"] == 2 and rule["UNTIL"] == datetime(2026, 6, 30, 19, 59, 59, tzinfo=UTC)
