"""Benchmark: study plans at scale.

A 10-week plan of 60 items with 1,000 enrolled members (about half of the items done). Prints
* the board query (target <= 20 ms), median of repeated runs;
* the board PNG render with the pictures module (target <= 150 ms), median;
* the job that posts the week's card and its deadline reminders for 100 running plans in 100 guilds,
  1,000 members each, 5 % of them reminded by DM (target <= 1 s), with Discord replaced by a recorder.

Run: .venv/bin/python bench/plans.py [--members 1000] [--plans 100] [--repeat 20]
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

from bot.clock import FakeClock, to_db
from bot.db import Database, migrate
from bot.plans import pictures, progress, store
from bot.plans.jobs import PlanJobs
from bot.plans.model import Due, ItemDoc, ItemKind, PlanDoc, UnitDoc
from tests.plans_support import RecordingNotifier

WEEKS, ITEMS_PER_WEEK = 10, 6
KINDS = list(ItemKind)


def plan_doc(title: str) -> PlanDoc:
    """10 weeks × 6 items; each week's exercise is due on its first day at 20:00, so its reminder
    falls due with the week's card."""
    units = []
    for week in range(1, WEEKS + 1):
        items = [ItemDoc(KINDS[i % len(KINDS)], f"Item {week}.{i}", f"https://example.org/{week}/{i}",
                         required=i != 5, minutes=30, due=Due(0, 20 * 60) if i == 2 else Due(6, 23 * 60 + 59))
                 for i in range(ITEMS_PER_WEEK)]
        units.append(UnitDoc(week, f"Week {week} topic", (f"Goal of week {week}",), tuple(items)))
    return PlanDoc(title=title, units=tuple(units))


async def make_plan(db: Database, clock: FakeClock, guild_id: int, members: int, *, done_share: float) -> store.Plan:
    created = await store.create_plan(db, clock, guild_id=guild_id, doc=plan_doc(f"Plan {guild_id}"),
                                      created_by=1, channel_id=guild_id * 10)
    plan = await store.start_plan(db, clock, created.plan, start="2027-01-04 09:00", zone="Europe/Berlin")
    now = to_db(clock.now())
    users = range(1_000_000, 1_000_000 + members)
    item_ids = [item.id for item in await store.items(db, plan.id)]
    async with db.transaction():
        await db.executemany("INSERT INTO plans_enrolments (guild_id, plan_id, user_id, joined_at) VALUES (?, ?, ?, ?)",
                             [(guild_id, plan.id, user, now) for user in users])
        await db.executemany("INSERT INTO plans_member_settings (guild_id, user_id, remind_dm) VALUES (?, ?, 1)",
                             [(guild_id, user) for user in users if user % 20 == 0])
        done = int(len(item_ids) * done_share)
        await db.executemany(
            "INSERT INTO plans_progress (guild_id, plan_id, item_id, user_id, done_at) VALUES (?, ?, ?, ?, ?)",
            [(guild_id, plan.id, item_id, user, now) for user in users
             for item_id in item_ids[: (done + user % 7 - 3) % len(item_ids)]])
    return plan


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def bench_board(db: Database, clock: FakeClock, members: int, repeat: int) -> None:
    plan = await make_plan(db, clock, 1, members, done_share=0.5)
    clock.set(datetime(2027, 2, 3, 12, tzinfo=UTC))  # week 5
    rows = await db.fetchval("SELECT COUNT(*) FROM plans_progress WHERE plan_id = ?", (plan.id,))
    samples = []
    board = None
    for _ in range(repeat):
        began = time.perf_counter()
        board = await progress.board(db, plan, now=clock.now(), viewer_id=1_000_007, viewer_name="member 7")
        samples.append(time.perf_counter() - began)
    assert board is not None
    print(f"board query, {members} members x {WEEKS * ITEMS_PER_WEEK} items ({rows} done): "
          f"median {median_ms(samples):.1f} ms, max {max(samples) * 1000:.1f} ms  (target <= 20 ms)")
    renders = []
    size = 0
    for _ in range(max(5, repeat // 2)):
        began = time.perf_counter()
        png = pictures.render_board(board)
        renders.append(time.perf_counter() - began)
        size = len(png)
    print(f"board PNG render ({size:,} bytes): median {median_ms(renders):.1f} ms, max {max(renders) * 1000:.1f} ms"
          "  (target <= 150 ms)")


async def bench_jobs(db: Database, clock: FakeClock, plans: int, members: int) -> None:
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    created = [await make_plan(db, clock, 100 + g, members, done_share=0.0) for g in range(plans)]
    notifier = RecordingNotifier()
    jobs = PlanJobs(db, clock, AsyncIOScheduler(timezone="UTC"), notifier)
    week3 = store.week_start(created[0], 3)
    assert week3 is not None
    # Weeks 1 and 2 went out on time; week 3 begins now.
    clock.set(week3 - timedelta(minutes=1))
    for plan in created:
        await jobs.post_due(plan.id)
    notifier.sent.clear()
    clock.set(week3 + timedelta(seconds=1))
    began = time.perf_counter()
    sent = [key for plan in created for key in await jobs.post_due(plan.id)]
    elapsed = time.perf_counter() - began
    cards = sum(1 for key in sent if key.startswith("card:"))
    reminders = sum(1 for key in sent if key.startswith("deadline:"))
    dms = sum(1 for key in sent if key.startswith("deadline-dm:"))
    print(f"weekly job, {plans} plans in {plans} guilds x {members} members: {elapsed * 1000:.0f} ms for "
          f"{cards} cards, {reminders} thread reminders and {dms} DM reminders  (target <= 1 s)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--plans", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        try:
            await migrate(db)
            clock = FakeClock(datetime(2027, 1, 1, tzinfo=UTC))
            await bench_board(db, clock, args.members, args.repeat)
            await bench_jobs(db, clock, args.plans, args.members)
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
