"""The participation record: per member, per UTC day, counts of what they did.

Events arrive far more often than is worth a commit each (every message counts), so they are
added up in memory and written in one batch every few seconds and on shutdown. A crash loses at
most the last few seconds of counts, never anything else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.clock import Clock
from bot.db import Database

COUNTERS = ("messages", "resources_shared", "upvotes_received", "sessions_attended")
Key = tuple[int, int, str]  # guild_id, user_id, day


@dataclass
class _Counts:
    messages: int = 0
    resources_shared: int = 0
    upvotes_received: int = 0
    sessions_attended: int = 0


class ParticipationRecorder:
    """Buffers participation counts and flushes them in batches."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._pending: defaultdict[Key, _Counts] = defaultdict(_Counts)

    def record(self, guild_id: int, user_id: int, *, messages: int = 0, resources_shared: int = 0,
               upvotes_received: int = 0, sessions_attended: int = 0) -> None:
        """Count something a member did today. Cheap: no I/O until :meth:`flush`."""
        counts = self._pending[(guild_id, user_id, self._clock.now().date().isoformat())]
        counts.messages += messages
        counts.resources_shared += resources_shared
        counts.upvotes_received += upvotes_received
        counts.sessions_attended += sessions_attended

    @property
    def pending(self) -> int:
        return len(self._pending)

    def discard(self, user_id: int, guild_id: int | None = None) -> None:
        """Drop a user's buffered counts, in one guild or all (they asked to be forgotten)."""
        for key in [k for k in self._pending if k[1] == user_id and guild_id in (None, k[0])]:
            del self._pending[key]

    async def flush(self) -> int:
        """Write everything buffered in one transaction; returns the number of rows touched."""
        if not self._pending:
            return 0
        batch, self._pending = self._pending, defaultdict(_Counts)
        rows = [
            (g, u, day, c.messages, c.resources_shared, c.upvotes_received, c.sessions_attended)
            for (g, u, day), c in batch.items()
        ]
        try:
            async with self._db.transaction():
                await self._db.executemany(
                    "INSERT INTO participation_daily (guild_id, user_id, day, messages, resources_shared, "
                    "upvotes_received, sessions_attended) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (guild_id, user_id, day) DO UPDATE SET "
                    "messages = messages + excluded.messages, "
                    "resources_shared = resources_shared + excluded.resources_shared, "
                    "upvotes_received = upvotes_received + excluded.upvotes_received, "
                    "sessions_attended = sessions_attended + excluded.sessions_attended",
                    rows,
                )
        except BaseException:
            self._merge_back(batch)
            raise
        return len(rows)

    def _merge_back(self, batch: defaultdict[Key, _Counts]) -> None:
        for key, counts in batch.items():
            mine = self._pending[key]
            for name in COUNTERS:
                setattr(mine, name, getattr(mine, name) + getattr(counts, name))
