"""/config: the server's shared settings (Manage Server)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config
from bot.core import CohortBot
from bot.ui.autocomplete import timezone_autocomplete
from bot.ui.checks import require
from bot.ui.render import COLOUR, NO_PINGS, safe

CORE_KEYS = {"channel.announcements", "channel.mod_log", "organizer_role", "timezone"}


def _mention(kind: str, value: int | None) -> str:
    if value is None:
        return "not set"
    return f"<#{value}>" if kind == "channel" else f"<@&{value}>"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class GuildConfig(commands.GroupCog, group_name="config"):
    """Server settings for Cohort."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's Cohort settings."""
        member = require(interaction, manage_guild=True)
        config = await guild_config.get_config(self.bot.db, member.guild.id)
        embed = discord.Embed(title="Cohort settings", colour=COLOUR)
        embed.add_field(name="Announcements channel", value=_mention("channel", config.announcements_channel_id))
        embed.add_field(name="Mod-log channel", value=_mention("channel", config.mod_log_channel_id))
        embed.add_field(name="Organiser role", value=_mention("role", config.organizer_role_id))
        embed.add_field(name="Timezone", value=config.timezone)
        others = {k: v for k, v in (await guild_config.all_settings(self.bot.db, member.guild.id)).items()
                  if k not in CORE_KEYS}
        if others:
            embed.add_field(name="Feature settings", inline=False,
                            value=safe("\n".join(f"{k}: {v}" for k, v in others.items()), 1024))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="channel")
    @app_commands.describe(kind="Which channel to set", channel="The channel to use")
    async def channel(self, interaction: discord.Interaction, kind: Literal["announcements", "mod_log"],
                      channel: discord.TextChannel) -> None:
        """Set the announcements or mod-log channel."""
        member = require(interaction, manage_guild=True)
        await guild_config.set_channel(self.bot.db, member.guild.id, kind, channel.id)
        await interaction.response.send_message(f"The {kind.replace('_', '-')} channel is now {channel.mention}.",
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="organizer-role")
    @app_commands.describe(role="Members with this role may schedule study sessions")
    async def organizer_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Set the role that may organise study sessions."""
        member = require(interaction, manage_guild=True)
        await guild_config.set_organizer_role(self.bot.db, member.guild.id, role.id)
        await interaction.response.send_message(f"Organisers are now members with {role.mention} "
                                                "(and anyone with Manage Events).", ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="timezone")
    @app_commands.describe(tz="An IANA timezone such as Europe/Berlin")
    @app_commands.autocomplete(tz=timezone_autocomplete)
    async def timezone(self, interaction: discord.Interaction, tz: str) -> None:
        """Set the server's default timezone."""
        member = require(interaction, manage_guild=True)
        zone = await guild_config.set_timezone(self.bot.db, member.guild.id, tz)
        await interaction.response.send_message(f"The server's timezone is now **{zone}**.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(GuildConfig(bot))
