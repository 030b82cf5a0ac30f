"""Study plans' domain against a real SQLite file: create, link, start, pause, progress, check-ins, board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import topics
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import AlreadyExists, InvalidInput, NotFound
from bot.gate import privacy
from bot.plans import checkins, posts, progress, store
from bot.plans.model import PlanStatus
from bot.resources.starter import seed_starter_library
from tests.plans_support import ALICE, BOB, CAROL, GUILD, ORGANISER, small_doc

MONDAY_0900_BERLIN_2027 = "2027-03-15 09:00"  # DST starts 2027-03-28 in Berlin


async def seeded(db: Database, clock: FakeClock) -> None:
    await topics.seed_topics(db, clock, GUILD)
    await seed_starter_library(db, clock, GUILD)


async def created(db: Database, clock: FakeClock, **kwargs: object) -> store.Plan:
    doc = small_doc(**kwargs)  # type: ignore[arg-type]
    result = await store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ORGANISER, channel_id=555)
    return result.plan


async def started(db: Database, clock: FakeClock, **kwargs: object) -> store.Plan:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    plan = await created(db, clock, **kwargs)
    return await store.start_plan(db, clock, plan, start=MONDAY_0900_BERLIN_2027, zone="Europe/Berlin")


# Creating -----------------------------------------------------------------------------------------
async def test_a_plan_is_created_with_its_weeks_and_items(db: Database, clock: FakeClock) -> None:
    plan = await created(db, clock)
    assert (plan.slug, plan.status, plan.unit_count) == ("ml-systems-design", PlanStatus.DRAFT, 3)
    found = await store.items(db, plan.id)
    assert [i.label for i in found[:3]] == ["W1 · Read chapter 1", "W1 · Lecture 1", "W1 · Discuss 1"]
    assert await store.plan_doc(db, plan) == small_doc(slug="ml-systems-design")


async def test_the_same_slug_twice_is_refused_and_writes_nothing(db: Database, clock: FakeClock) -> None:
    await created(db, clock)
    with pytest.raises(AlreadyExists, match="already exists"):
        await created(db, clock)
    assert await db.fetchval("SELECT COUNT(*) FROM plans_units") == 3


async def test_an_unknown_topic_writes_nothing(db: Database, clock: FakeClock) -> None:
    with pytest.raises(NotFound, match="no topic"):
        await created(db, clock, topic="nope")
    assert await db.fetchval("SELECT COUNT(*) FROM plans") == 0


async def test_items_link_to_the_library_by_its_url_spelling(db: Database, clock: FakeClock) -> None:
    await seeded(db, clock)
    doc = small_doc(topic="mlops")
    first = doc.units[0]
    spelled = first.items[0].__class__(first.items[0].kind, "MLflow", "HTTPS://MLflow.org/?utm_source=x")
    doc = doc.__class__(doc.title, doc.description, (first.__class__(1, first.title, first.goals, (spelled,)),
                                                       *doc.units[1:]), topic="mlops")
    result = await store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ORGANISER)
    [item] = await store.items(db, result.plan.id, unit_id=(await store.units(db, result.plan.id))[0].id)
    assert item.resource_id == await db.fetchval("SELECT id FROM resources WHERE url = 'https://mlflow.org/'")
    assert (result.linked, result.added_links) == (1, 0)


async def test_import_can_add_missing_links_under_the_topic(db: Database, clock: FakeClock) -> None:
    await seeded(db, clock)
    before = await db.fetchval("SELECT COUNT(*) FROM resources")
    result = await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(topic="mlops"),
                                     created_by=ORGANISER, add_links=True)
    assert (result.linked, result.added_links) == (3, 3)
    assert await db.fetchval("SELECT COUNT(*) FROM resources") == before + 3
    topic = await topics.get_topic(db, GUILD, "mlops")
    assert await db.fetchval("SELECT COUNT(*) FROM resources WHERE url LIKE 'https://example.org/ch%' "
                             "AND topic_id = ?", (topic.id,)) == 3


# Starting and its life -------------------------------------------------------------------------------
async def test_start_keeps_monday_nine_in_berlin_across_dst(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    starts = [store.week_start(plan, n) for n in (1, 2, 3)]
    assert [s.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") for s in starts if s] == ["Mon 09:00"] * 3
    assert starts[1] - starts[0] == timedelta(days=7) and starts[2] - starts[1] == timedelta(days=7, hours=-1)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(weeks_later=st.integers(0, 150), week=st.integers(1, 52))
def test_every_week_of_a_monday_nine_berlin_plan_starts_monday_nine(weeks_later: int, week: int) -> None:
    """The store's schedule (start → week starts), across every DST change of three years."""
    first = datetime(2026, 1, 5) + timedelta(weeks=weeks_later)
    plan = store.Plan(1, GUILD, "p", "P", "", None, 1, "Europe/Berlin", 7, PlanStatus.RUNNING,
                      first.strftime("%Y-%m-%dT09:00"), None, None, 52)
    begins = store.week_start(plan, week)
    assert begins is not None
    local = begins.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert store.current_week(plan, begins) == week


