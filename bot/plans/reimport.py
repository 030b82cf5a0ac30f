"""Re-importing a plan file over a plan that exists: the plan is updated in place, all or nothing.

Organisers fix a link, add a reading or drop a week while the cohort is working through the plan.
An item keeps its id, and so its members' progress, when the new file has an item with the same
title (case and spacing aside) in the same week; items no longer in the file go, with their
progress; new ones are added. Weeks beyond the file's last go with their items, check-ins and
posts. The schedule stays: a started plan keeps its unit length (changing it would move weeks the
cohort already had), and its status, start and channel.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot import topics
from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.plans import store
from bot.plans.model import ItemDoc, PlanDoc, PlanStatus
from bot.plans.rows import Item, Plan


@dataclass(frozen=True)
class Reimported:
    plan: Plan
    kept: int            # items matched by title: their progress stays
    added: int
    removed: int         # with their progress
    weeks_removed: int
    linked: int          # items linked to a library resource
    added_links: int     # of which were added to the library by this import


def _key(title: str) -> str:
    return " ".join(title.casefold().split())


async def reimport_plan(db: Database, clock: Clock, plan: Plan, doc: PlanDoc, *, topic_id: int | None = None,
                        add_links: bool = False) -> Reimported:
    """Update ``plan`` to what ``doc`` says, keeping the progress of items that stay (see the module)."""
    if plan.status is not PlanStatus.DRAFT and doc.unit_days != plan.unit_days:
        raise InvalidInput(f"**{plan.title[:100]}** is {plan.status.value} with {plan.unit_days}-day weeks; the file "
                           f"says {doc.unit_days}. A started plan keeps its week length: change the file's `Unit:` "
                           "back, or export, remove and import it as a new plan.")
    topic_id = topic_id if topic_id is not None else plan.topic_id
    if topic_id is None and doc.topic:
        topic_id = (await topics.get_topic(db, plan.guild_id, doc.topic)).id
    if add_links and topic_id is None:
        raise InvalidInput("Links can only be added to the library under a topic: give the plan a topic "
                           "(`topic:`, or `topic:` in the plan file).")
    old_units = {unit.number: unit for unit in await store.units(db, plan.id)}
    old_items: dict[int, list[Item]] = defaultdict(list)
    for item in await store.items(db, plan.id):
        old_items[item.unit_number].append(item)
    kept = added = removed = linked = added_links = 0
    now = to_db(clock.now())
    async with db.transaction():
        await db.execute("UPDATE plans SET title = ?, description = ?, topic_id = ?, unit_days = ?, updated_at = ? "
                         "WHERE id = ?", (doc.title[:store.TITLE_MAX], doc.description, topic_id, doc.unit_days, now,
                                          plan.id))
        # Positions are unique within a week: park the old ones past any new one (at most 50 a week) first.
        await db.execute("UPDATE plans_items SET position = position + 1000 WHERE plan_id = ?", (plan.id,))
        for unit in doc.units:
            unit_id: int | None
            if unit.number in old_units:
                unit_id = old_units[unit.number].id
                await db.execute("UPDATE plans_units SET title = ?, goals = ? WHERE id = ?",
                                 (unit.title, "\n".join(unit.goals), unit_id))
            else:
                unit_id, _ = await db.execute(
                    "INSERT INTO plans_units (guild_id, plan_id, number, title, goals) VALUES (?, ?, ?, ?, ?)",
                    (plan.guild_id, plan.id, unit.number, unit.title, "\n".join(unit.goals)))
            assert unit_id is not None
            waiting: dict[str, list[Item]] = defaultdict(list)
            for item in old_items.get(unit.number, []):
                waiting[_key(item.title)].append(item)
            for position, new in enumerate(unit.items, start=1):
                resource_id, fresh = await store.resource_for(db, clock, plan.guild_id, new, topic_id, plan.created_by,
                                                              add_links)
                linked += resource_id is not None
                added_links += fresh
                matches = waiting.get(_key(new.title))
                if matches:
                    await _update_item(db, matches.pop(0).id, position, new, resource_id)
                    kept += 1
                else:
                    await _insert_item(db, plan, unit_id, position, new, resource_id)
                    added += 1
            gone = [item.id for items in waiting.values() for item in items]
            removed += len(gone)
            await db.executemany("DELETE FROM plans_items WHERE id = ?", [(item_id,) for item_id in gone])
        dropped = [unit for number, unit in old_units.items() if number > len(doc.units)]
        removed += sum(len(old_items.get(unit.number, [])) for unit in dropped)
        await db.executemany("DELETE FROM plans_units WHERE id = ?", [(unit.id,) for unit in dropped])
    updated = await store.get_plan_by_id(db, plan.id)
    assert updated is not None
    return Reimported(updated, kept, added, removed, len(dropped), linked, added_links)


async def _update_item(db: Database, item_id: int, position: int, item: ItemDoc, resource_id: int | None) -> None:
    await db.execute(
        "UPDATE plans_items SET position = ?, kind = ?, title = ?, url = ?, required = ?, minutes = ?, due_day = ?, "
        "due_minute = ?, resource_id = ? WHERE id = ?",
        (position, item.kind.value, item.title, item.url, int(item.required), item.minutes,
         item.due.day if item.due else None, item.due.minute if item.due else None, resource_id, item_id))


async def _insert_item(db: Database, plan: Plan, unit_id: int, position: int, item: ItemDoc,
                       resource_id: int | None) -> None:
    await db.execute(
        "INSERT INTO plans_items (guild_id, plan_id, unit_id, position, kind, title, url, required, minutes, due_day, "
        "due_minute, resource_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (plan.guild_id, plan.id, unit_id, position, item.kind.value, item.title, item.url, int(item.required),
         item.minutes, item.due.day if item.due else None, item.due.minute if item.due else None, resource_id))
