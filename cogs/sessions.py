"""/session: schedule study sessions, answer them, get reminded, take attendance, export calendars.

The cog declares the commands and events and keeps the jobs in step; its helpers hold the rest:
``_sessions_rsvp`` (answers and notices), ``_sessions_lists`` (list pages, autocomplete),
``_sessions_discord`` (cards, reminders, native events) and ``_sessions_cards`` (embeds, buttons).
The rules live in ``bot.sessions``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config, topics
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.sessions import attendance, ics, members, rsvp, store
from bot.sessions.jobs import SessionJobs
from bot.sessions.model import RsvpStatus, Session
from bot.sessions.recurrence import Repeat
from bot.sessions.timeparse import format_duration, parse_duration, parse_until, parse_when
from bot.text import counted
from bot.ui.autocomplete import timezone_autocomplete, topic_autocomplete
from bot.ui.checks import guild_member, require_organiser
from bot.ui.paging import page_view
from bot.ui.render import NO_PINGS, safe, when_both
from bot.ui.render import when as timestamp
from cogs._sessions_cards import RsvpButton, attendance_embed, people
from cogs._sessions_discord import SessionMessenger
from cogs._sessions_lists import SessionLists, session_autocomplete
from cogs._sessions_rsvp import SessionAnswers

log = logging.getLogger("bot.sessions")
DEFAULT_DURATION = "60m"
# Test-only: seconds to wait between claiming a delivery and sending it, so the crash test can
# SIGKILL the process exactly there. Never set in production.
PAUSE_AFTER_CLAIM_ENV = "COHORT_TEST_PAUSE_AFTER_CLAIM"


@app_commands.guild_only()
class Sessions(commands.GroupCog, group_name="session"):
    """Study sessions: schedule, answer, remind, attend."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.messenger = SessionMessenger(bot)
        self.jobs = SessionJobs(bot.db, bot.clock, bot.scheduler, self.messenger, bot.participation,
                                pause_after_claim=float(os.environ.get(PAUSE_AFTER_CLAIM_ENV) or 0))
        self.answers = SessionAnswers(bot, self.messenger)
        self.lists = SessionLists(bot)
        self.jobs_ready = asyncio.Event()  # set once the jobs were built from the database at start
        self._jobs_started = False
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RsvpButton)
        self.bot.pagers["sessions"] = self.lists.render_page

    async def cog_unload(self) -> None:
        for job in self.bot.scheduler.get_jobs():
            if job.id.startswith("session:"):
                job.remove()

    # Start-up and events ---------------------------------------------------------------
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in self.bot.guilds:
            present = {}
            for channel in (*guild.voice_channels, *guild.stage_channels):
                for user_id in channel.voice_states:
                    member = guild.get_member(user_id)
                    if member is None or not member.bot:
                        present[user_id] = channel.id
            await attendance.reconcile_voice(self.bot.db, self.bot.clock, guild.id, present)
        if not self._jobs_started:  # on_ready comes again after a reconnect; jobs are built once
            self._jobs_started = True
            count = await self.jobs.start()
            self.jobs_ready.set()
            log.info("session jobs built for %d sessions", count)

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        if member.bot or before.channel == after.channel:
            return
        if after.channel is None:
            await attendance.voice_left(self.bot.db, self.bot.clock, member.guild.id, member.id)
        else:
            await attendance.voice_joined(self.bot.db, self.bot.clock, member.guild.id, member.id, after.channel.id)

    @commands.Cog.listener()
    async def on_sessions_settings_changed(self, guild_id: int) -> None:
        """Reminder offsets changed (``/config reminders``): re-plan upcoming sessions and their jobs."""
        for session_id in await store.replan_reminders(self.bot.db, self.bot.clock, guild_id):
            await self.jobs.sync(session_id)

    # Commands -----------------------------------------------------------------------------
    @app_commands.command(name="schedule")
    @app_commands.autocomplete(topic=topic_autocomplete, timezone=timezone_autocomplete)
    @app_commands.describe(
        topic="The topic the session is about", title="What the session is called",
        when="When it starts: 2026-12-03 18:00, tomorrow 6pm, next tuesday 18:30, in 2 hours",
        duration="How long: 90m, 1h30m, 2h (default 60m)", repeat="Repeat the session",
        until="Last date of a repeating session", timezone="Timezone of `when` (default: yours, else the server's)",
        capacity="Places available (default: no limit)", voice_channel="Where the session happens",
        description="What the session covers", native_event="Also create a Discord event",
        ping="Ping the topic's role with the announcement")
    async def schedule(self, interaction: discord.Interaction, topic: str, title: str, when: str,
                       duration: str | None = None,
                       repeat: Literal["none", "weekly", "biweekly", "monthly"] = "none",
                       until: str | None = None, timezone: str | None = None,
                       capacity: app_commands.Range[int, 1, store.CAPACITY_MAX] | None = None,
                       voice_channel: discord.VoiceChannel | None = None, description: str | None = None,
                       native_event: bool = False, ping: bool = False) -> None:
        """Schedule a study session for a topic (organisers)."""
        member = guild_member(interaction)
        config = await guild_config.get_config(self.bot.db, member.guild.id)
        require_organiser(interaction, config.organizer_role_id)
        found_topic = await topics.get_topic(self.bot.db, member.guild.id, topic)
        zone = await members.resolve_timezone(self.bot.db, member.guild.id, member.id, timezone)
        now = self.bot.clock.now()
        starts_at = parse_when(when, zone, now)
        length = parse_duration(duration or DEFAULT_DURATION)
        repeats = Repeat(repeat)
        ends = parse_until(until, zone, now, starts_at) if until else None
        channel_id = found_topic.channel_id or config.announcements_channel_id or interaction.channel_id
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = await store.schedule_session(
            self.bot.db, self.bot.clock, guild_id=member.guild.id, host_id=member.id, topic_id=found_topic.id,
            title=title, starts_at=starts_at, duration=length, zone=zone, repeat=repeats, until=ends,
            capacity=capacity, voice_channel_id=voice_channel.id if voice_channel else None, channel_id=channel_id,
            description=description or "", ping_role=ping, native_event=native_event)
        try:
            card = await self.messenger.post_card(session)
        except discord.HTTPException:
            await store.delete_session(self.bot.db, session.id)
            raise InvalidInput(f"I could not post the announcement in <#{channel_id}>; check that I may send "
                               "messages and embeds there, or set another channel with `/topic edit`.") from None
        problem = await self.messenger.create_native_event(session) if native_event else None
        await self.jobs.sync(session.id)
        lines = [f"Scheduled **{safe(session.title, 100)}** (#{session.id}) for {when_both(session.starts_at)}, "
                 f"{format_duration(session.duration)} (times read as {zone}).", f"Card: {card.jump_url}"]
        if repeats is not Repeat.NONE:
            lines.append(f"Repeats {repeats.value}" + (f" until {timestamp(ends, 'D')}." if ends else "."))
        if native_event:
            lines.append(problem or "A Discord event was created too.")
        await interaction.followup.send("\n".join(lines), ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="list")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="Only this topic's sessions", mine="Only sessions you host or answered")
    async def list_(self, interaction: discord.Interaction, topic: str | None = None, mine: bool = False) -> None:
        """List upcoming study sessions."""
        member = guild_member(interaction)
        slug = (await topics.get_topic(self.bot.db, member.guild.id, topic)).slug if topic else ""
        state = f"{slug}.{int(mine)}"
        page = await self.lists.render_page(interaction, state, 0)
        await interaction.response.send_message(embed=page.embed, view=page_view("sessions", state, page),
                                                ephemeral=mine, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show")
    @app_commands.rename(session_id="id")
    @app_commands.autocomplete(session_id=session_autocomplete)
    @app_commands.describe(session_id="The session's number")
    async def show(self, interaction: discord.Interaction, session_id: int) -> None:
        """Show a session with who is coming."""
        member = guild_member(interaction)
        session = await store.get_session(self.bot.db, member.guild.id, session_id)
        embed, _ = await self.messenger.render(session)  # the card already lists who is going or might come
        waiting = await rsvp.members(self.bot.db, session.id, RsvpStatus.WAITLIST)
        if waiting:
            embed.add_field(name=f"Waitlist ({len(waiting)})", value=people(waiting), inline=False)
        if session.message_id and session.channel_id:
            embed.add_field(name="Card", value=f"https://discord.com/channels/{session.guild_id}/{session.channel_id}/"
                                               f"{session.message_id}", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="rsvp")
    @app_commands.rename(session_id="id")
    @app_commands.autocomplete(session_id=session_autocomplete)
    @app_commands.describe(session_id="The session's number", status="Your answer")
    async def rsvp_(self, interaction: discord.Interaction, session_id: int,
                    status: Literal["going", "maybe", "no"]) -> None:
        """Answer a session: going, maybe or no."""
        await self.answers.answer(interaction, session_id, RsvpStatus(status))

    async def answer_from_button(self, interaction: discord.Interaction, session_id: int, answer: str) -> None:
        """A Going/Maybe/Can't button on a card (``_sessions_cards.RsvpButton`` calls this), or the waitlist offer."""
        await self.answers.answer_from_button(interaction, session_id, answer)

    @app_commands.command(name="edit")
    @app_commands.rename(session_id="id")
    @app_commands.autocomplete(session_id=session_autocomplete)
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @app_commands.describe(session_id="The session's number", title="New title", when="New start time",
                           duration="New length, e.g. 90m", capacity="New number of places",
                           voice_channel="New voice channel", description="New description",
                           timezone="Timezone of `when` (default: the session's)",
                           clear_capacity="Remove the limit on places", clear_voice_channel="Remove the voice channel")
    async def edit(self, interaction: discord.Interaction, session_id: int, title: str | None = None,
                   when: str | None = None, duration: str | None = None,
                   capacity: app_commands.Range[int, 1, store.CAPACITY_MAX] | None = None,
                   voice_channel: discord.VoiceChannel | None = None, description: str | None = None,
                   timezone: str | None = None, clear_capacity: bool = False,
                   clear_voice_channel: bool = False) -> None:
        """Change a session; members going are told what changed (host or organisers)."""
        member = guild_member(interaction)
        session = await store.get_session(self.bot.db, member.guild.id, session_id)
        await self._require_manager(interaction, session)
        zone = guild_config.parse_timezone(timezone) if timezone else session.timezone
        result = await store.edit_session(
            self.bot.db, self.bot.clock, session, title=title,
            starts_at=parse_when(when, zone, self.bot.clock.now()) if when else None,
            duration=parse_duration(duration) if duration else None, capacity=capacity,
            clear_capacity=clear_capacity, voice_channel_id=voice_channel.id if voice_channel else None,
            clear_voice_channel=clear_voice_channel, description=description)
        await interaction.response.defer(ephemeral=True, thinking=True)
        updated = result.session
        await self.messenger.refresh_card(updated)
        if updated.native_event_id:
            await self.messenger.update_native_event(updated)
        await self.jobs.sync(updated.id)
        summary = "\n".join(f"• {c.label}: {safe(c.before, 200) + ' → ' if c.before else ''}{safe(c.after, 200)}"
                            for c in result.changes)
        going = await rsvp.members(self.bot.db, updated.id, RsvpStatus.GOING)
        going = [user_id for user_id in going if user_id not in result.promoted]
        told = await self.answers.tell(updated, going, f"✏️ **{safe(updated.title, 100)}** (session #{updated.id}) "
                                                f"changed:\n{summary}")
        await self.answers.tell_promoted(updated, result.promoted)
        outcome = (f"{counted(len(going), 'member')} going {'was' if len(going) == 1 else 'were'} told." if told else
                   f"I could not post the notice in <#{updated.channel_id}>, so members were not told.")
        await interaction.followup.send(f"Updated session #{updated.id}:\n{summary}\n{outcome}", ephemeral=True,
                                        allowed_mentions=NO_PINGS)

    @app_commands.command(name="cancel")
    @app_commands.rename(session_id="id")
    @app_commands.autocomplete(session_id=session_autocomplete)
    @app_commands.describe(session_id="The session's number", reason="Why (members are told)",
                           series="Cancel every remaining session of the series")
    async def cancel(self, interaction: discord.Interaction, session_id: int, reason: str | None = None,
                     series: bool = False) -> None:
        """Cancel a session or its whole series; members who answered are told (host or organisers)."""
        member = guild_member(interaction)
        session = await store.get_session(self.bot.db, member.guild.id, session_id)
        await self._require_manager(interaction, session)
        cancelled = await store.cancel_session(self.bot.db, self.bot.clock, session, reason=reason, series=series)
        await interaction.response.defer(ephemeral=True, thinking=True)
        told = 0
        for occurrence in cancelled:
            why = f" Reason: {safe(occurrence.cancel_reason, 300)}" if occurrence.cancel_reason else ""
            await self.messenger.refresh_card(occurrence)
            if occurrence.native_event_id:
                await self.messenger.cancel_native_event(occurrence)
            await self.jobs.sync(occurrence.id)
            answered = await rsvp.members(self.bot.db, occurrence.id, RsvpStatus.GOING, RsvpStatus.MAYBE)
            if await self.answers.tell(occurrence, answered, f"❌ **{safe(occurrence.title, 100)}** "
                                                      f"({timestamp(occurrence.starts_at, 'F')}, session "
                                                      f"#{occurrence.id}) is cancelled.{why}"):
                told += len(answered)
        if session.series_id is not None:  # cancelling one occurrence may have created the next
            for later in await store.series_occurrences(self.bot.db, session.series_id):
                if later.message_id is None and not later.cancelled:
                    await self.jobs.sync(later.id)
        what = f"{counted(len(cancelled), 'session')} of the series" if series else f"session #{session.id}"
        was = "was" if told == 1 else "were"
        await interaction.followup.send(f"Cancelled {what}; {counted(told, 'member')} who answered {was} told.",
                                        ephemeral=True, allowed_mentions=NO_PINGS)

    async def _require_manager(self, interaction: discord.Interaction, session: Session) -> None:
        """The host, or an organiser, may change a session."""
        if interaction.user.id != session.host_id:
            config = await guild_config.get_config(self.bot.db, session.guild_id)
            require_organiser(interaction, config.organizer_role_id)

    @app_commands.command(name="calendar")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="Only this topic's sessions")
    async def calendar(self, interaction: discord.Interaction, topic: str | None = None) -> None:
        """Download upcoming sessions as a calendar file (.ics)."""
        member = guild_member(interaction)
        found_topic = await topics.get_topic(self.bot.db, member.guild.id, topic) if topic else None
        sessions = await store.calendar_sessions(self.bot.db, self.bot.clock, member.guild.id,
                                                 topic_id=found_topic.id if found_topic else None)
        anchors = await store.series_anchors(self.bot.db, sessions)
        names = {t.id: t.name for t in await topics.list_topics(self.bot.db, member.guild.id)}
        name = f"{member.guild.name} study sessions" + (f" · {found_topic.name}" if found_topic else "")
        data = await asyncio.to_thread(ics.build_calendar, sessions, anchors, now=self.bot.clock.now(), name=name,
                                       topic_names=names)  # big calendars: off the event loop
        filename = f"sessions-{found_topic.slug}.ics" if found_topic else "sessions.ics"
        live = sum(1 for s in sessions if not s.cancelled)
        if not live:
            raise InvalidInput("There are no upcoming sessions to put in a calendar yet; organisers add them "
                               "with `/session schedule`.")
        await interaction.response.send_message(
            f"{counted(live, 'upcoming session')}. Import the file into your calendar app.",
            file=discord.File(io.BytesIO(data), filename=filename), ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="attendance")
    @app_commands.rename(session_id="id")
    @app_commands.autocomplete(session_id=session_autocomplete)
    @app_commands.describe(session_id="The session's number")
    async def attendance_(self, interaction: discord.Interaction, session_id: int) -> None:
        """Show who attended a session, and for how long."""
        member = guild_member(interaction)
        session = await store.get_session(self.bot.db, member.guild.id, session_id)
        if not session.has_started(self.bot.clock.now()):
            raise InvalidInput(f"Session #{session.id} has not started yet; attendance is taken during it.")
        found, minimum, final = await self.messenger.attendance_for(session)
        await interaction.response.send_message(embed=attendance_embed(session, found, minimum, final=final),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="remind")
    @app_commands.describe(dm="True: reminders come by DM; False: in the session's channel")
    async def remind(self, interaction: discord.Interaction, dm: bool) -> None:
        """Choose whether session reminders reach you by DM."""
        member = guild_member(interaction)
        await members.set_remind_dm(self.bot.db, member.guild.id, member.id, dm)
        text = ("Reminders now come to you by DM (if your DMs are closed, they are posted in the channel)."
                if dm else "Reminders now ping you in the session's channel.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Sessions(bot))
