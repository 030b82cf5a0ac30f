"""Link health: every live link is checked once a week; two failures in a row flag it as broken.

A check asks with HEAD and falls back to GET (many servers answer HEAD wrongly). Requests run
concurrently, but never more than two at once to the same host, and to public addresses only.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp

from bot import net
from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.resources.library import CHECK_EVERY

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 10.0
GET_MAX_BYTES = 64 * 1024  # only whether it answers matters; a longer body is cut, not judged
PER_HOST = 2
CONCURRENCY = 16
BATCH = 200
# Links coming due within this window of a run are checked in that run, so the job wakes up at
# most about daily however the links' weekly slots are spread.
BATCH_WINDOW = timedelta(days=1)
# Answers that say "busy" rather than "gone": the check is inconclusive and changes nothing.
INCONCLUSIVE = frozenset({429})


@dataclass(frozen=True)
class CheckResult:
    """``alive`` is True (answered), False (failed) or None (inconclusive); ``detail`` is shown to moderators."""

    alive: bool | None
    detail: str


def judge_status(status: int) -> CheckResult:
    if status in INCONCLUSIVE:
        return CheckResult(None, f"HTTP {status}")
    if 200 <= status < 400:
        return CheckResult(True, "ok")
    return CheckResult(False, f"HTTP {status}")


async def check_link(session: aiohttp.ClientSession, url: str, *, allow_private: bool,
                     timeout: float = CHECK_TIMEOUT) -> CheckResult:
    """HEAD first; if that does not say the link is alive, GET (reading at most 64 KB)."""
    try:
        head = await net.fetch(session, url, method="HEAD", allow_private=allow_private, max_bytes=0,
                               timeout=timeout)
        if judge_status(head.status).alive:
            return CheckResult(True, "ok")
    except net.UnsafeURL:
        return CheckResult(False, "not a public address")
    except net.FetchError:
        pass  # some servers drop HEAD requests; GET decides
    try:
        got = await net.fetch(session, url, allow_private=allow_private, max_bytes=GET_MAX_BYTES,
                              timeout=timeout, truncate=True)
    except net.UnsafeURL:
        return CheckResult(False, "not a public address")
    except net.FetchError as error:
        return CheckResult(False, error.message[:100])
    return judge_status(got.status)


@dataclass(frozen=True)
class RunSummary:
    checked: int
    alive: int
    failed: int
    inconclusive: int
    newly_broken: int
    recovered: int


async def next_due(db: Database) -> datetime | None:
    """When the earliest live link is due for its check, or None if there are no links."""
    value = await db.fetchval("SELECT MIN(next_check_at) FROM resources WHERE removed_at IS NULL")
    return None if value is None else from_db(value)


async def run_due_checks(db: Database, clock: Clock, session: aiohttp.ClientSession, *, allow_private: bool,
                         limiter: net.HostLimiter | None = None, timeout: float = CHECK_TIMEOUT) -> RunSummary:
    """Check every live link that is due (or due within a day), in batches; record each outcome."""
    limiter = limiter or net.HostLimiter(per_host=PER_HOST, total=CONCURRENCY)
    horizon = to_db(clock.now() + BATCH_WINDOW)
    counts = dict.fromkeys(("checked", "alive", "failed", "inconclusive", "newly_broken", "recovered"), 0)
    while True:
        # Each checked link moves a week ahead, so asking again returns the next batch.
        due = await db.fetchall("SELECT id, url, failed_checks FROM resources WHERE removed_at IS NULL "
                                "AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?", (horizon, BATCH))
        if not due:
            break

        async def check(url: str) -> CheckResult:
            try:
                async with limiter.slot(net.host_of(url)):
                    return await check_link(session, url, allow_private=allow_private, timeout=timeout)
            except Exception:  # one odd link must not stop the run; it counts as a failed check
                log.warning("checking %s failed unexpectedly", url, exc_info=True)
                return CheckResult(False, "could not be checked")

        results = await asyncio.gather(*(check(row["url"]) for row in due))
        now = clock.now()
        updates = []
        for row, result in zip(due, results, strict=True):
            before = row["failed_checks"]
            after = 0 if result.alive else before + 1 if result.alive is False else before
            counts["checked"] += 1
            counts["alive" if result.alive else "failed" if result.alive is False else "inconclusive"] += 1
            counts["newly_broken"] += before < 2 <= after
            counts["recovered"] += before >= 2 > after
            updates.append((after, result.detail, to_db(now), to_db(now + CHECK_EVERY), row["id"]))
        await db.executemany("UPDATE resources SET failed_checks = ?, last_check_result = ?, last_checked_at = ?, "
                             "next_check_at = ? WHERE id = ?", updates)
    return RunSummary(**counts)
