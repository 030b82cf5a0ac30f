"""Benchmark: what one interaction costs the bot, with the plain setup and the chosen one, side by side.

    .venv/bin/python bench/interactions.py [--resources 100000] [--commands 1000] [--rounds 2]
                                           [--setups plain,chosen] [--profile out.txt]

Three processes, as in production: the stand-in (Discord and its members) in one, the real bot in
another, and this script conducting. For each setup a fresh bot process starts on the same database
(``--resources`` resources in one guild, as in bench/resources.py) and runs three loads of
``/resource search`` (queries of 1–3 words, as people type them):

1. ``cpu``: ``--commands`` commands, ``--workers`` members at a time, back to back. Printed: the bot
   process's CPU seconds (every thread: the event loop and SQLite's) divided by the commands handled,
   as the median over blocks of 100 and over the whole run.
2. ``burst``: ``--burst`` members send one command at the same instant, ``--bursts`` times.
3. ``paced``: ``--paced`` members send ``--paced-commands`` commands each, pausing 0–``--pause`` s
   before each, as people do.

Latency is from the stand-in sending INTERACTION_CREATE to it receiving the interaction callback.

Setups: ``plain`` is the standard asyncio loop, the standard library's json and zlib (discord.py
without its speed extra); ``chosen`` is what ``python -m bot`` runs with (``bot.runner.event_loop_factory``
and whatever discord.py finds installed). ``speed`` and ``uvloop`` isolate one lever each. With
``--rounds`` above 1 the setups alternate in order and the median of the rounds is printed. The
machine is shared, so compare setups within one run, not across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = {"cpu per command": 1.5, "burst p99": 80.0, "paced p99": 15.0}  # ms
SPEED_MODULES = ("orjson", "zstandard", "compression.zstd", "aiodns", "brotli", "brotlicffi")
SETUPS = {  # name → (discord.py speed extra, event loop: "asyncio", "uvloop" or "production")
    "plain": (False, "asyncio"),
    "speed": (True, "asyncio"),
    "uvloop": (False, "uvloop"),
    "chosen": (True, "production"),
}
SEED = 11
BLOCK = 100


# The stand-in process ---------------------------------------------------------------------------
def standin_process(conn: Any) -> None:
    asyncio.run(drive_standin(conn))


async def drive_standin(conn: Any) -> None:
    from tests.standin import StandIn

    loop = asyncio.get_running_loop()
    standin = StandIn()
    await standin.start()
    rng = random.Random(SEED)
    people: list[Any] = []
    try:
        conn.send({"token": standin.token, "api_url": standin.api_url, "gateway_url": standin.gateway_url,
                   "guild_id": standin.guild_id})
        while (work := await loop.run_in_executor(None, conn.recv)) != "done":
            kind, queries, size, pause = work
            while len(people) < size:
                people.append(await standin.add_member(f"member{len(people)}"))
            await asyncio.sleep(0.3)  # let the bot settle after the new members
            ids: list[int] = []

            async def send(person: Any, query: str, ids: list[int]) -> None:
                reply = await standin.slash("resource search", user=person, timeout=60, query=query)
                ids.append(reply.interaction_id)

            async def worker(person: Any, mine: list[str], pause: float, ids: list[int]) -> None:
                for query in mine:
                    if pause:
                        await asyncio.sleep(rng.uniform(0, pause))
                    await send(person, query, ids)

            started = time.perf_counter()
            if kind == "burst":
                for burst in queries:
                    await asyncio.gather(*(send(person, q, ids) for person, q in zip(people, burst, strict=False)))
                    await asyncio.sleep(0.3)
            else:
                shares = [queries[i::size] for i in range(size)]
                await asyncio.gather(*(worker(person, mine, pause, ids)
                                       for person, mine in zip(people[:size], shares, strict=True)))
            elapsed = time.perf_counter() - started
            sent = {int(f.d["id"]): f.at for f in standin.frames
                    if f.direction == "to_bot" and f.t == "INTERACTION_CREATE"}
            answered: dict[int, float] = {}
            for request in standin.requests:
                if request.method == "POST" and request.path.startswith("/interactions/"):
                    answered.setdefault(int(request.path.split("/")[2]), request.at)
            conn.send({"latencies": [answered[i] - sent[i] for i in ids], "elapsed": elapsed,
                       "problems": len(standin.problems())})
    finally:
        await standin.stop()


# The bot process ----------------------------------------------------------------------------------
def bot_process(conn: Any, info: dict[str, Any], db_path: str, log_path: str, setup: str) -> None:
    speed, loop_kind = SETUPS[setup]
    if not speed:
        for name in SPEED_MODULES:  # discord.py and aiohttp fall back to json, zlib and threaded DNS
            sys.modules[name] = None  # type: ignore[assignment]
    from bot.runner import event_loop_factory

    if loop_kind == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    elif loop_kind == "production":
        factory = event_loop_factory()
    else:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run_bot(conn, info, Path(db_path), Path(log_path)))


async def run_bot(conn: Any, info: dict[str, Any], db_path: Path, log_path: Path) -> None:
    import logging

    import discord

    from bot.config import Settings
    from bot.runner import open_bot

    # As in production: INFO to a log handler (a file here, stderr there).
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", style="{"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    loop = asyncio.get_running_loop()
    settings = Settings(token=info["token"], database_path=db_path, api_url=info["api_url"],
                        gateway_url=info["gateway_url"], allow_private_urls=True, log_level="INFO")
    async with open_bot(settings, guild_ready_timeout=0.05) as bot:
        task = asyncio.create_task(bot.start(settings.token))
        await asyncio.wait_for(bot.guilds_seeded.wait(), 60)
        conn.send({"loop": type(loop).__module__, "json": discord.utils._from_json.__module__,
                   "compression": discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE})
        while (message := await loop.run_in_executor(None, conn.recv)) != "stop":
            assert message == "cpu"
            conn.send(time.process_time())
        await bot.close()
        await task


# Conducting -------------------------------------------------------------------------------------
def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class BotUnderTest:
    def __init__(self, info: dict[str, Any], db_path: Path, log_path: Path, setup: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=bot_process, args=(child, info, str(db_path), str(log_path), setup))
        self._child = child

    async def start(self) -> dict[str, str]:
        self.process.start()
        self._child.close()  # so that a crashed bot process reads as EOFError here, not as a hang
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)  # type: ignore[no-any-return]

    async def cpu(self) -> float:
        self.conn.send("cpu")
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)  # type: ignore[no-any-return]

    async def stop(self) -> None:
        self.conn.send("stop")
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 30)


async def load(standin: Any, kind: str, queries: Any, size: int, pause: float = 0.0) -> dict[str, Any]:
    standin.send((kind, queries, size, pause))
    result: dict[str, Any] = await asyncio.get_running_loop().run_in_executor(None, standin.recv)
    if result["problems"]:
        raise RuntimeError(f"the stand-in refused {result['problems']} request(s) of the bot")
    return result


async def measure(standin: Any, bot: BotUnderTest, args: argparse.Namespace, vocabulary: Any,
                  profile: Path | None) -> dict[str, float]:
    rng = random.Random(SEED)  # the same queries for every setup
    figures: dict[str, float] = {}
    spy = None
    if profile is not None:
        py_spy = Path(sys.executable).with_name("py-spy")
        spy = await asyncio.create_subprocess_exec(
            str(py_spy), "record", "--format", "raw", "--rate", "250", "--subprocesses", "-o", str(profile),
            "--pid", str(bot.process.pid), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(1)
    per_block = []
    total_cpu = 0.0
    for _ in range(args.commands // BLOCK):
        queries = [vocabulary.query() for _ in range(BLOCK)]
        before = await bot.cpu()
        await load(standin, "cpu", queries, args.workers)
        spent = await bot.cpu() - before
        per_block.append(spent / BLOCK)
        total_cpu += spent
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await asyncio.wait_for(spy.wait(), 30)
    figures["cpu per command"] = statistics.median(per_block) * 1000
    figures["cpu per command (all)"] = total_cpu / (len(per_block) * BLOCK) * 1000

    bursts = [[vocabulary.query() for _ in range(args.burst)] for _ in range(args.bursts)]
    before = await bot.cpu()
    result = await load(standin, "burst", bursts, args.burst)
    figures["burst cpu per command"] = (await bot.cpu() - before) / len(result["latencies"]) * 1000
    ms = [s * 1000 for s in result["latencies"]]
    figures["burst p50"], figures["burst p99"] = percentile(ms, 0.5), percentile(ms, 0.99)

    paced = [vocabulary.query() for _ in range(args.paced * args.paced_commands)]
    before = await bot.cpu()
    result = await load(standin, "paced", paced, args.paced, args.pause)
    figures["paced cpu per command"] = (await bot.cpu() - before) / len(result["latencies"]) * 1000
    ms = [s * 1000 for s in result["latencies"]]
    figures["paced p50"], figures["paced p99"] = percentile(ms, 0.5), percentile(ms, 0.99)
    del rng
    return figures


async def prepare_database(db_path: Path, guild_id: int, resources: int) -> None:
    from bench.resources import Vocabulary, fill
    from bot.db import Database, migrate

    db = await Database.open(db_path)
    try:
        await migrate(db)
        await fill(db, guild_id, resources, Vocabulary(random.Random(SEED)), random.Random(SEED))
    finally:
        await db.close()


def print_table(setups: list[str], results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    medians = {s: {k: statistics.median(r[k] for r in results[s]) for k in results[s][0]} for s in setups}
    names = list(medians[setups[0]])
    print(f"\n{'median of ' + str(len(results[setups[0]])) + ' round(s), ms':<28}"
          + "".join(f"{s:>12}" for s in setups)
          + (f"{'ratio':>10}" if len(setups) > 1 else "") + f"{'target':>10}")
    for name in names:
        row = f"{name:<28}" + "".join(f"{medians[s][name]:>12.2f}" for s in setups)
        if len(setups) > 1:
            row += f"{medians[setups[0]][name] / medians[setups[-1]][name]:>9.2f}x"
        if name in TARGETS:
            row += f"{'<= ' + format(TARGETS[name], 'g'):>10}"
        print(row)
    if len(setups) > 1:
        print(f"(ratio: {setups[0]} / {setups[-1]}; above 1 means {setups[-1]} is faster)")
    return medians


async def main(args: argparse.Namespace) -> int:
    from bench.resources import Vocabulary

    setups = args.setups.split(",")
    unknown = [s for s in setups if s not in SETUPS]
    if unknown:
        raise SystemExit(f"unknown setup(s) {unknown}; choose from {list(SETUPS)}")
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    standin, child = context.Pipe()
    standin_proc = context.Process(target=standin_process, args=(child,))
    standin_proc.start()
    child.close()
    results: dict[str, list[dict[str, float]]] = {s: [] for s in setups}
    try:
        info = await loop.run_in_executor(None, standin.recv)
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "bench.db"
            started = time.perf_counter()
            await prepare_database(db_path, info["guild_id"], args.resources)
            print(f"{args.resources} resources in one guild, prepared in {time.perf_counter() - started:.1f} s; "
                  f"loads: {args.commands} commands ({args.workers} at a time), {args.bursts} bursts of "
                  f"{args.burst}, {args.paced} members x {args.paced_commands} pausing 0-{args.pause:g} s")
            vocabulary = Vocabulary(random.Random(SEED))
            for round_number in range(args.rounds):
                order = setups if round_number % 2 == 0 else list(reversed(setups))
                for setup in order:
                    bot = BotUnderTest(info, db_path, Path(tmp) / f"{setup}-{round_number}.log", setup)
                    runtime = await bot.start()
                    profile = Path(args.profile) if args.profile and setup == setups[-1] and round_number == 0 \
                        else None
                    figures = await measure(standin, bot, args, vocabulary, profile)
                    await bot.stop()
                    results[setup].append(figures)
                    print(f"round {round_number + 1} {setup:<7} ({runtime['loop']}, {runtime['json']} json, "
                          f"{runtime['compression']}): " + ", ".join(
                              f"{k} {figures[k]:.2f}" for k in ("cpu per command", "burst p99", "paced p99")))
        standin.send("done")
    finally:
        standin_proc.join(timeout=15)
        if standin_proc.is_alive():
            standin_proc.terminate()
    medians = print_table(setups, results)
    chosen = medians[setups[-1]]
    print(f"\n{setups[-1]} against the targets")
    missed = False
    for name, limit in TARGETS.items():
        ok = chosen[name] <= limit
        missed |= not ok
        print(f"  {name:<18} {chosen[name]:8.2f} ms  (target <= {limit:g} ms)  {'ok' if ok else 'MISSED'}")
    if args.profile:
        print(f"\npy-spy profile of the first {setups[-1]} cpu load (collapsed stacks): {args.profile}")
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=1000, help="the cpu load (a multiple of 100)")
    parser.add_argument("--workers", type=int, default=10, help="members sending the cpu load at a time")
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--paced", type=int, default=50)
    parser.add_argument("--paced-commands", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--setups", default="plain,chosen", help=f"comma-separated, from {', '.join(SETUPS)}")
    parser.add_argument("--profile", help="py-spy record the last setup's cpu load into this file")
    sys.exit(asyncio.run(main(parser.parse_args())))
