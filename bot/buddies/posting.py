"""After the groups are made: threads claimed before they are created, check-backs, answers, leavers.

Every post is claimed in the database before it is sent, so a restart never sends it twice:
a thread goes ``pending`` → ``claimed`` → ``created`` (or ``dm`` / ``failed``), a check-back
``pending`` → ``claimed`` → ``sent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.buddies.model import Group, Round
from bot.buddies.rounds import get_group, load_rounds
from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed

THREAD_OUTCOMES = ("created", "dm", "alone", "failed")


async def rounds_posting(db: Database, guild_id: int) -> list[Round]:
    """Rounds whose groups are fixed but whose threads are not all made (a crash may have stopped them)."""
    return await load_rounds(db, "guild_id = ? AND status = 'posting' ORDER BY id", (guild_id,))


def groups_to_post(found: Round) -> list[Group]:
    """Groups still waiting for their thread: ``pending``, or ``claimed`` when a crash came mid-way."""
    return [g for g in found.groups if g.thread_status in ("pending", "claimed")]


async def claim_thread(db: Database, group_id: int) -> bool:
    """Claim a group's thread before creating it; False when someone else got there first."""
    rows = await db.execute_returning(
        "UPDATE buddies_groups SET thread_status = 'claimed' WHERE id = ? AND thread_status = 'pending' RETURNING id",
        (group_id,))
    return bool(rows)


async def record_thread_made(db: Database, group_id: int, thread_id: int) -> None:
    """Discord made the thread (members and intro still to come): remembered at once, for a restart."""
    await db.execute("UPDATE buddies_groups SET thread_id = ? WHERE id = ?", (thread_id, group_id))


async def record_thread(db: Database, group_id: int, outcome: str, thread_id: int | None = None) -> None:
    if outcome not in THREAD_OUTCOMES:
        raise ValueError(f"unknown thread outcome {outcome}")
    await db.execute("UPDATE buddies_groups SET thread_status = ?, thread_id = ? WHERE id = ?",
                     (outcome, thread_id, group_id))


async def finish_posting(db: Database, round_id: int) -> bool:
    """Mark the round posted once no group waits for its thread; True if it now is."""
    rows = await db.execute_returning(
        "UPDATE buddies_rounds SET status = 'posted' WHERE id = ? AND status = 'posting' AND NOT EXISTS "
        "(SELECT 1 FROM buddies_groups WHERE round_id = ? AND thread_status IN ('pending', 'claimed')) RETURNING id",
        (round_id, round_id))
    return bool(rows)


# Check-back ----------------------------------------------------------------------------------------
async def due_checkbacks(db: Database, clock: Clock, guild_id: int) -> list[Group]:
    """Threads whose round reached its halfway point and that were not asked yet."""
    found = await load_rounds(db, "guild_id = ? AND status = 'posted' AND checkback_at <= ?",
                          (guild_id, to_db(clock.now())))
    return [g for r in found for g in r.groups if g.thread_status == "created" and g.checkback_status == "pending"]


async def claim_checkback(db: Database, group_id: int) -> bool:
    rows = await db.execute_returning(
        "UPDATE buddies_groups SET checkback_status = 'claimed' WHERE id = ? AND checkback_status = 'pending' "
        "RETURNING id", (group_id,))
    return bool(rows)


async def record_checkback(db: Database, group_id: int, message_id: int | None) -> None:
    await db.execute("UPDATE buddies_groups SET checkback_status = ?, checkback_message_id = ? WHERE id = ?",
                     ("sent" if message_id else "skipped", message_id, group_id))


async def finish_checkbacks(db: Database, clock: Clock, guild_id: int) -> None:
    """Rounds past halfway whose threads were all asked are 'checked' (no-thread groups are not asked).

    A check-back still 'claimed' was cut short by a crash; like every claim, it is not sent again.
    """
    await db.execute(
        "UPDATE buddies_groups SET checkback_status = 'skipped' WHERE checkback_status = 'pending' "
        "AND thread_status != 'created' AND round_id IN (SELECT id FROM buddies_rounds WHERE guild_id = ? "
        "AND status = 'posted' AND checkback_at <= ?)", (guild_id, to_db(clock.now())))
    await db.execute(
        "UPDATE buddies_rounds SET status = 'checked' WHERE guild_id = ? AND status = 'posted' AND checkback_at <= ? "
        "AND NOT EXISTS (SELECT 1 FROM buddies_groups WHERE round_id = buddies_rounds.id "
        "AND checkback_status = 'pending')", (guild_id, to_db(clock.now())))


async def next_checkback(db: Database, guild_id: int) -> datetime | None:
    value = await db.fetchval("SELECT MIN(checkback_at) FROM buddies_rounds WHERE guild_id = ? AND status = 'posted'",
                              (guild_id,))
    return from_db(value) if value else None


@dataclass(frozen=True)
class Answered:
    group: Group
    answer: str
    first_yes: bool  # this answer is the member's first "yes" for the group: it counts as participation


async def answer(db: Database, clock: Clock, group_id: int, *, user_id: int, reply: str) -> Answered:
    """Record a member's answer to "Did you meet?"; only the group's members may answer."""
    if reply not in ("yes", "not_yet", "no"):
        raise InvalidInput("That is not an answer I know; press one of the buttons.")
    _, group = await get_group(db, group_id)
    if user_id not in group.user_ids:
        raise NotAllowed("Only the members of this buddy group can answer here.")
    before = next(m.answer for m in group.members if m.user_id == user_id)
    await db.execute("UPDATE buddies_members SET answer = ?, answered_at = ? WHERE group_id = ? AND user_id = ?",
                     (reply, to_db(clock.now()), group_id, user_id))
    _, group = await get_group(db, group_id)
    return Answered(group, reply, reply == "yes" and before != "yes")


# Leavers -------------------------------------------------------------------------------------------
async def member_left(db: Database, clock: Clock, guild_id: int, user_id: int) -> list[Group]:
    """Someone left the server: out of the pool, and marked gone in their current group.

    Returns the groups (of the latest round they were in, if it still runs) whose thread should hear
    it; each group is returned only once, however often the leave event comes.
    """
    await db.execute("DELETE FROM buddies_optins WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    round_id = await db.fetchval(
        "SELECT r.id FROM buddies_rounds r JOIN buddies_members m ON m.round_id = r.id "
        "WHERE r.guild_id = ? AND m.user_id = ? AND r.status IN ('posting', 'posted', 'checked') "
        "ORDER BY r.ran_at DESC, r.id DESC LIMIT 1", (guild_id, user_id))
    if round_id is None:
        return []
    latest = await db.fetchval("SELECT id FROM buddies_rounds WHERE guild_id = ? AND status IN "
                               "('posting', 'posted', 'checked') ORDER BY ran_at DESC, id DESC LIMIT 1", (guild_id,))
    if latest != round_id:
        return []  # a later round has begun; that group is over
    rows = await db.execute_returning(
        "UPDATE buddies_members SET left_at = ? WHERE round_id = ? AND user_id = ? AND left_at IS NULL "
        "RETURNING group_id", (to_db(clock.now()), round_id, user_id))
    groups = [(await get_group(db, row["group_id"]))[1] for row in rows]
    return [g for g in groups if len(g.members) > 1]
