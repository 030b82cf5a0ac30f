"""/feed: follow RSS/Atom feeds; new entries are posted once, to the right channel, never flooding."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import topics
from bot.core import CohortBot
from bot.errors import DomainError, InvalidInput, NotAllowed
from bot.feeds import manage, store
from bot.feeds.policy import FeedPolicy
from bot.feeds.poller import DeliveryFailed, FeedPoller, target_channel
from bot.feeds.problems import FeedProblem, NotAFeed
from bot.feeds.reader import FeedReader
from bot.feeds.render import Announcement
from bot.feeds.store import Feed, OutboxItem
from bot.topics import Topic
from bot.tree import report_interaction_error
from bot.ui.autocomplete import topic_autocomplete
from bot.ui.checks import require
from bot.ui.paging import Page, clamp_page, page_footer, page_view
from bot.ui.render import (
    COLOUR,
    COLOUR_BAD,
    COLOUR_OK,
    COLOUR_WARN,
    CONTENT,
    EMBED_TITLE,
    FIELD_VALUE,
    NO_PINGS,
    clean,
    cut,
    safe,
    when,
)

log = logging.getLogger(__name__)

POLL_JOB = "feeds:poll"
FOOTER_USED = 256  # of the 2048 allowed: keeps 3 previews and a summary well inside 6000 per message
# A page's fields are each at most FIELD_NAME_USED + 1024 characters: five of them stay inside
# Discord's 6,000-character total per message, whatever the feeds hold.
PER_PAGE = 5
FIELD_NAME_USED = 120
DISCOVERY_TIMEOUT = 600


# Rendering --------------------------------------------------------------------------------------
def as_reply(problem: FeedProblem) -> DomainError:
    """A fetch problem as a whole reply: its reason (a clause, also shown in /feed list) and what to do."""
    if problem.message.endswith("."):  # already a whole sentence that says what to do
        return problem
    advice = ("Check the URL: it should open as RSS or Atom in a browser." if problem.permanent
              else "Try again in a few minutes.")
    return InvalidInput(f"I could not read that feed: {problem.message}. {advice}")


def plain(text: str | None, limit: int) -> str:
    """For places Discord shows without markdown (author, footer): no NULs, no mentions, cut."""
    return cut(discord.utils.escape_mentions(clean(text or "")), limit)


def entry_embed(announcement: Announcement, *, test: bool = False) -> discord.Embed:
    """An entry as posted: linked title, author, date, short summary, feed name, picture."""
    embed = discord.Embed(title=safe(announcement.title, EMBED_TITLE) or "(untitled)", url=announcement.link,
                          description=announcement.summary or None, colour=COLOUR_WARN if test else COLOUR,
                          timestamp=announcement.published)
    if announcement.author:
        embed.set_author(name=plain(announcement.author, 256))
    footer = plain(announcement.feed_title, FOOTER_USED)
    embed.set_footer(text=f"Test post · {footer}" if test else footer)
    if announcement.image_url:
        embed.set_image(url=announcement.image_url)
    return embed


def code(text: str, limit: int) -> str:
    """Inline code that stays one whole span: backticks become look-alikes, line breaks spaces."""
    return f"`{cut(' '.join(clean(text).replace('`', 'ˋ').split()), limit)}`"


def role_pings(role_id: int | None) -> discord.AllowedMentions:
    """Nobody, except the feed's mention role when it has one."""
    if role_id is None:
        return NO_PINGS
    return discord.AllowedMentions(everyone=False, users=False, replied_user=False, roles=[discord.Object(role_id)])


def outbox_message(item: OutboxItem) -> dict[str, Any]:
    """The ``send`` arguments for a queued post."""
    payload = item.payload
    if item.kind == "entry":
        content = f"<@&{item.mention_role_id}>" if item.mention_role_id else None
        return {"content": content, "embed": entry_embed(Announcement.from_json(payload)),
                "allowed_mentions": role_pings(item.mention_role_id)}
    if item.kind == "more":
        content = f"… and {payload['count']} more new entries from **{safe(payload['feed_title'], 200)}**"
        site = str(payload.get("site_url") or "")
        if site and len(content) + len(site) + 4 <= CONTENT:
            content += f": <{site}>"
        return {"content": content, "allowed_mentions": NO_PINGS}
    embed = discord.Embed(title="Feed disabled", colour=COLOUR_BAD,
                          description=f"**{safe(payload['feed_title'], 200)}** (feed #{item.feed_id}) is no longer "
                                      f"checked.\n**Why:** {safe(payload['reason'], 600)}\n\nFix the cause, then "
                                      f"`/feed resume id:{item.feed_id}`; or `/feed remove id:{item.feed_id}`.")
    embed.add_field(name="URL", value=safe(payload["url"], FIELD_VALUE))
    return {"embed": embed, "allowed_mentions": NO_PINGS}


