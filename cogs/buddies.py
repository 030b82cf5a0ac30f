"""/buddy: study buddies. Members opt in; each round pairs them by topic and time zone in a private thread.

Jobs are derived from the database (``buddies:<guild>`` for the guild's next round or check-back,
``buddies:sweep`` for expired previews and the history purge) at load and after every change.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Literal

import discord
from apscheduler.jobstores.base import JobLookupError
from discord import app_commands
from discord.ext import commands

from bot import guild_config, topics
from bot.buddies import cadence, history, posting, rounds, store
from bot.buddies.model import BuddySettings, Round
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.text import counted
from bot.ui.checks import guild_member, require_manager_or_organiser
from bot.ui.render import CONTENT, NO_PINGS, cut, safe, when, when_both
from cogs._buddies_cards import checkback_text, mentions, preview_embed, show_embed, status_embed
from cogs._buddies_threads import BuddyPoster, threads_problem
from cogs._buddies_views import MetButton, RunButton, run_view

log = logging.getLogger("cogs.buddies")
SWEEP_JOB = "buddies:sweep"
SWEEP_MINUTES = 5
RETRY_AFTER = timedelta(minutes=5)
WEEKDAY_CHOICES = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_INDEX = {name.lower(): i for i, name in enumerate(cadence.WEEKDAYS)}
ANSWER_REPLIES = {"yes": "Great, thank you! Your meeting counts towards your participation.",
                  "not_yet": "Thanks; there is still time. I have noted “not yet”.",
                  "no": "Thanks for saying so; I have noted it. Maybe next round!"}


async def topics_of(bot: CohortBot, guild_id: int) -> list[topics.Topic]:
    return await topics.list_topics(bot.db, guild_id)


async def topics_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Completes the last of the comma-separated topics, keeping those typed before it."""
    if interaction.guild_id is None:
        return []
    bot: CohortBot = interaction.client  # type: ignore[assignment]
    before, _, last = current.rpartition(",")
    kept = [part.strip() for part in before.split(",") if part.strip()]
    found = await topics.search_topics(bot.db, interaction.guild_id, last[:100])
    choices = []
    for topic in found:
        if topic.slug in kept:
            continue
        value = ", ".join([*kept, topic.slug])
        if len(value) <= 100:
            choices.append(app_commands.Choice(name=cut(", ".join([*kept, topic.name]), 100), value=value))
    return choices[:25]


