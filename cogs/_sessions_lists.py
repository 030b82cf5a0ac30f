"""Finding sessions on Discord: the session autocomplete and the pages of /session list.

A helper of ``cogs/sessions.py``: it imports nothing from the cog.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot import topics
from bot.core import CohortBot
from bot.sessions import rsvp, store
from bot.topics import Topic
from bot.ui.paging import Page, clamp_page, page_footer
from bot.ui.render import COLOUR, cut, safe
from cogs._sessions_cards import list_line

PER_PAGE = 8


async def session_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    """Upcoming sessions by number or title."""
    if interaction.guild_id is None:
        return []
    bot: CohortBot = interaction.client  # type: ignore[assignment]
    found = await store.list_upcoming(bot.db, bot.clock, interaction.guild_id, limit=200)
    needle = current.strip().lstrip("#").lower()
    matches = [s for s in found if not needle or needle in str(s.id) or needle in s.title.lower()]
    return [app_commands.Choice(name=cut(f"#{s.id} {s.title} · {s.starts_at:%Y-%m-%d %H:%M} UTC", 100), value=s.id)
            for s in matches[:25]]


class SessionLists:
    """Renders any page of /session list from its state string."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    async def render_page(self, interaction: discord.Interaction, state: str, page: int) -> Page:
        """One page of upcoming sessions; ``state`` is ``"<topic slug>.<mine 0|1>"``."""
        assert interaction.guild is not None
        slug, _, mine = state.rpartition(".")
        topic: Topic | None = await topics.get_topic(self.bot.db, interaction.guild.id, slug) if slug else None
        member_id = interaction.user.id if mine == "1" else None
        filters = {"topic_id": topic.id if topic else None, "member_id": member_id}
        total = await store.count_upcoming(self.bot.db, self.bot.clock, interaction.guild.id, **filters)
        page, pages = clamp_page(page, total, PER_PAGE)
        found = await store.list_upcoming(self.bot.db, self.bot.clock, interaction.guild.id, **filters,
                                          offset=page * PER_PAGE, limit=PER_PAGE)
        heading = "Your upcoming sessions" if member_id else "Upcoming sessions"
        embed = discord.Embed(title=heading + (f" · {safe(topic.name, 100)}" if topic else ""), colour=COLOUR)
        if not found:
            embed.description = "Nothing scheduled. Organisers schedule sessions with `/session schedule`."
        names = {t.id: t.name for t in await topics.list_topics(self.bot.db, interaction.guild.id)}
        counts = await rsvp.counts_for(self.bot.db, [session.id for session in found])
        for session in found:
            name, value = list_line(session, counts[session.id], names.get(session.topic_id or 0))
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(text=page_footer(page, pages, total, "sessions"))
        return Page(embed, page, pages)
