"""Benchmark: one feed poll cycle over 500 realistic feeds, against the naive feedparser loop.

    .venv/bin/python bench/feeds.py [--feeds 500] [--baseline-sample 40]

A separate process serves the feeds (20–50 entries, 20–150 KB each) from 100 loopback addresses
(127.0.0.1–127.0.0.100, five feeds per host), answering every request after 100 ms as real hosts
do, with ETags. All feeds are added first (as ``/feed add`` does), then 10 % of them get 3 new
entries and one poll cycle runs: 90 % answer 304, 10 % are parsed and 3 posts each are queued and
delivered to an in-memory publisher (Discord is not part of this measurement).

The baseline is what a naive bot does: ``feedparser.parse(url)`` of each feed, one after another.
It is measured on a sample of the feeds in the same run and extrapolated to all of them.
Peak RSS growth is the high-water mark during the cycle minus the RSS before it.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FakeClock
from bot.db import Database, migrate
from bot.feeds import manage
from bot.feeds.policy import FeedPolicy
from bot.feeds.poller import FeedPoller
from bot.feeds.reader import FeedReader
from bot.feeds.store import OutboxItem
from bot.net import make_session

HOSTS = 100
DELAY = 0.1
NEW_SHARE = 0.10
NEW_PER_FEED = 3
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
USER_AGENT = "CohortBot/bench (+https://github.com/cohort-bot/cohort)"
LIMITS = {"cycle_seconds": 5.0, "speedup": 10.0, "rss_growth_mb": 100.0}
WORDS = ("gradient descent online learning model drift feature store latency throughput bandit regret "
         "embedding transformer quantisation browser WebGPU inference pipeline evaluation dataset").split()


# The feed server (its own process) ---------------------------------------------------------------
def host_of(index: int) -> str:
    return f"127.0.0.{index % HOSTS + 1}"


def feed_body(index: int, version: int) -> bytes:
    """Feed ``index`` as it is after ``version`` rounds of 3 new entries; the same bytes every time."""
    rng = random.Random(index)
    count = rng.randint(20, 50)
    target = rng.randint(20_000, 150_000)
    per_entry = max(200, target // count - 300)
    newest = count + NEW_PER_FEED * version
    items = []
    for n in range(newest, newest - count, -1):
        words = " ".join(rng.choice(WORDS) for _ in range(per_entry // 8))
        summary = (f"<p>{words[: per_entry // 2]}</p><p>See <a href='https://blog{index}.example/p/{n}'>the post"
                   f"</a> and <b>{words[per_entry // 2: per_entry]}</b>.</p>")
        published = format_datetime(NOW - timedelta(hours=newest - n), usegmt=True)
        items.append(f"<item><title>Post {n} of feed {index}</title><link>https://blog{index}.example/p/{n}</link>"
                     f"<guid isPermaLink='false'>feed{index}-post{n}</guid><pubDate>{published}</pubDate>"
                     f"<dc:creator>Author {n % 7}</dc:creator><description><![CDATA[{summary}]]></description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>Blog {index}</title><link>https://blog{index}.example/</link>"
            f"<description>bench</description>{''.join(items)}</channel></rss>").encode()


def serve(feeds: int, ready: Any) -> None:
    """Run the feed server until killed; tell the parent the port through ``ready``."""
    from aiohttp import web

    versions = dict.fromkeys(range(feeds), 0)
    bodies: dict[tuple[int, int], bytes] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(DELAY)
        index = int(request.match_info["index"])
        version = versions[index]
        etag = f'"{index}-{version}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = bodies.get((index, version)) or bodies.setdefault((index, version), feed_body(index, version))
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    async def bump(request: web.Request) -> web.Response:
        for index in await request.json():
            versions[index] += 1
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feeds/{index}.xml", handle)
        app.router.add_post("/_bump", bump)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, "127.0.0.1", 0)
        await first.start()
        port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for host in range(2, HOSTS + 1):
            await web.TCPSite(runner, f"127.0.0.{host}", port).start()
        ready.send(port)
        await asyncio.Event().wait()

    asyncio.run(main())


# Measuring ---------------------------------------------------------------------------------------
class CountingPublisher:
    """Stands in for Discord: takes every post instantly."""

    def __init__(self) -> None:
        self.delivered = 0

    async def deliver(self, item: OutboxItem) -> None:
        self.delivered += 1


def rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def settle_memory() -> None:
    """Collect garbage and hand freed heap back to the OS, so the next growth is measured from here."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: the growth figure is then measured from a fuller heap
        pass


