"""Scheduler jobs derived from the database, run at most once, with grace after downtime."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.claims import DeliveryFailed
from bot.clock import FakeClock
from bot.db import Database
from bot.participation import ParticipationRecorder
from bot.sessions import attendance, deliveries, rsvp, settings, store
from bot.sessions.deliveries import Outcome
from bot.sessions.jobs import SessionJobs
from bot.sessions.model import Attendee, RsvpStatus, Session
from bot.sessions.recurrence import Repeat

GUILD = 111
ALICE, BOB = 2, 3
VOICE = 77


class RecordingNotifier:
    """Stands in for Discord: records what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, Any]] = []
        self.events: list[tuple[str, int]] = []  # native event moves (they never fail: the notifier logs)
        self.fail_with: Exception | None = None
        self.delay = 0.0

    async def _record(self, kind: str, session: Session, detail: Any) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((kind, session.id, detail))

    async def announce(self, session: Session) -> None:
        await self._record("announce", session, None)

    async def remind(self, session: Session, lead: timedelta, recipients: list[int]) -> None:
        await self._record(f"remind-{int(lead.total_seconds() // 60)}m", session, recipients)

    async def starting(self, session: Session, recipients: list[int]) -> None:
        await self._record("start", session, recipients)

    async def recap(self, session: Session, attendees: list[Attendee]) -> None:
        await self._record("recap", session, [a.user_id for a in attendees])

    async def start_native_event(self, session: Session) -> None:
        self.events.append(("start", session.id))

    async def end_native_event(self, session: Session) -> None:
        self.events.append(("end", session.id))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def jobs(db: Database, clock: FakeClock, scheduler: AsyncIOScheduler, notifier: RecordingNotifier) -> SessionJobs:
    return SessionJobs(db, clock, scheduler, notifier, ParticipationRecorder(db, clock))


async def schedule(db: Database, clock: FakeClock, *, in_: timedelta = timedelta(days=2), **extra: Any) -> Session:
    fields: dict[str, Any] = {"guild_id": GUILD, "host_id": 1, "topic_id": None, "title": "Paper club",
                              "starts_at": clock.now() + in_, "duration": timedelta(hours=1), "zone": "UTC"}
    return await store.schedule_session(db, clock, **{**fields, **extra})


async def outcomes(db: Database, session_id: int) -> dict[str, str | None]:
    return {d.kind: d.outcome for d in await deliveries.history(db, session_id)}


async def run_due(jobs: SessionJobs, session: Session) -> None:
    """What the scheduler does when the session's job fires."""
    found = await deliveries.next_pending(jobs.db, session.id)
    assert found is not None
    await jobs.run(session.id, *found)


async def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_start_arms_one_job_per_session_for_its_next_delivery(db: Database, clock: FakeClock,
                                                                    jobs: SessionJobs,
                                                                    scheduler: AsyncIOScheduler) -> None:
    first, second = await schedule(db, clock), await schedule(db, clock, in_=timedelta(hours=3))
    assert await jobs.start() == 2
    assert {job.id for job in scheduler.get_jobs()} == {f"session:{first.id}:remind-1440m",
                                                        f"session:{second.id}:remind-15m"}
    job = scheduler.get_job(f"session:{second.id}:remind-15m")
    assert job is not None
    # The fake clock's due time becomes the same delay in real time.
    expected = datetime.now(UTC) + (second.starts_at - timedelta(minutes=15) - clock.now())
    assert abs(job.next_run_time - expected) < timedelta(seconds=2)


async def test_a_due_reminder_is_sent_once_and_the_next_job_armed(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                                  notifier: RecordingNotifier,
                                                                  scheduler: AsyncIOScheduler) -> None:
    session = await schedule(db, clock)
    await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    await rsvp.answer(db, clock, session, BOB, RsvpStatus.MAYBE)
    clock.set(session.starts_at - timedelta(hours=24))
    await run_due(jobs, session)
    assert notifier.sent == [("remind-1440m", session.id, [ALICE])]
    assert (await outcomes(db, session.id))["remind-1440m"] == Outcome.SENT
    assert jobs.armed_job(session.id) == f"session:{session.id}:remind-15m"
    assert scheduler.get_job(f"session:{session.id}:remind-15m") is not None


