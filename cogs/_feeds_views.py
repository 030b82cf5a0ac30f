"""The feeds' Discord plumbing: the publisher the poller sends through, the feed autocomplete and the
picker offered when a page links to several feeds.

A helper of ``cogs/feeds.py``: it imports nothing from the cog (the picker is handed what to call).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import discord
from discord import app_commands

from bot.core import CohortBot
from bot.feeds import store
from bot.feeds.poller import DeliveryFailed
from bot.feeds.store import Feed, OutboxItem
from bot.topics import Topic
from bot.tree import report_interaction_error
from bot.ui.checks import require
from bot.ui.render import cut
from cogs._feeds_cards import outbox_message

DISCOVERY_TIMEOUT = 600


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

Subscribe = Callable[[discord.Interaction, str, AddOptions], Awaitable[None]]


class DiscoveredFeeds(discord.ui.View):
    """Offers the feeds an HTML page links to; picking one adds it with the same options."""

    def __init__(self, subscribe: Subscribe, alternates: tuple[str, ...], options: AddOptions) -> None:
        super().__init__(timeout=DISCOVERY_TIMEOUT)
        self.subscribe = subscribe
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
            await self.subscribe(interaction, url, self.options)
            self.stop()
        except Exception as error:
            await report_interaction_error(interaction, error)
