"""Peer review's jobs (the draw at the due time, notices at most once) and study-plan assignments."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.claims import DeliveryFailed
from bot.clock import FakeClock, to_db
from bot.db import Database
from bot.plans.schedule import format_anchor
from bot.reviews import notices, reviewing, rounds, store, submissions
from bot.reviews.jobs import ReviewJobs
from bot.reviews.model import Assignment, Review, Status, Submission
from bot.reviews.plansync import sync_plan_assignments

GUILD = 9
ALICE, BOB, CAROL = 2, 3, 4
GOOD = "A comment long enough to be useful to the author of the submission, with specifics."


class RecordingNotifier:
    """Stands in for Discord: records what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.fail_with: Exception | None = None
        self.delay = 0.0  # seconds each DM takes, to overlap runs
        self.gone: set[int] = set()  # members who left the server

    def _record(self, kind: str, detail: Any) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((kind, detail))
        return "sent"

    async def post_card(self, assignment: Assignment) -> tuple[int, int, int | None]:
        self._record("card", assignment.id)
        return 100, 200, 300

    async def tell_reviewer(self, assignment: Assignment, user_id: int, work: list[tuple[Review, Submission]]) -> str:
        await asyncio.sleep(self.delay)
        return self._record("assigned", (user_id, len(work)))

    async def remind(self, assignment: Assignment, user_id: int, work: list[tuple[Review, Submission]],
                     lead: timedelta) -> str:
        return self._record(f"remind-{int(lead.total_seconds() // 3600)}h", (user_id, len(work)))

    async def results(self, assignment: Assignment, submission: Submission, reviews: list[Review]) -> str:
        return self._record("results", (submission.user_id, sum(1 for r in reviews if r.done)))

    async def shortfall(self, assignment: Assignment) -> str:
        return self._record("shortfall", assignment.shortfall)

    async def window_ended(self, assignment: Assignment, reviews: list[Review]) -> str:
        return self._record("ended", (sum(1 for r in reviews if r.done), len(reviews)))

    async def absent(self, guild_id: int, user_ids: Collection[int]) -> set[int]:
        return set(user_ids) & self.gone

    async def refresh_card(self, assignment: Assignment) -> None:
        self.sent.append(("refresh", assignment.status.value))

    def kinds(self, kind: str) -> list[Any]:
        return [detail for sent, detail in self.sent if sent == kind]


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def jobs(db: Database, clock: FakeClock, scheduler: AsyncIOScheduler, notifier: RecordingNotifier) -> ReviewJobs:
    return ReviewJobs(db, clock, scheduler, notifier)


async def assignment_with_three(db: Database, clock: FakeClock, **options: Any) -> Assignment:
    assignment = await store.create_assignment(db, clock, guild_id=GUILD, title="Project",
                                               due_at=clock.now() + timedelta(days=1), **options)
    for user in (ALICE, BOB, CAROL):
        await submissions.submit(db, clock, assignment, user_id=user, url=f"https://example.org/{user}")
    return assignment


async def drawn_and_alice_reviewed(db: Database, clock: FakeClock,
                                   jobs: ReviewJobs) -> tuple[Assignment, Review, datetime]:
    """Three submitters, one reviewer each, drawn at the due time; Alice has written her review.
    Returns the assignment, her review and the end of the review window."""
    assignment = await assignment_with_three(db, clock, reviewers=1)
    clock.advance(timedelta(days=1))
    await jobs.run(assignment.id)
    [alices] = await store.reviews_by(db, assignment.id, ALICE)
    for criterion in range(4):
        await reviewing.set_score(db, alices.id, ALICE, criterion, 4)
    await reviewing.submit_review(db, clock, alices.id, ALICE, works=GOOD, improve=GOOD)
    ends = (await store.get_assignment(db, GUILD, assignment.id)).review_ends_at
    assert ends is not None
    return assignment, alices, ends


