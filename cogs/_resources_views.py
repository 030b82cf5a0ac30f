"""The buttons under a resource card: Upvote and Save, which keep working after a restart.

A helper of ``cogs/resources.py``: the buttons call the domain directly, so they need nothing from the cog.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import resources
from bot.core import CohortBot
from bot.resources.model import Resource
from bot.tree import report_interaction_error
from bot.ui.checks import guild_member
from bot.ui.render import NO_PINGS
from cogs._resources_cards import resource_card, save_message, vote_message


def card_view(resource: Resource) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(UpvoteButton(resource.id, resource.votes))
    view.add_item(SaveButton(resource.id))
    return view


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
    """Toggle the member's vote (the domain credits or debits the sharer's participation)."""
    return await resources.vote(bot.db, bot.clock, bot.participation, guild_id=guild_member(interaction).guild.id,
                                resource_id=resource_id, user_id=interaction.user.id)