async def test_a_start_in_the_past_is_refused_unless_backfilled(db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2027, 3, 24, tzinfo=UTC))  # week 2 of a plan started 2027-03-15
    plan = await created(db, clock)
    with pytest.raises(InvalidInput, match="in the past"):
        await store.start_plan(db, clock, plan, start=MONDAY_0900_BERLIN_2027, zone="Europe/Berlin")
    assert (await store.get_plan_by_id(db, plan.id)).status is PlanStatus.DRAFT  # type: ignore[union-attr]
    plan = await store.start_plan(db, clock, plan, start=MONDAY_0900_BERLIN_2027, zone="Europe/Berlin",
                                  backfill=True)
    assert store.current_week(plan, clock.now()) == 2
    keys = {row["key"]: row["status"] for row in await posts.history(db, plan.id)}
    assert keys == {"card:1": "skipped", "checkin:1": "skipped", "deadline:1:6:1439": "skipped"}


async def test_a_start_today_at_an_hour_already_gone_runs_week_1_at_once(db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2027, 3, 15, 14, tzinfo=UTC))  # Monday 15:00 in Berlin
    plan = await created(db, clock)
    plan = await store.start_plan(db, clock, plan, start="2027-03-15", zone="Europe/Berlin")  # 09:00 today
    assert plan.status is PlanStatus.RUNNING and store.current_week(plan, clock.now()) == 1
    assert await posts.history(db, plan.id) == []  # nothing counted as posted: week 1's card is still due
    yesterday = await created(db, clock, slug="other")
    with pytest.raises(InvalidInput, match="in the past"):
        await store.start_plan(db, clock, yesterday, start="2027-03-14 23:30", zone="Europe/Berlin")


async def test_bad_start_dates_say_what_to_type(db: Database, clock: FakeClock) -> None:
    plan = await created(db, clock)
    for text in ("next monday", "2027-02-30", "2027-01-04 25:00"):
        with pytest.raises(InvalidInput, match="2027-01-04"):
            await store.start_plan(db, clock, plan, start=text, zone="UTC")


