"""The weekly rhythm: what a running plan posts when, as scheduler jobs derived from the database.

One job per running plan (id ``plan:<id>``), armed for its next unclaimed post (see
:mod:`bot.plans.posts`); when it fires it handles everything due and arms the next. Jobs are
rebuilt at start (:meth:`PlanJobs.start`) and re-derived after every change to a plan
(:meth:`PlanJobs.sync`). As with the sessions' jobs, a post due at ``due`` (clock time) fires after
``due - clock.now()`` of real time, so tests move a fake clock and the scheduler follows.

What a run posts:

- **Week cards.** A week's card goes out at its start. After downtime, the week running now is
  still posted on its own card, late: its learners need its thread and its "Mark done" menu
  whether it began an hour or three days ago. Weeks that ended while the bot was down (there is
  nothing left to discuss in their own threads) go together on one catch-up card.
- **Check-in calls** on each week's last day, in the week's thread, while the week runs.
- **Deadline reminders** 24 h before items fall due, to enrolled members who have not done them:
  by DM for those who chose it (in the thread if their DMs are closed), else one message in the
  thread that mentions exactly them. Nothing is sent once the due time has passed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

from bot.claims import DeliveryFailed
from bot.clock import Clock, real_now
from bot.db import Database
from bot.plans import posts, store
from bot.plans.model import PlanStatus
from bot.plans.posts import Event, Posted
from bot.plans.store import Item, Plan, Unit

log = logging.getLogger("bot.plans")
JOB_PREFIX = "plan:"
RETRY_AFTER = timedelta(minutes=5)  # after an unexpected error (the database, a bug), not a refusal


@dataclass(frozen=True)
class Where:
    """Where a week's follow-ups go: its thread, else the plan's channel."""

    channel_id: int | None
    thread_id: int | None

    @property
    def target(self) -> int | None:
        return self.thread_id or self.channel_id


class Notifier(Protocol):
    """Sends what a plan posts; implemented by the plans cog. Raises DeliveryFailed when Discord refuses."""

    async def week_card(self, plan: Plan, unit: Unit, items: list[Item]) -> Posted: ...

    async def catch_up(self, plan: Plan, units: list[Unit], items: list[Item]) -> Posted: ...

    async def checkin_call(self, plan: Plan, unit: Unit, where: Where) -> Posted: ...

    async def deadline_in_thread(self, plan: Plan, unit: Unit, items: list[Item], due_at: datetime,
                                 user_ids: list[int], where: Where) -> Posted: ...

    async def deadline_by_dm(self, plan: Plan, unit: Unit, items: list[Item], due_at: datetime,
                             user_id: int) -> bool:
        """True if the DM went out; False if the member's DMs are closed (they are told in the thread)."""
        ...


def job_id(plan_id: int) -> str:
    return f"{JOB_PREFIX}{plan_id}"


