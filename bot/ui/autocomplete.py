"""Autocompletes shared by every feature."""

from __future__ import annotations

from discord import Interaction, app_commands

from bot import topics
from bot.guild_config import suggest_timezones
from bot.ui.render import cut


async def topic_autocomplete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The guild's topics: the name is shown, the slug is sent; matches slug or name, any case."""
    if interaction.guild_id is None:
        return []
    db = interaction.client.db  # type: ignore[attr-defined]
    found = await topics.search_topics(db, interaction.guild_id, current[:100])
    return [app_commands.Choice(name=cut(t.name, 100), value=t.slug) for t in found]


async def timezone_autocomplete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """IANA names: typing "berl" offers Europe/Berlin."""
    return [app_commands.Choice(name=zone, value=zone) for zone in suggest_timezones(current[:64])]
