"""The scheduler side of peer review: one job per assignment, derived from the database.

An assignment's job fires at its next moment: the due time while it is open (the reviewer draw),
else its earliest unsent notice. When it fires it does everything due, then arms the next. Jobs are
rebuilt from the database at start and re-derived for an assignment after every change to it.

As with sessions, the domain reads the injected clock and the scheduler runs on real time: a job
due at ``due`` (clock time) fires after ``due - clock.now()`` of real time.

A job only starts the run as a task and returns: APScheduler skips a job that fires while the same
job id is still running, and a run re-arms its own job (or a command does, mid-run) for "now".
Runs of one assignment take turns on a lock; claims make each notice go out once whatever runs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

from bot.claims import DeliveryFailed
from bot.clock import Clock, real_now
from bot.db import Database
from bot.reviews import notices, rounds, store
from bot.reviews.model import REMINDER_LEADS, Assignment, Review, Status, Submission
from bot.reviews.notices import Notice, Outcome

log = logging.getLogger("bot.reviews")
JOB_PREFIX = "reviews:"


class Notifier(Protocol):
    """Sends what notices are about; implemented by the reviews cog. Each returns its outcome."""

    async def post_card(self, assignment: Assignment) -> tuple[int, int, int | None]:
        """Post the assignment's card (and its thread); returns channel, message and thread ids."""

    async def tell_reviewer(self, assignment: Assignment, user_id: int,
                            work: list[tuple[Review, Submission]]) -> str: ...

    async def remind(self, assignment: Assignment, user_id: int, work: list[tuple[Review, Submission]],
                     lead: timedelta) -> str: ...

    async def results(self, assignment: Assignment, submission: Submission, reviews: list[Review]) -> str:
        """Tell the author: ``reviews`` holds every review of the work, written or not."""

    async def shortfall(self, assignment: Assignment) -> str:
        """Tell organisers that places could not be filled (or that nobody submitted)."""

    async def window_ended(self, assignment: Assignment, reviews: list[Review]) -> str:
        """Tell organisers the review window is over: ``reviews`` holds every review, written or not."""

    async def absent(self, guild_id: int, user_ids: Collection[int]) -> set[int]:
        """Those of ``user_ids`` who are no longer in the server (none when that cannot be known)."""

    async def refresh_card(self, assignment: Assignment) -> None:
        """Show the assignment's new status on its card. Idempotent, so outside the claim protocol;
        never raises for Discord's refusals."""


def job_id(assignment_id: int) -> str:
    return f"{JOB_PREFIX}{assignment_id}"


