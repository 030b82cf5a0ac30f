"""Study-plan items of kind assignment or project become assignments, due when the item is due.

:func:`sync_plan_assignments` is idempotent: each plan item has at most one assignment
(``reviews_assignments.plan_item_id`` is unique). It runs when a plan changes (the plans cog
dispatches ``plan_changed``) and at start for every running plan. An assignment still open follows
its item's title and due time; one whose reviews have started is left alone. An open assignment
whose plan was removed stays (members may have submitted) and is taken back by the same item when
the plan is imported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, to_db
from bot.db import Database, Row
from bot.guild_config import get_config
from bot.plans.model import END_OF_DAY_MINUTE, Due
from bot.plans.schedule import item_due, parse_anchor
from bot.reviews import store
from bot.reviews.model import TITLE_MAX, Status

PLAN_KINDS = ("assignment", "project")


@dataclass(frozen=True)
class PlanSync:
    created: list[int]   # assignment ids
    updated: list[int]

    @property
    def changed(self) -> list[int]:
        return self.created + self.updated


async def sync_plan_assignments(db: Database, clock: Clock, guild_id: int, plan_id: int) -> PlanSync:
    """Create or update the assignments of a running plan's assignment and project items."""
    plan = await db.fetchone("SELECT * FROM plans WHERE id = ? AND guild_id = ?", (plan_id, guild_id))
    if plan is None or plan["status"] != "running" or not plan["start_local"]:
        return PlanSync([], [])
    zone = plan["timezone"] or (await get_config(db, guild_id)).timezone or "UTC"
    anchor = parse_anchor(plan["start_local"])
    items = await db.fetchall(
        "SELECT i.id, i.title, i.due_day, i.due_minute, u.number FROM plans_items i "
        "JOIN plans_units u ON u.id = i.unit_id WHERE i.plan_id = ? AND i.kind IN (?, ?) "
        "AND i.due_day IS NOT NULL ORDER BY u.number, i.position", (plan_id, *PLAN_KINDS))
    created: list[int] = []
    updated: list[int] = []
    now = clock.now()
    async with db.transaction():  # one sync at a time: two at once would both create
        for item in items:
            minute = item["due_minute"] if item["due_minute"] is not None else END_OF_DAY_MINUTE
            due = item_due(anchor, zone, plan["unit_days"], item["number"], Due(item["due_day"], minute))
            assert due is not None
            title = item["title"].replace("\x00", "").strip()[:TITLE_MAX] or f"Week {item['number']} assignment"
            existing = await db.fetchone("SELECT id, title, due_at, status FROM reviews_assignments "
                                         "WHERE plan_item_id = ?", (item["id"],)) \
                or await _adopt_orphan(db, guild_id, item["id"], title)
            if existing is None and due > now:  # an item already past would be a round nobody could submit to
                assignment = await store.create_assignment(db, clock, guild_id=guild_id, title=title, due_at=due,
                                                           topic_id=plan["topic_id"], plan_item_id=item["id"],
                                                           channel_id=plan["channel_id"])
                created.append(assignment.id)
            elif existing is not None and existing["status"] == Status.OPEN.value \
                    and (existing["title"], existing["due_at"]) != (title, to_db(due)) \
                    and await _follow_item(db, existing["id"], title, due, now):
                updated.append(existing["id"])
    return PlanSync(created, updated)


async def _adopt_orphan(db: Database, guild_id: int, item_id: int, title: str) -> Row | None:
    """An open assignment a removed plan left behind (same title, made by a plan) becomes this item's.

    Removing a plan and importing it again is how a plan is re-run or reworked; its items are new
    rows, and without this each would make a second assignment beside the first, both drawing."""
    orphan = await db.fetchone(
        "SELECT id, title, due_at, status FROM reviews_assignments WHERE guild_id = ? AND plan_item_id IS NULL "
        "AND created_by IS NULL AND status = 'open' AND title = ? ORDER BY id LIMIT 1", (guild_id, title))
    if orphan is not None:
        await db.execute("UPDATE reviews_assignments SET plan_item_id = ? WHERE id = ?", (item_id, orphan["id"]))
    return orphan


async def _follow_item(db: Database, assignment_id: int, title: str, due: datetime, now: datetime) -> bool:
    """An open assignment takes its item's new title and due time (a due time in the past is not taken)."""
    if due <= now:
        _, count = await db.execute("UPDATE reviews_assignments SET title = ? WHERE id = ? AND status = 'open'",
                                    (title, assignment_id))
    else:
        _, count = await db.execute("UPDATE reviews_assignments SET title = ?, due_at = ? WHERE id = ? "
                                    "AND status = 'open'", (title, to_db(due), assignment_id))
    return count == 1


async def running_plans(db: Database) -> list[tuple[int, int]]:
    """``(guild_id, plan_id)`` of every running plan, for the sync at start."""
    rows = await db.fetchall("SELECT guild_id, id FROM plans WHERE status = 'running' ORDER BY id")
    return [(row["guild_id"], row["id"]) for row in rows]
