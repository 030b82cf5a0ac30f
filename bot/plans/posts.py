"""What a running plan posts on its own, derived from its schedule, and claimed before it is sent.

Each post has a key within its plan (see migration 007): ``card:<n>`` (the week's card, with its
thread), ``checkin:<n>`` (the check-in call on the week's last day), ``deadline:<n>:<day>:<minute>``
(24 h before items fall due, in the thread), ``deadline-dm:<n>:<day>:<minute>:<user>`` (the same,
by DM) and ``catchup:<from>-<to>`` (weeks missed during downtime, on one card).

The protocol is the sessions' (:mod:`bot.sessions.deliveries`): claim → send → mark. A claim is an
``INSERT`` that only one caller can win (``UNIQUE (plan_id, key)``), so nothing is sent twice; a
process killed between claim and mark leaves a ``claimed`` row that the next start marks ``lost``
and never sends again (at most once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, to_db
from bot.db import Database, Row
from bot.plans import schedule
from bot.plans.model import Due
from bot.plans.rows import Item, Plan, Unit
from bot.sessions.recurrence import localize

REMIND_BEFORE = timedelta(hours=24)
CARD, CHECKIN, DEADLINE, DEADLINE_DM, CATCHUP = "card", "checkin", "deadline", "deadline-dm", "catchup"


@dataclass(frozen=True)
class Event:
    """Something the plan posts: ``at`` when it is due, ``expires`` when it is no longer worth sending."""

    kind: str
    unit_number: int
    at: datetime
    expires: datetime
    due: Due | None = None

    @property
    def key(self) -> str:
        if self.kind == DEADLINE:
            assert self.due is not None
            return deadline_key(self.unit_number, self.due)
        return f"{self.kind}:{self.unit_number}"


@dataclass(frozen=True)
class Posted:
    """Where a post went; ``thread_id`` is the week's discussion thread (for cards)."""

    channel_id: int | None
    message_id: int | None
    thread_id: int | None = None


def deadline_key(unit_number: int, due: Due) -> str:
    return f"{DEADLINE}:{unit_number}:{due.day}:{due.minute}"


def dm_key(unit_number: int, due: Due, user_id: int) -> str:
    return f"{DEADLINE_DM}:{unit_number}:{due.day}:{due.minute}:{user_id}"


def catchup_key(first: int, last: int) -> str:
    return f"{CATCHUP}:{first}-{last}"


def planned(plan: Plan, items: Iterable[Item], units: Iterable[Unit]) -> list[Event]:
    """Every post of a scheduled plan, in time order (cards before what else falls at the same time)."""
    anchor, zone, days = plan.anchor, plan.timezone, plan.unit_days
    if anchor is None or zone is None:
        return []
    numbers = [unit.number for unit in units]
    events: list[Event] = []
    for number in numbers:
        begins = schedule.unit_start(anchor, zone, days, number)
        ends = schedule.unit_start(anchor, zone, days, number + 1)
        last_day = localize(schedule.unit_wall_start(anchor, days, number) + timedelta(days=days - 1),
                                          zone)
        events.append(Event(CARD, number, begins, ends))
        # On the last day, but never in the unit's first half: a one-day unit asks halfway through,
        # not in the same minute as its card.
        events.append(Event(CHECKIN, number, max(last_day, begins + (ends - begins) / 2), ends))
    dues = {(item.unit_number, item.due) for item in items if item.due is not None}
    for number, due in dues:
        deadline = schedule.item_due(anchor, zone, days, number, due)
        assert deadline is not None
        begins = schedule.unit_start(anchor, zone, days, number)
        events.append(Event(DEADLINE, number, max(deadline - REMIND_BEFORE, begins), deadline, due))
    order = {CARD: 0, CHECKIN: 1, DEADLINE: 2}
    return sorted(events, key=lambda e: (e.at, order[e.kind], e.unit_number))


async def taken_keys(db: Database, plan_id: int) -> set[str]:
    """Keys already claimed (whatever became of them)."""
    return {row[0] for row in await db.fetchall("SELECT key FROM plans_posts WHERE plan_id = ?", (plan_id,))}


async def claim(db: Database, clock: Clock, plan: Plan, key: str, *, unit_id: int | None,
                user_id: int | None = None) -> int | None:
    """Take a post; its row id for the one caller that inserted it, None for everyone else."""
    rows = await db.execute_returning(
        "INSERT INTO plans_posts (guild_id, plan_id, unit_id, key, user_id, claimed_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (plan_id, key) DO NOTHING RETURNING id",
        (plan.guild_id, plan.id, unit_id, key, user_id, to_db(clock.now())))
    return rows[0][0] if rows else None


