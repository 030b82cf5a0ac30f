"""What study buddies look like on Discord: the preview, the intro, the DM and the cards.

A private helper of ``cogs/buddies.py``: everything members typed is shown escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import discord

from bot.buddies import cadence
from bot.buddies.history import MeetRate, MemberStatus
from bot.buddies.intro import Intro, IntroMember
from bot.buddies.model import ANSWER_WORDS, BuddySettings, Group, Round
from bot.text import counted
from bot.ui.render import (
    COLOUR,
    COLOUR_OK,
    COLOUR_WARN,
    CONTENT,
    EMBED_DESCRIPTION,
    FIELD_VALUE,
    clean,
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


def preview_embed(found: Round, settings: BuddySettings, *, result: str | None = None,
                  threads_problem: str | None = None, sitting_out: int = 0) -> discord.Embed:
    """The organisers' preview of a round (and, once confirmed, what became of it)."""
    people = sum(len(g.members) for g in found.groups)
    lines = [group_line(i, g, settings.cooldown_rounds) for i, g in enumerate(found.groups[:PREVIEW_GROUPS_SHOWN], 1)]
    if len(found.groups) > PREVIEW_GROUPS_SHOWN:
        lines.append(f"…and {counted(len(found.groups) - PREVIEW_GROUPS_SHOWN, 'more group')}.")
    head = f"**{counted(people, 'member')}** in **{counted(len(found.groups), 'group')}**."
    if sitting_out:
        head += f" {counted(sitting_out, 'member')} paused or skipping sit this one out."
    if threads_problem:
        head += f"\n⚠ Groups will be told by DM, because I cannot create private threads: {threads_problem}"
    else:
        head += f" Each group gets a private thread in <#{settings.channel_id}>."
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


def zone_line(member: IntroMember) -> str:
    if member.timezone is None:
        return "no timezone set yet (`/timezone set` lets your buddies see it)"
    return f"{safe(member.timezone, 60)} ({member.utc_offset})"


def intro_text(group: Group, intro: Intro, *, gone: Sequence[int] = (), by_dm: bool = False) -> str:
    """The group's first message: who, what they share, their notes and time zones, a time, a suggestion."""
    lines = [f"👋 {mentions(group.user_ids)}: you are study buddies this round!"]
    lines += intro_body(intro, gone=gone, by_dm=by_dm)
    return cut("\n".join(lines), CONTENT)


def intro_body(intro: Intro, *, gone: Sequence[int] = (), by_dm: bool = False) -> list[str]:
    lines = []
    if intro.shared_topics:
        lines.append(f"**You share:** {safe(', '.join(intro.shared_topics), 400)}")
    if intro.some_topics:
        lines.append(f"**Some of you share:** {safe(', '.join(intro.some_topics), 300)}")
    if not intro.shared_topics and not intro.some_topics:
        lines.append("**No topic in common this time:** a chance to hear what the others are learning.")
    for member in intro.members:
        if member.user_id in gone:
            lines.append(f"• <@{member.user_id}>: has left the server, so it is the rest of you this round.")
            continue
        note = f" — “{safe(member.note, 220)}”" if member.note else ""
        lines.append(f"• <@{member.user_id}>: {zone_line(member)}{note}")
    if intro.suggested_time is not None:
        lines.append(f"🕒 A time in everyone's daytime: {when(intro.suggested_time, 'F')} (shown in your own "
                     "time zone); pick another if it does not suit.")
    if intro.plan_week is not None:
        week = intro.plan_week
        title = safe(f"{week.plan_title}, week {week.number}: {week.unit_title}", 200)
        linked = f"[{title}]({week.link})" if week.link else f"**{title}**"
        items = f" ({safe('; '.join(week.items), 300)})" if week.items else ""
        lines.append(f"💡 Explain one of this week's items to each other: {linked}{items}.")
    else:
        lines.append("💡 Find 30 minutes for a call and tell each other what you are learning and where you are "
                     "stuck.")
    where = "by DM" if by_dm else "here"
    if intro.checkback_at is not None:
        lines.append(f"On {when(intro.checkback_at, 'F')} ({when(intro.checkback_at, 'R')}) I will ask {where} "
                     "whether you met.")
    else:
        lines.append(f"Halfway through the round I will ask {where} whether you met.")
    return lines


