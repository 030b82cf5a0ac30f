"""Newcomers: joins, the welcome once screening clears, one reminder to apply, then a kick or a listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row
from bot.gate.config import GateConfig

# A newcomer who has not applied this long after the reminder is kicked (kick_unapplied) or listed.
AFTER_REMINDER = timedelta(days=3)


@dataclass(frozen=True)
class Newcomer:
    guild_id: int
    user_id: int
    joined_at: datetime
    account_created_at: datetime
    welcomed_at: datetime | None
    reminded_at: datetime | None
    listed_at: datetime | None
    kicked_at: datetime | None
    left_at: datetime | None


@dataclass(frozen=True)
class FollowUps:
    """What the periodic sweep should do now, per newcomer who has not applied."""

    remind: tuple[Newcomer, ...]
    kick: tuple[Newcomer, ...]
    list_to_reviewers: tuple[Newcomer, ...]


def _moment(value: str | None) -> datetime | None:
    return from_db(value) if value else None


def _newcomer(row: Row) -> Newcomer:
    return Newcomer(row["guild_id"], row["user_id"], from_db(row["joined_at"]), from_db(row["account_created_at"]),
                    _moment(row["welcomed_at"]), _moment(row["reminded_at"]), _moment(row["listed_at"]),
                    _moment(row["kicked_at"]), _moment(row["left_at"]))


async def record_join(db: Database, *, guild_id: int, user_id: int, joined_at: datetime,
                      account_created_at: datetime) -> Newcomer:
    """Remember a join; someone who comes back starts afresh (welcome, reminder and all)."""
    await db.execute(
        "INSERT INTO gate_members (guild_id, user_id, joined_at, account_created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET joined_at = excluded.joined_at, "
        "account_created_at = excluded.account_created_at, welcomed_at = NULL, reminded_at = NULL, "
        "listed_at = NULL, kicked_at = NULL, left_at = NULL",
        (guild_id, user_id, to_db(joined_at), to_db(account_created_at)),
    )
    found = await get_newcomer(db, guild_id, user_id)
    assert found is not None
    return found


async def get_newcomer(db: Database, guild_id: int, user_id: int) -> Newcomer | None:
    row = await db.fetchone("SELECT * FROM gate_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return None if row is None else _newcomer(row)


async def mark_welcomed(db: Database, clock: Clock, guild_id: int, user_id: int) -> bool:
    """Claim the welcome; False if it already went out (so two events never welcome twice)."""
    _, changed = await db.execute(
        "UPDATE gate_members SET welcomed_at = ? WHERE guild_id = ? AND user_id = ? AND welcomed_at IS NULL",
        (to_db(clock.now()), guild_id, user_id),
    )
    return changed > 0


async def record_leave(db: Database, clock: Clock, guild_id: int, user_id: int) -> None:
    await db.execute("UPDATE gate_members SET left_at = ? WHERE guild_id = ? AND user_id = ? AND left_at IS NULL",
                     (to_db(clock.now()), guild_id, user_id))


async def welcomed_user_ids(db: Database, guild_id: int) -> set[int]:
    """Members the gate already welcomed since they last joined."""
    rows = await db.fetchall("SELECT user_id FROM gate_members WHERE guild_id = ? AND welcomed_at IS NOT NULL",
                             (guild_id,))
    return {row["user_id"] for row in rows}


def owed_welcome(joined_at: datetime | None, configured_at: datetime, *, welcomed: bool, member: bool) -> bool:
    """Whether someone found in the guild at start still needs the welcome: joined (or passed screening)
    since the gate was set up, never welcomed, and not a member already."""
    return not welcomed and not member and joined_at is not None and joined_at >= configured_at


async def due_follow_ups(db: Database, clock: Clock, config: GateConfig) -> FollowUps:
    """Welcomed newcomers who have not applied since joining and are due a reminder, kick or listing."""
    now = clock.now()
    not_applied = (
        "SELECT * FROM gate_members m WHERE m.guild_id = ? AND m.welcomed_at IS NOT NULL AND m.left_at IS NULL "
        "AND m.kicked_at IS NULL AND NOT EXISTS (SELECT 1 FROM gate_applications a WHERE a.guild_id = m.guild_id "
        "AND a.user_id = m.user_id AND a.submitted_at >= m.joined_at) "
    )
    remind = await db.fetchall(
        not_applied + "AND m.reminded_at IS NULL AND m.welcomed_at <= ? ORDER BY m.welcomed_at",
        (config.guild_id, to_db(now - timedelta(days=config.apply_within_days))),
    )
    overdue = await db.fetchall(
        not_applied + "AND m.listed_at IS NULL AND m.reminded_at <= ? ORDER BY m.reminded_at",
        (config.guild_id, to_db(now - AFTER_REMINDER)),
    )
    late = tuple(_newcomer(row) for row in overdue)
    return FollowUps(
        remind=tuple(_newcomer(row) for row in remind),
        kick=late if config.kick_unapplied else (),
        list_to_reviewers=() if config.kick_unapplied else late,
    )


async def mark_reminded(db: Database, clock: Clock, guild_id: int, user_id: int) -> None:
    await db.execute("UPDATE gate_members SET reminded_at = ? WHERE guild_id = ? AND user_id = ?",
                     (to_db(clock.now()), guild_id, user_id))


async def mark_kicked(db: Database, clock: Clock, guild_id: int, user_id: int) -> None:
    await db.execute("UPDATE gate_members SET kicked_at = ? WHERE guild_id = ? AND user_id = ?",
                     (to_db(clock.now()), guild_id, user_id))


async def mark_listed(db: Database, clock: Clock, guild_id: int, user_ids: list[int]) -> None:
    await db.executemany("UPDATE gate_members SET listed_at = ? WHERE guild_id = ? AND user_id = ?",
                         [(to_db(clock.now()), guild_id, user_id) for user_id in user_ids])
