"""A learner's engagement card: when they joined and were approved, topics, totals, weeks in a row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot import topics
from bot.clock import Clock
from bot.db import Database
from bot.gate import applications, newcomers
from bot.gate.inactivity import Totals, member_totals
from bot.topics import Topic


@dataclass(frozen=True)
class Profile:
    guild_id: int
    user_id: int
    joined_at: datetime | None      # as the gate saw it; the cog prefers Discord's own value
    approved_at: datetime | None
    topics: tuple[Topic, ...]       # chosen in the approved application
    totals: Totals
    active_weeks_in_a_row: int


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_in_a_row(active_days: Iterable[date], today: date) -> int:
    """Consecutive weeks (Monday to Sunday) with any participation, ending this week.

    The current week may not have had activity yet, so a run ending last week still counts.
    """
    weeks = {week_start(day) for day in active_days}
    week = week_start(today)
    if week not in weeks:
        week -= timedelta(weeks=1)
    streak = 0
    while week in weeks:
        streak += 1
        week -= timedelta(weeks=1)
    return streak


async def member_profile(db: Database, clock: Clock, guild_id: int, user_id: int) -> Profile:
    approved = await applications.latest_application(db, guild_id, user_id, status=applications.APPROVED)
    chosen: list[Topic] = []
    for topic_id in approved.topic_ids if approved else ():
        topic = await topics.get_topic_by_id(db, guild_id, topic_id)
        if topic is not None:
            chosen.append(topic)
    newcomer = await newcomers.get_newcomer(db, guild_id, user_id)
    days = await db.fetchall(
        "SELECT day FROM participation_daily WHERE guild_id = ? AND user_id = ? AND day >= ? "
        "AND (messages > 0 OR resources_shared > 0 OR upvotes_received > 0 OR sessions_attended > 0) ORDER BY day",
        (guild_id, user_id, (clock.now().date() - timedelta(days=400)).isoformat()),
    )
    return Profile(
        guild_id=guild_id,
        user_id=user_id,
        joined_at=newcomer.joined_at if newcomer else None,
        approved_at=approved.decided_at if approved else None,
        topics=tuple(chosen),
        totals=await member_totals(db, guild_id, user_id),
        active_weeks_in_a_row=weeks_in_a_row((date.fromisoformat(r["day"]) for r in days), clock.now().date()),
    )
