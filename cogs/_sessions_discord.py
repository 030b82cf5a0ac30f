"""Sessions talking to Discord: cards, reminders (by DM or in the channel), recaps, native events.

``SessionMessenger`` is the :class:`bot.sessions.jobs.Notifier` the scheduler's jobs call, and the
helper the commands use to keep cards and Discord scheduled events in step.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import discord

from bot import topics
from bot.claims import DeliveryFailed
from bot.core import CohortBot
from bot.sessions import attendance, members, rsvp, settings, store
from bot.sessions.model import Attendee, RsvpStatus, Session
from bot.sessions.timeparse import format_offset
from bot.ui.render import NO_PINGS, cut, safe, when
from bot.ui.sending import DMS_CLOSED, mention_chunks
from cogs._sessions_cards import NOTICE_TEXT_MAX, card_embed, card_view, recap_embed

log = logging.getLogger("bot.sessions")
EVENT_REASONS = {discord.EventStatus.active: "started", discord.EventStatus.completed: "ended",
                 discord.EventStatus.cancelled: "cancelled"}  # for the audit log


class SessionMessenger:
    """Posts and edits what sessions show on Discord."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    # Cards ------------------------------------------------------------------------------
    async def render(self, session: Session) -> tuple[discord.Embed, discord.ui.View]:
        counts = await rsvp.counts(self.bot.db, session.id)
        topic = await topics.get_topic_by_id(self.bot.db, session.guild_id, session.topic_id) \
            if session.topic_id else None
        now = self.bot.clock.now()
        going = await rsvp.members(self.bot.db, session.id, RsvpStatus.GOING)
        maybe = await rsvp.members(self.bot.db, session.id, RsvpStatus.MAYBE)
        embed = card_embed(session, counts, topic.name if topic else None, now=now, going=going, maybe=maybe)
        return embed, card_view(session, counts, disabled=session.cancelled or session.has_ended(now))

    def _channel(self, session: Session) -> discord.PartialMessageable:
        if session.channel_id is None:
            raise DeliveryFailed(f"session {session.id} has no channel")
        return self.bot.get_partial_messageable(session.channel_id, guild_id=session.guild_id,
                                                type=discord.ChannelType.text)

    async def post_card(self, session: Session) -> discord.Message:
        """Post the announcement card (pinging the topic role if asked) and remember where it is."""
        embed, view = await self.render(session)
        content, allowed = None, NO_PINGS
        if session.ping_role and session.topic_id:
            topic = await topics.get_topic_by_id(self.bot.db, session.guild_id, session.topic_id)
            if topic and topic.role_id:
                content = (f"<@&{topic.role_id}> New study session: **{safe(session.title, 200)}** "
                           f"{when(session.starts_at, 'R')}")
                allowed = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(topic.role_id)])
        message = await self._channel(session).send(content=content, embed=embed, view=view, allowed_mentions=allowed)
        await store.set_card(self.bot.db, session.id, message.channel.id, message.id)
        return message

    async def refresh_card(self, session: Session) -> None:
        """Show the card's current state (counts, edits, cancelled, ended); a missing card is not an error."""
        if session.message_id is None or session.channel_id is None:
            return
        embed, view = await self.render(session)
        try:
            await self._channel(session).get_partial_message(session.message_id).edit(
                embed=embed, view=view, allowed_mentions=NO_PINGS)
        except discord.NotFound:
            log.info("session %s: its card %s is gone; not updated", session.id, session.message_id)
        except discord.HTTPException as error:
            log.warning("session %s: could not update its card: %s", session.id, error)

    # Telling members ----------------------------------------------------------------------
    async def notify(self, session: Session, user_ids: list[int], text: str, *,
                     embed: discord.Embed | None = None, always_post: bool = False) -> None:
        """Tell members: by DM for those who asked for it, else (or if their DMs are closed) in the
        session's channel, pinging exactly them. ``always_post`` posts even when nobody is pinged."""
        text = cut(text, NOTICE_TEXT_MAX)
        in_channel = list(user_ids)
        for user_id in await members.dm_opted_in(self.bot.db, session.guild_id, user_ids):
            if await self._direct_message(session, user_id, text, embed):
                in_channel.remove(user_id)
        if not in_channel and not always_post:
            return
        channel = self._channel(session)
        try:
            for chunk in mention_chunks(in_channel) or [[]]:
                pings = " ".join(f"<@{user_id}>" for user_id in chunk)
                await channel.send(content=f"{text}\n{pings}".strip(), embeds=[embed] if embed else [],
                                   allowed_mentions=discord.AllowedMentions(
                                       everyone=False, roles=False, users=[discord.Object(u) for u in chunk]))
                embed = None  # once is enough when the pings need several messages
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post in channel {session.channel_id}: {error}") from error

    async def _direct_message(self, session: Session, user_id: int, text: str, embed: discord.Embed | None) -> bool:
        try:
            dm = await self.bot.create_dm(discord.Object(user_id))
            await dm.send(content=text, embeds=[embed] if embed else [], allowed_mentions=NO_PINGS)
        except discord.Forbidden as error:
            if error.code == DMS_CLOSED:
                log.info("session %s: member %s has closed DMs; telling them in the channel instead",
                         session.id, user_id)
            else:
                log.warning("session %s: DM to member %s refused (%s); telling them in the channel instead",
                            session.id, user_id, error)
            return False
        except discord.HTTPException as error:
            log.warning("session %s: DM to member %s failed (%s); telling them in the channel instead",
                        session.id, user_id, error)
            return False
        return True

    # The scheduler's deliveries (bot.sessions.jobs.Notifier) ----------------------------
    async def announce(self, session: Session) -> None:
        """A new occurrence of a series: post its card (and its Discord event)."""
        try:
            await self.post_card(session)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post the card: {error}") from error
        if session.native_event:
            await self.create_native_event(await store.get_session_by_id(self.bot.db, session.id))

    async def remind(self, session: Session, lead: timedelta, recipients: list[int]) -> None:
        where = f" in <#{session.voice_channel_id}>" if session.voice_channel_id else ""
        text = (f"⏰ Reminder: **{safe(session.title, 100)}** starts {when(session.starts_at, 'R')} "
                f"({when(session.starts_at, 'F')}){where}. (session #{session.id}, {format_offset(lead)} notice)")
        await self.notify(session, recipients, text, always_post=True)

    async def starting(self, session: Session, recipients: list[int]) -> None:
        where = f" Join <#{session.voice_channel_id}>." if session.voice_channel_id else ""
        text = f"▶️ **{safe(session.title, 100)}** is starting now!{where} (session #{session.id})"
        await self.notify(session, recipients, text, always_post=True)

    async def recap(self, session: Session, attendees: list[Attendee]) -> None:
        """After the session: the card shows it ended and a recap is posted (who attended with a voice
        channel; without one, who said they were going, as attendance is only taken in voice)."""
        await self.refresh_card(session)
        minimum = await settings.attendance_minutes(self.bot.db, session.guild_id)
        going = [] if session.voice_channel_id else await rsvp.members(self.bot.db, session.id, RsvpStatus.GOING)
        try:
            await self._channel(session).send(embed=recap_embed(session, attendees, minimum, going=going),
                                              allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post the recap: {error}") from error

    # Discord scheduled events -------------------------------------------------------------
    async def create_native_event(self, session: Session) -> str | None:
        """Create the session's Discord event; returns a problem to tell the organiser, or None."""
        guild = self.bot.get_guild(session.guild_id)
        if guild is None:
            return "I could not see the server to create its event."
        name, description = session.title[:100], session.description[:1000] or discord.utils.MISSING
        voice = self._voice_channel(guild, session)
        try:
            if voice is not None:
                event = await guild.create_scheduled_event(
                    name=name, description=description, start_time=session.starts_at, end_time=session.ends_at,
                    channel=voice, privacy_level=discord.PrivacyLevel.guild_only)
            else:
                event = await guild.create_scheduled_event(
                    name=name, description=description, start_time=session.starts_at, end_time=session.ends_at,
                    entity_type=discord.EntityType.external, location=self._location(guild, session),
                    privacy_level=discord.PrivacyLevel.guild_only)
        except discord.Forbidden:
            log.warning("session %s: no permission to create a scheduled event", session.id)
            return "I could not create the Discord event: I need the **Manage Events** permission."
        except discord.HTTPException as error:
            log.warning("session %s: creating its scheduled event failed: %s", session.id, error)
            return "Discord refused to create the event."
        await store.set_native_event(self.bot.db, session.id, event.id)
        return None

    async def update_native_event(self, session: Session) -> None:
        event = await self._native_event(session)
        if event is None or event.guild is None:
            return
        name, description = session.title[:100], session.description[:1000] or discord.utils.MISSING
        voice = self._voice_channel(event.guild, session)
        try:
            if voice is not None:
                await event.edit(name=name, description=description, start_time=session.starts_at,
                                 end_time=session.ends_at, channel=voice)
            else:
                await event.edit(name=name, description=description, start_time=session.starts_at,
                                 end_time=session.ends_at, entity_type=discord.EntityType.external,
                                 location=self._location(event.guild, session))
        except discord.NotFound:
            await self._forget_native_event(session)
        except discord.HTTPException as error:
            log.warning("session %s: updating its scheduled event failed: %s", session.id, error)

    # Discord only allows SCHEDULED → ACTIVE → COMPLETED and SCHEDULED → CANCELED, and moves events
    # by itself too (it starts and ends external events on time, ends a voice event a few minutes
    # after everyone left, cancels one never started): each step checks where the event is first.
    async def start_native_event(self, session: Session) -> None:
        """The session started: its event goes live, unless Discord (or someone) moved it already.
        A session already over is left to :meth:`end_native_event`, so nobody is told it is live."""
        if session.has_ended(self.bot.clock.now()):
            return
        event = await self._native_event(session)
        if event is not None and event.status is discord.EventStatus.scheduled:
            await self._move_event(session, event, discord.EventStatus.active)

    async def end_native_event(self, session: Session) -> None:
        """The session ended: its event completes. Still scheduled (its start was lost to a crash or
        downtime), it has to go live first: Discord completes only a live event."""
        event = await self._native_event(session)
        if event is not None and event.status is discord.EventStatus.scheduled:
            event = await self._move_event(session, event, discord.EventStatus.active)
        if event is not None and event.status is discord.EventStatus.active:
            await self._move_event(session, event, discord.EventStatus.completed)

    async def cancel_native_event(self, session: Session) -> None:
        """The session was cancelled (only ever before it started): its event is cancelled."""
        event = await self._native_event(session)
        if event is not None and event.status is discord.EventStatus.scheduled:
            await self._move_event(session, event, discord.EventStatus.cancelled)

    async def _move_event(self, session: Session, event: discord.ScheduledEvent,
                          status: discord.EventStatus) -> discord.ScheduledEvent | None:
        """Set the event's status; returns the updated event, or None if Discord refused (logged,
        never raised: the session goes on without its event)."""
        move = {discord.EventStatus.active: event.start, discord.EventStatus.completed: event.end,
                discord.EventStatus.cancelled: event.cancel}[status]
        try:
            return await move(reason=f"Study session #{session.id} {EVENT_REASONS[status]}")
        except discord.NotFound:
            await self._forget_native_event(session)
        except discord.HTTPException as error:
            log.warning("session %s: could not set its scheduled event %s to %s: %s", session.id, event.id,
                        status.name, error)
        return None

    async def _forget_native_event(self, session: Session) -> None:
        """The event was deleted in Discord (10070 Unknown Guild Scheduled Event): stop keeping it in step."""
        log.info("session %s: its scheduled event %s was deleted in Discord; forgetting it", session.id,
                 session.native_event_id)
        await store.set_native_event(self.bot.db, session.id, None)

    async def _native_event(self, session: Session) -> discord.ScheduledEvent | None:
        guild = self.bot.get_guild(session.guild_id)
        if guild is None or session.native_event_id is None:
            return None
        event = guild.get_scheduled_event(session.native_event_id)
        if event is not None:
            return event
        try:
            return await guild.fetch_scheduled_event(session.native_event_id)
        except discord.NotFound:
            await self._forget_native_event(session)
        except discord.HTTPException as error:
            log.warning("session %s: could not read its scheduled event %s: %s", session.id,
                        session.native_event_id, error)
        return None

    @staticmethod
    def _voice_channel(guild: discord.Guild, session: Session) -> discord.VoiceChannel | None:
        channel = guild.get_channel(session.voice_channel_id) if session.voice_channel_id else None
        return channel if isinstance(channel, discord.VoiceChannel) else None

    @staticmethod
    def _location(guild: discord.Guild, session: Session) -> str:
        """Where an event without a voice channel happens: the session's text channel."""
        channel = guild.get_channel(session.channel_id) if session.channel_id else None
        return f"#{channel.name}"[:100] if channel else guild.name[:100]

    # Reading attendance for display -------------------------------------------------------
    async def attendance_for(self, session: Session) -> tuple[list[Attendee], int, bool]:
        """Who attended: the recorded list once the recap ran, else counted live from voice."""
        minimum = await settings.attendance_minutes(self.bot.db, session.guild_id)
        recorded = await attendance.recorded_attendance(self.bot.db, session.id)
        if recorded:
            return recorded, minimum, True
        return await attendance.attendance(self.bot.db, self.bot.clock, session, minimum), minimum, False
