"""Attendance from voice intervals stored in the database."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.db import Database
from bot.sessions import attendance, store
from bot.sessions.model import Session

GUILD = 111
VOICE, OTHER_VOICE = 77, 78
ALICE, BOB, CAROL = 2, 3, 4


async def voice_session(db: Database, clock: FakeClock) -> Session:
    return await store.schedule_session(db, clock, guild_id=GUILD, host_id=1, topic_id=None, title="Study",
                                        starts_at=clock.now() + timedelta(hours=1), duration=timedelta(hours=1),
                                        zone="UTC", voice_channel_id=VOICE)


async def test_only_time_inside_the_window_and_channel_counts(db: Database, clock: FakeClock) -> None:
    session = await voice_session(db, clock)
    clock.set(session.starts_at - timedelta(minutes=30))
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)  # early: counts from the start
    await attendance.voice_joined(db, clock, GUILD, CAROL, OTHER_VOICE)  # wrong channel
    clock.set(session.starts_at + timedelta(minutes=5))
    await attendance.voice_left(db, clock, GUILD, ALICE)
    await attendance.voice_joined(db, clock, GUILD, BOB, VOICE)
    clock.set(session.starts_at + timedelta(minutes=20))
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)  # back again
    clock.set(session.ends_at + timedelta(minutes=30))  # Bob and Alice stay late: not counted
    found = await attendance.attendance(db, clock, session, minimum_minutes=10)
    assert [(a.user_id, a.seconds, a.attended) for a in found] == [
        (BOB, 55 * 60, True), (ALICE, 45 * 60, True)]


async def test_under_the_minimum_is_listed_but_not_attended(db: Database, clock: FakeClock) -> None:
    session = await voice_session(db, clock)
    clock.set(session.starts_at)
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    clock.advance(timedelta(minutes=9, seconds=59))
    await attendance.voice_left(db, clock, GUILD, ALICE)
    [alice] = await attendance.attendance(db, clock, session, minimum_minutes=10)
    assert alice.seconds == 599 and not alice.attended


async def test_someone_still_inside_counts_up_to_now(db: Database, clock: FakeClock) -> None:
    session = await voice_session(db, clock)
    clock.set(session.starts_at)
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    clock.advance(timedelta(minutes=12))
    [alice] = await attendance.attendance(db, clock, session, minimum_minutes=10)
    assert alice.seconds == 12 * 60 and alice.attended


async def test_moving_channels_closes_the_first_interval(db: Database, clock: FakeClock) -> None:
    session = await voice_session(db, clock)
    clock.set(session.starts_at)
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    clock.advance(timedelta(minutes=15))
    await attendance.voice_joined(db, clock, GUILD, ALICE, OTHER_VOICE)
    clock.advance(timedelta(minutes=30))
    [alice] = await attendance.attendance(db, clock, session, minimum_minutes=10)
    assert alice.seconds == 15 * 60


async def test_a_restart_keeps_who_is_still_inside_and_closes_who_left(db: Database, clock: FakeClock) -> None:
    session = await voice_session(db, clock)
    clock.set(session.starts_at)
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    await attendance.voice_joined(db, clock, GUILD, BOB, VOICE)
    clock.advance(timedelta(minutes=20))  # the bot is down; Bob left meanwhile, Carol came
    await attendance.reconcile_voice(db, clock, GUILD, {ALICE: VOICE, CAROL: VOICE})
    clock.advance(timedelta(minutes=20))
    found = {a.user_id: a.seconds for a in await attendance.attendance(db, clock, session, minimum_minutes=10)}
    assert found == {ALICE: 40 * 60, BOB: 20 * 60, CAROL: 20 * 60}


async def test_attendance_is_recorded_once(db: Database, clock: FakeClock) -> None:
    session = await voice_session(db, clock)
    clock.set(session.starts_at)
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    clock.set(session.ends_at)
    found = await attendance.attendance(db, clock, session, minimum_minutes=10)
    assert await attendance.record_attendance(db, session, found) == [ALICE]
    assert await attendance.record_attendance(db, session, found) == []
    assert [a.user_id for a in await attendance.recorded_attendance(db, session.id)] == [ALICE]


async def test_no_voice_channel_means_no_attendance(db: Database, clock: FakeClock) -> None:
    session = await store.schedule_session(db, clock, guild_id=GUILD, host_id=1, topic_id=None, title="Text only",
                                           starts_at=clock.now() + timedelta(hours=1), duration=timedelta(hours=1),
                                           zone="UTC")
    assert await attendance.attendance(db, clock, session, minimum_minutes=1) == []


async def test_old_closed_intervals_are_pruned(db: Database, clock: FakeClock) -> None:
    await attendance.voice_joined(db, clock, GUILD, ALICE, VOICE)
    clock.advance(timedelta(minutes=5))
    await attendance.voice_left(db, clock, GUILD, ALICE)
    await attendance.voice_joined(db, clock, GUILD, BOB, VOICE)  # still open: kept
    clock.advance(timedelta(days=3))
    assert await attendance.prune_intervals(db, clock.now() - timedelta(days=2)) == 1
    assert await db.fetchval("SELECT COUNT(*) FROM sessions_voice_intervals") == 1
