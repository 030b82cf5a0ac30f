"""Start-up time: `python -m bot` as a subprocess until READY and commands synced, against the stand-in.

Prints each run and the median of 5. Target: <= 2 s on a 2-core machine.
Run: .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin import StandIn  # noqa: E402

RUNS = 5
TARGET_SECONDS = 2.0


async def one_run(workdir: Path) -> float:
    standin = StandIn()
    await standin.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "FEED_"))}
    env.update(standin.env)
    env.update({"DATABASE_PATH": str(workdir / "cohort.db"), "LOG_LEVEL": "WARNING", "FEED_ALLOW_PRIVATE": "1"})
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    try:
        await standin.wait_for_request(method="PUT", path="/applications/*/commands", timeout=30)
        await standin.wait_until_connected(timeout=30)  # READY and GUILD_CREATE delivered
        elapsed = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=15)
        await standin.stop()
    return elapsed


async def main() -> None:
    times = []
    for run in range(1, RUNS + 1):
        with tempfile.TemporaryDirectory() as tmp:
            seconds = await one_run(Path(tmp))
        times.append(seconds)
        print(f"run {run}: {seconds:.3f} s (fresh database: migrations, seeding, sync, READY)")
    median = statistics.median(times)
    verdict = "within" if median <= TARGET_SECONDS else "OVER"
    print(f"startup median of {RUNS}: {median:.3f} s ({verdict} the {TARGET_SECONDS:.0f} s target)")


if __name__ == "__main__":
    asyncio.run(main())
