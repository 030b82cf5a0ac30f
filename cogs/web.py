"""/web: the server's public page (organisers). /calendar: a member's own calendar link."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CohortBot
from bot.ui.checks import guild_member, require
from bot.ui.render import NO_PINGS
from bot.web import store

GOOGLE_NOTE = "Google Calendar can take up to a day to refresh a subscribed calendar."


class Web(commands.Cog):
    """The web companion: public pages and calendar feeds."""

    web = app_commands.Group(name="web", description="The server's public web page", guild_only=True,
                             default_permissions=discord.Permissions(manage_guild=True))
    calendar = app_commands.Group(name="calendar", description="Your own calendar of sessions and deadlines",
                                  guild_only=True)

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    def _off_note(self) -> str:
        if self.bot.web.enabled:
            return ""
        return ("\n\n**Note:** this bot runs with `WEB_PORT=0`, so it serves no pages; whoever runs it must set "
                "`WEB_PORT` (and `PUBLIC_URL`) for the links to work.")

    def _urls(self, slug: str) -> str:
        links = self.bot.web.links.guild_links(slug)
        return (f"Page: {links['home']}\nLibrary: {links['library']}\nSessions: {links['sessions']}\n"
                f"Calendar to subscribe to: {links['webcal']}\n(or by address: {links['calendar']})\n"
                f"New resources feed: {links['atom']}\n{GOOGLE_NOTE}")

    @web.command(name="enable")
    @app_commands.describe(slug="The page's address after /g/ (default: made from the server's name)")
    async def enable(self, interaction: discord.Interaction, slug: app_commands.Range[str, 1, 40] | None = None,
                     ) -> None:
        """Publish this server's page: topics, library, sessions and study plans (no member names)."""
        member = require(interaction, manage_guild=True)
        page = await store.enable(self.bot.db, self.bot.clock, member.guild.id, slug=slug,
                                  guild_name=member.guild.name)
        await interaction.response.send_message(
            f"The web page is **on**. It shows topics, the library, sessions with RSVP counts and study plan "
            f"progress (totals only, never names).\n{self._urls(page.slug)}{self._off_note()}",
            ephemeral=True, allowed_mentions=NO_PINGS, suppress_embeds=True)

    @web.command(name="disable")
    async def disable(self, interaction: discord.Interaction) -> None:
        """Take this server's page and feeds offline (the address stays reserved)."""
        member = require(interaction, manage_guild=True)
        page = await store.disable(self.bot.db, self.bot.clock, member.guild.id)
        text = ("The web page is **off**: its pages and feeds now answer \u201cnot found\u201d. "
                "`/web enable` turns it back on at the same address.") if page else "The web page was not on."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @web.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show the page's addresses and whether it is on."""
        member = guild_member(interaction)
        page = await store.get_web_guild(self.bot.db, member.guild.id)
        if page is None:
            text = "The web page is **off** (never turned on). `/web enable` publishes it."
        else:
            state = "**on**" if page.enabled else "**off** (`/web enable` turns it back on)"
            text = f"The web page is {state}.\n{self._urls(page.slug)}"
        await interaction.response.send_message(text + self._off_note(), ephemeral=True,
                                                allowed_mentions=NO_PINGS, suppress_embeds=True)

    async def _send_link(self, interaction: discord.Interaction, token: str, *, reset: bool) -> None:
        url = self.bot.web.links.personal_link(token)
        webcal = "webcal://" + url.split("://", 1)[1]
        first = ("Your new calendar link (the old one has stopped working):" if reset
                 else "Your personal calendar link:")
        await interaction.response.send_message(
            f"{first}\n{webcal}\n(or add it by address: {url})\n\nIt holds the sessions you answered Going or "
            f"Maybe, in every server, and the due times of the study plans you joined. **Keep it secret**: anyone "
            f"with the link can read that calendar. Cohort stores only a fingerprint of it, so it cannot show "
            f"it again: `/calendar reset` makes a new one.\n{GOOGLE_NOTE}{self._off_note()}",
            ephemeral=True, allowed_mentions=NO_PINGS, suppress_embeds=True)

    @calendar.command(name="link")
    async def link(self, interaction: discord.Interaction) -> None:
        """Get a private calendar link with your sessions and plan deadlines."""
        member = guild_member(interaction)
        if await store.has_calendar_token(self.bot.db, member.id):
            await interaction.response.send_message(
                "You already have a calendar link. For your safety Cohort keeps only a fingerprint of it, so it "
                "cannot be shown again. Lost it? `/calendar reset` gives you a new one (the old one then stops "
                "working).", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        token = await store.new_calendar_token(self.bot.db, self.bot.clock, user_id=member.id,
                                               guild_id=member.guild.id)
        await self._send_link(interaction, token, reset=False)

    @calendar.command(name="reset")
    async def reset(self, interaction: discord.Interaction) -> None:
        """Replace your calendar link with a new one; the old link stops working."""
        member = guild_member(interaction)
        token = await store.new_calendar_token(self.bot.db, self.bot.clock, user_id=member.id,
                                               guild_id=member.guild.id)
        await self._send_link(interaction, token, reset=True)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Web(bot))
