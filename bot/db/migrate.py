"""Numbered SQL migrations, applied in one transaction and tracked by ``PRAGMA user_version``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.db.database import Database

MIGRATIONS_DIR = Path(str(resources.files("bot.db") / "migrations"))
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    """The database and the code disagree about the schema."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every ``NNN_name.sql`` file in order; numbers must run 1, 2, 3, … without gaps."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file {path.name} must be named NNN_name.sql")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(f"migration {migration.name} should be numbered {expected:03d}")
    return found


def latest_version(directory: Path = MIGRATIONS_DIR) -> int:
    migrations = load_migrations(directory)
    return migrations[-1].version if migrations else 0


async def schema_version(db: Database) -> int:
    return int(await db.fetchval("PRAGMA user_version", default=0))


async def migrate(db: Database, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations in one transaction; return their names.

    A database newer than this code is refused rather than guessed at.
    """
    migrations = load_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    async with db.transaction():
        current = await schema_version(db)
        if current > latest:
            raise MigrationError(
                f"the database at {db.path} is at schema version {current}, newer than this code "
                f"({latest}); run a newer Cohort or restore a backup"
            )
        pending = [m for m in migrations if m.version > current]
        for migration in pending:
            for statement in split_statements(migration.sql):
                await db.execute(statement)
        if pending:
            await db.execute(f"PRAGMA user_version = {latest}")
    return [m.name for m in pending]


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers' inner semicolons included)."""
    import sqlite3

    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise MigrationError(f"migration has an unterminated statement: {buffer.strip()[:60]}")
    return statements


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())
