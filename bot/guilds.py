"""First sight of a guild: record when the bot arrived and run every feature's seeder once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.clock import Clock, from_db, to_db
from bot.db import Database

log = logging.getLogger(__name__)
GuildSeeder = Callable[[int], Awaitable[None]]


async def ensure_guild(db: Database, clock: Clock, guild_id: int, seeders: Sequence[GuildSeeder]) -> bool:
    """Seed a guild the first time it is seen; returns True if seeders ran now.

    Seeders must be idempotent: if the bot stops half-way, they all run again on the next start,
    and ``seeded_at`` is only written once every one of them has succeeded.
    """
    await db.execute(
        "INSERT OR IGNORE INTO guilds (guild_id, installed_at) VALUES (?, ?)", (guild_id, to_db(clock.now()))
    )
    if await db.fetchval("SELECT seeded_at FROM guilds WHERE guild_id = ?", (guild_id,)):
        return False
    for seeder in seeders:
        await seeder(guild_id)
    await db.execute("UPDATE guilds SET seeded_at = ? WHERE guild_id = ?", (to_db(clock.now()), guild_id))
    log.info("guild %s seeded", guild_id)
    return True


async def installed_at(db: Database, guild_id: int) -> datetime | None:
    value = await db.fetchval("SELECT installed_at FROM guilds WHERE guild_id = ?", (guild_id,))
    return None if value is None else from_db(value)
