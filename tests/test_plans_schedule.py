"""When plan units start and items fall due, across DST, against a real timezone database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.plans.model import END_OF_DAY_MINUTE, Due
from bot.plans.schedule import current_unit, format_anchor, item_due, parse_anchor, unit_start

BERLIN = "Europe/Berlin"


def test_monday_nine_in_berlin_stays_nine_across_the_spring_change() -> None:
    anchor = parse_anchor("2027-03-15T09:00")  # a Monday; DST starts 2027-03-28
    before = unit_start(anchor, BERLIN, 7, 2)
    after = unit_start(anchor, BERLIN, 7, 3)
    assert before == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    assert after == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    for moment in (before, after):
        local = moment.astimezone(ZoneInfo(BERLIN))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)


def test_end_of_week_is_the_last_day_at_23_59_local() -> None:
    anchor = parse_anchor("2027-01-04T09:00")
    due = item_due(anchor, BERLIN, 7, 1, Due(6, END_OF_DAY_MINUTE))
    assert due == datetime(2027, 1, 10, 22, 59, tzinfo=UTC)
    assert item_due(anchor, BERLIN, 7, 1, None) is None


def test_current_unit_before_during_and_after() -> None:
    anchor = parse_anchor("2027-01-04T09:00")
    start = unit_start(anchor, BERLIN, 7, 1)
    assert current_unit(anchor, BERLIN, 7, 10, start - timedelta(seconds=1)) == 0
    assert current_unit(anchor, BERLIN, 7, 10, start) == 1
    assert current_unit(anchor, BERLIN, 7, 10, unit_start(anchor, BERLIN, 7, 4) - timedelta(seconds=1)) == 3
    assert current_unit(anchor, BERLIN, 7, 10, unit_start(anchor, BERLIN, 7, 11)) == 11


def test_anchor_round_trips() -> None:
    assert format_anchor(parse_anchor("2027-01-04T09:00")) == "2027-01-04T09:00"


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
    zone=st.sampled_from([BERLIN, "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
    unit_days=st.integers(1, 28),
    number=st.integers(1, 52),
)
def test_units_keep_the_wall_time_and_order(start: datetime, zone: str, unit_days: int, number: int) -> None:
    anchor = start.replace(second=0, microsecond=0)
    begins = unit_start(anchor, zone, unit_days, number)
    following = unit_start(anchor, zone, unit_days, number + 1)
    assert begins < following
    local = begins.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    wall = anchor + timedelta(days=(number - 1) * unit_days)
    assert local.date() == wall.date()
    # The wall time is kept unless a DST gap skips it, which moves it forward by the gap (≤ 1 h).
    assert timedelta(0) <= local - wall <= timedelta(hours=1)
    assert current_unit(anchor, zone, unit_days, 52, begins) == number
    assert current_unit(anchor, zone, unit_days, 52, following - timedelta(seconds=1)) == number
