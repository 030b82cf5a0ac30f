"""Storage: migrations in one transaction, tracked by user_version; newer databases refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.db import Database, MigrationError, latest_version, migrate
from bot.db.migrate import load_migrations, schema_version


async def test_fresh_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.db")
    try:
        applied = await migrate(db)
        assert applied[0] == "001_core"
        assert await schema_version(db) == latest_version()
        assert await migrate(db) == []
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_every_table_carries_guild_id(db: Database) -> None:
    tables = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                               "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'")
    missing = []
    for row in tables:
        columns = {c["name"] for c in await db.fetchall(f"PRAGMA table_info({row['name']})")}
        if "guild_id" not in columns and not row["name"].endswith(("_fts_data", "_fts_idx", "_fts_docsize",
                                                                   "_fts_config", "_fts_content")):
            missing.append(row["name"])
    assert missing == []


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.db")
    try:
        await db.execute(f"PRAGMA user_version = {latest_version() + 1}")
        with pytest.raises(MigrationError, match="newer than this code"):
            await migrate(db)
    finally:
        await db.close()


async def test_a_failing_migration_leaves_nothing_half_written(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_one.sql").write_text("CREATE TABLE a (guild_id INTEGER);\n")
    (migrations / "002_two.sql").write_text("CREATE TABLE b (guild_id INTEGER);\nINSERT INTO nope VALUES (1);\n")
    db = await Database.open(tmp_path / "c.db")
    try:
        with pytest.raises(Exception, match="nope"):
            await migrate(db, migrations)
        assert await schema_version(db) == 0
        assert await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'") == []
    finally:
        await db.close()


def test_migration_numbers_must_not_have_gaps(tmp_path: Path) -> None:
    (tmp_path / "001_one.sql").write_text("SELECT 1;")
    (tmp_path / "003_three.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="numbered 002"):
        load_migrations(tmp_path)


async def test_transactions_from_two_tasks_do_not_mix(db: Database) -> None:
    await db.execute("CREATE TABLE t (guild_id INTEGER, n INTEGER)")

    async def failing() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1, 1)")
            await asyncio.sleep(0.01)
            raise RuntimeError("boom")

    async def other() -> None:
        await asyncio.sleep(0.001)
        await db.execute("INSERT INTO t VALUES (1, 2)")

    results = await asyncio.gather(failing(), other(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert [r["n"] for r in await db.fetchall("SELECT n FROM t")] == [2]


async def test_online_backup_copies_the_live_database(db: Database, tmp_path: Path) -> None:
    await db.execute("INSERT INTO guild_settings (guild_id, key, value) VALUES (1, 'k', 'v')")
    target = tmp_path / "backup.db"
    await db.backup(target)
    copy = await Database.open(target)
    try:
        assert await copy.fetchval("SELECT value FROM guild_settings WHERE key = 'k'") == "v"
    finally:
        await copy.close()
