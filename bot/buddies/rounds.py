"""A round from start to check-back, crash-safe.

1. The groups are made (:func:`propose` for an organiser's dry run, :func:`run_scheduled` for the
   cadence) and the round, its seed and every group are written in **one transaction** before
   anything is posted. A scheduled round is unique per cadence slot and a proposal is confirmed by
   one atomic status change, so the same round never runs twice; the members' primary key keeps
   anyone from being in two groups of a round.
2. Each group's thread is claimed (``pending`` → ``claimed``) before it is created and recorded
   after; a restart resumes the groups still ``pending`` (and lets the caller look for a thread a
   crash may have left ``claimed``) — see :func:`groups_to_post`.
3. Halfway, each thread's check-back is claimed before it is sent (:func:`claim_checkback`).

The proposal's Confirm follows the same rules as ``/gate prune`` (:mod:`bot.confirmations`): only
the invoker, within five minutes, once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import confirmations
from bot.buddies import cadence, store
from bot.buddies.matching import Candidate, Grouping, Pair, pair, solve, without
from bot.buddies.model import BuddySettings, Group, GroupMember, OptIn, Round
from bot.clock import Clock, from_db, to_db
from bot.confirmations import CONFIRM_WINDOW, Confirmable
from bot.db import Database, Row
from bot.errors import InvalidInput, NotFound
from bot.guild_config import get_config
from bot.sessions.members import member_timezone

PROPOSALS = Confirmable("buddies_rounds", "proposed", "/buddy run", "round")
PROPOSAL_KEEP_DAYS = 1
SCHEDULE_GRACE_FRACTION = 4  # a scheduled round missed by more than a quarter period is skipped


# Reading -----------------------------------------------------------------------------------------
def _round(row: Row, groups: tuple[Group, ...]) -> Round:
    def moment(key: str) -> datetime | None:
        return from_db(row[key]) if row[key] else None

    return Round(row["id"], row["guild_id"], row["seed"], row["status"], moment("scheduled_at"), row["invoker_id"],
                 from_db(row["created_at"]), moment("expires_at"), moment("ran_at"), moment("checkback_at"),
                 row["message_channel_id"], row["message_id"], groups)


async def _groups(db: Database, round_ids: Sequence[int]) -> dict[int, list[Group]]:
    if not round_ids:
        return {}
    marks = ", ".join("?" for _ in round_ids)
    group_rows = await db.fetchall(f"SELECT * FROM buddies_groups WHERE round_id IN ({marks}) ORDER BY position",
                                   tuple(round_ids))
    member_rows = await db.fetchall(f"SELECT * FROM buddies_members WHERE round_id IN ({marks}) ORDER BY user_id",
                                    tuple(round_ids))
    members: dict[int, list[GroupMember]] = {}
    for m in member_rows:
        members.setdefault(m["group_id"], []).append(
            GroupMember(m["user_id"], bool(m["repeat"]), m["answer"], from_db(m["left_at"]) if m["left_at"] else None))
    found: dict[int, list[Group]] = {}
    for g in group_rows:
        found.setdefault(g["round_id"], []).append(
            Group(g["id"], g["guild_id"], g["round_id"], g["position"], g["thread_status"], g["thread_id"],
                  g["checkback_status"], g["checkback_message_id"], tuple(members.get(g["id"], ()))))
    return found


async def load_rounds(db: Database, where: str, params: tuple[object, ...]) -> list[Round]:
    rows = await db.fetchall(f"SELECT * FROM buddies_rounds WHERE {where}", params)
    groups = await _groups(db, [row["id"] for row in rows])
    return [_round(row, tuple(groups.get(row["id"], ()))) for row in rows]


async def get_round(db: Database, round_id: int) -> Round:
    found = await load_rounds(db, "id = ?", (round_id,))
    if not found:
        raise NotFound("That round no longer exists; run `/buddy run` again.")
    return found[0]


async def get_group(db: Database, group_id: int) -> tuple[Round, Group]:
    round_id = await db.fetchval("SELECT round_id FROM buddies_groups WHERE id = ?", (group_id,))
    if round_id is None:
        raise NotFound("This buddy group is no longer kept (round history is kept for a limited time).")
    found = await get_round(db, round_id)
    return found, next(g for g in found.groups if g.id == group_id)


async def recent_rounds(db: Database, guild_id: int, limit: int) -> list[Round]:
    """The guild's last ``limit`` rounds whose groups were made, newest first."""
    return await load_rounds(db, "guild_id = ? AND status IN ('posting', 'posted', 'checked') "
                             "ORDER BY ran_at DESC, id DESC LIMIT ?", (guild_id, limit))


async def recent_pairs(db: Database, guild_id: int, cooldown_rounds: int) -> set[Pair]:
    """Everyone who shared a group within the last ``cooldown_rounds`` rounds."""
    found: set[Pair] = set()
    for past in await recent_rounds(db, guild_id, cooldown_rounds):
        for group in past.groups:
            ids = group.user_ids
            found.update(pair(a, b) for i, a in enumerate(ids) for b in ids[i + 1:])
    return found


