"""/timezone: the timezone a member's session times are read in."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config
from bot.core import CohortBot
from bot.sessions import members
from bot.ui.autocomplete import timezone_autocomplete
from bot.ui.checks import guild_member
from bot.ui.render import NO_PINGS


@app_commands.guild_only()
class Timezone(commands.GroupCog, group_name="timezone"):
    """Your timezone, for the times you type."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="set")
    @app_commands.describe(tz="An IANA timezone such as Europe/Berlin")
    @app_commands.autocomplete(tz=timezone_autocomplete)
    async def set_(self, interaction: discord.Interaction, tz: str) -> None:
        """Set your timezone; times you type for sessions are read in it."""
        member = guild_member(interaction)
        zone = await members.set_member_timezone(self.bot.db, member.guild.id, member.id, tz)
        await interaction.response.send_message(f"Your timezone is now **{zone}**.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show your timezone and the server's."""
        member = guild_member(interaction)
        mine = await members.member_timezone(self.bot.db, member.guild.id, member.id)
        server = (await guild_config.get_config(self.bot.db, member.guild.id)).timezone
        text = (f"Your timezone is **{mine}** (the server's is {server})." if mine else
                f"You have not set a timezone, so the server's is used: **{server}**. Set yours with `/timezone set`.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Timezone(bot))
