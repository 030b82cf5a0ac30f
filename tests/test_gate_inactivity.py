"""Participation totals, the inactivity report, prunes, the profile's weeks in a row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot import guilds
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed
from bot.gate import inactivity
from bot.gate.config import setup_gate
from bot.gate.inactivity import Candidate, MemberSince
from bot.gate.profile import member_profile, weeks_in_a_row
from bot.participation import ParticipationRecorder

GUILD = 111
ALICE, BOB, CAROL, MOD, OTHER_MOD = 201, 202, 203, 301, 302


async def install(db: Database, clock: FakeClock) -> None:
    await guilds.ensure_guild(db, clock, GUILD, {})


async def record(db: Database, clock: FakeClock, user_id: int, days_ago: int, **counts: int) -> None:
    recorder = ParticipationRecorder(db, FakeClock(clock.now() - timedelta(days=days_ago)))
    recorder.record(GUILD, user_id, **(counts or {"messages": 1}))
    await recorder.flush()


async def test_totals_follow_every_write_to_the_daily_record(db: Database, clock: FakeClock) -> None:
    await record(db, clock, ALICE, 3, messages=2)
    await record(db, clock, ALICE, 3, messages=1, upvotes_received=4)
    await record(db, clock, ALICE, 1, sessions_attended=1)
    totals = await inactivity.member_totals(db, GUILD, ALICE)
    assert (totals.messages, totals.upvotes_received, totals.sessions_attended, totals.recorded_days) == (3, 4, 1, 2)
    assert totals.last_day == (clock.now() - timedelta(days=1)).date()
    await db.execute("DELETE FROM participation_daily WHERE day = ?", (totals.last_day.isoformat(),))
    after = await inactivity.member_totals(db, GUILD, ALICE)
    assert after.last_day == (clock.now() - timedelta(days=3)).date() and after.sessions_attended == 0
    await db.execute("DELETE FROM participation_daily")
    assert await db.fetchval("SELECT COUNT(*) FROM gate_participation_totals") == 0


async def test_an_upvote_taken_back_is_not_activity(db: Database, clock: FakeClock) -> None:
    await record(db, clock, ALICE, 20, messages=1)
    await record(db, clock, ALICE, 2, upvotes_received=-1)
    totals = await inactivity.member_totals(db, GUILD, ALICE)
    assert totals.last_day == (clock.now() - timedelta(days=20)).date() and totals.upvotes_received == -1
    await record(db, clock, BOB, 1, upvotes_received=-1)
    assert (await inactivity.member_totals(db, GUILD, BOB)).last_day is None


async def test_flush_batches_many_messages_into_one_row_per_member_per_day(db: Database, clock: FakeClock) -> None:
    recorder = ParticipationRecorder(db, clock)
    for _ in range(500):
        recorder.record(GUILD, ALICE, messages=1)
    recorder.record(GUILD, BOB, messages=1)
    assert await recorder.flush() == 2
    assert await db.fetchval("SELECT messages FROM participation_daily WHERE user_id = ?", (ALICE,)) == 500


async def test_report_lists_the_quiet_oldest_first_with_totals(db: Database, clock: FakeClock) -> None:
    clock.advance(timedelta(days=-200))
    await install(db, clock)
    clock.advance(timedelta(days=200))
    long_ago = clock.now() - timedelta(days=150)
    await record(db, clock, ALICE, 60, messages=5, resources_shared=1)
    await record(db, clock, BOB, 10)
    await record(db, clock, CAROL, 100)
    members = [MemberSince(user_id, long_ago) for user_id in (ALICE, BOB, CAROL)]
    report = await inactivity.inactivity_report(db, clock, guild_id=GUILD, members=members, days=45)
    assert [m.user_id for m in report.members] == [CAROL, ALICE]
    assert report.members[1].totals.messages == 5 and report.members[1].totals.resources_shared == 1
    assert report.checked == 3 and report.cutoff == clock.now().date() - timedelta(days=45)


async def test_members_from_before_the_install_count_as_active_from_the_install_date(db: Database,
                                                                                    clock: FakeClock) -> None:
    await install(db, clock)  # installed today
    clock.advance(timedelta(days=30))
    years_ago = clock.now() - timedelta(days=1000)
    report = await inactivity.inactivity_report(db, clock, guild_id=GUILD,
                                                members=[MemberSince(ALICE, years_ago)], days=45)
    assert report.members == ()
    clock.advance(timedelta(days=16))
    report = await inactivity.inactivity_report(db, clock, guild_id=GUILD,
                                                members=[MemberSince(ALICE, years_ago)], days=45)
    assert [(m.user_id, m.last_participation) for m in report.members] == [(ALICE, None)]


async def test_new_members_count_as_active_from_joining(db: Database, clock: FakeClock) -> None:
    clock.advance(timedelta(days=-400))
    await install(db, clock)
    clock.advance(timedelta(days=400))
    members = [MemberSince(ALICE, clock.now() - timedelta(days=10)), MemberSince(BOB, clock.now() - timedelta(days=50))]
    report = await inactivity.inactivity_report(db, clock, guild_id=GUILD, members=members, days=45)
    assert [m.user_id for m in report.members] == [BOB]


async def test_report_csv_has_a_row_per_member_and_defuses_formulas(db: Database, clock: FakeClock) -> None:
    clock.advance(timedelta(days=-100))
    await install(db, clock)
    clock.advance(timedelta(days=100))
    members = [MemberSince(ALICE, None), MemberSince(BOB, None)]
    report = await inactivity.inactivity_report(db, clock, guild_id=GUILD, members=members, days=45)
    rows = list(csv.DictReader(io.StringIO(inactivity.report_csv(report, {ALICE: "=HYPERLINK()", BOB: "bob"}))))
    assert [row["user_id"] for row in rows] == [str(ALICE), str(BOB)]
    assert rows[0]["name"] == "'=HYPERLINK()" and rows[0]["messages"] == "0"


async def test_report_days_out_of_range_are_refused(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 3650"):
        await inactivity.inactivity_report(db, clock, guild_id=GUILD, members=[], days=0)


async def quiet_report(db: Database, clock: FakeClock) -> inactivity.InactivityReport:
    clock.advance(timedelta(days=-100))
    await install(db, clock)
    clock.advance(timedelta(days=100))
    return await inactivity.inactivity_report(db, clock, guild_id=GUILD,
                                              members=[MemberSince(ALICE, None), MemberSince(BOB, None)], days=45)


async def test_only_the_invoker_can_confirm_a_prune_once(db: Database, clock: FakeClock) -> None:
    report = await quiet_report(db, clock)
    prune = await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="demote", report=report)
    assert [t.user_id for t in prune.targets] == [ALICE, BOB] and prune.status == "pending"
    with pytest.raises(NotAllowed, match=f"Only <@{MOD}>"):
        await inactivity.confirm_prune(db, clock, prune.id, user_id=OTHER_MOD)
    running = await inactivity.confirm_prune(db, clock, prune.id, user_id=MOD)
    assert running.status == "running"
    with pytest.raises(InvalidInput, match="already running"):
        await inactivity.confirm_prune(db, clock, prune.id, user_id=MOD)
    await inactivity.record_outcome(db, prune.id, ALICE, "demoted")
    done = await inactivity.finish_prune(db, clock, prune.id)
    assert done.status == "done" and [t.outcome for t in done.targets] == ["demoted", None]


async def test_the_prune_summary_counts_outcomes_by_kind(db: Database, clock: FakeClock) -> None:
    report = await quiet_report(db, clock)
    prune = await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="kick", report=report)
    assert inactivity.outcome_summary(prune) == "nobody to act on"
    await inactivity.record_outcome(db, prune.id, ALICE, "kicked (DMs closed)")
    await inactivity.record_outcome(db, prune.id, BOB, "skipped: left the server")
    assert inactivity.outcome_summary(await inactivity.get_prune(db, prune.id)) == "1 kicked, 1 skipped"
    await inactivity.record_outcome(db, prune.id, BOB, "kicked")
    assert inactivity.outcome_summary(await inactivity.get_prune(db, prune.id)) == "2 kicked"


async def test_a_prune_confirmation_expires_after_five_minutes(db: Database, clock: FakeClock) -> None:
    report = await quiet_report(db, clock)
    prune = await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="kick", report=report)
    clock.advance(timedelta(minutes=5))
    with pytest.raises(InvalidInput, match="expired"):
        await inactivity.confirm_prune(db, clock, prune.id, user_id=MOD)
    assert (await inactivity.get_prune(db, prune.id)).status == "expired"


async def test_expire_prunes_finds_the_stale_ones(db: Database, clock: FakeClock) -> None:
    report = await quiet_report(db, clock)
    prune = await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="kick", report=report)
    assert await inactivity.expire_prunes(db, clock) == []
    clock.advance(timedelta(minutes=6))
    assert [p.id for p in await inactivity.expire_prunes(db, clock)] == [prune.id]


async def test_an_empty_prune_is_refused(db: Database, clock: FakeClock) -> None:
    await install(db, clock)
    report = await inactivity.inactivity_report(db, clock, guild_id=GUILD, members=[], days=45)
    with pytest.raises(InvalidInput, match="nothing to prune"):
        await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="kick", report=report)


async def test_members_active_since_the_list_are_spared(db: Database, clock: FakeClock) -> None:
    report = await quiet_report(db, clock)
    prune = await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="kick", report=report)
    await record(db, clock, ALICE, 0)
    assert await inactivity.active_since_listed(db, prune, ALICE)
    assert not await inactivity.active_since_listed(db, prune, BOB)


def test_weeks_in_a_row_counts_back_from_this_or_last_week() -> None:
    wednesday = date(2026, 1, 7)
    assert weeks_in_a_row([wednesday], wednesday) == 1
    assert weeks_in_a_row([date(2026, 1, 2), date(2025, 12, 24)], wednesday) == 2  # last two weeks, none yet this
    assert weeks_in_a_row([date(2025, 12, 24)], wednesday) == 0  # a gap last week
    assert weeks_in_a_row([], wednesday) == 0


async def test_profile_sums_participation_and_streak(db: Database, clock: FakeClock) -> None:
    for weeks_ago in range(3):
        await record(db, clock, ALICE, 7 * weeks_ago, sessions_attended=1, resources_shared=2)
    card = await member_profile(db, clock, GUILD, ALICE)
    assert card.totals.sessions_attended == 3 and card.totals.resources_shared == 6
    assert card.active_weeks_in_a_row == 3 and card.approved_at is None


async def test_the_report_counts_humans_but_not_newcomers_still_applying(db: Database, clock: FakeClock) -> None:
    config = await setup_gate(db, clock, guild_id=GUILD, configured_by=MOD, newcomer_role_id=11, member_role_id=12,
                              review_channel_id=21)
    joined = datetime(2025, 6, 1, tzinfo=UTC)
    people = [Candidate(ALICE, joined, False, frozenset({12})), Candidate(BOB, joined, False, frozenset({11})),
              Candidate(CAROL, None, False, frozenset({11, 12})), Candidate(MOD, joined, True, frozenset()),
              Candidate(OTHER_MOD, joined, False, frozenset())]
    assert inactivity.members_to_check(people, config) == [
        MemberSince(ALICE, joined), MemberSince(CAROL, None), MemberSince(OTHER_MOD, joined)]
    without_gate = inactivity.members_to_check(people, None)
    assert [m.user_id for m in without_gate] == [ALICE, BOB, CAROL, OTHER_MOD]
