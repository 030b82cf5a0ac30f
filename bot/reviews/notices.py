"""What peer review sends on its own, planned as rows of ``reviews_notices`` and sent at most once.

Keys name a notice within its assignment: ``card`` (the assignment's card and thread),
``assigned:<user>`` (a reviewer's reviews, by DM), ``remind-48h:<user>`` and ``remind-6h:<user>``,
``results:<submission>`` (the author's results), ``shortfall`` (organisers: places unfilled, or
nobody submitted) and ``ended`` (organisers: the window is over, and how many reviews are in).
Sending follows claim → send → mark (:mod:`bot.claims`), the same ledger sessions use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.claims import LOST, ClaimLedger
from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row

LEDGER = ClaimLedger("reviews_notices")
CARD = "card"
SHORTFALL = "shortfall"
ENDED = "ended"


class Outcome:
    SENT = "sent"
    FALLBACK = "fallback"  # DMs closed: said in the assignment's thread instead
    SKIPPED = "skipped"    # nothing left to say (reviews already done, round closed)
    FAILED = "failed"      # Discord refused; not retried (that could send twice)
    LOST = LOST


@dataclass(frozen=True)
class Notice:
    guild_id: int
    assignment_id: int
    key: str
    user_id: int | None
    due_at: datetime
    outcome: str | None = None

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def ref(self) -> int | None:
        """The id after the kind: a user for reminders, a submission for results."""
        parts = self.key.split(":")
        return int(parts[1]) if len(parts) > 1 else None

    @property
    def row_key(self) -> dict[str, object]:
        return {"assignment_id": self.assignment_id, "key": self.key}


def _notice(row: Row) -> Notice:
    return Notice(row["guild_id"], row["assignment_id"], row["key"], row["user_id"], from_db(row["due_at"]),
                  row["outcome"])


def reminder_kind(lead: timedelta) -> str:
    return f"remind-{int(lead.total_seconds() // 3600)}h"


def reminder_key(lead: timedelta, user_id: int) -> str:
    return f"{reminder_kind(lead)}:{user_id}"


def reminder_lead(notice: Notice) -> timedelta:
    return timedelta(hours=int(notice.kind.removeprefix("remind-").removesuffix("h")))


async def plan(db: Database, notices: Iterable[Notice]) -> None:
    """Add notices; one already planned under the same key is left as it is."""
    stamps: dict[datetime, str] = {}  # a round plans thousands of notices at a handful of times
    await db.executemany(
        "INSERT OR IGNORE INTO reviews_notices (guild_id, assignment_id, key, user_id, due_at) VALUES (?, ?, ?, ?, ?)",
        [(n.guild_id, n.assignment_id, n.key, n.user_id, stamps.get(n.due_at) or stamps.setdefault(n.due_at,
                                                                                                   to_db(n.due_at)))
         for n in notices])


async def bring_forward(db: Database, assignment_id: int, key: str, due_at: datetime) -> bool:
    """Make an unsent notice due earlier (results once every review is in); True if it moved."""
    _, count = await db.execute(
        "UPDATE reviews_notices SET due_at = ? WHERE assignment_id = ? AND key = ? AND claimed_at IS NULL "
        "AND due_at > ?", (to_db(due_at), assignment_id, key, to_db(due_at)))
    return count == 1


async def skip_pending(db: Database, clock: Clock, assignment_id: int, kind: str, outcome: str) -> int:
    """Close every unsent notice of one kind (reminders when the round closes)."""
    _, count = await db.execute(
        "UPDATE reviews_notices SET claimed_at = ?, outcome = ? WHERE assignment_id = ? "
        "AND (key = ? OR key LIKE ?) AND claimed_at IS NULL",
        (to_db(clock.now()), outcome, assignment_id, kind, f"{kind}:%"))
    return count


async def next_pending_per_assignment(db: Database) -> dict[int, datetime]:
    rows = await db.fetchall("SELECT assignment_id, MIN(due_at) AS due_at FROM reviews_notices "
                             "WHERE claimed_at IS NULL GROUP BY assignment_id")
    return {row["assignment_id"]: from_db(row["due_at"]) for row in rows}


async def next_pending(db: Database, assignment_id: int) -> datetime | None:
    value = await db.fetchval("SELECT MIN(due_at) FROM reviews_notices WHERE assignment_id = ? "
                              "AND claimed_at IS NULL", (assignment_id,))
    return from_db(value) if value else None


async def pending_up_to(db: Database, assignment_id: int, up_to: datetime) -> list[Notice]:
    """Unsent notices due by ``up_to``: the card first, then in due order."""
    rows = await db.fetchall(
        "SELECT * FROM reviews_notices WHERE assignment_id = ? AND claimed_at IS NULL AND due_at <= ? "
        "ORDER BY key != 'card', due_at, key", (assignment_id, to_db(up_to)))
    return [_notice(row) for row in rows]


async def history(db: Database, assignment_id: int) -> list[Notice]:
    rows = await db.fetchall("SELECT * FROM reviews_notices WHERE assignment_id = ? ORDER BY due_at, key",
                             (assignment_id,))
    return [_notice(row) for row in rows]


async def claim(db: Database, clock: Clock, notice: Notice) -> bool:
    return await LEDGER.claim(db, clock, notice.row_key)


async def finish(db: Database, clock: Clock, notice: Notice, outcome: str) -> None:
    await LEDGER.finish(db, clock, notice.row_key, outcome,
                        delivered=outcome in (Outcome.SENT, Outcome.FALLBACK))


async def skip(db: Database, clock: Clock, notice: Notice, outcome: str = Outcome.SKIPPED) -> bool:
    return await LEDGER.skip(db, clock, notice.row_key, outcome)


async def mark_lost(db: Database) -> list[Notice]:
    return [_notice(row) for row in await LEDGER.mark_lost(db)]
