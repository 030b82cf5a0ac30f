"""What the bot sends on its own for a session, planned as rows and sent at most once.

Each session has planned deliveries: its card (``announce``, for occurrences the bot creates),
one reminder per offset (``remind-15m``), the "starting now" notice (``start``) and the recap after
it ends (``recap``). The scheduler only holds jobs derived from these rows.

Sending follows claim → send → mark (:mod:`bot.claims`): a claimed delivery is never sent again,
so a crash can cost a reminder, but nothing is ever delivered twice (at most once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.claims import LOST, ClaimLedger
from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row
from bot.sessions import settings
from bot.sessions.model import Session

ANNOUNCE = "announce"
START = "start"
RECAP = "recap"
_REMINDER = re.compile(r"^remind-(\d+)m$")
LEDGER = ClaimLedger("sessions_deliveries")


class Outcome:
    SENT = "sent"
    LATE = "late"  # overdue by more than its grace (after downtime): skipped
    CANCELLED = "cancelled"  # the session was cancelled first
    FAILED = "failed"  # Discord refused; not retried (that could send twice)
    LOST = LOST  # claimed, then the process died before it was marked sent


@dataclass(frozen=True)
class Delivery:
    session_id: int
    guild_id: int
    kind: str
    due_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None
    outcome: str | None


def _delivery(row: Row) -> Delivery:
    return Delivery(row["session_id"], row["guild_id"], row["kind"], from_db(row["due_at"]),
                    from_db(row["claimed_at"]) if row["claimed_at"] else None,
                    from_db(row["sent_at"]) if row["sent_at"] else None, row["outcome"])


def reminder_kind(offset: timedelta) -> str:
    return f"remind-{int(offset.total_seconds() // 60)}m"


def reminder_offset(kind: str) -> timedelta | None:
    """The lead time of a reminder kind, or None for the other kinds."""
    match = _REMINDER.match(kind)
    return timedelta(minutes=int(match.group(1))) if match else None


async def plan(db: Database, clock: Clock, session: Session, *, announce: bool = False) -> None:
    """(Re)plan a session's deliveries: unclaimed ones are replaced by those still ahead.

    Reminders whose time has already passed when the session is planned are left out (a "24 hours
    before" reminder for a session starting in two hours would only confuse).
    """
    now = clock.now()
    planned: list[tuple[str, datetime]] = [(ANNOUNCE, now)] if announce else []
    for offset in await settings.reminder_offsets(db, session.guild_id):
        due = session.starts_at - offset
        if due > now:
            planned.append((reminder_kind(offset), due))
    planned += [(START, session.starts_at), (RECAP, session.ends_at)]
    async with db.transaction():
        await db.execute("DELETE FROM sessions_deliveries WHERE session_id = ? AND claimed_at IS NULL "
                         "AND kind != ?", (session.id, ANNOUNCE))
        await db.executemany(
            "INSERT OR IGNORE INTO sessions_deliveries (session_id, guild_id, kind, due_at) VALUES (?, ?, ?, ?)",
            [(session.id, session.guild_id, kind, to_db(due)) for kind, due in planned],
        )


async def drop_pending(db: Database, clock: Clock, session_id: int) -> int:
    """Mark every unclaimed delivery of a cancelled session as not to be sent."""
    _, count = await db.execute(
        "UPDATE sessions_deliveries SET claimed_at = ?, outcome = ? WHERE session_id = ? AND claimed_at IS NULL",
        (to_db(clock.now()), Outcome.CANCELLED, session_id),
    )
    return count


async def next_pending_per_session(db: Database) -> list[tuple[int, str, datetime]]:
    """For every session with something left to send: its earliest unclaimed delivery."""
    rows = await db.fetchall(
        "SELECT session_id, kind, MIN(due_at) AS due_at FROM sessions_deliveries "
        "WHERE claimed_at IS NULL GROUP BY session_id"
    )
    return [(row["session_id"], row["kind"], from_db(row["due_at"])) for row in rows]


async def next_pending(db: Database, session_id: int) -> tuple[str, datetime] | None:
    row = await db.fetchone(
        "SELECT kind, due_at FROM sessions_deliveries WHERE session_id = ? AND claimed_at IS NULL "
        "ORDER BY due_at, kind LIMIT 1", (session_id,))
    return None if row is None else (row["kind"], from_db(row["due_at"]))


async def pending_up_to(db: Database, session_id: int, up_to: datetime) -> list[Delivery]:
    """Unclaimed deliveries of a session due at or before ``up_to``, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM sessions_deliveries WHERE session_id = ? AND claimed_at IS NULL AND due_at <= ? "
        "ORDER BY due_at, kind", (session_id, to_db(up_to)))
    return [_delivery(row) for row in rows]


def _key(delivery: Delivery) -> dict[str, object]:
    return {"session_id": delivery.session_id, "kind": delivery.kind, "due_at": to_db(delivery.due_at)}


async def claim(db: Database, clock: Clock, delivery: Delivery) -> bool:
    """Take the delivery; True only for the one caller that changed the row."""
    return await LEDGER.claim(db, clock, _key(delivery))


async def finish(db: Database, clock: Clock, delivery: Delivery, outcome: str) -> None:
    """Record how a claimed delivery ended."""
    await LEDGER.finish(db, clock, _key(delivery), outcome, delivered=outcome == Outcome.SENT)


async def skip(db: Database, clock: Clock, delivery: Delivery, outcome: str) -> bool:
    """Claim and close a delivery without sending it (too late, cancelled); False if someone else had it."""
    return await LEDGER.skip(db, clock, _key(delivery), outcome)


async def mark_lost(db: Database) -> list[Delivery]:
    """At start-up: deliveries claimed by a process that died before marking them. Never resent."""
    return [_delivery(row) for row in await LEDGER.mark_lost(db)]


async def history(db: Database, session_id: int) -> list[Delivery]:
    rows = await db.fetchall("SELECT * FROM sessions_deliveries WHERE session_id = ? ORDER BY due_at, kind",
                             (session_id,))
    return [_delivery(row) for row in rows]
