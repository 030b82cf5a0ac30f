"""What study buddies look like on Discord: the preview, the intro, the DM and the cards.

A private helper of ``cogs/buddies.py``: everything members typed is shown escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.buddies import cadence
from bot.buddies.history import MeetRate, MemberStatus
from bot.buddies.intro import Intro
from bot.buddies.model import BuddySettings, Group, Round
from bot.text import counted
from bot.ui.render import (
    COLOUR,
    COLOUR_OK,
    COLOUR_WARN,
    CONTENT,
    EMBED_DESCRIPTION,
    FIELD_VALUE,
    cut,
    safe,
    when,
    when_both,
)

PREVIEW_GROUPS_SHOWN = 40
THREAD_NAME_MAX = 100
STATUS_WORDS = {"proposed": "Waiting for Confirm", "expired": "Expired: nothing was run",
                "cancelled": "Cancelled: nothing was run", "posting": "Running: creating the threads",
                "posted": "Running", "checked": "Checked back"}


# Text --------------------------------------------------------------------------------------------------------
def mentions(user_ids: Sequence[int]) -> str:
    names = [f"<@{u}>" for u in user_ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def group_line(position: int, group: Group, cooldown_rounds: int) -> str:
    line = f"{position}. {mentions(group.user_ids)}"
    if len(group.members) == 1:
        return line + " — no one else is in this round (gets a DM)"
    if any(m.repeat for m in group.members):
        line += f" ⚠ met within the last {counted(cooldown_rounds, 'round')}: no one else was possible"
    return line


def preview_embed(found: Round, settings: BuddySettings, *, result: str | None = None) -> discord.Embed:
    people = sum(len(g.members) for g in found.groups)
    lines = [group_line(i, g, settings.cooldown_rounds) for i, g in enumerate(found.groups[:PREVIEW_GROUPS_SHOWN], 1)]
    if len(found.groups) > PREVIEW_GROUPS_SHOWN:
        lines.append(f"…and {counted(len(found.groups) - PREVIEW_GROUPS_SHOWN, 'more group')}.")
    head = (f"**{counted(people, 'member')}** in **{counted(len(found.groups), 'group')}**. "
            f"Each group gets a private thread in <#{settings.channel_id}>.")
    if found.repeats:
        head += (f"\n⚠ {counted(found.repeats, 'group')} repeat a pair from the last "
                 f"{counted(settings.cooldown_rounds, 'round')}, because those members had no one else.")
    description = cut(head + "\n\n" + "\n".join(lines), EMBED_DESCRIPTION)
    colour = COLOUR_OK if found.status in ("posting", "posted", "checked") else COLOUR
    embed = discord.Embed(title=f"Buddy round #{found.id}: {STATUS_WORDS.get(found.status, found.status)}",
                          description=description, colour=colour)
    if found.status == "proposed" and found.expires_at is not None:
        embed.add_field(name="Confirm", value=f"Only <@{found.invoker_id}> can confirm, until "
                                              f"{when(found.expires_at, 'T')} ({when(found.expires_at, 'R')}).")
    if result:
        embed.add_field(name="Result", value=cut(result, FIELD_VALUE), inline=False)
    embed.set_footer(text=f"Seed {found.seed} (the round can be replayed from it)")
    return embed


def local_time(zone: str | None, moment: datetime | None) -> str:
    if zone is None or moment is None:
        return "timezone not set (`/timezone set`)"
    return f"{moment:%H:%M} now ({zone})"


def intro_text(group: Group, intro: Intro) -> str:
    """The thread's first message: who, what they share, their notes and local times, a suggestion."""
    lines = [f"👋 {mentions(group.user_ids)}: you are study buddies this round!"]
    if intro.shared_topics:
        lines.append(f"**You share:** {safe(', '.join(intro.shared_topics), 400)}")
    if intro.some_topics:
        lines.append(f"**Some of you share:** {safe(', '.join(intro.some_topics), 300)}")
    for member in intro.members:
        note = f" — “{safe(member.note, 220)}”" if member.note else ""
        lines.append(f"• <@{member.user_id}>: {local_time(member.timezone, member.local_time)}{note}")
    if intro.plan_week is not None:
        week = intro.plan_week
        title = safe(f"{week.plan_title}, week {week.number}: {week.unit_title}", 200)
        linked = f"[{title}]({week.link})" if week.link else f"**{title}**"
        items = f" ({safe('; '.join(week.items), 300)})" if week.items else ""
        lines.append(f"💡 Explain one of this week's items to each other: {linked}{items}.")
    else:
        lines.append("💡 Find a time for a 30-minute call this week and share what you are learning.")
    lines.append("Halfway through the round I will ask here whether you met.")
    return cut("\n".join(lines), CONTENT)