def reset_peak_rss() -> None:
    """Make VmHWM start again from the current RSS (Linux: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def baseline(urls: list[str]) -> float:
    """The naive loop: feedparser fetching and parsing each URL, one after another."""
    import feedparser

    started = time.perf_counter()
    for url in urls:
        result = feedparser.parse(url)
        assert result.entries, f"baseline got nothing from {url}"
    return time.perf_counter() - started


async def run(feeds: int, sample: int) -> int:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(feeds, child), daemon=True)
    server.start()
    try:
        port = parent.recv()
        urls = [f"http://{host_of(i)}:{port}/feeds/{i}.xml" for i in range(feeds)]
        return await measure(urls, port, sample)
    finally:
        server.kill()
        server.join()


async def measure(urls: list[str], port: int, sample: int) -> int:
    feeds = len(urls)
    rss_at_start = rss_kb()
    clock = FakeClock(NOW)
    policy = FeedPolicy(user_agent=USER_AGENT, allow_private=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        await migrate(db)
        async with make_session(user_agent=USER_AGENT, allow_private=True) as session:
            reader = FeedReader(session, policy, clock)
            publisher = CountingPublisher()
            poller = FeedPoller(db, clock, reader, publisher, policy)

            started = time.perf_counter()
            await asyncio.gather(*(manage.subscribe(db, clock, reader, guild_id=1, url=url, channel_id=10, topic=None,
                                                    include=None, exclude=None, mention_role_id=None, created_by=1)
                                   for url in urls))
            added = time.perf_counter() - started

            changed = sorted(random.Random(7).sample(range(feeds), int(feeds * NEW_SHARE)))
            async with session.post(f"http://127.0.0.1:{port}/_bump", json=changed) as response:
                assert response.status == 200
            clock.advance(policy.poll_interval)

            whole_run_peak = rss_kb("VmHWM")
            settle_memory()
            rss_before = rss_kb()
            reset_peak_rss()
            started = time.perf_counter()
            report = await poller.poll()
            cycle = time.perf_counter() - started
            growth_mb = (rss_kb("VmHWM") - rss_before) / 1024
        await db.close()

    expected = {"unchanged": feeds - len(changed), "read": len(changed)}
    if report.outcomes != expected or publisher.delivered != NEW_PER_FEED * len(changed):
        print(f"unexpected cycle result: {report.outcomes}, {publisher.delivered} posts", file=sys.stderr)
        return 1

    sampled = urls[:: max(1, feeds // sample)][:sample]
    naive_sample = await asyncio.to_thread(baseline, sampled)
    naive_total = naive_sample / len(sampled) * feeds
    speedup = naive_total / cycle

    print(f"feeds: {feeds} on {HOSTS} hosts, {DELAY * 1000:.0f} ms per answer; "
          f"{len(changed)} with {NEW_PER_FEED} new entries, {feeds - len(changed)} answering 304")
    print(f"adding all feeds (full fetch + parse each, concurrently): {added:.2f} s")
    print(f"one poll cycle: {cycle:.2f} s  (limit {LIMITS['cycle_seconds']:.0f} s); outcomes {report.outcomes}, "
          f"{report.delivered} posts delivered")
    print(f"naive baseline, sequential feedparser.parse(url): {naive_sample:.2f} s for {len(sampled)} feeds "
          f"measured, {naive_sample / len(sampled) * 1000:.0f} ms each, extrapolated to {feeds}: {naive_total:.1f} s")
    print(f"speed-up: {speedup:.1f}x  (need >= {LIMITS['speedup']:.0f}x)")
    print(f"peak RSS growth during the cycle: {max(growth_mb, 0):.1f} MB  (limit {LIMITS['rss_growth_mb']:.0f} MB; "
          f"RSS before it {rss_before / 1024:.0f} MB); while adding all {feeds} feeds: "
          f"{(whole_run_peak - rss_at_start) / 1024:.1f} MB")
    ok = cycle <= LIMITS["cycle_seconds"] and speedup >= LIMITS["speedup"] and growth_mb <= LIMITS["rss_growth_mb"]
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--baseline-sample", type=int, default=40, help="feeds the naive baseline is timed on")
    args = parser.parse_args()
    return asyncio.run(run(args.feeds, args.baseline_sample))


if __name__ == "__main__":
    sys.exit(main())
