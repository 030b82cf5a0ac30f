"""First sight of a guild: record when the bot arrived and run each feature's seeder once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from bot.clock import Clock, from_db, to_db
from bot.db import Database

log = logging.getLogger(__name__)
GuildSeeder = Callable[[int], Awaitable[None]]


async def ensure_guild(db: Database, clock: Clock, guild_id: int, seeders: Mapping[str, GuildSeeder]) -> list[str]:
    """Run every named seeder that has not yet run for this guild; return the names that ran.

    Seeders are tracked by name, so a feature added later still seeds guilds the bot already
    knew. A seeder is marked done only after it succeeds; one that failed runs again next time,
    so seeders must be idempotent.
    """
    await db.execute(
        "INSERT OR IGNORE INTO guilds (guild_id, installed_at) VALUES (?, ?)", (guild_id, to_db(clock.now()))
    )
    done = {row["seeder"] for row in await db.fetchall(
        "SELECT seeder FROM guild_seeds WHERE guild_id = ?", (guild_id,))}
    ran = []
    for name, seeder in seeders.items():
        if name in done:
            continue
        await seeder(guild_id)
        await db.execute("INSERT INTO guild_seeds (guild_id, seeder, seeded_at) VALUES (?, ?, ?)",
                         (guild_id, name, to_db(clock.now())))
        ran.append(name)
    if ran:
        log.info("guild %s seeded: %s", guild_id, ", ".join(ran))
    return ran


async def installed_at(db: Database, guild_id: int) -> datetime | None:
    value = await db.fetchval("SELECT installed_at FROM guilds WHERE guild_id = ?", (guild_id,))
    return None if value is None else from_db(value)
