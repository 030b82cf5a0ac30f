"""/feed: follow RSS/Atom feeds; new entries are posted once, to the right channel, never flooding.

The cog declares the commands and the poll job; ``_feeds_cards`` renders, ``_feeds_views`` holds the
publisher, the autocomplete and the feed picker. Fetching, filtering and the outbox live in ``bot.feeds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import topics
from bot.core import CohortBot
from bot.errors import InvalidInput, NotAllowed
from bot.feeds import manage, store
from bot.feeds.policy import FeedPolicy
from bot.feeds.poller import FeedPoller, target_channel
from bot.feeds.problems import FeedProblem, NotAFeed
from bot.feeds.reader import FeedReader
from bot.feeds.store import Feed
from bot.ui.autocomplete import topic_autocomplete
from bot.ui.checks import require
from bot.ui.paging import Page, clamp_page, page_footer, page_view
from bot.ui.render import COLOUR, COLOUR_OK, EMBED_TITLE, NO_PINGS, cut, safe, when
from cogs._feeds_cards import as_reply, entry_embed, feed_summary, where
from cogs._feeds_views import AddOptions, DiscordPublisher, DiscoveredFeeds, feed_autocomplete

log = logging.getLogger(__name__)

POLL_JOB = "feeds:poll"
# A page's fields are each at most FIELD_NAME_USED + 1024 characters: five of them stay inside
# Discord's 6,000-character total per message, whatever the feeds hold.
PER_PAGE = 5
FIELD_NAME_USED = 120


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Feeds(commands.GroupCog, group_name="feed"):
    """Course, blog, paper and release updates from RSS/Atom feeds."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        self.policy = FeedPolicy.from_settings(bot.settings)
        self.reader = FeedReader(bot.http_session, self.policy, bot.clock)
        self.poller = FeedPoller(bot.db, bot.clock, self.reader, DiscordPublisher(bot), self.policy)
        self._polling: asyncio.Task[None] | None = None
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.pagers["feeds"] = self.render_page
        self.bot.guild_seeders["feeds"] = self.seed_guild
        # The first run is right away: it sends anything a crash left in the outbox and checks
        # whatever fell due while the bot was down.
        self.bot.scheduler.add_job(self.poll_job, "interval", seconds=self.bot.settings.feed_poll_seconds,
                                   id=POLL_JOB, coalesce=True, max_instances=1, replace_existing=True,
                                   next_run_time=datetime.now(UTC))

    async def cog_unload(self) -> None:
        if self.bot.scheduler.get_job(POLL_JOB):
            self.bot.scheduler.remove_job(POLL_JOB)
        self.bot.guild_seeders.pop("feeds", None)
        # Stop a cycle still running before the HTTP session and the database close under it. What
        # it had committed stays; a post in flight is sent again after the restart (see poller).
        running = self._polling
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    async def poll_job(self) -> None:
        self._polling = asyncio.current_task()
        try:
            await self.poller.poll()
        except Exception:
            log.exception("the feed poll failed")
        finally:
            self._polling = None

    async def seed_guild(self, guild_id: int) -> None:
        if self.bot.settings.feed_urls:
            added = await manage.seed_feeds(self.bot.db, self.bot.clock, guild_id, self.bot.settings.feed_urls)
            log.info("guild %s: %d feed(s) from FEED_URLS added", guild_id, added)

    # /feed add --------------------------------------------------------------------------------
    @app_commands.command(name="add")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(url="The feed (or a page that links to one)",
                           channel="Where new entries go (default: the topic's channel)",
                           topic="File the feed under a topic", include="Only entries matching: word, word or /regex/",
                           exclude="Skip entries matching: word, word or /regex/",
                           mention_role="Role to ping with each new entry")
    async def add(self, interaction: discord.Interaction, url: str, channel: discord.TextChannel | None = None,
                  topic: str | None = None, include: str | None = None, exclude: str | None = None,
                  mention_role: discord.Role | None = None) -> None:
        """Follow a feed; current entries are marked seen, so nothing floods (Manage Server)."""
        member = require(interaction, manage_guild=True)
        found = await topics.get_topic(self.bot.db, member.guild.id, topic) if topic else None
        if mention_role is not None and (mention_role.is_default() or mention_role.managed):
            raise InvalidInput("Pick a normal role to mention, not @everyone or a bot's own role.")
        if channel is not None:
            self._check_can_post(channel)
        note = ""
        if mention_role is not None and not mention_role.mentionable and \
                not member.guild.me.guild_permissions.mention_everyone:
            note = (f"\n\nNote: {mention_role.mention} is not mentionable and I lack **Mention All Roles**, so "
                    "Discord will show the mention without pinging anyone. Make the role mentionable to fix it.")
        options = AddOptions(channel.id if channel else None, found, include, exclude,
                             mention_role.id if mention_role else None, note)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.subscribe_and_reply(interaction, url, options)

    def _check_can_post(self, channel: discord.TextChannel) -> None:
        mine = channel.permissions_for(channel.guild.me)
        missing = [name for name, ok in (("View Channel", mine.view_channel), ("Send Messages", mine.send_messages),
                                         ("Embed Links", mine.embed_links)) if not ok]
        if missing:
            raise NotAllowed(f"I cannot post in {channel.mention}: I need **{', '.join(missing)}** there.")

    async def subscribe_and_reply(self, interaction: discord.Interaction, url: str, options: AddOptions) -> None:
        assert interaction.guild_id is not None
        try:
            sub = await manage.subscribe(
                self.bot.db, self.bot.clock, self.reader, guild_id=interaction.guild_id, url=url,
                channel_id=options.channel_id, topic=options.topic, include=options.include,
                exclude=options.exclude, mention_role_id=options.mention_role_id, created_by=interaction.user.id)
        except NotAFeed as problem:
            if not problem.alternates:
                raise
            listed = "\n".join(f"• <{link}>" for link in problem.alternates)
            await interaction.followup.send(
                cut(f"{safe(problem.message, 300)} Pick one to follow:\n{listed}", 2000),
                view=DiscoveredFeeds(self.subscribe_and_reply, problem.alternates, options), ephemeral=True,
                allowed_mentions=NO_PINGS)
            return
        except FeedProblem as problem:
            raise as_reply(problem) from problem
        feed = sub.feed
        summary = discord.Embed(
            title=cut(f"Following #{feed.id}: {safe(feed.name, 200)}", EMBED_TITLE), colour=COLOUR_OK,
            description=(f"New entries go to {where(feed, options.topic)}. "
                         + ("Its current entry is" if sub.entries == 1 else f"The {sub.entries} current entries are")
                         + " marked as seen, so nothing is posted now." + (" Newest entries:" if sub.preview else "")
                         + options.note))
        embeds = [summary, *(entry_embed(a) for a in sub.preview)]
        await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=NO_PINGS)

    # /feed list -------------------------------------------------------------------------------
    async def render_page(self, interaction: discord.Interaction, state: str, page: int) -> Page:
        assert interaction.guild_id is not None
        feeds = await store.list_feeds(self.bot.db, interaction.guild_id)
        page, pages = clamp_page(page, len(feeds), PER_PAGE)
        embed = discord.Embed(title="Feeds", colour=COLOUR)
        if not feeds:
            embed.description = "No feeds yet. `/feed add` follows one."
        for feed in feeds[page * PER_PAGE:(page + 1) * PER_PAGE]:
            embed.add_field(name=cut(f"#{feed.id} {safe(feed.name, 100)}", FIELD_NAME_USED),
                            value=await self._feed_summary(feed), inline=False)
        embed.set_footer(text=page_footer(page, pages, len(feeds), "feeds"))
        return Page(embed, page, pages)
    async def _feed_summary(self, feed: Feed) -> str:
        topic = await topics.get_topic_by_id(self.bot.db, feed.guild_id, feed.topic_id) if feed.topic_id else None
        waiting = feed.status == "active" and await target_channel(self.bot.db, feed) is None
        return feed_summary(feed, topic, waiting=waiting)


    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """Show each feed's health, last new entry and next check."""
        page = await self.render_page(interaction, "all", 0)
        await interaction.response.send_message(embed=page.embed, view=page_view("feeds", "all", page),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    # /feed remove | pause | resume ------------------------------------------------------------
    @app_commands.command(name="remove")
    @app_commands.rename(feed_id="id")
    @app_commands.describe(feed_id="The feed (its number in /feed list)")
    @app_commands.autocomplete(feed_id=feed_autocomplete)
    async def remove(self, interaction: discord.Interaction, feed_id: int) -> None:
        """Stop following a feed and forget what it posted (Manage Server)."""
        member = require(interaction, manage_guild=True)
        feed = await manage.remove(self.bot.db, member.guild.id, feed_id)
        await interaction.response.send_message(f"Removed feed #{feed.id} **{safe(feed.name, 200)}**.",
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="pause")
    @app_commands.rename(feed_id="id")
    @app_commands.describe(feed_id="The feed (its number in /feed list)")
    @app_commands.autocomplete(feed_id=feed_autocomplete)
    async def pause(self, interaction: discord.Interaction, feed_id: int) -> None:
        """Stop checking a feed for now (Manage Server)."""
        member = require(interaction, manage_guild=True)
        feed = await manage.pause(self.bot.db, self.bot.clock, member.guild.id, feed_id)
        await interaction.response.send_message(f"Paused feed #{feed.id} **{safe(feed.name, 200)}**; "
                                                "`/feed resume` starts it again.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="resume")
    @app_commands.rename(feed_id="id")
    @app_commands.describe(feed_id="The feed (its number in /feed list)")
    @app_commands.autocomplete(feed_id=feed_autocomplete)
    async def resume(self, interaction: discord.Interaction, feed_id: int) -> None:
        """Start a paused or disabled feed again (Manage Server)."""
        member = require(interaction, manage_guild=True)
        feed = await manage.resume(self.bot.db, self.bot.clock, member.guild.id, feed_id)
        await interaction.response.send_message(f"Feed #{feed.id} **{safe(feed.name, 200)}** is running again; "
                                                f"it is checked {when(feed.next_check_at, 'R')}.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    # /feed preview | test ---------------------------------------------------------------------
    @app_commands.command(name="preview")
    @app_commands.describe(url="The feed to look at")
    async def preview(self, interaction: discord.Interaction, url: str) -> None:
        """Show the newest 3 entries of a feed, only to you."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            shown = await manage.preview_feed(self.reader, url)
        except NotAFeed as problem:
            if not problem.alternates:
                raise
            listed = "\n".join(f"• <{link}>" for link in problem.alternates)
            await interaction.followup.send(cut(f"{safe(problem.message, 300)}\n{listed}", 2000), ephemeral=True,
                                            allowed_mentions=NO_PINGS)
            return
        except FeedProblem as problem:
            raise as_reply(problem) from problem
        if not shown.announcements:
            await interaction.followup.send(f"**{safe(shown.feed.title, 200)}** is a feed, but it has no entries "
                                            "right now.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.followup.send(f"The newest entries of **{safe(shown.feed.title, 200)}**, as they would be "
                                        "posted:", embeds=[entry_embed(a) for a in shown.announcements],
                                        ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="test")
    @app_commands.rename(feed_id="id")
    @app_commands.describe(feed_id="The feed (its number in /feed list)")
    @app_commands.autocomplete(feed_id=feed_autocomplete)
    async def test(self, interaction: discord.Interaction, feed_id: int) -> None:
        """Post a feed's newest entry once, marked as a test (Manage Server)."""
        member = require(interaction, manage_guild=True)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            feed, announcement = await manage.newest_entry(self.bot.db, self.reader, member.guild.id, feed_id)
        except FeedProblem as problem:
            raise as_reply(problem) from problem
        channel_id = await target_channel(self.bot.db, feed)
        if channel_id is None:
            raise InvalidInput(f"Feed #{feed.id} has nowhere to post: give it a channel, or set "
                               "`/config channel announcements`.")
        channel = self.bot.get_partial_messageable(channel_id, guild_id=member.guild.id)
        try:
            await channel.send(f"🧪 Test post of feed #{feed.id}: this entry is not marked as seen.",
                               embed=entry_embed(announcement, test=True), allowed_mentions=NO_PINGS)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise NotAllowed(f"I could not post in <#{channel_id}> ({exc.status}); check that I can see it and "
                             "send messages and embeds there.") from exc
        await interaction.followup.send(f"Posted the newest entry of #{feed.id} in <#{channel_id}> as a test.",
                                        ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Feeds(bot))
