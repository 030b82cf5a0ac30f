"""What the public pages show, read from the features' own tables: no member names, no message content.

Sessions come with their RSVP counts, the library with the same FTS5 search as ``/resource search``.
Times are returned as aware datetimes; the views put them in the server's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot import guild_config, topics
from bot.clock import to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.resources.model import RESOURCE_COLUMNS, Resource, resource_from_row
from bot.resources.search import search_resources
from bot.sessions import rsvp
from bot.sessions.model import SESSION_SELECT, RsvpCounts, Session, session_from_row
from bot.topics import Topic

PER_PAGE = 20
MAX_PAGE = 500  # deeper than anyone reads; keeps OFFSET scans bounded
UPCOMING_DAYS = 14
PAST_DAYS = 30
NEWEST_ON_HOME = 6
Sort = Literal["top", "new"]


@dataclass(frozen=True)
class SessionView:
    session: Session
    counts: RsvpCounts
    topic_name: str | None


@dataclass(frozen=True)
class LibraryPage:
    items: list[Resource]
    page: int  # 1-based
    has_next: bool
    total: int | None  # known for plain lists, not for searches
    query: str
    topic: Topic | None
    sort: Sort
    problem: str | None = None  # why a search found nothing to search for


async def server_timezone(db: Database, guild_id: int) -> str:
    return (await guild_config.get_config(db, guild_id)).timezone


async def guild_topics(db: Database, guild_id: int) -> list[Topic]:
    return await topics.list_topics(db, guild_id)


async def _with_counts(db: Database, guild_id: int, sessions: list[Session]) -> list[SessionView]:
    counts = await rsvp.counts_for(db, [s.id for s in sessions])
    names = {t.id: t.name for t in await topics.list_topics(db, guild_id)} if sessions else {}
    return [SessionView(s, counts[s.id], names.get(s.topic_id) if s.topic_id else None) for s in sessions]


async def upcoming_sessions(db: Database, guild_id: int, now: datetime, *, days: int = UPCOMING_DAYS,
                            include_cancelled: bool = False, limit: int = 200) -> list[SessionView]:
    """Sessions not over yet that start within ``days``, soonest first."""
    status = "" if include_cancelled else "AND s.status = 'scheduled'"
    rows = await db.fetchall(
        f"{SESSION_SELECT} WHERE s.guild_id = ? {status} AND s.ends_at > ? AND s.starts_at < ? "
        "ORDER BY s.starts_at, s.id LIMIT ?",
        (guild_id, to_db(now), to_db(now + timedelta(days=days)), limit))
    return await _with_counts(db, guild_id, [session_from_row(row) for row in rows])


async def recent_sessions(db: Database, guild_id: int, now: datetime, *, days: int = PAST_DAYS,
                          limit: int = 200) -> list[SessionView]:
    """Sessions that ended in the last ``days``, most recent first (cancelled ones included, marked)."""
    rows = await db.fetchall(
        f"{SESSION_SELECT} WHERE s.guild_id = ? AND s.ends_at <= ? AND s.ends_at > ? "
        "ORDER BY s.starts_at DESC, s.id DESC LIMIT ?",
        (guild_id, to_db(now), to_db(now - timedelta(days=days)), limit))
    return await _with_counts(db, guild_id, [session_from_row(row) for row in rows])


async def newest_resources(db: Database, guild_id: int, limit: int) -> list[Resource]:
    rows = await db.fetchall(
        f"SELECT {RESOURCE_COLUMNS} FROM (SELECT id FROM resources WHERE guild_id = ? AND removed_at IS NULL "
        "ORDER BY id DESC LIMIT ?) AS page JOIN resources AS r ON r.id = page.id "
        "LEFT JOIN topics AS t ON t.id = r.topic_id ORDER BY r.id DESC", (guild_id, limit))
    return [resource_from_row(row) for row in rows]


async def library_page(db: Database, guild_id: int, *, query: str, topic: Topic | None, sort: Sort,
                       page: int) -> LibraryPage:
    """One page of 20: search results (best first) when ``query`` has words, else the list by ``sort``."""
    page = min(max(page, 1), MAX_PAGE)
    offset = (page - 1) * PER_PAGE
    topic_id = topic.id if topic else None
    if query.strip():
        try:
            found = await search_resources(db, guild_id, query, topic_id=topic_id, limit=PER_PAGE + 1,
                                           offset=offset)
        except InvalidInput as error:
            return LibraryPage([], page, False, 0, query, topic, sort, problem=str(error))
        return LibraryPage(found[:PER_PAGE], page, len(found) > PER_PAGE, None, query, topic, sort)
    where, params = "guild_id = ? AND removed_at IS NULL", [guild_id]
    count_where, count_params = "guild_id = ?", [guild_id]
    if topic_id is not None:
        where += " AND topic_id = ?"
        params.append(topic_id)
        count_where += " AND topic_id = ?"
        count_params.append(topic_id)
    total = int(await db.fetchval(f"SELECT IFNULL(SUM(live), 0) FROM resources_counts WHERE {count_where}",
                                  count_params))
    order = "votes DESC, id DESC" if sort == "top" else "id DESC"
    rows = await db.fetchall(
        f"SELECT {RESOURCE_COLUMNS} FROM (SELECT id, votes FROM resources WHERE {where} ORDER BY {order} "
        "LIMIT ? OFFSET ?) AS page JOIN resources AS r ON r.id = page.id LEFT JOIN topics AS t ON t.id = r.topic_id "
        f"ORDER BY {'r.votes DESC, ' if sort == 'top' else ''}r.id DESC", [*params, PER_PAGE, offset])
    items = [resource_from_row(row) for row in rows]
    return LibraryPage(items, page, offset + len(items) < total, total, query, topic, sort)