async def test_pause_and_resume_move_the_remaining_weeks(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    week2 = store.week_start(plan, 2)
    clock.set(datetime(2027, 3, 17, 12, tzinfo=UTC))
    plan = await store.pause_plan(db, clock, plan)
    with pytest.raises(InvalidInput, match="only a running plan"):
        await store.pause_plan(db, clock, plan)
    clock.advance(timedelta(days=3))
    plan = await store.resume_plan(db, clock, plan)
    assert plan.status is PlanStatus.RUNNING and store.week_start(plan, 2) == week2 + timedelta(days=3)  # type: ignore[operator]


async def test_a_running_plan_is_removed_only_when_forced(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    await progress.join(db, clock, plan, ALICE)
    with pytest.raises(InvalidInput, match="force"):
        await store.remove_plan(db, plan)
    await store.remove_plan(db, plan, force=True)
    assert await db.fetchval("SELECT COUNT(*) FROM plans_enrolments") == 0
    with pytest.raises(NotFound, match="no plan"):
        await store.get_plan(db, GUILD, plan.slug)


async def test_unknown_week_is_refused(db: Database, clock: FakeClock) -> None:
    plan = await created(db, clock)
    with pytest.raises(NotFound, match="weeks 1–3"):
        await store.get_unit(db, plan, 9)


# Progress -----------------------------------------------------------------------------------------
async def test_marking_needs_the_plan_joined_and_records_nothing_otherwise(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    item = (await store.items(db, plan.id))[0]
    with pytest.raises(progress.NotEnrolled):
        await progress.mark(db, clock, plan, item, ALICE, done=True)
    assert await db.fetchval("SELECT COUNT(*) FROM plans_progress") == 0


async def test_a_unit_is_done_when_its_required_items_are(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    await progress.join(db, clock, plan, ALICE)
    reading, video, discussion = (await store.items(db, plan.id))[:3]
    assert not (await progress.mark(db, clock, plan, reading, ALICE, done=True)).unit_done
    assert not (await progress.mark(db, clock, plan, video, ALICE, done=True)).unit_done
    marked = await progress.mark(db, clock, plan, discussion, ALICE, done=True)
    assert marked.changed and marked.unit_done
    assert not (await progress.mark(db, clock, plan, discussion, ALICE, done=True)).changed
    undone = await progress.mark(db, clock, plan, video, ALICE, done=False)  # optional: the unit stays done
    assert undone.changed and undone.unit_done


async def test_leaving_keeps_history_and_rejoining_brings_it_back(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    assert await progress.join(db, clock, plan, ALICE)
    assert not await progress.join(db, clock, plan, ALICE)
    item = (await store.items(db, plan.id))[0]
    await progress.mark(db, clock, plan, item, ALICE, done=True)
    await progress.leave(db, clock, plan, ALICE)
    with pytest.raises(InvalidInput, match="not in"):
        await progress.leave(db, clock, plan, ALICE)
    assert await progress.done_items(db, plan.id, ALICE)
    assert await progress.join(db, clock, plan, ALICE)
    assert item.id in await progress.done_items(db, plan.id, ALICE)


async def test_the_board_counts_members_and_shares_per_week(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    clock.set(datetime(2027, 3, 23, tzinfo=UTC))
    for member in (ALICE, BOB, CAROL):
        await progress.join(db, clock, plan, member)
    reading, _, discussion = (await store.items(db, plan.id))[:3]
    for item in (reading, discussion):
        await progress.mark(db, clock, plan, item, ALICE, done=True)
    await progress.mark(db, clock, plan, reading, BOB, done=True)
    await progress.leave(db, clock, plan, CAROL)
    board = await progress.board(db, plan, now=clock.now(), viewer_id=ALICE, viewer_name="alice")
    assert (board.cohort, board.current_week, board.viewer_name) == (2, 2, "alice")
    week1 = board.weeks[0]
    assert (week1.members_done, week1.items_done_share, week1.mine_done, week1.mine_total) == (1, 0.75, 2, 2)
    assert board.weeks[1].members_done == 0 and board.weeks[1].items_done_share == 0
    outsider = await progress.board(db, plan, now=clock.now(), viewer_id=CAROL, viewer_name="carol")
    assert outsider.viewer_name is None and outsider.weeks[0].mine_done is None


# Check-ins ----------------------------------------------------------------------------------------
async def test_checkin_streak_counts_weeks_in_a_row(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock, weeks=5)
    await progress.join(db, clock, plan, ALICE)
    for day in (16, 23):  # weeks 1 and 2
        clock.set(datetime(2027, 3, day, 12, tzinfo=UTC))
        unit = await checkins.checkin_week(db, plan, clock.now())
        first = await checkins.record(db, clock, plan, unit, ALICE, did="read", next_="more", blockers="",
                                      private=False)
        assert first.first
    again = await checkins.record(db, clock, plan, unit, ALICE, did="read twice", next_="", blockers="", private=True)
    assert not again.first and again.private
    assert await checkins.streak(db, plan, ALICE, now=clock.now()) == 2
    clock.set(datetime(2027, 3, 30, 12, tzinfo=UTC))  # week 3, not yet checked in: the run still counts
    assert await checkins.streak(db, plan, ALICE, now=clock.now()) == 2
    clock.set(datetime(2027, 4, 6, 12, tzinfo=UTC))  # week 3 passed without one
    assert await checkins.streak(db, plan, ALICE, now=clock.now()) == 0


async def test_an_empty_checkin_is_refused(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    clock.set(datetime(2027, 3, 16, tzinfo=UTC))
    unit = await checkins.checkin_week(db, plan, clock.now())
    with pytest.raises(InvalidInput, match="empty"):
        await checkins.record(db, clock, plan, unit, ALICE, did=" ", next_="", blockers="", private=False)


# Privacy ------------------------------------------------------------------------------------------
async def test_privacy_export_and_forget_cover_the_plans_tables(db: Database, clock: FakeClock) -> None:
    plan = await started(db, clock)
    clock.set(datetime(2027, 3, 16, tzinfo=UTC))
    await progress.join(db, clock, plan, ALICE)
    await progress.join(db, clock, plan, BOB)
    await progress.mark(db, clock, plan, (await store.items(db, plan.id))[0], ALICE, done=True)
    unit = await checkins.checkin_week(db, plan, clock.now())
    saved = await checkins.record(db, clock, plan, unit, ALICE, did="x", next_="", blockers="", private=False)
    await checkins.set_message(db, saved.id, 9001)  # posted in the plan's channel (no thread yet)
    assert await privacy.unregistered_user_columns(db) == []
    exported = (await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD))["data"]
    assert {"plans_enrolments.user_id", "plans_progress.user_id", "plans_checkins.user_id"} <= set(exported)
    assert exported["plans_checkins.user_id"][0]["did"] == "x"
    result = await privacy.forget_user(db, user_id=ALICE, guild_id=GUILD)
    assert result.public_cards == ((555, 9001),)  # the public card quoting her goes too
    for table in ("plans_enrolments", "plans_progress", "plans_checkins"):
        assert await db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (ALICE,)) == 0
    assert await progress.is_enrolled(db, plan.id, BOB)
