"""Benchmark: the resource library at 100,000 resources in one guild, and slash commands under load.

    .venv/bin/python bench/resources.py [--resources 100000] [--queries 1000] [--like-queries 40]
                                        [--members 50] [--commands 20] [--pause 1.0]

1. Service layer, on a temporary SQLite file holding ``--resources`` resources in one guild, spread
   over 10 topics. Titles and notes are English prose with its real word frequencies (the docstrings
   of Python's standard library, stop words included) mixed with an ML vocabulary (Zipf), so common
   words match tens of thousands of resources, as "learning" would; tags come from the ML vocabulary.
   * ``search``: queries of 1–3 words, mostly ML words, some English (by frequency, so "the" too),
     the last word often cut short as while typing, through ``search_resources`` (FTS5, bm25). The
     first ``--like-queries`` of them, in the same run, also through the naive ``LIKE '%q%'`` over
     title, note, tags and host, best-voted first.
   * ``list``: pages of ``/resource list`` (random topic, sort, level/kind filter, and a page drawn
     uniformly from all its pages, so deep pages count as much as the first).
2. Round trip through the stand-in: the real bot on that same database, the stand-in and its members
   in a second process (as Discord is not in the bot's process). ``--members`` members start at once
   and each issue ``--commands`` commands (40 % search, 30 % list, 20 % show, 10 % upvote), pausing
   up to ``--pause`` seconds between their own commands. Then the same at up to 0.2 s (a stress far
   above human pace), and a burst of one command per member at the same instant. Latency is from
   the stand-in sending INTERACTION_CREATE to it receiving the bot's interaction callback; the target
   is checked on the first run.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import itertools
import logging
import multiprocessing
import random
import re
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import topics
from bot.clock import SystemClock, to_db
from bot.config import Settings
from bot.db import Database, migrate
from bot.resources import library, search
from bot.resources.model import KINDS, LEVELS
from bot.runner import open_bot
from tests.standin import StandIn

LIMITS_MS = {"search p95": 5.0, "list p95": 5.0, "round trip p99": 50.0}
SEED = 7
TOPICS = 10
COMMON = ("machine learning deep neural network model models training inference browser webgpu webassembly "
          "javascript python online streaming stream drift monitoring pipeline pipelines feature features store "
          "deployment serving kubernetes tensor transformer transformers language vision audio reinforcement "
          "bandit bandits gradient optimization convex regret tree trees forest boosting regression "
          "classification clustering embedding embeddings retrieval search vector database evaluation metrics "
          "experiment tracking reproducibility data quality labeling privacy federated edge mobile quantization "
          "distillation compiler runtime onnx tensorflow pytorch jax scikit river vowpal mlflow kubeflow feast "
          "evidently airflow ray spark kafka flink guide introduction tutorial practical paper survey course "
          "lecture notes book chapter benchmark production systems design scalable real time fast efficient "
          "learning-rate attention llm agents fine-tuning rag graph time-series anomaly detection forecasting "
          "recommendation ranking explainability fairness testing debugging profiling gpu cpu cache").split()


# Data -------------------------------------------------------------------------------------------
def english_words() -> tuple[list[str], list[float]]:
    """Real English prose, with its real word frequencies: the docstrings of Python's standard library.

    About 260,000 words and 9,000 distinct ones, stop words included: what titles and notes are made
    of, so prefix sharing ("learn", "learned", "learning") and common words behave as in real text.
    """
    counts: Counter[str] = Counter()
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.glob("*.py")) + sorted(root.glob("*/*.py")):
        if "test" in path.parts or "idlelib" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                docstring = ast.get_docstring(node)
                if docstring:
                    counts.update(re.findall(r"[a-z]+", docstring.lower()))
    words = sorted(counts)
    return words, list(itertools.accumulate(counts[w] for w in words))


class Vocabulary:
    """Words as people write them: English prose (by real frequency) mixed with an ML vocabulary (Zipf)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.english, self.english_weights = english_words()
        self.domain_weights = list(itertools.accumulate(1 / rank for rank in range(1, len(COMMON) + 1)))

    def word(self, domain_share: float) -> str:
        if self.rng.random() < domain_share:
            return self.rng.choices(COMMON, cum_weights=self.domain_weights)[0]
        return self.rng.choices(self.english, cum_weights=self.english_weights)[0]

    def words(self, low: int, high: int, domain_share: float) -> str:
        return " ".join(self.word(domain_share) for _ in range(self.rng.randint(low, high)))

    def title(self) -> str:
        return self.words(3, 10, 0.2).capitalize()

    def note(self) -> str:
        return self.words(0, 30, 0.1)

    def query(self) -> str:
        """1–3 words, mostly the subject's own words; the last one often cut short, as while typing."""
        words = [self.word(0.6) for _ in range(self.rng.choice((1, 1, 2, 2, 3)))]
        if self.rng.random() < 0.5 and len(words[-1]) > 3:
            words[-1] = words[-1][: self.rng.randint(2, len(words[-1]) - 1)]
        return " ".join(words)


