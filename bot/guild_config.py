"""Per-guild settings that every feature shares: channels, organiser role, timezone.

Settings are stored as keys so that each feature can keep its own (``sessions.reminder_offsets``)
without touching this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.db import Database
from bot.errors import InvalidInput

CHANNEL_KINDS = ("announcements", "mod_log")


@dataclass(frozen=True)
class GuildConfig:
    """The shared settings of one guild; ``None`` means not set."""

    guild_id: int
    announcements_channel_id: int | None = None
    mod_log_channel_id: int | None = None
    organizer_role_id: int | None = None
    timezone: str = "UTC"


async def get_setting(db: Database, guild_id: int, key: str) -> str | None:
    return await db.fetchval(
        "SELECT value FROM guild_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
    )


async def set_setting(db: Database, guild_id: int, key: str, value: str | None) -> None:
    """Store a setting; ``None`` removes it."""
    if value is None:
        await db.execute("DELETE FROM guild_settings WHERE guild_id = ? AND key = ?", (guild_id, key))
    else:
        await db.execute(
            "INSERT INTO guild_settings (guild_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value",
            (guild_id, key, value),
        )


async def all_settings(db: Database, guild_id: int) -> dict[str, str]:
    rows = await db.fetchall(
        "SELECT key, value FROM guild_settings WHERE guild_id = ? ORDER BY key", (guild_id,)
    )
    return {row["key"]: row["value"] for row in rows}


async def get_config(db: Database, guild_id: int) -> GuildConfig:
    values = await all_settings(db, guild_id)

    def snowflake(key: str) -> int | None:
        return int(values[key]) if key in values else None

    return GuildConfig(
        guild_id=guild_id,
        announcements_channel_id=snowflake("channel.announcements"),
        mod_log_channel_id=snowflake("channel.mod_log"),
        organizer_role_id=snowflake("organizer_role"),
        timezone=values.get("timezone", "UTC"),
    )


async def set_channel(db: Database, guild_id: int, kind: str, channel_id: int | None) -> None:
    if kind not in CHANNEL_KINDS:
        raise InvalidInput(f"There is no channel kind `{kind}`; use one of: {', '.join(CHANNEL_KINDS)}.")
    await set_setting(db, guild_id, f"channel.{kind}", None if channel_id is None else str(channel_id))


async def set_organizer_role(db: Database, guild_id: int, role_id: int | None) -> None:
    await set_setting(db, guild_id, "organizer_role", None if role_id is None else str(role_id))


async def set_timezone(db: Database, guild_id: int, name: str) -> str:
    zone = parse_timezone(name)
    await set_setting(db, guild_id, "timezone", zone)
    return zone


def parse_timezone(name: str) -> str:
    """Return the canonical IANA name for ``name`` or raise :class:`InvalidInput`."""
    cleaned = name.strip().replace(" ", "_")
    if not cleaned or "\x00" in cleaned or len(cleaned) > 64:
        raise InvalidInput("That is not a timezone; pick an IANA name such as `Europe/Berlin`.")
    by_lower = {zone.lower(): zone for zone in timezone_names()}
    canonical = by_lower.get(cleaned.lower())
    if canonical is None:
        raise InvalidInput(
            f"`{cleaned[:64]}` is not a timezone I know; pick an IANA name such as `Europe/Berlin` "
            "(the option suggests names as you type)."
        )
    try:
        ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"`{canonical}` cannot be loaded on this server.") from exc
    return canonical


@cache
def timezone_names() -> tuple[str, ...]:
    """All IANA timezone names, sorted (read once; the list never changes while running)."""
    return tuple(sorted(available_timezones()))


def suggest_timezones(text: str, limit: int = 25) -> list[str]:
    """Timezones for an autocomplete: prefix matches on any path part first, then substrings."""
    needle = text.strip().lower().replace(" ", "_")
    if not needle:
        preferred = ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
                     "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"]
        return preferred[:limit]
    prefix, inside = [], []
    for zone in timezone_names():
        lowered = zone.lower()
        if any(part.startswith(needle) for part in lowered.split("/")) or lowered.startswith(needle):
            prefix.append(zone)
        elif needle in lowered:
            inside.append(zone)
    return (prefix + inside)[:limit]
