"""A member's choices across the guild's plans: deadline reminders by DM, and sharing their progress."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import Database


@dataclass(frozen=True)
class MemberSettings:
    remind_dm: bool = False
    share_progress: bool = False


async def get(db: Database, guild_id: int, user_id: int) -> MemberSettings:
    row = await db.fetchone("SELECT remind_dm, share_progress FROM plans_member_settings WHERE guild_id = ? "
                            "AND user_id = ?", (guild_id, user_id))
    return MemberSettings() if row is None else MemberSettings(bool(row[0]), bool(row[1]))


async def set_remind_dm(db: Database, guild_id: int, user_id: int, dm: bool) -> None:
    await db.execute("INSERT INTO plans_member_settings (guild_id, user_id, remind_dm) VALUES (?, ?, ?) "
                     "ON CONFLICT (guild_id, user_id) DO UPDATE SET remind_dm = excluded.remind_dm",
                     (guild_id, user_id, int(dm)))


async def set_share_progress(db: Database, guild_id: int, user_id: int, share: bool) -> None:
    await db.execute("INSERT INTO plans_member_settings (guild_id, user_id, share_progress) VALUES (?, ?, ?) "
                     "ON CONFLICT (guild_id, user_id) DO UPDATE SET share_progress = excluded.share_progress",
                     (guild_id, user_id, int(share)))