async def test_the_card_goes_out_once_and_its_ids_are_kept(db: Database, clock: FakeClock, jobs: ReviewJobs,
                                                           notifier: RecordingNotifier) -> None:
    assignment = await assignment_with_three(db, clock)
    await jobs.run(assignment.id)
    await jobs.run(assignment.id)
    assert notifier.kinds("card") == [assignment.id]
    stored = await store.get_assignment(db, GUILD, assignment.id)
    assert (stored.channel_id, stored.message_id, stored.thread_id) == (100, 200, 300)
    assert jobs.armed(assignment.id)  # next: the due time


async def test_at_the_due_time_reviewers_are_drawn_and_each_told_once(db: Database, clock: FakeClock,
                                                                     jobs: ReviewJobs,
                                                                     notifier: RecordingNotifier) -> None:
    assignment = await assignment_with_three(db, clock, reviewers=2)
    await jobs.run(assignment.id)
    assert notifier.kinds("assigned") == []  # not due yet
    clock.advance(timedelta(days=1))
    await jobs.run(assignment.id)
    await jobs.run(assignment.id)
    assert sorted(notifier.kinds("assigned")) == [(ALICE, 2), (BOB, 2), (CAROL, 2)]
    assert notifier.kinds("refresh") == ["reviewing"]
    assert (await store.get_assignment(db, GUILD, assignment.id)).status is Status.REVIEWING


async def test_reminders_go_once_each_only_to_those_with_reviews_left(db: Database, clock: FakeClock,
                                                                     jobs: ReviewJobs,
                                                                     notifier: RecordingNotifier) -> None:
    assignment, alices, ends = await drawn_and_alice_reviewed(db, clock, jobs)
    for moment in (ends - timedelta(hours=47), ends - timedelta(hours=30), ends - timedelta(hours=5)):
        clock.set(moment)
        await jobs.run(assignment.id)
    assert sorted(notifier.kinds("remind-48h")) == [(BOB, 1), (CAROL, 1)]
    assert sorted(notifier.kinds("remind-6h")) == [(BOB, 1), (CAROL, 1)]
    history = {n.key: n.outcome for n in await notices.history(db, assignment.id)}
    assert history[f"remind-48h:{ALICE}"] == history[f"remind-6h:{ALICE}"] == "skipped"
    clock.set(ends + timedelta(minutes=1))
    await jobs.run(assignment.id)
    reviewed = await store.get_submission(db, alices.submission_id)
    assert reviewed is not None
    assert sorted(notifier.kinds("results")) == [(user, int(user == reviewed.user_id)) for user in (ALICE, BOB, CAROL)]


async def test_a_failed_send_is_not_retried_and_a_lost_claim_never_resent(db: Database, clock: FakeClock,
                                                                         jobs: ReviewJobs,
                                                                         notifier: RecordingNotifier) -> None:
    assignment = await assignment_with_three(db, clock)
    notifier.fail_with = DeliveryFailed("no channel")
    await jobs.run(assignment.id)
    notifier.fail_with = None
    await jobs.run(assignment.id)
    assert notifier.kinds("card") == []
    assert {n.key: n.outcome for n in await notices.history(db, assignment.id)} == {"card": "failed"}
    # A claim that was never marked (the process died after claiming) is lost at the next start.
    clock.advance(timedelta(days=1))
    await db.execute("INSERT INTO reviews_notices (guild_id, assignment_id, key, user_id, due_at, claimed_at) "
                     "VALUES (?, ?, 'results:999', NULL, ?, ?)", (GUILD, assignment.id, to_db(clock.now()),
                                                                  to_db(clock.now())))
    assert await jobs.start() == 1
    history = {n.key: n.outcome for n in await notices.history(db, assignment.id)}
    assert history["results:999"] == "lost"