@app_commands.guild_only()
class Buddies(commands.GroupCog, group_name="buddy"):
    """Study buddies: rounds of pairs who meet, matched by topic and time zone."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.poster = BuddyPoster(bot)
        self._guild_locks: dict[int, asyncio.Lock] = {}
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RunButton, MetButton)
        self.bot.scheduler.add_job(self.sweep, "interval", minutes=SWEEP_MINUTES, id=SWEEP_JOB, replace_existing=True,
                                   coalesce=True, max_instances=1, next_run_time=datetime.now(UTC))
        for guild_id in await store.configured_guilds(self.bot.db):
            await self.arm(guild_id)

    async def cog_unload(self) -> None:
        for job in self.bot.scheduler.get_jobs():
            if job.id.startswith("buddies:"):
                job.remove()
        self.bot.remove_dynamic_items(RunButton, MetButton)

    # Jobs -------------------------------------------------------------------------------------
    async def arm(self, guild_id: int, *, resume: bool = True) -> None:
        """(Re)arm the guild's job for its next due thing, derived from the database.

        A round still creating threads is due at once. With ``resume`` False (the last attempt failed,
        or the guild is not available) nothing is due sooner than ``RETRY_AFTER``, so a failure is
        retried calmly instead of in a loop.
        """
        settings = await store.get_settings(self.bot.db, guild_id)
        job_id = f"buddies:{guild_id}"
        if settings is None:
            try:
                self.bot.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
            return
        now = self.bot.clock.now()
        due = await rounds.next_round_at(self.bot.db, settings, await self.zone(guild_id), now)
        checkback = await posting.next_checkback(self.bot.db, guild_id)
        if checkback is not None:
            due = min(due, checkback)
        if await posting.rounds_posting(self.bot.db, guild_id):
            due = now
        if not resume:
            due = max(due, now + RETRY_AFTER)
        # The domain reads the injected clock, the scheduler real time: fire after the clock's delay.
        run_at = datetime.now(UTC) + max(due - now, timedelta(0))
        self.bot.scheduler.add_job(self.tick, "date", run_date=run_at, args=[guild_id], id=job_id,
                                   replace_existing=True, misfire_grace_time=None)

    async def tick(self, guild_id: int) -> None:
        """The guild's job: run a due scheduled round, finish posting, ask check-backs, then re-arm."""
        await self.bot.wait_until_ready()
        await self.bot.guilds_seeded.wait()
        done = False
        try:
            async with self._guild_locks.setdefault(guild_id, asyncio.Lock()):
                guild = self.bot.get_guild(guild_id)
                settings = await store.get_settings(self.bot.db, guild_id)
                if guild is not None and settings is not None:
                    await rounds.run_scheduled(self.bot.db, self.bot.clock, settings, present=self.present(guild))
                    for found in await posting.rounds_posting(self.bot.db, guild_id):
                        log.info("buddy round %s: %s", found.id, await self.poster.post_round(found))
                    await self.poster.check_back(guild_id)
                    done = True
        except Exception:
            log.exception("study buddies job failed in guild %s", guild_id)
        finally:
            await self.arm(guild_id, resume=done)

    async def sweep(self) -> None:
        """Periodic: expire previews (and grey out their buttons), purge history beyond the cooldown."""
        for expired in await rounds.expire_proposals(self.bot.db, self.bot.clock):
            await self.redraw(expired)
        removed = await history.purge(self.bot.db, self.bot.clock)
        if removed:
            log.info("purged %d study-buddy rounds beyond the cooldown or 26 weeks", removed)

    # Helpers ------------------------------------------------------------------------------------
    async def zone(self, guild_id: int) -> str:
        return (await guild_config.get_config(self.bot.db, guild_id)).timezone or "UTC"

    async def next_round(self, guild_id: int) -> datetime | None:
        """When the guild's next scheduled round runs (None: not set up)."""
        settings = await store.get_settings(self.bot.db, guild_id)
        if settings is None:
            return None
        return await rounds.next_round_at(self.bot.db, settings, await self.zone(guild_id), self.bot.clock.now())

    @staticmethod
    def present(guild: discord.Guild) -> set[int]:
        return {m.id for m in guild.members if not m.bot}

    async def organiser(self, interaction: discord.Interaction) -> discord.Member:
        member = guild_member(interaction)
        config = await guild_config.get_config(self.bot.db, member.guild.id)
        return require_manager_or_organiser(interaction, config.organizer_role_id)

    async def redraw(self, found: Round, result: str | None = None) -> None:
        if found.message_channel_id is None or found.message_id is None:
            return
        settings = await store.get_settings(self.bot.db, found.guild_id)
        channel = self.bot.get_channel(found.message_channel_id)
        if settings is None or not isinstance(channel, discord.abc.Messageable):
            return
        try:
            await channel.get_partial_message(found.message_id).edit(  # type: ignore[attr-defined]
                embed=preview_embed(found, settings, result=result), view=None, allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.warning("could not update buddy round preview %s: %s", found.id, error)

    # Members ------------------------------------------------------------------------------------
    @app_commands.command(name="join")
    @app_commands.autocomplete(topics=topics_autocomplete)
    @app_commands.describe(topics="Topics to be matched on, separated by commas (default: your topic roles)",
                           note="A line for your buddies, e.g. 'evenings CET, want to pair on MLOps' (≤ 200)")
    async def join(self, interaction: discord.Interaction, topics: str | None = None, note: str | None = None) -> None:
        """Join study buddies: get paired each round with someone who shares your topics."""
        member = guild_member(interaction)
        await store.require_settings(self.bot.db, member.guild.id)
        store.check_note(note)
        if topics and topics.strip():
            chosen = await store.parse_topics(self.bot.db, member.guild.id, topics)
        else:
            role_ids = {role.id for role in member.roles}
            chosen = [t for t in await topics_of(self.bot, member.guild.id) if t.role_id in role_ids]
        joined = await store.join(self.bot.db, self.bot.clock, guild_id=member.guild.id, user_id=member.id,
                                  topic_ids=[t.id for t in chosen], note=note)
        next_at = await self.next_round(member.guild.id)
        names = ", ".join(t.name for t in chosen)
        topic_line = (f"Topics: **{safe(names, 1000)}**." if chosen else
                      "No topics yet (you have no topic roles): you are matched on time zone alone; "
                      "`/buddy edit topics:` adds some.")
        note_line = f"\nYour note: “{safe(joined.note, 250)}”" if joined.note else ""
        next_line = f"\nThe next round is {when_both(next_at)}; " if next_at else "\n"
        await interaction.response.send_message(
            f"You joined study buddies. {topic_line}{note_line}{next_line}"
            "`/buddy skip` sits one out, `/buddy pause` takes a break.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="edit")
    @app_commands.autocomplete(topics=topics_autocomplete)
    @app_commands.describe(topics="Your new topics, separated by commas (replaces the old ones)",
                           note="Your new note for your buddies (≤ 200); '-' removes it")
    async def edit(self, interaction: discord.Interaction, topics: str | None = None, note: str | None = None) -> None:
        """Change the topics or the note you are matched with."""
        member = guild_member(interaction)
        if topics is None and note is None:
            raise InvalidInput("Give `topics:`, `note:` or both; `/buddy status` shows what you have now.")
        chosen = None
        if topics is not None:
            chosen = await store.parse_topics(self.bot.db, member.guild.id, topics) if topics.strip() else []
        edited = await store.edit(self.bot.db, guild_id=member.guild.id, user_id=member.id,
                                  topic_ids=None if chosen is None else [t.id for t in chosen], note=note)
        names = {t.id: t.name for t in await topics_of(self.bot, member.guild.id)}
        topic_names = ", ".join(names[i] for i in edited.topic_ids if i in names) or "none"
        note_text = f"“{safe(edited.note, 250)}”" if edited.note else "none"
        await interaction.response.send_message(
            f"Saved. Topics: **{safe(topic_names, 1000)}**. Note: {note_text}. They count from the next round.",
            ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="leave")
    async def leave(self, interaction: discord.Interaction) -> None:
        """Leave study buddies; your topics and note are deleted."""
        member = guild_member(interaction)
        await store.leave(self.bot.db, guild_id=member.guild.id, user_id=member.id)
        await interaction.response.send_message(
            "You left study buddies; your topics and note are deleted. A thread you are in stays yours. "
            "Join again any time with `/buddy join`.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="pause")
    @app_commands.describe(weeks="How many weeks to sit out: 1 to 12")
    async def pause(self, interaction: discord.Interaction, weeks: int) -> None:
        """Take a break from study buddies for 1 to 12 weeks."""
        member = guild_member(interaction)
        paused = await store.pause(self.bot.db, self.bot.clock, guild_id=member.guild.id, user_id=member.id,
                                   weeks=weeks)
        assert paused.paused_until is not None
        await interaction.response.send_message(
            f"Paused for {counted(weeks, 'week')}: you are back in the pool on {when(paused.paused_until, 'D')}. "
            "`/buddy resume` brings you back sooner.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="resume")
    async def resume(self, interaction: discord.Interaction) -> None:
        """End a pause or a skip: back in the pool for the next round."""
        member = guild_member(interaction)
        await store.resume(self.bot.db, guild_id=member.guild.id, user_id=member.id)
        next_at = await self.next_round(member.guild.id)
        when_next = f", on {when_both(next_at)}" if next_at else ""
        await interaction.response.send_message(f"Welcome back: you are in the pool for the next round{when_next}.",
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="skip")
    async def skip(self, interaction: discord.Interaction) -> None:
        """Sit out the next round only."""
        member = guild_member(interaction)
        settings = await store.require_settings(self.bot.db, member.guild.id)
        next_at = await rounds.next_round_at(self.bot.db, settings, await self.zone(member.guild.id),
                                             self.bot.clock.now())
        await store.skip_next(self.bot.db, guild_id=member.guild.id, user_id=member.id,
                              next_at=next_at)
        await interaction.response.send_message(
            f"You will sit out the next round, on {when_both(next_at)}, and be back for the one after. "
            "`/buddy resume` undoes it.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Whether you are in, the next round, your current buddies and your rounds so far."""
        member = guild_member(interaction)
        found = await history.member_status(self.bot.db, self.bot.clock, member.guild.id, member.id)
        next_at = await self.next_round(member.guild.id)
        names = {t.id: t.name for t in await topics_of(self.bot, member.guild.id)}
        topic_names = [names[i] for i in found.topic_ids if i in names]
        await interaction.response.send_message(embed=status_embed(member.id, found, topic_names, next_at),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    # Organisers ---------------------------------------------------------------------------------
    @app_commands.command(name="setup")
    @app_commands.describe(channel="Where each group's private thread is created",
                           cadence="How often rounds run (default weekly)",
                           weekday="The day rounds start (default Monday)",
                           hour="The hour rounds start, in the server's timezone, 0-23 (default 9)",
                           group_size="2: pairs, 3: trios (default 2)",
                           cooldown_rounds="Rounds before two people may be paired again (default 4)")
    async def setup(self, interaction: discord.Interaction, channel: discord.TextChannel,
                    cadence: Literal["weekly", "biweekly", "monthly"] = "weekly",
                    weekday: WEEKDAY_CHOICES = "monday", hour: int = 9, group_size: Literal[2, 3] = 2,
                    cooldown_rounds: int = 4) -> None:
        """Set up study buddies: channel, cadence and group size (organisers)."""
        member = await self.organiser(interaction)
        zone = await self.zone(member.guild.id)
        settings = await store.save_settings(self.bot.db, self.bot.clock, guild_id=member.guild.id,
                                             channel_id=channel.id, cadence_name=cadence,
                                             weekday=WEEKDAY_INDEX[weekday], hour=hour, group_size=group_size,
                                             cooldown_rounds=cooldown_rounds, zone=zone, configured_by=member.id)
        await self.arm(member.guild.id)
        await interaction.response.send_message(embed=await self.show_card(member.guild, settings),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Study buddies' settings, who is in, recent meet rates and warnings (organisers)."""
        member = await self.organiser(interaction)
        settings = await store.require_settings(self.bot.db, member.guild.id)
        await interaction.response.send_message(embed=await self.show_card(member.guild, settings),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def show_card(self, guild: discord.Guild, settings: BuddySettings) -> discord.Embed:
        zone = await self.zone(guild.id)
        opted_in, sitting_out = await store.counts(self.bot.db, self.bot.clock, guild.id)
        warnings = []
        problem = threads_problem(guild, settings.channel_id) or settings.threads_problem
        if problem:
            warnings.append(f"I cannot create private threads: {problem} Groups are told by DM instead.")
        if opted_in - sitting_out < 2:
            warnings.append("Fewer than two members are in the next round's pool: members sign up with `/buddy join` "
                            "(paused ones come back with `/buddy resume`).")
        next_at = await rounds.next_round_at(self.bot.db, settings, zone, self.bot.clock.now())
        return show_embed(settings, zone, next_at, opted_in,
                          sitting_out, await history.meet_rates(self.bot.db, guild.id), warnings)

    @app_commands.command(name="run")
    async def run(self, interaction: discord.Interaction) -> None:
        """Preview a round now, then confirm it (organisers)."""
        member = await self.organiser(interaction)
        settings = await store.require_settings(self.bot.db, member.guild.id)
        # Refused before the (public) deferral, so that the refusal stays the organiser's alone.
        await rounds.require_pool(self.bot.db, self.bot.clock, member.guild.id, self.present(member.guild))
        await interaction.response.defer(thinking=True)  # a large pool takes a moment to match
        proposal = await rounds.propose(self.bot.db, self.bot.clock, settings, invoker_id=member.id,
                                        present=self.present(member.guild))
        _, sitting_out = await store.counts(self.bot.db, self.bot.clock, member.guild.id)
        embed = preview_embed(proposal, settings, threads_problem=threads_problem(member.guild, settings.channel_id),
                              sitting_out=sitting_out)
        message = await interaction.followup.send(embed=embed, view=run_view(proposal.id), allowed_mentions=NO_PINGS,
                                                  wait=True)
        await rounds.set_preview_message(self.bot.db, proposal.id, message.channel.id, message.id)

    async def run_pressed(self, interaction: discord.Interaction, action: str, round_id: int) -> None:
        db, clock = self.bot.db, self.bot.clock
        if action == "cancel":
            cancelled = await rounds.cancel(db, clock, round_id, user_id=interaction.user.id)
            settings = await store.require_settings(db, cancelled.guild_id)
            await interaction.response.edit_message(embed=preview_embed(cancelled, settings), view=None,
                                                    allowed_mentions=NO_PINGS)
            return
        guild = interaction.guild
        try:
            confirmed = await rounds.confirm(db, clock, round_id, user_id=interaction.user.id,
                                             present=self.present(guild) if guild is not None else None)
        except InvalidInput:
            await self.redraw(await rounds.get_round(db, round_id))
            raise
        started = confirmed.round
        settings = await store.require_settings(db, started.guild_id)
        dropped = ""
        if confirmed.dropped:
            dropped = (f"Dropped since the preview (left the server or study buddies, paused or skipping): "
                       f"{mentions(confirmed.dropped)}. The groups they were in were re-formed without them.")
        await interaction.response.edit_message(embed=preview_embed(started, settings, result=dropped or None),
                                                view=None, allowed_mentions=NO_PINGS)
        async with self._guild_locks.setdefault(started.guild_id, asyncio.Lock()):
            summary = await self.poster.post_round(await rounds.get_round(db, started.id))
        result = f"{summary}.\n{dropped}" if dropped else f"{summary}."
        await self.redraw(await rounds.get_round(db, started.id), result=result)
        await self.arm(started.guild_id)
        await interaction.followup.send(cut(f"Round #{started.id} is running: {result}", CONTENT), ephemeral=True,
                                        allowed_mentions=NO_PINGS)

    # Check-back and leavers ----------------------------------------------------------------------
    async def met_pressed(self, interaction: discord.Interaction, group_id: int, answer: str) -> None:
        answered = await posting.answer(self.bot.db, self.bot.clock, group_id, user_id=interaction.user.id,
                                        reply=answer)
        if answered.first_yes:
            self.bot.participation.record(answered.group.guild_id, interaction.user.id, buddy_meetings=1)
        await interaction.response.send_message(ANSWER_REPLIES[answer], ephemeral=True, allowed_mentions=NO_PINGS)
        if interaction.message is not None:
            # The question shows the group's answers so far, so each member sees where the others stand.
            by_dm = interaction.guild_id is None
            try:
                await interaction.message.edit(content=checkback_text(answered.group, by_dm=by_dm, answers=True),
                                               allowed_mentions=NO_PINGS)
            except discord.HTTPException as error:
                log.info("buddy group %s: check-back not updated: %s", group_id, error)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        if payload.user.bot:
            return
        groups = await posting.member_left(self.bot.db, self.bot.clock, payload.guild_id, payload.user.id)
        for group in groups:
            await self.poster.tell_leaver(self.bot.get_guild(payload.guild_id), group, payload.user)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Buddies(bot))
