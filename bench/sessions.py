"""Benchmark: session jobs at scale.

10,000 future sessions with 3 reminders each. Prints
* how long building every scheduler job from the database takes at start (target <= 1 s),
  next to two baselines from the same run: the bare query, and adding as many bare APScheduler jobs;
* how late reminders fire while the scheduler holds all those jobs (target <= 1 s).

Run: .venv/bin/python bench/sessions.py [--sessions 10000] [--probes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SystemClock
from bot.db import Database, migrate
from bot.participation import ParticipationRecorder
from bot.sessions import deliveries, settings, store
from bot.sessions.jobs import SessionJobs
from bot.sessions.model import Attendee, Session

LOAD_GUILD = 1
PROBE_GUILD = 2


class LatenessProbe:
    """A notifier that notes how late each reminder arrives (real time vs. its due time)."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.done = asyncio.Event()
        self.expected = 0

    async def remind(self, session: Session, lead: timedelta, recipients: list[int]) -> None:
        due = session.starts_at - lead
        self.lateness.append((datetime.now(UTC) - due).total_seconds())
        if len(self.lateness) >= self.expected:
            self.done.set()

    async def announce(self, session: Session) -> None: ...

    async def starting(self, session: Session, recipients: list[int]) -> None: ...

    async def recap(self, session: Session, attendees: list[Attendee]) -> None: ...

    async def start_native_event(self, session: Session) -> None: ...

    async def end_native_event(self, session: Session) -> None: ...


async def fill(db: Database, count: int) -> float:
    """Schedule ``count`` sessions over the coming year through the domain; returns seconds taken."""
    clock = SystemClock()
    await settings.set_reminder_offsets(db, LOAD_GUILD, "24h,1h,15m")
    started = time.perf_counter()
    first = clock.now() + timedelta(days=2)
    span = timedelta(days=360)
    async with db.transaction():  # one commit: how a bulk import would do it
        for index in range(count):
            await store.schedule_session(db, clock, guild_id=LOAD_GUILD, host_id=1, topic_id=None,
                                         title=f"Session {index}", starts_at=first + span * index / count,
                                         duration=timedelta(hours=1), zone="Europe/Berlin")
    return time.perf_counter() - started


async def baseline_query(db: Database) -> float:
    started = time.perf_counter()
    await deliveries.next_pending_per_session(db)
    return time.perf_counter() - started


async def baseline_bare_jobs(count: int) -> float:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()

    async def nothing(*_: object) -> None: ...

    later = datetime.now(UTC) + timedelta(days=1)
    started = time.perf_counter()
    for index in range(count):
        scheduler.add_job(nothing, "date", run_date=later, id=f"bare:{index}", args=(index,))
    elapsed = time.perf_counter() - started
    scheduler.shutdown(wait=False)
    return elapsed


async def main(sessions: int, probes: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        await migrate(db)
        fill_seconds = await fill(db, sessions)
        reminder_rows = await db.fetchval("SELECT COUNT(*) FROM sessions_deliveries WHERE kind LIKE 'remind-%'")
        print(f"sessions: {sessions}, planned reminders: {reminder_rows} "
              f"(scheduling them took {fill_seconds:.1f} s, {sessions / fill_seconds:.0f} sessions/s)")

        query_seconds = await baseline_query(db)
        bare_seconds = await baseline_bare_jobs(sessions)

        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start()
        probe = LatenessProbe()
        clock = SystemClock()
        jobs = SessionJobs(db, clock, scheduler, probe, ParticipationRecorder(db, clock))  # type: ignore[arg-type]
        started = time.perf_counter()
        armed = await jobs.start()
        rebuild_seconds = time.perf_counter() - started
        print(f"rebuild at start: {rebuild_seconds * 1000:.0f} ms for {armed} jobs "
              f"({'OK' if rebuild_seconds <= 1 else 'OVER'} target 1000 ms)")
        print(f"  baseline, query alone: {query_seconds * 1000:.0f} ms "
              f"(rebuild is {rebuild_seconds / query_seconds:.1f}x)")
        print(f"  baseline, {sessions} bare APScheduler add_job calls: {bare_seconds * 1000:.0f} ms "
              f"(rebuild is {rebuild_seconds / bare_seconds:.2f}x)")

        # Lateness under load: probes due over the next few seconds while all jobs are held.
        await settings.set_reminder_offsets(db, PROBE_GUILD, "1m")
        probe.expected = probes
        now = clock.now()
        for index in range(probes):
            session = await store.schedule_session(
                db, clock, guild_id=PROBE_GUILD, host_id=1, topic_id=None, title=f"Probe {index}",
                starts_at=now + timedelta(minutes=1, seconds=2 + index * 0.15), duration=timedelta(hours=1),
                zone="UTC")
            await jobs.sync(session.id)
        print(f"scheduler now holds {len(scheduler.get_jobs())} jobs; waiting for {probes} probe reminders…")
        await asyncio.wait_for(probe.done.wait(), timeout=30)
        worst = max(probe.lateness)
        print(f"reminder lateness: median {statistics.median(probe.lateness) * 1000:.0f} ms, "
              f"worst {worst * 1000:.0f} ms ({'OK' if worst <= 1 else 'OVER'} target 1000 ms)")
        await asyncio.sleep(0.5)  # let the probes' follow-up work (re-arming) finish before closing
        scheduler.shutdown(wait=False)
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sessions, arguments.probes))
