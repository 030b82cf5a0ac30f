"""The plans' components: "Mark done" on week cards, the Check in button and modal, and Join.

They are ``DynamicItem``s with custom ids ``plan:done:<unit_id>``, ``plan:checkin:<unit_id>`` and
``plan:join:<plan_id>``, so they keep working after a restart; each hands its click to the cog.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core import CohortBot
from bot.plans import files, progress, store
from bot.plans.checkins import FIELD_MAX
from bot.plans.store import Item, Plan, Unit
from bot.ui.render import cut

OPTIONS_PER_SELECT = 25  # Discord's limit; a week of up to 50 items gets a second menu (":p2")


class PlansHandler(Protocol):
    """The cog methods the components call."""

    async def done_from_select(self, interaction: discord.Interaction, unit_id: int, item_ids: list[int]) -> None: ...

    async def open_checkin(self, interaction: discord.Interaction, unit_id: int, private: bool) -> None: ...

    async def join_from_button(self, interaction: discord.Interaction, plan_id: int) -> None: ...


def _handler(interaction: discord.Interaction) -> PlansHandler:
    cog = interaction.client.get_cog("Plans")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the plans feature is not loaded")
    return cog  # type: ignore[no-any-return]


async def _guarded(interaction: discord.Interaction, action: Any) -> None:
    from bot.tree import report_interaction_error

    try:
        await action
    except Exception as error:
        await report_interaction_error(interaction, error)


class DoneSelect(discord.ui.DynamicItem[discord.ui.Select[Any]],
                 template=r"plan:done:(?P<unit>\d{1,20})(?::p(?P<page>\d))?"):
    """"Mark done" on a week card: pick the items you finished."""

    def __init__(self, item: discord.ui.Select[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> DoneSelect:
        assert isinstance(item, discord.ui.Select)
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        match = self.__discord_ui_compiled_template__.fullmatch(self.item.custom_id or "")
        assert match is not None
        values = [int(value) for value in self.item.values if value.isdigit()]
        await _guarded(interaction, _handler(interaction).done_from_select(interaction, int(match["unit"]), values))


class CheckinButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"plan:checkin:(?P<unit>\d{1,20})"):
    """"Check in" under the week's call: opens the check-in modal."""

    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> CheckinButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        match = self.__discord_ui_compiled_template__.fullmatch(self.item.custom_id or "")
        assert match is not None
        await _guarded(interaction, _handler(interaction).open_checkin(interaction, int(match["unit"]), False))


class JoinButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"plan:join:(?P<plan>\d{1,20})"):
    """Offered when someone marks an item of a plan they have not joined."""

    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> JoinButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        match = self.__discord_ui_compiled_template__.fullmatch(self.item.custom_id or "")
        assert match is not None
        await _guarded(interaction, _handler(interaction).join_from_button(interaction, int(match["plan"])))


def done_view(unit: Unit, items: list[Item]) -> discord.ui.View:
    """The week card's "Mark done" menus (one per 25 items)."""
    view = discord.ui.View(timeout=None)
    for page, start in enumerate(range(0, len(items), OPTIONS_PER_SELECT), start=1):
        chunk = items[start:start + OPTIONS_PER_SELECT]
        options = [discord.SelectOption(label=cut(item.title, 100), value=str(item.id),
                                        description="optional" if not item.required else None)
                   for item in chunk]
        custom_id = f"plan:done:{unit.id}" + (f":p{page}" if page > 1 else "")
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=custom_id, placeholder="Mark done…" if page == 1 else f"Mark done… (items {start + 1}+)",
            min_values=1, max_values=len(options), options=options)
        view.add_item(DoneSelect(select))
    return view


def checkin_view(unit: Unit) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    button: discord.ui.Button[Any] = discord.ui.Button(label="Check in", emoji="🗓️", style=discord.ButtonStyle.primary,
                                                       custom_id=f"plan:checkin:{unit.id}")
    view.add_item(CheckinButton(button))
    return view


def join_view(plan: Plan) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    button: discord.ui.Button[Any] = discord.ui.Button(label=cut(f"Join {plan.title}", 80),
                                                       style=discord.ButtonStyle.success,
                                                       custom_id=f"plan:join:{plan.id}")
    view.add_item(JoinButton(button))
    return view


class CheckinModal(discord.ui.Modal):
    """What I did, what's next, what blocks me: three fields, each optional (one must be filled)."""

    did: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="What I did", style=discord.TextStyle.paragraph, required=False, max_length=FIELD_MAX,
        custom_id="did")
    next: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="What's next", style=discord.TextStyle.paragraph, required=False, max_length=FIELD_MAX,
        custom_id="next")
    blockers: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="What blocks me", style=discord.TextStyle.paragraph, required=False, max_length=FIELD_MAX,
        custom_id="blockers")

    def __init__(self, handler: Any, unit_id: int, week: int, *, private: bool) -> None:
        title = f"Week {week} check-in" + (" (private)" if private else "")
        super().__init__(title=title, custom_id=f"plan:checkin-modal:{unit_id}:{int(private)}")
        self.handler = handler
        self.unit_id = unit_id
        self.private = private

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, self.handler.save_checkin(interaction, self.unit_id, self.private,
                                                              self.did.value, self.next.value, self.blockers.value))


# Autocompletes -------------------------------------------------------------------------------------
async def plan_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The server's plans by slug or title."""
    if interaction.guild_id is None:
        return []
    bot: CohortBot = interaction.client  # type: ignore[assignment]
    needle = current.strip().lower()[:100]
    found = [p for p in await store.list_plans(bot.db, interaction.guild_id)
             if needle in p.slug or needle in p.title.lower()]
    return [app_commands.Choice(name=cut(f"{p.title} · {p.status.value}", 100), value=p.slug) for p in found[:25]]


async def item_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Items of the current and past weeks of the plans you joined: "W3 · Feature engineering"."""
    if interaction.guild_id is None:
        return []
    bot: CohortBot = interaction.client  # type: ignore[assignment]
    choices = await reachable_items(bot, interaction.guild_id, interaction.user.id)
    needle = current.strip().lower()[:100]
    several = len({plan.id for plan, _ in choices}) > 1
    named = [(f"{item.label}" + (f" · {plan.slug}" if several else ""), item) for plan, item in choices]
    return [app_commands.Choice(name=cut(name, 100), value=str(item.id))
            for name, item in named if needle in name.lower()][:25]


async def reachable_items(bot: CohortBot, guild_id: int, user_id: int) -> list[tuple[Plan, Item]]:
    """Newest week first: what a member can mark in the plans they joined."""
    found: list[tuple[Plan, Item]] = []
    now = bot.clock.now()
    for plan_id in await progress.joined_plan_ids(bot.db, guild_id, user_id):
        plan = await store.get_plan_by_id(bot.db, plan_id)
        if plan is None:
            continue
        begun = store.weeks_begun(plan, now)
        found += [(plan, item) for item in await store.items(bot.db, plan.id) if item.unit_number <= begun]
    return sorted(found, key=lambda pair: (-pair[1].unit_number, pair[1].position))


async def example_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The example plans shipped in data/plans/."""
    needle = current.strip().lower()[:100]
    return [app_commands.Choice(name=name, value=name) for name in files.list_examples() if needle in name][:25]
