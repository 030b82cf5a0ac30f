"""Storage: one SQLite database in WAL mode, migrated at start."""

from bot.db.database import Database, DatabaseError, Row
from bot.db.migrate import MigrationError, latest_version, migrate

__all__ = ["Database", "DatabaseError", "MigrationError", "Row", "latest_version", "migrate"]
