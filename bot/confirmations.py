"""Actions that wait for their invoker's Confirm: only them, within five minutes, only once.

An organiser's dry run (``/gate prune``, ``/buddy run``) stores exactly what it would do, with a
pending status, its invoker and an ``expires_at``; the Confirm or Cancel button moves it on with one
atomic status change, so a double click or a second moderator cannot run it twice, and a restart
in between loses nothing (the buttons are DynamicItems, the state is here). :class:`Confirmable`
names a feature's table and words; the functions are the rules every such preview shares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed, NotFound

CONFIRM_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Confirmable:
    """A table of previews: it has ``id``, ``status``, ``invoker_id`` and ``expires_at`` columns."""

    table: str       # e.g. "gate_prunes"
    pending: str     # the status that waits for Confirm
    command: str     # how to start again, e.g. "/gate prune"
    thing: str       # what it is called in messages, e.g. "prune"


async def claim(db: Database, clock: Clock, kind: Confirmable, row_id: int, *, user_id: int, new_status: str,
                also: Callable[[], Awaitable[None]] | None = None) -> None:
    """Move a pending preview to ``new_status`` for its invoker, within the window, once.

    ``also`` runs in the same transaction as the status change, only when it happened.
    Raises NotFound, NotAllowed (someone else pressed) or InvalidInput (expired, or already moved on).
    """
    row = await db.fetchone(f"SELECT status, invoker_id, expires_at FROM {kind.table} WHERE id = ?", (row_id,))
    if row is None:
        raise NotFound(f"That {kind.thing} no longer exists; run `{kind.command}` again.")
    if user_id != row["invoker_id"]:
        raise NotAllowed(f"Only <@{row['invoker_id']}>, who ran this `{kind.command}`, can confirm or cancel it.")
    if row["status"] == kind.pending and row["expires_at"] and clock.now() >= from_db(row["expires_at"]):
        await db.execute(f"UPDATE {kind.table} SET status = 'expired' WHERE id = ? AND status = ?",
                         (row_id, kind.pending))
        raise InvalidInput(f"This confirmation expired after 5 minutes; run `{kind.command}` again to see a fresh "
                           "list.")
    async with db.transaction():
        moved = await db.execute_returning(
            f"UPDATE {kind.table} SET status = ? WHERE id = ? AND status = ? RETURNING id",
            (new_status, row_id, kind.pending))
        if moved and also is not None:
            await also()
    if not moved:
        current = await db.fetchval(f"SELECT status FROM {kind.table} WHERE id = ?", (row_id,))
        raise InvalidInput(f"This {kind.thing} is already {current}; run `{kind.command}` again if needed.")


async def expire(db: Database, clock: Clock, kind: Confirmable) -> list[int]:
    """Mark previews whose window passed as expired; returns their ids (so their buttons can be greyed out)."""
    rows = await db.execute_returning(
        f"UPDATE {kind.table} SET status = 'expired' WHERE status = ? AND expires_at <= ? RETURNING id",
        (kind.pending, to_db(clock.now())))
    return [row["id"] for row in rows]
