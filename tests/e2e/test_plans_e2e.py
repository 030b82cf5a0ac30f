"""Study plans end to end: the real bot against the Discord stand-in, with a fake clock."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from bot.clock import FakeClock
from bot.core import CohortBot
from bot.plans import files, posts, progress, store
from tests.conftest import BotRunner
from tests.e2e.helpers import loaded_cog, start_with_jobs, wait_for, wait_until
from tests.standin import SentMessage, StandIn, Upload

SLUG = "ml-systems-design"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2027, 1, 1, 12, tzinfo=UTC))


async def start(bot_runner: BotRunner, clock: FakeClock) -> CohortBot:
    return await start_with_jobs(bot_runner, clock, "Plans")


@pytest.fixture
async def bot(bot_runner: BotRunner, clock: FakeClock, standin: StandIn) -> CohortBot:
    return await start(bot_runner, clock)


def cog(bot: CohortBot) -> Any:
    return loaded_cog(bot, "Plans")


async def import_and_start(standin: StandIn, bot: CohortBot) -> store.Plan:
    reply = await standin.slash("plan import", user=standin.admin, example=SLUG,
                                options={"channel": standin.announcements})
    assert reply.ephemeral and "Imported" in reply.text, reply.text
    started = await standin.slash("plan start", user=standin.admin, plan=SLUG, date="2027-01-04 09:00",
                                  timezone="Europe/Berlin")
    assert started.ephemeral and "starts" in started.text, started.text
    # The library's weekly link check would reach the internet once the clock jumps weeks ahead (and be
    # cut off when a test stops the bot); it is not what these tests are about.
    await bot.db.execute("UPDATE resources SET next_check_at = '9999-12-31T00:00:00+00:00'")
    return await store.get_plan(bot.db, standin.guild_id, SLUG)


async def run_jobs_at(bot: CohortBot, clock: FakeClock, plan: store.Plan, moment: datetime) -> None:
    """Move the clock and let the scheduler fire the plan's job: re-armed for the new now, it runs at
    once if something is due, then arms itself for the next post (real seconds or days away)."""
    clock.set(moment)
    await cog(bot).jobs.sync(plan.id)

    def settled() -> bool:
        job = bot.scheduler.get_job(f"plan:{plan.id}")
        return job is None or job.next_run_time > datetime.now(UTC) + timedelta(seconds=1)

    await wait_for(settled)
    await asyncio.sleep(0.1)


def cards(standin: StandIn) -> list[SentMessage]:
    return [m for m in standin.messages_in(standin.announcements)
            if any(c.startswith("plan:done:") for c in m.component_ids)]


async def quiet(bot: CohortBot) -> None:
    """Wait until the plan's start has settled elsewhere: peer review turns the plan's assignments into
    assignments and posts their cards. A restart in the middle of that is peer review's crash test, not
    this one."""
    def busy() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t.get_name().startswith("reviews:") and not t.done()]

    await wait_for(lambda: not busy())
    await asyncio.sleep(0.2)


def week_threads(standin: StandIn) -> list[Any]:
    """The weeks' threads (peer review opens threads for the plan's assignments in the same channel)."""
    return [t for t in standin.threads(standin.announcements) if t.name.startswith("Week ")]


def png_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    extrema = image.convert("L").getextrema()
    assert extrema[0] != extrema[1], "the picture is blank"
    return image.size


async def test_the_weekly_rhythm_from_import_to_board(standin: StandIn, bot: CohortBot, bot_runner: BotRunner,
                                                       clock: FakeClock) -> None:
    plan = await import_and_start(standin, bot)
    for member in (standin.alice, standin.bob):
        joined = await standin.slash("plan join", user=member, plan=SLUG)
        assert "You joined" in joined.text
    await standin.slash("plan remind", user=standin.bob, dm=True)
    week1 = store.week_start(plan, 1)
    assert week1 == datetime(2027, 1, 4, 8, tzinfo=UTC)

    # The week's card goes out once, at the week's start, with its thread.
    await run_jobs_at(bot, clock, plan, week1 - timedelta(minutes=1))
    assert cards(standin) == []
    await run_jobs_at(bot, clock, plan, week1 + timedelta(seconds=5))
    [card] = await wait_for(lambda: cards(standin))
    units = await store.units(bot.db, plan.id)
    assert f"plan:done:{units[0].id}" in card.component_ids
    assert card.embeds[0]["title"].startswith("Week 1 · ")
    channel_id, thread_id = await posts.week_thread(bot.db, plan.id, 1)
    assert channel_id == standin.announcements.id and thread_id is not None
    [thread] = week_threads(standin)
    assert thread.id == thread_id and thread.name == f"Week 1 · {units[0].title}"[:100]
    await run_jobs_at(bot, clock, plan, week1 + timedelta(minutes=5))
    assert len(cards(standin)) == 1

    # Mark done from the card's select after a restart.
    await quiet(bot)
    bot = await bot_runner.restart(bot, clock=clock)
    await asyncio.wait_for(cog(bot).jobs_ready.wait(), 5)
    items = await store.items(bot.db, plan.id, unit_id=units[0].id)
    first = items[0]
    marked = await standin.click(card, f"plan:done:{units[0].id}", user=standin.alice, values=[str(first.id)])
    assert marked.ephemeral and "Marked done" in marked.text
    assert first.id in await progress.done_items(bot.db, plan.id, standin.alice.id)

    # Someone who has not joined gets a Join button, and nothing is recorded.
    refused = await standin.click(card, f"plan:done:{units[0].id}", user=standin.carol, values=[str(first.id)])
    assert refused.ephemeral and "have not joined" in refused.text
    assert await progress.done_items(bot.db, plan.id, standin.carol.id) == {}
    joined = await standin.click(refused, f"plan:join:{plan.id}", user=standin.carol)
    assert "You joined" in joined.text

    # A deadline reminder goes out once, 24 h before, to those who have not done it.
    due_items = [item for item in items if item.due is not None]
    assert due_items, "the example's first week has a deadline"
    due = min(store.due_at(plan, item) for item in due_items)  # type: ignore[type-var]
    same_due = [item for item in due_items if store.due_at(plan, item) == due]
    for item in same_due:
        await standin.slash("plan done", user=standin.carol, item=str(item.id))
    target = thread_id
    before = len(standin.messages_in(target))
    await run_jobs_at(bot, clock, plan, due - timedelta(hours=24) + timedelta(seconds=1))
    reminders = await wait_for(lambda: [m for m in standin.messages_in(target)[before:] if "⏰" in m.text])
    assert len(reminders) == 1 and f"<@{standin.alice.id}>" in reminders[0].text
    assert f"<@{standin.carol.id}>" not in reminders[0].text and f"<@{standin.bob.id}>" not in reminders[0].text
    [request] = [r for r in standin.requests_to("POST", "/channels/*/messages")
                 if r.response and r.response.get("id") == str(reminders[0].id)]
    assert [int(u) for u in request.json["allowed_mentions"]["users"]] == [standin.alice.id]
    assert any("⏰" in dm.text for dm in standin.dms_to(standin.bob))
    await run_jobs_at(bot, clock, plan, due - timedelta(hours=23))
    assert len([m for m in standin.messages_in(target)[before:] if "⏰" in m.text]) == 1

    # The check-in call on the week's last day; the modal works.
    await run_jobs_at(bot, clock, plan, week1 + timedelta(days=6, seconds=5))
    call = await wait_for(lambda: next((m for m in standin.messages_in(target)
                                        if f"plan:checkin:{units[0].id}" in m.component_ids), None))
    opened = await standin.click(call, f"plan:checkin:{units[0].id}", user=standin.alice)
    assert opened.modal is not None and len(opened.modal.field_ids) <= 3
    saved = await standin.submit_modal(opened.modal.custom_id, {"did": "Read the overview", "next": "Week 2",
                                                                "blockers": ""}, user=standin.alice)
    assert "Checked in for week 1" in saved.text
    posted = await wait_for(lambda: [m for m in standin.messages_in(target) if "Read the overview" in m.text])
    assert len(posted) == 1
    again = await standin.slash("plan checkin", user=standin.alice, plan=SLUG)
    assert again.modal is not None
    replaced = await standin.submit_modal(again.modal.custom_id, {"did": "Read the overview twice", "next": "",
                                                                  "blockers": ""}, user=standin.alice)
    assert "replacing your earlier one" in replaced.text
    [card_now] = [m for m in standin.messages_in(target) if "Check-in" in m.text]
    assert card_now.id == posted[0].id and "twice" in card_now.text

    # Items done and check-ins count as participation, and /profile shows the plan with the streak.
    await bot.participation.flush()
    counts = await bot.db.fetchone("SELECT SUM(plan_items_done), SUM(checkins) FROM participation_daily "
                                   "WHERE user_id = ?", (standin.alice.id,))
    assert counts is not None and tuple(counts) == (1, 1)
    profile = await standin.slash("profile", user=standin.alice)
    assert "Study plans" in profile.text and "check-in streak 1" in profile.text

    # Across the next week boundary: week 2's card, once, with its own thread.
    await run_jobs_at(bot, clock, plan, store.week_start(plan, 2) + timedelta(seconds=5))  # type: ignore[operator]
    await run_jobs_at(bot, clock, plan, store.week_start(plan, 2) + timedelta(minutes=5))  # type: ignore[operator]
    assert [c.embeds[0]["title"][:8] for c in cards(standin)] == ["Week 1 ·", "Week 2 ·"]
    assert [t.name[:8] for t in week_threads(standin)] == ["Week 1 ·", "Week 2 ·"]

    # The board PNG decodes, with a text summary.
    board = await standin.slash("plan board", user=standin.alice, plan=SLUG)
    [picture] = board.attachments
    width, height = png_size(picture.data)
    assert width >= 300 and height >= 100 and board.text.strip()

    # /privacy export holds the progress and the check-in.
    export = await standin.slash("privacy export", user=standin.alice)
    data = json.loads(export.attachments[0].data)["data"]
    assert data["plans_progress.user_id"][0]["item_id"] == first.id
    assert data["plans_checkins.user_id"][0]["did"] == "Read the overview twice"
    assert "plans_enrolments.user_id" in data

    # /privacy forget deletes it all, and takes down the check-in card that quoted her.
    asked = await standin.slash("privacy forget", user=standin.alice)
    assert "study-plan enrolments, progress, check-ins" in asked.text  # she is told what goes
    forget = next(c for c in asked.component_ids if c.startswith("privacy:forget:"))
    await standin.click(asked.message, forget, user=standin.alice)
    await wait_for(lambda: not [m for m in standin.messages_in(target) if "Read the overview" in m.text])
    assert await progress.done_items(bot.db, plan.id, standin.alice.id) == {}
    assert not await progress.is_enrolled(bot.db, plan.id, standin.alice.id)
    standin.assert_clean()


async def test_organiser_commands_are_checked_at_run_time(standin: StandIn, bot: CohortBot) -> None:
    refused = await standin.slash("plan import", user=standin.alice, example=SLUG)
    assert refused.ephemeral and "organisers" in refused.text.lower()
    assert await store.list_plans(bot.db, standin.guild_id) == []
    choices = await standin.autocomplete("plan import", focused="example", user=standin.admin, example="ml")
    assert SLUG in [c["value"] for c in choices]


async def test_a_start_in_the_past_is_refused_and_bad_names_are_explained(standin: StandIn, bot: CohortBot) -> None:
    await standin.slash("plan import", user=standin.admin, example=SLUG, options={"channel": standin.general})
    past = await standin.slash("plan start", user=standin.admin, plan=SLUG, date="2026-06-01")
    assert "in the past" in past.text and "backfill" in past.text
    unknown = await standin.slash("plan show", user=standin.alice, plan="nope")
    assert "no plan `nope`" in unknown.text
    week = await standin.slash("plan show", user=standin.alice, plan=SLUG, week=40)
    assert "no week 40" in week.text
    item = await standin.slash("plan done", user=standin.alice, item="Feature engineering")
    assert "don't know that item" in item.text


async def test_items_autocomplete_from_current_and_past_weeks(standin: StandIn, bot: CohortBot,
                                                              clock: FakeClock) -> None:
    plan = await import_and_start(standin, bot)
    await standin.slash("plan join", user=standin.alice, plan=SLUG)
    clock.set(store.week_start(plan, 2) + timedelta(hours=1))  # type: ignore[operator]
    choices = await standin.autocomplete("plan done", focused="item", user=standin.alice, item="")
    names = [c["name"] for c in choices]
    assert names and all(name.startswith(("W1 · ", "W2 · ")) for name in names)
    assert any(name.startswith("W2 · ") for name in names) and not any(n.startswith("W3") for n in names)
    export = await standin.slash("plan export", user=standin.admin, plan=SLUG)
    [file] = export.attachments
    assert file.filename == f"{SLUG}.md" and file.data.decode().startswith("# ")


async def test_a_bad_plan_file_is_refused_by_line_and_nothing_is_written(standin: StandIn, bot: CohortBot) -> None:
    bad = b"# A plan\n\n## Week 1: Start\n- [lecture] Something\n- [reading] Fine (due: someday)\n"
    reply = await standin.slash("plan import", user=standin.admin, file=Upload("plan.md", bad))
    assert reply.ephemeral and "not imported" in reply.text and "line 4" in reply.text and "line 5" in reply.text
    not_utf8 = await standin.slash("plan import", user=standin.admin, file=Upload("plan.md", b"# A\xff plan\n"))
    assert "UTF-8" in not_utf8.text
    both = await standin.slash("plan import", user=standin.admin, example=SLUG, file=Upload("plan.md", b"# A"))
    assert "either" in both.text
    assert await store.list_plans(bot.db, standin.guild_id) == []


async def test_a_plan_file_over_1_mb_is_refused_by_its_size_before_it_is_read(standin: StandIn,
                                                                               bot: CohortBot) -> None:
    big = b"# A plan\n\n## Week 1: Start\n" + b"- [reading] x\n" * (files.MAX_FILE_BYTES // 14 + 1)
    reply = await standin.slash("plan import", user=standin.admin, file=Upload("plan.md", big))
    # The cog's own wording: refused on the attachment's declared size, so nothing was downloaded.
    assert reply.ephemeral and reply.text.startswith("That file is 1.0 MB; a plan file is at most 1 MB")
    assert await store.list_plans(bot.db, standin.guild_id) == []


async def test_progress_is_private_unless_shared_except_to_organisers(standin: StandIn, bot: CohortBot) -> None:
    await import_and_start(standin, bot)
    for member in (standin.alice, standin.bob):
        await standin.slash("plan join", user=member, plan=SLUG)
    own = await standin.slash("plan progress", user=standin.alice)
    [card] = own.attachments
    png_size(card.data)
    assert own.ephemeral and own.text.startswith("Alice's progress in ") and "(0 of 65 required)" in own.text
    refused = await standin.slash("plan progress", user=standin.bob, options={"member": standin.alice})
    assert "keeps their plan progress private" in refused.text and not refused.attachments
    organiser = await standin.slash("plan progress", user=standin.admin, options={"member": standin.alice})
    assert organiser.attachments
    shared = await standin.slash("plan progress", user=standin.alice, share=True)
    assert "Others can now see your progress" in shared.text
    allowed = await standin.slash("plan progress", user=standin.bob, options={"member": standin.alice})
    assert allowed.attachments and "alice" in allowed.text.lower()


async def test_after_downtime_ended_weeks_come_on_one_catch_up_card(standin: StandIn, bot: CohortBot,
                                                                    bot_runner: BotRunner, clock: FakeClock) -> None:
    plan = await import_and_start(standin, bot)
    await quiet(bot)
    await bot_runner.stop(bot)
    clock.set(store.week_start(plan, 4) + timedelta(hours=20))  # type: ignore[operator]
    bot = await start(bot_runner, clock)
    catch_up = await wait_for(lambda: [m for m in standin.messages_in(standin.announcements)
                                       if m.embeds and m.embeds[0]["title"].startswith("Catching up")])
    [week4] = await wait_for(lambda: cards(standin))
    assert len(catch_up) == 1 and "weeks 1–3" in catch_up[0].embeds[0]["title"]
    assert week4.embeds[0]["title"].startswith("Week 4 · ")
    assert [t.name[:8] for t in week_threads(standin)] == ["Week 4 ·"]
    await quiet(bot)
    bot = await bot_runner.restart(bot, clock=clock)
    await asyncio.wait_for(cog(bot).jobs_ready.wait(), 5)
    await asyncio.sleep(0.3)
    assert len(cards(standin)) == 1


async def test_pause_resume_finish_and_remove_tell_listeners_and_rebuild_jobs(
        standin: StandIn, bot: CohortBot, clock: FakeClock) -> None:
    changes: list[tuple[int, int]] = []

    async def on_plan_changed(guild_id: int, plan_id: int) -> None:
        changes.append((guild_id, plan_id))

    bot.add_listener(on_plan_changed)
    plan = await import_and_start(standin, bot)
    assert changes == [(standin.guild_id, plan.id)] * 2 and cog(bot).jobs.armed(plan.id)
    paused = await standin.slash("plan pause", user=standin.admin, plan=SLUG)
    assert "paused" in paused.text and not cog(bot).jobs.armed(plan.id)
    await run_jobs_at(bot, clock, plan, store.week_start(plan, 1) + timedelta(hours=1))  # type: ignore[operator]
    assert cards(standin) == []
    clock.advance(timedelta(days=2))
    resumed = await standin.slash("plan resume", user=standin.admin, plan=SLUG)
    assert "runs again" in resumed.text and cog(bot).jobs.armed(plan.id)
    moved = await store.get_plan(bot.db, standin.guild_id, SLUG)
    # Paused from Jan 1 12:00 to Jan 6 09:00: 4 days 21 h, so the weeks move by 5 days, same time of day.
    assert store.week_start(moved, 1) == store.week_start(plan, 1) + timedelta(days=5)  # type: ignore[operator]
    refused = await standin.slash("plan remove", user=standin.admin, plan=SLUG)
    assert "force" in refused.text
    finished = await standin.slash("plan finish", user=standin.admin, plan=SLUG)
    assert "finished" in finished.text and not cog(bot).jobs.armed(plan.id)
    removed = await standin.slash("plan remove", user=standin.admin, plan=SLUG)
    assert "Removed" in removed.text and await store.list_plans(bot.db, standin.guild_id) == []
    assert len(changes) == 6  # import, start, pause, resume, finish, remove (not the refused remove)


async def test_a_member_who_leaves_the_server_leaves_its_plans_and_keeps_their_history(
        standin: StandIn, bot: CohortBot, clock: FakeClock) -> None:
    plan = await import_and_start(standin, bot)
    await standin.slash("plan join", user=standin.bob, plan=SLUG)
    clock.set(store.week_start(plan, 1) + timedelta(hours=1))  # type: ignore[operator]
    first = (await store.items(bot.db, plan.id))[0]
    await standin.slash("plan done", user=standin.bob, item=str(first.id))
    await standin.remove_member(standin.bob)
    async def bob_left() -> bool:
        return not await progress.is_enrolled(bot.db, plan.id, standin.bob.id)

    await wait_until(bob_left)  # no reminders, not in the cohort
    assert await progress.cohort_size(bot.db, plan.id) == 0
    assert first.id in await progress.done_items(bot.db, plan.id, standin.bob.id)  # history kept


async def test_organiser_commands_need_manage_server_or_the_organiser_role(standin: StandIn, bot: CohortBot) -> None:
    refused = await standin.slash("plan import", user=standin.moderator, example=SLUG)
    assert refused.ephemeral and "Manage Server" in refused.text
    assert await store.list_plans(bot.db, standin.guild_id) == []
    role = await standin.add_role("Organisers")
    await standin.give_roles(standin.carol, role)
    await standin.slash("config organizer-role", user=standin.admin, role=role)
    allowed = await standin.slash("plan import", user=standin.carol, example=SLUG,
                                  options={"channel": standin.announcements})
    assert "Imported" in allowed.text


async def test_a_reimport_updates_the_running_plan_and_its_posted_card_keeping_progress(
        standin: StandIn, bot: CohortBot, clock: FakeClock) -> None:
    plan = await import_and_start(standin, bot)
    await standin.slash("plan join", user=standin.alice, plan=SLUG)
    await run_jobs_at(bot, clock, plan, store.week_start(plan, 1) + timedelta(seconds=5))  # type: ignore[operator]
    [card] = await wait_for(lambda: cards(standin))
    week1 = (await store.units(bot.db, plan.id))[0]
    first, second = (await store.items(bot.db, plan.id, unit_id=week1.id))[:2]
    await standin.click(card, f"plan:done:{week1.id}", user=standin.alice, values=[str(first.id), str(second.id)])

    exported = (await standin.slash("plan export", user=standin.admin, plan=SLUG)).attachments[0].data.decode()
    edited = exported.replace(f"- [discussion] {second.title}\n", "- [exercise] Sketch an ML system you use\n", 1)
    assert edited != exported
    refused = await standin.slash("plan import", user=standin.admin, file=Upload("plan.md", edited.encode()))
    assert "replace: True" in refused.text
    reply = await standin.slash("plan import", user=standin.admin, file=Upload("plan.md", edited.encode()),
                                replace=True)
    assert reply.ephemeral and "Updated" in reply.text and "1 added, 1 removed" in reply.text, reply.text

    def menu_labels() -> list[str]:
        [now] = cards(standin)
        return [o["label"] for row in now.components for c in row["components"] for o in c.get("options", [])]

    labels = await wait_for(lambda: "Sketch an ML system you use" in menu_labels() and menu_labels())
    assert second.title not in labels and first.title in labels
    assert set(await progress.done_items(bot.db, plan.id, standin.alice.id)) == {first.id}
    assert len(cards(standin)) == 1 and (await store.get_plan(bot.db, standin.guild_id, SLUG)).status.value == "running"