async def test_maybe_is_reminded_when_the_server_says_so(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                         notifier: RecordingNotifier) -> None:
    await settings.set_remind_maybe(db, GUILD, True)
    session = await schedule(db, clock)
    await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    await rsvp.answer(db, clock, session, BOB, RsvpStatus.MAYBE)
    clock.set(session.starts_at - timedelta(hours=24))
    await run_due(jobs, session)
    assert notifier.sent == [("remind-1440m", session.id, [ALICE, BOB])]


async def test_two_runs_at_once_send_once(db: Database, clock: FakeClock, jobs: SessionJobs,
                                          notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock)
    clock.set(session.starts_at - timedelta(hours=24))
    notifier.delay = 0.05
    [delivery] = await deliveries.pending_up_to(db, session.id, clock.now())
    results = await asyncio.gather(jobs.deliver(delivery), jobs.deliver(delivery), jobs.deliver(delivery))
    assert sorted(results, key=str) == [None, None, Outcome.SENT]
    assert len(notifier.sent) == 1


async def test_a_crash_between_claim_and_send_never_sends_it(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                             notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock)
    clock.set(session.starts_at - timedelta(hours=24))
    [delivery] = await deliveries.pending_up_to(db, session.id, clock.now())
    assert await deliveries.claim(db, clock, delivery)  # ...and the process dies here
    await jobs.start()  # the next start
    assert (await outcomes(db, session.id))["remind-1440m"] == Outcome.LOST
    assert jobs.armed_job(session.id) == f"session:{session.id}:remind-15m"
    await jobs.run(session.id, "remind-1440m", delivery.due_at)  # even a stale job for it sends nothing
    assert notifier.sent == []


async def test_a_crash_after_sending_is_not_resent(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                   notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock)
    clock.set(session.starts_at - timedelta(hours=24))
    await run_due(jobs, session)
    await jobs.start()
    await jobs.run(session.id, "remind-1440m", session.starts_at - timedelta(hours=24))
    assert [kind for kind, *_ in notifier.sent] == ["remind-1440m"]


@pytest.mark.parametrize(("late", "outcome"), [(timedelta(minutes=9, seconds=59), Outcome.SENT),
                                               (timedelta(minutes=10, seconds=1), Outcome.LATE)])
async def test_after_downtime_a_reminder_within_its_grace_is_sent_else_skipped(
        db: Database, clock: FakeClock, jobs: SessionJobs, notifier: RecordingNotifier, late: timedelta,
        outcome: str) -> None:
    session = await schedule(db, clock)
    clock.set(session.starts_at - timedelta(minutes=15) + late)
    await jobs.start()
    await run_due(jobs, session)  # the 24 h one first: long overdue
    await run_due(jobs, session)
    found = await outcomes(db, session.id)
    assert found["remind-1440m"] == Outcome.LATE and found["remind-15m"] == outcome
    assert [kind for kind, *_ in notifier.sent] == (["remind-15m"] if outcome == Outcome.SENT else [])


async def test_a_job_runs_everything_due_by_its_time(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                     notifier: RecordingNotifier) -> None:
    await settings.set_reminder_offsets(db, GUILD, "3m,2m")
    session = await schedule(db, clock, in_=timedelta(minutes=10))
    clock.set(session.starts_at - timedelta(minutes=1))
    await jobs.run(session.id, "remind-2m", session.starts_at - timedelta(minutes=2))
    assert [kind for kind, *_ in notifier.sent] == ["remind-3m", "remind-2m"]


async def test_a_cancelled_session_sends_nothing(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                 notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock)
    [delivery, *_] = await deliveries.pending_up_to(db, session.id, session.ends_at)
    await store.cancel_session(db, clock, session)
    assert await jobs.deliver(delivery) is None
    await jobs.sync(session.id)
    assert jobs.armed_job(session.id) is None and notifier.sent == []


async def test_a_refused_delivery_is_marked_failed_and_not_retried(db: Database, clock: FakeClock,
                                                                   jobs: SessionJobs,
                                                                   notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock)
    clock.set(session.starts_at - timedelta(hours=24))
    notifier.fail_with = DeliveryFailed("channel gone")
    await run_due(jobs, session)
    assert (await outcomes(db, session.id))["remind-1440m"] == Outcome.FAILED
    assert jobs.armed_job(session.id) == f"session:{session.id}:remind-15m"


