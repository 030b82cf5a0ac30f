"""Topics: what a guild learns about. Every feature files its things under a topic."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock, to_db
from bot.db import Database, Row
from bot.errors import AlreadyExists, InvalidInput, NotFound
from bot.text import clean_text, counted

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "topics.json"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
NAME_MAX = 100
DESCRIPTION_MAX = 300


@dataclass(frozen=True)
class Topic:
    id: int
    guild_id: int
    slug: str
    name: str
    description: str
    channel_id: int | None
    role_id: int | None


class TopicNotFound(NotFound):
    """No topic with that slug in this guild."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"There is no topic `{slug[:40]}` here; `/topic list` shows the topics.")


class TopicInUse(InvalidInput):
    """The topic still has things filed under it."""

    def __init__(self, slug: str, usage: dict[str, int]) -> None:
        what = ", ".join(counted(count, noun.removesuffix("s"), noun) for noun, count in usage.items())
        them, they = ("it", "it is") if sum(usage.values()) == 1 else ("them", "they are")
        super().__init__(
            f"Topic `{slug}` still has {what}. Move {them} first, or remove it with `force: True` "
            f"({they} kept, without a topic)."
        )
        self.usage = usage


def _topic(row: Row) -> Topic:
    return Topic(row["id"], row["guild_id"], row["slug"], row["name"], row["description"],
                 row["channel_id"], row["role_id"])