async def claim_dms(db: Database, clock: Clock, plan: Plan, unit_id: int, unit_number: int, due: Due,
                    user_ids: Sequence[int]) -> dict[int, int]:
    """Claim one deadline DM per member, in one statement per 500; returns ``{user_id: post id}`` of those won."""
    won: dict[int, int] = {}
    now = to_db(clock.now())
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start:start + 500]
        values = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk)
        params = [value for user_id in chunk
                  for value in (plan.guild_id, plan.id, unit_id, dm_key(unit_number, due, user_id), user_id, now)]
        rows = await db.execute_returning(
            "INSERT INTO plans_posts (guild_id, plan_id, unit_id, key, user_id, claimed_at) VALUES " + values
            + " ON CONFLICT (plan_id, key) DO NOTHING RETURNING id, user_id", params)
        won.update({row["user_id"]: row["id"] for row in rows})
    return won


async def finish(db: Database, clock: Clock, post_id: int, status: str, posted: Posted | None = None) -> None:
    """Record how a claimed post ended (``sent``, ``failed`` or ``skipped``)."""
    await db.execute(
        "UPDATE plans_posts SET status = ?, sent_at = CASE WHEN ? = 'sent' THEN ? END, channel_id = ?, "
        "message_id = ?, thread_id = ? WHERE id = ?",
        (status, status, to_db(clock.now()), posted.channel_id if posted else None,
         posted.message_id if posted else None, posted.thread_id if posted else None, post_id))


async def finish_many(db: Database, clock: Clock, post_ids: Sequence[int], status: str) -> None:
    """Record one outcome for many posts (a deadline's DMs) in one statement per 500."""
    sent_at = to_db(clock.now()) if status == "sent" else None
    for start in range(0, len(post_ids), 500):
        chunk = post_ids[start:start + 500]
        await db.execute(f"UPDATE plans_posts SET status = ?, sent_at = ? WHERE id IN ({','.join('?' * len(chunk))})",
                         (status, sent_at, *chunk))


async def skip_keys(db: Database, clock: Clock, plan: Plan, keys: Iterable[tuple[str, int | None]]) -> int:
    """Record posts as not to be sent (too late, covered by a catch-up, or backfilled); returns how many."""
    now = to_db(clock.now())
    return await db.executemany(
        "INSERT INTO plans_posts (guild_id, plan_id, unit_id, key, status, claimed_at) VALUES (?, ?, ?, ?, "
        "'skipped', ?) ON CONFLICT (plan_id, key) DO NOTHING",
        [(plan.guild_id, plan.id, unit_id, key, now) for key, unit_id in keys])


async def skip_all(db: Database, clock: Clock, plan: Plan, events: Iterable[Event]) -> int:
    """Backfill: the given events count as posted."""
    unit_ids = {row["number"]: row["id"] for row in await db.fetchall(
        "SELECT id, number FROM plans_units WHERE plan_id = ?", (plan.id,))}
    return await skip_keys(db, clock, plan, [(e.key, unit_ids.get(e.unit_number)) for e in events])


async def mark_lost(db: Database) -> list[Row]:
    """At start-up: posts claimed by a process that died before marking them. Never resent."""
    return await db.execute_returning(
        "UPDATE plans_posts SET status = 'lost' WHERE status = 'claimed' RETURNING plan_id, key")


async def week_thread(db: Database, plan_id: int, unit_number: int) -> tuple[int | None, int | None]:
    """``(channel_id, thread_id)`` of a week's card, or ``(None, None)`` if it has none."""
    row = await db.fetchone("SELECT channel_id, thread_id FROM plans_posts WHERE plan_id = ? AND key = ? "
                            "AND status = 'sent'", (plan_id, f"{CARD}:{unit_number}"))
    return (None, None) if row is None else (row["channel_id"], row["thread_id"])


async def card_of_unit(db: Database, unit_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM plans_posts WHERE unit_id = ? AND key LIKE 'card:%' AND status = 'sent'",
                             (unit_id,))


async def history(db: Database, plan_id: int) -> list[Row]:
    return await db.fetchall("SELECT * FROM plans_posts WHERE plan_id = ? ORDER BY id", (plan_id,))
