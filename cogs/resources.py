"""/resource: share learning resources per topic, find them, rank them, keep their links alive."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import net, resources, topics
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.resources import linkcheck, starter, titles, transfer
from bot.resources.library import Sort, member_role_id
from bot.resources.model import Resource
from bot.text import counted
from bot.topics import Topic
from bot.tree import report_interaction_error
from bot.ui import paging
from bot.ui.autocomplete import topic_autocomplete
from bot.ui.checks import guild_member, require
from bot.ui.render import COLOUR, COLOUR_WARN, NO_PINGS, cut, safe, when

log = logging.getLogger(__name__)

Level = Literal["beginner", "intermediate", "advanced"]
Kind = Literal["article", "paper", "course", "video", "repo", "book", "talk", "tool"]
LINKCHECK_JOB = "resources:linkcheck"
IMPORT_MAX_BYTES = 25 * 1024 * 1024
EMBED_TOTAL = 6000
IMPORT_PROGRESS_EVERY = 1.0  # seconds between progress edits
EXPORT_COOLDOWN = 30.0  # seconds between one member's exports
LINK_IN_LIST_MAX = 200  # longer URLs are not linked in lists (they would crowd out the 6,000-character budget)
ResourceId = app_commands.Range[int, 1, 2**53 - 1]  # Discord caps integer options at 2^53 - 1
LIST_STATE = re.compile(r"^l(?P<topic>\d{1,20})\.(?P<sort>[tn])\.(?P<level>[bia-])\.(?P<kind>[a-z]{1,8}|-)$")
LEVEL_CODES = {"beginner": "b", "intermediate": "i", "advanced": "a"}


# Rendering ----------------------------------------------------------------------------------
def markdown_link(text: str, url: str) -> str:
    """``[text](url)`` that neither part can break out of.

    Square brackets in the text become round ones: a title such as ``x](https://elsewhere) [y``
    would otherwise end the link early and point its words at another site. Round brackets in the
    URL are percent-encoded for the same reason.
    """
    label = text.replace("[", "(").replace("]", ")")
    return f"[{label}]({url.replace('(', '%28').replace(')', '%29')})"


def sharer(resource: Resource) -> str:
    if resource.author_id is not None:
        return f"<@{resource.author_id}>"
    # No author: the starter library, or a member who asked to be forgotten (/privacy forget).
    return "the curated starter library" if resource.curated else "a former member"


def resource_card(resource: Resource) -> discord.Embed:
    """The card: title linked, topic, level, kind, tags, note, who shared it and the votes."""
    embed = discord.Embed(title=safe(resource.title, 256), url=resource.url, colour=COLOUR,
                          description=safe(resource.note, 1500) or None)
    embed.add_field(name="Topic", value=safe(resource.topic_name, 200) or "none")
    if resource.level:  # unset level and kind are left out, as in lists, rather than shown as "any"
        embed.add_field(name="Level", value=resource.level)
    if resource.kind:
        embed.add_field(name="Kind", value=resource.kind)
    if resource.tags:
        embed.add_field(name="Tags", value=safe(", ".join(resource.tags), 400))
    embed.add_field(name="Shared by", value=f"{sharer(resource)}, {when(resource.created_at, 'D')}")
    embed.add_field(name="Votes", value=str(resource.votes))
    if resource.broken:
        embed.colour = COLOUR_WARN
        embed.add_field(name="Link", value=f"failing ({safe(resource.last_check_result, 100)}) for "
                                           f"{resource.failed_checks} weekly checks", inline=False)
    # Footers show no markdown and ping nobody, so nothing is escaped there.
    flags = (" · curated" if resource.curated else "") + (" · removed" if resource.removed else "")
    embed.set_footer(text=f"#{resource.id} · {cut(resource.host, 100)}{flags}")
    return embed


def card_view(resource: Resource) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(UpvoteButton(resource.id, resource.votes))
    view.add_item(SaveButton(resource.id))
    return view


def list_entry(resource: Resource) -> tuple[str, str]:
    """A resource as one embed field of a list: ``(name, value)``; ten of them stay under 5,000 characters."""
    title = safe(resource.title, 100)
    link = markdown_link(title, resource.url) if len(resource.url) <= LINK_IN_LIST_MAX else f"**{title}**"
    details = [d for d in (resource.level, resource.kind, safe(", ".join(resource.tags), 60)) if d]
    details.append(f"by {sharer(resource)}")
    if resource.broken:
        details.append(f"link failing ({safe(resource.last_check_result, 40)})")
    return f"#{resource.id} · ▲ {resource.votes}", f"{link}\n{' · '.join(details)}"


def list_embed(title: str, items: list[Resource], empty: str, footer: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR)
    if not items:
        embed.description = empty
    for resource in items:
        name, value = list_entry(resource)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    while len(embed) > EMBED_TOTAL and len(embed.fields) > 1:  # a safety net; entries are sized to fit
        embed.remove_field(-1)
    return embed


def page_embed(title: str, page: resources.Page, empty: str) -> discord.Embed:
    return list_embed(title, page.items, empty, paging.page_footer(page.page, page.pages, page.total, "resources"))


def is_moderator(interaction: discord.Interaction) -> bool:
    return interaction.permissions.manage_messages or interaction.permissions.administrator


# Persistent buttons -------------------------------------------------------------------------
class UpvoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"resources:upvote:(?P<id>\d{1,20})"):
    """Upvote (or take the vote back) on any card, before or after a restart."""

    def __init__(self, resource_id: int, votes: int = 0) -> None:
        super().__init__(discord.ui.Button(label=f"Upvote ({votes})", emoji="👍", style=discord.ButtonStyle.primary,
                                           custom_id=f"resources:upvote:{resource_id}"))
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> UpvoteButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: CohortBot = interaction.client  # type: ignore[assignment]
        try:
            toggled = await vote(bot, interaction, self.resource_id)
            await interaction.response.edit_message(embed=resource_card(toggled.resource),
                                                    view=card_view(toggled.resource), allowed_mentions=NO_PINGS)
            await interaction.followup.send(vote_message(toggled), ephemeral=True, allowed_mentions=NO_PINGS)
        except Exception as error:
            await report_interaction_error(interaction, error)


class SaveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"resources:save:(?P<id>\d{1,20})"):
    """Save to (or take off) your saved list, from any card."""

    def __init__(self, resource_id: int) -> None:
        super().__init__(discord.ui.Button(label="Save", emoji="🔖", style=discord.ButtonStyle.secondary,
                                           custom_id=f"resources:save:{resource_id}"))
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SaveButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: CohortBot = interaction.client  # type: ignore[assignment]
        try:
            toggled = await resources.toggle_save(bot.db, bot.clock, guild_id=guild_member(interaction).guild.id,
                                                  resource_id=self.resource_id, user_id=interaction.user.id)
            await interaction.response.send_message(save_message(toggled), ephemeral=True, allowed_mentions=NO_PINGS)
        except Exception as error:
            await report_interaction_error(interaction, error)


async def vote(bot: CohortBot, interaction: discord.Interaction, resource_id: int) -> resources.Toggled:
    """Toggle the member's vote and credit (or debit) the sharer's participation."""
    guild_id = guild_member(interaction).guild.id
    toggled = await resources.toggle_upvote(bot.db, bot.clock, guild_id=guild_id, resource_id=resource_id,
                                            user_id=interaction.user.id)
    if toggled.resource.author_id is not None:
        bot.participation.record(guild_id, toggled.resource.author_id, upvotes_received=1 if toggled.on else -1)
    return toggled


def vote_message(toggled: resources.Toggled) -> str:
    res = toggled.resource
    if toggled.on:
        return (f"You upvoted #{res.id} **{safe(res.title, 100)}**; it has {counted(res.votes, 'vote')}. "
                "Press again to take it back.")
    return f"Vote taken back from #{res.id} **{safe(res.title, 100)}**; it has {counted(res.votes, 'vote')}."


def save_message(toggled: resources.Toggled) -> str:
    res = toggled.resource
    if toggled.on:
        return f"Saved #{res.id} **{safe(res.title, 100)}**; `/resource saved` lists what you saved."
    return f"Took #{res.id} **{safe(res.title, 100)}** off your saved list."


# The cog ------------------------------------------------------------------------------------
@app_commands.guild_only()
class Resources(commands.GroupCog, group_name="resource"):
    """Learning resources per topic."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        # (guild, member) → their export cooldown; only throttling, so it need not survive a restart.
        self.export_cooldowns: dict[tuple[int, int], app_commands.Cooldown] = {}
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.pagers["resources"] = self.render_page
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

    # Lists ---------------------------------------------------------------------------------
    async def render_page(self, interaction: discord.Interaction, state: str, page: int) -> paging.Page:
        """Pages of /resource list ("l…"), /resource saved ("s") and /resource broken ("b")."""
        guild_id = guild_member(interaction).guild.id
        if state == "s":
            found = await resources.saved_resources(self.bot.db, guild_id, interaction.user.id, page=page)
            embed = page_embed("Your saved resources", found, "Nothing saved yet: press **Save** on a card.")
        elif state == "b":
            require(interaction, manage_messages=True)
            found = await resources.broken_resources(self.bot.db, guild_id, page=page)
            embed = page_embed("Broken links", found, "No link has failed two weekly checks in a row.")
        else:
            match = LIST_STATE.match(state)
            if match is None:
                raise InvalidInput("This list is no longer available; run `/resource list` again.")
            topic = await topics.get_topic_by_id(self.bot.db, guild_id, int(match["topic"]))
            if topic is None:
                raise InvalidInput("That topic was removed; `/topic list` shows the topics.")
            level = next((name for name, code in LEVEL_CODES.items() if code == match["level"]), None)
            kind = None if match["kind"] == "-" else match["kind"]
            sort: Sort = "top" if match["sort"] == "t" else "new"
            found = await resources.list_resources(self.bot.db, guild_id, topic.id, sort=sort, level=level,
                                                   kind=kind, page=page)
            filters = " · ".join(f for f in (level, kind) if f)
            title = f"{safe(topic.name, 150)}: {'top' if sort == 'top' else 'newest'} resources"
            embed = page_embed(title + (f" ({filters})" if filters else ""), found,
                               "Nothing here yet. Share the first one with `/resource add`.")
        return paging.Page(embed, found.page, found.pages)

    async def send_list(self, interaction: discord.Interaction, state: str, *, ephemeral: bool) -> None:
        page = await self.render_page(interaction, state, 0)
        await interaction.response.send_message(embed=page.embed, view=paging.page_view("resources", state, page),
                                                ephemeral=ephemeral, allowed_mentions=NO_PINGS)

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
        state = f"l{found.id}.{sort[0]}.{LEVEL_CODES[level] if level else '-'}.{kind or '-'}"
        await self.send_list(interaction, state, ephemeral=False)

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
        await self.send_list(interaction, "s", ephemeral=True)

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
        await self.send_list(interaction, "b", ephemeral=True)

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
        member = guild_member(interaction)
        found = await topics.get_topic(self.bot.db, member.guild.id, topic) if topic else None
        topic_id = found.id if found else None
        self.spend_export_cooldown(member)
        await interaction.response.defer(thinking=True, ephemeral=True)
        # Written to temporary files, not memory: a big library is tens of megabytes.
        with text_tempfile() as csv_file, text_tempfile() as json_file:
            count = await transfer.export_library(self.bot.db, member.guild.id, csv_out=csv_file, json_out=json_file,
                                                  topic_id=topic_id)
            csv_file.flush()
            json_file.flush()
            if csv_file.tell() + json_file.tell() > member.guild.filesize_limit:
                raise InvalidInput("The export is larger than this server's upload limit; export one topic at a "
                                   "time with `topic:`.")
            name = f"resources-{found.slug if found else 'all'}"
            files = [discord.File(rewound(csv_file), filename=f"{name}.csv"),
                     discord.File(rewound(json_file), filename=f"{name}.json")]
            await interaction.followup.send(f"{counted(count, 'resource')}, as CSV and as JSON.", files=files,
                                            ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="import")
    @app_commands.describe(file="A CSV or JSON file with url, topic, title, note, level, kind, tags")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """Import resources from a CSV or JSON file (Manage Server)."""
        member = require(interaction, manage_guild=True)
        if file.size > IMPORT_MAX_BYTES:
            raise InvalidInput(f"That file is {file.size // (1024 * 1024)} MB; import files up to "
                               f"{IMPORT_MAX_BYTES // (1024 * 1024)} MB (split it into several).")
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.edit_original_response(content=f"Importing {code(file.filename)}: starting…")
        last_edit = time.monotonic()

        async def progress(state: transfer.ImportProgress) -> None:
            nonlocal last_edit
            if state.done or time.monotonic() - last_edit < IMPORT_PROGRESS_EVERY:
                return
            last_edit = time.monotonic()
            percent = min(100, state.bytes_read * 100 // max(file.size, 1))
            await interaction.edit_original_response(
                content=f"Importing {code(file.filename)}: {percent}% read, {state.imported} imported, "
                        f"{state.failed} rows with problems…")

        with text_tempfile() as report_file:
            errors = transfer.ErrorReport(report_file)
            async with self.download(file) as (chunks, first_bytes):
                file_format = transfer.detect_format(file.filename, first_bytes)
                result = await transfer.import_resources(
                    self.bot.db, self.bot.clock, guild_id=member.guild.id, author_id=member.id, chunks=chunks,
                    file_format=file_format, errors=errors, on_progress=progress)
            report_file.flush()
            summary = (f"Import of {code(file.filename)} finished: {result.imported} imported, "
                       f"{result.failed} of {result.rows} rows not imported.")
            if result.stopped:
                summary += f"\n**Stopped early:** {safe(result.stopped, 500)}"
            attachments: list[discord.File] = []
            if errors.count:
                summary += " The attached report says why for each row."
                attachments.append(discord.File(rewound(report_file), filename="import-errors.csv"))
            await interaction.edit_original_response(content=summary, attachments=attachments)
        if result.imported:
            await self.ensure_linkcheck()

    def spend_export_cooldown(self, member: discord.Member) -> None:
        """One export per member every 30 s (each reads the whole library). Counted only once the export
        is sure to run, so a mistyped topic does not make the corrected command wait."""
        self.export_cooldowns = {key: c for key, c in self.export_cooldowns.items() if c.get_tokens() < c.rate}
        cooldown = self.export_cooldowns.setdefault((member.guild.id, member.id),
                                                    app_commands.Cooldown(1, EXPORT_COOLDOWN))
        retry_after = cooldown.update_rate_limit()
        if retry_after:
            raise app_commands.CommandOnCooldown(cooldown, retry_after)

    def download(self, attachment: discord.Attachment) -> _Download:
        return _Download(self.bot.http_session, attachment.url, IMPORT_MAX_BYTES)


def code(text: str) -> str:
    """Text shown as inline code: markdown and mentions do not render there, so only backticks matter."""
    return "`" + cut(text.replace("`", "'"), 100) + "`"


def text_tempfile() -> io.TextIOWrapper:
    """A UTF-8 text file on disk that disappears when closed (for reports and exports)."""
    return cast(io.TextIOWrapper, tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))


def rewound(text_file: io.TextIOWrapper) -> io.BufferedIOBase:
    """The bytes under a text file, from the start, for an upload."""
    text_file.flush()
    binary = cast(io.BufferedIOBase, text_file.buffer)
    binary.seek(0)
    return binary


class _Download:
    """Stream an attachment: ``async with`` gives (chunks, first bytes) and closes the response after."""

    CHUNK = 64 * 1024

    def __init__(self, session: aiohttp.ClientSession, url: str, max_bytes: int) -> None:
        self.session, self.url, self.max_bytes = session, url, max_bytes
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> tuple[AsyncIterator[bytes], bytes]:
        net.check_url_syntax(self.url)
        try:
            self._response = await self.session.get(self.url, timeout=aiohttp.ClientTimeout(total=300))
            if self._response.status != 200:
                raise InvalidInput(f"Discord answered {self._response.status} for the file; try uploading it again.")
            first = await self._response.content.read(self.CHUNK)
        except BaseException as error:
            await self.__aexit__()  # __aexit__ only runs once __aenter__ has returned
            if isinstance(error, aiohttp.ClientError | TimeoutError):
                raise InvalidInput("I could not download the file from Discord; try again.") from error
            raise
        return self._chunks(first), first

    async def _chunks(self, first: bytes) -> AsyncIterator[bytes]:
        """The file's bytes; a download that breaks off or grows too big stops the import where it is."""
        assert self._response is not None
        size = len(first)
        if first:
            yield first
        try:
            async for chunk in self._response.content.iter_chunked(self.CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise transfer.ImportStopped(f"The file is larger than {self.max_bytes // (1024 * 1024)} MB; "
                                                 "split it into several and import the rest.")
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as error:
            raise transfer.ImportStopped("The download from Discord broke off; import the file again (rows "
                                         "already imported are reported as duplicates, not added twice).") from error

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.release()


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Resources(bot))
