"""/plan: study plans the cohort works through week by week: import, start, mark done, check in, board."""

from __future__ import annotations

import asyncio
import io
import logging
import os

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config, topics
from bot.core import CohortBot
from bot.errors import InvalidInput, NotAllowed
from bot.plans import checkins, pictures, posts, progress, settings, store
from bot.plans.jobs import JOB_PREFIX, PlanJobs, Where
from bot.plans.model import PlanStatus, ProgressCard
from bot.plans.store import Item, Plan
from bot.text import counted
from bot.ui.autocomplete import timezone_autocomplete, topic_autocomplete
from bot.ui.checks import guild_member, require_manager_or_organiser
from bot.ui.render import COLOUR, CONTENT, EMBED_DESCRIPTION, NO_PINGS, cut, safe
from cogs._plans_cards import checkin_embed, lines_within, overview_embed, plan_line, started_text, week_embed
from cogs._plans_discord import PlanMessenger
from cogs._plans_files import PlanFiles
from cogs._plans_views import (
    CheckinButton,
    CheckinModal,
    DoneSelect,
    JoinButton,
    example_autocomplete,
    item_autocomplete,
    join_view,
    plan_autocomplete,
    reachable_items,
)

log = logging.getLogger("bot.plans")
# Test-only, shared with sessions: seconds between claiming a post and sending it, so the crash test
# can SIGKILL the process exactly there. Never set in production.
PAUSE_AFTER_CLAIM_ENV = "COHORT_TEST_PAUSE_AFTER_CLAIM"


