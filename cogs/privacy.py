"""/privacy: export what Cohort stores about you, or have it forgotten."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CohortBot
from bot.errors import InvalidInput, NotAllowed
from bot.gate import privacy
from bot.text import counted
from bot.tree import report_interaction_error
from bot.ui.render import COLOUR_BAD, NO_PINGS, when

log = logging.getLogger(__name__)
CONFIRM_WINDOW = timedelta(minutes=5)


def _scope_text(guild_id: int | None) -> str:
    return "in this server" if guild_id else "in every server I share with you"


def _bullets(phrases: list[str]) -> str:
    return "\n".join(f"• {phrase}" for phrase in phrases)


class ForgetButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"privacy:forget:(?P<user_id>\d+):(?P<guild_id>\d+):(?P<expires>\d+)"):
    """Confirm for /privacy forget: the user, the scope (0 = everywhere) and the expiry are in the id."""

    def __init__(self, user_id: int, guild_id: int, expires: int) -> None:
        super().__init__(discord.ui.Button(label="Delete my data", style=discord.ButtonStyle.danger,
                                           custom_id=f"privacy:forget:{user_id}:{guild_id}:{expires}"))
        self.user_id, self.guild_id, self.expires = user_id, guild_id, expires

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ForgetButton:
        return cls(int(match["user_id"]), int(match["guild_id"]), int(match["expires"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            cog = interaction.client.get_cog("Privacy")  # type: ignore[attr-defined]
            assert isinstance(cog, Privacy)
            await cog.forget_confirmed(interaction, self.user_id, self.guild_id or None, self.expires)
        except Exception as error:
            await report_interaction_error(interaction, error)


class Privacy(commands.GroupCog, group_name="privacy"):
    """Your data: export it or have it forgotten."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton)

    @app_commands.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Get everything I store about you as a JSON file (only you see it)."""
        await self.bot.participation.flush()
        data = await privacy.export_user(self.bot.db, self.bot.clock, user_id=interaction.user.id,
                                         guild_id=interaction.guild_id)
        rows = sum(len(v) for v in data["data"].values())
        file = discord.File(io.BytesIO(privacy.export_json(data)), filename=f"cohort-data-{interaction.user.id}.json")
        await interaction.response.send_message(
            f"Here is everything I store about you {_scope_text(interaction.guild_id)}: {counted(rows, 'record')}. "
            "Message content is never stored, only daily counts.", file=file, ephemeral=True,
            allowed_mentions=NO_PINGS)

    @app_commands.command(name="forget")
    async def forget(self, interaction: discord.Interaction) -> None:
        """Delete what I store about you (participation, applications, plans…), after a confirm."""
        expires = int((self.bot.clock.now() + CONFIRM_WINDOW).timestamp())
        view = discord.ui.View(timeout=None)
        view.add_item(ForgetButton(interaction.user.id, interaction.guild_id or 0, expires))
        deleted, kept = privacy.forget_summary()
        await interaction.response.send_message(
            f"This deletes, {_scope_text(interaction.guild_id)}, your:\n{_bullets(deleted)}\n"
            f"These stay, without your name:\n{_bullets(kept)}\nIt cannot be undone. Confirm before "
            f"{when(self.bot.clock.now() + CONFIRM_WINDOW, 'T')}.", view=view, ephemeral=True,
            allowed_mentions=NO_PINGS)

    async def forget_confirmed(self, interaction: discord.Interaction, user_id: int, guild_id: int | None,
                               expires: int) -> None:
        if interaction.user.id != user_id:
            raise NotAllowed("Only the person who asked can confirm deleting their data.")
        if self.bot.clock.now().timestamp() > expires:
            raise InvalidInput("This confirmation expired; run `/privacy forget` again.")
        self.bot.participation.discard(user_id, guild_id)
        result = await privacy.forget_user(self.bot.db, user_id=user_id, guild_id=guild_id)
        await interaction.response.edit_message(
            content=f"Done: {counted(sum(result.deleted.values()), 'record')} deleted and "
                    f"{sum(result.anonymised.values())} anonymised.", view=None, allowed_mentions=NO_PINGS)
        await self._scrub_review_cards(result.review_messages)
        await self._delete_public_cards(result.public_cards)

    async def _scrub_review_cards(self, cards: tuple[tuple[int, int], ...]) -> None:
        """Review cards repeat the application's answers, so they go too (the record of them already did)."""
        for channel_id, message_id in cards:
            channel = self.bot.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                continue
            embed = discord.Embed(title="Application removed", colour=COLOUR_BAD,
                                  description="The applicant asked for their data to be deleted.")
            try:
                await channel.get_partial_message(message_id).edit(content=None, embed=embed, view=None,
                                                                  allowed_mentions=NO_PINGS)
            except discord.HTTPException as error:
                log.warning("could not scrub review card %s: %s", message_id, error)

    async def _delete_public_cards(self, cards: tuple[tuple[int, int], ...]) -> None:
        """Check-in and showcase cards quote the member, so they go with their data."""
        for channel_id, message_id in cards:
            try:
                await self.bot.get_partial_messageable(channel_id).get_partial_message(message_id).delete()
            except discord.HTTPException as error:
                log.info("could not delete public card %s: %s", message_id, error)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Privacy(bot))
