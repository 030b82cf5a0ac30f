"""What plan cards show, within Discord's limits whatever the plan holds."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FakeClock
from bot.db import Database
from bot.plans import store
from bot.plans.model import MAX_ITEMS_PER_UNIT, MAX_UNITS, Due, ItemDoc, ItemKind, PlanDoc, UnitDoc
from bot.ui.render import EMBED_DESCRIPTION
from cogs._plans_cards import catch_up_embed, duration, item_line, started_text, week_embed
from cogs._plans_views import OPTIONS_PER_SELECT, done_view
from tests.plans_support import GUILD, ORGANISER, small_doc


def test_durations_read_as_people_say_them() -> None:
    assert [duration(m) for m in (45, 60, 90, 135)] == ["45 min", "1 h", "1 h 30 min", "2 h 15 min"]


async def test_a_full_week_of_long_titles_fits_the_card_and_its_menus(db: Database, clock: FakeClock) -> None:
    items = tuple(ItemDoc(ItemKind.READING, f"{'Long title ' * 18}{n}", f"https://example.org/{'p' * 300}/{n}",
                          minutes=90, due=Due(2, 18 * 60)) for n in range(MAX_ITEMS_PER_UNIT))
    doc = PlanDoc(title="Big", units=tuple(UnitDoc(n, "W" * 150, ("goal " * 50,), items if n < 4 else items[:2])
                                           for n in range(1, MAX_UNITS + 1)))
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    plan = (await store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ORGANISER, channel_id=5)).plan
    plan = await store.start_plan(db, clock, plan, start="2027-01-04 09:00", zone="Europe/Berlin")
    units = await store.units(db, plan.id)
    first = await store.items(db, plan.id, unit_id=units[0].id)
    embed = week_embed(plan, units[0], first)
    assert embed.description is not None and len(embed.description) <= EMBED_DESCRIPTION
    assert "more items" in embed.description and len(embed.title or "") <= 256
    view = done_view(units[0], first)
    assert [len(select.item.options) for select in view.children] == [OPTIONS_PER_SELECT, 25]  # type: ignore[attr-defined]
    assert [select.item.custom_id for select in view.children] == [  # type: ignore[attr-defined]
        f"plan:done:{units[0].id}", f"plan:done:{units[0].id}:p2"]
    catch_up = catch_up_embed(plan, units, await store.items(db, plan.id))
    assert len(catch_up.description or "") <= EMBED_DESCRIPTION and len(catch_up) <= 6000
    assert "Week 1 · " in (catch_up.description or "") and "more weeks" in (catch_up.description or "")


async def test_an_item_line_shows_kind_link_estimate_library_and_due(db: Database, clock: FakeClock) -> None:
    doc = PlanDoc(title="P", units=(UnitDoc(1, "One", (), (
        ItemDoc(ItemKind.VIDEO, "Talk (part 1)", "https://example.org/a_(b)", required=False, minutes=50,
                due=Due(6, 23 * 60 + 59)),)),))
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    plan = (await store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ORGANISER, channel_id=5)).plan
    [item] = await store.items(db, plan.id)
    assert item_line(plan, item) == ("🎬 [Talk (part 1)](https://example.org/a_%28b%29) · 50 min · optional · "
                                     "due day 7, 23:59")
    plan = await store.start_plan(db, clock, plan, start="2027-01-04 09:00", zone="Europe/Berlin")
    assert item_line(plan, item).endswith("due <t:1799621940:f>")
    assert item_line(plan, item, done=True).startswith("✅ ")


async def test_a_start_today_after_the_hour_says_week_1_is_running_and_its_card_goes_out(
        db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2027, 3, 15, 14, tzinfo=UTC))  # Monday 15:00 in Berlin
    plan = (await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(), created_by=ORGANISER,
                                    channel_id=5)).plan
    plan = await store.start_plan(db, clock, plan, start="2027-03-15 09:00", zone="Europe/Berlin")
    text = started_text(plan, clock.now())
    assert "is running: week 1 began <t:1805097600:R>, and its card goes out now (Europe/Berlin)" in text
    clock.set(datetime(2027, 3, 15, 7, tzinfo=UTC))
    assert "starts <t:1805097600:F>" in started_text(plan, clock.now())


async def test_a_week_card_posted_late_says_so(db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    plan = (await store.create_plan(db, clock, guild_id=GUILD, doc=small_doc(), created_by=ORGANISER,
                                    channel_id=5)).plan
    plan = await store.start_plan(db, clock, plan, start="2027-03-15 09:00", zone="Europe/Berlin")
    unit = (await store.units(db, plan.id))[0]
    items = await store.items(db, plan.id, unit_id=unit.id)
    on_time = week_embed(plan, unit, items, posted_at=datetime(2027, 3, 15, 8, 0, 5, tzinfo=UTC))
    late = week_embed(plan, unit, items, posted_at=datetime(2027, 3, 17, 8, tzinfo=UTC))
    assert (on_time.description or "").startswith("Starts <t:1805097600:F>")
    assert (late.description or "").startswith("Started <t:1805097600:F> (<t:1805097600:R>); posted late")
