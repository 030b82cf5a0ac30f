"""The scheduler side of sessions: jobs derived from planned deliveries, and what a job does when it fires.

The database is the source of truth; the scheduler (APScheduler, in memory) only holds one job
per session, for its next unclaimed delivery, with id ``session:{id}:{kind}``. Jobs are rebuilt
from the database at start (:meth:`SessionJobs.start`) and re-derived for a session after every
change to it (:meth:`SessionJobs.sync`). One job per session rather than per delivery keeps a start
with 10,000 sessions quick; when a job fires it handles everything due and arms the next one.

Time: the domain reads the injected clock, the scheduler runs on real time. A delivery due at
``due`` (clock time) is armed to fire after ``due - clock.now()`` of real time, so a test with a
fake clock sees jobs fire after the real delay it set up, and with the system clock the two agree.

Lateness: when a job runs, a delivery overdue by more than its grace (after downtime) is skipped
and marked ``late`` instead of sent; within the grace it is sent once. See ``deliveries`` for the
claim → send → mark protocol that makes every delivery at most once.

Native events: the start and the recap also move the session's Discord event (live, then
completed), whether their message went out, failed or came too late to send: the event's state is
a fact about the session, not a message. Moving it is idempotent, so it sits outside the protocol.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler

from bot.claims import DeliveryFailed
from bot.clock import Clock, real_now
from bot.db import Database
from bot.participation import ParticipationRecorder
from bot.sessions import attendance, deliveries, rsvp, settings, store
from bot.sessions.deliveries import ANNOUNCE, RECAP, START, Delivery, Outcome
from bot.sessions.model import Attendee, RsvpStatus, Session, SessionNotFound

log = logging.getLogger("bot.sessions")

DEFAULT_GRACE = timedelta(minutes=10)
RECAP_GRACE = timedelta(hours=24)  # a recap (and the attendance it records) is still worth it a day later
JOB_PREFIX = "session:"


class Notifier(Protocol):
    """Sends what deliveries are about; implemented by the sessions cog."""

    async def announce(self, session: Session) -> None: ...

    async def remind(self, session: Session, lead: timedelta, recipients: list[int]) -> None: ...

    async def starting(self, session: Session, recipients: list[int]) -> None: ...

    async def recap(self, session: Session, attendees: list[Attendee]) -> None: ...

    async def start_native_event(self, session: Session) -> None:
        """The session started: its Discord event goes live. Never raises for Discord's refusals."""

    async def end_native_event(self, session: Session) -> None:
        """The session ended: its Discord event completes. Never raises for Discord's refusals."""


def job_id(session_id: int, kind: str) -> str:
    return f"{JOB_PREFIX}{session_id}:{kind}"


