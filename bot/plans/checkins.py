"""Weekly check-ins: what I did, what's next, what blocks me; and the streak of weeks in a row.

A member checks in once per week (a second answer replaces the first). A private check-in is
stored only; otherwise the cog posts a short card in the week's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.plans.model import PlanStatus
from bot.plans.store import Plan, Unit, current_week, get_unit, weeks_begun
from bot.text import clean_text

FIELD_MAX = 1000  # each of the modal's three fields


@dataclass(frozen=True)
class Checkin:
    id: int
    unit: Unit
    user_id: int
    did: str
    next: str
    blockers: str
    private: bool
    first: bool            # False: it replaced this week's earlier check-in
    message_id: int | None


async def checkin_week(db: Database, plan: Plan, now: datetime) -> Unit:
    """The week a check-in now is about: the running one."""
    if plan.status is not PlanStatus.RUNNING:
        raise InvalidInput(f"**{plan.title[:100]}** is {plan.status.value}; check-ins are for a running plan.")
    number = current_week(plan, now)
    if number is None:
        raise InvalidInput(f"**{plan.title[:100]}** has no week running right now; check in once it starts.")
    return await get_unit(db, plan, number)


def clean_answers(did: str, next_: str, blockers: str) -> tuple[str, str, str]:
    answers = (clean_text(did, "what you did", FIELD_MAX, required=False),
               clean_text(next_, "what's next", FIELD_MAX, required=False),
               clean_text(blockers, "what blocks you", FIELD_MAX, required=False))
    if not any(answers):
        raise InvalidInput("The check-in is empty; say at least what you did or what's next.")
    return answers


async def record(db: Database, clock: Clock, plan: Plan, unit: Unit, user_id: int, *, did: str, next_: str,
                 blockers: str, private: bool) -> Checkin:
    """Store this week's check-in (replacing an earlier one this week). The caller checks enrolment."""
    did, next_, blockers = clean_answers(did, next_, blockers)
    async with db.transaction():
        earlier = await db.fetchone("SELECT id, message_id FROM plans_checkins WHERE unit_id = ? AND user_id = ?",
                                    (unit.id, user_id))
        rows = await db.execute_returning(
            "INSERT INTO plans_checkins (guild_id, plan_id, unit_id, user_id, did, next, blockers, private, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, user_id) DO UPDATE SET "
            "did = excluded.did, next = excluded.next, blockers = excluded.blockers, private = excluded.private, "
            "created_at = excluded.created_at RETURNING id, message_id",
            (plan.guild_id, plan.id, unit.id, user_id, did, next_, blockers, int(private), to_db(clock.now())))
    row = rows[0]
    return Checkin(row["id"], unit, user_id, did, next_, blockers, private, earlier is None, row["message_id"])


async def set_message(db: Database, checkin_id: int, message_id: int | None) -> None:
    await db.execute("UPDATE plans_checkins SET message_id = ? WHERE id = ?", (message_id, checkin_id))


async def streak(db: Database, plan: Plan, user_id: int, *, now: datetime) -> int:
    """Check-ins in consecutive weeks, ending this week or last (this week may still be to come)."""
    rows = await db.fetchall("SELECT u.number FROM plans_checkins AS c JOIN plans_units AS u ON u.id = c.unit_id "
                             "WHERE c.plan_id = ? AND c.user_id = ?", (plan.id, user_id))
    weeks = {row[0] for row in rows}
    week = weeks_begun(plan, now)
    if week not in weeks:
        week -= 1
    count = 0
    while week >= 1 and week in weeks:
        count += 1
        week -= 1
    return count


async def public_cards(db: Database, *, user_id: int, guild_id: int | None) -> list[tuple[int, int]]:
    """``(channel_id, message_id)`` of a member's posted check-in cards (in the week's thread, else the
    plan's channel): they quote the member, so ``/privacy forget`` takes them down too."""
    scope, extra = ("", ()) if guild_id is None else (" AND c.guild_id = ?", (guild_id,))
    rows = await db.fetchall(
        "SELECT COALESCE(p.thread_id, p.channel_id, pl.channel_id) AS channel_id, c.message_id "
        "FROM plans_checkins AS c JOIN plans AS pl ON pl.id = c.plan_id "
        "LEFT JOIN plans_posts AS p ON p.plan_id = c.plan_id AND p.unit_id = c.unit_id AND p.key LIKE 'card:%' "
        f"AND p.status = 'sent' WHERE c.user_id = ? AND c.message_id IS NOT NULL{scope}", (user_id, *extra))
    return [(row["channel_id"], row["message_id"]) for row in rows if row["channel_id"] is not None]