class PlanJobs:
    """Keeps the scheduler's plan jobs in step with the database and runs them."""

    def __init__(self, db: Database, clock: Clock, scheduler: BaseScheduler, notifier: Notifier, *,
                 scheduler_now: Callable[[], datetime] = real_now,
                 before_run: Callable[[int], Awaitable[None]] | None = None,
                 pause_after_claim: float = 0.0) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.notifier = notifier
        self._scheduler_now = scheduler_now
        self._before_run = before_run  # waits until the plan's guild is seeded
        # Test hook (COHORT_TEST_PAUSE_AFTER_CLAIM, as for sessions): wait between claim and send so that
        # a test can kill the process exactly there. Zero in production.
        self._pause_after_claim = pause_after_claim
        self._armed: set[int] = set()

    # Deriving jobs --------------------------------------------------------------------------
    async def start(self) -> int:
        for lost in await posts.mark_lost(self.db):
            log.warning("plan %s: %s was claimed but not confirmed sent before the bot stopped; it is not sent "
                        "again (posts are at most once)", lost["plan_id"], lost["key"])
        return await self.rebuild()

    async def rebuild(self) -> int:
        for plan_id in list(self._armed):
            self._disarm(plan_id)
        plan_ids = await store.running_plan_ids(self.db)
        for plan_id in plan_ids:
            await self.sync(plan_id)
        return len(self._armed)

    async def sync(self, plan_id: int, *, not_before: timedelta = timedelta(0)) -> None:
        """Re-derive a plan's job after a change to it (or after it ran)."""
        plan = await store.get_plan_by_id(self.db, plan_id)
        upcoming = await self._pending(plan) if plan and plan.status is PlanStatus.RUNNING else []
        if not upcoming:
            self._disarm(plan_id)
            return
        run_at = self._scheduler_now() + max(upcoming[0].at - self.clock.now(), not_before)
        self.scheduler.add_job(self.run, "date", run_date=run_at, id=job_id(plan_id), args=(plan_id,),
                               replace_existing=True, misfire_grace_time=None)
        self._armed.add(plan_id)

    def _disarm(self, plan_id: int) -> None:
        if plan_id in self._armed:
            self._armed.discard(plan_id)
            try:
                self.scheduler.remove_job(job_id(plan_id))
            except JobLookupError:
                pass

    def armed(self, plan_id: int) -> bool:
        return plan_id in self._armed

    async def _pending(self, plan: Plan) -> list[Event]:
        taken = await posts.taken_keys(self.db, plan.id)
        events = posts.planned(plan, await store.items(self.db, plan.id), await store.units(self.db, plan.id))
        return [event for event in events if event.key not in taken]

    # Running --------------------------------------------------------------------------------
    async def run(self, plan_id: int) -> None:
        self._armed.discard(plan_id)
        delay = timedelta(0)
        try:
            await self.post_due(plan_id)
        except Exception:
            log.exception("plan %s: posting what was due failed; trying again in %s", plan_id, RETRY_AFTER)
            delay = RETRY_AFTER  # what is still unclaimed is tried again, not in a tight loop
        try:
            await self.sync(plan_id, not_before=delay)
        except Exception as error:  # the database closing under a job at shutdown; the start rebuilds it
            log.warning("plan %s: could not arm the next post: %s", plan_id, error)

    async def post_due(self, plan_id: int) -> list[str]:
        """Post everything of the plan that is due now, each at most once; returns the keys sent."""
        plan = await store.get_plan_by_id(self.db, plan_id)
        if plan is None or plan.status is not PlanStatus.RUNNING:
            return []
        if self._before_run is not None:
            await self._before_run(plan.guild_id)
        now = self.clock.now()
        due = [event for event in await self._pending(plan) if event.at <= now]
        if not due:
            return []
        all_units = {unit.number: unit for unit in await store.units(self.db, plan.id)}
        all_items = await store.items(self.db, plan.id)
        sent: list[str] = []
        cards = [e for e in due if e.kind == posts.CARD]
        missed = [e for e in cards if now >= e.expires]  # ended during downtime; the running week gets its card
        if missed:
            sent += await self._catch_up(plan, [all_units[e.unit_number] for e in missed], all_items)
        for event in cards:
            if event not in missed:
                sent += await self._card(plan, all_units[event.unit_number], all_items)
        for event in due:
            if event.kind == posts.CHECKIN:
                sent += await self._checkin_call(plan, all_units[event.unit_number], event, now)
            elif event.kind == posts.DEADLINE:
                sent += await self._deadline(plan, all_units[event.unit_number], all_items, event, now)
        return sent

    async def _send(self, plan: Plan, post_id: int, key: str, send: Callable[[], Awaitable[Posted]]) -> list[str]:
        """Send a claimed post and record the outcome (failures are logged, never retried)."""
        # Claimed. If the process dies from here until finish() below, the post stays claimed without
        # sent_at: it is never sent again (marked "lost" at the next start). At most once.
        if self._pause_after_claim:
            await asyncio.sleep(self._pause_after_claim)
        try:
            posted = await send()
        except DeliveryFailed as error:
            log.warning("plan %s: %s could not be posted: %s", plan.id, key, error)
            await posts.finish(self.db, self.clock, post_id, "failed")
            return []
        except Exception:
            log.exception("plan %s: posting %s failed", plan.id, key)
            await posts.finish(self.db, self.clock, post_id, "failed")
            return []
        await posts.finish(self.db, self.clock, post_id, "sent", posted)
        return [key]

    async def _card(self, plan: Plan, unit: Unit, all_items: list[Item]) -> list[str]:
        key = f"{posts.CARD}:{unit.number}"
        post_id = await posts.claim(self.db, self.clock, plan, key, unit_id=unit.id)
        if post_id is None:
            return []
        items = [item for item in all_items if item.unit_id == unit.id]
        return await self._send(plan, post_id, key, lambda: self.notifier.week_card(plan, unit, items))

    async def _catch_up(self, plan: Plan, missed: list[Unit], all_items: list[Item]) -> list[str]:
        """Weeks missed during downtime: one card for all of them; their own cards are not sent."""
        key = posts.catchup_key(missed[0].number, missed[-1].number)
        async with self.db.transaction():
            post_id = await posts.claim(self.db, self.clock, plan, key, unit_id=None)
            if post_id is None:
                return []
            await posts.skip_keys(self.db, self.clock, plan, [(f"{posts.CARD}:{u.number}", u.id) for u in missed])
        ids = {unit.id for unit in missed}
        items = [item for item in all_items if item.unit_id in ids]
        return await self._send(plan, post_id, key, lambda: self.notifier.catch_up(plan, missed, items))

    async def where(self, plan: Plan, unit: Unit) -> Where:
        channel_id, thread_id = await posts.week_thread(self.db, plan.id, unit.number)
        return Where(channel_id or plan.channel_id, thread_id)

    async def _checkin_call(self, plan: Plan, unit: Unit, event: Event, now: datetime) -> list[str]:
        if now >= event.expires:
            await posts.skip_keys(self.db, self.clock, plan, [(event.key, unit.id)])
            return []
        post_id = await posts.claim(self.db, self.clock, plan, event.key, unit_id=unit.id)
        if post_id is None:
            return []
        where = await self.where(plan, unit)
        return await self._send(plan, post_id, event.key, lambda: self.notifier.checkin_call(plan, unit, where))

    async def _deadline(self, plan: Plan, unit: Unit, all_items: list[Item], event: Event,
                        now: datetime) -> list[str]:
        if now >= event.expires:  # the due time has passed: a reminder would only confuse
            await posts.skip_keys(self.db, self.clock, plan, [(event.key, unit.id)])
            return []
        assert event.due is not None
        post_id = await posts.claim(self.db, self.clock, plan, event.key, unit_id=unit.id)
        if post_id is None:
            return []
        items = [item for item in all_items if item.unit_id == unit.id and item.due == event.due]
        undone = await self.not_done(plan, items)
        in_thread = [user_id for user_id, dm in undone if not dm]
        by_dm = [user_id for user_id, dm in undone if dm]
        sent: list[str] = []
        if by_dm:
            won = await posts.claim_dms(self.db, self.clock, plan, unit.id, unit.number, event.due, by_dm)
            delivered, closed = [], []
            try:
                for user_id, dm_post in won.items():
                    if await self.notifier.deadline_by_dm(plan, unit, items, event.expires, user_id):
                        delivered.append(dm_post)
                        sent.append(posts.dm_key(unit.number, event.due, user_id))
                    else:
                        closed.append(dm_post)
                        in_thread.append(user_id)
            finally:  # what went out is recorded even if a later DM raised
                await posts.finish_many(self.db, self.clock, delivered, "sent")
                await posts.finish_many(self.db, self.clock, closed, "failed")
        if not in_thread:
            await posts.finish(self.db, self.clock, post_id, "skipped")
            return sent
        where = await self.where(plan, unit)
        return sent + await self._send(plan, post_id, event.key, lambda: self.notifier.deadline_in_thread(
            plan, unit, items, event.expires, sorted(in_thread), where))

    async def not_done(self, plan: Plan, items: Sequence[Item]) -> list[tuple[int, bool]]:
        """Enrolled members with any of ``items`` not done: ``(user_id, wants a DM)``."""
        if not items:
            return []
        marks = ",".join("?" * len(items))
        rows = await self.db.fetchall(
            "SELECT e.user_id, IFNULL(s.remind_dm, 0) AS dm FROM plans_enrolments AS e "
            "LEFT JOIN plans_member_settings AS s ON s.guild_id = e.guild_id AND s.user_id = e.user_id "
            "WHERE e.plan_id = ? AND e.left_at IS NULL AND (SELECT COUNT(*) FROM plans_progress AS p "
            f"WHERE p.user_id = e.user_id AND p.item_id IN ({marks})) < ? ORDER BY e.user_id",
            (plan.id, *(item.id for item in items), len(items)))
        return [(row[0], bool(row[1])) for row in rows]

