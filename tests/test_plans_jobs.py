"""The weekly rhythm against a real SQLite file: cards, check-in calls, deadline reminders, catch-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import FakeClock, to_db
from bot.db import Database
from bot.plans import posts, progress, settings, store
from bot.plans.jobs import RETRY_AFTER, PlanJobs, job_id
from tests.plans_support import ALICE, BOB, CAROL, GUILD, ORGANISER, RecordingNotifier, small_doc

START = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # Monday 09:00 Berlin


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier(dms_closed=frozenset({CAROL}))


@pytest.fixture
def jobs(db: Database, clock: FakeClock, notifier: RecordingNotifier) -> PlanJobs:
    return PlanJobs(db, clock, AsyncIOScheduler(timezone="UTC"), notifier)


async def running_plan(db: Database, clock: FakeClock, weeks: int = 3) -> store.Plan:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    created = await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(weeks=weeks), created_by=ORGANISER,
                                      channel_id=555)
    return await store.start_plan(db, clock, created.plan, start="2027-03-15 09:00", zone="Europe/Berlin")


async def test_each_week_card_is_posted_once_at_its_start(db: Database, clock: FakeClock, jobs: PlanJobs,
                                                          notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    clock.set(START - timedelta(seconds=1))
    assert await jobs.post_due(plan.id) == []
    clock.set(START)
    assert await jobs.post_due(plan.id) == ["card:1"]
    assert await jobs.post_due(plan.id) == []
    clock.set(START + timedelta(days=7, seconds=5))
    assert "card:2" in await jobs.post_due(plan.id)
    assert [k for k in notifier.kinds() if k[0] == "card"] == [("card", 1), ("card", 2)]
    assert notifier.sent[0][2] == ["Read chapter 1", "Lecture 1", "Discuss 1"]


async def test_the_checkin_call_goes_to_the_weeks_thread_on_its_last_day(
        db: Database, clock: FakeClock, jobs: PlanJobs, notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    clock.set(START)
    await jobs.post_due(plan.id)
    card_thread = (await posts.week_thread(db, plan.id, 1))[1]
    clock.set(START + timedelta(days=6) - timedelta(minutes=1))
    assert "checkin:1" not in await jobs.post_due(plan.id)
    clock.set(START + timedelta(days=6))  # Sunday 09:00 Berlin
    assert "checkin:1" in await jobs.post_due(plan.id)
    [(_, number, where)] = [s for s in notifier.sent if s[0] == "checkin"]
    assert number == 1 and where.thread_id == card_thread and where.target == card_thread


async def test_a_deadline_reminder_reaches_only_those_not_done_once(
        db: Database, clock: FakeClock, jobs: PlanJobs, notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    for member in (ALICE, BOB, CAROL, ORGANISER):
        await progress.join(db, clock, plan, member)
    await settings.set_remind_dm(db, GUILD, BOB, True)
    await settings.set_remind_dm(db, GUILD, CAROL, True)  # DMs closed: told in the thread instead
    reading = (await store.items(db, plan.id))[0]
    await progress.mark(db, clock, plan, reading, ORGANISER, done=True)
    due = store.due_at(plan, reading)
    assert due == datetime(2027, 3, 21, 22, 59, tzinfo=UTC)  # Sunday 23:59 Berlin
    clock.set(due - timedelta(hours=24, seconds=1))  # type: ignore[operator]
    assert not any(k.startswith("deadline") for k in await jobs.post_due(plan.id))
    clock.set(due - timedelta(hours=24))  # type: ignore[operator]
    sent = await jobs.post_due(plan.id)
    assert "deadline:1:6:1439" in sent and f"deadline-dm:1:6:1439:{BOB}" in sent
    assert await jobs.post_due(plan.id) == []
    [(_, _, (pinged, where))] = [s for s in notifier.sent if s[0] == "deadline"]
    assert pinged == (ALICE, CAROL) and where.thread_id is not None
    assert [s[2] for s in notifier.sent if s[0] == "dm"] == [BOB]
    statuses = {row["key"]: row["status"] for row in await posts.history(db, plan.id)}
    assert statuses[f"deadline-dm:1:6:1439:{CAROL}"] == "failed"


async def test_a_deadline_already_past_is_not_reminded(db: Database, clock: FakeClock, jobs: PlanJobs,
                                                       notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    await progress.join(db, clock, plan, ALICE)
    clock.set(START + timedelta(days=7, minutes=5))  # week 2 began; week 1's deadline passed
    await jobs.post_due(plan.id)
    assert not [s for s in notifier.sent if s[0] == "deadline"]
    statuses = {row["key"]: row["status"] for row in await posts.history(db, plan.id)}
    assert statuses["deadline:1:6:1439"] == "skipped" and statuses["checkin:1"] == "skipped"


async def test_after_downtime_the_running_week_comes_late_and_ended_ones_on_one_catch_up_card(
        db: Database, clock: FakeClock, jobs: PlanJobs, notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock, weeks=5)
    clock.set(START + timedelta(days=21, hours=20))  # week 4 began 20 h ago; weeks 1-3 ended unseen
    sent = await jobs.post_due(plan.id)
    assert "catchup:1-3" in sent and "card:4" in sent
    assert [k for k in notifier.kinds() if k[0] in ("card", "catchup")] == [("catchup", 3), ("card", 4)]
    assert notifier.sent[0][2] == [1, 2, 3]
    assert await jobs.post_due(plan.id) == []


async def test_a_running_week_missed_for_days_still_gets_its_card(db: Database, clock: FakeClock, jobs: PlanJobs,
                                                                  notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    clock.set(START + timedelta(days=3))
    assert await jobs.post_due(plan.id) == ["card:1"]


async def test_a_week_that_ended_an_hour_ago_goes_on_the_catch_up_card(
        db: Database, clock: FakeClock, jobs: PlanJobs, notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    clock.set(START + timedelta(days=7, hours=1))  # week 1 ended unseen an hour ago; week 2 runs
    sent = await jobs.post_due(plan.id)
    assert "catchup:1-1" in sent and "card:2" in sent and "card:1" not in sent
    assert [k for k in notifier.kinds() if k[0] in ("card", "catchup")] == [("catchup", 1), ("card", 2)]


async def test_a_paused_plan_posts_nothing_and_has_no_job(db: Database, clock: FakeClock, jobs: PlanJobs,
                                                          notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    await jobs.sync(plan.id)
    assert jobs.armed(plan.id) and jobs.scheduler.get_job(job_id(plan.id)) is not None
    plan = await store.pause_plan(db, clock, plan)
    await jobs.sync(plan.id)
    assert not jobs.armed(plan.id) and jobs.scheduler.get_job(job_id(plan.id)) is None
    clock.set(START + timedelta(hours=1))
    assert await jobs.post_due(plan.id) == [] and notifier.sent == []


async def test_a_claim_left_by_a_dead_process_is_never_sent(db: Database, clock: FakeClock, jobs: PlanJobs,
                                                            notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    card1 = (await store.units(db, plan.id))[0]
    await db.execute("INSERT INTO plans_posts (guild_id, plan_id, unit_id, key, claimed_at) VALUES (?, ?, ?, ?, ?)",
                     (GUILD, plan.id, card1.id, "card:1", to_db(clock.now())))
    assert await jobs.start() == 1
    clock.set(START + timedelta(minutes=1))
    assert await jobs.post_due(plan.id) == []
    assert {row["key"]: row["status"] for row in await posts.history(db, plan.id)} == {"card:1": "lost"}


async def test_a_refused_post_is_recorded_and_not_retried(db: Database, clock: FakeClock, jobs: PlanJobs,
                                                          notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    notifier.fail = True
    clock.set(START)
    assert await jobs.post_due(plan.id) == []
    notifier.fail = False
    assert await jobs.post_due(plan.id) == []
    assert {row["key"]: row["status"] for row in await posts.history(db, plan.id)} == {"card:1": "failed"}


async def test_a_plan_that_ended_has_nothing_left_to_arm(db: Database, clock: FakeClock, jobs: PlanJobs) -> None:
    plan = await running_plan(db, clock, weeks=1)
    clock.set(START + timedelta(days=6, hours=12))
    await jobs.post_due(plan.id)
    await jobs.sync(plan.id)
    assert not jobs.armed(plan.id)


async def test_an_unexpected_error_is_retried_later_not_in_a_loop(db: Database, clock: FakeClock,
                                                                  notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    await progress.join(db, clock, plan, BOB)
    await settings.set_remind_dm(db, GUILD, BOB, True)
    notifier.dm_error = RuntimeError("unexpected")
    scheduler = AsyncIOScheduler(timezone="UTC")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    jobs = PlanJobs(db, clock, scheduler, notifier, scheduler_now=lambda: now)
    clock.set(START + timedelta(days=6, minutes=1))  # the deadline reminder and the check-in call are both due
    await jobs.run(plan.id)
    job = scheduler.get_job(job_id(plan.id))
    assert job is not None and job.trigger.run_date == now + RETRY_AFTER  # the check-in call, not at once
    assert "checkin:1" not in await posts.taken_keys(db, plan.id)


async def test_a_one_day_unit_asks_for_check_ins_halfway_not_with_its_card(db: Database, clock: FakeClock,
                                                                          jobs: PlanJobs) -> None:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    doc = replace(small_doc(weeks=2), unit_days=1)
    created = await store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ORGANISER, channel_id=555)
    plan = await store.start_plan(db, clock, created.plan, start="2027-03-15 09:00", zone="Europe/Berlin")
    events = {event.key: event for event in posts.planned(plan, await store.items(db, plan.id),
                                                              await store.units(db, plan.id))}
    assert events["card:1"].at == START and events["checkin:1"].at == START + timedelta(hours=12)
    assert events["card:2"].at == START + timedelta(days=1)


async def test_a_28_day_unit_asks_on_its_last_day(db: Database, clock: FakeClock, jobs: PlanJobs) -> None:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    doc = replace(small_doc(weeks=2), unit_days=28)
    created = await store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ORGANISER, channel_id=555)
    plan = await store.start_plan(db, clock, created.plan, start="2027-03-15 09:00", zone="Europe/Berlin")
    events = {event.key: event for event in posts.planned(plan, await store.items(db, plan.id),
                                                              await store.units(db, plan.id))}
    # 27 days on, past the DST change of 2027-03-28: still 09:00 in Berlin, now 07:00 UTC
    assert events["checkin:1"].at == datetime(2027, 4, 11, 7, tzinfo=UTC)
    assert events["deadline:1:6:1439"].at == datetime(2027, 3, 20, 22, 59, tzinfo=UTC)  # a day before +6d 23:59


async def test_a_half_hour_timezone_reminds_24_hours_before_local_end_of_week(
        db: Database, clock: FakeClock, jobs: PlanJobs, notifier: RecordingNotifier) -> None:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    created = await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(), created_by=ORGANISER,
                                      channel_id=555)
    plan = await store.start_plan(db, clock, created.plan, start="2027-03-15 09:00", zone="Asia/Kolkata")
    assert store.week_start(plan, 1) == datetime(2027, 3, 15, 3, 30, tzinfo=UTC)
    reading = (await store.items(db, plan.id))[0]
    assert store.due_at(plan, reading) == datetime(2027, 3, 21, 18, 29, tzinfo=UTC)  # Sunday 23:59 IST
    await progress.join(db, clock, plan, ALICE)
    clock.set(datetime(2027, 3, 20, 18, 29, tzinfo=UTC))
    assert "deadline:1:6:1439" in await jobs.post_due(plan.id)


async def test_a_deadline_with_no_one_enrolled_sends_nothing_and_is_settled(
        db: Database, clock: FakeClock, jobs: PlanJobs, notifier: RecordingNotifier) -> None:
    plan = await running_plan(db, clock)
    clock.set(START + timedelta(days=5, hours=23))  # a day before the end-of-week deadline; no one joined
    assert "deadline:1:6:1439" not in await jobs.post_due(plan.id)
    assert not [s for s in notifier.sent if s[0] in ("deadline", "dm")]
    statuses = {row["key"]: row["status"] for row in await posts.history(db, plan.id)}
    assert statuses["deadline:1:6:1439"] == "skipped"
    assert await jobs.post_due(plan.id) == []
