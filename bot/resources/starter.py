"""The curated starter library a guild gets on first sight: well-known resources for the seeded topics."""

from __future__ import annotations

import json
from pathlib import Path

from bot.clock import Clock, to_db
from bot.db import Database
from bot.resources.library import CHECK_EVERY, ResourceDraft, draft_resource
from bot.resources.model import join_tags
from bot.resources.urls import host_of, title_from_url

STARTER_FILE = Path(__file__).resolve().parents[2] / "data" / "resources.json"


def load_starter_library(path: Path = STARTER_FILE) -> dict[str, list[ResourceDraft]]:
    """Topic slug → validated drafts; a bad entry fails loudly (it is our data, not a user's)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {slug: [draft_resource(**entry) for entry in entries] for slug, entries in raw.items()}


async def seed_starter_library(db: Database, clock: Clock, guild_id: int, path: Path = STARTER_FILE) -> int:
    """Add the curated resources for the guild's topics that exist; idempotent (links already there are
    left alone, even if removed since). Returns how many were added."""
    library = load_starter_library(path)
    topic_ids = {row["slug"]: row["id"] for row in await db.fetchall(
        "SELECT slug, id FROM topics WHERE guild_id = ?", (guild_id,))}
    now = clock.now()
    rows = [
        (guild_id, draft.url, host_of(draft.url), draft.title or title_from_url(draft.url), draft.note,
         draft.level, draft.kind, join_tags(draft.tags), topic_ids[slug], to_db(now), to_db(now + CHECK_EVERY))
        for slug, drafts in library.items() if slug in topic_ids for draft in reversed(drafts)
    ]  # reversed: lists show the newest first, so each topic then reads in the file's order
    async with db.transaction():
        before = int(await db.fetchval("SELECT COUNT(*) FROM resources WHERE guild_id = ?", (guild_id,)))
        await db.executemany(
            "INSERT OR IGNORE INTO resources (guild_id, url, host, title, note, level, kind, tags, topic_id, "
            "author_id, curated, created_at, next_check_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, ?)",
            rows)
        after = int(await db.fetchval("SELECT COUNT(*) FROM resources WHERE guild_id = ?", (guild_id,)))
    return after - before
