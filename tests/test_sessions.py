"""Sessions in the database: scheduling, editing, cancelling, series, answers and the waitlist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import InvalidInput
from bot.guild_config import set_timezone
from bot.sessions import deliveries, members, rsvp, settings, store
from bot.sessions.model import RsvpStatus, Session, SessionFull, SessionNotFound
from bot.sessions.recurrence import Repeat

GUILD = 111
HOST = 1
ALICE, BOB, CAROL = 2, 3, 4


async def schedule(db: Database, clock: FakeClock, *, in_: timedelta = timedelta(days=2), **extra: Any) -> Session:
    fields: dict[str, Any] = {"guild_id": GUILD, "host_id": HOST, "topic_id": None, "title": "Paper club",
                              "starts_at": clock.now() + in_, "duration": timedelta(hours=1), "zone": "UTC"}
    return await store.schedule_session(db, clock, **{**fields, **extra})


async def kinds(db: Database, session_id: int) -> list[str]:
    return [d.kind for d in await deliveries.history(db, session_id)]


# Scheduling -------------------------------------------------------------------------------
async def test_a_new_session_plans_reminders_start_and_recap(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    assert await kinds(db, session.id) == ["remind-1440m", "remind-15m", "start", "recap"]
    assert (await store.get_session(db, GUILD, session.id)).title == "Paper club"


async def test_reminders_already_past_are_not_planned(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock, in_=timedelta(hours=2))
    assert await kinds(db, session.id) == ["remind-15m", "start", "recap"]


async def test_the_guild_offsets_decide_the_reminders(db: Database, clock: FakeClock) -> None:
    await settings.set_reminder_offsets(db, GUILD, "1m, 3h")
    session = await schedule(db, clock)
    assert await kinds(db, session.id) == ["remind-180m", "remind-1m", "start", "recap"]


async def test_another_guild_cannot_see_a_session(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    with pytest.raises(SessionNotFound):
        await store.get_session(db, GUILD + 1, session.id)


@pytest.mark.parametrize(("extra", "message"), [
    ({"title": "  "}, "title cannot be empty"),
    ({"title": "x" * 101}, "keep it to 100"),
    ({"capacity": 0}, "Capacity"),
    ({"until": None, "repeat": Repeat.NONE, "in_": -timedelta(minutes=1)}, "in the past"),
    ({"in_": timedelta(days=366)}, "more than a year"),
    ({"duration": timedelta(minutes=2)}, "lasts between"),
])
async def test_bad_sessions_are_refused(db: Database, clock: FakeClock, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        await schedule(db, clock, **extra)


async def test_until_needs_a_repeat_and_must_follow_the_start(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="only applies to repeating"):
        await schedule(db, clock, until=clock.now() + timedelta(days=30))
    with pytest.raises(InvalidInput, match="before the first session"):
        await schedule(db, clock, repeat=Repeat.WEEKLY, until=clock.now() + timedelta(days=1))


async def test_listing_filters_by_topic_and_member(db: Database, clock: FakeClock) -> None:
    from bot import topics

    topic = await topics.add_topic(db, clock, guild_id=GUILD, slug="mlops", name="MLOps")
    first = await schedule(db, clock, topic_id=topic.id)
    second = await schedule(db, clock, in_=timedelta(days=1), host_id=BOB)
    await rsvp.answer(db, clock, first, ALICE, RsvpStatus.MAYBE)
    assert [s.id for s in await store.list_upcoming(db, clock, GUILD)] == [second.id, first.id]
    assert [s.id for s in await store.list_upcoming(db, clock, GUILD, topic_id=topic.id)] == [first.id]
    assert [s.id for s in await store.list_upcoming(db, clock, GUILD, member_id=ALICE)] == [first.id]
    assert [s.id for s in await store.list_upcoming(db, clock, GUILD, member_id=BOB)] == [second.id]
    assert await store.count_upcoming(db, clock, GUILD) == 2
    clock.advance(timedelta(days=3))
    assert await store.list_upcoming(db, clock, GUILD) == []


# Editing ----------------------------------------------------------------------------------
async def test_edit_reports_changes_and_replans(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    result = await store.edit_session(db, clock, session, title="Reading group",
                                      starts_at=session.starts_at + timedelta(hours=1),
                                      duration=timedelta(minutes=90))
    assert [c.label for c in result.changes] == ["Title", "Start", "Duration"]
    assert result.session.ends_at == session.starts_at + timedelta(hours=2, minutes=30)
    planned = {d.kind: d.due_at for d in await deliveries.history(db, session.id)}
    assert planned["start"] == session.starts_at + timedelta(hours=1)
    assert planned["recap"] == result.session.ends_at


async def test_edit_with_nothing_new_is_refused(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    with pytest.raises(InvalidInput, match="Nothing to change"):
        await store.edit_session(db, clock, session, title="Paper club")


async def test_a_started_session_cannot_be_edited_or_cancelled(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    clock.set(session.starts_at + timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="already started"):
        await store.edit_session(db, clock, session, title="Late change")
    with pytest.raises(InvalidInput, match="already started"):
        await store.cancel_session(db, clock, session)


async def test_more_capacity_promotes_the_waitlist(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock, capacity=1)
    await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    await rsvp.answer(db, clock, session, BOB, RsvpStatus.GOING, join_waitlist=True)
    result = await store.edit_session(db, clock, session, capacity=2)
    assert result.promoted == (BOB,)
    assert await rsvp.members(db, session.id, RsvpStatus.GOING) == [ALICE, BOB]


# Cancelling and series ----------------------------------------------------------------------
async def test_cancel_drops_pending_deliveries(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    cancelled = await store.cancel_session(db, clock, session, reason="Host is ill")
    assert [s.cancelled for s in cancelled] == [True] and cancelled[0].cancel_reason == "Host is ill"
    assert {d.outcome for d in await deliveries.history(db, session.id)} == {"cancelled"}
    assert await deliveries.next_pending(db, session.id) is None
    with pytest.raises(InvalidInput, match="already cancelled"):
        await store.cancel_session(db, clock, cancelled[0])


async def test_the_next_occurrence_is_created_when_the_current_one_starts(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, repeat=Repeat.WEEKLY)
    assert await store.continue_series(db, clock, first.series_id or 0) is None  # not started yet
    clock.set(first.starts_at)
    second = await store.continue_series(db, clock, first.series_id or 0)
    assert second is not None and second.occurrence == 1
    assert second.starts_at == first.starts_at + timedelta(weeks=1)
    assert await kinds(db, second.id) == ["announce", "remind-1440m", "remind-15m", "start", "recap"]
    assert await store.continue_series(db, clock, first.series_id or 0) is None  # idempotent


async def test_a_series_ends_at_until(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, repeat=Repeat.WEEKLY, until=clock.now() + timedelta(days=10))
    clock.set(first.starts_at)
    second = await store.continue_series(db, clock, first.series_id or 0)
    assert second is not None
    clock.set(second.starts_at)
    assert await store.continue_series(db, clock, first.series_id or 0) is None


async def test_cancelling_the_newest_occurrence_creates_the_next(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, repeat=Repeat.WEEKLY)
    await store.cancel_session(db, clock, first)
    occurrences = await store.series_occurrences(db, first.series_id or 0)
    assert [(s.occurrence, s.cancelled) for s in occurrences] == [(0, True), (1, False)]


async def test_cancelling_a_series_cancels_what_is_left_and_stops_it(db: Database, clock: FakeClock) -> None:
    first = await schedule(db, clock, repeat=Repeat.WEEKLY)
    clock.set(first.starts_at)
    second = await store.continue_series(db, clock, first.series_id or 0)
    assert second is not None
    cancelled = await store.cancel_session(db, clock, second, series=True)
    assert [s.id for s in cancelled] == [second.id]
    clock.set(second.starts_at)
    assert await store.continue_series(db, clock, first.series_id or 0) is None
    assert await store.active_series_ids(db) == []


async def test_series_option_on_a_one_off_is_refused(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="not part of a repeating series"):
        await store.cancel_session(db, clock, await schedule(db, clock), series=True)


# Answers and the waitlist -----------------------------------------------------------------------
async def test_answers_are_counted_and_changed(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    await rsvp.answer(db, clock, session, BOB, RsvpStatus.MAYBE)
    result = await rsvp.answer(db, clock, session, BOB, RsvpStatus.NO)
    assert result.changed and result.counts.going == 1 and result.counts.no == 1 and result.counts.maybe == 0
    again = await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    assert not again.changed


async def test_going_to_a_full_session_offers_the_waitlist(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock, capacity=1)
    await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    with pytest.raises(SessionFull) as full:
        await rsvp.answer(db, clock, session, BOB, RsvpStatus.GOING)
    assert full.value.position is None and "waitlist" in full.value.message
    waiting = await rsvp.answer(db, clock, session, BOB, RsvpStatus.WAITLIST)
    assert waiting.status is RsvpStatus.WAITLIST and waiting.waitlist_position == 1
    with pytest.raises(SessionFull) as still:
        await rsvp.answer(db, clock, session, BOB, RsvpStatus.GOING)
    assert still.value.position == 1


async def test_a_freed_place_goes_to_the_first_in_line(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock, capacity=1)
    await rsvp.answer(db, clock, session, ALICE, RsvpStatus.GOING)
    await rsvp.answer(db, clock, session, BOB, RsvpStatus.GOING, join_waitlist=True)
    await rsvp.answer(db, clock, session, CAROL, RsvpStatus.GOING, join_waitlist=True)
    result = await rsvp.answer(db, clock, session, ALICE, RsvpStatus.MAYBE)
    assert result.promoted == (BOB,)
    assert await rsvp.members(db, session.id, RsvpStatus.GOING) == [BOB]
    assert await rsvp.waitlist_position(db, session.id, CAROL) == 1


async def test_waitlist_with_a_free_place_is_going(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock, capacity=2)
    result = await rsvp.answer(db, clock, session, ALICE, RsvpStatus.WAITLIST)
    assert result.status is RsvpStatus.GOING


async def test_cancelled_and_finished_sessions_take_no_answers(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    [cancelled] = await store.cancel_session(db, clock, session)
    with pytest.raises(InvalidInput, match="cancelled"):
        await rsvp.answer(db, clock, cancelled, ALICE, RsvpStatus.GOING)
    other = await schedule(db, clock)
    clock.set(other.ends_at)
    with pytest.raises(InvalidInput, match="over"):
        await rsvp.answer(db, clock, other, ALICE, RsvpStatus.GOING)


# Members and settings -----------------------------------------------------------------------
async def test_timezone_comes_from_option_then_member_then_server(db: Database) -> None:
    assert await members.resolve_timezone(db, GUILD, ALICE, None) == "UTC"
    await set_timezone(db, GUILD, "Asia/Kolkata")
    assert await members.resolve_timezone(db, GUILD, ALICE, None) == "Asia/Kolkata"
    assert await members.set_member_timezone(db, GUILD, ALICE, "europe/berlin") == "Europe/Berlin"
    assert await members.resolve_timezone(db, GUILD, ALICE, None) == "Europe/Berlin"
    assert await members.resolve_timezone(db, GUILD, ALICE, "America/New_York") == "America/New_York"
    with pytest.raises(InvalidInput):
        await members.resolve_timezone(db, GUILD, ALICE, "Not/AZone")


async def test_dm_preference_is_per_member(db: Database) -> None:
    await members.set_member_timezone(db, GUILD, ALICE, "UTC")
    await members.set_remind_dm(db, GUILD, ALICE, True)
    await members.set_remind_dm(db, GUILD, BOB, False)
    assert await members.dm_opted_in(db, GUILD, [ALICE, BOB, CAROL]) == {ALICE}
    assert await members.member_timezone(db, GUILD, ALICE) == "UTC"  # the DM choice kept the timezone


async def test_attendance_minutes_have_bounds(db: Database) -> None:
    assert await settings.attendance_minutes(db, GUILD) == 10
    assert await settings.set_attendance_minutes(db, GUILD, 1) == 1
    with pytest.raises(InvalidInput):
        await settings.set_attendance_minutes(db, GUILD, 0)
    assert await settings.attendance_minutes(db, GUILD) == 1


async def test_new_offsets_replan_upcoming_sessions(db: Database, clock: FakeClock) -> None:
    session = await schedule(db, clock)
    await settings.set_reminder_offsets(db, GUILD, "1h")
    assert await store.replan_reminders(db, clock, GUILD) == [session.id]
    assert await kinds(db, session.id) == ["remind-60m", "start", "recap"]
