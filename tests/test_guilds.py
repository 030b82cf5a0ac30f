"""Guild seeding (once, before anything else for the guild) and how scheduled jobs run and stop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import topics
from bot.clock import FakeClock
from bot.db import Database
from bot.guilds import GuildSeeding
from bot.jobs import JobExecutor

GUILD = 111
OTHER = 222


async def test_work_for_an_unseeded_guild_waits_and_runs_in_order(db: Database, clock: FakeClock) -> None:
    release = asyncio.Event()
    seen: list[str] = []

    async def slow_seed(guild_id: int) -> None:
        await release.wait()
        await topics.seed_topics(db, clock, guild_id)
        seen.append("seeded")

    seeding = GuildSeeding(db, clock, {"topics": slow_seed})
    for name in ("first", "second", "third"):
        seeding.after_seeding(GUILD, seen.append, name)
    assert seen == []
    release.set()
    assert await seeding.ensure(GUILD)
    assert seen == ["seeded", "first", "second", "third"]
    seeding.after_seeding(GUILD, seen.append, "later")  # seeded: runs at once
    assert seen[-1] == "later"
    assert len(await topics.list_topics(db, GUILD)) == 3


async def test_seeding_runs_once_per_guild_even_when_asked_concurrently(db: Database, clock: FakeClock) -> None:
    calls: list[int] = []

    async def seed(guild_id: int) -> None:
        calls.append(guild_id)
        await asyncio.sleep(0)

    seeding = GuildSeeding(db, clock, {"count": seed})
    assert all(await asyncio.gather(*(seeding.ensure(GUILD) for _ in range(5)), seeding.ensure(OTHER)))
    await seeding.ensure(GUILD)
    assert sorted(calls) == [GUILD, OTHER]
    # A new process (a new GuildSeeding) reads what was done from the database.
    again = GuildSeeding(db, clock, {"count": seed})
    assert await again.ensure(GUILD)
    assert sorted(calls) == [GUILD, OTHER]


async def test_a_failed_seeding_still_releases_held_work_and_is_retried(db: Database, clock: FakeClock) -> None:
    attempts: list[int] = []
    handled: list[str] = []

    async def flaky(guild_id: int) -> None:
        attempts.append(guild_id)
        if len(attempts) == 1:
            raise RuntimeError("database busy")

    seeding = GuildSeeding(db, clock, {"flaky": flaky})
    seeding.after_seeding(GUILD, handled.append, "event")
    assert not await seeding.ensure(GUILD)
    assert handled == ["event"] and not seeding.is_seeded(GUILD)
    assert await seeding.ensure(GUILD)
    assert attempts == [GUILD, GUILD] and seeding.is_seeded(GUILD)


async def test_a_seeder_registered_later_reaches_guilds_already_seeded(db: Database, clock: FakeClock) -> None:
    ran: list[str] = []

    async def first(guild_id: int) -> None:
        ran.append("first")

    async def later(guild_id: int) -> None:
        ran.append("later")

    seeding = GuildSeeding(db, clock, {"first": first})
    await seeding.ensure(GUILD)
    seeding.seeders["later"] = later
    assert not seeding.is_seeded(GUILD)
    await seeding.ensure(GUILD)
    assert ran == ["first", "later"]


def started_scheduler(executor: JobExecutor) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC", executors={"default": executor})
    scheduler.start()
    return scheduler


async def test_drain_lets_a_running_job_finish_and_cancels_one_that_overruns() -> None:
    executor = JobExecutor()
    scheduler = started_scheduler(executor)
    quick_started, slow_started = asyncio.Event(), asyncio.Event()
    finished: list[str] = []
    touched_after_cancel: list[str] = []

    async def quick() -> None:
        quick_started.set()
        await asyncio.sleep(0)
        finished.append("quick")

    async def slow() -> None:
        slow_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise
        touched_after_cancel.append("slow")

    now = datetime.now(UTC)
    scheduler.add_job(slow, "date", run_date=now, id="slow")
    scheduler.add_job(quick, "date", run_date=now, id="quick")
    await asyncio.wait_for(asyncio.gather(quick_started.wait(), slow_started.wait()), 5)
    scheduler.pause()
    cancelled = await executor.drain(0.05)
    scheduler.shutdown(wait=False)
    assert finished == ["quick"]
    assert cancelled == ["job slow"] and touched_after_cancel == []


async def test_drain_cancels_at_once_a_job_still_waiting_for_its_gate() -> None:
    at_gate, gate = asyncio.Event(), asyncio.Event()
    ran: list[str] = []

    async def job() -> None:
        ran.append("job")

    async def closed_gate() -> None:
        at_gate.set()
        await gate.wait()

    executor = JobExecutor(before_each=closed_gate)
    scheduler = started_scheduler(executor)
    scheduler.add_job(job, "date", run_date=datetime.now(UTC) - timedelta(seconds=1), id="gated")
    await asyncio.wait_for(at_gate.wait(), 5)
    scheduler.pause()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await executor.drain(5.0) == []
    scheduler.shutdown(wait=False)
    assert loop.time() - started < 1.0
    assert ran == []
