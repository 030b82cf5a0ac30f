"""/resource: share learning resources per topic, find them, rank them, keep their links alive.

The cog declares the commands and derives the link-check job; its helpers hold the rest:
``_resources_cards`` (card and list rendering), ``_resources_views`` (Upvote and Save buttons),
``_resources_lists`` (list pages) and ``_resources_files`` (export and import). The rules live in
``bot.resources``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import resources, topics
from bot.core import CohortBot
from bot.resources import linkcheck, starter, titles
from bot.resources.library import Sort, member_role_id
from bot.resources.model import Resource
from bot.text import counted
from bot.topics import Topic
from bot.ui.autocomplete import topic_autocomplete
from bot.ui.checks import guild_member, require
from bot.ui.render import NO_PINGS, safe
from cogs._resources_cards import list_embed, resource_card, save_message, vote_message
from cogs._resources_files import LibraryFiles
from cogs._resources_lists import ResourceLists, topic_list_state
from cogs._resources_views import SaveButton, UpvoteButton, card_view, vote

log = logging.getLogger(__name__)

Level = Literal["beginner", "intermediate", "advanced"]
Kind = Literal["article", "paper", "course", "video", "repo", "book", "talk", "tool"]
LINKCHECK_JOB = "resources:linkcheck"
ResourceId = app_commands.Range[int, 1, 2**53 - 1]  # Discord caps integer options at 2^53 - 1


def is_moderator(interaction: discord.Interaction) -> bool:
    return interaction.permissions.manage_messages or interaction.permissions.administrator


# The cog ------------------------------------------------------------------------------------
@app_commands.guild_only()
class Resources(commands.GroupCog, group_name="resource"):
    """Learning resources per topic."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.lists = ResourceLists(bot)
        self.files = LibraryFiles(bot)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.pagers["resources"] = self.lists.render_page
        self.bot.add_dynamic_items(UpvoteButton, SaveButton)
        self.bot.guild_seeders["resources"] = self.seed_guild
        await self.schedule_linkcheck()

    async def cog_unload(self) -> None:
        self.bot.pagers.pop("resources", None)
        self.bot.remove_dynamic_items(UpvoteButton, SaveButton)
        self.bot.guild_seeders.pop("resources", None)
        if self.bot.scheduler.get_job(LINKCHECK_JOB):
            self.bot.scheduler.remove_job(LINKCHECK_JOB)

    async def seed_guild(self, guild_id: int) -> None:
        added = await starter.seed_starter_library(self.bot.db, self.bot.clock, guild_id)
        log.info("guild %s: %d curated resources added", guild_id, added)
        await self.ensure_linkcheck()

    # Link health ---------------------------------------------------------------------------
    async def schedule_linkcheck(self) -> datetime | None:
        """(Re)derive the link-check job from the database: it runs when the earliest link is due."""
        due = await linkcheck.next_due(self.bot.db)
        if due is None:
            if self.bot.scheduler.get_job(LINKCHECK_JOB):
                self.bot.scheduler.remove_job(LINKCHECK_JOB)
            return None
        # The scheduler fires on the real clock; the delay comes from the bot's clock (a fake one in tests).
        delay = max(due - self.bot.clock.now(), timedelta(0))
        run_at = datetime.now(UTC) + delay
        self.bot.scheduler.add_job(self.run_linkcheck, "date", run_date=run_at, id=LINKCHECK_JOB,
                                   replace_existing=True, misfire_grace_time=None, coalesce=True)
        return run_at

    async def ensure_linkcheck(self) -> None:
        """After links were added: make sure a check is scheduled (an existing one is never later than them)."""
        if not self.bot.scheduler.get_job(LINKCHECK_JOB):
            await self.schedule_linkcheck()

    async def run_linkcheck(self) -> linkcheck.RunSummary:
        try:
            summary = await linkcheck.run_due_checks(self.bot.db, self.bot.clock, self.bot.http_session,
                                                     allow_private=self.bot.settings.allow_private_urls)
        except asyncio.CancelledError:
            raise  # stopping: touch nothing; the next start derives the job from the database again
        except Exception:
            await self.schedule_linkcheck()
            raise
        log.info("link check: %s", summary)
        await self.schedule_linkcheck()
        return summary

    # Commands ------------------------------------------------------------------------------
    @app_commands.command(name="add")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(url="The link (http or https)", topic="The topic it belongs to",
                           title="Leave out to use the page's own title", note="Why it is worth reading",
                           level="Who it is for", kind="What it is", tags="Words separated by commas")
    async def add(self, interaction: discord.Interaction, url: str, topic: str, title: str | None = None,
                  note: str | None = None, level: Level | None = None, kind: Kind | None = None,
                  tags: str | None = None) -> None:
        """Share a learning resource under a topic."""
        member = guild_member(interaction)
        guild_id = member.guild.id
        await resources.ensure_may_add(self.bot.db, guild_id, role_ids=[role.id for role in member.roles],
                                       moderator=is_moderator(interaction))
        found_topic = await topics.get_topic(self.bot.db, guild_id, topic)
        draft = resources.draft_resource(url=url, title=title, note=note, level=level, kind=kind, tags=tags)
        existing = await resources.find_by_url(self.bot.db, guild_id, draft.url)
        if existing is not None:
            view = discord.utils.MISSING if existing.removed else card_view(existing)
            await interaction.response.send_message(
                resources.DuplicateResource(existing).message + " Nothing was added.", ephemeral=True,
                embed=resource_card(existing), view=view, allowed_mentions=NO_PINGS)
            return
        if draft.title is None or found_topic.channel_id is not None:
            await interaction.response.defer(thinking=True)  # reading the page can take up to 2 s
        if draft.title is None:
            draft = draft.with_title(await titles.fetch_title(self.bot.http_session, draft.url,
                                                              allow_private=self.bot.settings.allow_private_urls))
        resource = await resources.add_resource(self.bot.db, self.bot.clock, guild_id=guild_id,
                                                author_id=member.id, topic_id=found_topic.id, draft=draft)
        self.bot.participation.record(guild_id, member.id, resources_shared=1)
        where = await self.post_to_topic_channel(interaction, found_topic, resource)
        content = f"Shared #{resource.id}." + (f" {where}" if where else "")
        if interaction.response.is_done():
            await interaction.followup.send(content, embed=resource_card(resource), view=card_view(resource),
                                            allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(content, embed=resource_card(resource), view=card_view(resource),
                                                    allowed_mentions=NO_PINGS)
        await self.ensure_linkcheck()

    async def post_to_topic_channel(self, interaction: discord.Interaction, topic: Topic,
                                    resource: Resource) -> str:
        """Post the card in the topic's channel (unless that is where the command ran); say how it went."""
        if topic.channel_id is None or topic.channel_id == interaction.channel_id or interaction.guild is None:
            return ""
        channel = interaction.guild.get_channel(topic.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return "(The topic's channel no longer exists, so the card was not posted there.)"
        try:
            await channel.send(embed=resource_card(resource), view=card_view(resource), allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.warning("could not post resource %s in channel %s: %s", resource.id, channel.id, error)
            return f"(I could not post it in {channel.mention}: I need to send messages there.)"
        return f"Also posted in {channel.mention}."

    @app_commands.command(name="list")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="The topic to list", sort="Most upvoted or newest first",
                           level="Only this level", kind="Only this kind")
    async def list_(self, interaction: discord.Interaction, topic: str, sort: Sort = "top",
                    level: Level | None = None, kind: Kind | None = None) -> None:
        """List a topic's resources, ten per page."""
        found = await topics.get_topic(self.bot.db, guild_member(interaction).guild.id, topic)
        state = topic_list_state(found.id, sort, level, kind)
        await self.lists.send_list(interaction, state, ephemeral=False)

    @app_commands.command(name="search")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(query="Words to look for in titles, notes, tags and sites",
                           topic="Only search this topic")
    async def search(self, interaction: discord.Interaction, query: str, topic: str | None = None) -> None:
        """Search the library by words; the best matches come first."""
        guild_id = guild_member(interaction).guild.id
        topic_id = (await topics.get_topic(self.bot.db, guild_id, topic)).id if topic else None
        found = await resources.search_resources(self.bot.db, guild_id, query, topic_id=topic_id)
        embed = list_embed(f"Search: {safe(query, 200)}", found,
                           "No resource matches those words. Try fewer or shorter words.",
                           counted(len(found), "match", "matches"))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show")
    @app_commands.describe(id="The resource number, as in #42")
    async def show(self, interaction: discord.Interaction, id: ResourceId) -> None:
        """Show a resource's card."""
        resource = await resources.get_resource(self.bot.db, guild_member(interaction).guild.id, id)
        await interaction.response.send_message(embed=resource_card(resource), view=card_view(resource),
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="upvote")
    @app_commands.describe(id="The resource number, as in #42")
    async def upvote(self, interaction: discord.Interaction, id: ResourceId) -> None:
        """Upvote a resource; running it again takes the vote back."""
        toggled = await vote(self.bot, interaction, id)
        await interaction.response.send_message(vote_message(toggled), ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="save")
    @app_commands.describe(id="The resource number, as in #42")
    async def save(self, interaction: discord.Interaction, id: ResourceId) -> None:
        """Save a resource to your list; running it again takes it off."""
        toggled = await resources.toggle_save(self.bot.db, self.bot.clock, guild_id=guild_member(interaction).guild.id,
                                              resource_id=id, user_id=interaction.user.id)
        await interaction.response.send_message(save_message(toggled), ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="saved")
    async def saved(self, interaction: discord.Interaction) -> None:
        """List the resources you saved (only you see it)."""
        await self.lists.send_list(interaction, "s", ephemeral=True)

    @app_commands.command(name="edit")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(id="The resource number, as in #42", title="New title", note="New note (- to clear)",
                           level="New level", kind="New kind", tags="New tags, comma-separated (- to clear)",
                           topic="Move it to this topic")
    async def edit(self, interaction: discord.Interaction, id: ResourceId, title: str | None = None,
                   note: str | None = None, level: Level | None = None, kind: Kind | None = None,
                   tags: str | None = None, topic: str | None = None) -> None:
        """Change a resource you shared (or any, with Manage Messages)."""
        guild_id = guild_member(interaction).guild.id
        topic_id = (await topics.get_topic(self.bot.db, guild_id, topic)).id if topic else None
        updated = await resources.edit_resource(self.bot.db, guild_id=guild_id, resource_id=id,
                                                user_id=interaction.user.id, moderator=is_moderator(interaction),
                                                title=title, note=note, level=level, kind=kind, tags=tags,
                                                topic_id=topic_id)
        await interaction.response.send_message(f"Updated #{updated.id}.", embed=resource_card(updated),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="remove")
    @app_commands.describe(id="The resource number, as in #42")
    async def remove(self, interaction: discord.Interaction, id: ResourceId) -> None:
        """Remove a resource you shared (or any, with Manage Messages); it can be restored."""
        removed = await resources.remove_resource(self.bot.db, self.bot.clock,
                                                  guild_id=guild_member(interaction).guild.id, resource_id=id,
                                                  user_id=interaction.user.id, moderator=is_moderator(interaction))
        await interaction.response.send_message(
            f"Removed #{removed.id} **{safe(removed.title, 150)}**. A moderator can bring it back with "
            f"`/resource restore id:{removed.id}`.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="restore")
    @app_commands.describe(id="The resource number, as in #42")
    async def restore(self, interaction: discord.Interaction, id: ResourceId) -> None:
        """Bring back a removed resource (Manage Messages)."""
        member = require(interaction, manage_messages=True)
        restored = await resources.restore_resource(self.bot.db, guild_id=member.guild.id, resource_id=id)
        await interaction.response.send_message(f"Restored #{restored.id}.", embed=resource_card(restored),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="broken")
    async def broken(self, interaction: discord.Interaction) -> None:
        """List links that failed two weekly checks in a row (Manage Messages)."""
        require(interaction, manage_messages=True)
        await self.lists.send_list(interaction, "b", ephemeral=True)

    @app_commands.command(name="policy")
    @app_commands.describe(who="everyone, or only members holding the gate's member role")
    async def policy(self, interaction: discord.Interaction, who: Literal["everyone", "members"]) -> None:
        """Choose who may share resources (Manage Server)."""
        member = require(interaction, manage_guild=True)
        chosen = await resources.set_add_policy(self.bot.db, member.guild.id, who)
        message = f"Now **{chosen}** may share resources (moderators always can)."
        if chosen == "members" and await member_role_id(self.bot.db, member.guild.id) is None:
            message += " No member role is set up yet, so until the gate has one only moderators can share."
        await interaction.response.send_message(message, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="export")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="Only this topic")
    async def export(self, interaction: discord.Interaction, topic: str | None = None) -> None:
        """Download the library (or one topic) as CSV and JSON."""
        await self.files.export(interaction, guild_member(interaction), topic)

    @app_commands.command(name="import")
    @app_commands.describe(file="A CSV or JSON file with url, topic, title, note, level, kind, tags")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """Import resources from a CSV or JSON file (Manage Server)."""
        member = require(interaction, manage_guild=True)
        if await self.files.import_(interaction, member, file):
            await self.ensure_linkcheck()


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Resources(bot))
