"""The cohort and its progress: joining and leaving a plan, marking items done, and the board.

Leaving keeps a member's progress and check-ins (they come back to them if they join again); only
``/privacy forget`` deletes them. A unit is done for a member when its required items are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.plans import checkins
from bot.plans.model import Board, BoardWeek, CardItem, CardWeek, DueSoon, PlanStatus
from bot.plans.store import Item, Plan, current_week, units


class NotEnrolled(InvalidInput):
    """The member has not joined the plan; the cog answers with a Join button."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(f"You have not joined **{plan.title[:100]}**, so nothing was recorded. Join it first.")
        self.plan = plan


@dataclass(frozen=True)
class Marked:
    item: Item
    changed: bool            # False: it already was in that state
    unit_done: bool          # the member's unit is now complete (every required item done)


# The cohort ---------------------------------------------------------------------------------------
async def join(db: Database, clock: Clock, plan: Plan, user_id: int) -> bool:
    """Join (or rejoin) a plan; False if the member already was in it."""
    if plan.status is PlanStatus.FINISHED:
        raise InvalidInput(f"**{plan.title[:100]}** has finished; there is nothing left to join.")
    rows = await db.execute_returning(
        "INSERT INTO plans_enrolments (guild_id, plan_id, user_id, joined_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (plan_id, user_id) DO UPDATE SET left_at = NULL, joined_at = excluded.joined_at "
        "WHERE left_at IS NOT NULL RETURNING user_id",
        (plan.guild_id, plan.id, user_id, to_db(clock.now())))
    return bool(rows)


async def leave(db: Database, clock: Clock, plan: Plan, user_id: int) -> None:
    _, count = await db.execute("UPDATE plans_enrolments SET left_at = ? WHERE plan_id = ? AND user_id = ? "
                                "AND left_at IS NULL", (to_db(clock.now()), plan.id, user_id))
    if not count:
        raise InvalidInput(f"You are not in **{plan.title[:100]}**; nothing to leave.")


async def left_server(db: Database, clock: Clock, guild_id: int, user_id: int) -> int:
    """A member left the server: they leave its plans (no more reminders, not in the cohort's counts);
    their progress and check-ins stay, as when they leave a plan. Returns how many plans they left."""
    _, count = await db.execute("UPDATE plans_enrolments SET left_at = ? WHERE guild_id = ? AND user_id = ? "
                                "AND left_at IS NULL", (to_db(clock.now()), guild_id, user_id))
    return count


async def is_enrolled(db: Database, plan_id: int, user_id: int) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM plans_enrolments WHERE plan_id = ? AND user_id = ? "
                                  "AND left_at IS NULL", (plan_id, user_id)))


async def cohort(db: Database, plan_id: int) -> list[int]:
    rows = await db.fetchall("SELECT user_id FROM plans_enrolments WHERE plan_id = ? AND left_at IS NULL "
                             "ORDER BY joined_at, user_id", (plan_id,))
    return [row[0] for row in rows]


async def cohort_size(db: Database, plan_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM plans_enrolments WHERE plan_id = ? AND left_at IS NULL",
                                 (plan_id,)))


async def joined_plan_ids(db: Database, guild_id: int, user_id: int) -> list[int]:
    rows = await db.fetchall("SELECT plan_id FROM plans_enrolments WHERE guild_id = ? AND user_id = ? "
                             "AND left_at IS NULL", (guild_id, user_id))
    return [row[0] for row in rows]


# Done and undo --------------------------------------------------------------------------------------
async def mark(db: Database, clock: Clock, plan: Plan, item: Item, user_id: int, *, done: bool) -> Marked:
    """Mark an item done (or not); refused with :class:`NotEnrolled` for a plan the member has not joined."""
    if item.plan_id != plan.id:
        raise InvalidInput("That item belongs to another plan.")
    async with db.transaction():
        if not await is_enrolled(db, plan.id, user_id):
            raise NotEnrolled(plan)
        if done:
            _, count = await db.execute(
                "INSERT INTO plans_progress (guild_id, plan_id, item_id, user_id, done_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (item_id, user_id) DO NOTHING", (plan.guild_id, plan.id, item.id, user_id,
                                                              to_db(clock.now())))
        else:
            _, count = await db.execute("DELETE FROM plans_progress WHERE item_id = ? AND user_id = ?",
                                        (item.id, user_id))
        missing = await db.fetchval(
            "SELECT COUNT(*) FROM plans_items AS i WHERE i.unit_id = ? AND i.required = 1 AND NOT EXISTS "
            "(SELECT 1 FROM plans_progress AS p WHERE p.item_id = i.id AND p.user_id = ?)", (item.unit_id, user_id))
    return Marked(item, count > 0, missing == 0)


async def done_items(db: Database, plan_id: int, user_id: int) -> dict[int, datetime]:
    rows = await db.fetchall("SELECT item_id, done_at FROM plans_progress WHERE plan_id = ? AND user_id = ?",
                             (plan_id, user_id))
    return {row[0]: from_db(row[1]) for row in rows}


