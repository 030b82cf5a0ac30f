"""The participation record: per member, per UTC day, counts of what they did.

Events arrive far more often than is worth a commit each (every message counts), so they are
added up in memory and written in one batch every few seconds and on shutdown. A crash loses at
most the last few seconds of counts, never anything else.
"""

from __future__ import annotations

from collections import defaultdict

from bot.clock import Clock
from bot.db import Database

# Every counter of participation_daily, in column order. Each is a number of things done that day.
COUNTERS = (
    "messages", "resources_shared", "upvotes_received", "sessions_attended",
    "plan_items_done", "checkins", "buddy_meetings", "submissions", "reviews_given", "helpful_marks",
)
# A day is active when any counter is positive (an upvote taken back leaves a -1 that is not activity).
ACTIVE_DAY_SQL = "(" + " OR ".join(f"{name} > 0" for name in COUNTERS) + ")"
Key = tuple[int, int, str]  # guild_id, user_id, day

_INSERT = (
    f"INSERT INTO participation_daily (guild_id, user_id, day, {', '.join(COUNTERS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' for _ in COUNTERS)}) "
    "ON CONFLICT (guild_id, user_id, day) DO UPDATE SET "
    + ", ".join(f"{name} = {name} + excluded.{name}" for name in COUNTERS)
)


class ParticipationRecorder:
    """Buffers participation counts and flushes them in batches."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._pending: defaultdict[Key, dict[str, int]] = defaultdict(dict)

    def record(self, guild_id: int, user_id: int, **counts: int) -> None:
        """Count something a member did today, by counter name (``checkins=1``). No I/O until :meth:`flush`."""
        unknown = set(counts) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown participation counters: {', '.join(sorted(unknown))}")
        mine = self._pending[(guild_id, user_id, self._clock.now().date().isoformat())]
        for name, value in counts.items():
            mine[name] = mine.get(name, 0) + value

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
        batch, self._pending = self._pending, defaultdict(dict)
        rows = [(g, u, day, *(counts.get(name, 0) for name in COUNTERS)) for (g, u, day), counts in batch.items()]
        try:
            async with self._db.transaction():
                await self._db.executemany(_INSERT, rows)
        except BaseException:
            self._merge_back(batch)
            raise
        return len(rows)

    def _merge_back(self, batch: defaultdict[Key, dict[str, int]]) -> None:
        for key, counts in batch.items():
            mine = self._pending[key]
            for name, value in counts.items():
                mine[name] = mine.get(name, 0) + value
