"""Which servers have a public page (and under which slug), and members' secret calendar links.

A calendar link's token is 32 random bytes (URL-safe base64); only its SHA-256 is stored, so the
database alone cannot be used to read anyone's calendar. Resetting replaces the hash, and the old
link then answers 404 like any unknown one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import AlreadyExists, InvalidInput

SLUG_MAX = 40
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"static", "c", "g", "api", "admin", "www"})
TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class WebGuild:
    guild_id: int
    slug: str
    enabled: bool


def slug_from_name(name: str) -> str:
    """``"Études ML — Paris!"`` → ``"etudes-ml-paris"``; a name with no usable letters gives ``"community"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug if len(slug) >= 2 else "community"


def check_slug(text: str) -> str:
    slug = text.strip().lower()
    if not _SLUG.match(slug):
        raise InvalidInput(f"`{slug[:SLUG_MAX]}` can't be a page address: use 1–{SLUG_MAX} lower-case letters, "
                           "digits and dashes, such as `ml-study-group`.")
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"`{slug}` is reserved; pick another page address.")
    return slug


async def get_web_guild(db: Database, guild_id: int) -> WebGuild | None:
    row = await db.fetchone("SELECT guild_id, slug, enabled FROM web_guilds WHERE guild_id = ?", (guild_id,))
    return None if row is None else WebGuild(row["guild_id"], row["slug"], bool(row["enabled"]))


async def find_enabled(db: Database, slug: str) -> WebGuild | None:
    """The server whose page lives at ``slug``, only if its page is on (off and unknown look the same)."""
    row = await db.fetchone("SELECT guild_id, slug, enabled FROM web_guilds WHERE slug = ? AND enabled = 1",
                            (slug.lower(),))
    return None if row is None else WebGuild(row["guild_id"], row["slug"], True)


async def enable(db: Database, clock: Clock, guild_id: int, *, slug: str | None, guild_name: str) -> WebGuild:
    """Turn the page on, under ``slug``, the slug it had, or one made from the server's name.

    A made-up slug that another server holds gets a number (``ml-club-2``); a chosen one that is
    taken is refused with a suggestion.
    """
    current = await get_web_guild(db, guild_id)
    if slug is not None:
        wanted = [check_slug(slug)]
    elif current is not None:
        wanted = [current.slug]
    else:
        base = slug_from_name(guild_name)
        if base in RESERVED_SLUGS:
            base = f"{base}-community"
        wanted = [base] + [f"{base[:SLUG_MAX - 4]}-{n}" for n in range(2, 50)]
    for candidate in wanted:
        try:
            await db.execute(
                "INSERT INTO web_guilds (guild_id, slug, enabled, updated_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET slug = excluded.slug, enabled = 1, "
                "updated_at = excluded.updated_at", (guild_id, candidate, to_db(clock.now())))
        except sqlite3.IntegrityError:
            continue
        return WebGuild(guild_id, candidate, True)
    raise AlreadyExists(f"The page address `{wanted[0]}` belongs to another server; choose another with "
                        "`/web enable slug:`.")


async def disable(db: Database, clock: Clock, guild_id: int) -> WebGuild | None:
    """Turn the page off (the slug stays this server's); None when it was never on."""
    await db.execute("UPDATE web_guilds SET enabled = 0, updated_at = ? WHERE guild_id = ?",
                     (to_db(clock.now()), guild_id))
    return await get_web_guild(db, guild_id)


# Personal calendar links ---------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


async def new_calendar_token(db: Database, clock: Clock, *, user_id: int, guild_id: int) -> str:
    """A fresh secret for the member's calendar link; any earlier link stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await db.execute(
        "INSERT INTO web_calendar_tokens (user_id, guild_id, token_hash, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET guild_id = excluded.guild_id, token_hash = excluded.token_hash, "
        "created_at = excluded.created_at", (user_id, guild_id, token_hash(token), to_db(clock.now())))
    return token


async def has_calendar_token(db: Database, user_id: int) -> bool:
    return await db.fetchval("SELECT 1 FROM web_calendar_tokens WHERE user_id = ?", (user_id,)) is not None


async def user_for_token(db: Database, token: str) -> int | None:
    """The member a calendar token belongs to, or None (malformed, reset or unknown)."""
    if not _TOKEN.match(token):
        return None
    value = await db.fetchval("SELECT user_id FROM web_calendar_tokens WHERE token_hash = ?", (token_hash(token),))
    return None if value is None else int(value)
