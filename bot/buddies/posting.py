"""After the groups are made: threads claimed before they are created, check-backs, answers, leavers.

Every post is claimed in the database before it is sent, so a restart never sends it twice:
a thread goes ``pending`` → ``claimed`` → ``created`` (or ``dm`` / ``alone`` / ``failed``), a
thread's check-back ``pending`` → ``claimed`` → ``sent``, and each direct message (the buddies of a
group told by DM, the lone member's notice, a DM group's check-back) is claimed per member
(:func:`claim_dm`), so a group whose DMs a crash cut short is resumed for the others only.
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
DM_KINDS = ("intro", "alone", "checkback")


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
    """Groups whose round reached its halfway point and that were not asked yet.

    A thread is asked once in the thread; a group told by DM is asked by DM, member by member, and
    stays due until every member's check-back was claimed (so a crash part-way resumes the rest).
    """
    found = await load_rounds(db, "guild_id = ? AND status = 'posted' AND checkback_at <= ?",
                              (guild_id, to_db(clock.now())))
    return [g for r in found for g in r.groups if g.checkback_status == "pending" and g.thread_status in ("created",
                                                                                                         "dm")]


async def claim_checkback(db: Database, group_id: int) -> bool:
    rows = await db.execute_returning(
        "UPDATE buddies_groups SET checkback_status = 'claimed' WHERE id = ? AND checkback_status = 'pending' "
        "RETURNING id", (group_id,))
    return bool(rows)


async def record_checkback(db: Database, group_id: int, message_id: int | None, *, by_dm: bool = False) -> None:
    """The group was asked: in its thread (``message_id``), or by DM to each member (``by_dm``)."""
    status = "sent" if message_id or by_dm else "skipped"
    await db.execute("UPDATE buddies_groups SET checkback_status = ?, checkback_message_id = ? WHERE id = ?",
                     (status, message_id, group_id))


# Direct messages ------------------------------------------------------------------------------------
async def claim_dm(db: Database, clock: Clock, group: Group, user_id: int, kind: str) -> bool:
    """Claim one member's DM about ``group`` before sending it; False when it was claimed before."""
    if kind not in DM_KINDS:
        raise ValueError(f"unknown DM kind {kind}")
    rows = await db.execute_returning(
        "INSERT INTO buddies_dms (guild_id, group_id, user_id, kind, claimed_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING RETURNING user_id", (group.guild_id, group.id, user_id, kind, to_db(clock.now())))
    return bool(rows)


async def record_dm(db: Database, group_id: int, user_id: int, kind: str, message_id: int | None) -> None:
    """The DM went out (``message_id``) or could not (None: DMs closed, or the member is gone)."""
    await db.execute("UPDATE buddies_dms SET status = ?, message_id = ? WHERE group_id = ? AND user_id = ? "
                     "AND kind = ?", ("sent" if message_id else "failed", message_id, group_id, user_id, kind))


async def unreached(db: Database, round_id: int) -> list[int]:
    """Members of the round a DM could not reach (DMs closed, or gone), for the organisers' summary."""
    rows = await db.fetchall("SELECT DISTINCT d.user_id FROM buddies_dms d JOIN buddies_groups g ON g.id = d.group_id "
                             "WHERE g.round_id = ? AND d.status = 'failed' ORDER BY d.user_id", (round_id,))
    return [row["user_id"] for row in rows]


async def dm_outcomes(db: Database, group_id: int, kind: str) -> dict[int, str]:
    """Each member's DM of ``kind`` about the group: claimed, sent or failed."""
    rows = await db.fetchall("SELECT user_id, status FROM buddies_dms WHERE group_id = ? AND kind = ?",
                             (group_id, kind))
    return {row["user_id"]: row["status"] for row in rows}


async def finish_checkbacks(db: Database, clock: Clock, guild_id: int) -> None:
    """Rounds past halfway whose groups were all asked are 'checked' (a lone member is not asked).

    A check-back still 'claimed' was cut short by a crash; like every claim, it is not sent again.
    """
    await db.execute(
        "UPDATE buddies_groups SET checkback_status = 'skipped' WHERE checkback_status = 'pending' "
        "AND thread_status NOT IN ('created', 'dm') AND round_id IN (SELECT id FROM buddies_rounds WHERE guild_id = ? "
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
