"""One aiosqlite connection, shared by the whole bot.

Writes are serialised by a lock so that one coroutine's transaction never swallows another's
statements. Inside ``async with db.transaction():`` the same methods join the transaction, so a
domain function can be called on its own or as part of a larger unit of work.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]
BUSY_TIMEOUT_MS = 5000
# Reads go through a memory map of the file, up to this size, instead of a read() call that copies
# each page missing from SQLite's small cache: at 100,000 resources a search's ~0.15 ms of system
# CPU (page reads of the full-text index) drops to ~0. Address space only; the pages are the OS's
# file cache, shared and reclaimable.
MMAP_BYTES = 1 << 30
T = TypeVar("T")


def _first(cursor: sqlite3.Cursor) -> Row | None:
    try:
        return cursor.fetchone()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def _write_result(cursor: sqlite3.Cursor) -> tuple[int | None, int]:
    result = (cursor.lastrowid, cursor.rowcount)
    cursor.close()
    return result


class DatabaseError(Exception):
    """The database cannot be used; the message says why."""


class Database:
    """The bot's database connection. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self._in_transaction: ContextVar[bool] = ContextVar(f"db_tx_{id(self)}", default=False)

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database with WAL, foreign keys and a busy timeout."""
        path = Path(path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"DATABASE_PATH: cannot open {path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        return cls(conn, path)

    async def close(self) -> None:
        async with self._write_lock:
            await self._conn.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """The raw connection, for the migration runner and the backup command."""
        return self._conn

    # Reads -------------------------------------------------------------------------------
    # Each statement runs in one trip to aiosqlite's thread (execute, fetch and close together):
    # a trip costs about as much CPU as a simple query, and a command makes several.
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._in_thread(lambda connection: connection.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._in_thread(lambda connection: _first(connection.execute(sql, params)))

    async def fetchval(self, sql: str, params: Params = (), default: Any = None) -> Any:
        row = await self.fetchone(sql, params)
        return default if row is None else row[0]

    # Writes ------------------------------------------------------------------------------
    async def execute(self, sql: str, params: Params = ()) -> tuple[int | None, int]:
        """Run one write; returns ``(lastrowid, rowcount)``."""
        async with self._writing():
            return await self._in_thread(lambda connection: _write_result(connection.execute(sql, params)))

    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write with a ``RETURNING`` clause and return its rows."""
        async with self._writing():
            return await self._in_thread(lambda connection: connection.execute(sql, params).fetchall())

    async def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on the connection in aiosqlite's thread, as one queued call."""
        connection = self._conn
        return await connection._execute(lambda: work(connection._conn))  # type: ignore[no-any-return]

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        async with self._writing():
            cursor = await self._conn.executemany(sql, rows)
            count = cursor.rowcount
            await cursor.close()
            return count

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """Everything inside commits together or not at all."""
        if self._in_transaction.get():
            yield self
            return
        async with self._write_lock:
            token = self._in_transaction.set(True)
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                self._in_transaction.reset(token)

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        if self._in_transaction.get():
            yield
        else:
            async with self._write_lock:
                yield

    async def backup(self, target: str | Path) -> None:
        """Copy the live database to ``target`` with SQLite's online backup API."""
        target = Path(target)
        async with self._write_lock:
            dest = await aiosqlite.connect(target)
            try:
                await self._conn.backup(dest)
            finally:
                await dest.close()
