"""The feed tables: feeds, the identities each has seen, and the outbox of posts to send."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.clock import from_db, to_db
from bot.db import Database, Row
from bot.errors import NotFound
from bot.feeds.fetch import Validators

Status = Literal["active", "paused", "disabled"]
OutboxKind = Literal["entry", "more", "disabled"]
_IN_CHUNK = 500  # SQLite's variable limit is far higher; this keeps statements small


@dataclass(frozen=True)
class Feed:
    id: int
    guild_id: int
    url: str
    title: str
    site_url: str | None
    channel_id: int | None
    topic_id: int | None
    include_filter: str
    exclude_filter: str
    mention_role_id: int | None
    status: Status
    disabled_reason: str | None
    needs_baseline: bool
    validators: Validators
    body_hash: str | None
    failures: int
    failing_since: datetime | None
    last_error: str | None
    next_check_at: datetime
    last_checked_at: datetime | None
    last_entry_title: str | None
    last_entry_at: datetime | None
    created_at: datetime

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass(frozen=True)
class OutboxItem:
    id: int
    guild_id: int
    feed_id: int
    channel_id: int
    kind: OutboxKind
    payload: dict[str, Any]
    mention_role_id: int | None
    attempts: int


class FeedNotFound(NotFound):
    def __init__(self, feed_id: int) -> None:
        super().__init__(f"There is no feed #{feed_id} in this server; `/feed list` shows the feeds and their ids.")


def _when(value: str | None) -> datetime | None:
    return from_db(value) if value else None


def _feed(row: Row) -> Feed:
    return Feed(
        id=row["id"], guild_id=row["guild_id"], url=row["url"], title=row["title"], site_url=row["site_url"],
        channel_id=row["channel_id"], topic_id=row["topic_id"], include_filter=row["include_filter"],
        exclude_filter=row["exclude_filter"], mention_role_id=row["mention_role_id"], status=row["status"],
        disabled_reason=row["disabled_reason"], needs_baseline=bool(row["needs_baseline"]),
        validators=Validators(row["etag"], row["last_modified"]), body_hash=row["body_hash"],
        failures=row["failures"], failing_since=_when(row["failing_since"]), last_error=row["last_error"],
        next_check_at=from_db(row["next_check_at"]), last_checked_at=_when(row["last_checked_at"]),
        last_entry_title=row["last_entry_title"], last_entry_at=_when(row["last_entry_at"]),
        created_at=from_db(row["created_at"]),
    )


# Feeds ------------------------------------------------------------------------------------------
async def insert_feed(db: Database, *, guild_id: int, url: str, title: str, site_url: str | None,
                      channel_id: int | None, topic_id: int | None, include_filter: str, exclude_filter: str,
                      mention_role_id: int | None, created_by: int | None, now: datetime,
                      next_check_at: datetime, needs_baseline: bool = False,
                      validators: Validators = Validators(), body_hash: str | None = None) -> int | None:
    """Insert a feed; returns its id, or None when the guild already has that URL."""
    rows = await db.execute_returning(
        "INSERT INTO feeds (guild_id, url, title, site_url, channel_id, topic_id, include_filter, exclude_filter, "
        "mention_role_id, needs_baseline, etag, last_modified, body_hash, next_check_at, last_checked_at, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (guild_id, url) DO NOTHING RETURNING id",
        (guild_id, url, title, site_url, channel_id, topic_id, include_filter, exclude_filter, mention_role_id,
         int(needs_baseline), validators.etag, validators.last_modified, body_hash, to_db(next_check_at),
         None if needs_baseline else to_db(now), created_by, to_db(now)),
    )
    return rows[0]["id"] if rows else None


async def get_feed(db: Database, guild_id: int, feed_id: int) -> Feed:
    row = await db.fetchone("SELECT * FROM feeds WHERE guild_id = ? AND id = ?", (guild_id, feed_id))
    if row is None:
        raise FeedNotFound(feed_id)
    return _feed(row)


async def find_feed_by_url(db: Database, guild_id: int, url: str) -> Feed | None:
    row = await db.fetchone("SELECT * FROM feeds WHERE guild_id = ? AND url = ?", (guild_id, url))
    return None if row is None else _feed(row)


async def list_feeds(db: Database, guild_id: int) -> list[Feed]:
    rows = await db.fetchall("SELECT * FROM feeds WHERE guild_id = ? ORDER BY id", (guild_id,))
    return [_feed(row) for row in rows]


async def count_feeds(db: Database, guild_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM feeds WHERE guild_id = ?", (guild_id,), default=0))


async def due_feeds(db: Database, now: datetime) -> list[Feed]:
    rows = await db.fetchall(
        "SELECT * FROM feeds WHERE status = 'active' AND next_check_at <= ? ORDER BY next_check_at, id",
        (to_db(now),),
    )
    return [_feed(row) for row in rows]


async def delete_feed(db: Database, feed_id: int) -> None:
    await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))


async def set_status(db: Database, feed_id: int, status: Status, *, now: datetime,
                     reason: str | None = None) -> None:
    """Pause, disable (with the reason) or re-activate; re-activation starts afresh and checks soon."""
    if status == "active":
        await db.execute(
            "UPDATE feeds SET status = 'active', disabled_reason = NULL, failures = 0, failing_since = NULL, "
            "last_error = NULL, next_check_at = ? WHERE id = ?", (to_db(now), feed_id))
    else:
        await db.execute("UPDATE feeds SET status = ?, disabled_reason = ? WHERE id = ?", (status, reason, feed_id))


async def record_unchanged(db: Database, feed_id: int, *, now: datetime, next_check_at: datetime,
                           validators: Validators, body_hash: str | None) -> None:
    """A check that found nothing new to read (304, or the same bytes): healthy again."""
    await db.execute(
        "UPDATE feeds SET failures = 0, failing_since = NULL, last_error = NULL, last_checked_at = ?, "
        "next_check_at = ?, etag = ?, last_modified = ?, body_hash = ? WHERE id = ?",
        (to_db(now), to_db(next_check_at), validators.etag, validators.last_modified, body_hash, feed_id),
    )


async def record_read(db: Database, feed_id: int, *, now: datetime, next_check_at: datetime,
                      validators: Validators, body_hash: str | None, title: str, site_url: str | None,
                      last_entry_title: str | None = None, last_entry_at: datetime | None = None) -> None:
    """A check that read the feed: validators and hash of this 200, healthy, baseline done."""
    await db.execute(
        "UPDATE feeds SET failures = 0, failing_since = NULL, last_error = NULL, needs_baseline = 0, "
        "last_checked_at = ?, next_check_at = ?, etag = ?, last_modified = ?, body_hash = ?, "
        "title = ?, site_url = ?, last_entry_title = COALESCE(?, last_entry_title), "
        "last_entry_at = COALESCE(?, last_entry_at) WHERE id = ?",
        (to_db(now), to_db(next_check_at), validators.etag, validators.last_modified, body_hash, title[:300],
         site_url, last_entry_title, to_db(last_entry_at) if last_entry_at else None, feed_id),
    )


async def record_waiting(db: Database, feed_id: int, *, now: datetime, next_check_at: datetime,
                         reason: str) -> None:
    """Read fine but there is nowhere to post: keep the entries unseen, check again later."""
    await db.execute(
        "UPDATE feeds SET failures = 0, failing_since = NULL, last_checked_at = ?, next_check_at = ?, last_error = ? "
        "WHERE id = ?",
        (to_db(now), to_db(next_check_at), reason, feed_id),
    )


async def record_failure(db: Database, feed_id: int, *, now: datetime, next_check_at: datetime,
                         error: str) -> int:
    """Count a failed check; returns the number of failures in a row."""
    rows = await db.execute_returning(
        "UPDATE feeds SET failures = failures + 1, failing_since = COALESCE(failing_since, ?), last_error = ?, "
        "last_checked_at = ?, next_check_at = ? WHERE id = ? RETURNING failures",
        (to_db(now), error[:500], to_db(now), to_db(next_check_at), feed_id),
    )
    return int(rows[0]["failures"]) if rows else 0


async def note_error(db: Database, feed_id: int, error: str) -> None:
    """Keep a problem to show in ``/feed list`` without counting it as a failed fetch."""
    await db.execute("UPDATE feeds SET last_error = ? WHERE id = ?", (error[:500], feed_id))


# Seen identities --------------------------------------------------------------------------------
async def seen_hashes(db: Database, feed_id: int, hashes: Sequence[str]) -> set[str]:
    """Which of ``hashes`` the feed has seen before."""
    found: set[str] = set()
    for start in range(0, len(hashes), _IN_CHUNK):
        chunk = hashes[start:start + _IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = await db.fetchall(
            f"SELECT identity_hash FROM feeds_seen WHERE feed_id = ? AND identity_hash IN ({marks})",
            (feed_id, *chunk),
        )
        found.update(row["identity_hash"] for row in rows)
    return found


async def mark_seen(db: Database, feed_id: int, guild_id: int, hashes: Iterable[str], now: datetime) -> None:
    """Remember these identities (and that they are still in the feed today)."""
    stamp = to_db(now)
    await db.executemany(
        "INSERT INTO feeds_seen (feed_id, guild_id, identity_hash, seen_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (feed_id, identity_hash) DO UPDATE SET seen_at = excluded.seen_at",
        [(feed_id, guild_id, digest, stamp) for digest in hashes],
    )


async def forget_seen_before(db: Database, feed_id: int, cutoff: datetime) -> None:
    """Drop identities that have been out of the feed since ``cutoff`` (call right after :func:`mark_seen`)."""
    await db.execute("DELETE FROM feeds_seen WHERE feed_id = ? AND seen_at < ?", (feed_id, to_db(cutoff)))


async def count_seen(db: Database, feed_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM feeds_seen WHERE feed_id = ?", (feed_id,), default=0))


# Outbox -----------------------------------------------------------------------------------------
async def enqueue(db: Database, *, guild_id: int, feed_id: int, channel_id: int, kind: OutboxKind,
                  payload: dict[str, Any], now: datetime, mention_role_id: int | None = None) -> None:
    await db.execute(
        "INSERT INTO feeds_outbox (guild_id, feed_id, channel_id, kind, payload, mention_role_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (guild_id, feed_id, channel_id, kind, json.dumps(payload), mention_role_id, to_db(now)),
    )


async def pending_outbox(db: Database) -> list[OutboxItem]:
    rows = await db.fetchall("SELECT * FROM feeds_outbox ORDER BY id")
    return [OutboxItem(row["id"], row["guild_id"], row["feed_id"], row["channel_id"], row["kind"],
                       json.loads(row["payload"]), row["mention_role_id"], row["attempts"]) for row in rows]


async def outbox_done(db: Database, item_id: int) -> None:
    await db.execute("DELETE FROM feeds_outbox WHERE id = ?", (item_id,))


async def outbox_retry_later(db: Database, item_id: int) -> int:
    rows = await db.execute_returning(
        "UPDATE feeds_outbox SET attempts = attempts + 1 WHERE id = ? RETURNING attempts", (item_id,))
    return int(rows[0]["attempts"]) if rows else 0
