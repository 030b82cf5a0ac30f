"""Previous/Next buttons that keep working after a restart, for any feature's lists.

A feature registers a renderer under its name (``bot.pagers["resources"] = render``). The buttons
carry the feature, a short state string the renderer understands (topic, sort, …) and the page
they were on: ``resources:next:mlops.top:2``. Nothing about the list is kept in memory.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.errors import InvalidInput
from bot.text import counted
from bot.ui.render import NO_PINGS

CUSTOM_ID_MAX = 100


@dataclass(frozen=True)
class Page:
    """One rendered page; ``page`` is 0-based and already clamped to ``0 .. pages-1``."""

    embed: discord.Embed
    page: int
    pages: int


PageRenderer = Callable[[discord.Interaction, str, int], Awaitable[Page]]


def clamp_page(page: int, total: int, per_page: int) -> tuple[int, int]:
    """Return ``(page, pages)`` with ``page`` inside the list; an empty list has one page."""
    pages = max(1, -(-total // per_page))
    return min(max(page, 0), pages - 1), pages


def page_footer(page: int, pages: int, total: int, noun: str) -> str:
    """``Page 1/2 · 12 resources``; ``noun`` is the plural, and a count of one drops its final "s"."""
    return f"Page {page + 1}/{pages} · {counted(total, noun.removesuffix('s'), noun)}"


def page_view(feature: str, state: str, page: Page) -> discord.ui.View:
    """Buttons for a page; no buttons when everything fits on one page."""
    view = discord.ui.View(timeout=None)
    if page.pages <= 1:
        return view
    for action, label, disabled in (("prev", "Previous", page.page <= 0),
                                    ("next", "Next", page.page >= page.pages - 1)):
        custom_id = f"{feature}:{action}:{state}:{page.page}"
        if len(custom_id) > CUSTOM_ID_MAX:
            raise ValueError(f"page state too long for a custom id: {custom_id!r}")
        view.add_item(PageButton(discord.ui.Button(label=label, custom_id=custom_id, disabled=disabled,
                                                   style=discord.ButtonStyle.secondary)))
    return view


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"(?P<feature>[a-z_]+):(?P<action>prev|next):(?P<state>[^:]*):(?P<page>\d{1,6})"):
    """A Previous or Next button; any feature's, any message's, before or after a restart."""

    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> PageButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        from bot.tree import report_interaction_error

        match = self.__discord_ui_compiled_template__.fullmatch(self.item.custom_id or "")
        assert match is not None
        feature, action, state = match["feature"], match["action"], match["state"]
        wanted = int(match["page"]) + (1 if action == "next" else -1)
        try:
            renderer = getattr(interaction.client, "pagers", {}).get(feature)
            if renderer is None:
                raise InvalidInput("This list is no longer available; run the command again.")
            page = await renderer(interaction, state, wanted)
            await interaction.response.edit_message(embed=page.embed, view=page_view(feature, state, page),
                                                    allowed_mentions=NO_PINGS)
        except Exception as error:
            await report_interaction_error(interaction, error)
