"""Study buddies' domain against a real SQLite file: opt-ins, rounds, threads, check-backs, privacy."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import topics
from bot.buddies import cadence, history, intro, posting, rounds, store
from bot.buddies.model import BuddySettings
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import AlreadyExists, InvalidInput, NotAllowed, NotFound
from bot.gate import privacy
from bot.guild_config import set_timezone
from bot.plans import store as plans_store
from bot.plans.model import ItemDoc, ItemKind, PlanDoc, UnitDoc
from bot.sessions.members import set_member_timezone

GUILD = 1
ALICE, BOB, CAROL, DAVE = 11, 12, 13, 14


async def setup(db: Database, clock: FakeClock, **overrides: object) -> BuddySettings:
    options: dict[str, object] = dict(guild_id=GUILD, channel_id=500, cadence_name="weekly", weekday=0, hour=9,
                                      group_size=2, cooldown_rounds=4, zone="UTC", configured_by=ALICE)
    options.update(overrides)
    return await store.save_settings(db, clock, **options)  # type: ignore[arg-type]


async def join_all(db: Database, clock: FakeClock, *users: int) -> None:
    for user in users:
        await store.join(db, clock, guild_id=GUILD, user_id=user, topic_ids=[], note=f"note of {user}")


async def run_now(db: Database, clock: FakeClock, settings: BuddySettings, present: set[int]) -> rounds.Round:
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present=present)
    return (await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present=present)).round


async def posted_pair(db: Database, clock: FakeClock, settings: BuddySettings,
                      outcome: str = "created") -> rounds.Round:
    """Alice and Bob's round, its one group's thread made (or told by DM) and the round posted."""
    ran = await run_now(db, clock, settings, {ALICE, BOB})
    [group] = ran.groups
    await posting.claim_thread(db, group.id)
    await posting.record_thread(db, group.id, outcome, 9001 if outcome == "created" else None)
    assert await posting.finish_posting(db, ran.id)
    return await rounds.get_round(db, ran.id)


# Opt-ins ----------------------------------------------------------------------------------------------------
async def test_joining_twice_is_refused(db: Database, clock: FakeClock) -> None:
    await join_all(db, clock, ALICE)
    with pytest.raises(AlreadyExists, match="already joined"):
        await join_all(db, clock, ALICE)


async def test_a_long_note_is_refused_with_its_length(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="201 characters; keep it to 200"):
        await store.join(db, clock, guild_id=GUILD, user_id=ALICE, topic_ids=[], note="x" * 201)
    assert await store.get_optin(db, GUILD, ALICE) is None


@pytest.mark.parametrize("weeks", [0, 13, -1])
async def test_pausing_outside_one_to_twelve_weeks_is_refused(db: Database, clock: FakeClock, weeks: int) -> None:
    await join_all(db, clock, ALICE)
    with pytest.raises(InvalidInput, match=f"1 to 12 weeks; you gave {weeks}"):
        await store.pause(db, clock, guild_id=GUILD, user_id=ALICE, weeks=weeks)


async def test_topics_are_read_from_slugs_and_names(db: Database, clock: FakeClock) -> None:
    mlops = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps")
    web = await topics.add_topic(db, clock, guild_id=GUILD, slug="ml-web", name="ML in browsers")
    assert [t.id for t in await store.parse_topics(db, GUILD, "mlops, ML in browsers")] == [web.id, mlops.id]
    assert [t.id for t in await store.parse_topics(db, GUILD, "mlops ml-web")] == [web.id, mlops.id]
    with pytest.raises(NotFound, match="no topic `cooking`"):
        await store.parse_topics(db, GUILD, "mlops, cooking")


async def test_the_pool_leaves_out_paused_skipping_and_absent_members(db: Database, clock: FakeClock) -> None:
    await join_all(db, clock, ALICE, BOB, CAROL, DAVE)
    await store.pause(db, clock, guild_id=GUILD, user_id=BOB, weeks=2)
    await store.skip_next(db, guild_id=GUILD, user_id=CAROL, next_at=clock.now() + timedelta(days=7))
    found = await store.pool(db, clock, GUILD, present={ALICE, BOB, CAROL})
    assert [o.user_id for o in found] == [ALICE]
    clock.advance(timedelta(weeks=2, seconds=1))
    assert {o.user_id for o in await store.pool(db, clock, GUILD, present=None)} == {ALICE, BOB, DAVE}


async def test_a_skip_lasts_one_round(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB, CAROL)
    await store.skip_next(db, guild_id=GUILD, user_id=CAROL, next_at=clock.now() + timedelta(days=7))
    first = await run_now(db, clock, settings, {ALICE, BOB, CAROL})
    assert [g.user_ids for g in first.groups] == [(ALICE, BOB)]
    assert not (await store.require_optin(db, GUILD, CAROL)).skip_next
    assert (await store.require_optin(db, GUILD, ALICE)).rounds_taken == 1


# Rounds -------------------------------------------------------------------------------------------------------
async def test_only_the_invoker_confirms_and_only_once(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present={ALICE, BOB})
    assert proposal.status == "proposed" and proposal.ran_at is None
    with pytest.raises(NotAllowed, match="Only <@11>"):
        await rounds.confirm(db, clock, proposal.id, user_id=BOB, present={ALICE, BOB})
    ran = (await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present={ALICE, BOB})).round
    assert ran.status == "posting" and ran.checkback_at == clock.now() + timedelta(days=3.5)
    with pytest.raises(InvalidInput, match="already posting"):
        await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present={ALICE, BOB})


async def test_a_preview_expires_after_five_minutes(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present={ALICE, BOB})
    clock.advance(timedelta(minutes=5))
    with pytest.raises(InvalidInput, match="expired after 5 minutes"):
        await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present={ALICE, BOB})
    assert (await rounds.get_round(db, proposal.id)).status == "expired"


async def test_an_empty_pool_has_no_round(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    with pytest.raises(InvalidInput, match="Nobody is in the pool"):
        await rounds.propose(db, clock, settings, invoker_id=ALICE, present=set())


async def test_a_scheduled_round_runs_once_per_slot(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)  # clock: Monday 2026-01-05 12:00 UTC; first round Monday 12th 09:00
    await join_all(db, clock, ALICE, BOB, CAROL)
    assert await rounds.run_scheduled(db, clock, settings, present={ALICE, BOB, CAROL}) is None
    clock.set(datetime(2026, 1, 12, 9, 1, tzinfo=UTC))
    ran = await rounds.run_scheduled(db, clock, settings, present={ALICE, BOB, CAROL})
    assert ran is not None and ran.scheduled_at == datetime(2026, 1, 12, 9, tzinfo=UTC)
    assert sorted(len(g.members) for g in ran.groups) == [3]
    assert await rounds.run_scheduled(db, clock, settings, present={ALICE, BOB, CAROL}) is None
    count = await db.fetchval("SELECT COUNT(*) FROM buddies_rounds WHERE guild_id = ?", (GUILD,))
    assert count == 1


async def test_a_slot_missed_by_long_downtime_is_skipped(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    clock.set(datetime(2026, 1, 14, 9, 0, tzinfo=UTC))  # two days late for a weekly round
    assert await rounds.run_scheduled(db, clock, settings, present={ALICE, BOB}) is None


async def test_nobody_is_in_two_groups_of_a_round(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    ran = await run_now(db, clock, settings, {ALICE, BOB})
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await db.execute("INSERT INTO buddies_members (guild_id, round_id, group_id, user_id) VALUES (?, ?, ?, ?)",
                         (GUILD, ran.id, ran.groups[0].id, ALICE))


async def test_partners_are_not_repeated_within_the_cooldown(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock, cooldown_rounds=2)
    await join_all(db, clock, ALICE, BOB, CAROL, DAVE)
    everyone = {ALICE, BOB, CAROL, DAVE}
    seen = []
    for _ in range(3):
        ran = await run_now(db, clock, settings, everyone)
        seen.append({frozenset(g.user_ids) for g in ran.groups})
        clock.advance(timedelta(days=7))
    assert not seen[0] & seen[1] and not seen[1] & seen[2] and not seen[0] & seen[2]


# Threads and check-back ----------------------------------------------------------------------------------------
async def test_a_thread_is_claimed_once_and_the_round_is_posted_when_all_are_made(db: Database,
                                                                                  clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB, CAROL, DAVE)
    ran = await run_now(db, clock, settings, {ALICE, BOB, CAROL, DAVE})
    first, second = posting.groups_to_post(ran)
    assert await posting.claim_thread(db, first.id) and not await posting.claim_thread(db, first.id)
    await posting.record_thread(db, first.id, "created", 9001)
    assert not await posting.finish_posting(db, ran.id)
    resumed = (await posting.rounds_posting(db, GUILD))[0]
    assert [g.id for g in posting.groups_to_post(resumed)] == [second.id]
    await posting.claim_thread(db, second.id)
    await posting.record_thread(db, second.id, "dm")
    assert await posting.finish_posting(db, ran.id)


async def test_the_check_back_is_due_halfway_and_asked_once(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    ran = await posted_pair(db, clock, settings)
    assert await posting.due_checkbacks(db, clock, GUILD) == []
    clock.advance(timedelta(days=3, hours=12))
    [due] = await posting.due_checkbacks(db, clock, GUILD)
    assert await posting.claim_checkback(db, due.id) and not await posting.claim_checkback(db, due.id)
    await posting.record_checkback(db, due.id, 777)
    await posting.finish_checkbacks(db, clock, GUILD)
    assert (await rounds.get_round(db, ran.id)).status == "checked"


async def test_yes_counts_once_and_only_members_answer(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB, CAROL, DAVE)
    ran = await run_now(db, clock, settings, {ALICE, BOB, CAROL, DAVE})
    group = next(g for g in ran.groups if ALICE in g.user_ids)
    outsider = next(u for u in (BOB, CAROL, DAVE) if u not in group.user_ids)
    with pytest.raises(NotAllowed):
        await posting.answer(db, clock, group.id, user_id=outsider, reply="yes")
    assert (await posting.answer(db, clock, group.id, user_id=ALICE, reply="not_yet")).first_yes is False
    assert (await posting.answer(db, clock, group.id, user_id=ALICE, reply="yes")).first_yes is True
    again = await posting.answer(db, clock, group.id, user_id=ALICE, reply="yes")
    assert again.first_yes is False and again.group.met
    [rate] = await history.meet_rates(db, GUILD)
    assert (rate.met, rate.groups) == (1, 2)


async def test_a_leaver_leaves_the_pool_and_their_group_hears_once(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    ran = await run_now(db, clock, settings, {ALICE, BOB})
    [told] = await posting.member_left(db, clock, GUILD, BOB)
    assert told.id == ran.groups[0].id
    assert await posting.member_left(db, clock, GUILD, BOB) == []
    assert await store.get_optin(db, GUILD, BOB) is None


# History and privacy ---------------------------------------------------------------------------------------------
async def test_history_is_kept_for_the_cooldown_only(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock, cooldown_rounds=2)
    await join_all(db, clock, ALICE, BOB)
    for _ in range(4):
        ran = await run_now(db, clock, settings, {ALICE, BOB})
        await db.execute("UPDATE buddies_rounds SET status = 'checked' WHERE id = ?", (ran.id,))
        clock.advance(timedelta(days=7))
    assert await history.purge(db, clock) == 2
    assert len(await rounds.recent_rounds(db, GUILD, 10)) == 2
    assert (await store.require_optin(db, GUILD, ALICE)).rounds_taken == 4


async def test_history_is_never_kept_beyond_26_weeks(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock, cooldown_rounds=26)
    await join_all(db, clock, ALICE, BOB)
    await run_now(db, clock, settings, {ALICE, BOB})
    clock.advance(timedelta(weeks=26, seconds=1))
    assert await history.purge(db, clock) == 1


async def test_privacy_export_and_forget_cover_opt_in_notes_and_rounds(db: Database, clock: FakeClock) -> None:
    assert await privacy.unregistered_user_columns(db) == []
    settings = await setup(db, clock)
    topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps")
    await store.join(db, clock, guild_id=GUILD, user_id=BOB, topic_ids=[topic.id], note="evenings CET")
    await join_all(db, clock, CAROL)
    await run_now(db, clock, settings, {BOB, CAROL})
    export = await privacy.export_user(db, clock, user_id=BOB, guild_id=GUILD)
    assert export["data"]["buddies_optins.user_id"][0]["note"] == "evenings CET"
    assert export["data"]["buddies_optin_topics.user_id"][0]["topic_id"] == topic.id
    assert len(export["data"]["buddies_members.user_id"]) == 1
    await privacy.forget_user(db, user_id=BOB, guild_id=GUILD)
    assert await store.get_optin(db, GUILD, BOB) is None
    assert await db.fetchval("SELECT COUNT(*) FROM buddies_members WHERE user_id = ?", (BOB,)) == 0
    assert await db.fetchval("SELECT COUNT(*) FROM buddies_optin_topics WHERE user_id = ?", (BOB,)) == 0


# Time ----------------------------------------------------------------------------------------------------------
def test_weekly_rounds_keep_the_local_hour_across_dst() -> None:
    anchor = cadence.first_anchor(datetime(2026, 3, 20, 12, tzinfo=UTC), "Europe/Berlin", "weekly", 0, 9)
    assert anchor == datetime(2026, 3, 23, 9)
    before = cadence.round_at(anchor, "Europe/Berlin", "weekly", 0)
    after = cadence.round_at(anchor, "Europe/Berlin", "weekly", 1)
    assert (before.hour, after.hour) == (8, 7)  # 09:00 CET, then 09:00 CEST


def test_monthly_rounds_fall_on_the_first_weekday_of_the_month() -> None:
    anchor = cadence.first_anchor(datetime(2026, 1, 10, tzinfo=UTC), "UTC", "monthly", 2, 18)
    assert anchor == datetime(2026, 2, 4, 18)
    assert cadence.round_wall_time(anchor, "monthly", 1) == datetime(2026, 3, 4, 18)
    assert cadence.round_wall_time(anchor, "monthly", 2) == datetime(2026, 4, 1, 18)


async def test_offsets_come_from_member_timezones_at_the_round_time(db: Database, clock: FakeClock) -> None:
    await set_timezone(db, GUILD, "Europe/Berlin")
    await set_member_timezone(db, GUILD, ALICE, "Asia/Tokyo")
    await join_all(db, clock, ALICE, BOB)
    pool = await store.pool(db, clock, GUILD, present=None)
    found = await rounds.candidates(db, GUILD, pool, datetime(2026, 7, 1, tzinfo=UTC))
    assert [(c.user_id, c.utc_offset_minutes) for c in found] == [(ALICE, 540), (BOB, None)]


async def test_the_intro_names_shared_topics_and_this_plan_week(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    mlops = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps")
    other = await topics.add_topic(db, clock, guild_id=GUILD, slug="web", name="Web")
    await store.join(db, clock, guild_id=GUILD, user_id=ALICE, topic_ids=[mlops.id, other.id], note="hi")
    await store.join(db, clock, guild_id=GUILD, user_id=BOB, topic_ids=[mlops.id], note="")
    # A plan that started a week ago (Monday 2025-12-29): its week 2 runs now (Monday 2026-01-05 12:00).
    doc = PlanDoc("ML basics", units=tuple(
        UnitDoc(number, title, items=(ItemDoc(ItemKind.READING, f"Read {title}"),))
        for number, title in ((1, "Tensors"), (2, "Training"), (3, "Serving"))))
    created = await plans_store.create_plan(db, clock, guild_id=GUILD, doc=doc, created_by=ALICE)
    await plans_store.start_plan(db, clock, created.plan, start="2025-12-29 09:00", zone="UTC", channel_id=700,
                                 backfill=True)
    ran = await run_now(db, clock, settings, {ALICE, BOB})
    found = await intro.intro_for(db, clock, ran.groups[0])
    assert found.shared_topics == ("MLOps",)
    assert found.plan_week is not None and (found.plan_week.number, found.plan_week.unit_title) == (2, "Training")
    assert found.plan_week.items == ("Read Training",)


async def test_a_forced_repeat_is_flagged_on_the_round(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    first = await run_now(db, clock, settings, {ALICE, BOB})
    again = await run_now(db, clock, settings, {ALICE, BOB})
    assert first.repeats == 0 and again.repeats == 1
    assert all(m.repeat for m in again.groups[0].members)


async def test_group_size_three_makes_trios(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock, group_size=3)
    people = (ALICE, BOB, CAROL, DAVE, 15, 16)
    await join_all(db, clock, *people)
    ran = await run_now(db, clock, settings, set(people))
    assert sorted(len(g.members) for g in ran.groups) == [3, 3]
    assert sorted(u for g in ran.groups for u in g.user_ids) == sorted(people)


async def test_a_check_back_cut_short_by_a_crash_is_not_asked_again(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    ran = await posted_pair(db, clock, settings)
    [group] = ran.groups
    clock.advance(timedelta(days=4))
    assert await posting.claim_checkback(db, group.id)  # ... and the process dies before sending
    assert await posting.due_checkbacks(db, clock, GUILD) == []
    await posting.finish_checkbacks(db, clock, GUILD)
    assert (await rounds.get_round(db, ran.id)).status == "checked"
    assert await posting.next_checkback(db, GUILD) is None


# Between the preview and Confirm ---------------------------------------------------------------------------
async def test_a_member_who_left_after_the_preview_is_dropped_and_their_partner_joins_a_group(
        db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB, CAROL, DAVE)
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present={ALICE, BOB, CAROL, DAVE})
    assert sorted(len(g.members) for g in proposal.groups) == [2, 2]
    confirmed = await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present={ALICE, BOB, CAROL})
    assert confirmed.dropped == (DAVE,)
    assert [sorted(g.user_ids) for g in confirmed.round.groups] == [[ALICE, BOB, CAROL]]
    assert (await store.require_optin(db, GUILD, DAVE)).rounds_taken == 0


async def test_a_member_who_paused_after_the_preview_is_dropped_too(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB, CAROL)
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present={ALICE, BOB, CAROL})
    await store.pause(db, clock, guild_id=GUILD, user_id=CAROL, weeks=1)
    confirmed = await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present={ALICE, BOB, CAROL})
    assert confirmed.dropped == (CAROL,) and [g.user_ids for g in confirmed.round.groups] == [(ALICE, BOB)]


async def test_a_preview_whose_members_all_left_runs_nothing(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present={ALICE, BOB})
    with pytest.raises(InvalidInput, match="Everyone in this preview has left"):
        await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present=set())
    assert (await rounds.get_round(db, proposal.id)).status == "proposed"
    assert (await store.require_optin(db, GUILD, ALICE)).rounds_taken == 0


async def test_a_pair_whose_partner_left_leaves_one_member_alone(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    proposal = await rounds.propose(db, clock, settings, invoker_id=ALICE, present={ALICE, BOB})
    confirmed = await rounds.confirm(db, clock, proposal.id, user_id=ALICE, present={ALICE})
    assert confirmed.dropped == (BOB,) and [g.user_ids for g in confirmed.round.groups] == [(ALICE,)]


# When the next round is ----------------------------------------------------------------------------------------
async def test_the_next_round_is_not_a_slot_skipped_after_a_round_run_by_hand(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)  # Monday 2026-01-05 12:00 UTC; slots on Mondays 09:00
    await join_all(db, clock, ALICE, BOB)
    assert await rounds.next_round_at(db, settings, "UTC", clock.now()) == datetime(2026, 1, 12, 9, tzinfo=UTC)
    clock.set(datetime(2026, 1, 10, 12, tzinfo=UTC))  # Saturday: an organiser runs a round by hand
    await run_now(db, clock, settings, {ALICE, BOB})
    # Monday's slot is skipped (members would meet twice in two days), and it is the one after that is shown.
    assert await rounds.next_round_at(db, settings, "UTC", clock.now()) == datetime(2026, 1, 19, 9, tzinfo=UTC)
    clock.set(datetime(2026, 1, 12, 9, 1, tzinfo=UTC))
    assert await rounds.run_scheduled(db, clock, settings, present={ALICE, BOB}) is None


# Editing, skipping and coming back -----------------------------------------------------------------------------
async def test_topics_and_note_can_be_changed_without_leaving(db: Database, clock: FakeClock) -> None:
    topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps")
    await join_all(db, clock, ALICE)
    await db.execute("UPDATE buddies_optins SET rounds_taken = 3 WHERE user_id = ?", (ALICE,))
    edited = await store.edit(db, guild_id=GUILD, user_id=ALICE, topic_ids=[topic.id], note=None)
    assert edited.topic_ids == (topic.id,) and edited.note == f"note of {ALICE}" and edited.rounds_taken == 3
    cleared = await store.edit(db, guild_id=GUILD, user_id=ALICE, topic_ids=None, note="-")
    assert cleared.note == "" and cleared.topic_ids == (topic.id,)
    with pytest.raises(InvalidInput, match="201 characters"):
        await store.edit(db, guild_id=GUILD, user_id=ALICE, topic_ids=None, note="y" * 201)
    with pytest.raises(NotFound, match="/buddy join"):
        await store.edit(db, guild_id=GUILD, user_id=BOB, topic_ids=[], note="hi")


async def test_joining_again_while_paused_points_to_resume(db: Database, clock: FakeClock) -> None:
    await join_all(db, clock, ALICE)
    await store.pause(db, clock, guild_id=GUILD, user_id=ALICE, weeks=3)
    with pytest.raises(AlreadyExists, match="/buddy resume"):
        await join_all(db, clock, ALICE)


async def test_skipping_while_paused_past_the_next_round_says_so(db: Database, clock: FakeClock) -> None:
    await join_all(db, clock, ALICE)
    await store.pause(db, clock, guild_id=GUILD, user_id=ALICE, weeks=3)
    with pytest.raises(InvalidInput, match=r"paused until <t:\d+:D> anyway.*/buddy resume"):
        await store.skip_next(db, guild_id=GUILD, user_id=ALICE, next_at=clock.now() + timedelta(days=7))
    assert not (await store.require_optin(db, GUILD, ALICE)).skip_next


async def test_resuming_ends_a_pause_and_a_skip(db: Database, clock: FakeClock) -> None:
    await join_all(db, clock, ALICE, BOB)
    await store.pause(db, clock, guild_id=GUILD, user_id=ALICE, weeks=3)
    await store.skip_next(db, guild_id=GUILD, user_id=BOB, next_at=clock.now() + timedelta(days=7))
    assert await store.pool(db, clock, GUILD, present=None) == []
    for user in (ALICE, BOB):
        await store.resume(db, guild_id=GUILD, user_id=user)
    assert [o.user_id for o in await store.pool(db, clock, GUILD, present=None)] == [ALICE, BOB]


# Groups told by DM ---------------------------------------------------------------------------------------------
async def test_each_members_dm_is_claimed_once(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    [group] = (await posted_pair(db, clock, settings, "dm")).groups
    assert await posting.claim_dm(db, clock, group, ALICE, "intro")
    assert not await posting.claim_dm(db, clock, group, ALICE, "intro")
    assert await posting.claim_dm(db, clock, group, BOB, "intro")
    assert await posting.claim_dm(db, clock, group, ALICE, "checkback")
    await posting.record_dm(db, group.id, ALICE, "intro", 555)
    await posting.record_dm(db, group.id, BOB, "intro", None)
    assert await posting.dm_outcomes(db, group.id, "intro") == {ALICE: "sent", BOB: "failed"}


async def test_a_group_told_by_dm_is_asked_by_dm_and_counts_in_the_meet_rate(db: Database, clock: FakeClock) -> None:
    settings = await setup(db, clock)
    await join_all(db, clock, ALICE, BOB)
    ran = await posted_pair(db, clock, settings, "dm")
    clock.advance(timedelta(days=3, hours=12))
    [due] = await posting.due_checkbacks(db, clock, GUILD)
    assert due.id == ran.groups[0].id
    await posting.finish_checkbacks(db, clock, GUILD)  # a crash before the DMs: still due, not skipped
    assert [g.id for g in await posting.due_checkbacks(db, clock, GUILD)] == [due.id]
    await posting.record_checkback(db, due.id, None, by_dm=True)
    await posting.finish_checkbacks(db, clock, GUILD)
    assert (await rounds.get_round(db, ran.id)).status == "checked"
    await posting.answer(db, clock, due.id, user_id=BOB, reply="yes")
    [rate] = await history.meet_rates(db, GUILD)
    assert (rate.met, rate.groups) == (1, 1)


# What the intro suggests -----------------------------------------------------------------------------------------
def test_a_suggested_time_falls_in_everyones_daytime() -> None:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    alone = intro.common_daytime(["Europe/Berlin"], now)
    assert alone is not None and alone.astimezone(ZoneInfo("Europe/Berlin")).hour == 14  # mid-day, the earliest
    assert alone - now >= timedelta(days=1)
    both = intro.common_daytime(["Europe/Berlin", "Asia/Tokyo"], now)
    assert both is not None
    assert 9 <= both.astimezone(ZoneInfo("Europe/Berlin")).hour < 21
    assert 9 <= both.astimezone(ZoneInfo("Asia/Tokyo")).hour < 21
    assert intro.common_daytime(["America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo"], now) is None
    assert intro.common_daytime([], now) is None


def test_offsets_are_shown_with_their_sign_and_minutes() -> None:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert intro.utc_offset("Asia/Kolkata", now) == "UTC+05:30"
    assert intro.utc_offset("America/New_York", now) == "UTC-05:00"
    assert intro.utc_offset("UTC", now) == "UTC+00:00"


def test_the_cooldown_is_told_in_rounds_and_in_time() -> None:
    assert cadence.rounds_span("weekly", 4) == "4 rounds (about 4 weeks)"
    assert cadence.rounds_span("biweekly", 3) == "3 rounds (about 6 weeks)"
    assert cadence.rounds_span("monthly", 1) == "1 round (about 1 month)"


async def test_changing_only_the_channel_keeps_an_every_other_week_rhythm(db: Database, clock: FakeClock) -> None:
    first = await setup(db, clock, cadence_name="biweekly")  # Monday 2026-01-05 12:00 UTC
    clock.advance(timedelta(days=8))  # Tuesday 13th: 'the next Monday' would be the 19th, a week off the rhythm
    moved = await setup(db, clock, cadence_name="biweekly", channel_id=501, cooldown_rounds=2)
    assert moved.anchor == first.anchor and moved.channel_id == 501
    assert await rounds.next_round_at(db, moved, "UTC", clock.now()) == datetime(2026, 1, 26, 9, tzinfo=UTC)
    rescheduled = await setup(db, clock, cadence_name="biweekly", weekday=2)
    assert rescheduled.anchor == datetime(2026, 1, 14, 9)