class SessionJobs:
    """Keeps the scheduler's session jobs in step with the database and runs them."""

    def __init__(self, db: Database, clock: Clock, scheduler: BaseScheduler, notifier: Notifier,
                 participation: ParticipationRecorder, *, grace: timedelta = DEFAULT_GRACE,
                 scheduler_now: Callable[[], datetime] = real_now, pause_after_claim: float = 0.0) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.notifier = notifier
        self.participation = participation
        self.grace = grace
        self._scheduler_now = scheduler_now
        # Test hook (COHORT_TEST_PAUSE_AFTER_CLAIM): wait between claim and send so that a test can
        # kill the process exactly there. Zero in production.
        self._pause_after_claim = pause_after_claim
        self._armed: dict[int, str] = {}  # session id → its job id; derived, rebuilt with the jobs

    # Deriving jobs ------------------------------------------------------------------------
    async def start(self) -> int:
        """At start-up: settle what a crash left behind, continue series, and build every job."""
        for lost in await deliveries.mark_lost(self.db):
            log.warning("session %s: %s was claimed but not confirmed sent before the bot stopped; it is not "
                        "sent again (deliveries are at most once)", lost.session_id, lost.kind)
        for series_id in await store.active_series_ids(self.db):
            await store.continue_series(self.db, self.clock, series_id)
        return await self.rebuild()

    async def rebuild(self) -> int:
        """Replace every session job with those derived from the database; returns how many."""
        pending = await deliveries.next_pending_per_session(self.db)
        # Every add_job wakes a running scheduler, and 10,000 wake-ups cost more than the jobs. Nothing
        # else can run during this loop (it never awaits), so pausing for its length delays nothing.
        pause = self.scheduler.state == STATE_RUNNING
        if pause:
            self.scheduler.pause()
        try:
            for session_id in list(self._armed):
                self._disarm(session_id)
            for session_id, kind, due in pending:
                self._arm(session_id, kind, due)
        finally:
            if pause:
                self.scheduler.resume()
        return len(pending)

    async def sync(self, session_id: int) -> None:
        """Re-derive one session's job after a change to it."""
        found = await deliveries.next_pending(self.db, session_id)
        if found is None:
            self._disarm(session_id)
        else:
            self._arm(session_id, *found)

    async def sync_guild(self, guild_id: int) -> None:
        rows = await self.db.fetchall("SELECT DISTINCT session_id FROM sessions_deliveries "
                                      "WHERE guild_id = ? AND claimed_at IS NULL", (guild_id,))
        for row in rows:
            await self.sync(row["session_id"])

    def _arm(self, session_id: int, kind: str, due: datetime) -> None:
        new_id = job_id(session_id, kind)
        if self._armed.get(session_id, new_id) != new_id:
            self._disarm(session_id)
        run_at = self._scheduler_now() + (due - self.clock.now())
        self.scheduler.add_job(self.run, "date", run_date=run_at, id=new_id, args=(session_id, kind, due),
                               replace_existing=True, misfire_grace_time=None)
        self._armed[session_id] = new_id

    def _disarm(self, session_id: int) -> None:
        armed = self._armed.pop(session_id, None)
        if armed is not None:
            try:
                self.scheduler.remove_job(armed)
            except JobLookupError:
                pass  # it already ran

    def armed_job(self, session_id: int) -> str | None:
        return self._armed.get(session_id)

    # Running ------------------------------------------------------------------------------
    async def run(self, session_id: int, kind: str, due: datetime) -> None:
        """A job fired: handle every delivery of the session due by ``due``, then arm the next."""
        if self._armed.get(session_id) == job_id(session_id, kind):
            del self._armed[session_id]
        try:
            for delivery in await deliveries.pending_up_to(self.db, session_id, due):
                await self.deliver(delivery)
        except asyncio.CancelledError:
            # The bot is stopping. Touch nothing more: a claimed delivery stays claimed for the next
            # start to resolve, and the jobs are derived from the database again then.
            log.info("session %s: %s stopped mid-run; the next start resolves it", session_id, kind)
            raise
        except Exception:
            log.exception("session %s: running %s failed", session_id, kind)
        await self.sync(session_id)

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send one delivery at most once; returns its outcome (None if another run had it)."""
        try:
            session = await store.get_session_by_id(self.db, delivery.session_id)
        except SessionNotFound:
            return None
        if session.cancelled:
            return Outcome.CANCELLED if await deliveries.skip(self.db, self.clock, delivery, Outcome.CANCELLED) \
                else None
        created = None
        if delivery.kind == START and session.series_id is not None:
            created = await store.continue_series(self.db, self.clock, session.series_id, started=session)
        outcome = await self._deliver(delivery, session)
        # The next occurrence's jobs are armed only now, so its card never lands before this one's
        # "starting now" notice (it exists already: a crash here is resolved by start()).
        if created is not None:
            await self.sync(created.id)
        return outcome

    async def _deliver(self, delivery: Delivery, session: Session) -> str | None:
        if delivery.kind == RECAP:
            await self._record_attendance(session)
        late = self.clock.now() - delivery.due_at
        if late > self._grace(delivery, session):
            if await deliveries.skip(self.db, self.clock, delivery, Outcome.LATE):
                log.info("session %s: %s is %s overdue, more than its grace; skipped", session.id, delivery.kind,
                         late)
                await self._move_native_event(delivery, session)
                return Outcome.LATE
            return None
        if not await deliveries.claim(self.db, self.clock, delivery):
            return None
        # Claimed. If the process dies from here until finish() below, the delivery stays claimed
        # without sent_at: it is never sent again (marked "lost" at the next start). At most once.
        if self._pause_after_claim:
            await asyncio.sleep(self._pause_after_claim)
        try:
            await self._send(delivery, session)
        except DeliveryFailed as error:
            log.warning("session %s: %s could not be delivered: %s", session.id, delivery.kind, error)
            outcome = Outcome.FAILED
        except Exception:
            log.exception("session %s: %s failed", session.id, delivery.kind)
            outcome = Outcome.FAILED
        else:
            outcome = Outcome.SENT
        await deliveries.finish(self.db, self.clock, delivery, outcome)
        await self._move_native_event(delivery, session)
        return outcome

    async def _move_native_event(self, delivery: Delivery, session: Session) -> None:
        """Keep the session's Discord event in step with its start and end (only the run that won
        the delivery gets here, so the event is moved once)."""
        if session.native_event_id is None:
            return
        if delivery.kind == START:
            await self.notifier.start_native_event(session)
        elif delivery.kind == RECAP:
            await self.notifier.end_native_event(session)

    def _grace(self, delivery: Delivery, session: Session) -> timedelta:
        if delivery.kind == ANNOUNCE:
            return session.starts_at - delivery.due_at  # a card is worth posting until the session starts
        if delivery.kind == RECAP:
            return RECAP_GRACE
        return self.grace

    async def _send(self, delivery: Delivery, session: Session) -> None:
        if delivery.kind == ANNOUNCE:
            await self.notifier.announce(session)
        elif delivery.kind == START:
            await self.notifier.starting(session, await self.recipients(session))
        elif delivery.kind == RECAP:
            found = await attendance.recorded_attendance(self.db, session.id)
            await self.notifier.recap(session, found)
        else:
            lead = deliveries.reminder_offset(delivery.kind)
            if lead is None:
                raise ValueError(f"unknown delivery kind {delivery.kind}")
            await self.notifier.remind(session, lead, await self.recipients(session))

    async def recipients(self, session: Session) -> list[int]:
        """Who a reminder pings: members going, and "maybe" too if the server asked for it."""
        statuses = [RsvpStatus.GOING]
        if await settings.remind_maybe(self.db, session.guild_id):
            statuses.append(RsvpStatus.MAYBE)
        return await rsvp.members(self.db, session.id, *statuses)

    async def _record_attendance(self, session: Session) -> None:
        """Store who attended and count it in their participation, once (safe to repeat)."""
        minimum = await settings.attendance_minutes(self.db, session.guild_id)
        found = await attendance.attendance(self.db, self.clock, session, minimum)
        recorded = await attendance.record_attendance(self.db, session, found)
        for user_id in recorded:
            self.participation.record(session.guild_id, user_id, sessions_attended=1)
        if recorded:
            await self.participation.flush()
        await attendance.prune_intervals(self.db, self.clock.now() - timedelta(days=attendance.KEEP_INTERVALS_DAYS))


# APScheduler checks the job function's signature on every add_job; inspect honours a cached
# __signature__, which takes a third off arming 10,000 jobs at start.
SessionJobs.run.__signature__ = inspect.signature(SessionJobs.run)  # type: ignore[attr-defined]
