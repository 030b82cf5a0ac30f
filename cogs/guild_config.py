"""/config: the server's shared settings (Manage Server)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config
from bot.core import CohortBot
from bot.sessions import settings as session_settings
from bot.sessions.timeparse import offsets_in_words, parse_offsets
from bot.ui.autocomplete import timezone_autocomplete
from bot.ui.checks import require
from bot.ui.render import COLOUR, NO_PINGS, cut, safe

CORE_KEYS = {"channel.announcements", "channel.mod_log", "organizer_role", "timezone"}
# What admins call the features' own settings; a key missing here is shown with its words spaced out.
SETTING_LABELS = {
    "sessions.reminder_offsets": "Session reminders go out before the start",
    "sessions.remind_maybe": "Reminders also ping members who answered maybe",
    "sessions.attendance_minutes": "Minutes in voice that count as attending",
    "resources.add_policy": "Who may share resources",
    "gate.member_role": "Gate's member role",
    "gate.newcomer_role": "Gate's newcomer role",
}
ROLE_SETTINGS = {"gate.member_role", "gate.newcomer_role"}
YES_NO_SETTINGS = {"sessions.remind_maybe"}


def _mention(kind: str, value: int | None, unset: str) -> str:
    if value is None:
        return f"not set ({unset})"
    return f"<#{value}>" if kind == "channel" else f"<@&{value}>"


def setting_line(key: str, value: str) -> str:
    """One feature setting as ``**Label**: value``, never the raw key."""
    label = SETTING_LABELS.get(key) or key.replace(".", ": ").replace("_", " ").capitalize()
    if key in ROLE_SETTINGS and value.isdigit():
        shown = f"<@&{value}>"
    elif key in YES_NO_SETTINGS:
        shown = "yes" if value == "1" else "no"
    elif key == session_settings.REMINDER_OFFSETS_KEY:
        shown = offsets_in_words(parse_offsets(value))
    else:
        shown = safe(value, 200)
    return f"**{label}**: {shown}"


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
        embed.add_field(name="Announcements channel", value=_mention("channel", config.announcements_channel_id,
                                                                     "`/config channel`"))
        embed.add_field(name="Mod-log channel", value=_mention("channel", config.mod_log_channel_id,
                                                               "`/config channel`"))
        embed.add_field(name="Organiser role", value=_mention("role", config.organizer_role_id,
                                                              "anyone with Manage Events organises"))
        embed.add_field(name="Timezone", value=config.timezone)
        others = {k: v for k, v in (await guild_config.all_settings(self.bot.db, member.guild.id)).items()
                  if k not in CORE_KEYS}
        if others:
            embed.add_field(name="Feature settings", inline=False,
                            value=cut("\n".join(setting_line(k, v) for k, v in sorted(others.items())), 1024))
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

    @app_commands.command(name="reminders")
    @app_commands.describe(offsets="How long before a session reminders go out, e.g. 24h,15m or 1m",
                           maybe="Also ping members who answered maybe")
    async def reminders(self, interaction: discord.Interaction, offsets: str, maybe: bool | None = None) -> None:
        """Set when study-session reminders go out."""
        member = require(interaction, manage_guild=True)
        chosen = await session_settings.set_reminder_offsets(self.bot.db, member.guild.id, offsets)
        if maybe is not None:
            await session_settings.set_remind_maybe(self.bot.db, member.guild.id, maybe)
        pinged = "going and maybe" if await session_settings.remind_maybe(self.bot.db, member.guild.id) else "going"
        self.bot.dispatch("sessions_settings_changed", member.guild.id)  # the sessions cog re-plans its jobs
        await interaction.response.send_message(
            f"Reminders now go out **{offsets_in_words(chosen)}** before each session, pinging members {pinged}.",
            ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="attendance")
    @app_commands.describe(minutes="Minutes in the voice channel that count as attending (at least 1)")
    async def attendance(self, interaction: discord.Interaction,
                         minutes: app_commands.Range[int, 1, session_settings.MAX_ATTENDANCE_MINUTES]) -> None:
        """Set how long members must be in a session's voice channel to count as attending."""
        member = require(interaction, manage_guild=True)
        chosen = await session_settings.set_attendance_minutes(self.bot.db, member.guild.id, minutes)
        await interaction.response.send_message(
            f"Members who spend at least **{chosen} min** in a session's voice channel count as attending.",
            ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(GuildConfig(bot))
