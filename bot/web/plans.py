"""Study plans as the public pages show them: weeks, items, due times and the cohort's completion.

Completion is aggregate only: per week, the share of (current members × required items) marked
done. Who did what is never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.db import Database, Row
from bot.plans.model import Due
from bot.plans.schedule import current_unit, item_due, parse_anchor, unit_start

VISIBLE_STATUSES = ("running", "paused", "finished")


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: str
    title: str
    url: str | None
    required: bool
    minutes: int | None
    due_at: datetime | None


@dataclass(frozen=True)
class UnitView:
    number: int
    title: str
    goals: tuple[str, ...]
    starts_at: datetime | None
    items: tuple[ItemView, ...]
    done_percent: int | None  # None: nobody enrolled or no required item


@dataclass(frozen=True)
class PlanView:
    id: int
    guild_id: int
    slug: str
    title: str
    description: str
    status: str
    timezone: str
    members: int
    current: int  # 0 before the start, len(units) + 1 after the end
    units: tuple[UnitView, ...]
    updated_at: str

    @property
    def this_unit(self) -> UnitView | None:
        return next((u for u in self.units if u.number == self.current), None)


async def visible_plans(db: Database, guild_id: int, *, running_only: bool = False) -> list[tuple[int, str, str]]:
    """``(id, slug, title)`` of plans the public may see (drafts are the organisers' business)."""
    statuses = ("running",) if running_only else VISIBLE_STATUSES
    marks = ", ".join("?" for _ in statuses)
    rows = await db.fetchall(f"SELECT id, slug, title FROM plans WHERE guild_id = ? AND status IN ({marks}) "
                             "ORDER BY title COLLATE NOCASE", (guild_id, *statuses))
    return [(row["id"], row["slug"], row["title"]) for row in rows]


async def plan_view(db: Database, guild_id: int, slug: str, *, server_zone: str, now: datetime) -> PlanView | None:
    plan = await db.fetchone("SELECT * FROM plans WHERE guild_id = ? AND slug = ? AND status IN (?, ?, ?)",
                             (guild_id, slug, *VISIBLE_STATUSES))
    return None if plan is None else await _build(db, plan, server_zone, now)


async def plan_views(db: Database, guild_id: int, *, server_zone: str, now: datetime,
                     running_only: bool = True) -> list[PlanView]:
    views = []
    for _, slug, _ in await visible_plans(db, guild_id, running_only=running_only):
        view = await plan_view(db, guild_id, slug, server_zone=server_zone, now=now)
        if view is not None:
            views.append(view)
    return views


async def _build(db: Database, row: Row, server_zone: str, now: datetime) -> PlanView:
    plan_id = row["id"]
    zone = row["timezone"] or server_zone
    ZoneInfo(zone)
    anchor = parse_anchor(row["start_local"]) if row["start_local"] else None
    unit_days = row["unit_days"]
    members = int(await db.fetchval(
        "SELECT COUNT(*) FROM plans_enrolments WHERE plan_id = ? AND left_at IS NULL", (plan_id,)))
    done_rows = await db.fetchall(
        "SELECT i.unit_id, COUNT(*) AS n FROM plans_progress p JOIN plans_items i ON i.id = p.item_id "
        "JOIN plans_enrolments e ON e.plan_id = p.plan_id AND e.user_id = p.user_id AND e.left_at IS NULL "
        "WHERE p.plan_id = ? AND i.required = 1 GROUP BY i.unit_id", (plan_id,))
    done = {r["unit_id"]: r["n"] for r in done_rows}
    unit_rows = await db.fetchall("SELECT * FROM plans_units WHERE plan_id = ? ORDER BY number", (plan_id,))
    item_rows = await db.fetchall("SELECT * FROM plans_items WHERE plan_id = ? ORDER BY unit_id, position",
                                  (plan_id,))
    items_by_unit: dict[int, list[Row]] = {}
    for item in item_rows:
        items_by_unit.setdefault(item["unit_id"], []).append(item)
    units = []
    for unit in unit_rows:
        number = unit["number"]
        items = []
        for item in items_by_unit.get(unit["id"], []):
            due = None
            if anchor is not None and item["due_day"] is not None:
                minute = item["due_minute"] if item["due_minute"] is not None else 23 * 60 + 59
                due = item_due(anchor, zone, unit_days, number, Due(item["due_day"], minute))
            items.append(ItemView(item["id"], item["kind"], item["title"], item["url"],
                                  bool(item["required"]), item["minutes"], due))
        required = sum(1 for i in items if i.required)
        percent = None
        if members and required:
            percent = round(100 * done.get(unit["id"], 0) / (members * required))
        units.append(UnitView(number, unit["title"], tuple(g for g in unit["goals"].splitlines() if g.strip()),
                              unit_start(anchor, zone, unit_days, number) if anchor else None,
                              tuple(items), percent))
    current = current_unit(anchor, zone, unit_days, len(units), now) if anchor else 0
    return PlanView(plan_id, row["guild_id"], row["slug"], row["title"], row["description"],
                    row["status"], zone, members, current, tuple(units), row["updated_at"])
