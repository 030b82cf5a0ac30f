"""Study buddies' buttons: DynamicItems that keep working after a restart.

A private helper of ``cogs/buddies.py``. Buttons only parse what was pressed and hand it to the
running cog, found by name and used through :class:`BuddyActions` (never by importing the cog).
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

from bot.buddies.model import ANSWER_WORDS
from bot.errors import NotFound
from bot.tree import report_interaction_error

MET_STYLES = {"yes": discord.ButtonStyle.success, "not_yet": discord.ButtonStyle.secondary,
              "no": discord.ButtonStyle.secondary}


class BuddyActions(Protocol):
    """What the buttons below ask of the Buddies cog."""

    async def run_pressed(self, interaction: discord.Interaction, action: str, round_id: int) -> None: ...
    async def met_pressed(self, interaction: discord.Interaction, group_id: int, answer: str) -> None: ...


def buddies_cog(interaction: discord.Interaction) -> BuddyActions:
    """The running Buddies cog, which the buttons hand their work to."""
    cog = interaction.client.get_cog("Buddies")  # type: ignore[attr-defined]
    if cog is None:
        raise NotFound("Study buddies are not running; try again in a moment.")
    return cast(BuddyActions, cog)


# Buttons ------------------------------------------------------------------------------------------------
class RunButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=r"buddies:(?P<action>confirm|cancel):(?P<id>\d+)"):
    """Confirm or Cancel under a round preview; only the invoker, within five minutes (checked in the database)."""

    def __init__(self, action: str, round_id: int) -> None:
        label, style = (("Confirm", discord.ButtonStyle.success) if action == "confirm"
                        else ("Cancel", discord.ButtonStyle.secondary))
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"buddies:{action}:{round_id}"))
        self.action = action
        self.round_id = round_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> RunButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await buddies_cog(interaction).run_pressed(interaction, self.action, self.round_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class MetButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=r"buddies:met:(?P<group>\d+):(?P<answer>yes|not_yet|no)"):
    """One answer to "Did you meet?" in a group's thread."""

    def __init__(self, group_id: int, answer: str) -> None:
        super().__init__(discord.ui.Button(label=ANSWER_WORDS[answer], style=MET_STYLES[answer],
                                           custom_id=f"buddies:met:{group_id}:{answer}"))
        self.group_id = group_id
        self.answer = answer

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> MetButton:
        return cls(int(match["group"]), match["answer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await buddies_cog(interaction).met_pressed(interaction, self.group_id, self.answer)
        except Exception as error:
            await report_interaction_error(interaction, error)


def run_view(round_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RunButton("confirm", round_id))
    view.add_item(RunButton("cancel", round_id))
    return view


def met_view(group_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in ANSWER_WORDS:
        view.add_item(MetButton(group_id, answer))
    return view
