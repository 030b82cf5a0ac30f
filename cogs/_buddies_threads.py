"""Study buddies' Discord side of a round: private threads (or DMs), check-backs and leaver notices.

A private helper of ``cogs/buddies.py``. Every post follows the domain's claim → send → record
protocol (``bot.buddies.posting``), so a restart at any point resumes without sending twice: a
thread is recorded as soon as Discord made it, a thread a crash left unrecorded is found again
by its name (which ends with the group's id), and each DM is claimed per member.

Members who left the server before their thread was made are not added, and the intro says so;
a member who cannot see the buddy channel is told by DM instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import discord

from bot.buddies import intro, posting, rounds, store
from bot.buddies.model import Group, Round
from bot.guild_config import get_config
from bot.ui.render import NO_PINGS, safe
from cogs._buddies_cards import (
    alone_text,
    checkback_pings,
    checkback_text,
    dm_text,
    intro_text,
    mentions,
    thread_name,
    thread_suffix,
)
from cogs._buddies_views import met_view

if TYPE_CHECKING:
    from bot.core import CohortBot

log = logging.getLogger("cogs.buddies")

AUTO_ARCHIVE_MINUTES: Literal[10080] = 10080  # 7 days
THREAD_PERMISSIONS = {"view_channel": "View Channel", "send_messages": "Send Messages",
                      "create_private_threads": "Create Private Threads",
                      "send_messages_in_threads": "Send Messages in Threads"}
CANNOT_SEE = "You cannot see the buddy channel, so I could not add you to your group's private thread"
NO_THREAD = "I could not open a private thread for your group this time"


def threads_problem(guild: discord.Guild, channel_id: int) -> str | None:
    """Why the bot cannot make private threads in the buddy channel (None: it can)."""
    channel = guild.get_channel(channel_id)
    if channel is None:
        return "the buddy channel no longer exists; choose another with `/buddy setup`."
    if not isinstance(channel, discord.TextChannel):
        return f"<#{channel_id}> is not a text channel, and private threads need one."
    if channel.is_news():
        return (f"<#{channel_id}> is an announcement channel, where Discord allows no private threads; choose a "
                "text channel with `/buddy setup`.")
    granted = channel.permissions_for(guild.me)
    missing = [name for attr, name in THREAD_PERMISSIONS.items() if not getattr(granted, attr)]
    if missing:
        return f"I am missing **{', '.join(missing)}** in <#{channel_id}>."
    return None


def names(guild: discord.Guild, group: Group) -> dict[int, str]:
    """The group's members' display names, for DMs (where a mention alone may show as an unknown user)."""
    return {u: m.display_name for u in group.user_ids if (m := guild.get_member(u)) is not None}


class BuddyPoster:
    """Creates the groups' threads, asks the check-back, tells groups about leavers."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    async def post_round(self, found: Round) -> str:
        """Create every missing thread of ``found`` (a restart calls it again); returns a summary."""
        guild = self.bot.get_guild(found.guild_id)
        settings = await store.get_settings(self.bot.db, found.guild_id)
        if guild is None or settings is None:
            return "the server or its settings are gone"
        problem = threads_problem(guild, settings.channel_id)
        made = dm = 0
        for group in posting.groups_to_post(found):
            if group.thread_status == "pending" and not await posting.claim_thread(self.bot.db, group.id):
                continue
            if len(group.members) == 1:
                await self._dm_once(guild, group, group.user_ids[0], "alone",
                                    alone_text(guild.name, await self._next_round(found.guild_id)))
                await posting.record_thread(self.bot.db, group.id, "alone")
                continue
            outcome = await self._post_group(guild, settings.channel_id, found, group, problem)
            if outcome == "dm" and problem is None:
                problem = "Discord refused to create a private thread there."
            made += outcome == "created"
            dm += outcome == "dm"
        await store.set_threads_problem(self.bot.db, found.guild_id, problem if dm else None)
        await posting.finish_posting(self.bot.db, found.id)
        summary = f"{made} private thread{'s' if made != 1 else ''} created"
        if dm:
            summary += f", {dm} group{'s' if dm != 1 else ''} told by DM ({(problem or '').rstrip('.')})"
        missed = await posting.unreached(self.bot.db, found.id)
        if missed:
            summary += (f"; my DM did not reach {mentions(missed)} (DMs closed, or gone), so they may not know "
                        "their buddies")
        return summary

    async def _post_group(self, guild: discord.Guild, channel_id: int, found: Round, group: Group,
                          problem: str | None) -> str:
        channel = guild.get_channel(channel_id)
        if problem is None and isinstance(channel, discord.TextChannel):
            try:
                thread = await self._thread_for(guild, channel, found, group)
                gone, unreachable = await self._add_members(guild, thread, group)
                about = await intro.intro_for(self.bot.db, self.bot.clock, group)
                if thread.last_message_id is None:
                    present = [u for u in group.user_ids if u not in gone]
                    await thread.send(intro_text(group, about, gone=gone), allowed_mentions=discord.AllowedMentions(
                        everyone=False, roles=False, users=[discord.Object(u) for u in present]))
                for user_id in unreachable:
                    await self._dm_once(guild, group, user_id, "intro",
                                        dm_text(guild.name, group, about, user_id, CANNOT_SEE, names(guild, group)))
                await posting.record_thread(self.bot.db, group.id, "created", thread.id)
                return "created"
            except discord.HTTPException as error:
                log.warning("buddy group %s: no private thread in %s: %s", group.id, channel_id, error)
                problem = f"Discord refused to create a private thread there ({error.status})."
        about = await intro.intro_for(self.bot.db, self.bot.clock, group)
        for user_id in group.user_ids:
            await self._dm_once(guild, group, user_id, "intro",
                                dm_text(guild.name, group, about, user_id, NO_THREAD, names(guild, group)))
        await posting.record_thread(self.bot.db, group.id, "dm")
        return "dm"

    async def _add_members(self, guild: discord.Guild, thread: discord.Thread,
                           group: Group) -> tuple[list[int], list[int]]:
        """Add the group to its thread; returns who has left the server and who cannot see the channel."""
        gone, unreachable = [], []
        for member in group.members:
            if member.left_at is not None or guild.get_member(member.user_id) is None:
                gone.append(member.user_id)
                continue
            try:
                await thread.add_user(discord.Object(member.user_id))
            except discord.NotFound:
                gone.append(member.user_id)
            except discord.Forbidden as error:
                log.info("buddy group %s: %s cannot be added to the thread: %s", group.id, member.user_id, error)
                unreachable.append(member.user_id)
        return gone, unreachable

    async def _next_round(self, guild_id: int) -> datetime | None:
        settings = await store.get_settings(self.bot.db, guild_id)
        if settings is None:
            return None
        zone = (await get_config(self.bot.db, guild_id)).timezone or "UTC"
        return await rounds.next_round_at(self.bot.db, settings, zone, self.bot.clock.now())

    async def _thread_for(self, guild: discord.Guild, channel: discord.TextChannel, found: Round,
                          group: Group) -> discord.Thread:
        """The group's thread: the one recorded or left behind by a crash, else a new one."""
        if group.thread_id is not None:
            existing = guild.get_thread(group.thread_id)
            if existing is not None:
                return existing
        if group.thread_status == "claimed":
            for thread in channel.threads:
                if (thread.name.endswith(thread_suffix(group)) and thread.owner_id == guild.me.id
                        and thread.type is discord.ChannelType.private_thread):
                    return thread
        thread = await channel.create_thread(name=thread_name(group, names(guild, group)),
                                             type=discord.ChannelType.private_thread, invitable=False,
                                             auto_archive_duration=AUTO_ARCHIVE_MINUTES,
                                             reason=f"Study buddies round {found.id}")
        await posting.record_thread_made(self.bot.db, group.id, thread.id)
        return thread

    async def _dm(self, guild: discord.Guild, user_id: int, text: str,
                  view: discord.ui.View | None = None) -> int | None:
        """Send a DM; returns its message id, or None when the member is gone or their DMs are closed."""
        member = guild.get_member(user_id)
        if member is None:
            return None
        try:
            if view is None:
                message = await member.send(text, allowed_mentions=NO_PINGS)
            else:
                message = await member.send(text, view=view, allowed_mentions=NO_PINGS)
            return message.id
        except discord.HTTPException as error:
            log.info("could not DM %s about study buddies: %s", user_id, error)
            return None

    async def _dm_once(self, guild: discord.Guild, group: Group, user_id: int, kind: str, text: str,
                       view: discord.ui.View | None = None) -> None:
        """A DM about ``group``, claimed first: never sent twice, even across a crash."""
        if not await posting.claim_dm(self.bot.db, self.bot.clock, group, user_id, kind):
            return
        await posting.record_dm(self.bot.db, group.id, user_id, kind, await self._dm(guild, user_id, text, view))

    # Check-back and leavers ------------------------------------------------------------------
    async def check_back(self, guild_id: int) -> int:
        """Ask every group whose round is halfway "Did you meet?", once: in its thread, or by DM."""
        asked = 0
        guild = self.bot.get_guild(guild_id)
        for group in await posting.due_checkbacks(self.bot.db, self.bot.clock, guild_id):
            if group.thread_status == "dm":
                if guild is not None:
                    for user_id in group.user_ids:
                        await self._dm_once(guild, group, user_id, "checkback", checkback_text(group, by_dm=True),
                                            met_view(group.id))
                    await posting.record_checkback(self.bot.db, group.id, None, by_dm=True)
                    asked += 1
                continue
            if not await posting.claim_checkback(self.bot.db, group.id):
                continue
            message_id = None
            thread = await self._thread(group.thread_id)
            if thread is not None:
                try:
                    pings = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                                    users=[discord.Object(u) for u in checkback_pings(group)])
                    message = await thread.send(checkback_text(group, by_dm=False), view=met_view(group.id),
                                                allowed_mentions=pings)
                    message_id = message.id
                    asked += 1
                except discord.HTTPException as error:
                    log.warning("buddy group %s: check-back not sent: %s", group.id, error)
            await posting.record_checkback(self.bot.db, group.id, message_id)
        await posting.finish_checkbacks(self.bot.db, self.bot.clock, guild_id)
        return asked

    async def _thread(self, thread_id: int | None) -> discord.Thread | None:
        if thread_id is None:
            return None
        channel = self.bot.get_channel(thread_id)
        if isinstance(channel, discord.Thread):
            return channel
        try:
            fetched = await self.bot.fetch_channel(thread_id)
        except discord.HTTPException:
            return None
        return fetched if isinstance(fetched, discord.Thread) else None

    async def tell_leaver(self, guild: discord.Guild | None, group: Group, user: discord.abc.User) -> None:
        text = (f"**{safe(user.display_name, 80)}** (<@{user.id}>) has left the server, so they will not be meeting "
                "you this round. You are welcome to meet without them.")
        thread = await self._thread(group.thread_id)
        if thread is not None:
            try:
                await thread.send(text, allowed_mentions=NO_PINGS)
            except discord.HTTPException as error:
                log.info("buddy group %s: leaver notice not sent: %s", group.id, error)
        elif guild is not None and group.thread_status == "dm":
            for other in group.user_ids:
                if other != user.id:
                    await self._dm(guild, other, text)