async def test_the_start_job_continues_the_series_and_its_card_follows(db: Database, clock: FakeClock,
                                                                       jobs: SessionJobs,
                                                                       notifier: RecordingNotifier) -> None:
    first = await schedule(db, clock, repeat=Repeat.WEEKLY)
    clock.set(first.starts_at)
    for _ in range(3):  # 24 h and 15 min reminders (too late by now), then the start
        await run_due(jobs, first)
    assert notifier.sent[0] == ("start", first.id, [])
    [_, second] = await store.series_occurrences(db, first.series_id or 0)
    assert second.starts_at == first.starts_at + timedelta(weeks=1)
    await wait_for(lambda: ("announce", second.id, None) in notifier.sent)  # its job was armed and fired


async def test_the_recap_records_attendance_and_participation_once(db: Database, clock: FakeClock,
                                                                   jobs: SessionJobs,
                                                                   notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock, voice_channel_id=VOICE)
    clock.set(session.starts_at)
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    await attendance.voice_joined(db, clock, GUILD, BOB, VOICE)
    clock.advance(timedelta(minutes=5))
    await attendance.voice_left(db, clock, GUILD, BOB)
    clock.set(session.ends_at)
    [recap] = [d for d in await deliveries.history(db, session.id) if d.kind == "recap"]
    assert await jobs.deliver(recap) == Outcome.SENT
    assert await jobs.deliver(recap) is None
    assert notifier.sent == [("recap", session.id, [ALICE])]
    count = await db.fetchval("SELECT SUM(sessions_attended) FROM participation_daily WHERE guild_id = ? "
                              "AND user_id = ?", (GUILD, ALICE))
    assert count == 1
    assert await db.fetchval("SELECT COUNT(*) FROM participation_daily WHERE user_id = ?", (BOB,)) == 0


async def test_jobs_fire_after_the_real_delay_the_clock_sets(db: Database, clock: FakeClock, jobs: SessionJobs,
                                                             notifier: RecordingNotifier) -> None:
    await settings.set_reminder_offsets(db, GUILD, "1m")
    session = await schedule(db, clock, in_=timedelta(minutes=1, seconds=1))
    await jobs.sync(session.id)
    assert notifier.sent == []
    await wait_for(lambda: bool(notifier.sent))
    assert notifier.sent == [("remind-1m", session.id, [])]


@pytest.mark.parametrize("start_late", [timedelta(0), timedelta(minutes=30)])
async def test_the_native_event_follows_the_start_and_end_sent_late_or_failed(
        db: Database, clock: FakeClock, jobs: SessionJobs, notifier: RecordingNotifier, start_late: timedelta) -> None:
    session = await schedule(db, clock, native_event=True, duration=timedelta(hours=2))
    await store.set_native_event(db, session.id, 9001)
    plain = await schedule(db, clock)  # no Discord event: nothing to move
    delivered = {d.kind: d for d in await deliveries.history(db, session.id)}
    clock.set(session.starts_at + start_late)
    assert await jobs.deliver(delivered["start"]) == (Outcome.SENT if not start_late else Outcome.LATE)
    assert await jobs.deliver(delivered["start"]) is None  # a second run has nothing to do: moved once
    clock.set(session.ends_at)
    notifier.fail_with = DeliveryFailed("channel gone")
    assert await jobs.deliver(delivered["recap"]) == Outcome.FAILED
    for other in await deliveries.history(db, plain.id):
        if other.kind in ("start", "recap"):
            clock.set(max(clock.now(), other.due_at))
            await jobs.deliver(other)
    assert notifier.events == [("start", session.id), ("end", session.id)]


async def test_a_cancelled_session_leaves_its_event_to_the_cancel_command(
        db: Database, clock: FakeClock, jobs: SessionJobs, notifier: RecordingNotifier) -> None:
    session = await schedule(db, clock, native_event=True)
    await store.set_native_event(db, session.id, 9001)
    [start] = [d for d in await deliveries.history(db, session.id) if d.kind == "start"]
    await store.cancel_session(db, clock, session)
    clock.set(session.starts_at)
    assert await jobs.deliver(start) is None
    assert notifier.events == []
