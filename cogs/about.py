"""/about: what is running and how it is doing."""

from __future__ import annotations

import math

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__, about
from bot.core import CohortBot
from bot.text import counted
from bot.ui.render import COLOUR, NO_PINGS


def human_bytes(size: int) -> str:
    """``512 B``, ``1.5 KB``, ``3.2 MB``, ``1.1 GB``."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class About(commands.Cog):
    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction) -> None:
        """Version, uptime, latency and what this server holds."""
        embed = discord.Embed(title="Cohort", colour=COLOUR,
                              description="A study companion for self-organised learning communities.")
        embed.add_field(name="Version", value=__version__)
        embed.add_field(name="Up since", value=discord.utils.format_dt(self.bot.started_at, "R"))
        latency = self.bot.latency
        measured = math.isfinite(latency)
        embed.add_field(name="Gateway latency", value=f"{latency * 1000:.0f} ms" if measured else "measuring…")
        embed.add_field(name="Servers", value=str(len(self.bot.guilds)))
        embed.add_field(name="Database", value=human_bytes(await about.database_size(self.bot.db)))
        if interaction.guild_id is not None:
            counts = await about.guild_counts(self.bot.db, interaction.guild_id)
            held = ", ".join(counted(n, table.removesuffix("s"), table) for table, n in counts.items())
            embed.add_field(name="Here", value=held or "nothing yet", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(About(bot))