# Making groups ------------------------------------------------------------------------------------
def utc_offset_minutes(zone: str | None, moment: datetime) -> int | None:
    if not zone:
        return None
    offset = moment.astimezone(ZoneInfo(zone)).utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


async def candidates(db: Database, guild_id: int, pool: Sequence[OptIn], at: datetime) -> list[Candidate]:
    """The pool as the matcher sees it, with each member's UTC offset at the round's time."""
    return [Candidate(o.user_id, frozenset(o.topic_ids),
                      utc_offset_minutes(await member_timezone(db, guild_id, o.user_id), at)) for o in pool]


async def make_groups(db: Database, clock: Clock, settings: BuddySettings, *, present: set[int] | None,
                      seed: int) -> Grouping:
    members = await store.pool(db, clock, settings.guild_id, present)
    history = await recent_pairs(db, settings.guild_id, settings.cooldown_rounds)
    pool = await candidates(db, settings.guild_id, members, clock.now())
    return solve(pool, history, group_size=settings.group_size, seed=seed)


async def _write(db: Database, clock: Clock, settings: BuddySettings, grouping: Grouping, *, seed: int,
                 status: str, invoker_id: int | None, scheduled_at: datetime | None) -> int:
    """The round and every group, in the caller's transaction."""
    now = clock.now()
    ran = status == "posting"
    round_id, _ = await db.execute(
        "INSERT INTO buddies_rounds (guild_id, seed, status, scheduled_at, invoker_id, created_at, expires_at, "
        "ran_at, checkback_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (settings.guild_id, seed, status, to_db(scheduled_at) if scheduled_at else None, invoker_id, to_db(now),
         None if ran else to_db(now + CONFIRM_WINDOW), to_db(now) if ran else None,
         to_db(cadence.checkback_at(now, settings.cadence)) if ran else None))
    assert round_id is not None
    await _write_groups(db, settings.guild_id, round_id, grouping)
    if ran:
        await _mark_ran(db, settings.guild_id, round_id)
    return round_id


async def _write_groups(db: Database, guild_id: int, round_id: int, grouping: Grouping) -> None:
    for position, members in enumerate(grouping.groups, start=1):
        group_id, _ = await db.execute(
            "INSERT INTO buddies_groups (guild_id, round_id, position) VALUES (?, ?, ?)",
            (guild_id, round_id, position))
        await db.executemany(
            "INSERT INTO buddies_members (guild_id, round_id, group_id, user_id, repeat) VALUES (?, ?, ?, ?, ?)",
            [(guild_id, round_id, group_id, user_id,
              int(any(pair(user_id, other) in grouping.repeats for other in members)))
             for user_id in members])


async def _mark_ran(db: Database, guild_id: int, round_id: int) -> None:
    """The round's groups are fixed: count it for its members; skippers sat this one out."""
    await db.execute("UPDATE buddies_optins SET rounds_taken = rounds_taken + 1 WHERE guild_id = ? AND user_id IN "
                     "(SELECT user_id FROM buddies_members WHERE round_id = ?)", (guild_id, round_id))
    await db.execute("UPDATE buddies_optins SET skip_next = 0 WHERE guild_id = ? AND skip_next = 1", (guild_id,))


async def require_pool(db: Database, clock: Clock, guild_id: int, present: set[int] | None) -> None:
    """Refuse a round nobody would be in, saying why."""
    if not await store.pool(db, clock, guild_id, present):
        raise InvalidInput("Nobody is in the pool: no one has joined with `/buddy join`, or everyone who did is "
                           "paused or skipping this round.")


async def propose(db: Database, clock: Clock, settings: BuddySettings, *, invoker_id: int,
                  present: set[int]) -> Round:
    """An organiser's dry run: the groups a round would have now, waiting for their Confirm."""
    await require_pool(db, clock, settings.guild_id, present)
    seed = secrets.randbits(63)
    grouping = await make_groups(db, clock, settings, present=present, seed=seed)
    async with db.transaction():
        round_id = await _write(db, clock, settings, grouping, seed=seed, status="proposed", invoker_id=invoker_id,
                                scheduled_at=None)
    return await get_round(db, round_id)


async def set_preview_message(db: Database, round_id: int, channel_id: int, message_id: int) -> None:
    await db.execute("UPDATE buddies_rounds SET message_channel_id = ?, message_id = ? WHERE id = ?",
                     (channel_id, message_id, round_id))


@dataclass(frozen=True)
class Confirmed:
    """A confirmed round, and who was in its preview but no longer in the pool when it was confirmed."""

    round: Round
    dropped: tuple[int, ...]   # left the server, left study buddies, paused or chose to skip since