class DiscordPublisher:
    """Sends queued feed posts through the REST API (no gateway cache needed)."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    async def deliver(self, item: OutboxItem) -> None:
        channel = self.bot.get_partial_messageable(item.channel_id, guild_id=item.guild_id)
        try:
            await channel.send(**outbox_message(item))
        except (discord.NotFound, discord.Forbidden) as exc:
            raise DeliveryFailed(f"{exc.status} {exc.text or 'no access'}", permanent=True) from exc
        except discord.HTTPException as exc:
            # Other 4xx mean this message will never be accepted; 429 and 5xx may pass later.
            permanent = 400 <= exc.status < 500 and exc.status != 429
            raise DeliveryFailed(f"{exc.status} {exc.text}", permanent=permanent) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"Discord could not be reached ({exc.__class__.__name__})", permanent=False) from exc


def health(feed: Feed, waiting: bool) -> str:
    if feed.status == "paused":
        return "⏸️ Paused"
    if feed.status == "disabled":
        return f"⛔ Disabled: {safe(feed.disabled_reason, 300)}"
    if feed.failures and feed.failing_since:
        return (f"⚠️ Failing since {when(feed.failing_since, 'R')} ({feed.failures} in a row): "
                f"{safe(feed.last_error, 300)}")
    if waiting:
        return "⏳ Waiting for a channel: give the feed one, or set `/config channel announcements`"
    return "✅ OK" + (f" ({safe(feed.last_error, 200)})" if feed.last_error else "")


def where(feed: Feed, topic: Topic | None) -> str:
    if feed.channel_id:
        return f"<#{feed.channel_id}>"
    if topic is not None and topic.channel_id:
        return f"<#{topic.channel_id}> (topic {safe(topic.name, 60)})"
    return "the announcements channel"


@dataclass(frozen=True)
class AddOptions:
    channel_id: int | None
    topic: Topic | None
    include: str | None
    exclude: str | None
    mention_role_id: int | None
    note: str = ""  # shown with the result, e.g. that the role will not actually be pinged


def _feed_choice_name(feed: Feed) -> str:
    return cut(f"#{feed.id} {feed.name}", 100)


async def feed_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    """This server's feeds by id, title or URL."""
    if interaction.guild_id is None:
        return []
    db = interaction.client.db  # type: ignore[attr-defined]
    needle = current.strip().lower().lstrip("#")[:100]
    found = [f for f in await store.list_feeds(db, interaction.guild_id)
             if not needle or needle in f"{f.id} {f.title} {f.url}".lower()]
    return [app_commands.Choice(name=_feed_choice_name(f), value=f.id) for f in found[:25]]


class DiscoveredFeeds(discord.ui.View):
    """Offers the feeds an HTML page links to; picking one adds it with the same options."""

    def __init__(self, cog: Feeds, alternates: tuple[str, ...], options: AddOptions) -> None:
        super().__init__(timeout=DISCOVERY_TIMEOUT)
        self.cog = cog
        self.alternates = alternates
        self.options = options
        select: discord.ui.Select[DiscoveredFeeds] = discord.ui.Select(
            placeholder="Follow one of these feeds",
            options=[discord.SelectOption(label=cut(url, 100), value=str(index))
                     for index, url in enumerate(alternates[:25])])
        select.callback = self.picked  # type: ignore[method-assign]
        self.add_item(select)
        self.select = select

    async def picked(self, interaction: discord.Interaction) -> None:
        try:
            require(interaction, manage_guild=True)
            url = self.alternates[int(self.select.values[0])]
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.cog.subscribe_and_reply(interaction, url, self.options)
            self.stop()
        except Exception as error:
            await report_interaction_error(interaction, error)


# The cog ----------------------------------------------------------------------------------------
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
                view=DiscoveredFeeds(self, problem.alternates, options), ephemeral=True, allowed_mentions=NO_PINGS)
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
        lines = [health(feed, waiting), f"→ {where(feed, topic)}"]
        extras = []
        if feed.include_filter:
            extras.append(f"include {code(feed.include_filter, 80)}")
        if feed.exclude_filter:
            extras.append(f"exclude {code(feed.exclude_filter, 80)}")
        if feed.mention_role_id:
            extras.append(f"mentions <@&{feed.mention_role_id}>")
        if extras:
            lines.append(" · ".join(extras))
        if feed.last_entry_title and feed.last_entry_at:
            lines.append(f"Last new entry: {safe(feed.last_entry_title, 150)} ({when(feed.last_entry_at, 'R')})")
        else:
            lines.append("Last new entry: none yet")
        if feed.status == "active":
            lines.append(f"Next check: {when(feed.next_check_at, 'R')}")
        lines.append(f"<{cut(feed.url, 300)}>")
        return cut("\n".join(lines), FIELD_VALUE)

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

