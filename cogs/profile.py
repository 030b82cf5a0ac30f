"""/profile: a learner's engagement card."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CohortBot
from bot.gate import profile as gate_profile
from bot.gate.profile import member_profile
from bot.plans import progress as plan_progress
from bot.plans import settings as plan_settings
from bot.ui.checks import guild_member
from bot.ui.render import COLOUR, NO_PINGS, safe, when

STANDING_TEXT = {
    gate_profile.Standing.UNDER_REVIEW: "not yet: application under review",
    gate_profile.Standing.BEFORE_GATE: "member since before the gate",
    gate_profile.Standing.MEMBER_ROLE_GIVEN: "member role given without an application",
    gate_profile.Standing.NOT_YET: "not yet",
}


def approval_text(card: gate_profile.Profile) -> str | None:
    """The "Approved" line; None (no line) when the server has no gate."""
    if card.approved_at is not None:
        return when(card.approved_at, "D")
    return STANDING_TEXT.get(card.standing)


class Profile(commands.Cog):
    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    @app_commands.command(name="profile")
    @app_commands.guild_only()
    @app_commands.describe(member="Whose card to show (default: yours)")
    async def profile(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        """Show a learner's engagement: joined, approved, topics, sessions, resources, reviews, streak."""
        who = member or guild_member(interaction)
        await self.bot.participation.flush()
        card = await member_profile(self.bot.db, self.bot.clock, who.guild.id, who.id, joined_at=who.joined_at,
                                    role_ids={role.id for role in who.roles})
        embed = discord.Embed(title=safe(who.display_name, 256), colour=COLOUR)
        embed.set_thumbnail(url=who.display_avatar.url)
        joined = who.joined_at or card.joined_at
        embed.add_field(name="Joined", value=when(joined, "D") if joined else "unknown")
        approved = approval_text(card)
        if approved is not None:
            embed.add_field(name="Approved", value=approved)
        embed.add_field(name="Active weeks in a row", value=str(card.active_weeks_in_a_row))
        embed.add_field(name="Study sessions attended", value=str(card.totals.sessions_attended))
        embed.add_field(name="Resources shared", value=str(card.totals.resources_shared))
        embed.add_field(name="Upvotes received", value=str(card.totals.upvotes_received))
        embed.add_field(name="Work submitted", value=str(card.totals.submissions))
        embed.add_field(name="Reviews given", value=str(card.totals.reviews_given))
        plans_text = await self._plans(who, interaction.user.id)
        if plans_text:
            embed.add_field(name="Study plans", value=plans_text, inline=False)
        names = ", ".join(safe(t.name, 100) for t in card.topics)
        embed.add_field(name="Topics", value=names[:1024] or "none chosen yet", inline=False)
        last = card.totals.last_day
        embed.set_footer(text=f"{card.totals.messages} messages · last active {last.isoformat() if last else 'never'}"
                              " · counts only, never content")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _plans(self, who: discord.Member, viewer_id: int) -> str:
        """Plan progress and check-in streaks: the member's own, or shared with /plan progress share:True."""
        if who.id != viewer_id and not (await plan_settings.get(self.bot.db, who.guild.id, who.id)).share_progress:
            return ""
        found = await plan_progress.profile_summary(self.bot.db, who.guild.id, who.id, now=self.bot.clock.now())
        lines = [f"{safe(p.title, 100)}: {p.required_done}/{p.required_total} required items · "
                 f"check-in streak {p.streak}" for p in found]
        return "\n".join(lines)[:1024]


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Profile(bot))