async def confirm(db: Database, clock: Clock, round_id: int, *, user_id: int, present: set[int] | None) -> Confirmed:
    """Run the previewed groups; only the invoker, within five minutes, only once.

    Whoever dropped out of the pool since the preview (``present``: who is in the server now) is
    taken out, and anyone that leaves alone is grouped again (:func:`bot.buddies.matching.without`),
    in the same transaction as the status change: nobody gets a thread with someone who is gone.
    """
    found = await get_round(db, round_id)
    settings = await store.require_settings(db, found.guild_id)
    now = clock.now()
    staying = await store.pool(db, clock, found.guild_id, present)
    staying_ids = {o.user_id for o in staying}
    dropped = tuple(sorted(u for g in found.groups for u in g.user_ids if u not in staying_ids))
    nobody_left = bool(dropped) and not any(u in staying_ids for g in found.groups for u in g.user_ids)
    regrouped = None
    if dropped and not nobody_left and found.status == "proposed":
        history = await recent_pairs(db, found.guild_id, settings.cooldown_rounds)
        regrouped = without(Grouping(tuple(g.user_ids for g in found.groups)), dropped,
                            await candidates(db, found.guild_id, staying, now), history, seed=found.seed)

    async def fix_groups() -> None:
        if nobody_left:  # rolls the Confirm back: the preview stays as it was
            raise InvalidInput("Everyone in this preview has left, paused or chosen to skip since; nothing was run. "
                               "`/buddy run` again when members are back.")
        if regrouped is not None:
            await db.execute("DELETE FROM buddies_groups WHERE round_id = ?", (round_id,))
            await _write_groups(db, found.guild_id, round_id, regrouped)
        await db.execute("UPDATE buddies_rounds SET ran_at = ?, checkback_at = ? WHERE id = ?",
                         (to_db(now), to_db(cadence.checkback_at(now, settings.cadence)), round_id))
        await _mark_ran(db, found.guild_id, round_id)

    await confirmations.claim(db, clock, PROPOSALS, round_id, user_id=user_id, new_status="posting", also=fix_groups)
    return Confirmed(await get_round(db, round_id), dropped if regrouped is not None else ())


async def cancel(db: Database, clock: Clock, round_id: int, *, user_id: int) -> Round:
    await confirmations.claim(db, clock, PROPOSALS, round_id, user_id=user_id, new_status="cancelled")
    return await get_round(db, round_id)


async def expire_proposals(db: Database, clock: Clock) -> list[Round]:
    return [await get_round(db, round_id) for round_id in await confirmations.expire(db, clock, PROPOSALS)]


async def last_ran_at(db: Database, guild_id: int) -> datetime | None:
    value = await db.fetchval("SELECT MAX(ran_at) FROM buddies_rounds WHERE guild_id = ? AND status IN "
                              "('posting', 'posted', 'checked')", (guild_id,))
    return from_db(value) if value else None


def skips_slot(slot: datetime, last_ran: datetime | None, period: timedelta) -> bool:
    """A cadence slot less than half a period after a round that ran (by hand) is skipped."""
    return last_ran is not None and last_ran > slot - period / 2


async def next_round_at(db: Database, settings: BuddySettings, zone: str, now: datetime) -> datetime:
    """When the next scheduled round will really run: after ``now``, not skipped for a round run by hand."""
    last_ran, period = await last_ran_at(db, settings.guild_id), cadence.PERIOD[settings.cadence]
    slot = cadence.next_round(settings.anchor, zone, settings.cadence, now)
    while skips_slot(slot, last_ran, period):
        slot = cadence.next_round(settings.anchor, zone, settings.cadence, slot)
    return slot


async def run_scheduled(db: Database, clock: Clock, settings: BuddySettings, *,
                        present: set[int]) -> Round | None:
    """Run the cadence's round if one is due and has not run (None otherwise).

    A slot missed by more than a quarter period (the bot was down) is skipped, and so is a slot
    less than half a period after a round run by hand, so members are not paired twice in days.
    """
    zone = (await get_config(db, settings.guild_id)).timezone or "UTC"
    now = clock.now()
    slot = cadence.latest_due(settings.anchor, zone, settings.cadence, now)
    period = cadence.PERIOD[settings.cadence]
    if slot is None or now - slot > period / SCHEDULE_GRACE_FRACTION:
        return None
    if skips_slot(slot, await last_ran_at(db, settings.guild_id), period):
        return None
    seed = secrets.randbits(63)
    grouping = await make_groups(db, clock, settings, present=present, seed=seed)
    if not grouping.groups:
        return None
    async with db.transaction():
        if await db.fetchone("SELECT 1 FROM buddies_rounds WHERE guild_id = ? AND scheduled_at = ?",
                             (settings.guild_id, to_db(slot))):
            return None
        round_id = await _write(db, clock, settings, grouping, seed=seed, status="posting", invoker_id=None,
                                scheduled_at=slot)
    return await get_round(db, round_id)

