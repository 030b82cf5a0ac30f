"""Benchmark: the reviewer draw at scale.

5,000 submissions, 3 reviewers each. Prints
* the draw alone (pure Python) and the whole round on a real SQLite file: the draw, 15,000 review
  rows and every notice written in one transaction (target for the round: <= 1 s, the median of
  --repeats runs), with the ratio of the two from the same run;
* the load balance (max - min reviews per reviewer, must be <= 1) and a check that nobody reviews
  their own submission (read back from the database).

Run: .venv/bin/python bench/reviews.py [--submissions 5000] [--reviewers 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FakeClock, to_db
from bot.db import Database, migrate
from bot.reviews import rounds, store
from bot.reviews.draw import draw_reviewers

GUILD = 1
TARGET_SECONDS = 1.0


async def main(count: int, reviewers: int, repeats: int) -> int:
    pairs = [(index + 1, 10_000 + index) for index in range(count)]
    started = time.perf_counter()
    draw = draw_reviewers(pairs, [], reviewers, seed=20261207)
    draw_seconds = time.perf_counter() - started

    clock = FakeClock()
    timings: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        await migrate(db)
        for _ in range(repeats):  # a fresh assignment each time; the machine is shared, so the median counts
            assignment = await store.create_assignment(db, clock, guild_id=GUILD, title="Bench", reviewers=reviewers,
                                                       due_at=clock.now() + timedelta(days=1))
            now = to_db(clock.now())
            async with db.transaction():
                await db.executemany(
                    "INSERT INTO reviews_submissions (guild_id, assignment_id, user_id, url, submitted_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(GUILD, assignment.id, user, f"https://example.org/{user}", now, now) for _, user in pairs])
            clock.advance(timedelta(days=1))
            started = time.perf_counter()
            result = await rounds.start_round(db, clock, assignment.id, seed=20261207)
            timings.append(time.perf_counter() - started)
            assert result is not None
        rows = await db.fetchall(
            "SELECT r.submission_id, r.reviewer_id, s.user_id AS author FROM reviews_reviews r "
            "JOIN reviews_submissions s ON s.id = r.submission_id WHERE r.assignment_id = ?", (assignment.id,))
        await db.close()
    round_seconds = statistics.median(timings)

    loads = Counter(row["reviewer_id"] for row in rows)
    per_submission = Counter(row["submission_id"] for row in rows)
    own = sum(1 for row in rows if row["reviewer_id"] == row["author"])
    spread = max(loads.values()) - min(loads.values())
    print(f"{count:,} submissions × {reviewers} reviewers = {len(rows):,} reviews")
    print(f"draw alone:                    {draw_seconds * 1000:8.1f} ms")
    print(f"whole round (draw + writes):   {round_seconds * 1000:8.1f} ms median of {repeats}, best "
          f"{min(timings) * 1000:.1f} ms (target <= {TARGET_SECONDS * 1000:.0f} ms; "
          f"{round_seconds / draw_seconds:.1f}× the draw alone)")
    print(f"load per reviewer: min {min(loads.values())}, max {max(loads.values())}, max - min = {spread}")
    print(f"reviewers per submission: {sorted(set(per_submission.values()))}; reviewing themselves: {own}")
    ok = (round_seconds <= TARGET_SECONDS and spread <= 1 and own == 0 and len(draw.pairs) == count * reviewers
          and set(per_submission.values()) == {reviewers} and len(per_submission) == count)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=5000)
    parser.add_argument("--reviewers", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.submissions, args.reviewers, args.repeats)))
