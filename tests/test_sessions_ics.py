"""The .ics export, read back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.clock import FakeClock
from bot.db import Database
from bot.sessions import ics, store
from bot.sessions.model import Session
from bot.sessions.recurrence import Repeat

GUILD = 111
BERLIN = ZoneInfo("Europe/Berlin")


async def schedule(db: Database, clock: FakeClock, starts_at: datetime, **extra: Any) -> Session:
    fields: dict[str, Any] = {"guild_id": GUILD, "host_id": 1, "topic_id": None, "title": "Paper club",
                              "starts_at": starts_at, "duration": timedelta(minutes=90), "zone": "Europe/Berlin"}
    return await store.schedule_session(db, clock, **{**fields, **extra})


async def export(db: Database, clock: FakeClock) -> Calendar:
    sessions = await store.calendar_sessions(db, clock, GUILD)
    anchors = {}
    for series_id in {s.series_id for s in sessions if s.series_id}:
        anchor = await store.series_anchor(db, series_id)
        assert anchor is not None
        anchors[series_id] = anchor
    return Calendar.from_ical(ics.build_calendar(sessions, anchors, now=clock.now(), name="Test sessions"))


def events(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


async def test_a_one_off_session_is_one_event_in_the_organisers_timezone(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN))
    [event] = events(await export(db, clock))
    assert str(event["UID"]) == f"session-{session.id}@{GUILD}.cohort"
    assert event.decoded("DTSTART") == datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Paper club"
    [zone] = list((await export(db, clock)).walk("VTIMEZONE"))
    assert str(zone["TZID"]) == "Europe/Berlin"


async def test_the_uid_is_stable_between_exports(db: Database, clock: FakeClock) -> None:
    await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN))
    first = [str(e["UID"]) for e in events(await export(db, clock))]
    clock.advance(timedelta(hours=1))
    assert [str(e["UID"]) for e in events(await export(db, clock))] == first


async def test_a_series_is_one_event_with_an_rrule_until(db: Database, clock: FakeClock) -> None:
    until = datetime(2026, 4, 30, 23, 59, 59, tzinfo=BERLIN)
    first = await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN), repeat=Repeat.WEEKLY, until=until)
    [event] = events(await export(db, clock))
    assert str(event["UID"]) == f"series-{first.series_id}@{GUILD}.cohort"
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["UNTIL"] == [until.astimezone(UTC)]
    assert event.decoded("DTSTART") == datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN)


async def test_a_cancelled_occurrence_is_an_exdate(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN), repeat=Repeat.BIWEEKLY)
    clock.set(first.starts_at)
    second = await store.continue_series(db, clock, first.series_id or 0)
    assert second is not None
    await store.cancel_session(db, clock, second)  # which creates the third occurrence
    clock.set(first.starts_at + timedelta(minutes=10))  # the first is still on
    [event] = events(await export(db, clock))
    assert event["RRULE"]["INTERVAL"] == [2]
    assert event.decoded("DTSTART") == datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN)
    assert [d.dt for d in event["EXDATE"].dts] == [datetime(2026, 2, 17, 18, 0, tzinfo=BERLIN)]


async def test_a_series_starts_at_its_next_live_occurrence(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN), repeat=Repeat.BIWEEKLY)
    await store.cancel_session(db, clock, first)  # which creates the second occurrence
    [event] = events(await export(db, clock))
    assert event.decoded("DTSTART") == datetime(2026, 2, 17, 18, 0, tzinfo=BERLIN)
    assert "EXDATE" not in event


async def test_an_edited_occurrence_overrides_its_slot(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, datetime(2026, 3, 24, 18, 0, tzinfo=BERLIN), repeat=Repeat.WEEKLY)
    clock.set(first.starts_at)
    second = await store.continue_series(db, clock, first.series_id or 0)
    assert second is not None
    await store.edit_session(db, clock, second, starts_at=second.starts_at + timedelta(hours=1))
    clock.set(first.ends_at)
    master, override = events(await export(db, clock))
    assert str(master["UID"]) == str(override["UID"])
    assert master.decoded("DTSTART") == datetime(2026, 3, 31, 18, 0, tzinfo=BERLIN)  # after the DST change
    assert override.decoded("RECURRENCE-ID") == datetime(2026, 3, 31, 18, 0, tzinfo=BERLIN)
    assert override.decoded("DTSTART") == datetime(2026, 3, 31, 19, 0, tzinfo=BERLIN)


async def test_a_cancelled_series_and_past_sessions_are_left_out(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN), repeat=Repeat.WEEKLY)
    await store.cancel_session(db, clock, first, series=True)
    await schedule(db, clock, clock.now() + timedelta(hours=1), zone="UTC")
    clock.advance(timedelta(hours=3))
    assert events(await export(db, clock)) == []


async def test_utc_sessions_are_written_in_utc(db: Database, clock: FakeClock) -> None:
    await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=UTC), zone="UTC")
    raw = ics.build_calendar(await store.calendar_sessions(db, clock, GUILD), {}, now=clock.now(), name="x")
    assert b"DTSTART:20260203T180000Z" in raw


async def test_series_anchors_are_those_of_the_series_in_the_list(db: Database, clock: FakeClock) -> None:
    weekly = await schedule(db, clock, datetime(2026, 2, 3, 18, 0, tzinfo=BERLIN), repeat=Repeat.WEEKLY)
    await schedule(db, clock, datetime(2026, 2, 4, 18, 0, tzinfo=BERLIN))
    sessions = await store.calendar_sessions(db, clock, GUILD)
    assert weekly.series_id is not None and len(sessions) == 2  # a series stores its next occurrence only
    anchor = (datetime(2026, 2, 3, 18, 0), "Europe/Berlin")  # the first wall time, in the organiser's zone
    assert await store.series_anchors(db, sessions) == {weekly.series_id: anchor}
    assert await store.series_anchors(db, [s for s in sessions if s.series_id is None]) == {}
