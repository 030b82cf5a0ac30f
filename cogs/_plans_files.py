"""/plan import and /plan export on Discord: reading a plan file or an example, creating or updating
the plan, and sending it back as Markdown. A helper of ``cogs/plans.py``; it imports nothing from it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable

import discord

from bot import topics
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.plans import files, reimport, store
from bot.plans.model import PlanDoc
from bot.plans.store import Plan
from bot.text import counted
from bot.ui.render import NO_PINGS, safe
from cogs._plans_discord import PlanMessenger


class PlanFiles:
    """Plan files in and out. ``changed`` re-derives a plan's jobs and tells listeners after a change."""

    def __init__(self, bot: CohortBot, messenger: PlanMessenger, changed: Callable[[Plan], Awaitable[None]]) -> None:
        self.bot = bot
        self.messenger = messenger
        self._changed = changed

    async def import_(self, interaction: discord.Interaction, member: discord.Member, *,
                      file: discord.Attachment | None, example: str | None, topic: str | None,
                      channel: discord.TextChannel | None, add_links: bool, replace: bool) -> None:
        """Import a plan from a file or an example, or update the plan with its slug in place."""
        if (file is None) == (example is None):
            raise InvalidInput("Give either `file:` (a .md, .yaml or .json plan file) or `example:`, not both.")
        if file is not None:
            if file.size > files.MAX_FILE_BYTES:  # refused before downloading it
                raise InvalidInput(f"That file is {file.size / 1024 / 1024:.1f} MB; a plan file is at most 1 MB, "
                                   "so split the plan or trim it.")
            await interaction.response.defer(ephemeral=True, thinking=True)
            # Parsing up to 1 MB (and reading the examples off disk) runs off the event loop.
            doc = await asyncio.to_thread(files.read_plan, await file.read(), filename=file.filename)
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            doc = await asyncio.to_thread(files.read_example, example or "")
        topic_found = await topics.get_topic(self.bot.db, member.guild.id, topic) if topic else None
        existing = await store.find_plan(self.bot.db, member.guild.id, store.plan_slug(doc)) if replace else None
        if existing is not None:
            await self._reimport(interaction, existing, doc, topic_found.id if topic_found else None, add_links)
            return
        if topic_found is None and doc.topic:
            topic_found = await topics.get_topic(self.bot.db, member.guild.id, doc.topic)
        created = await store.create_plan(
            self.bot.db, self.bot.clock, guild_id=member.guild.id, doc=doc, created_by=member.id,
            topic_id=topic_found.id if topic_found else None,
            channel_id=channel.id if channel else (topic_found.channel_id if topic_found else None),
            add_links=add_links)
        plan = created.plan
        await self._changed(plan)
        item_count = len(await store.items(self.bot.db, plan.id))
        links = f" {counted(created.linked, 'item')} linked to the library" + (
            f" ({created.added_links} added to it)." if created.added_links else ".")
        await interaction.followup.send(
            f"Imported **{safe(plan.title, 200)}** (`{plan.slug}`): {counted(plan.unit_count, 'week')}, "
            f"{counted(item_count, 'item')}.{links} Start it with `/plan start plan:{plan.slug} date:YYYY-MM-DD`.",
            ephemeral=True, allowed_mentions=NO_PINGS)

    async def _reimport(self, interaction: discord.Interaction, plan: Plan, doc: PlanDoc, topic_id: int | None,
                        add_links: bool) -> None:
        done = await reimport.reimport_plan(self.bot.db, self.bot.clock, plan, doc, topic_id=topic_id,
                                            add_links=add_links)
        await self._changed(done.plan)
        await self.messenger.refresh_cards(done.plan)
        dropped = f", {counted(done.weeks_removed, 'week')} dropped" if done.weeks_removed else ""
        await interaction.followup.send(
            f"Updated **{safe(done.plan.title, 200)}** (`{done.plan.slug}`): {counted(done.plan.unit_count, 'week')}"
            f"{dropped}; {done.kept} items kept with their progress, {done.added} added, {done.removed} removed "
            "(with their progress). Weeks already posted show the change.", ephemeral=True,
            allowed_mentions=NO_PINGS)

    async def export(self, interaction: discord.Interaction, plan: Plan) -> None:
        """Send the plan back as a Markdown plan file."""
        text = files.plan_to_markdown(await store.plan_doc(self.bot.db, plan))
        await interaction.response.send_message(
            f"**{safe(plan.title, 200)}** as a plan file; edit it and `/plan import` it again.", ephemeral=True,
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename=f"{plan.slug}.md"), allowed_mentions=NO_PINGS)