# The board ----------------------------------------------------------------------------------------
_BOARD_SQL = """
WITH required AS (
    SELECT unit_id, COUNT(*) AS total FROM plans_items WHERE plan_id = :plan AND required = 1 GROUP BY unit_id
), per_member AS (
    SELECT i.unit_id, p.user_id, COUNT(*) AS done
    FROM plans_progress AS p
    JOIN plans_items AS i ON i.id = p.item_id AND i.required = 1
    WHERE p.plan_id = :plan   -- the cohort is looked up once (an IN list), not once per progress row
      AND p.user_id IN (SELECT user_id FROM plans_enrolments WHERE plan_id = :plan AND left_at IS NULL)
    GROUP BY i.unit_id, p.user_id
)
SELECT u.number, u.title, IFNULL(r.total, 0) AS total,
       IFNULL(SUM(m.done), 0) AS pairs_done,
       IFNULL(SUM(m.done = r.total), 0) AS members_done,
       IFNULL(MAX(CASE WHEN m.user_id = :viewer THEN m.done END), 0) AS mine
FROM plans_units AS u
LEFT JOIN required AS r ON r.unit_id = u.id
LEFT JOIN per_member AS m ON m.unit_id = u.id
WHERE u.plan_id = :plan
GROUP BY u.id
ORDER BY u.number
"""


async def board(db: Database, plan: Plan, *, now: datetime, viewer_id: int | None = None,
                viewer_name: str | None = None) -> Board:
    """The cohort picture's figures, in one query: per week, members done and the share of items done."""
    size = await cohort_size(db, plan.id)
    enrolled = viewer_id is not None and await is_enrolled(db, plan.id, viewer_id)
    rows = await db.fetchall(_BOARD_SQL, {"plan": plan.id, "viewer": viewer_id or 0})
    weeks = []
    for row in rows:
        total = row["total"]
        members_done = size if total == 0 else row["members_done"]
        share = 1.0 if total == 0 and size else (row["pairs_done"] / (total * size) if total and size else 0.0)
        weeks.append(BoardWeek(row["number"], row["title"], members_done, min(share, 1.0),
                               mine_done=row["mine"] if enrolled else None, mine_total=total))
    return Board(plan.title, size, tuple(weeks), current_week(plan, now), viewer_name if enrolled else None)


@dataclass(frozen=True)
class MemberProgress:
    plan: Plan
    weeks: tuple[CardWeek, ...]
    required_done: int
    required_total: int
    units_done: int
    streak: int
    current_week: int | None


async def member_progress(db: Database, plan: Plan, user_id: int, *, now: datetime) -> MemberProgress:
    from bot.plans.store import items as plan_items

    done = await done_items(db, plan.id, user_id)
    by_unit: dict[int, list[CardItem]] = {}
    required_done = required_total = 0
    for item in await plan_items(db, plan.id):
        by_unit.setdefault(item.unit_number, []).append(CardItem(item.title, item.kind, item.id in done,
                                                                 item.required))
        if item.required:
            required_total += 1
            required_done += item.id in done
    numbers = [unit.number for unit in await units(db, plan.id)]
    weeks = tuple(CardWeek(n, tuple(by_unit.get(n, []))) for n in numbers)
    units_done = sum(1 for week in weeks if all(i.done for i in week.items if i.required))
    current = current_week(plan, now)
    streak = await checkins.streak(db, plan, user_id, now=now)
    return MemberProgress(plan, weeks, required_done, required_total, units_done, streak, current)


@dataclass(frozen=True)
class PlanSummary:
    """One line of /profile: a plan the member is in."""

    title: str
    required_done: int
    required_total: int
    streak: int


async def profile_summary(db: Database, guild_id: int, user_id: int, *, now: datetime) -> list[PlanSummary]:
    """The plans a member is in (not finished), with their progress and check-in streak."""
    from bot.plans.store import get_plan_by_id

    found = []
    for plan_id in await joined_plan_ids(db, guild_id, user_id):
        plan = await get_plan_by_id(db, plan_id)
        if plan is None or plan.status is PlanStatus.FINISHED:
            continue
        row = await db.fetchone(
            "SELECT COUNT(*) AS total, COUNT(p.item_id) AS done FROM plans_items AS i LEFT JOIN plans_progress AS p "
            "ON p.item_id = i.id AND p.user_id = ? WHERE i.plan_id = ? AND i.required = 1", (user_id, plan.id))
        assert row is not None
        found.append(PlanSummary(plan.title, row["done"], row["total"],
                                 await checkins.streak(db, plan, user_id, now=now)))
    return found


async def only_plan(db: Database, guild_id: int, user_id: int) -> Plan:
    """The one plan a member is in, when a command leaves ``plan:`` out."""
    from bot.plans.store import get_plan_by_id

    joined = [plan for plan_id in await joined_plan_ids(db, guild_id, user_id)
              if (plan := await get_plan_by_id(db, plan_id)) is not None]
    if not joined:
        raise InvalidInput("You are not in any plan yet: `/plan list` shows them and `/plan join` takes part.")
    if len(joined) > 1:
        raise InvalidInput("You are in several plans; name one with `plan:`.")
    return joined[0]


async def due_soon(db: Database, plan: Plan, user_id: int, *, now: datetime,
                   within: timedelta = timedelta(days=7), limit: int = 5) -> tuple[DueSoon, ...]:
    """The member's undone items falling due within a week, soonest first, in the plan's wall time."""
    from bot.plans.store import due_at, items, zone_of

    done = await done_items(db, plan.id, user_id)
    upcoming = sorted(((due, item) for item in await items(db, plan.id)
                       if (due := due_at(plan, item)) is not None and now <= due <= now + within
                       and item.id not in done), key=lambda pair: pair[0])
    zone = zone_of(plan)
    return tuple(DueSoon(item.title, due.astimezone(zone).strftime("%a %H:%M")) for due, item in upcoming[:limit])
