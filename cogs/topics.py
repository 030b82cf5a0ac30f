"""/topic: list, join and leave topics; organisers add, edit and remove them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import topics
from bot.core import CohortBot
from bot.errors import InvalidInput, NotAllowed
from bot.topics import DESCRIPTION_MAX, Topic
from bot.ui.autocomplete import topic_autocomplete
from bot.ui.checks import guild_member, require
from bot.ui.paging import Page, clamp_page, page_footer, page_view
from bot.ui.render import COLOUR, NO_PINGS, cut, safe

PER_PAGE = 10
# Ten fields of at most 150 + 420 characters stay inside Discord's 6,000 per message, however much
# escaping the names and descriptions need.
FIELD_NAME_USED = 150
FIELD_VALUE_USED = 420


def assignable_role(guild: discord.Guild, topic: Topic) -> discord.Role:
    """The topic's role, if the bot is able to hand it out; otherwise say what is wrong."""
    if topic.role_id is None:
        raise InvalidInput(f"Topic **{safe(topic.name, 100)}** has no role to join; an organiser can give it one "
                           "with `/topic edit`.")
    role = guild.get_role(topic.role_id)
    if role is None:
        raise InvalidInput(f"The role of **{safe(topic.name, 100)}** no longer exists; an organiser can set a new "
                           "one with `/topic edit`.")
    me = guild.me
    if not me.guild_permissions.manage_roles:
        raise NotAllowed("I need the **Manage Roles** permission to hand out topic roles; ask an admin.")
    if role.managed or role >= me.top_role:
        raise NotAllowed(f"I cannot assign {role.mention}: it is above my highest role (or managed by an "
                         "integration). An admin can move my role above it in Server Settings → Roles.")
    return role


def validate_topic_role(role: discord.Role | None) -> None:
    if role is not None and (role.is_default() or role.managed):
        raise InvalidInput("Pick a normal role for a topic, not @everyone or a bot's own role.")


