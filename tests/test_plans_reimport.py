"""Re-importing a plan file over a running plan: updated in place, progress kept for items that stay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import AlreadyExists, InvalidInput
from bot.plans import progress, reimport, store
from bot.plans.model import ItemDoc, ItemKind, PlanStatus, UnitDoc
from tests.plans_support import ALICE, GUILD, ORGANISER, small_doc


async def running(db: Database, clock: FakeClock) -> store.Plan:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    created = await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(), created_by=ORGANISER, channel_id=5)
    plan = await store.start_plan(db, clock, created.plan, start="2027-03-15 09:00", zone="Europe/Berlin")
    clock.set(datetime(2027, 3, 16, tzinfo=UTC))
    await progress.join(db, clock, plan, ALICE)
    return plan


async def test_items_kept_by_title_keep_their_progress_and_the_rest_follow_the_file(
        db: Database, clock: FakeClock) -> None:
    plan = await running(db, clock)
    reading, lecture, discussion = await store.items(db, plan.id, unit_id=(await store.units(db, plan.id))[0].id)
    for item in (reading, discussion):
        await progress.mark(db, clock, plan, item, ALICE, done=True)
    doc = small_doc(weeks=2)
    week1 = doc.units[0]
    new_week1 = replace(week1, title="Week one, revised", items=(
        replace(week1.items[0], title="  read CHAPTER 1 ", url="https://example.org/ch1-v2"),  # same, by title
        week1.items[1],
        ItemDoc(ItemKind.EXERCISE, "Exercise 1"),  # new; "Discuss 1" is gone
    ))
    done = await reimport.reimport_plan(db, clock, plan, replace(doc, units=(new_week1, doc.units[1])))
    assert (done.kept, done.added, done.removed, done.weeks_removed) == (2 + 3, 1, 1 + 3, 1)
    assert done.plan.status is PlanStatus.RUNNING and done.plan.unit_count == 2
    assert done.plan.start_local == plan.start_local
    units = await store.units(db, plan.id)
    items = await store.items(db, plan.id, unit_id=units[0].id)
    assert units[0].title == "Week one, revised"
    assert [(i.title, i.url) for i in items] == [("  read CHAPTER 1 ", "https://example.org/ch1-v2"),
                                                  ("Lecture 1", None), ("Exercise 1", None)]
    assert items[0].id == reading.id and items[1].id == lecture.id
    assert set(await progress.done_items(db, plan.id, ALICE)) == {reading.id}  # the discussion went, with its mark


async def test_a_started_plan_keeps_its_week_length(db: Database, clock: FakeClock) -> None:
    plan = await running(db, clock)
    with pytest.raises(InvalidInput, match="keeps its week length"):
        await reimport.reimport_plan(db, clock, plan, replace(small_doc(), unit_days=14))
    assert (await store.get_plan_by_id(db, plan.id)).unit_days == 7  # type: ignore[union-attr]


async def test_importing_an_existing_slug_without_replace_says_how_to_update(db: Database, clock: FakeClock) -> None:
    await running(db, clock)
    with pytest.raises(AlreadyExists, match="replace: True"):
        await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(), created_by=ORGANISER)


async def test_a_week_added_by_the_file_is_scheduled_like_the_others(db: Database, clock: FakeClock) -> None:
    plan = await running(db, clock)
    extra = UnitDoc(4, "Extra week", (), (ItemDoc(ItemKind.READING, "More"),))
    doc = small_doc()
    done = await reimport.reimport_plan(db, clock, plan, replace(doc, units=(*doc.units, extra)))
    assert done.plan.unit_count == 4 and done.added == 1 and done.kept == 9
    assert store.week_start(done.plan, 4) == datetime(2027, 4, 5, 7, tzinfo=UTC)  # Monday 09:00 Berlin (summer)
