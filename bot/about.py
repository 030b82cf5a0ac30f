"""Numbers for /about: what this guild holds, whatever features are installed."""

from __future__ import annotations

from bot.db import Database

COUNTED_TABLES = ("topics", "resources", "sessions", "feeds")


async def guild_counts(db: Database, guild_id: int) -> dict[str, int]:
    """Row counts per feature table for one guild (tables a feature has not created are skipped)."""
    existing = {row["name"] for row in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts = {}
    for table in COUNTED_TABLES:
        if table in existing:
            counts[table] = int(await db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE guild_id = ?", (guild_id,)))
    return counts


async def database_size(db: Database) -> int:
    """Bytes used by the database file (pages in use times page size)."""
    pages = await db.fetchval("PRAGMA page_count", default=0)
    size = await db.fetchval("PRAGMA page_size", default=0)
    return int(pages) * int(size)