def normalise_slug(text: str) -> str:
    """``"ML in Browsers"`` → ``"ml-in-browsers"``; what users type as a topic becomes a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")
    return slug[:40].strip("-")


def validate_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise InvalidInput(
            "A topic slug is 1–40 lower-case letters, digits and dashes, such as `ml-in-browsers`."
        )
    return slug



async def list_topics(db: Database, guild_id: int) -> list[Topic]:
    rows = await db.fetchall("SELECT * FROM topics WHERE guild_id = ? ORDER BY name COLLATE NOCASE",
                             (guild_id,))
    return [_topic(row) for row in rows]


async def get_topic(db: Database, guild_id: int, slug: str) -> Topic:
    """Find a topic by slug (or by its exact name, case-insensitive, as people sometimes type it)."""
    # A slug wins over another topic's name that happens to read the same.
    row = await db.fetchone(
        "SELECT * FROM topics WHERE guild_id = ? AND (slug = ? OR name = ? COLLATE NOCASE) "
        "ORDER BY slug = ? DESC, id LIMIT 1",
        (guild_id, slug.strip().lower(), slug.strip(), slug.strip().lower()),
    )
    if row is None:
        raise TopicNotFound(slug.strip())
    return _topic(row)


async def get_topic_by_id(db: Database, guild_id: int, topic_id: int) -> Topic | None:
    row = await db.fetchone("SELECT * FROM topics WHERE guild_id = ? AND id = ?", (guild_id, topic_id))
    return None if row is None else _topic(row)


async def search_topics(db: Database, guild_id: int, text: str, limit: int = 25) -> list[Topic]:
    """Topics whose slug or name contains ``text``, case-insensitive; prefix matches first."""
    needle = text.strip().lower()
    topics = await list_topics(db, guild_id)
    if not needle:
        return topics[:limit]
    starts = [t for t in topics if t.slug.startswith(needle) or t.name.lower().startswith(needle)]
    contains = [t for t in topics if t not in starts and (needle in t.slug or needle in t.name.lower())]
    return (starts + contains)[:limit]


async def add_topic(db: Database, clock: Clock, *, guild_id: int, slug: str, name: str,
                    description: str = "", channel_id: int | None = None,
                    role_id: int | None = None) -> Topic:
    slug = validate_slug(slug.strip().lower())
    name = clean_text(name, "the name", NAME_MAX, required=True)
    description = clean_text(description, "the description", DESCRIPTION_MAX, required=False)
    async with db.transaction():
        if await db.fetchone("SELECT 1 FROM topics WHERE guild_id = ? AND slug = ?", (guild_id, slug)):
            raise AlreadyExists(f"There is already a topic `{slug}`; use `/topic edit` to change it.")
        await db.execute(
            "INSERT INTO topics (guild_id, slug, name, description, channel_id, role_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, slug, name, description, channel_id, role_id, to_db(clock.now())),
        )
    return await get_topic(db, guild_id, slug)


_UNSET = object()


async def edit_topic(db: Database, *, guild_id: int, slug: str, name: str | None = None,
                     description: str | None = None, channel_id: int | object | None = _UNSET,
                     role_id: int | object | None = _UNSET) -> Topic:
    """Change the given fields; pass ``channel_id=None``/``role_id=None`` to clear them."""
    topic = await get_topic(db, guild_id, slug)
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = clean_text(name, "the name", NAME_MAX, required=True)
    if description is not None:
        changes["description"] = clean_text(description, "the description", DESCRIPTION_MAX, required=False)
    if channel_id is not _UNSET:
        changes["channel_id"] = channel_id
    if role_id is not _UNSET:
        changes["role_id"] = role_id
    if not changes:
        raise InvalidInput("Nothing to change: give at least one of name, description, channel or role.")
    assignments = ", ".join(f"{column} = ?" for column in changes)
    await db.execute(f"UPDATE topics SET {assignments} WHERE id = ?", (*changes.values(), topic.id))
    return await get_topic(db, guild_id, topic.slug)


# What users call the things that can be filed under a topic; other tables keep their name.
USAGE_NOUNS = {"resources": "resources", "sessions": "study sessions", "feeds": "feeds",
               "reviews_assignments": "assignments"}


async def topic_usage(db: Database, topic: Topic) -> dict[str, int]:
    """How many things are filed under this topic, by kind (``{"resources": 3}``)."""
    return (await usage_by_topic(db, topic.guild_id)).get(topic.id, {})


async def usage_by_topic(db: Database, guild_id: int) -> dict[int, dict[str, int]]:
    """For every topic of a guild that has things filed under it: how many, by kind.

    Tables are found from the foreign keys, so a new feature is counted without changes here.
    Only references that survive the topic (``ON DELETE SET NULL``) count as things filed under
    it; link rows that are deleted with it (``CASCADE``) are bookkeeping.
    """
    usage: dict[int, dict[str, int]] = {}
    for table, column in await _topic_references(db):
        rows = await db.fetchall(
            f"SELECT {column} AS topic_id, COUNT(*) AS n FROM {table} "
            f"WHERE guild_id = ? AND {column} IS NOT NULL GROUP BY {column}", (guild_id,))
        noun = USAGE_NOUNS.get(table, table.replace("_", " "))
        for row in rows:
            usage.setdefault(row["topic_id"], {})[noun] = int(row["n"])
    return usage


async def _topic_references(db: Database) -> list[tuple[str, str]]:
    tables = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    references = []
    for row in tables:
        for fk in await db.fetchall(f"PRAGMA foreign_key_list({row['name']})"):
            if fk["table"] == "topics" and fk["on_delete"] != "CASCADE":
                references.append((row["name"], fk["from"]))
    return references


async def remove_topic(db: Database, *, guild_id: int, slug: str, force: bool = False) -> Topic:
    """Delete a topic; refused while anything refers to it unless ``force``."""
    topic = await get_topic(db, guild_id, slug)
    async with db.transaction():
        usage = await topic_usage(db, topic)
        if usage and not force:
            raise TopicInUse(topic.slug, usage)
        await db.execute("DELETE FROM topics WHERE id = ?", (topic.id,))
    return topic


async def seed_topics(db: Database, clock: Clock, guild_id: int, seed_file: Path = SEED_FILE) -> int:
    """Add the starter topics a guild gets on first sight; returns how many were added."""
    seeds = json.loads(seed_file.read_text(encoding="utf-8"))
    now = to_db(clock.now())
    return await db.executemany(
        "INSERT OR IGNORE INTO topics (guild_id, slug, name, description, created_at) VALUES (?, ?, ?, ?, ?)",
        [(guild_id, s["slug"], s["name"], s["description"], now) for s in seeds],
    )
