"""What a group's first message says: shared topics, notes, local times, and this week of the study plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import topics
from bot.buddies import store
from bot.buddies.model import Group
from bot.clock import Clock
from bot.db import Database
from bot.guild_config import get_config
from bot.plans.schedule import current_unit, parse_anchor
from bot.sessions.members import member_timezone
from bot.sessions.recurrence import wall_time

PLAN_ITEMS_SHOWN = 3


@dataclass(frozen=True)
class IntroMember:
    user_id: int
    note: str
    timezone: str | None         # None: not set
    local_time: datetime | None  # naive wall time now, where the timezone is known


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


async def intro_for(db: Database, clock: Clock, group: Group) -> Intro:
    now = clock.now()
    names = {t.id: t.name for t in await topics.list_topics(db, group.guild_id)}
    members, topic_sets = [], []
    for user_id in group.user_ids:
        optin = await store.get_optin(db, group.guild_id, user_id)
        zone = await member_timezone(db, group.guild_id, user_id)
        members.append(IntroMember(user_id, optin.note if optin else "", zone,
                                   wall_time(now, zone) if zone else None))
        topic_sets.append(set(optin.topic_ids) if optin else set())
    shared = set.intersection(*topic_sets) if topic_sets else set()
    counted: dict[int, int] = {}
    for chosen in topic_sets:
        for topic_id in chosen:
            counted[topic_id] = counted.get(topic_id, 0) + 1
    some = {t for t, n in counted.items() if n >= 2} - shared

    def named(ids: set[int]) -> tuple[str, ...]:
        return tuple(sorted((names[i] for i in ids if i in names), key=str.lower))

    return Intro(tuple(members), named(shared), named(some), await plan_week(db, clock, group.guild_id))


async def plan_week(db: Database, clock: Clock, guild_id: int) -> PlanWeek | None:
    """The week running now of the guild's running study plan (the most recently started), if any."""
    plans = await db.fetchall("SELECT * FROM plans WHERE guild_id = ? AND status = 'running' AND start_local IS NOT "
                              "NULL ORDER BY start_local DESC, id DESC", (guild_id,))
    if not plans:
        return None
    server_zone = (await get_config(db, guild_id)).timezone or "UTC"
    for plan in plans:
        count = await db.fetchval("SELECT COUNT(*) FROM plans_units WHERE plan_id = ?", (plan["id"],))
        number = current_unit(parse_anchor(plan["start_local"]), plan["timezone"] or server_zone, plan["unit_days"],
                              count, clock.now())
        if not 1 <= number <= count:
            continue
        unit = await db.fetchone("SELECT id, title FROM plans_units WHERE plan_id = ? AND number = ?",
                                 (plan["id"], number))
        if unit is None:
            continue
        items = await db.fetchall("SELECT title FROM plans_items WHERE unit_id = ? ORDER BY position LIMIT ?",
                                  (unit["id"], PLAN_ITEMS_SHOWN))
        card = await db.fetchone("SELECT channel_id, message_id, thread_id FROM plans_posts WHERE plan_id = ? "
                                 "AND key = ? AND status = 'sent'", (plan["id"], f"card:{number}"))
        link = None
        if card and card["message_id"] and card["channel_id"]:
            link = f"https://discord.com/channels/{guild_id}/{card['channel_id']}/{card['message_id']}"
        elif card and card["thread_id"]:
            link = f"https://discord.com/channels/{guild_id}/{card['thread_id']}"
        return PlanWeek(plan["title"], number, unit["title"], tuple(row["title"] for row in items), link)
    return None
