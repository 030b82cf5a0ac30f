"""Reading times, durations and reminder offsets as members type them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.guild_config import parse_timezone
from bot.sessions.recurrence import localize
from bot.sessions.timeparse import (
    format_offsets,
    offsets_in_words,
    parse_duration,
    parse_offsets,
    parse_until,
    parse_when,
)

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # the day before Europe's spring-forward night
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def test_iso_time_is_read_in_the_given_timezone() -> None:
    assert parse_when("2026-12-03 18:00", "Europe/Berlin", NOW) == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert parse_when("2026-12-03 18:00", "UTC", NOW) == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def test_tomorrow_6pm_stays_6pm_local_across_the_dst_change() -> None:
    # dateparser's aware mode would apply today's +01:00 and answer 19:00 CEST.
    moment = parse_when("tomorrow 6pm", "Europe/Berlin", NOW)
    assert local(moment, "Europe/Berlin") == datetime(2026, 3, 29, 18, 0)


def test_next_weekday_with_time() -> None:
    moment = parse_when("next tuesday 18:30", "America/New_York", NOW)
    assert local(moment, "America/New_York") == datetime(2026, 3, 31, 18, 30)


def test_in_two_hours_counts_real_time_across_the_dst_gap() -> None:
    before_gap = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET; clocks jump 02:00 → 03:00
    assert parse_when("in 2 hours", "Europe/Berlin", before_gap) == before_gap + timedelta(hours=2)


def test_a_time_that_names_its_zone_wins_over_the_option() -> None:
    assert parse_when("tomorrow 18:00 UTC", "Europe/Berlin", NOW) == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)
    assert parse_when("2026-04-01T10:00:00+05:00", "Europe/Berlin", NOW) == datetime(2026, 4, 1, 5, 0, tzinfo=UTC)


def test_wall_time_in_a_dst_gap_moves_forward_by_the_gap() -> None:
    moment = parse_when("2026-03-29 02:30", "Europe/Berlin", NOW)
    assert local(moment, "Europe/Berlin") == datetime(2026, 3, 29, 3, 30)


def test_wall_time_in_a_dst_overlap_is_the_first_of_the_two() -> None:
    moment = parse_when("2026-10-25 02:30", "Europe/Berlin", NOW)
    assert moment == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET


@pytest.mark.parametrize("text", ["yesterday 10am", "2026-03-28 11:59", "2020-01-01 10:00"])
def test_past_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="in the past"):
        parse_when(text, "UTC", NOW)


def test_more_than_a_year_ahead_is_refused() -> None:
    with pytest.raises(InvalidInput, match="more than a year ahead"):
        parse_when("2027-03-29 12:00", "UTC", NOW)


@pytest.mark.parametrize("text", ["garbage", "a", "1", "12", "", "   ", "monday 25:00", "\x00\x00", "x" * 500])
def test_garbage_is_refused_with_examples(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_when(text, "UTC", NOW)
    assert "2026-12-03 18:00" in str(refused.value) or "too long" in str(refused.value)


def test_a_date_without_time_asks_for_a_time() -> None:
    with pytest.raises(InvalidInput, match="no time of day"):
        parse_when("friday", "UTC", NOW)


def test_feb_29_exists_only_in_leap_years() -> None:
    with pytest.raises(InvalidInput, match="could not read"):
        parse_when("2027-02-29 10:00", "UTC", NOW)
    leap_now = datetime(2027, 6, 1, tzinfo=UTC)
    assert parse_when("2028-02-29 10:00", "UTC", leap_now) == datetime(2028, 2, 29, 10, 0, tzinfo=UTC)


def test_a_timezone_that_does_not_exist_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a timezone I know"):
        parse_timezone("Mars/Olympus_Mons")
    assert parse_timezone("europe/berlin") == "Europe/Berlin"


def test_until_date_means_the_end_of_that_day() -> None:
    start = parse_when("2026-04-01 18:00", "Europe/Berlin", NOW)
    until = parse_until("2026-06-30", "Europe/Berlin", NOW, start)
    assert local(until, "Europe/Berlin") == datetime(2026, 6, 30, 23, 59, 59)


def test_until_before_the_start_is_refused() -> None:
    start = parse_when("2026-06-01 18:00", "UTC", NOW)
    with pytest.raises(InvalidInput, match="before the first session"):
        parse_until("2026-05-01", "UTC", NOW, start)


@pytest.mark.parametrize(("text", "minutes"), [("90m", 90), ("1h30m", 90), ("1.5h", 90), ("2 hours", 120),
                                               ("90", 90), ("1h 30", 90), ("1 hour and 30 minutes", 90)])
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["abc", "h", "m5", "0", "4", "13h", "9" * 38 + "h", "-5m", "1h-30m", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


def test_offsets_are_sorted_deduplicated_and_round_trip() -> None:
    offsets = parse_offsets("15m, 24h,15m,1m")
    assert offsets == (timedelta(hours=24), timedelta(minutes=15), timedelta(minutes=1))
    assert parse_offsets(format_offsets(offsets)) == offsets


@pytest.mark.parametrize(("text", "words"), [("15m", "15m"), ("24h,15m", "24h and 15m"),
                                             ("15m, 1h30m, 2h", "2h, 1h30m and 15m")])
def test_offsets_read_as_words(text: str, words: str) -> None:
    assert offsets_in_words(parse_offsets(text)) == words


@pytest.mark.parametrize("text", ["", ",", "0m", "8d", "1m,2m,3m,4m,5m,6m", "soon"])
def test_bad_offsets_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_offsets(text)


# Properties ---------------------------------------------------------------------------------
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 1, 1),
                       timezones=st.just(UTC))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=120), zone=st.sampled_from(ZONES), now=moments)
def test_any_text_is_either_a_future_time_within_a_year_or_invalid_input(text: str, zone: str,
                                                                         now: datetime) -> None:
    try:
        moment = parse_when(text, zone, now)
    except InvalidInput:
        return
    assert moment.tzinfo is not None
    assert now < moment <= now + timedelta(days=365)


@settings(max_examples=100, deadline=None)
@given(minutes=st.integers(min_value=1, max_value=60 * 24 * 30), zone=st.sampled_from(ZONES), now=moments)
def test_in_n_minutes_is_exactly_n_minutes_of_real_time(minutes: int, zone: str, now: datetime) -> None:
    assert parse_when(f"in {minutes} minutes", zone, now) == now + timedelta(minutes=minutes)


@settings(max_examples=100, deadline=None)
@given(wall=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 30)),  # within a year of now
       zone=st.sampled_from(ZONES))
def test_iso_wall_times_keep_their_wall_time_unless_it_does_not_exist(wall: datetime, zone: str) -> None:
    wall = wall.replace(second=0, microsecond=0)
    now = datetime(2025, 12, 31, tzinfo=UTC)
    moment = parse_when(wall.strftime("%Y-%m-%d %H:%M"), zone, now)
    assert moment == localize(wall, zone)
    shown = local(moment, zone)
    if shown != wall:  # only a wall time skipped by a DST change may move, and only forward
        assert timedelta(0) < shown - wall <= timedelta(hours=1)
        assert localize(shown, zone) == moment


@settings(max_examples=100, deadline=None)
@given(hours=st.integers(min_value=0, max_value=12), minutes=st.integers(min_value=0, max_value=59))
def test_durations_round_trip_in_hours_and_minutes(hours: int, minutes: int) -> None:
    total = timedelta(hours=hours, minutes=minutes)
    text = f"{hours}h{minutes}m"
    if timedelta(minutes=5) <= total <= timedelta(hours=12):
        assert parse_duration(text) == total
    else:
        with pytest.raises(InvalidInput):
            parse_duration(text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60))
def test_any_duration_text_is_a_duration_in_range_or_invalid_input(text: str) -> None:
    try:
        duration = parse_duration(text)
    except InvalidInput:
        return
    assert timedelta(minutes=5) <= duration <= timedelta(hours=12)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=80))
def test_any_offsets_text_is_offsets_in_range_or_invalid_input(text: str) -> None:
    try:
        offsets = parse_offsets(text)
    except InvalidInput:
        return
    assert 1 <= len(offsets) <= 5
    assert all(timedelta(minutes=1) <= o <= timedelta(days=7) for o in offsets)
    assert list(offsets) == sorted(set(offsets), reverse=True)


@pytest.mark.parametrize("text", ["9999-12-31 23:00", "Dec 31 9999 11pm", "0001-01-01 00:00 UTC",
                                  "9999-12-31 23:59 -12:00", "9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Pacific/Kiritimati"])
def test_dates_at_the_ends_of_the_calendar_are_refused_not_crashed(text: str, zone: str) -> None:
    now = datetime(2026, 11, 27, 15, tzinfo=UTC)
    with pytest.raises(InvalidInput, match=r"too far from today|more than a year ahead|in the past|no time of day"):
        parse_when(text, zone, now)
    try:
        until = parse_until(text, zone, now, now + timedelta(days=1))
    except InvalidInput:
        return
    assert until.tzinfo is not None and until > now


@settings(max_examples=100, deadline=None)
@given(moment=st.datetimes(), style=st.sampled_from(["%Y-%m-%d %H:%M", "%Y-%m-%d", "%d %B %Y %I%p"]),
       zone=st.sampled_from([*ZONES, "Etc/GMT+12", "Pacific/Kiritimati"]))
def test_any_date_from_year_1_to_9999_is_a_moment_or_invalid_input(moment: datetime, style: str, zone: str) -> None:
    now = datetime(2026, 11, 27, 15, tzinfo=UTC)
    text = moment.strftime(style)
    for parse in (lambda: parse_when(text, zone, now), lambda: parse_until(text, zone, now, now)):
        try:
            parsed = parse()
        except InvalidInput:
            continue
        assert parsed.tzinfo is not None and parsed > now
