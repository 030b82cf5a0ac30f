"""Benchmark the gate: the inactivity report over 10,000 members × 90 days, and the cost of counting
10,000 messages per second (buffered, flushed every 5 s) as a share of one core.

Run: .venv/bin/python bench/gate.py
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot import guilds
from bot.clock import FakeClock, SystemClock
from bot.db import Database, migrate
from bot.gate.inactivity import MemberSince, inactivity_report, report_csv
from bot.participation import ParticipationRecorder

GUILD = 1
MEMBERS = 10_000
DAYS = 90
REPORT_RUNS = 15
REPORT_BUDGET_MS = 200
EVENTS_PER_SECOND = 10_000
RECORD_SECONDS = 12
FLUSH_SECONDS = 5
TICK_SECONDS = 0.01
CPU_BUDGET = 0.20
NOW = datetime.now(UTC).replace(microsecond=0)


async def populate(db: Database) -> float:
    """10,000 members with a row for each of the last 90 days; a tenth went quiet 60 days ago."""
    rng = random.Random(7)
    await guilds.ensure_guild(db, FakeClock(NOW - timedelta(days=365)), GUILD, {})
    today = NOW.date()
    started = time.perf_counter()
    async with db.transaction():
        for user_id in range(1, MEMBERS + 1):
            quiet_for = 60 if user_id % 10 == 0 else 0
            rows = [(GUILD, user_id, (today - timedelta(days=day)).isoformat(), rng.randint(1, 40),
                     rng.randint(0, 1), rng.randint(0, 3), rng.randint(0, 1))
                    for day in range(quiet_for, DAYS)]
            await db.executemany(
                "INSERT INTO participation_daily (guild_id, user_id, day, messages, resources_shared, "
                "upvotes_received, sessions_attended) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return time.perf_counter() - started


async def timed_ms(make: object, runs: int) -> list[float]:
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()  # type: ignore[operator]
        results.append((time.perf_counter() - started) * 1000)
    return results


async def bench_report(db: Database) -> None:
    clock = FakeClock(NOW)
    members = [MemberSince(user_id, NOW - timedelta(days=400)) for user_id in range(1, MEMBERS + 1)]

    async def report() -> object:
        return await inactivity_report(db, clock, guild_id=GUILD, members=members, days=45)

    async def report_and_csv() -> object:
        return report_csv(await report(), {m.user_id: f"member{m.user_id}" for m in members})

    async def naive_group_by() -> object:
        # The baseline the totals table avoids: summing every day of everyone on each report.
        return await db.fetchall(
            "SELECT user_id, MAX(day), SUM(messages), SUM(resources_shared), SUM(upvotes_received), "
            "SUM(sessions_attended) FROM participation_daily WHERE guild_id = ? GROUP BY user_id", (GUILD,))

    found = await report()
    assert len(found.members) == MEMBERS // 10, len(found.members)  # type: ignore[attr-defined]
    service = await timed_ms(report, REPORT_RUNS)
    with_csv = await timed_ms(report_and_csv, REPORT_RUNS)
    baseline = await timed_ms(naive_group_by, 5)
    median = statistics.median(service)
    print(f"/gate report, service layer ({MEMBERS:,} members × {DAYS} days, "
          f"{len(found.members):,} inactive):")  # type: ignore[attr-defined]
    print(f"  median {median:7.1f} ms   p95 {sorted(service)[int(len(service) * 0.95) - 1]:7.1f} ms   "
          f"budget {REPORT_BUDGET_MS} ms   {'OK' if median <= REPORT_BUDGET_MS else 'OVER BUDGET'}")
    print(f"  with CSV       median {statistics.median(with_csv):7.1f} ms")
    print(f"  baseline GROUP BY over the daily rows: median {statistics.median(baseline):7.1f} ms "
          f"(report is {statistics.median(baseline) / median:.1f}× faster)")


async def bench_recording(db: Database) -> None:
    recorder = ParticipationRecorder(db, SystemClock())
    rng = random.Random(11)
    authors = [rng.randint(1, MEMBERS) for _ in range(EVENTS_PER_SECOND)]
    per_tick = int(EVENTS_PER_SECOND * TICK_SECONDS)
    flushed_rows: list[int] = []

    async def flusher() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            flushed_rows.append(await recorder.flush())

    task = asyncio.create_task(flusher())
    loop = asyncio.get_running_loop()
    events = 0
    cpu_start, wall_start = time.process_time(), loop.time()
    next_tick = wall_start
    while (elapsed := loop.time() - wall_start) < RECORD_SECONDS:
        # Catch up to the target rate, so a slow tick (a flush) does not lower the load.
        for _ in range(int(elapsed * EVENTS_PER_SECOND) + per_tick - events):
            recorder.record(GUILD, authors[events % EVENTS_PER_SECOND], messages=1)
            events += 1
        next_tick += TICK_SECONDS
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
    recording_wall = loop.time() - wall_start
    task.cancel()
    flushed_rows.append(await recorder.flush())  # the shutdown flush
    cpu, wall = time.process_time() - cpu_start, loop.time() - wall_start
    share = cpu / wall
    print(f"recording {events / recording_wall:,.0f} message events/s for {recording_wall:.1f} s with "
          f"{len(flushed_rows)} flushes ({sum(flushed_rows):,} rows written):")
    print(f"  CPU {cpu:.2f} s over {wall:.1f} s = {share:.1%} of one core   budget {CPU_BUDGET:.0%}   "
          f"{'OK' if share <= CPU_BUDGET else 'OVER BUDGET'}")

    # Baselines in the same run: the idle pacing loop alone, and one commit per message.
    cpu_start, wall_start = time.process_time(), loop.time()
    next_tick = wall_start
    while loop.time() - wall_start < 3:
        next_tick += TICK_SECONDS
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
    idle = (time.process_time() - cpu_start) / (loop.time() - wall_start)
    sample = 2000
    cpu_start = time.process_time()
    for index in range(sample):
        await db.execute(
            "INSERT INTO participation_daily (guild_id, user_id, day, messages) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (guild_id, user_id, day) DO UPDATE SET messages = messages + 1",
            (GUILD, authors[index], date.today().isoformat()))
    per_commit = (time.process_time() - cpu_start) / sample
    print(f"  baseline: the pacing loop alone costs {idle:.1%}; one commit per message would cost "
          f"{per_commit * EVENTS_PER_SECOND:.0%} of a core ({per_commit * EVENTS_PER_SECOND / share:.0f}× more)")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            await migrate(db)
            seconds = await populate(db)
            rows = await db.fetchval("SELECT COUNT(*) FROM participation_daily")
            print(f"populated {rows:,} participation rows in {seconds:.1f} s (totals kept by triggers)")
            await bench_report(db)
            await bench_recording(db)
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
