"""Benchmark: drawing the plan pictures, alone (no database), at the issue's size and at the largest plan.

    .venv/bin/python bench/plans_pictures.py [--members 1000] [--runs 50]

* board: 1,000 enrolled members × a 10-week plan of 60 items (6 a week, 5 required); each member's
  progress is simulated (members fall behind week by week), and the board's rows are computed from
  it as the store's board query would. Target: render <= 150 ms.
* the same at the limits: 52 weeks, and a progress card of 52 weeks × 50 items.
* the text summaries, for completeness.

Medians and the slowest run are printed; the first render (fonts loaded) is reported on its own.
``bench/plans.py`` measures the board render again next to the database query it depends on.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from bot.plans import pictures
from bot.plans.model import Board, BoardWeek, CardItem, CardWeek, DueSoon, ItemKind, ProgressCard

TARGET_MS = 150


def cohort_board(members: int, weeks: int, items: int, rng: random.Random, current: int) -> Board:
    required = max(1, items * 5 // 6)
    rows = []
    for number in range(1, weeks + 1):
        keen = max(0.0, 1.0 - 0.12 * number) if number <= current else 0.0
        done_counts = [sum(rng.random() < keen for _ in range(required)) for _ in range(members)]
        rows.append(BoardWeek(number, f"Week {number}: a syllabus topic with a title of ordinary length",
                              members_done=sum(count == required for count in done_counts),
                              items_done_share=sum(done_counts) / (members * required) if members else 0.0,
                              mine_done=done_counts[0] if members else None, mine_total=required))
    return Board("Machine learning systems design (CS 329S)", members, tuple(rows), current, "Alice")


def card(weeks: int, items: int, rng: random.Random) -> ProgressCard:
    kinds = list(ItemKind)
    return ProgressCard("Alice", "Machine learning systems design (CS 329S)", tuple(
        CardWeek(number, tuple(CardItem(f"Item {number}.{i}", kinds[i % 6], rng.random() < 0.5, i % 6 != 5)
                               for i in range(items))) for number in range(1, weeks + 1)),
        current_week=min(weeks, 4), streak=3,
        due_soon=tuple(DueSoon(f"Assignment {n}", "Fri 18:00") for n in range(3)))


def timed(label: str, runs: int, render: Callable[[], object]) -> float:
    began = time.perf_counter()
    first = render()
    first_ms = (time.perf_counter() - began) * 1000
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        render()
        times.append((time.perf_counter() - began) * 1000)
    size = f" ({len(first):,} bytes)" if isinstance(first, bytes) else ""
    median = statistics.median(times)
    print(f"{label}{size}: median {median:.1f} ms, slowest {max(times):.1f} ms, first {first_ms:.1f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(329)
    board = cohort_board(args.members, 10, 6, rng, current=4)
    median = timed(f"board, {args.members:,} members × 10 weeks × 60 items", args.runs,
                   lambda: pictures.render_board(board))
    print(f"  target <= {TARGET_MS} ms: {'met' if median <= TARGET_MS else 'MISSED'}")
    big = cohort_board(50, 52, 50, rng, current=30)
    timed("board, 52 weeks", args.runs, lambda: pictures.render_board(big))
    timed("progress card, 10 weeks × 6 items", args.runs, lambda: pictures.render_progress_card(card(10, 6, rng)))
    large = card(52, 50, rng)
    timed("progress card, 52 weeks × 50 items", args.runs, lambda: pictures.render_progress_card(large))
    timed("describe_board + describe_progress", args.runs,
          lambda: (pictures.describe_board(board), pictures.describe_progress(large)))


if __name__ == "__main__":
    main()