async def test_a_notice_planned_while_a_run_is_sending_still_goes_out(db: Database, clock: FakeClock,
                                                                     jobs: ReviewJobs,
                                                                     notifier: RecordingNotifier) -> None:
    assignment = await assignment_with_three(db, clock)  # 3 submitters, 3 reviewers each: a shortfall
    clock.advance(timedelta(days=1))
    notifier.delay = 0.2
    await jobs.sync(assignment.id)  # fires at once through the scheduler: the draw, then three DMs
    for _ in range(100):
        if notifier.kinds("assigned"):
            break
        await asyncio.sleep(0.02)
    drawn = await store.get_assignment(db, GUILD, assignment.id)
    assert await rounds.volunteer(db, clock, drawn, 77) == 3  # mid-run: one more reviewer to tell
    await jobs.sync(assignment.id)
    for _ in range(150):
        if (77, 3) in notifier.kinds("assigned"):
            break
        await asyncio.sleep(0.02)
    assert sorted(notifier.kinds("assigned")) == [(ALICE, 2), (BOB, 2), (CAROL, 2), (77, 3)]


async def make_plan(db: Database, clock: FakeClock, *, status: str = "running") -> tuple[int, list[int]]:
    now = to_db(clock.now())
    anchor = format_anchor(clock.now().replace(tzinfo=None) + timedelta(days=1))
    plan_id, _ = await db.execute(
        "INSERT INTO plans (guild_id, slug, title, timezone, status, start_local, created_at, updated_at) "
        "VALUES (?, 'ml', 'ML', 'Europe/Berlin', ?, ?, ?, ?)", (GUILD, status, anchor, now, now))
    unit_id, _ = await db.execute("INSERT INTO plans_units (guild_id, plan_id, number, title) VALUES (?, ?, 1, 'W1')",
                                  (GUILD, plan_id))
    items = []
    for position, (kind, due_day) in enumerate((("assignment", 2), ("project", 6), ("reading", 1),
                                                ("exercise", None)), start=1):
        item_id, _ = await db.execute(
            "INSERT INTO plans_items (guild_id, plan_id, unit_id, position, kind, title, due_day, due_minute) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1080)", (GUILD, plan_id, unit_id, position, kind, f"{kind} 1", due_day))
        items.append(item_id)
    assert plan_id is not None
    return plan_id, items


async def test_plan_assignment_and_project_items_become_assignments_once(db: Database, clock: FakeClock) -> None:
    plan_id, items = await make_plan(db, clock)
    first = await sync_plan_assignments(db, clock, GUILD, plan_id)
    again = await sync_plan_assignments(db, clock, GUILD, plan_id)
    assert len(first.created) == 2 and again.changed == []
    made = [await store.get_assignment(db, GUILD, aid) for aid in first.created]
    assert {a.plan_item_id for a in made} == {items[0], items[1]}
    anchor = datetime.fromisoformat(await db.fetchval("SELECT start_local FROM plans WHERE id = ?", (plan_id,)))
    assert made[0].due_at.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None) == \
        (anchor + timedelta(days=2)).replace(hour=18, minute=0)
    await db.execute("UPDATE plans_items SET title = 'Renamed', due_day = 3 WHERE id = ?", (items[0],))
    moved = await sync_plan_assignments(db, clock, GUILD, plan_id)
    assert moved.updated == [made[0].id]
    renamed = await store.get_assignment(db, GUILD, made[0].id)
    assert renamed.title == "Renamed" and renamed.due_at - made[0].due_at == timedelta(days=1)


async def test_a_draft_plan_makes_no_assignments(db: Database, clock: FakeClock) -> None:
    plan_id, _ = await make_plan(db, clock, status="draft")
    assert (await sync_plan_assignments(db, clock, GUILD, plan_id)).changed == []


