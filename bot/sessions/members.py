"""What members choose for themselves: their timezone and whether reminders come by DM."""

from __future__ import annotations

from bot.db import Database
from bot.guild_config import get_config, parse_timezone


async def member_timezone(db: Database, guild_id: int, user_id: int) -> str | None:
    return await db.fetchval("SELECT timezone FROM sessions_members WHERE guild_id = ? AND user_id = ?",
                             (guild_id, user_id))


async def set_member_timezone(db: Database, guild_id: int, user_id: int, name: str) -> str:
    """Store a member's timezone; ``name`` is checked and made canonical ("europe/berlin" → Europe/Berlin)."""
    zone = parse_timezone(name)
    await db.execute(
        "INSERT INTO sessions_members (guild_id, user_id, timezone) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET timezone = excluded.timezone",
        (guild_id, user_id, zone),
    )
    return zone


async def resolve_timezone(db: Database, guild_id: int, user_id: int, option: str | None) -> str:
    """The timezone to read a time in: the option, else the member's, else the server's, else UTC."""
    if option:
        return parse_timezone(option)
    mine = await member_timezone(db, guild_id, user_id)
    if mine:
        return mine
    return (await get_config(db, guild_id)).timezone or "UTC"


async def set_remind_dm(db: Database, guild_id: int, user_id: int, enabled: bool) -> None:
    await db.execute(
        "INSERT INTO sessions_members (guild_id, user_id, remind_dm) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET remind_dm = excluded.remind_dm",
        (guild_id, user_id, int(enabled)),
    )


async def remind_dm(db: Database, guild_id: int, user_id: int) -> bool:
    value = await db.fetchval("SELECT remind_dm FROM sessions_members WHERE guild_id = ? AND user_id = ?",
                              (guild_id, user_id))
    return bool(value)


async def dm_opted_in(db: Database, guild_id: int, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` asked for reminders by DM."""
    if not user_ids:
        return set()
    rows = await db.fetchall("SELECT user_id FROM sessions_members WHERE guild_id = ? AND remind_dm = 1",
                             (guild_id,))
    wanted = set(user_ids)
    return {row["user_id"] for row in rows if row["user_id"] in wanted}
