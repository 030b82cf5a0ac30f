"""Claim → send → mark: how everything the bot sends on its own goes out at most once.

A feature plans what it will send as rows of its own table with ``claimed_at``, ``sent_at`` and
``outcome`` columns (sessions' deliveries, peer review's notices). Sending one follows:

1. :meth:`ClaimLedger.claim` sets ``claimed_at`` only where it is still NULL; whoever changed the
   row owns the send, so two runs (or a run and a restart) never both send it.
2. The message is sent.
3. :meth:`ClaimLedger.finish` records ``sent_at`` and the outcome.

A crash between 1 and 3 leaves a claimed row without ``sent_at``. It is **not** sent again: the next
start marks it ``lost`` (:meth:`ClaimLedger.mark_lost`). A crash can cost a message, but nothing is
ever delivered twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock, to_db
from bot.db import Database, Row

LOST = "lost"


class DeliveryFailed(Exception):
    """Discord would not take a message (channel gone, permission missing): step 2 failed, and the
    claim is finished as failed, not retried. Raised by a feature's Discord side, caught by its jobs."""


def _where(key: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return " AND ".join(f"{column} = ?" for column in key), tuple(key.values())


@dataclass(frozen=True)
class ClaimLedger:
    """The claim protocol over one table; ``key`` arguments name the row by its key columns."""

    table: str

    async def claim(self, db: Database, clock: Clock, key: Mapping[str, Any]) -> bool:
        """Take the row; True only for the one caller that changed it."""
        where, values = _where(key)
        _, count = await db.execute(
            f"UPDATE {self.table} SET claimed_at = ? WHERE {where} AND claimed_at IS NULL",
            (to_db(clock.now()), *values))
        return count == 1

    async def finish(self, db: Database, clock: Clock, key: Mapping[str, Any], outcome: str, *,
                     delivered: bool) -> None:
        """Record how a claimed row ended; ``sent_at`` only when something reached Discord."""
        where, values = _where(key)
        await db.execute(f"UPDATE {self.table} SET sent_at = ?, outcome = ? WHERE {where}",
                         (to_db(clock.now()) if delivered else None, outcome, *values))

    async def skip(self, db: Database, clock: Clock, key: Mapping[str, Any], outcome: str) -> bool:
        """Claim and close a row without sending it; False if someone else had it."""
        where, values = _where(key)
        _, count = await db.execute(
            f"UPDATE {self.table} SET claimed_at = ?, outcome = ? WHERE {where} AND claimed_at IS NULL",
            (to_db(clock.now()), outcome, *values))
        return count == 1

    async def mark_lost(self, db: Database) -> list[Row]:
        """At start-up: rows claimed by a process that died before marking them. Never resent."""
        return await db.execute_returning(
            f"UPDATE {self.table} SET outcome = ? "
            "WHERE claimed_at IS NOT NULL AND sent_at IS NULL AND outcome IS NULL RETURNING *", (LOST,))
