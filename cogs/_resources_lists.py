"""The resource lists (/resource list, saved, broken) and their pages, which keep working after a restart.

The page buttons carry the list in a short state string: ``s`` (saved), ``b`` (broken) or
``l<topic id>.<sort t|n>.<level b|i|a|->.<kind|->`` (a topic's list).
A helper of ``cogs/resources.py``: it imports nothing from the cog.
"""

from __future__ import annotations

import re

import discord

from bot import resources, topics
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.resources.library import Sort
from bot.ui import paging
from bot.ui.checks import guild_member, require
from bot.ui.render import NO_PINGS, safe
from cogs._resources_cards import page_embed

LIST_STATE = re.compile(r"^l(?P<topic>\d{1,20})\.(?P<sort>[tn])\.(?P<level>[bia-])\.(?P<kind>[a-z]{1,8}|-)$")
LEVEL_CODES = {"beginner": "b", "intermediate": "i", "advanced": "a"}


def topic_list_state(topic_id: int, sort: Sort, level: str | None, kind: str | None) -> str:
    """The state string of a topic's list with its filters."""
    return f"l{topic_id}.{sort[0]}.{LEVEL_CODES[level] if level else '-'}.{kind or '-'}"


class ResourceLists:
    """Renders any page of any resource list from its state string."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    async def render_page(self, interaction: discord.Interaction, state: str, page: int) -> paging.Page:
        """Pages of /resource list ("l…"), /resource saved ("s") and /resource broken ("b")."""
        guild_id = guild_member(interaction).guild.id
        if state == "s":
            found = await resources.saved_resources(self.bot.db, guild_id, interaction.user.id, page=page)
            embed = page_embed("Your saved resources", found, "Nothing saved yet: press **Save** on a card.")
        elif state == "b":
            require(interaction, manage_messages=True)
            found = await resources.broken_resources(self.bot.db, guild_id, page=page)
            embed = page_embed("Broken links", found, "No link has failed two weekly checks in a row.")
        else:
            match = LIST_STATE.match(state)
            if match is None:
                raise InvalidInput("This list is no longer available; run `/resource list` again.")
            topic = await topics.get_topic_by_id(self.bot.db, guild_id, int(match["topic"]))
            if topic is None:
                raise InvalidInput("That topic was removed; `/topic list` shows the topics.")
            level = next((name for name, code in LEVEL_CODES.items() if code == match["level"]), None)
            kind = None if match["kind"] == "-" else match["kind"]
            sort: Sort = "top" if match["sort"] == "t" else "new"
            found = await resources.list_resources(self.bot.db, guild_id, topic.id, sort=sort, level=level,
                                                   kind=kind, page=page)
            filters = " · ".join(f for f in (level, kind) if f)
            title = f"{safe(topic.name, 150)}: {'top' if sort == 'top' else 'newest'} resources"
            embed = page_embed(title + (f" ({filters})" if filters else ""), found,
                               "Nothing here yet. Share the first one with `/resource add`.")
        return paging.Page(embed, found.page, found.pages)

    async def send_list(self, interaction: discord.Interaction, state: str, *, ephemeral: bool) -> None:
        page = await self.render_page(interaction, state, 0)
        await interaction.response.send_message(embed=page.embed, view=paging.page_view("resources", state, page),
                                                ephemeral=ephemeral, allowed_mentions=NO_PINGS)