def dm_text(guild_name: str, group: Group, intro: Intro, user_id: int, problem: str) -> str:
    others = [u for u in group.user_ids if u != user_id]
    head = (f"Your study buddies this round in **{safe(guild_name, 100)}**: {mentions(others)}. "
            f"(I could not open a private thread for you: {problem} Send them a message to say hello.)")
    return cut(head + "\n" + intro_text(group, intro).split("\n", 1)[1], CONTENT)


def thread_name(found: Round, group: Group) -> str:
    """Ends with ``#<group id>``, so a thread a crash left unrecorded can be found again."""
    return cut(f"Study buddies · round {found.id}", THREAD_NAME_MAX - 12) + f" · #{group.id}"


def show_embed(settings: BuddySettings, zone: str, next_at: datetime, opted_in: int, sitting_out: int,
               rates: list[MeetRate], warnings: list[str]) -> discord.Embed:
    embed = discord.Embed(title="Study buddies", colour=COLOUR_WARN if warnings else COLOUR)
    size = "pairs" if settings.group_size == 2 else "trios"
    schedule = cadence.describe(settings.cadence, settings.weekday, settings.hour, zone)
    embed.add_field(name="Settings", inline=False, value=(
        f"Threads in <#{settings.channel_id}>, {size}, {schedule}.\n"
        f"Nobody meets the same buddy again within {counted(settings.cooldown_rounds, 'round')}."))
    embed.add_field(name="Next round", value=when_both(next_at), inline=False)
    embed.add_field(name="Opted in", value=f"{opted_in} ({sitting_out} paused or skipping the next round)")
    if rates:
        lines = [f"Round #{r.round_id} ({when(r.ran_at, 'd')}): {r.met}/{r.groups} groups met"
                 + (f", {r.repeats} repeated a pair" if r.repeats else "") for r in rates]
        embed.add_field(name="Last rounds' meet rate", value=cut("\n".join(lines), FIELD_VALUE), inline=False)
    else:
        embed.add_field(name="Last rounds' meet rate", value="No round has run yet.", inline=False)
    if warnings:
        embed.add_field(name="⚠ Warnings", value=cut("\n".join(f"• {w}" for w in warnings), FIELD_VALUE),
                        inline=False)
    return embed


def status_embed(user_id: int, status: MemberStatus, topic_names: list[str],
                 next_at: datetime | None) -> discord.Embed:
    if not status.opted_in:
        state = "You have not joined study buddies; `/buddy join` signs you up."
    elif status.paused_until is not None:
        state = f"Paused until {when(status.paused_until, 'D')}."
    elif status.skip_next:
        state = "Opted in, sitting out the next round."
    else:
        state = "Opted in."
    embed = discord.Embed(title="Your study buddies", description=state, colour=COLOUR)
    if status.opted_in:
        embed.add_field(name="Topics", value=safe(", ".join(topic_names), FIELD_VALUE) or "none picked")
        embed.add_field(name="Note", value=safe(status.note, FIELD_VALUE) or "none")
    if next_at is not None:
        embed.add_field(name="Next round", value=when_both(next_at), inline=False)
    if status.current is not None and len(status.current.members) > 1 and status.current_round is not None:
        where = f" in <#{status.current.thread_id}>" if status.current.thread_id else ""
        embed.add_field(name="This round's buddies", inline=False,
                        value=mentions([u for u in status.current.user_ids if u != user_id]) + where)
    embed.add_field(name="Rounds taken part in", value=str(status.rounds_taken))
    return embed

