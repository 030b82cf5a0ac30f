"""Upcoming sessions as an iCalendar file (RFC 5545), built with the icalendar library.

* A one-off session is one VEVENT with UID ``session-<id>@<guild>.cohort``.
* A series is one VEVENT with an RRULE and UID ``series-<id>@<guild>.cohort``, starting at its next
  occurrence. Cancelled occurrences become EXDATEs; an occurrence edited to differ from the series
  (another time, title or length) is a VEVENT with the same UID and a RECURRENCE-ID.
* Times are written in the organiser's timezone (TZID, with a VTIMEZONE for it); UTC sessions use UTC.

UIDs depend only on ids, so re-importing an updated file updates events instead of duplicating them.

A subscribed feed (the web companion's ``calendar.ics``) passes :class:`FeedOptions`: every event
then carries a SEQUENCE and a DTSTAMP that change only when it does (from ``web_calendar_versions``),
cancelled sessions stay in the file with STATUS:CANCELLED (a cancelled occurrence of a series as an
override with a RECURRENCE-ID) so that subscribers see the cancellation, a cancelled series' rule
ends at its last occurrence, and the calendar asks to be refreshed hourly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Timezone, vDuration

from bot.sessions.model import Session
from bot.sessions.recurrence import occurrence_start, rrule

PRODID = "-//Cohort//Study sessions//EN"
SeriesAnchors = dict[int, tuple[datetime, str]]


@dataclass(frozen=True)
class Version:
    """How many times an event changed (its SEQUENCE) and when it last did (its DTSTAMP)."""

    sequence: int
    stamp: datetime


@dataclass(frozen=True)
class FeedOptions:
    """What a subscribed calendar adds to the one-off export (see the module docstring).

    ``versions`` is keyed ``("session", id)`` and ``("series", id)``; every session passed must have
    its own entry. ``standalone`` writes each occurrence as its own event (a member's calendar holds
    the occurrences they answered, not whole series).
    """

    versions: Mapping[tuple[str, int], Version]
    cancelled_series: frozenset[int] = frozenset()
    refresh: timedelta = timedelta(hours=1)
    standalone: bool = False
    extra_events: Sequence[Event] = field(default_factory=tuple)
    # Serialized events by everything they are made of: a feed rebuilt after one edit serializes
    # only that event again (icalendar takes ~0.2 ms an event). The caller bounds its size.
    event_cache: MutableMapping[Hashable, bytes] | None = None


def session_uid(session: Session, *, standalone: bool = False) -> str:
    if session.series_id is not None and not standalone:
        return f"series-{session.series_id}@{session.guild_id}.cohort"
    return f"session-{session.id}@{session.guild_id}.cohort"


def build_calendar(sessions: list[Session], anchors: SeriesAnchors, *, now: datetime, name: str,
                   topic_names: dict[int, str] | None = None, url: str | None = None,
                   feed: FeedOptions | None = None) -> bytes:
    """The .ics bytes for ``sessions`` (upcoming occurrences, cancelled ones included for EXDATEs).

    ``anchors`` maps a series id to its first wall time and timezone (for the RRULE). With ``feed``
    the file is a subscribed calendar (see :class:`FeedOptions`).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    if feed is not None:
        calendar.add("refresh-interval", feed.refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(feed.refresh))
        return _assemble_feed(calendar, sessions, anchors, now, topic_names, url, feed)
    by_series: defaultdict[int, list[Session]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        if session.series_id is None:
            if not session.cancelled:
                calendar.add_component(_event(session, now, topic_names, url))
        else:
            by_series[session.series_id].append(session)
    for series_id, occurrences in by_series.items():
        if series_id in anchors:
            for component in _series_events(occurrences, anchors[series_id], now, topic_names, url, None):
                calendar.add_component(component)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _assemble_feed(calendar: Calendar, sessions: list[Session], anchors: SeriesAnchors, now: datetime,
                   topic_names: dict[int, str] | None, url: str | None, feed: FeedOptions) -> bytes:
    """A subscribed calendar, written component by component (each by icalendar) so that unchanged
    events come from ``feed.event_cache``. Same content and order as :func:`build_calendar` writes."""
    cache: MutableMapping[Hashable, bytes] = feed.event_cache if feed.event_cache is not None else {}
    names = topic_names or {}

    def cached(key: Hashable, make: Callable[[], Sequence[Component]]) -> bytes:
        if key not in cache:
            cache[key] = b"".join(component.to_ical() for component in make())
        return cache[key]

    events: list[bytes] = []
    by_series: defaultdict[int, list[Session]] = defaultdict(list)
    zones = {session.timezone for session in sessions}
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        key: Hashable
        if session.series_id is None or feed.standalone:
            key = ("event", session, feed.versions[("session", session.id)], names.get(session.topic_id or 0),
                   url, feed.standalone)
            events.append(cached(key, partial(_one_event, session, now, topic_names, url, feed)))
        else:
            by_series[session.series_id].append(session)
    for series_id, occurrences in by_series.items():
        if series_id in anchors:
            key = ("series", tuple(occurrences), tuple(feed.versions.get(("session", s.id)) for s in occurrences),
                   feed.versions.get(("series", series_id)), anchors[series_id], series_id in feed.cancelled_series,
                   tuple(names.get(s.topic_id or 0) for s in occurrences), url)
            events.append(cached(key, partial(_series_events, occurrences, anchors[series_id], now, topic_names,
                                              url, feed)))
    for extra in feed.extra_events:
        start = extra.get("dtstart")
        if start is not None and start.params.get("TZID"):
            zones.add(str(start.params["TZID"]))
        events.append(extra.to_ical())
    timezones = [cached(("vtimezone", zone), partial(_timezone, zone))
                 for zone in sorted(zones - {"UTC", "Etc/UTC"})]
    head = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    return b"".join([head[:-len(end)], *timezones, *events, end])


def _one_event(session: Session, now: datetime, topic_names: dict[int, str] | None, url: str | None,
               feed: FeedOptions) -> list[Event]:
    return [_event(session, now, topic_names, url, feed=feed)]


def _timezone(zone: str) -> list[Timezone]:
    return [Timezone.from_tzid(zone)]


def _series_events(occurrences: list[Session], anchor: tuple[datetime, str], now: datetime,
                   topic_names: dict[int, str] | None, url: str | None, feed: FeedOptions | None) -> list[Event]:
    live = [s for s in occurrences if not s.cancelled]
    if feed is not None:
        return _feed_series_events(occurrences, live, anchor, now, topic_names, url, feed)
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


def _feed_series_events(occurrences: list[Session], live: list[Session], anchor: tuple[datetime, str],
                        now: datetime, topic_names: dict[int, str] | None, url: str | None,
                        feed: FeedOptions) -> list[Event]:
    """A subscribed series: the rule always starts at the series' first occurrence (its UID's events
    never move), and every cancelled or changed occurrence is an override of it."""
    anchor_wall, zone = anchor
    ordered = sorted(occurrences, key=lambda s: s.occurrence)
    first = ordered[0]
    master = _event(first, now, topic_names, url, start=_rule_start(first, anchor_wall, zone), feed=feed)
    _stamp(master, _series_version(occurrences, feed))
    del master["status"]
    master.add("status", "CONFIRMED" if live else "CANCELLED")
    until = first.until
    if first.series_id in feed.cancelled_series and live:  # the rule ends with the last occurrence held
        until = max(s.starts_at for s in live)
    master.add("rrule", rrule(first.repeat, anchor_wall, until))
    events = [master]
    for session in ordered:
        rule_start = _rule_start(session, anchor_wall, zone)
        if session.cancelled or session.starts_at != rule_start or session.title != first.title \
                or session.duration != first.duration:
            override = _event(session, now, topic_names, url, feed=feed)
            override.add("recurrence-id", _local(rule_start, zone))
            events.append(override)
    return events


def _series_version(occurrences: list[Session], feed: FeedOptions) -> Version:
    """A series' master changes when the rule or any occurrence does: the sum only ever grows."""
    series_id = occurrences[0].series_id
    assert series_id is not None
    parts = [feed.versions[("session", s.id)] for s in occurrences]
    if ("series", series_id) in feed.versions:
        parts.append(feed.versions[("series", series_id)])
    return Version(sum(p.sequence for p in parts), max(p.stamp for p in parts))


def _stamp(event: Event, version: Version) -> None:
    for key in ("dtstamp", "sequence"):
        if key in event:
            del event[key]
    event.add("dtstamp", version.stamp)
    event.add("sequence", version.sequence)


def _rule_start(session: Session, anchor_wall: datetime, zone: str) -> datetime:
    return occurrence_start(anchor_wall, zone, session.repeat, session.occurrence)


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _event(session: Session, now: datetime, topic_names: dict[int, str] | None, url: str | None, *,
           start: datetime | None = None, feed: FeedOptions | None = None) -> Event:
    start = start or session.starts_at
    event = Event()
    event.add("uid", session_uid(session, standalone=feed is not None and feed.standalone))
    if feed is None:
        event.add("dtstamp", now)
    else:
        version = feed.versions[("session", session.id)]
        event.add("dtstamp", version.stamp)
        event.add("sequence", version.sequence)
        event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
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
