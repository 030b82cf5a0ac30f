"""First sight of a guild: record when the bot arrived and run each feature's seeder once.

:class:`GuildSeeding` makes sure nothing is handled for a guild before that: whatever concerns a
guild waits for its seeding, which runs once per process and afterwards costs one set lookup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

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


class SeederRegistry(dict[str, GuildSeeder]):
    """Features' seeders by name; registering one makes every guild check it again (once)."""

    def __init__(self, on_added: Callable[[], None], seeders: Mapping[str, GuildSeeder]) -> None:
        super().__init__(seeders)
        self._on_added = on_added

    def __setitem__(self, name: str, seeder: GuildSeeder) -> None:
        super().__setitem__(name, seeder)
        self._on_added()


class GuildSeeding:
    """Seeds each guild once, and holds back what concerns a guild until it is seeded.

    The database records which seeders ran (see :func:`ensure_guild`); this process remembers the
    guilds it has checked in a set, so after the first time :meth:`ensure` and :meth:`after_seeding`
    cost one set lookup. Work held for a guild runs in arrival order once its seeding ended, even if
    the seeding failed (it is tried again with the guild's next event), so nothing is lost.
    """

    def __init__(self, db: Database, clock: Clock, seeders: Mapping[str, GuildSeeder]) -> None:
        self._db = db
        self._clock = clock
        self._seeded: set[int] = set()
        self.seeders = SeederRegistry(self.forget_all, seeders)
        self._running: dict[int, asyncio.Task[bool]] = {}
        self._held: dict[int, list[tuple[Callable[..., Any], tuple[Any, ...]]]] = {}

    def is_seeded(self, guild_id: int) -> bool:
        return guild_id in self._seeded

    def holds(self, guild_id: int) -> bool:
        """Whether work for the guild is waiting for its seeding."""
        return guild_id in self._held

    def forget_all(self) -> None:
        """A seeder was added: check every guild against the database again when next seen."""
        self._seeded.clear()

    def start(self, guild_id: int) -> asyncio.Task[bool] | None:
        """Start seeding ``guild_id`` unless it is seeded or being seeded; returns the running task."""
        if guild_id in self._seeded:
            return None
        task = self._running.get(guild_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._seed(guild_id), name=f"seed guild {guild_id}")
            self._running[guild_id] = task
        return task

    async def ensure(self, guild_id: int) -> bool:
        """Wait until ``guild_id`` is seeded (seeding it now if needed); False if seeding failed."""
        task = self.start(guild_id)
        return True if task is None else await asyncio.shield(task)

    def after_seeding(self, guild_id: int, work: Callable[..., Any], *args: Any) -> None:
        """Run ``work(*args)`` now if the guild is seeded, else as soon as its seeding ended, in order."""
        if guild_id in self._seeded and guild_id not in self._held:
            work(*args)
            return
        self._held.setdefault(guild_id, []).append((work, args))
        self.start(guild_id)

    async def settled(self) -> None:
        """Wait until every seeding started so far has ended."""
        while self._running:
            await asyncio.wait(list(self._running.values()))

    async def _seed(self, guild_id: int) -> bool:
        try:
            await ensure_guild(self._db, self._clock, guild_id, dict(self.seeders))
            self._seeded.add(guild_id)
            return True
        except Exception:
            log.exception("guild %s: seeding failed; it is tried again with the guild's next event", guild_id)
            return False
        finally:
            del self._running[guild_id]
            self._release(guild_id)

    def _release(self, guild_id: int) -> None:
        # One synchronous pass: nothing else runs between the held work and what arrives next.
        for work, args in self._held.pop(guild_id, ()):
            try:
                work(*args)
            except Exception:
                log.exception("guild %s: handling held work failed", guild_id)
