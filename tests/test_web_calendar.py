"""Subscribed calendars: versions that change only with the event, cancellations kept, 304s, personal links."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from icalendar import Calendar

from bot.clock import FakeClock
from bot.db import Database
from bot.sessions import rsvp, store
from bot.sessions.model import RsvpStatus
from bot.web import store as web_store
from tests.web_site import GUILD, MEMBERS, NOW, web_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def by_summary(body: bytes, prefix: str) -> list:
    return [e for e in events(body) if str(e["SUMMARY"]).startswith(prefix)]


async def session_titled(db: Database, title: str) -> store.Session:
    session_id = await db.fetchval("SELECT id FROM sessions WHERE title LIKE ? ORDER BY id LIMIT 1", (f"{title}%",))
    return await store.get_session_by_id(db, session_id)


async def test_the_feed_is_a_subscribable_calendar(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        response = await client.get("/g/demo/calendar.ics")
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        body = await response.read()
        calendar = Calendar.from_ical(body)
        assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
        assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
        assert calendar["X-WR-CALNAME"] == "Browser ML Learners study sessions"
        [series] = by_summary(body, "WebGPU inference study hour")
        assert "RRULE" in series and str(series["UID"]).startswith("series-")
        [paper] = by_summary(body, "Paper club")
        assert str(paper["UID"]).startswith("session-") and paper["SEQUENCE"] == 0
        assert paper["DTSTAMP"].dt == NOW and str(paper["STATUS"]) == "CONFIRMED"
        etag = response.headers["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        clock.advance(timedelta(hours=3))  # time passing alone changes nothing in the file
        later = await client.get("/g/demo/calendar.ics")
        assert await later.read() == body and later.headers["ETag"] == etag


async def test_sequence_and_dtstamp_change_only_for_the_edited_session(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        before = await (await client.get("/g/demo/calendar.ics")).read()
        clock.advance(timedelta(hours=2))
        paper = await session_titled(db, "Paper club")
        await store.edit_session(db, clock, paper, title="Paper club: Attention, again")
        after = await (await client.get("/g/demo/calendar.ics")).read()
        [edited] = by_summary(after, "Paper club")
        assert edited["SEQUENCE"] == 1 and edited["DTSTAMP"].dt == clock.now()
        for untouched in ("MLOps office hours", "Project demos", "WebGPU"):
            old, new = by_summary(before, untouched)[0], by_summary(after, untouched)[0]
            assert (new["SEQUENCE"], new["DTSTAMP"].dt) == (old["SEQUENCE"], old["DTSTAMP"].dt) == (0, NOW)
        clock.advance(timedelta(hours=1))
        await store.edit_session(db, clock, await session_titled(db, "Paper club"),
                                 starts_at=paper.starts_at + timedelta(hours=1))
        [moved] = by_summary(await (await client.get("/g/demo/calendar.ics")).read(), "Paper club")
        assert moved["SEQUENCE"] == 2 and moved["DTSTAMP"].dt == clock.now()
        # An RSVP is not a change to the event.
        await rsvp.answer(db, clock, await session_titled(db, "Paper club"), 42, RsvpStatus.GOING)
        [same] = by_summary(await (await client.get("/g/demo/calendar.ics")).read(), "Paper club")
        assert same["SEQUENCE"] == 2


async def test_cancelled_sessions_stay_as_cancelled(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        clock.advance(timedelta(minutes=5))
        await store.cancel_session(db, clock, await session_titled(db, "MLOps office hours"), reason="Host ill")
        series_first = await session_titled(db, "WebGPU inference study hour")
        await store.cancel_session(db, clock, series_first)  # one occurrence; the series makes the next
        body = await (await client.get("/g/demo/calendar.ics")).read()
        [office] = by_summary(body, "MLOps office hours")
        assert str(office["STATUS"]) == "CANCELLED" and office["SEQUENCE"] == 1
        webgpu = by_summary(body, "WebGPU inference study hour")
        master = next(e for e in webgpu if "RRULE" in e)
        cancelled = [e for e in webgpu if "RECURRENCE-ID" in e]
        assert len(cancelled) == 1 and str(cancelled[0]["STATUS"]) == "CANCELLED"
        assert cancelled[0]["UID"] == master["UID"] and "EXDATE" not in master

        clock.advance(timedelta(minutes=5))
        await store.cancel_session(db, clock, await session_titled(db, "WebGPU inference study hour"), series=True)
        body = await (await client.get("/g/demo/calendar.ics")).read()
        master = next(e for e in by_summary(body, "WebGPU") if "RRULE" in e)
        assert master["RRULE"].get("UNTIL") or str(master["STATUS"]) == "CANCELLED"
        assert master["SEQUENCE"] >= 2 and master["DTSTAMP"].dt == clock.now()


async def test_if_none_match_wins_over_if_modified_since(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        first = await client.get("/g/demo/calendar.ics")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert modified == format_datetime(NOW, usegmt=True)
        hit = await client.get("/g/demo/calendar.ics", headers={"If-None-Match": etag})
        assert hit.status == 304 and await hit.read() == b"" and hit.headers["ETag"] == etag
        assert (await client.get("/g/demo/calendar.ics", headers={"If-None-Match": f'"x", {etag}'})).status == 304
        stale_tag = await client.get("/g/demo/calendar.ics",
                                     headers={"If-None-Match": '"old"', "If-Modified-Since": modified})
        assert stale_tag.status == 200 and await stale_tag.read() == await first.read()
        assert (await client.get("/g/demo/calendar.ics", headers={"If-Modified-Since": modified})).status == 304
        earlier = format_datetime(NOW - timedelta(days=1), usegmt=True)
        assert (await client.get("/g/demo/calendar.ics", headers={"If-Modified-Since": earlier})).status == 200
        assert (await client.get("/g/demo/calendar.ics", headers={"If-Modified-Since": "garbage"})).status == 200
        clock.advance(timedelta(minutes=1))
        await store.edit_session(db, clock, await session_titled(db, "Project demos"), title="Project demo day")
        changed = await client.get("/g/demo/calendar.ics", headers={"If-None-Match": etag})
        assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_add_to_calendar_downloads_one_event(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        paper = await session_titled(db, "Paper club")
        response = await client.get(f"/g/demo/sessions/{paper.id}.ics")
        assert response.status == 200 and response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        [event] = events(await response.read())
        assert str(event["UID"]) == f"session-{paper.id}@{GUILD}.cohort"
        for missing in ("999999", "abc", str(paper.id) + "0" * 20):
            assert (await client.get(f"/g/demo/sessions/{missing}.ics")).status == 404


async def test_personal_calendar(db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        member = MEMBERS[0]
        await rsvp.answer(db, clock, await session_titled(db, "Project demos"), member, RsvpStatus.NO)
        token = await web_store.new_calendar_token(db, clock, user_id=member, guild_id=GUILD)
        response = await client.get(f"/c/{token}.ics")
        assert response.status == 200 and response.headers["X-Robots-Tag"] == "noindex"
        assert response.headers["Cache-Control"].startswith("private")
        body = await response.read()
        summaries = [str(e["SUMMARY"]) for e in events(body)]
        assert any(s.startswith("Paper club") and "Browser ML Learners" in s for s in summaries)
        assert not any(s.startswith("Project demos") for s in summaries)  # answered "can't"
        dues = [s for s in summaries if s.startswith("Due: ")]
        plan_title = await db.fetchval("SELECT title FROM plans WHERE guild_id = ?", (GUILD,))
        assert dues and all(plan_title in s for s in dues)
        webgpu = by_summary(body, "WebGPU")
        assert webgpu and all("RRULE" not in e for e in webgpu)  # only the occurrence they answered
        assert (await client.get(f"/c/{token}.ics", headers={"If-None-Match": response.headers["ETag"]})).status == 304

        new = await web_store.new_calendar_token(db, clock, user_id=member, guild_id=GUILD)
        assert (await client.get(f"/c/{token}.ics")).status == 404
        assert (await client.get(f"/c/{new}.ics")).status == 200
        for wrong in ("nope.ics", f"{new}", f"{new}x.ics", "a" * 90 + ".ics"):
            assert (await client.get(f"/c/{wrong}")).status == 404
        stored = await db.fetchval("SELECT token_hash FROM web_calendar_tokens WHERE user_id = ?", (member,))
        assert stored == web_store.token_hash(new) and new not in stored


async def test_the_feed_follows_topic_names_and_drops_sessions_older_than_thirty_days(
        db: Database, clock: FakeClock) -> None:
    async with web_client(db, clock) as (client, _):
        before = await client.get("/g/demo/calendar.ics")
        paper = await session_titled(db, "Paper club")
        await db.execute("UPDATE topics SET name = 'Renamed topic' WHERE id = ?", (paper.topic_id,))
        renamed = await client.get("/g/demo/calendar.ics")
        assert renamed.headers["ETag"] != before.headers["ETag"]
        [event] = by_summary(await renamed.read(), "Paper club")
        assert "Renamed topic" in event["CATEGORIES"].to_ical().decode()

        clock.set(paper.ends_at + timedelta(days=29))
        assert by_summary(await (await client.get("/g/demo/calendar.ics")).read(), "Paper club")
        clock.set(paper.ends_at + timedelta(days=30, seconds=1))
        assert not by_summary(await (await client.get("/g/demo/calendar.ics")).read(), "Paper club")