class ReviewJobs:
    """Keeps the scheduler's peer-review jobs in step with the database and runs them."""

    def __init__(self, db: Database, clock: Clock, scheduler: BaseScheduler, notifier: Notifier, *,
                 scheduler_now: Callable[[], datetime] = real_now) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.notifier = notifier
        self._scheduler_now = scheduler_now
        self._armed: set[int] = set()
        self._locks: dict[int, asyncio.Lock] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """At start-up: settle what a crash left behind and build every job; returns how many."""
        for lost in await notices.mark_lost(self.db):
            log.warning("assignment %s: notice %s was claimed but not confirmed sent before the bot stopped; it "
                        "is not sent again", lost.assignment_id, lost.key)
        return await self.rebuild()

    async def rebuild(self) -> int:
        for assignment_id in list(self._armed):
            self._disarm(assignment_id)
        wake = await notices.next_pending_per_assignment(self.db)
        for assignment_id in await store.active_assignment_ids(self.db):
            assignment = await store.get_assignment_by_id(self.db, assignment_id)
            if assignment is not None:
                wake[assignment_id] = min(wake.get(assignment_id, assignment.due_at), assignment.due_at)
        for assignment_id, due in wake.items():
            self._arm(assignment_id, due)
        return len(wake)

    async def sync(self, assignment_id: int) -> None:
        """Re-derive one assignment's job after a change to it."""
        due = await notices.next_pending(self.db, assignment_id)
        assignment = await store.get_assignment_by_id(self.db, assignment_id)
        if assignment is not None and assignment.status is Status.OPEN:
            due = assignment.due_at if due is None else min(due, assignment.due_at)
        if due is None:
            self._disarm(assignment_id)
        else:
            self._arm(assignment_id, due)

    def _arm(self, assignment_id: int, due: datetime) -> None:
        run_at = self._scheduler_now() + (due - self.clock.now())
        self.scheduler.add_job(self._fire, "date", run_date=run_at, id=job_id(assignment_id), args=(assignment_id,),
                               replace_existing=True, misfire_grace_time=None)
        self._armed.add(assignment_id)

    def _disarm(self, assignment_id: int) -> None:
        if assignment_id in self._armed:
            self._armed.discard(assignment_id)
            try:
                self.scheduler.remove_job(job_id(assignment_id))
            except JobLookupError:
                pass  # it already ran

    def armed(self, assignment_id: int) -> bool:
        return assignment_id in self._armed

    def stop(self) -> None:
        """At shutdown: remove the jobs and cancel runs in progress (a claimed notice stays claimed)."""
        for assignment_id in list(self._armed):
            self._disarm(assignment_id)
        for task in list(self._running):
            task.cancel()

    # Running ------------------------------------------------------------------------------
    async def _fire(self, assignment_id: int) -> None:
        self._armed.discard(assignment_id)
        task = asyncio.get_running_loop().create_task(self.run(assignment_id), name=f"reviews:{assignment_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def run(self, assignment_id: int) -> None:
        """The job fired: draw reviewers if due, send every notice due, then arm the next moment."""
        lock = self._locks.setdefault(assignment_id, asyncio.Lock())
        async with lock:
            await self._run(assignment_id)

    async def _run(self, assignment_id: int) -> None:
        try:
            assignment = await store.get_assignment_by_id(self.db, assignment_id)
            if assignment is None:
                return
            if assignment.status is Status.OPEN and self.clock.now() >= assignment.due_at:
                people = {s.user_id for s in await store.submissions(self.db, assignment_id)}
                people |= set(await store.volunteers(self.db, assignment_id))
                absent = await self.notifier.absent(assignment.guild_id, people)
                started = await rounds.start_round(self.db, self.clock, assignment_id, absent=absent)
                if started is not None:
                    await self.notifier.refresh_card(started.assignment)
                    log.info("assignment %s: %d reviews drawn for %d submissions (seed %s)", assignment_id,
                             len(started.draw.pairs), started.submissions, started.assignment.seed)
            for notice in await notices.pending_up_to(self.db, assignment_id, self.clock.now()):
                await self.deliver(notice)
        except Exception:
            log.exception("assignment %s: running its job failed", assignment_id)
        finally:
            await self.sync(assignment_id)

    async def deliver(self, notice: Notice) -> str | None:
        """Send one notice at most once; returns its outcome (None if another run had it)."""
        assignment = await store.get_assignment_by_id(self.db, notice.assignment_id)
        if assignment is None:
            return None
        work: list[tuple[Review, Submission]] = []
        submission: Submission | None = None
        if notice.kind in ("assigned", "remind-48h", "remind-6h") and notice.user_id is not None:
            work = await self._open_work(assignment.id, notice.user_id)
            too_late = assignment.status is Status.CLOSED or (
                notice.kind != "assigned" and self._reminder_overtaken(notice))
            if not work or too_late:
                return Outcome.SKIPPED if await notices.skip(self.db, self.clock, notice) else None
        if notice.kind == notices.ENDED and assignment.status is Status.CLOSED:
            return Outcome.SKIPPED if await notices.skip(self.db, self.clock, notice) else None
        if notice.kind == "results":
            submission = await store.get_submission(self.db, notice.ref or 0)
            if submission is None:
                return Outcome.SKIPPED if await notices.skip(self.db, self.clock, notice) else None
        if not await notices.claim(self.db, self.clock, notice):
            return None
        # Claimed: from here until finish() a crash leaves it claimed and it is never sent again.
        try:
            outcome = await self._send(notice, assignment, work, submission)
        except DeliveryFailed as error:
            log.warning("assignment %s: %s could not be delivered: %s", assignment.id, notice.key, error)
            outcome = Outcome.FAILED
        except Exception:
            log.exception("assignment %s: %s failed", assignment.id, notice.key)
            outcome = Outcome.FAILED
        await notices.finish(self.db, self.clock, notice, outcome)
        return outcome

    async def _send(self, notice: Notice, assignment: Assignment, work: list[tuple[Review, Submission]],
                    submission: Submission | None) -> str:
        if notice.kind == notices.CARD:
            channel_id, message_id, thread_id = await self.notifier.post_card(assignment)
            await store.set_card(self.db, assignment.id, channel_id=channel_id, message_id=message_id,
                                 thread_id=thread_id)
            return Outcome.SENT
        if notice.kind == "assigned":
            assert notice.user_id is not None
            return await self.notifier.tell_reviewer(assignment, notice.user_id, work)
        if notice.kind.startswith("remind-"):
            assert notice.user_id is not None
            return await self.notifier.remind(assignment, notice.user_id, work, notices.reminder_lead(notice))
        if notice.kind == "results":
            assert submission is not None
            return await self.notifier.results(assignment, submission,
                                               await store.reviews_of_submission(self.db, submission.id))
        if notice.kind == notices.SHORTFALL:
            return await self.notifier.shortfall(assignment)
        if notice.kind == notices.ENDED:
            return await self.notifier.window_ended(assignment, await store.reviews_of_assignment(self.db,
                                                                                                  assignment.id))
        raise ValueError(f"unknown notice {notice.key}")

    def _reminder_overtaken(self, notice: Notice) -> bool:
        """After downtime a reminder may come too late: its window has ended, or a later reminder is due
        as well (the 48 h one once the 6 h one is due); then only the latest one goes."""
        lead, now = notices.reminder_lead(notice), self.clock.now()
        ends = notice.due_at + lead
        return now > ends or any(now >= ends - later for later in REMINDER_LEADS if later < lead)

    async def _open_work(self, assignment_id: int, user_id: int) -> list[tuple[Review, Submission]]:
        """The reviewer's reviews still to write, with the work each is about."""
        found = []
        for review in await store.reviews_by(self.db, assignment_id, user_id):
            if review.done:
                continue
            submission = await store.get_submission(self.db, review.submission_id)
            if submission is not None:
                found.append((review, submission))
        return found
