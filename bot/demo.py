"""A demo community to look at without Discord: topics, the starter library, a running study plan,
a few sessions with RSVPs, and the web page on at ``/g/demo``.

Used by ``make demo`` (against the local Discord stand-in) and by the web companion's tests. Only
domain functions and SQL: nothing here talks to Discord. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot import guild_config, topics
from bot.clock import Clock, to_db
from bot.db import Database
from bot.plans import progress
from bot.plans import store as plans_store
from bot.plans.files import EXAMPLES_DIR, read_example
from bot.plans.schedule import format_anchor
from bot.resources.starter import seed_starter_library
from bot.sessions import rsvp, store
from bot.sessions.model import RsvpStatus
from bot.sessions.recurrence import Repeat, localize, wall_time
from bot.web import store as web_store

DEMO_SLUG = "demo"
DEMO_ZONE = "Europe/Berlin"
EXAMPLE_PLAN = "ml-systems-design"  # data/plans/ml-systems-design.md, imported as /plan import would
# A small plan in the same shape, inserted directly, for a tree without the example file.
# (title, goals, items: (kind, title, url, minutes, due day))
DEMO_PLAN = (
    ("Framing ML problems", "Turn a product question into an ML task\nPick a metric that matters", (
        ("reading", "Rules of Machine Learning", "https://developers.google.com/machine-learning/guides/rules-of-ml",
         60, 2),
        ("video", "Stanford CS329S: ML systems design, lecture 1", "https://stanford-cs329s.github.io/", 80, 4),
        ("exercise", "Write a one-page problem framing for your project", None, 45, 6),
    )),
    ("Data pipelines", "Know where training data comes from\nVersion data like code", (
        ("reading", "Data validation for machine learning", "https://mlsys.org/Conferences/2019/doc/2019/167.pdf",
         50, 2),
        ("exercise", "Sketch your project's data pipeline", None, 60, 6),
    )),
    ("Serving and monitoring", "Choose batch or online inference\nDetect drift before users do", (
        ("reading", "Monitoring machine learning models in production",
         "https://christophergs.com/machine%20learning/2020/03/14/how-to-monitor-machine-learning-models/", 40, 2),
        ("project", "Deploy a model behind an API and log its inputs", None, 120, 6),
    )),
    ("Putting it together", "Present a system design end to end", (
        ("discussion", "Design review: swap write-ups with a partner", None, 60, 3),
        ("assignment", "Final design document", None, 180, 6),
    )),
)


async def seed_demo_community(db: Database, clock: Clock, guild_id: int, *, host_id: int,
                              member_ids: Sequence[int], channel_id: int, guild_name: str = "Demo community") -> str:
    """Fill ``guild_id`` with the demo community and turn its page on; returns the page's slug.

    ``channel_id`` is where the study plan's weekly cards would go.
    """
    now = clock.now()
    await topics.seed_topics(db, clock, guild_id)
    await seed_starter_library(db, clock, guild_id)
    await guild_config.set_setting(db, guild_id, "timezone", DEMO_ZONE)
    topic_ids = {t.slug: t.id for t in await topics.list_topics(db, guild_id)}
    first_topic = topic_ids.get("mlops", next(iter(topic_ids.values()), None))
    if not await db.fetchval("SELECT 1 FROM sessions WHERE guild_id = ?", (guild_id,)):
        await _demo_sessions(db, clock, guild_id, host_id, member_ids, list(topic_ids.values()), now)
    if not await db.fetchval("SELECT 1 FROM plans WHERE guild_id = ?", (guild_id,)):
        if (EXAMPLES_DIR / f"{EXAMPLE_PLAN}.md").is_file():
            await _example_plan(db, clock, guild_id, host_id, member_ids, first_topic, channel_id, now)
        else:
            await _demo_plan(db, guild_id, host_id, member_ids, first_topic, now)
    page = await web_store.enable(db, clock, guild_id, slug=DEMO_SLUG, guild_name=guild_name)
    return page.slug


async def _demo_sessions(db: Database, clock: Clock, guild_id: int, host_id: int, member_ids: Sequence[int],
                         topic_ids: list[int], now: datetime) -> None:
    day = wall_time(now, DEMO_ZONE).replace(hour=18, minute=0, second=0, microsecond=0)
    plans = [
        ("Paper club: Attention Is All You Need", 2, 90, Repeat.NONE, "Bring one question about the paper."),
        ("WebGPU inference study hour", 3, 60, Repeat.WEEKLY, "Quiet co-working; cameras optional."),
        ("MLOps office hours", 6, 60, Repeat.NONE, "Ask anything about deploying models."),
        ("Project demos", 10, 120, Repeat.NONE, "Five minutes each, then questions."),
    ]
    for index, (title, days, minutes, repeat, description) in enumerate(plans):
        starts = localize(day + timedelta(days=days), DEMO_ZONE)
        session = await store.schedule_session(
            db, clock, guild_id=guild_id, host_id=host_id,
            topic_id=topic_ids[index % len(topic_ids)] if topic_ids else None, title=title, starts_at=starts,
            duration=timedelta(minutes=minutes), zone=DEMO_ZONE, repeat=repeat, description=description,
            capacity=12 if index == 0 else None)
        for number, member_id in enumerate(member_ids):
            status = RsvpStatus.GOING if (number + index) % 3 else RsvpStatus.MAYBE
            await rsvp.answer(db, clock, session, member_id, status)


async def _example_plan(db: Database, clock: Clock, guild_id: int, host_id: int, member_ids: Sequence[int],
                        topic_id: int | None, channel_id: int, now: datetime) -> None:
    """The example plan file through the plans feature itself: imported, started nine days ago (so
    week 2 is running), joined by the members, week 1 mostly done (only totals are ever shown)."""
    created = await plans_store.create_plan(db, clock, guild_id=guild_id, doc=read_example(EXAMPLE_PLAN),
                                            created_by=host_id, topic_id=topic_id, channel_id=channel_id)
    start = wall_time(now - timedelta(days=9), DEMO_ZONE)
    plan = await plans_store.start_plan(db, clock, created.plan, start=f"{start:%Y-%m-%d} 09:00", zone=DEMO_ZONE,
                                        channel_id=channel_id, backfill=True)
    week_one = await plans_store.get_unit(db, plan, 1)
    first_items = [i for i in await plans_store.items(db, plan.id, unit_id=week_one.id) if i.required]
    for number, member_id in enumerate(member_ids):
        await progress.join(db, clock, plan, member_id)
        for item in first_items[: len(first_items) - number % 3]:
            await progress.mark(db, clock, plan, item, member_id, done=True)


async def _demo_plan(db: Database, guild_id: int, host_id: int, member_ids: Sequence[int], topic_id: int | None,
                     now: datetime) -> None:
    # Started nine days ago on a Monday-like 09:00, so week 2 is running.
    start = wall_time(now - timedelta(days=9), DEMO_ZONE).replace(hour=9, minute=0, second=0, microsecond=0)
    stamp = to_db(now)
    async with db.transaction():
        plan_id, _ = await db.execute(
            "INSERT INTO plans (guild_id, slug, title, description, topic_id, timezone, unit_days, status, "
            "start_local, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 7, 'running', ?, ?, ?, ?)",
            (guild_id, "ml-systems-design", "ML systems design",
             "Four weeks from framing a problem to a deployed, monitored model.", topic_id, DEMO_ZONE,
             format_anchor(start), host_id, stamp, stamp))
        item_ids: list[list[int]] = []
        for number, (title, goals, items) in enumerate(DEMO_PLAN, start=1):
            unit_id, _ = await db.execute(
                "INSERT INTO plans_units (guild_id, plan_id, number, title, goals) VALUES (?, ?, ?, ?, ?)",
                (guild_id, plan_id, number, title, goals))
            ids = []
            for position, (kind, item_title, url, minutes, due_day) in enumerate(items, start=1):
                item_id, _ = await db.execute(
                    "INSERT INTO plans_items (guild_id, plan_id, unit_id, position, kind, title, url, minutes, "
                    "due_day, due_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (guild_id, plan_id, unit_id, position, kind, item_title, url, minutes, due_day, 21 * 60))
                assert item_id is not None
                ids.append(item_id)
            item_ids.append(ids)
        for member_number, member_id in enumerate(member_ids):
            await db.execute("INSERT INTO plans_enrolments (guild_id, plan_id, user_id, joined_at) VALUES (?, ?, ?, ?)",
                             (guild_id, plan_id, member_id, stamp))
            # Week 1 mostly done, week 2 begun: progress differs by member, only totals are shown.
            done = item_ids[0][: len(item_ids[0]) - member_number % 2] + item_ids[1][: member_number % 2]
            for item_id in done:
                await db.execute("INSERT INTO plans_progress (guild_id, plan_id, item_id, user_id, done_at) "
                                 "VALUES (?, ?, ?, ?, ?)", (guild_id, plan_id, item_id, member_id, stamp))
