"""Plans in the database: create one from a plan file in one transaction, read, edit, remove, and
move it through its life (draft → running ⇄ paused → finished).

Items whose link is in the resource library are linked to it (by the library's URL spelling,
:func:`bot.resources.urls.normalise_url`); an import can add the missing links to the library under
the plan's topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import guild_config, topics
from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row
from bot.errors import AlreadyExists, InvalidInput, NotFound
from bot.plans import posts, schedule
from bot.plans.model import Due, ItemDoc, ItemKind, PlanDoc, PlanStatus, UnitDoc
from bot.plans.rows import Item, Plan, Unit
from bot.resources import library
from bot.resources.model import DuplicateResource
from bot.resources.urls import normalise_url

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
TITLE_MAX = 200
DEFAULT_START_TIME = time(9, 0)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Cc, except tab and line breaks
_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2}))?\s*$")


class PlanNotFound(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"There is no plan `{slug[:40]}` here; `/plan list` shows the plans.")


@dataclass(frozen=True)
class Created:
    plan: Plan
    linked: int          # items linked to a library resource
    added_links: int     # of which were added to the library by this import


# Reading ----------------------------------------------------------------------------------------
_PLAN_SELECT = ("SELECT p.*, (SELECT COUNT(*) FROM plans_units AS u WHERE u.plan_id = p.id) AS unit_count "
                "FROM plans AS p")


def _plan(row: Row) -> Plan:
    return Plan(row["id"], row["guild_id"], row["slug"], row["title"], row["description"], row["topic_id"],
                row["channel_id"], row["timezone"], row["unit_days"], PlanStatus(row["status"]),
                row["start_local"], from_db(row["paused_at"]) if row["paused_at"] else None, row["created_by"],
                row["unit_count"])


def _item(row: Row) -> Item:
    due = Due(row["due_day"], row["due_minute"]) if row["due_day"] is not None else None
    return Item(row["id"], row["plan_id"], row["unit_id"], row["number"], row["position"], ItemKind(row["kind"]),
                row["title"], row["url"], bool(row["required"]), row["minutes"], due, row["resource_id"])


async def get_plan(db: Database, guild_id: int, slug: str) -> Plan:
    row = await db.fetchone(f"{_PLAN_SELECT} WHERE p.guild_id = ? AND p.slug = ?", (guild_id, slug.strip().lower()))
    if row is None:
        raise PlanNotFound(slug)
    return _plan(row)


async def find_plan(db: Database, guild_id: int, slug: str) -> Plan | None:
    row = await db.fetchone(f"{_PLAN_SELECT} WHERE p.guild_id = ? AND p.slug = ?", (guild_id, slug.strip().lower()))
    return None if row is None else _plan(row)


async def get_plan_by_id(db: Database, plan_id: int) -> Plan | None:
    row = await db.fetchone(f"{_PLAN_SELECT} WHERE p.id = ?", (plan_id,))
    return None if row is None else _plan(row)


async def list_plans(db: Database, guild_id: int) -> list[Plan]:
    rows = await db.fetchall(f"{_PLAN_SELECT} WHERE p.guild_id = ? ORDER BY p.title COLLATE NOCASE", (guild_id,))
    return [_plan(row) for row in rows]


async def running_plan_ids(db: Database) -> list[int]:
    return [row[0] for row in await db.fetchall("SELECT id FROM plans WHERE status = 'running'")]


async def units(db: Database, plan_id: int) -> list[Unit]:
    rows = await db.fetchall("SELECT * FROM plans_units WHERE plan_id = ? ORDER BY number", (plan_id,))
    return [Unit(r["id"], r["plan_id"], r["number"], r["title"], tuple(g for g in r["goals"].split("\n") if g))
            for r in rows]


async def get_unit(db: Database, plan: Plan, number: int) -> Unit:
    for unit in await units(db, plan.id):
        if unit.number == number:
            return unit
    raise NotFound(f"**{plan.title[:100]}** has weeks 1–{plan.unit_count}; there is no week {number}.")


async def get_unit_by_id(db: Database, unit_id: int) -> Unit | None:
    row = await db.fetchone("SELECT * FROM plans_units WHERE id = ?", (unit_id,))
    return None if row is None else Unit(row["id"], row["plan_id"], row["number"], row["title"],
                                         tuple(g for g in row["goals"].split("\n") if g))


_ITEM_SELECT = "SELECT i.*, u.number FROM plans_items AS i JOIN plans_units AS u ON u.id = i.unit_id"


async def items(db: Database, plan_id: int, *, unit_id: int | None = None) -> list[Item]:
    if unit_id is None:
        rows = await db.fetchall(f"{_ITEM_SELECT} WHERE i.plan_id = ? ORDER BY u.number, i.position", (plan_id,))
    else:
        rows = await db.fetchall(f"{_ITEM_SELECT} WHERE i.unit_id = ? ORDER BY i.position", (unit_id,))
    return [_item(row) for row in rows]


async def get_item(db: Database, guild_id: int, item_id: int) -> Item:
    row = await db.fetchone(f"{_ITEM_SELECT} WHERE i.id = ? AND i.guild_id = ?", (item_id, guild_id))
    if row is None:
        raise NotFound("There is no such item; pick one from the list that `item:` offers.")
    return _item(row)


async def plan_doc(db: Database, plan: Plan) -> PlanDoc:
    """The plan as a plan file holds it (for /plan export)."""
    topic = await topics.get_topic_by_id(db, plan.guild_id, plan.topic_id) if plan.topic_id else None
    by_unit: dict[int, list[ItemDoc]] = {}
    for item in await items(db, plan.id):
        by_unit.setdefault(item.unit_id, []).append(
            ItemDoc(item.kind, item.title, item.url, item.required, item.minutes, item.due))
    return PlanDoc(title=plan.title, description=plan.description, unit_days=plan.unit_days, slug=plan.slug,
                   topic=topic.slug if topic else None,
                   units=tuple(UnitDoc(u.number, u.title, u.goals, tuple(by_unit.get(u.id, [])))
                               for u in await units(db, plan.id)))


# Creating ---------------------------------------------------------------------------------------
def plan_slug(doc: PlanDoc) -> str:
    slug = doc.slug or topics.normalise_slug(doc.title)
    if not SLUG.match(slug):
        raise InvalidInput("A plan's slug is 1–40 lower-case letters, digits and dashes, such as "
                           "`ml-systems-design`; give the plan a title with some letters in it.")
    return slug


async def create_plan(db: Database, clock: Clock, *, guild_id: int, doc: PlanDoc, created_by: int | None,
                      topic_id: int | None = None, channel_id: int | None = None,
                      add_links: bool = False) -> Created:
    """Store a plan file as a draft plan, all or nothing. ``topic_id`` overrides the file's topic."""
    slug = plan_slug(doc)
    if topic_id is None and doc.topic:
        topic_id = (await topics.get_topic(db, guild_id, doc.topic)).id
    if add_links and topic_id is None:
        raise InvalidInput("Links can only be added to the library under a topic: give the plan a topic "
                           "(`topic:`, or `topic:` in the plan file).")
    now = to_db(clock.now())
    linked = added = 0
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM plans WHERE guild_id = ? AND slug = ?", (guild_id, slug)):
            raise AlreadyExists(f"A plan `{slug}` already exists. Import with `replace: True` to update it in "
                                "place (items kept by title keep their progress), or give the new one another "
                                "title or slug.")
        plan_id, _ = await db.execute(
            "INSERT INTO plans (guild_id, slug, title, description, topic_id, channel_id, unit_days, created_by, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, slug, doc.title[:TITLE_MAX], doc.description, topic_id, channel_id, doc.unit_days,
             created_by, now, now))
        for unit in doc.units:
            unit_id, _ = await db.execute(
                "INSERT INTO plans_units (guild_id, plan_id, number, title, goals) VALUES (?, ?, ?, ?, ?)",
                (guild_id, plan_id, unit.number, unit.title, "\n".join(unit.goals)))
            rows = []
            for position, item in enumerate(unit.items, start=1):
                resource_id, new = await resource_for(db, clock, guild_id, item, topic_id, created_by, add_links)
                linked += resource_id is not None
                added += new
                rows.append((guild_id, plan_id, unit_id, position, item.kind.value, item.title, item.url,
                             int(item.required), item.minutes, item.due.day if item.due else None,
                             item.due.minute if item.due else None, resource_id))
            await db.executemany(
                "INSERT INTO plans_items (guild_id, plan_id, unit_id, position, kind, title, url, required, "
                "minutes, due_day, due_minute, resource_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert plan_id is not None
    plan = await get_plan_by_id(db, plan_id)
    assert plan is not None
    return Created(plan, linked, added)


async def resource_for(db: Database, clock: Clock, guild_id: int, item: ItemDoc, topic_id: int | None,
                        created_by: int | None, add_links: bool) -> tuple[int | None, bool]:
    """The library resource for an item's link: (its id or None, whether it was added now)."""
    if not item.url:
        return None, False
    try:
        url = normalise_url(item.url)
    except InvalidInput:
        return None, False  # a link the library would not take stays a plain link
    found = await library.find_by_url(db, guild_id, url)
    if found is not None:
        return found.id, False
    if not add_links or topic_id is None:
        return None, False
    try:
        draft = library.draft_resource(url=url, title=item.title)
    except InvalidInput:
        draft = library.draft_resource(url=url)
    try:
        resource = await library.add_resource(db, clock, guild_id=guild_id, author_id=created_by, topic_id=topic_id,
                                              draft=draft)
    except DuplicateResource as duplicate:
        return duplicate.existing.id, False
    return resource.id, True


# Changing ---------------------------------------------------------------------------------------
def clean_title(text: str) -> str:
    """A title is one line: control characters dropped, runs of spaces and line breaks made one space."""
    return " ".join(_CONTROLS.sub("", text).split())


async def edit_plan(db: Database, clock: Clock, plan: Plan, *, title: str | None = None,
                    channel_id: int | None = None, topic_id: int | None = None) -> Plan:
    changes: dict[str, object] = {}
    if title is not None:
        cleaned = clean_title(title)
        if not cleaned:
            raise InvalidInput("The title cannot be empty; give it a few words.")
        if len(cleaned) > TITLE_MAX:
            raise InvalidInput(f"The title is {len(cleaned)} characters; keep it to {TITLE_MAX}.")
        changes["title"] = cleaned
    if channel_id is not None:
        changes["channel_id"] = channel_id
    if topic_id is not None:
        changes["topic_id"] = topic_id
    if not changes:
        raise InvalidInput("Nothing to change: give at least one of title, channel or topic.")
    changes["updated_at"] = to_db(clock.now())
    await db.execute(f"UPDATE plans SET {', '.join(f'{c} = ?' for c in changes)} WHERE id = ?",
                     (*changes.values(), plan.id))
    return await _reload(db, plan)


async def remove_plan(db: Database, plan: Plan, *, force: bool = False) -> None:
    """Delete the plan with its weeks, items, enrolments, progress and check-ins."""
    if plan.status in (PlanStatus.RUNNING, PlanStatus.PAUSED) and not force:
        raise InvalidInput(f"**{plan.title[:100]}** is {plan.status.value}; its cohort's progress and check-ins "
                           "would go with it. Finish it first (`/plan finish`), or remove it with `force: True`.")
    await db.execute("DELETE FROM plans WHERE id = ?", (plan.id,))


def parse_start(text: str) -> tuple[date, time]:
    """``2027-01-04`` (at 09:00) or ``2027-01-04 18:30``."""
    match = _DATE.match(text)
    if not match:
        raise InvalidInput("Give the start as a date, `2027-01-04`, optionally with a time, `2027-01-04 18:30` "
                           "(default 09:00), in the plan's timezone.")
    try:
        day = date.fromisoformat(match[1])
        at = time(int(match[2]), int(match[3])) if match[2] else DEFAULT_START_TIME
    except ValueError:
        raise InvalidInput(f"`{text.strip()[:40]}` is not a real date and time; use `2027-01-04 09:00`.") from None
    return day, at


async def start_plan(db: Database, clock: Clock, plan: Plan, *, start: str, zone: str | None = None,
                     channel_id: int | None = None, backfill: bool = False) -> Plan:
    """Set the schedule and run the plan. A start date in the past is refused unless ``backfill``: then
    the weeks before the running one count as posted (nothing is sent for them). Today at an hour
    already gone is not in the past: week 1 has just begun, and its card goes out at once."""
    if plan.status is not PlanStatus.DRAFT:
        hint = {PlanStatus.PAUSED: " Resume it with `/plan resume`.", PlanStatus.RUNNING: "",
                PlanStatus.FINISHED: " To run it anew, `/plan export` it, remove it and import the file again.",
                }[plan.status]
        raise InvalidInput(f"**{plan.title[:100]}** is already {plan.status.value}; only a draft plan starts.{hint}")
    if plan.unit_count == 0:
        raise InvalidInput(f"**{plan.title[:100]}** has no weeks; import a plan file with at least one week.")
    zone = guild_config.parse_timezone(zone) if zone else (
        plan.timezone or (await guild_config.get_config(db, plan.guild_id)).timezone)
    day, at = parse_start(start)
    anchor = datetime.combine(day, at)
    begins = schedule.unit_start(anchor, zone, plan.unit_days, 1)
    now = clock.now()
    if begins < now and day < now.astimezone(ZoneInfo(zone)).date() and not backfill:
        raise InvalidInput(f"{day.isoformat()} {at:%H:%M} ({zone}) is in the past. Pick a later start, or pass "
                           "`backfill: True` to start it then, with the weeks already begun counted as posted.")
    if channel_id is None and plan.channel_id is None:
        raise InvalidInput("The plan has no channel for its weekly cards; give `channel:`.")
    async with db.transaction():
        await db.execute("UPDATE plans SET status = 'running', start_local = ?, timezone = ?, "
                         "channel_id = COALESCE(channel_id, ?), paused_at = NULL, updated_at = ? WHERE id = ?",
                         (schedule.format_anchor(anchor), zone, channel_id, to_db(now), plan.id))
        started = await _reload(db, plan)
        if backfill:
            await _mark_begun_as_posted(db, clock, started)
    return started


async def _mark_begun_as_posted(db: Database, clock: Clock, plan: Plan) -> None:
    """Backfill: the weeks that began before now get their posts recorded as skipped."""
    anchor = plan.anchor
    assert anchor is not None and plan.timezone is not None
    now = clock.now()
    current = schedule.current_unit(anchor, plan.timezone, plan.unit_days, plan.unit_count, now)
    keys = [event for event in posts.planned(plan, await items(db, plan.id), await units(db, plan.id))
            if event.unit_number < current and event.at <= now]
    await posts.skip_all(db, clock, plan, keys)


async def pause_plan(db: Database, clock: Clock, plan: Plan) -> Plan:
    if plan.status is not PlanStatus.RUNNING:
        raise InvalidInput(f"**{plan.title[:100]}** is {plan.status.value}; only a running plan can be paused.")
    await db.execute("UPDATE plans SET status = 'paused', paused_at = ?, updated_at = ? WHERE id = ?",
                     (to_db(clock.now()), to_db(clock.now()), plan.id))
    return await _reload(db, plan)


async def resume_plan(db: Database, clock: Clock, plan: Plan) -> Plan:
    """Run again; the remaining weeks move later by the whole days the plan was paused (the time of
    day stays), so the cohort loses no time."""
    if plan.status is not PlanStatus.PAUSED or plan.anchor is None or plan.paused_at is None:
        raise InvalidInput(f"**{plan.title[:100]}** is {plan.status.value}; only a paused plan can be resumed.")
    now = clock.now()
    shift = timedelta(days=round((now - plan.paused_at) / timedelta(days=1)))
    await db.execute("UPDATE plans SET status = 'running', paused_at = NULL, start_local = ?, updated_at = ? "
                     "WHERE id = ?", (schedule.format_anchor(plan.anchor + shift), to_db(now), plan.id))
    return await _reload(db, plan)


async def finish_plan(db: Database, clock: Clock, plan: Plan) -> Plan:
    if plan.status in (PlanStatus.DRAFT, PlanStatus.FINISHED):
        raise InvalidInput(f"**{plan.title[:100]}** is {plan.status.value}; only a running or paused plan "
                           "can be finished.")
    await db.execute("UPDATE plans SET status = 'finished', paused_at = NULL, updated_at = ? WHERE id = ?",
                     (to_db(clock.now()), plan.id))
    return await _reload(db, plan)


async def _reload(db: Database, plan: Plan) -> Plan:
    found = await get_plan_by_id(db, plan.id)
    if found is None:
        raise PlanNotFound(plan.slug)
    return found


# The schedule, for a plan that has one ---------------------------------------------------------
def zone_of(plan: Plan) -> ZoneInfo:
    return ZoneInfo(plan.timezone or "UTC")


def current_week(plan: Plan, now: datetime) -> int | None:
    """The running unit's number; None before the start, after the end, or without a schedule."""
    if plan.anchor is None or plan.timezone is None or plan.status is PlanStatus.DRAFT:
        return None
    number = schedule.current_unit(plan.anchor, plan.timezone, plan.unit_days, plan.unit_count, now)
    return number if 1 <= number <= plan.unit_count else None


def weeks_begun(plan: Plan, now: datetime) -> int:
    """How many units have begun by ``now`` (all of them once the plan ended)."""
    if plan.anchor is None or plan.timezone is None:
        return 0
    return min(schedule.current_unit(plan.anchor, plan.timezone, plan.unit_days, plan.unit_count, now),
               plan.unit_count)


def week_start(plan: Plan, number: int) -> datetime | None:
    if plan.anchor is None or plan.timezone is None:
        return None
    return schedule.unit_start(plan.anchor, plan.timezone, plan.unit_days, number)


def due_at(plan: Plan, item: Item) -> datetime | None:
    if plan.anchor is None or plan.timezone is None:
        return None
    return schedule.item_due(plan.anchor, plan.timezone, plan.unit_days, item.unit_number, item.due)
