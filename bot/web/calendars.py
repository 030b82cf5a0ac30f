"""Subscribed calendars: a server's sessions, and a member's own sessions and plan deadlines.

Both are built by :func:`bot.sessions.ics.build_calendar` with :class:`FeedOptions`. A server's feed
holds its sessions that ended in the last 30 days or are still to come (cancelled ones included, so
subscribers see the cancellation) and every occurrence of the series among them (so a series' rule
and UID never move). Its bytes are kept per server with a cheap fingerprint of what they were made
from, so answering "not modified" costs one small query, not a rebuild.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Hashable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from icalendar import Event

from bot.clock import from_db, to_db
from bot.db import Database, Row
from bot.plans.model import END_OF_DAY_MINUTE, Due
from bot.plans.schedule import item_due, parse_anchor
from bot.sessions import ics
from bot.sessions.model import SESSION_SELECT, Session, session_from_row

HISTORY = timedelta(days=30)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
V = TypeVar("V")
SessionVersion = tuple[Session, ics.Version]


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # strong: a hash of the body, quoted
    last_modified: datetime  # the newest DTSTAMP, whole seconds

    @property
    def last_modified_http(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)


def make_feed(body: bytes, stamps: Iterable[datetime]) -> Feed:
    newest = max(stamps, default=EPOCH).astimezone(UTC).replace(microsecond=0)
    return Feed(body, '"' + hashlib.sha256(body).hexdigest()[:40] + '"', newest)


class CarriedCache(MutableMapping[Hashable, V]):
    """What the last build made (serialized events, sessions read from rows); what this build uses
    is carried into the next one, the rest is forgotten, so the cache never outgrows the feed."""

    def __init__(self, previous: dict[Hashable, V]) -> None:
        self.previous = previous
        self.current: dict[Hashable, V] = {}

    def __contains__(self, key: object) -> bool:
        if key in self.current:
            return True
        if key in self.previous:
            self.current[key] = self.previous[key]  # type: ignore[index]
            return True
        return False

    def __getitem__(self, key: Hashable) -> V:
        if key in self:
            return self.current[key]
        raise KeyError(key)

    def __setitem__(self, key: Hashable, value: V) -> None:
        self.current[key] = value

    def __delitem__(self, key: Hashable) -> None:
        del self.current[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.current)

    def __len__(self) -> int:
        return len(self.current)


@dataclass(frozen=True)
class _Cached:
    key: tuple[object, ...]
    feed: Feed
    valid_until: datetime  # when the oldest session in it leaves the 30-day window


class GuildFeeds:
    """Each server's calendar.ics, rebuilt only when its sessions, series or topics changed (the
    ``web_calendar_changes`` counter moved) or a session aged out of the window; then in a worker
    thread (a big calendar takes a while to write), with unchanged events reused."""

    def __init__(self) -> None:
        self._cache: dict[int, _Cached] = {}
        self._events: dict[int, dict[Hashable, bytes]] = {}
        self._rows: dict[int, dict[Hashable, SessionVersion]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def _fresh(self, guild_id: int, key: tuple[object, ...], now: datetime) -> Feed | None:
        cached = self._cache.get(guild_id)
        return cached.feed if cached is not None and cached.key == key and now < cached.valid_until else None

    async def feed(self, db: Database, guild_id: int, changes: int, now: datetime, *, name: str,
                   page_url: str) -> Feed:
        key = (name, page_url, changes)
        if (found := self._fresh(guild_id, key, now)) is not None:
            return found
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            if (found := self._fresh(guild_id, key, now)) is not None:
                return found
            events = CarriedCache(self._events.get(guild_id, {}))
            rows = CarriedCache(self._rows.get(guild_id, {}))
            feed, valid_until = await _build_guild_feed(db, guild_id, now, name=name, page_url=page_url,
                                                        events=events, rows=rows)
            self._events[guild_id] = events.current
            self._rows[guild_id] = rows.current
            self._cache[guild_id] = _Cached(key, feed, valid_until)
        return feed

    def forget(self) -> None:
        """Drop every cached feed and event (the benchmark measures builds from nothing)."""
        self._cache.clear()
        self._events.clear()
        self._rows.clear()


async def enabled_with_changes(db: Database, slug: str) -> tuple[int, int] | None:
    """``(guild_id, changes)`` for an enabled page, in one read: all a "not modified" answer needs."""
    row = await db.fetchone(
        "SELECT g.guild_id, IFNULL(c.changes, 0) AS changes FROM web_guilds g "
        "LEFT JOIN web_calendar_changes c ON c.guild_id = g.guild_id WHERE g.slug = ? AND g.enabled = 1",
        (slug.lower(),))
    return None if row is None else (row["guild_id"], row["changes"])


_WINDOW = ("s.guild_id = ? AND (s.ends_at > ? OR s.series_id IN "
           "(SELECT series_id FROM sessions WHERE guild_id = ? AND ends_at > ? AND series_id IS NOT NULL))")


async def _versions(db: Database, sessions: list[Session]) -> dict[tuple[str, int], ics.Version]:
    """Each session's version and each series' (a member's calendar: a few sessions)."""
    versions: dict[tuple[str, int], ics.Version] = {}
    ids = [s.id for s in sessions]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = await db.fetchall(
            f"SELECT s.id, s.created_at, v.sequence, v.changed_at FROM sessions s LEFT JOIN web_calendar_versions v "
            f"ON v.kind = 'session' AND v.id = s.id WHERE s.id IN ({marks})", chunk)
        for row in rows:
            versions[("session", row["id"])] = ics.Version(row["sequence"] or 0,
                                                           from_db(row["changed_at"] or row["created_at"]))
    return versions | await _series_versions(db, sessions)


async def _series_versions(db: Database, sessions: list[Session]) -> dict[tuple[str, int], ics.Version]:
    series_ids = sorted({s.series_id for s in sessions if s.series_id is not None})
    versions: dict[tuple[str, int], ics.Version] = {}
    for start in range(0, len(series_ids), 500):
        chunk = series_ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = await db.fetchall(f"SELECT id, sequence, changed_at FROM web_calendar_versions WHERE kind = 'series' "
                                 f"AND id IN ({marks})", chunk)
        for row in rows:
            versions[("series", row["id"])] = ics.Version(row["sequence"], from_db(row["changed_at"]))
    return versions


async def _series_facts(db: Database, sessions: list[Session]) -> tuple[ics.SeriesAnchors, frozenset[int]]:
    """Each series' anchor (for its RRULE) and which series were cancelled, in one query."""
    series_ids = sorted({s.series_id for s in sessions if s.series_id is not None})
    anchors: ics.SeriesAnchors = {}
    cancelled: set[int] = set()
    for start in range(0, len(series_ids), 500):
        chunk = series_ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = await db.fetchall(f"SELECT id, anchor_local, timezone, cancelled_at FROM sessions_series "
                                 f"WHERE id IN ({marks})", chunk)
        for row in rows:
            anchors[row["id"]] = (datetime.fromisoformat(row["anchor_local"]), row["timezone"])
            if row["cancelled_at"]:
                cancelled.add(row["id"])
    return anchors, frozenset(cancelled)


_FEED_SELECT = (f"{SESSION_SELECT} LEFT JOIN web_calendar_versions v ON v.kind = 'session' AND v.id = s.id "
                f"WHERE {_WINDOW} ORDER BY s.starts_at, s.id").replace(
    "SELECT s.*,", "SELECT s.*, v.sequence AS v_sequence, v.changed_at AS v_changed_at,", 1)


def _session_version(row: Row) -> SessionVersion:
    return session_from_row(row), ics.Version(row["v_sequence"] or 0,
                                               from_db(row["v_changed_at"] or row["created_at"]))


async def _build_guild_feed(db: Database, guild_id: int, now: datetime, *, name: str, page_url: str,
                            events: CarriedCache[bytes],
                            rows: CarriedCache[SessionVersion]) -> tuple[Feed, datetime]:
    since = to_db(now - HISTORY)
    found = []
    for row in await db.fetchall(_FEED_SELECT, (guild_id, since, guild_id, since)):
        key = tuple(row)  # the whole row: any change to it makes a new Session
        if key not in rows:
            rows[key] = _session_version(row)
        found.append(rows[key])
    sessions = [session for session, _ in found]
    versions = {("session", session.id): version for session, version in found}
    versions |= await _series_versions(db, sessions)
    anchors, cancelled = await _series_facts(db, sessions)
    topic_rows = await db.fetchall("SELECT id, name FROM topics WHERE guild_id = ?", (guild_id,))
    options = ics.FeedOptions(versions, cancelled_series=cancelled, event_cache=events)
    body = await asyncio.to_thread(ics.build_calendar, sessions, anchors, now=now, name=name,
                                   topic_names={r["id"]: r["name"] for r in topic_rows}, url=page_url, feed=options)
    leaving = [s.ends_at + HISTORY for s in sessions if s.ends_at + HISTORY > now]
    return make_feed(body, (v.stamp for v in versions.values())), min(leaving, default=datetime.max.replace(tzinfo=UTC))


async def personal_feed(db: Database, user_id: int, now: datetime, *, server_names: dict[int, str],
                        sessions_url: dict[int, str]) -> Feed:
    """The sessions a member answered Going or Maybe (every server), and the due times of their plans."""
    rows = await db.fetchall(
        f"{SESSION_SELECT} JOIN sessions_rsvps v ON v.session_id = s.id WHERE v.user_id = ? "
        "AND v.status IN ('going', 'maybe') AND s.ends_at > ? ORDER BY s.starts_at, s.id",
        (user_id, to_db(now - HISTORY)))
    sessions = [session_from_row(row) for row in rows]
    versions = await _versions(db, sessions)
    dues, stamps = await _plan_due_events(db, user_id, now)
    stamps += [v.stamp for v in versions.values()]
    titled = [_with_server(s, server_names) for s in sessions]
    url = next(iter(sessions_url.values()), None) if len(sessions_url) == 1 else None
    body = ics.build_calendar(titled, {}, now=now, name="Cohort: my sessions and deadlines", url=url,
                              feed=ics.FeedOptions(versions, standalone=True, extra_events=dues))
    return make_feed(body, stamps)


def _with_server(session: Session, server_names: dict[int, str]) -> Session:
    server = server_names.get(session.guild_id)
    return replace(session, title=f"{session.title} · {server}") if server else session


async def _plan_due_events(db: Database, user_id: int, now: datetime) -> tuple[list[Event], list[datetime]]:
    """One event per item with a due time in the running plans the member is in."""
    plans = await db.fetchall(
        "SELECT p.*, v.sequence, v.changed_at, g.value AS server_zone FROM plans p "
        "JOIN plans_enrolments e ON e.plan_id = p.id AND e.user_id = ? AND e.left_at IS NULL "
        "LEFT JOIN web_calendar_versions v ON v.kind = 'plan' AND v.id = p.id "
        "LEFT JOIN guild_settings g ON g.guild_id = p.guild_id AND g.key = 'timezone' "
        "WHERE p.status = 'running' AND p.start_local IS NOT NULL ORDER BY p.id", (user_id,))
    events: list[Event] = []
    stamps: list[datetime] = []
    for plan in plans:
        zone = plan["timezone"] or plan["server_zone"] or "UTC"
        anchor = parse_anchor(plan["start_local"])
        stamp = from_db(plan["changed_at"] or plan["created_at"])
        stamps.append(stamp)
        items = await db.fetchall(
            "SELECT i.id, i.title, i.url, i.due_day, i.due_minute, u.number FROM plans_items i "
            "JOIN plans_units u ON u.id = i.unit_id WHERE i.plan_id = ? AND i.due_day IS NOT NULL "
            "ORDER BY u.number, i.position", (plan["id"],))
        for item in items:
            minute = END_OF_DAY_MINUTE if item["due_minute"] is None else item["due_minute"]
            due = item_due(anchor, zone, plan["unit_days"], item["number"], Due(item["due_day"], minute))
            if due is None or due < now - HISTORY:
                continue
            event = Event()
            event.add("uid", f"plan-item-{item['id']}@{plan['guild_id']}.cohort")
            event.add("dtstamp", stamp)
            event.add("sequence", plan["sequence"] or 0)
            event.add("summary", f"Due: {item['title']} ({plan['title']}, week {item['number']})")
            event.add("dtstart", due.astimezone(ZoneInfo(zone)))
            event.add("transp", "TRANSPARENT")
            if item["url"]:
                event.add("url", item["url"])
            events.append(event)
    return events, stamps
