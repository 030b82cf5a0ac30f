"""What a group's first message says: shared topics, notes, time zones, a time in everyone's daytime,
when the check-back comes, and this week of the study plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import topics
from bot.buddies import store
from bot.buddies.model import Group
from bot.buddies.rounds import get_round
from bot.clock import Clock
from bot.db import Database
from bot.plans import posts as plans_posts
from bot.plans import store as plans_store
from bot.plans.model import PlanStatus
from bot.sessions.members import member_timezone

PLAN_ITEMS_SHOWN = 3
DAYTIME = (9, 21)             # a suggested meeting starts at or after 09:00 and before 21:00 for everyone
SUGGEST_WITHIN_DAYS = (1, 7)  # from tomorrow, within a week


@dataclass(frozen=True)
class IntroMember:
    user_id: int
    note: str
    timezone: str | None         # None: not set
    utc_offset: str | None       # "UTC+05:30" now, where the timezone is known


@dataclass(frozen=True)
class PlanWeek:
    plan_title: str
    number: int
    unit_title: str
    items: tuple[str, ...]       # the first few item titles
    link: str | None             # the week's card, when the plan posted one


@dataclass(frozen=True)
class Intro:
    members: tuple[IntroMember, ...]
    shared_topics: tuple[str, ...]   # topic names every member picked
    some_topics: tuple[str, ...]     # topic names at least two members picked (a trio), beyond the shared
    plan_week: PlanWeek | None
    suggested_time: datetime | None  # an hour in every known time zone's daytime; None: no zone known or none fits
    checkback_at: datetime | None    # when the round asks "Did you meet?"


async def intro_for(db: Database, clock: Clock, group: Group) -> Intro:
    now = clock.now()
    names = {t.id: t.name for t in await topics.list_topics(db, group.guild_id)}
    members, topic_sets = [], []
    for user_id in group.user_ids:
        optin = await store.get_optin(db, group.guild_id, user_id)
        zone = await member_timezone(db, group.guild_id, user_id)
        members.append(IntroMember(user_id, optin.note if optin else "", zone, utc_offset(zone, now) if zone else None))
        topic_sets.append(set(optin.topic_ids) if optin else set())
    shared = set.intersection(*topic_sets) if topic_sets else set()
    counted: dict[int, int] = {}
    for chosen in topic_sets:
        for topic_id in chosen:
            counted[topic_id] = counted.get(topic_id, 0) + 1
    some = {t for t, n in counted.items() if n >= 2} - shared

    def named(ids: set[int]) -> tuple[str, ...]:
        return tuple(sorted((names[i] for i in ids if i in names), key=str.lower))

    found = await get_round(db, group.round_id)
    zones = [m.timezone for m in members if m.timezone]
    return Intro(tuple(members), named(shared), named(some), await plan_week(db, clock, group.guild_id),
                 common_daytime(zones, now), found.checkback_at)


def utc_offset(zone: str, moment: datetime) -> str:
    """``"UTC+05:30"``: the zone's offset at ``moment``."""
    offset = moment.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def common_daytime(zones: Sequence[str], now: datetime) -> datetime | None:
    """A whole hour from tomorrow on, within a week, that falls in every zone's daytime (09:00-21:00).

    The hour chosen is the one furthest from everyone's day edges (for one zone: mid-afternoon), the
    earliest of equals. None when no zone is known or the zones are too far apart for a shared day.
    """
    if not zones:
        return None
    infos = [ZoneInfo(z) for z in sorted(set(zones))]
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=SUGGEST_WITHIN_DAYS[0])
    best: tuple[int, datetime] | None = None
    for step in range(24 * (SUGGEST_WITHIN_DAYS[1] - SUGGEST_WITHIN_DAYS[0])):
        moment = start + timedelta(hours=step)
        hours = [moment.astimezone(info).hour for info in infos]
        if not all(DAYTIME[0] <= h < DAYTIME[1] for h in hours):
            continue
        margin = min(min(h - DAYTIME[0], DAYTIME[1] - 1 - h) for h in hours)
        if best is None or margin > best[0]:
            best = (margin, moment)
    return best[1] if best else None


async def plan_week(db: Database, clock: Clock, guild_id: int) -> PlanWeek | None:
    """The week running now of the guild's running study plan (the most recently started), if any.

    The week is the plans feature's own (:func:`bot.plans.store.current_week`), so the intro and the
    plan's cards always agree on it.
    """
    now = clock.now()
    running = [p for p in await plans_store.list_plans(db, guild_id)
               if p.status is PlanStatus.RUNNING and p.start_local]
    for plan in sorted(running, key=lambda p: (p.start_local or "", p.id), reverse=True):
        number = plans_store.current_week(plan, now)
        if number is None:
            continue
        unit = await plans_store.get_unit(db, plan, number)
        titles = [item.title for item in await plans_store.items(db, plan.id, unit_id=unit.id)]
        card = await plans_posts.card_of_unit(db, unit.id)
        link = None
        if card and card["message_id"] and card["channel_id"]:
            link = f"https://discord.com/channels/{guild_id}/{card['channel_id']}/{card['message_id']}"
        elif card and card["thread_id"]:
            link = f"https://discord.com/channels/{guild_id}/{card['thread_id']}"
        return PlanWeek(plan.title, number, unit.title, tuple(titles[:PLAN_ITEMS_SHOWN]), link)
    return None