class Topics(commands.GroupCog, group_name="topic"):
    """What this community learns about."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.pagers["topics"] = self.render_page

    async def render_page(self, interaction: discord.Interaction, state: str, page: int) -> Page:
        assert interaction.guild is not None
        found = await topics.list_topics(self.bot.db, interaction.guild.id)
        page, pages = clamp_page(page, len(found), PER_PAGE)
        usage = await topics.usage_by_topic(self.bot.db, interaction.guild.id)
        embed = discord.Embed(title="Topics", colour=COLOUR)
        if not found:
            embed.description = "No topics yet. Organisers add them with `/topic add`."
        for topic in found[page * PER_PAGE:(page + 1) * PER_PAGE]:
            embed.add_field(name=cut(f"{safe(topic.name, 105)} ({topic.slug})", FIELD_NAME_USED),
                            value=self._topic_summary(interaction.guild, topic, usage.get(topic.id, {})),
                            inline=False)
        embed.set_footer(text=page_footer(page, pages, len(found), "topics"))
        return Page(embed, page, pages)

    def _topic_summary(self, guild: discord.Guild, topic: Topic, usage: dict[str, int]) -> str:
        parts = [safe(topic.description, DESCRIPTION_MAX) or "*No description.*"]
        where = []
        if topic.channel_id:
            where.append(f"<#{topic.channel_id}>")
        if topic.role_id:
            role = guild.get_role(topic.role_id)
            where.append(f"<@&{topic.role_id}> ({len(role.members) if role else 0} members)")
        where.extend(f"{count} {noun}" for noun, count in usage.items())
        if where:
            parts.append(" · ".join(where))
        return cut("\n".join(parts), FIELD_VALUE_USED)

    @app_commands.command(name="list")
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction) -> None:
        """Show the topics with their channel, role and counts."""
        page = await self.render_page(interaction, "all", 0)
        view = page_view("topics", "all", page)
        await interaction.response.send_message(embed=page.embed, view=view, allowed_mentions=NO_PINGS)

    @app_commands.command(name="join")
    @app_commands.guild_only()
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="The topic to join")
    async def join(self, interaction: discord.Interaction, topic: str) -> None:
        """Join a topic and get its role."""
        member = guild_member(interaction)
        found = await topics.get_topic(self.bot.db, member.guild.id, topic)
        role = assignable_role(member.guild, found)
        if role in member.roles:
            raise InvalidInput(f"You are already in **{safe(found.name, 100)}**.")
        await member.add_roles(role, reason="Joined a topic with /topic join")
        await interaction.response.send_message(f"You joined **{safe(found.name, 100)}** and got {role.mention}.",
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="leave")
    @app_commands.guild_only()
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="The topic to leave")
    async def leave(self, interaction: discord.Interaction, topic: str) -> None:
        """Leave a topic and drop its role."""
        member = guild_member(interaction)
        found = await topics.get_topic(self.bot.db, member.guild.id, topic)
        role = assignable_role(member.guild, found)
        if role not in member.roles:
            raise InvalidInput(f"You are not in **{safe(found.name, 100)}**.")
        await member.remove_roles(role, reason="Left a topic with /topic leave")
        await interaction.response.send_message(f"You left **{safe(found.name, 100)}**.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="add")
    @app_commands.guild_only()
    @app_commands.describe(slug="Short id such as ml-in-browsers", name="Display name",
                           description="One line on what the topic covers",
                           channel="Where this topic's posts go", role="Role members get when they join")
    async def add(self, interaction: discord.Interaction, slug: str, name: str, description: str,
                  channel: discord.TextChannel | None = None, role: discord.Role | None = None) -> None:
        """Add a topic (Manage Server)."""
        member = require(interaction, manage_guild=True)
        validate_topic_role(role)
        topic = await topics.add_topic(self.bot.db, self.bot.clock, guild_id=member.guild.id, slug=slug,
                                       name=name, description=description,
                                       channel_id=channel.id if channel else None,
                                       role_id=role.id if role else None)
        await interaction.response.send_message(f"Added topic **{safe(topic.name, 100)}** (`{topic.slug}`).",
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="edit")
    @app_commands.guild_only()
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="The topic to change", name="New display name", description="New description",
                           channel="New channel", role="New role", clear_channel="Remove the channel",
                           clear_role="Remove the role")
    async def edit(self, interaction: discord.Interaction, topic: str, name: str | None = None,
                   description: str | None = None, channel: discord.TextChannel | None = None,
                   role: discord.Role | None = None, clear_channel: bool = False,
                   clear_role: bool = False) -> None:
        """Change a topic's name, description, channel or role (Manage Server)."""
        member = require(interaction, manage_guild=True)
        validate_topic_role(role)
        changes: dict[str, int | None] = {}
        if channel or clear_channel:
            changes["channel_id"] = None if clear_channel else channel.id  # type: ignore[union-attr]
        if role or clear_role:
            changes["role_id"] = None if clear_role else role.id  # type: ignore[union-attr]
        updated = await topics.edit_topic(self.bot.db, guild_id=member.guild.id, slug=topic, name=name,
                                          description=description, **changes)  # type: ignore[arg-type]
        await interaction.response.send_message(f"Updated topic **{safe(updated.name, 100)}**.",
                                                allowed_mentions=NO_PINGS)

    @app_commands.command(name="remove")
    @app_commands.guild_only()
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(topic="The topic to remove", force="Remove even if things are filed under it")
    async def remove(self, interaction: discord.Interaction, topic: str, force: bool = False) -> None:
        """Remove a topic (Manage Server); refused while it is in use unless forced."""
        member = require(interaction, manage_guild=True)
        removed = await topics.remove_topic(self.bot.db, guild_id=member.guild.id, slug=topic, force=force)
        await interaction.response.send_message(f"Removed topic **{safe(removed.name, 100)}**.",
                                                allowed_mentions=NO_PINGS)


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Topics(bot))