def dm_text(guild_name: str, group: Group, intro: Intro, user_id: int, reason: str,
            names: Mapping[int, str]) -> str:
    """The intro by DM, for a member who has no thread (or cannot see it): who to write to, and why."""
    others = [f"**{safe(names[u], 80)}** (<@{u}>)" if u in names else f"<@{u}>" for u in group.user_ids if u != user_id]
    listed = others[0] if len(others) == 1 else ", ".join(others[:-1]) + " and " + others[-1]
    head = (f"👋 Your study buddies this round in **{safe(guild_name, 100)}**: {listed}. {reason}, so send them a "
            "message to say hello.")
    return cut("\n".join([head, *intro_body(intro, by_dm=True)]), CONTENT)


def alone_text(guild_name: str, next_at: datetime | None) -> str:
    after = f" ({when(next_at, 'F')})" if next_at else ""
    return (f"No one else is in this round of study buddies in **{safe(guild_name, 100)}**, so there is no buddy for "
            f"you this time. You stay in the pool for the next round{after}.")


def checkback_text(group: Group, *, by_dm: bool, answers: bool = False) -> str:
    """ "Did you meet?": in the thread addressed to the members still here, by DM naming the group;
    once someone answered, with the answers so far."""
    if by_dm:
        text = (f"Did you meet your study buddies this round ({mentions(group.user_ids)})? Tell me with a button "
                "below; a **Yes** counts towards your participation.")
    else:
        text = (f"{mentions(checkback_pings(group))}: did you meet? Tell me with a button below; a **Yes** counts "
                "towards your participation.")
    if answers:
        given = [f"<@{m.user_id}>: {ANSWER_WORDS[m.answer]}" for m in group.members if m.answer]
        if given:
            text += "\nSo far: " + " · ".join(given)
    return cut(text, CONTENT)


def checkback_pings(group: Group) -> list[int]:
    """Who the thread's check-back is for (and pings: in a thread, unpinged messages go unseen)."""
    return [m.user_id for m in group.members if m.left_at is None] or list(group.user_ids)


def thread_name(group: Group, names: Mapping[int, str]) -> str:
    """``"Alice & Bob · study buddies · #12"``: who is in it, for the members' thread list; it ends with
    :func:`thread_suffix`, so a thread a crash left unrecorded can be found again (names may change)."""
    people = [clean(names.get(u, "")).strip() or "a member" for u in group.user_ids]
    who = people[0] if len(people) == 1 else ", ".join(people[:-1]) + " & " + people[-1]
    suffix = thread_suffix(group)
    return cut(f"{who} · study buddies", THREAD_NAME_MAX - len(suffix)) + suffix


def thread_suffix(group: Group) -> str:
    return f" · #{group.id}"


def show_embed(settings: BuddySettings, zone: str, next_at: datetime, opted_in: int, sitting_out: int,
               rates: list[MeetRate], warnings: list[str]) -> discord.Embed:
    embed = discord.Embed(title="Study buddies", colour=COLOUR_WARN if warnings else COLOUR)
    size = "pairs" if settings.group_size == 2 else "trios"
    schedule = cadence.describe(settings.cadence, settings.weekday, settings.hour, zone)
    embed.add_field(name="Settings", inline=False, value=(
        f"Threads in <#{settings.channel_id}>, {size}, {schedule}.\n"
        f"Nobody meets the same buddy again within {cadence.rounds_span(settings.cadence, settings.cooldown_rounds)}."))
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
        state = f"Paused until {when(status.paused_until, 'D')}; `/buddy resume` brings you back sooner."
    elif status.skip_next:
        state = "Opted in, sitting out the next round; `/buddy resume` undoes it."
    else:
        state = "Opted in."
    embed = discord.Embed(title="Your study buddies", description=state, colour=COLOUR)
    if status.opted_in:
        embed.add_field(name="Topics", value=safe(", ".join(topic_names), FIELD_VALUE) or "none picked")
        embed.add_field(name="Note", value=safe(status.note, FIELD_VALUE) or "none")
    if next_at is not None:
        embed.add_field(name="Next round", value=when_both(next_at), inline=False)
    if status.current is not None and len(status.current.members) > 1 and status.current_round is not None:
        where = (f" in <#{status.current.thread_id}>" if status.current.thread_status == "created"
                 and status.current.thread_id else " (told by DM: write to them directly)"
                 if status.current.thread_status == "dm" else "")
        buddies = ", ".join(f"<@{m.user_id}>" + (" (has left the server)" if m.left_at else "")
                            for m in status.current.members if m.user_id != user_id)
        embed.add_field(name="This round's buddies", inline=False, value=cut(buddies + where, FIELD_VALUE))
    embed.add_field(name="Rounds taken part in", value=str(status.rounds_taken))
    return embed