@app_commands.guild_only()
class Plans(commands.GroupCog, group_name="plan"):
    """Study plans: a syllabus the cohort works through together, week by week."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.messenger = PlanMessenger(bot)
        self.files = PlanFiles(bot, self.messenger, self._changed)
        self.jobs = PlanJobs(bot.db, bot.clock, bot.scheduler, self.messenger, before_run=self._wait_for_guild,
                             pause_after_claim=float(os.environ.get(PAUSE_AFTER_CLAIM_ENV) or 0))
        self.jobs_ready = asyncio.Event()
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DoneSelect, CheckinButton, JoinButton)
        count = await self.jobs.start()
        self.jobs_ready.set()
        log.info("plan jobs built for %d running plans", count)

    async def cog_unload(self) -> None:
        for job in self.bot.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                job.remove()

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Someone who left the server is no longer reminded or counted in its plans' cohorts."""
        if not payload.user.bot:
            await progress.left_server(self.bot.db, self.bot.clock, payload.guild_id, payload.user.id)

    async def _wait_for_guild(self, guild_id: int) -> None:
        """Nothing is posted for a guild before it is seeded. With per-guild seeding (``bot.seeding``,
        issue 9) ``ensure_guild`` waits for that guild; without it, for every guild at start."""
        if getattr(self.bot, "seeding", None) is not None:
            await self.bot.ensure_guild(guild_id)
        else:
            await self.bot.guilds_seeded.wait()

    async def _changed(self, plan: Plan) -> None:
        """After every change: re-derive the plan's job and tell listeners (peer review)."""
        await self.jobs.sync(plan.id)
        self.bot.dispatch("plan_changed", plan.guild_id, plan.id)

    async def _organiser(self, interaction: discord.Interaction) -> discord.Member:
        """Manage Server or the organiser role (issue 10's organisers), checked now."""
        config = await guild_config.get_config(self.bot.db, guild_member(interaction).guild.id)
        return require_manager_or_organiser(interaction, config.organizer_role_id)

    async def _is_organiser(self, interaction: discord.Interaction) -> bool:
        try:
            await self._organiser(interaction)
        except NotAllowed:
            return False
        return True

    async def _plan(self, interaction: discord.Interaction, slug: str) -> Plan:
        return await store.get_plan(self.bot.db, guild_member(interaction).guild.id, slug)

    # Everyone ---------------------------------------------------------------------------------
    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """List the server's study plans."""
        member = guild_member(interaction)
        found = await store.list_plans(self.bot.db, member.guild.id)
        embed = discord.Embed(title="Study plans", colour=COLOUR)
        if not found:
            embed.description = "No plans yet. Organisers add one with `/plan import`."
        else:
            now = self.bot.clock.now()
            lines = []
            for plan in found:
                name, value = plan_line(plan, await progress.cohort_size(self.bot.db, plan.id), now)
                lines.append(f"**{name}**\n{value}")
            embed.description = lines_within(lines, EMBED_DESCRIPTION, "plans (type in `/plan show` to find them)")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan", week="One week of it (default: the whole plan)")
    async def show(self, interaction: discord.Interaction, plan: str, week: app_commands.Range[int, 1, 52] | None = None
                   ) -> None:
        """Show a plan, or one week of it with your progress."""
        found = await self._plan(interaction, plan)
        if week is None:
            topic = await topics.get_topic_by_id(self.bot.db, found.guild_id, found.topic_id) \
                if found.topic_id else None
            embed = overview_embed(found, await store.units(self.bot.db, found.id),
                                   await store.items(self.bot.db, found.id),
                                   await progress.cohort_size(self.bot.db, found.id), self.bot.clock.now(),
                                   topic.name if topic else None)
        else:
            unit = await store.get_unit(self.bot.db, found, week)
            done = set(await progress.done_items(self.bot.db, found.id, interaction.user.id))
            embed = week_embed(found, unit, await store.items(self.bot.db, found.id, unit_id=unit.id), done=done)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="join")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan to take part in")
    async def join(self, interaction: discord.Interaction, plan: str) -> None:
        """Join a plan: track your progress and check in each week."""
        await self._join(interaction, await self._plan(interaction, plan))

    async def join_from_button(self, interaction: discord.Interaction, plan_id: int) -> None:
        found = await store.get_plan_by_id(self.bot.db, plan_id)
        if found is None or found.guild_id != interaction.guild_id:
            raise InvalidInput("That plan no longer exists; `/plan list` shows the plans.")
        await self._join(interaction, found)

    async def _join(self, interaction: discord.Interaction, plan: Plan) -> None:
        member = guild_member(interaction)
        new = await progress.join(self.bot.db, self.bot.clock, plan, member.id)
        text = (f"You joined **{safe(plan.title, 200)}**. Mark what you finish with `/plan done` or the menu on "
                "each week's card, and check in each week with `/plan checkin`." if new
                else f"You are already in **{safe(plan.title, 200)}**.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="leave")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan to leave (your progress is kept if you come back)")
    async def leave(self, interaction: discord.Interaction, plan: str) -> None:
        """Leave a plan; your progress stays until you use /privacy forget."""
        found = await self._plan(interaction, plan)
        await progress.leave(self.bot.db, self.bot.clock, found, interaction.user.id)
        await interaction.response.send_message(
            f"You left **{safe(found.title, 200)}**. Your progress is kept if you join again.", ephemeral=True,
            allowed_mentions=NO_PINGS)

    @app_commands.command(name="done")
    @app_commands.autocomplete(item=item_autocomplete)
    @app_commands.describe(item="The item you finished")
    async def done(self, interaction: discord.Interaction, item: str) -> None:
        """Mark an item of your plan as done."""
        found = await self._item(interaction, item)
        await self._mark(interaction, found, [found], done=True)

    @app_commands.command(name="undo")
    @app_commands.autocomplete(item=item_autocomplete)
    @app_commands.describe(item="The item to mark as not done")
    async def undo(self, interaction: discord.Interaction, item: str) -> None:
        """Mark an item as not done after all."""
        found = await self._item(interaction, item)
        await self._mark(interaction, found, [found], done=False)

    async def _item(self, interaction: discord.Interaction, text: str) -> Item:
        """An item by the id autocomplete sends, or by its title among the member's items."""
        member = guild_member(interaction)
        if text.strip().isdigit():
            return await store.get_item(self.bot.db, member.guild.id, int(text.strip()))
        needle = text.strip().lower()
        matches = [item for _, item in await reachable_items(self.bot, member.guild.id, member.id)
                   if needle in (item.title.lower(), item.label.lower())]
        if len(matches) != 1:
            raise InvalidInput("I don't know that item. Pick one from the list `item:` offers: it shows the items "
                               "of this and past weeks of the plans you joined.")
        return matches[0]

    async def done_from_select(self, interaction: discord.Interaction, unit_id: int, item_ids: list[int]) -> None:
        unit = await store.get_unit_by_id(self.bot.db, unit_id)
        if unit is None:
            raise InvalidInput("This week's plan was removed; `/plan list` shows the plans.")
        chosen = [item for item in await store.items(self.bot.db, unit.plan_id, unit_id=unit_id) if item.id in item_ids]
        if not chosen:
            raise InvalidInput("Those items are no longer in the plan; `/plan show` lists the week.")
        await self._mark(interaction, chosen[0], chosen, done=True)

    async def _mark(self, interaction: discord.Interaction, first: Item, chosen: list[Item], *, done: bool) -> None:
        member = guild_member(interaction)
        plan = await store.get_plan_by_id(self.bot.db, first.plan_id)
        if plan is None or plan.guild_id != member.guild.id:
            raise InvalidInput("That item's plan no longer exists.")
        try:
            marked = [await progress.mark(self.bot.db, self.bot.clock, plan, item, member.id, done=done)
                      for item in chosen]
        except progress.NotEnrolled as refused:
            await interaction.response.send_message(refused.message, view=join_view(plan), ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        changed = sum(1 for m in marked if m.changed)
        if changed:
            self.bot.participation.record(plan.guild_id, member.id, plan_items_done=changed if done else -changed)
        names = ", ".join(f"**{safe(m.item.title, 100)}**" for m in marked)
        verb = "done" if done else "not done"
        text = f"Marked {verb}: {names}." if changed else f"Already {verb}: {names}."
        if done and marked[-1].unit_done:
            text += f" Week {first.unit_number} is complete. 🎉"
        await interaction.response.send_message(cut(text, CONTENT), ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="checkin")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan", private="True: store it for you only instead of posting it in the thread")
    async def checkin(self, interaction: discord.Interaction, plan: str, private: bool = False) -> None:
        """Check in for this week: what you did, what's next, what blocks you."""
        found = await self._plan(interaction, plan)
        unit = await checkins.checkin_week(self.bot.db, found, self.bot.clock.now())
        await self._open_modal(interaction, found, unit.id, unit.number, private)

    async def open_checkin(self, interaction: discord.Interaction, unit_id: int, private: bool) -> None:
        unit = await store.get_unit_by_id(self.bot.db, unit_id)
        found = await store.get_plan_by_id(self.bot.db, unit.plan_id) if unit else None
        if unit is None or found is None:
            raise InvalidInput("This plan was removed; `/plan list` shows the plans.")
        current = await checkins.checkin_week(self.bot.db, found, self.bot.clock.now())
        if current.id != unit.id:
            raise InvalidInput(f"Week {unit.number} is over; check in for week {current.number} with `/plan checkin`.")
        await self._open_modal(interaction, found, unit.id, unit.number, private)

    async def _open_modal(self, interaction: discord.Interaction, plan: Plan, unit_id: int, number: int,
                          private: bool) -> None:
        if not await progress.is_enrolled(self.bot.db, plan.id, interaction.user.id):
            refused = progress.NotEnrolled(plan)
            await interaction.response.send_message(refused.message, view=join_view(plan), ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        await interaction.response.send_modal(CheckinModal(self, unit_id, number, private=private))

    async def save_checkin(self, interaction: discord.Interaction, unit_id: int, private: bool, did: str,
                           next_: str, blockers: str) -> None:
        member = guild_member(interaction)
        unit = await store.get_unit_by_id(self.bot.db, unit_id)
        plan = await store.get_plan_by_id(self.bot.db, unit.plan_id) if unit else None
        if unit is None or plan is None:
            raise InvalidInput("This plan was removed while you were writing; nothing was saved.")
        if not await progress.is_enrolled(self.bot.db, plan.id, member.id):
            raise progress.NotEnrolled(plan)
        saved = await checkins.record(self.bot.db, self.bot.clock, plan, unit, member.id, did=did, next_=next_,
                                      blockers=blockers, private=private)
        if saved.first:
            self.bot.participation.record(plan.guild_id, member.id, checkins=1)
        await interaction.response.defer(ephemeral=True, thinking=True)
        where = "Stored privately: only you see it (and `/privacy export`)."
        channel_id, thread_id = await posts.week_thread(self.bot.db, plan.id, unit.number)
        thread = Where(channel_id or plan.channel_id, thread_id)
        if private and saved.message_id is not None:
            await self.messenger.remove_checkin(plan, thread, saved.message_id)
            await checkins.set_message(self.bot.db, saved.id, None)
        elif not private:
            message_id = await self.messenger.post_checkin(plan, thread, checkin_embed(member, saved),
                                                           replace=saved.message_id)
            await checkins.set_message(self.bot.db, saved.id, message_id)
            where = "Posted in the week's thread." if message_id else "Saved; I could not post it in the thread."
        streak = await checkins.streak(self.bot.db, plan, member.id, now=self.bot.clock.now())
        await interaction.followup.send(
            f"Checked in for week {unit.number}{'' if saved.first else ' (replacing your earlier one)'}. {where} "
            f"Check-in streak: {counted(streak, 'week')} in a row.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="board")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan")
    async def board(self, interaction: discord.Interaction, plan: str) -> None:
        """Show the cohort's progress as a picture."""
        member = guild_member(interaction)
        found = await self._plan(interaction, plan)
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures = await progress.board(self.bot.db, found, now=self.bot.clock.now(), viewer_id=member.id,
                                       viewer_name=member.display_name)
        png = await asyncio.to_thread(pictures.render_board, figures)
        await interaction.followup.send(safe(pictures.describe_board(figures), CONTENT), ephemeral=True,
                                        file=discord.File(io.BytesIO(png), filename=f"{found.slug}-board.png"),
                                        allowed_mentions=NO_PINGS)

    @app_commands.command(name="progress")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan (default: the one you are in)", member="Whose progress (default: yours)",
                           share="True: let other members see your progress; False: only you and organisers")
    async def progress_(self, interaction: discord.Interaction, plan: str | None = None,
                        member: discord.Member | None = None, share: bool | None = None) -> None:
        """Show your progress card, or another member's if they share it."""
        me = guild_member(interaction)
        if share is not None:
            await settings.set_share_progress(self.bot.db, me.guild.id, me.id, share)
        who = member or me
        if who.id != me.id and not (await settings.get(self.bot.db, me.guild.id, who.id)).share_progress \
                and not await self._is_organiser(interaction):
            raise NotAllowed(f"{safe(who.display_name, 100)} keeps their plan progress private. Members can share "
                             "theirs with `/plan progress share:True`.")
        found = await self._plan(interaction, plan) if plan else \
            await progress.only_plan(self.bot.db, me.guild.id, who.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        mine = await progress.member_progress(self.bot.db, found, who.id, now=now)
        card = ProgressCard(who.display_name, found.title, mine.weeks, mine.current_week, mine.streak,
                            await progress.due_soon(self.bot.db, found, who.id, now=now), found.timezone)
        png = await asyncio.to_thread(pictures.render_progress_card, card)
        head = "" if share is None else \
            "Others can now see your progress.\n" if share else "Your progress is now private.\n"
        await interaction.followup.send(cut(head + safe(pictures.describe_progress(card), CONTENT), CONTENT),
                                        file=discord.File(io.BytesIO(png), filename=f"{found.slug}-progress.png"),
                                        ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="remind")
    @app_commands.describe(dm="True: deadline reminders by DM; False: in the week's thread")
    async def remind(self, interaction: discord.Interaction, dm: bool) -> None:
        """Choose how deadline reminders reach you."""
        member = guild_member(interaction)
        await settings.set_remind_dm(self.bot.db, member.guild.id, member.id, dm)
        text = ("Deadline reminders now come by DM (in the week's thread if your DMs are closed)." if dm
                else "Deadline reminders now mention you in the week's thread.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    # Organisers -------------------------------------------------------------------------------
    @app_commands.command(name="import")
    @app_commands.autocomplete(example=example_autocomplete, topic=topic_autocomplete)
    @app_commands.describe(file="A plan file: Markdown, YAML or JSON (up to 1 MB)", example="An example plan",
                           topic="File it under this topic (default: the file's)",
                           channel="Where the weekly cards go (default: the topic's channel)",
                           add_links="Add item links missing from the resource library under the topic",
                           replace="Update the plan with this slug in place; items kept by title keep progress")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment | None = None,
                      example: str | None = None, topic: str | None = None,
                      channel: discord.TextChannel | None = None, add_links: bool = False,
                      replace: bool = False) -> None:
        """Import a study plan from a file or an example, or update one (organisers)."""
        member = await self._organiser(interaction)
        await self.files.import_(interaction, member, file=file, example=example, topic=topic, channel=channel,
                                 add_links=add_links, replace=replace)

    @app_commands.command(name="export")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan")
    async def export(self, interaction: discord.Interaction, plan: str) -> None:
        """Download a plan as a Markdown plan file (organisers)."""
        await self._organiser(interaction)
        found = await self._plan(interaction, plan)
        await self.files.export(interaction, found)

    @app_commands.command(name="start")
    @app_commands.autocomplete(plan=plan_autocomplete, timezone=timezone_autocomplete)
    @app_commands.describe(plan="The plan", date="Week 1 starts: 2027-01-04 (09:00) or 2027-01-04 18:30",
                           timezone="The plan's timezone (default: the server's)",
                           channel="Where the weekly cards go (default: the plan's, else this channel)",
                           backfill="Allow a start in the past; weeks already begun count as posted")
    async def start(self, interaction: discord.Interaction, plan: str, date: str, timezone: str | None = None,
                    channel: discord.TextChannel | None = None, backfill: bool = False) -> None:
        """Start a plan: its weekly cards, reminders and check-ins begin (organisers)."""
        await self._organiser(interaction)
        found = await self._plan(interaction, plan)
        started = await store.start_plan(self.bot.db, self.bot.clock, found, start=date, zone=timezone,
                                         channel_id=channel.id if channel else interaction.channel_id,
                                         backfill=backfill)
        await self._changed(started)
        await interaction.response.send_message(started_text(started, self.bot.clock.now()), ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    async def _lifecycle(self, interaction: discord.Interaction, plan: str, action: str) -> None:
        await self._organiser(interaction)
        found = await self._plan(interaction, plan)
        change = {"pause": store.pause_plan, "resume": store.resume_plan, "finish": store.finish_plan}[action]
        changed = await change(self.bot.db, self.bot.clock, found)
        await self._changed(changed)
        text = {PlanStatus.PAUSED: "is paused: nothing is posted until `/plan resume`.",
                PlanStatus.RUNNING: "runs again; the remaining weeks moved by the days it was paused.",
                PlanStatus.FINISHED: "is finished. Its history stays; members keep their progress."}[changed.status]
        await interaction.response.send_message(f"**{safe(changed.title, 200)}** {text}", ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="pause")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan")
    async def pause(self, interaction: discord.Interaction, plan: str) -> None:
        """Pause a running plan: nothing is posted until it resumes (organisers)."""
        await self._lifecycle(interaction, plan, "pause")

    @app_commands.command(name="resume")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan")
    async def resume(self, interaction: discord.Interaction, plan: str) -> None:
        """Resume a paused plan; later weeks move by the days it was paused (organisers)."""
        await self._lifecycle(interaction, plan, "resume")

    @app_commands.command(name="finish")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan")
    async def finish(self, interaction: discord.Interaction, plan: str) -> None:
        """Finish a plan: it stops posting and keeps its history (organisers)."""
        await self._lifecycle(interaction, plan, "finish")

    @app_commands.command(name="edit")
    @app_commands.autocomplete(plan=plan_autocomplete, topic=topic_autocomplete)
    @app_commands.describe(plan="The plan", title="New title", channel="New channel for the weekly cards",
                           topic="New topic")
    async def edit(self, interaction: discord.Interaction, plan: str, title: str | None = None,
                   channel: discord.TextChannel | None = None, topic: str | None = None) -> None:
        """Change a plan's title, channel or topic (organisers)."""
        member = await self._organiser(interaction)
        found = await self._plan(interaction, plan)
        topic_id = (await topics.get_topic(self.bot.db, member.guild.id, topic)).id if topic else None
        edited = await store.edit_plan(self.bot.db, self.bot.clock, found, title=title,
                                       channel_id=channel.id if channel else None, topic_id=topic_id)
        await self._changed(edited)
        await interaction.response.send_message(f"Updated **{safe(edited.title, 200)}** (`{edited.slug}`).",
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="remove")
    @app_commands.autocomplete(plan=plan_autocomplete)
    @app_commands.describe(plan="The plan", force="Also remove a running plan, with its cohort's progress")
    async def remove(self, interaction: discord.Interaction, plan: str, force: bool = False) -> None:
        """Remove a plan with its progress and check-ins (organisers)."""
        await self._organiser(interaction)
        found = await self._plan(interaction, plan)
        await store.remove_plan(self.bot.db, found, force=force)
        await self._changed(found)
        await interaction.response.send_message(f"Removed **{safe(found.title, 200)}**.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Plans(bot))
