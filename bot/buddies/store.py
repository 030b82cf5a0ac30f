"""Study buddies' settings and opt-ins: who takes part, with which topics and note, paused or skipping."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot import topics
from bot.buddies import cadence
from bot.buddies.cadence import Cadence
from bot.buddies.model import (
    COOLDOWN_ROUNDS,
    NOTE_MAX,
    PAUSE_WEEKS,
    BuddiesNotSetUp,
    BuddySettings,
    NotOptedIn,
    OptIn,
)
from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row
from bot.errors import AlreadyExists, InvalidInput
from bot.text import clean_text

TOPICS_MAX = 10


# Settings --------------------------------------------------------------------------------------
def _settings(row: Row) -> BuddySettings:
    return BuddySettings(row["guild_id"], row["channel_id"], row["cadence"], row["weekday"], row["hour"],
                         row["group_size"], row["cooldown_rounds"], datetime.fromisoformat(row["anchor_local"]),
                         row["threads_problem"], row["configured_by"], from_db(row["configured_at"]))


async def get_settings(db: Database, guild_id: int) -> BuddySettings | None:
    row = await db.fetchone("SELECT * FROM buddies_settings WHERE guild_id = ?", (guild_id,))
    return None if row is None else _settings(row)


async def require_settings(db: Database, guild_id: int) -> BuddySettings:
    found = await get_settings(db, guild_id)
    if found is None:
        raise BuddiesNotSetUp()
    return found


async def configured_guilds(db: Database) -> list[int]:
    return [row["guild_id"] for row in await db.fetchall("SELECT guild_id FROM buddies_settings")]


async def save_settings(db: Database, clock: Clock, *, guild_id: int, channel_id: int, cadence_name: Cadence,
                        weekday: int, hour: int, group_size: int, cooldown_rounds: int, zone: str,
                        configured_by: int) -> BuddySettings:
    """Store the settings; the first round is the next such weekday and hour in ``zone``.

    Changing only the channel, group size or cooldown keeps the schedule as it was (an every-other-
    week round does not move by a week because the channel changed).
    """
    if cadence_name not in cadence.CADENCES:
        raise InvalidInput(f"`cadence` must be one of: {', '.join(cadence.CADENCES)}.")
    if not 0 <= weekday <= 6:
        raise InvalidInput("`weekday` must be a day of the week, Monday to Sunday.")
    if not 0 <= hour <= 23:
        raise InvalidInput(f"`hour` must be between 0 and 23; you gave {hour}.")
    if group_size not in (2, 3):
        raise InvalidInput(f"`group_size` must be 2 (pairs) or 3 (trios); you gave {group_size}.")
    low, high = COOLDOWN_ROUNDS
    if not low <= cooldown_rounds <= high:
        raise InvalidInput(f"`cooldown_rounds` must be between {low} and {high}; you gave {cooldown_rounds}.")
    anchor = cadence.first_anchor(clock.now(), zone, cadence_name, weekday, hour)
    before = await get_settings(db, guild_id)
    if before is not None and (before.cadence, before.weekday, before.hour) == (cadence_name, weekday, hour):
        anchor = before.anchor  # same schedule (only the channel, size or cooldown changed): keep its rhythm
    await db.execute(
        "INSERT INTO buddies_settings (guild_id, channel_id, cadence, weekday, hour, group_size, cooldown_rounds, "
        "anchor_local, threads_problem, configured_by, configured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, cadence = excluded.cadence, "
        "weekday = excluded.weekday, hour = excluded.hour, group_size = excluded.group_size, "
        "cooldown_rounds = excluded.cooldown_rounds, anchor_local = excluded.anchor_local, threads_problem = NULL, "
        "configured_by = excluded.configured_by, configured_at = excluded.configured_at",
        (guild_id, channel_id, cadence_name, weekday, hour, group_size, cooldown_rounds,
         anchor.isoformat(timespec="minutes"), configured_by, to_db(clock.now())))
    return await require_settings(db, guild_id)


async def set_threads_problem(db: Database, guild_id: int, problem: str | None) -> None:
    """Remember why private threads could not be made (None: they worked), for ``/buddy show``."""
    await db.execute("UPDATE buddies_settings SET threads_problem = ? WHERE guild_id = ?", (problem, guild_id))


# Opt-ins ----------------------------------------------------------------------------------------
def _optin(row: Row, topic_ids: tuple[int, ...]) -> OptIn:
    return OptIn(row["guild_id"], row["user_id"], row["note"], from_db(row["joined_at"]),
                 from_db(row["paused_until"]) if row["paused_until"] else None, bool(row["skip_next"]),
                 row["rounds_taken"], topic_ids)


async def get_optin(db: Database, guild_id: int, user_id: int) -> OptIn | None:
    row = await db.fetchone("SELECT * FROM buddies_optins WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    if row is None:
        return None
    ids = await db.fetchall("SELECT topic_id FROM buddies_optin_topics WHERE guild_id = ? AND user_id = ? "
                            "ORDER BY topic_id", (guild_id, user_id))
    return _optin(row, tuple(r["topic_id"] for r in ids))


async def require_optin(db: Database, guild_id: int, user_id: int) -> OptIn:
    found = await get_optin(db, guild_id, user_id)
    if found is None:
        raise NotOptedIn()
    return found


async def all_optins(db: Database, guild_id: int) -> list[OptIn]:
    rows = await db.fetchall("SELECT * FROM buddies_optins WHERE guild_id = ? ORDER BY user_id", (guild_id,))
    topic_rows = await db.fetchall("SELECT user_id, topic_id FROM buddies_optin_topics WHERE guild_id = ? "
                                   "ORDER BY topic_id", (guild_id,))
    by_user: dict[int, list[int]] = {}
    for row in topic_rows:
        by_user.setdefault(row["user_id"], []).append(row["topic_id"])
    return [_optin(row, tuple(by_user.get(row["user_id"], ()))) for row in rows]


def check_note(note: str | None) -> str:
    """The note cleaned; over 200 characters is refused with its length."""
    return clean_text(note or "", "your note", NOTE_MAX, required=False)


async def parse_topics(db: Database, guild_id: int, text: str) -> list[topics.Topic]:
    """Topics typed as slugs or names, separated by commas (or spaces between slugs); unknown ones refused."""
    parts = [p for p in re.split(r"[,;\n]+", text) if p.strip()]
    if len(parts) == 1 and " " in parts[0].strip():
        # "mlops ml-in-browsers": slugs separated by spaces, unless it is one topic's name.
        try:
            return [await topics.get_topic(db, guild_id, parts[0])]
        except topics.TopicNotFound:
            parts = parts[0].split()
    found: dict[int, topics.Topic] = {}
    for part in parts:
        topic = await topics.get_topic(db, guild_id, part[:100])
        found[topic.id] = topic
    if len(found) > TOPICS_MAX:
        raise InvalidInput(f"Pick at most {TOPICS_MAX} topics; you gave {len(found)}.")
    return sorted(found.values(), key=lambda t: t.name.lower())


async def join(db: Database, clock: Clock, *, guild_id: int, user_id: int, topic_ids: list[int],
               note: str | None) -> OptIn:
    """Opt in; joining twice is refused (the member is told how to change their topics or note, or come back)."""
    cleaned = check_note(note)
    async with db.transaction():
        existing = await get_optin(db, guild_id, user_id)
        if existing is not None:
            back = ""
            if existing.paused_at(clock.now()) or existing.skip_next:
                back = " You are paused or skipping the next round; `/buddy resume` brings you back."
            raise AlreadyExists("You have already joined study buddies." + back + " `/buddy status` shows your "
                                "topics and note; `/buddy edit` changes them.")
        await db.execute("INSERT INTO buddies_optins (guild_id, user_id, note, joined_at) VALUES (?, ?, ?, ?)",
                         (guild_id, user_id, cleaned, to_db(clock.now())))
        await db.executemany("INSERT INTO buddies_optin_topics (guild_id, user_id, topic_id) VALUES (?, ?, ?)",
                             [(guild_id, user_id, topic_id) for topic_id in sorted(set(topic_ids))])
    return await require_optin(db, guild_id, user_id)


async def edit(db: Database, *, guild_id: int, user_id: int, topic_ids: list[int] | None,
               note: str | None) -> OptIn:
    """Change a member's topics and/or note (None: keep it; a note of ``-`` clears it)."""
    cleaned = None if note is None else ("" if note.strip() == "-" else check_note(note))
    async with db.transaction():
        if await db.fetchone("SELECT 1 FROM buddies_optins WHERE guild_id = ? AND user_id = ?",
                             (guild_id, user_id)) is None:
            raise NotOptedIn()
        if cleaned is not None:
            await db.execute("UPDATE buddies_optins SET note = ? WHERE guild_id = ? AND user_id = ?",
                             (cleaned, guild_id, user_id))
        if topic_ids is not None:
            await db.execute("DELETE FROM buddies_optin_topics WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
            await db.executemany("INSERT INTO buddies_optin_topics (guild_id, user_id, topic_id) VALUES (?, ?, ?)",
                                 [(guild_id, user_id, topic_id) for topic_id in sorted(set(topic_ids))])
    return await require_optin(db, guild_id, user_id)


async def leave(db: Database, *, guild_id: int, user_id: int) -> None:
    """Opt out (topics go with the opt-in); raises NotOptedIn when there was nothing to leave."""
    _, count = await db.execute("DELETE FROM buddies_optins WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    if not count:
        raise NotOptedIn()


def check_pause_weeks(weeks: int) -> int:
    low, high = PAUSE_WEEKS
    if not low <= weeks <= high:
        raise InvalidInput(f"Pause for {low} to {high} weeks; you gave {weeks}. "
                           "To stop for longer, `/buddy leave` (you can join again any time).")
    return weeks


async def pause(db: Database, clock: Clock, *, guild_id: int, user_id: int, weeks: int) -> OptIn:
    check_pause_weeks(weeks)
    until = clock.now() + timedelta(weeks=weeks)
    _, count = await db.execute("UPDATE buddies_optins SET paused_until = ? WHERE guild_id = ? AND user_id = ?",
                                (to_db(until), guild_id, user_id))
    if not count:
        raise NotOptedIn()
    return await require_optin(db, guild_id, user_id)


async def resume(db: Database, *, guild_id: int, user_id: int) -> None:
    """Back in the pool for the next round: the pause (and a skip) end now."""
    _, count = await db.execute("UPDATE buddies_optins SET paused_until = NULL, skip_next = 0 "
                                "WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    if not count:
        raise NotOptedIn()


async def skip_next(db: Database, *, guild_id: int, user_id: int, next_at: datetime) -> OptIn:
    """Sit out the next round (at ``next_at``); a member paused beyond it is told so and nothing changes."""
    optin = await require_optin(db, guild_id, user_id)
    if optin.paused_until is not None and optin.paused_until > next_at:
        raise InvalidInput(f"You are paused until <t:{int(optin.paused_until.timestamp())}:D> anyway, so you are not "
                           "in the next round. `/buddy resume` brings you back sooner.")
    await db.execute("UPDATE buddies_optins SET skip_next = 1 WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return await require_optin(db, guild_id, user_id)


async def pool(db: Database, clock: Clock, guild_id: int, present: set[int] | None) -> list[OptIn]:
    """The pool: opted in, in the guild (``present``; None: do not check), neither paused nor skipping."""
    now = clock.now()
    return [o for o in await all_optins(db, guild_id)
            if not o.skip_next and not o.paused_at(now) and (present is None or o.user_id in present)]


async def counts(db: Database, clock: Clock, guild_id: int) -> tuple[int, int]:
    """(opted in, of whom paused or skipping the next round)."""
    now = clock.now()
    everyone = await all_optins(db, guild_id)
    return len(everyone), sum(1 for o in everyone if o.skip_next or o.paused_at(now))


async def drop_member(db: Database, guild_id: int, user_id: int) -> bool:
    """A member left the server: out of the pool. Returns whether they had opted in."""
    _, count = await db.execute("DELETE FROM buddies_optins WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return bool(count)