async def test_organisers_hear_once_when_the_window_ends_with_reviews_missing(
        db: Database, clock: FakeClock, jobs: ReviewJobs, notifier: RecordingNotifier) -> None:
    assignment, _, ends = await drawn_and_alice_reviewed(db, clock, jobs)
    clock.set(ends - timedelta(minutes=1))
    await jobs.run(assignment.id)
    assert notifier.kinds("ended") == []
    for _ in range(2):
        clock.set(ends + timedelta(minutes=1))
        await jobs.run(assignment.id)
    assert notifier.kinds("ended") == [(1, 3)]


async def test_reviewers_not_yet_told_when_the_round_closes_are_not_told_after(
        db: Database, clock: FakeClock, jobs: ReviewJobs, notifier: RecordingNotifier) -> None:
    assignment = await assignment_with_three(db, clock, reviewers=2)
    started = await rounds.close(db, clock, assignment)  # the draw: DMs planned, not sent yet
    await rounds.close(db, clock, started.assignment)  # a second organiser ends the round at once
    await jobs.run(assignment.id)
    assert notifier.kinds("assigned") == [] and len(notifier.kinds("results")) == 3
    history = {n.key: n.outcome for n in await notices.history(db, assignment.id)}
    assert {history[f"assigned:{user}"] for user in (ALICE, BOB, CAROL)} == {"skipped"}


async def test_a_plan_removed_and_imported_again_takes_back_its_open_assignments(db: Database,
                                                                                 clock: FakeClock) -> None:
    plan_id, _ = await make_plan(db, clock)
    first = await sync_plan_assignments(db, clock, GUILD, plan_id)
    await submissions.submit(db, clock, await store.get_assignment(db, GUILD, first.created[0]), user_id=ALICE,
                             url="https://example.org/alice")
    await db.execute("DELETE FROM plans WHERE id = ?", (plan_id,))  # /plan remove force:True
    assert {a.plan_item_id for a in await store.list_assignments(db, GUILD)} == {None}  # kept, submissions too
    again_id, items = await make_plan(db, clock)
    again = await sync_plan_assignments(db, clock, GUILD, again_id)
    assert again.created == []
    kept = await store.list_assignments(db, GUILD)
    assert len(kept) == 2 and {a.plan_item_id for a in kept} == {items[0], items[1]}
    assert await store.submission_of(db, first.created[0], ALICE) is not None


async def test_a_submitter_who_left_before_the_due_time_is_set_aside_by_the_draw(
        db: Database, clock: FakeClock, jobs: ReviewJobs, notifier: RecordingNotifier) -> None:
    assignment = await store.create_assignment(db, clock, guild_id=GUILD, title="Project", reviewers=1,
                                               due_at=clock.now() + timedelta(days=1))
    for user in (ALICE, BOB, CAROL, 5):
        await submissions.submit(db, clock, assignment, user_id=user, url=f"https://example.org/{user}")
    notifier.gone = {CAROL}
    clock.advance(timedelta(days=1))
    await jobs.run(assignment.id)
    reviews = await store.reviews_of_assignment(db, assignment.id)
    carols = await store.submission_of(db, assignment.id, CAROL)
    assert carols is not None and len(reviews) == 3
    assert CAROL not in {r.reviewer_id for r in reviews} and carols.id not in {r.submission_id for r in reviews}
    assert sorted(user for user, _ in notifier.kinds("assigned")) == [ALICE, BOB, 5]


async def test_after_downtime_over_both_reminder_times_only_the_later_reminder_goes(
        db: Database, clock: FakeClock, jobs: ReviewJobs, notifier: RecordingNotifier) -> None:
    assignment, _, ends = await drawn_and_alice_reviewed(db, clock, jobs)
    clock.set(ends - timedelta(hours=5))  # the bot was down from the draw until now
    await jobs.run(assignment.id)
    assert notifier.kinds("remind-48h") == [] and sorted(notifier.kinds("remind-6h")) == [(BOB, 1), (CAROL, 1)]
    history = {n.key: n.outcome for n in await notices.history(db, assignment.id)}
    assert history[f"remind-48h:{BOB}"] == history[f"remind-48h:{CAROL}"] == "skipped"