async def fill(db: Database, guild_id: int, count: int, vocabulary: Vocabulary, rng: random.Random) -> list[int]:
    """``count`` resources in one guild over ``TOPICS`` topics, inserted in batches as an import would."""
    clock = SystemClock()
    await topics.seed_topics(db, clock, guild_id)
    for i in range(TOPICS - 3):
        await topics.add_topic(db, clock, guild_id=guild_id, slug=f"topic-{i}", name=f"Topic {i}")
    topic_ids = [t.id for t in await topics.list_topics(db, guild_id)]
    hosts = [f"{vocabulary.word(0.5).replace('-', '')}{i}.example.org" for i in range(1000)]
    now = to_db(clock.now())
    due = to_db(clock.now() + library.CHECK_EVERY)  # as when just added: the weekly link check is not due
    tag_pool = [w for w in COMMON if len(w) <= 30][:150]
    for start in range(0, count, 5000):
        rows = []
        for i in range(start, min(start + 5000, count)):
            host = rng.choice(hosts)
            tags = ",".join(sorted({rng.choice(tag_pool) for _ in range(rng.randint(0, 4))}))
            rows.append((guild_id, f"https://{host}/r/{i}", host, vocabulary.title(), vocabulary.note(),
                         rng.choice((*LEVELS, None)), rng.choice((*KINDS, None)), tags,
                         rng.choice(topic_ids), rng.randint(1, 5000), int(rng.expovariate(0.3)), now, due))
        async with db.transaction():
            await db.executemany(
                "INSERT INTO resources (guild_id, url, host, title, note, level, kind, tags, topic_id, author_id, "
                "votes, created_at, next_check_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return topic_ids


# Measuring --------------------------------------------------------------------------------------
def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(name: str, seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    figures = {"p50": percentile(ms, 0.5), "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99),
               "max": max(ms), "mean": statistics.fmean(ms)}
    print(f"  {name:<34} n={len(ms):<5} " + "  ".join(f"{k} {v:8.2f} ms" for k, v in figures.items()))
    return figures


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def service_layer(db: Database, guild_id: int, topic_ids: list[int], vocabulary: Vocabulary,
                        rng: random.Random, queries: int, like_queries: int) -> dict[str, float]:
    texts = [vocabulary.query() for _ in range(queries)]
    await search.search_resources(db, guild_id, "warm up")  # first use reads the index pages from disk
    results = {}
    print("\nsearch (service layer)")
    fts = describe("FTS5 bm25 search_resources", await timed(
        [lambda t=t: search.search_resources(db, guild_id, t) for t in texts]))
    like = describe(f"LIKE '%q%' baseline (first {like_queries})", await timed(
        [lambda t=t: search.search_with_like(db, guild_id, t) for t in texts[:like_queries]]))
    fts_same = describe(f"FTS5 on those same {like_queries}", await timed(
        [lambda t=t: search.search_resources(db, guild_id, t) for t in texts[:like_queries]]))
    print(f"  LIKE / FTS5 ratio on the same queries: p95 {like['p95'] / fts_same['p95']:.1f}x, "
          f"mean {like['mean'] / fts_same['mean']:.1f}x")
    matches = [len(await search.search_resources(db, guild_id, t)) for t in texts[:200]]
    print(f"  queries with at least one result: {sum(1 for m in matches if m) / len(matches):.0%} (of 200)")
    results["search p95"] = fts["p95"]

    print("\nlist pages (service layer)")
    plans = []
    for _ in range(queries):
        topic_id = rng.choice(topic_ids)
        level = rng.choice((None, None, *LEVELS))
        kind = rng.choice((None, None, None, *KINDS))
        first = await library.list_resources(db, guild_id, topic_id, level=level, kind=kind)
        plans.append((topic_id, rng.choice(("top", "new")), level, kind, rng.randrange(first.pages)))
    deep = describe("any page (uniform over all pages)", await timed(
        [lambda p=p: library.list_resources(db, guild_id, p[0], sort=p[1], level=p[2], kind=p[3], page=p[4])
         for p in plans]))
    describe("first 10 pages", await timed(
        [lambda p=p: library.list_resources(db, guild_id, p[0], sort=p[1], level=p[2], kind=p[3], page=p[4] % 10)
         for p in plans]))
    results["list p95"] = deep["p95"]
    return results


# The stand-in and the members typing commands live in a second process, as Discord and its users
# are not in the bot's process: the bot's latency is not charged for the fake Discord's own work.
Plan = list[list[tuple[str, dict[str, Any]]]]  # per member: (command, options) in order


def make_plan(vocabulary: Vocabulary, rng: random.Random, slugs: list[str], members: int, commands: int,
              max_id: int) -> Plan:
    """What each member types: 40 % search, 30 % list, 20 % show, 10 % upvote."""
    plan: Plan = []
    for _ in range(members):
        mine = []
        for _ in range(commands):
            what = rng.random()
            if what < 0.4:
                mine.append(("resource search", {"query": vocabulary.query()}))
            elif what < 0.7:
                mine.append(("resource list", {"topic": rng.choice(slugs), "sort": rng.choice(("top", "new"))}))
            elif what < 0.9:
                mine.append(("resource show", {"id": rng.randint(1, max_id)}))
            else:
                mine.append(("resource upvote", {"id": rng.randint(1, max_id)}))
        plan.append(mine)
    return plan


def standin_process(conn: Any) -> None:
    asyncio.run(drive_standin(conn))


async def drive_standin(conn: Any) -> None:
    """Run the stand-in; for each (plan, pause) received, let every member type their commands at once."""
    loop = asyncio.get_running_loop()
    standin = StandIn()
    await standin.start()
    try:
        conn.send({"token": standin.token, "api_url": standin.api_url, "gateway_url": standin.gateway_url,
                   "guild_id": standin.guild_id})
        people: list[Any] = []
        rng = random.Random(SEED)
        while (work := await loop.run_in_executor(None, conn.recv)) != "done":
            plan, pause = work
            while len(people) < len(plan):
                people.append(await standin.add_member(f"member{len(people)}"))
                await asyncio.sleep(0.01)
            interaction_ids: list[int] = []

            async def member(person: Any, commands: list[tuple[str, dict[str, Any]]], pause: float,
                             ids: list[int]) -> None:
                for command, options in commands:
                    await asyncio.sleep(rng.uniform(0, pause))
                    reply = await standin.slash(command, user=person, timeout=60, **options)
                    ids.append(reply.interaction_id)

            await asyncio.sleep(0.5)  # let earlier work settle
            started, cpu_before = time.perf_counter(), time.process_time()
            await asyncio.gather(*(member(person, mine, pause, interaction_ids)
                                   for person, mine in zip(people, plan, strict=False)))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_before
            sent = {int(f.d["id"]): f.at for f in standin.frames
                    if f.direction == "to_bot" and f.t == "INTERACTION_CREATE"}
            answered: dict[int, float] = {}
            for request in standin.requests:
                if request.method == "POST" and request.path.startswith("/interactions/"):
                    answered.setdefault(int(request.path.split("/")[2]), request.at)
            conn.send({"latencies": [answered[i] - sent[i] for i in interaction_ids], "elapsed": elapsed,
                       "problems": standin.problems(), "cpu": cpu})
    finally:
        await standin.stop()


async def round_trips(conn: Any, info: dict[str, Any], db_path: Path,
                      runs: list[tuple[str, Plan, float]]) -> dict[str, float]:
    """Start the real bot on the benchmark database and let the stand-in's members run each workload."""
    loop = asyncio.get_running_loop()
    settings = Settings(token=info["token"], database_path=db_path, api_url=info["api_url"],
                        gateway_url=info["gateway_url"], allow_private_urls=True, log_level="WARNING")
    figures: dict[str, float] = {}
    async with open_bot(settings, guild_ready_timeout=0.05) as bot:
        task = asyncio.create_task(bot.start(settings.token))
        await asyncio.wait_for(bot.guilds_seeded.wait(), 30)
        for name, plan, pause in runs:
            conn.send((plan, pause))
            cpu_before = time.process_time()
            result = await loop.run_in_executor(None, conn.recv)
            bot_cpu = time.process_time() - cpu_before
            latencies = result["latencies"]
            print(f"\n{name}: {len(plan)} members, {len(latencies)} commands in {result['elapsed']:.1f} s "
                  f"({len(latencies) / result['elapsed']:.0f}/s)")
            stats = describe("INTERACTION_CREATE -> callback", latencies)
            print(f"  CPU busy: bot process {bot_cpu / result['elapsed']:.0%}, stand-in process "
                  f"{result['cpu'] / result['elapsed']:.0%} (of one core each)")
            print(f"  stand-in problems (400s, unknown routes): {len(result['problems'])}")
            figures.setdefault("round trip p99", stats["p99"])  # the first run is the one the target is about
        await bot.close()
        await task
    conn.send("done")
    return figures


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(SEED)
    vocabulary = Vocabulary(rng)
    loop = asyncio.get_running_loop()
    conn, child_conn = multiprocessing.get_context("spawn").Pipe()
    standin = multiprocessing.get_context("spawn").Process(target=standin_process, args=(child_conn,))
    standin.start()
    try:
        info = await loop.run_in_executor(None, conn.recv)
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "bench.db"
            db = await Database.open(db_path)
            await migrate(db)
            started = time.perf_counter()
            topic_ids = await fill(db, info["guild_id"], args.resources, vocabulary, rng)
            size = int(await db.fetchval("PRAGMA page_count")) * int(await db.fetchval("PRAGMA page_size"))
            print(f"{args.resources} resources in one guild, {TOPICS} topics: inserted in "
                  f"{time.perf_counter() - started:.1f} s, database {size / 1e6:.0f} MB")
            figures = await service_layer(db, info["guild_id"], topic_ids, vocabulary, rng, args.queries,
                                          args.like_queries)
            slugs = [t.slug for t in await topics.list_topics(db, info["guild_id"])]
            await db.close()
            runs = [
                (f"round trip, members pausing 0-{args.pause:g} s between their commands",
                 make_plan(vocabulary, rng, slugs, args.members, args.commands, args.resources), args.pause),
                ("stress: pausing 0-0.2 s (about 5 commands a second each)",
                 make_plan(vocabulary, rng, slugs, args.members, args.commands, args.resources), 0.2),
                ("burst: every member sends one command at the same instant",
                 make_plan(vocabulary, rng, slugs, args.members, 1, args.resources), 0.0),
            ]
            figures |= await round_trips(conn, info, db_path, runs)
    finally:
        standin.join(timeout=10)
        if standin.is_alive():
            standin.terminate()
    print("\nagainst the targets")
    failed = False
    for name, limit in LIMITS_MS.items():
        ok = figures[name] <= limit
        failed |= not ok
        print(f"  {name:<16} {figures[name]:8.2f} ms  (target <= {limit:.0f} ms)  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--like-queries", type=int, default=40)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="most seconds a member waits between commands")
    sys.exit(asyncio.run(main(parser.parse_args())))
