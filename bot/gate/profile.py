"""A learner's engagement card: when they joined and were approved, topics, totals, weeks in a row."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot import topics
from bot.clock import Clock
from bot.db import Database
from bot.gate import applications, newcomers
from bot.gate import config as gate_config
from bot.gate.inactivity import Totals, member_totals
from bot.participation import ACTIVE_DAY_SQL
from bot.topics import Topic


class Standing(StrEnum):
    """Where a member stands with the gate, for the card's "Approved" line."""

    NO_GATE = "no_gate"                # the server has no gate, so nobody is approved
    APPROVED = "approved"              # an application was approved (at approved_at)
    UNDER_REVIEW = "under_review"      # an application is open
    BEFORE_GATE = "before_gate"        # in the server since before the gate was set up
    MEMBER_ROLE_GIVEN = "member_role"  # has the member role without an application (given by hand)
    NOT_YET = "not_yet"                # a newcomer who has not been approved


@dataclass(frozen=True)
class Profile:
    guild_id: int
    user_id: int
    joined_at: datetime | None      # as the gate saw it; the cog prefers Discord's own value
    approved_at: datetime | None
    standing: Standing
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


async def gate_standing(db: Database, guild_id: int, user_id: int, *, approved: bool, joined_at: datetime | None,
                        role_ids: Collection[int]) -> Standing:
    """Where the member stands with the gate; ``joined_at`` and ``role_ids`` are Discord's."""
    if approved:
        return Standing.APPROVED
    config = await gate_config.get_gate_config(db, guild_id)
    if config is None:
        return Standing.NO_GATE
    if await applications.open_application(db, guild_id, user_id) is not None:
        return Standing.UNDER_REVIEW
    # The gate records everyone who joins while it is set up; without that record, Discord's join
    # time tells (the gate's own time moves when /gate setup is run again).
    joined_under_gate = await newcomers.get_newcomer(db, guild_id, user_id) is not None or (
        joined_at is not None and joined_at >= config.configured_at)
    if config.member_role_id in role_ids:
        return Standing.MEMBER_ROLE_GIVEN if joined_under_gate else Standing.BEFORE_GATE
    if joined_under_gate or config.newcomer_role_id in role_ids:  # a newcomer, or moved back to one by a prune
        return Standing.NOT_YET
    return Standing.BEFORE_GATE


async def member_profile(db: Database, clock: Clock, guild_id: int, user_id: int, *,
                         joined_at: datetime | None = None, role_ids: Collection[int] = ()) -> Profile:
    """The card's figures; ``joined_at`` and ``role_ids`` (Discord's) tell where they stand with the gate."""
    approved = await applications.latest_application(db, guild_id, user_id, status=applications.APPROVED)
    chosen: list[Topic] = []
    for topic_id in approved.topic_ids if approved else ():
        topic = await topics.get_topic_by_id(db, guild_id, topic_id)
        if topic is not None:
            chosen.append(topic)
    newcomer = await newcomers.get_newcomer(db, guild_id, user_id)
    days = await db.fetchall(
        "SELECT day FROM participation_daily WHERE guild_id = ? AND user_id = ? AND day >= ? "
        f"AND {ACTIVE_DAY_SQL} ORDER BY day",
        (guild_id, user_id, (clock.now().date() - timedelta(days=400)).isoformat()),
    )
    return Profile(
        guild_id=guild_id,
        user_id=user_id,
        joined_at=newcomer.joined_at if newcomer else None,
        approved_at=approved.decided_at if approved else None,
        standing=await gate_standing(db, guild_id, user_id, approved=approved is not None,
                                     joined_at=joined_at, role_ids=role_ids),
        topics=tuple(chosen),
        totals=await member_totals(db, guild_id, user_id),
        active_weeks_in_a_row=weeks_in_a_row((date.fromisoformat(r["day"]) for r in days), clock.now().date()),
    )
