"""Upcoming sessions as an iCalendar file (RFC 5545), built with the icalendar library.

* A one-off session is one VEVENT with UID ``session-<id>@<guild>.cohort``.
* A series is one VEVENT with an RRULE and UID ``series-<id>@<guild>.cohort``, starting at its next
  occurrence. Cancelled occurrences become EXDATEs; an occurrence edited to differ from the series
  (another time, title or length) is a VEVENT with the same UID and a RECURRENCE-ID.
* Times are written in the organiser's timezone (TZID, with a VTIMEZONE for it); UTC sessions use UTC.

UIDs depend only on ids, so re-importing an updated file updates events instead of duplicating them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.sessions.model import Session
from bot.sessions.recurrence import occurrence_start, rrule

PRODID = "-//Cohort//Study sessions//EN"
SeriesAnchors = dict[int, tuple[datetime, str]]


def session_uid(session: Session) -> str:
    if session.series_id is not None:
        return f"series-{session.series_id}@{session.guild_id}.cohort"
    return f"session-{session.id}@{session.guild_id}.cohort"


def build_calendar(sessions: list[Session], anchors: SeriesAnchors, *, now: datetime, name: str,
                   topic_names: dict[int, str] | None = None, url: str | None = None) -> bytes:
    """The .ics bytes for ``sessions`` (upcoming occurrences, cancelled ones included for EXDATEs).

    ``anchors`` maps a series id to its first wall time and timezone (for the RRULE).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    by_series: defaultdict[int, list[Session]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: s.starts_at):
        if session.series_id is None:
            if not session.cancelled:
                calendar.add_component(_event(session, now, topic_names, url))
        else:
            by_series[session.series_id].append(session)
    for series_id, occurrences in by_series.items():
        if series_id in anchors:
            for component in _series_events(occurrences, anchors[series_id], now, topic_names, url):
                calendar.add_component(component)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _series_events(occurrences: list[Session], anchor: tuple[datetime, str], now: datetime,
                   topic_names: dict[int, str] | None, url: str | None) -> list[Event]:
    live = [s for s in occurrences if not s.cancelled]
    if not live:
        return []
    anchor_wall, zone = anchor
    first = live[0]
    master = _event(first, now, topic_names, url, start=_rule_start(first, anchor_wall, zone))
    master.add("rrule", rrule(first.repeat, anchor_wall, first.until))
    exdates = [_local(_rule_start(s, anchor_wall, zone), zone) for s in occurrences
               if s.cancelled and s.occurrence > first.occurrence]
    if exdates:
        master.add("exdate", exdates)
    events = [master]
    for session in live:
        rule_start = _rule_start(session, anchor_wall, zone)
        if session.starts_at != rule_start or session.title != first.title or session.duration != first.duration:
            override = _event(session, now, topic_names, url)
            override.add("recurrence-id", _local(rule_start, zone))
            events.append(override)
    return events


def _rule_start(session: Session, anchor_wall: datetime, zone: str) -> datetime:
    return occurrence_start(anchor_wall, zone, session.repeat, session.occurrence)


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _event(session: Session, now: datetime, topic_names: dict[int, str] | None, url: str | None, *,
           start: datetime | None = None) -> Event:
    start = start or session.starts_at
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", now)
    event.add("summary", session.title)
    event.add("dtstart", _local(start, session.timezone))
    event.add("dtend", _local(start + session.duration, session.timezone))
    description = session.description
    if topic_names and session.topic_id in topic_names:
        description = f"Topic: {topic_names[session.topic_id]}\n\n{description}".strip()
        event.add("categories", [topic_names[session.topic_id]])
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event
