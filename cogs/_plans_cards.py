"""What study plans look like on Discord: the week card, the catch-up card, lists, check-in cards.

Everything members or organisers typed (titles, goals, check-ins) is escaped; times are Discord
timestamps, so every reader sees them in their own timezone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import discord

from bot.plans.checkins import Checkin
from bot.plans.model import ItemKind, PlanStatus
from bot.plans.store import Item, Plan, Unit, current_week, due_at, week_start
from bot.text import counted
from bot.ui.render import COLOUR, COLOUR_OK, CONTENT, EMBED_DESCRIPTION, FIELD_VALUE, cut, safe, when

KIND_ICONS = {ItemKind.READING: "📖", ItemKind.VIDEO: "🎬", ItemKind.EXERCISE: "✏️", ItemKind.ASSIGNMENT: "📝",
              ItemKind.PROJECT: "🛠️", ItemKind.DISCUSSION: "💬"}
STATUS_TEXT = {PlanStatus.DRAFT: "draft (not started)", PlanStatus.RUNNING: "running", PlanStatus.PAUSED: "paused",
               PlanStatus.FINISHED: "finished"}
THREAD_NAME_MAX = 100


def week_name(unit: Unit) -> str:
    """The thread's name: "Week 3 · Data management"."""
    return cut(f"Week {unit.number} · {unit.title}", THREAD_NAME_MAX)


def link(title: str, url: str | None) -> str:
    """An escaped title, linked when the item has a URL (parentheses encoded so the link stays whole)."""
    text = safe(title, 200)
    if not url:
        return f"**{text}**"
    return f"[{text}]({quote(url, safe=':/?#[]@!$&*+,;=%-._~')})"


def item_line(plan: Plan, item: Item, *, done: bool | None = None) -> str:
    parts = [f"{'✅' if done else KIND_ICONS[item.kind]} {link(item.title, item.url)}"]
    if item.minutes:
        parts.append(duration(item.minutes))
    if not item.required:
        parts.append("optional")
    if item.resource_id is not None:
        parts.append(f"library #{item.resource_id}")
    deadline = due_at(plan, item)
    if deadline is not None:
        parts.append(f"due {when(deadline, 'f')}")
    elif item.due is not None:
        parts.append(f"due day {item.due.day + 1}, {item.due.minute // 60:02}:{item.due.minute % 60:02}")
    return " · ".join(parts)


def duration(minutes: int) -> str:
    """``45`` → "45 min", ``90`` → "1 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part)


def lines_within(lines: list[str], limit: int, more: str) -> str:
    """Join lines, ending with "… +N more" when they do not all fit in ``limit``."""
    text = ""
    for index, line in enumerate(lines):
        tail = f"\n… +{len(lines) - index} more {more}"
        if len(text) + len(line) + 1 + len(tail) > limit:
            return text + tail
        text += ("\n" if text else "") + line
    return text


LATE_AFTER = timedelta(minutes=10)  # a week card posted later than this after its start says so


def week_embed(plan: Plan, unit: Unit, items: list[Item], *, done: set[int] | None = None,
               heading: str | None = None, posted_at: datetime | None = None) -> discord.Embed:
    """A week: its goals, its items with kind icons, links and due times (``done`` ticks the viewer's;
    ``posted_at`` well after the start says the card comes late)."""
    embed = discord.Embed(title=cut(heading or f"Week {unit.number} · {safe(unit.title, 200)}", 256),
                          colour=COLOUR_OK)
    parts = []
    begins = week_start(plan, unit.number)
    if begins is not None and posted_at is not None and posted_at - begins > LATE_AFTER:
        parts.append(f"Started {when(begins, 'F')} ({when(begins, 'R')}); posted late, as I was offline then.")
    elif begins is not None:
        parts.append(f"Starts {when(begins, 'F')}")
    if unit.goals:
        parts.append("**Goals**\n" + "\n".join(f"• {safe(goal, 300)}" for goal in unit.goals))
    lines = [item_line(plan, item, done=item.id in done if done is not None else None) for item in items]
    head = "\n\n".join(parts)
    body = lines_within(lines, EMBED_DESCRIPTION - len(head) - 20, "items (`/plan show`)") if lines \
        else "No items this week."
    embed.description = f"{head}\n\n**Items**\n{body}" if head else f"**Items**\n{body}"
    embed.set_footer(text=cut(f"{plan.title} · {plan.slug} · mark what you finished below, or with /plan done", 2048))
    return embed


def catch_up_embed(plan: Plan, units: list[Unit], items: list[Item]) -> discord.Embed:
    """Weeks posted late after downtime, together: one line per week (however many weeks were missed)."""
    first, last = units[0].number, units[-1].number
    weeks = f"week {first}" if first == last else f"weeks {first}–{last}"
    embed = discord.Embed(title=cut(f"Catching up: {weeks} of {safe(plan.title, 150)}", 256), colour=COLOUR)
    lines = []
    for unit in units:
        mine = [item for item in items if item.unit_id == unit.id]
        kinds = sorted({item.kind for item in mine}, key=list(KIND_ICONS).index)
        lines.append(f"**Week {unit.number} · {safe(unit.title, 150)}** · {counted(len(mine), 'item')} "
                     f"{''.join(KIND_ICONS[kind] for kind in kinds)} · `/plan show week:{unit.number}`")
    head = (f"I was offline while {'this week' if first == last else 'these weeks'} ran, so here "
            f"{'it is' if first == last else 'they are'} in short. Mark what you finished with `/plan done`.\n\n")
    embed.description = head + lines_within(lines, EMBED_DESCRIPTION - len(head), "weeks")
    embed.set_footer(text=cut(f"{plan.title} · {plan.slug}", 2048))
    return embed


def started_text(plan: Plan, now: datetime) -> str:
    """/plan start's answer: when week 1 starts, or which week is running (a start today, or backfilled)."""
    begins = week_start(plan, 1)
    current = current_week(plan, now)
    if begins is not None and begins > now:
        when_text = f"starts {when(begins, 'F')}"
    elif current is not None and (running := week_start(plan, current)) is not None:
        when_text = f"is running: week {current} began {when(running, 'R')}, and its card goes out now"
    else:
        when_text = "has already run its course"
    return (f"**{safe(plan.title, 200)}** {when_text} ({plan.timezone}). Each week's card goes to "
            f"<#{plan.channel_id}> at the start of the week.")


def plan_line(plan: Plan, cohort: int, now: datetime) -> tuple[str, str]:
    """A plan as one field of /plan list."""
    status = STATUS_TEXT[plan.status]
    current = current_week(plan, now)
    if current is not None and plan.status is PlanStatus.RUNNING:
        status = f"week {current} of {plan.unit_count}"
    elif plan.status is PlanStatus.RUNNING and (begins := week_start(plan, 1)) and begins > now:
        status = f"starts {when(begins, 'R')}"
    value = f"`{plan.slug}` · {counted(plan.unit_count, 'week')} · {counted(cohort, 'member')} · {status}"
    if plan.channel_id:
        value += f" · <#{plan.channel_id}>"
    return cut(safe(plan.title, 200), 256), value


def overview_embed(plan: Plan, units: list[Unit], items: list[Item], cohort: int, now: datetime,
                   topic_name: str | None) -> discord.Embed:
    """/plan show without a week: the plan, its schedule and its weeks."""
    embed = discord.Embed(title=cut(safe(plan.title, 200), 256), colour=COLOUR)
    if plan.description:
        embed.description = safe(plan.description, 1500)
    _, value = plan_line(plan, cohort, now)
    embed.add_field(name="Status", value=value, inline=False)
    if topic_name:
        embed.add_field(name="Topic", value=safe(topic_name, 100))
    if plan.timezone:
        embed.add_field(name="Timezone", value=plan.timezone)
    lines = []
    for unit in units:
        count = sum(1 for item in items if item.unit_id == unit.id)
        begins = week_start(plan, unit.number)
        lines.append(f"**W{unit.number}** · {safe(unit.title, 120)} · {counted(count, 'item')}"
                     + (f" · {when(begins, 'D')}" if begins else ""))
    embed.add_field(name="Weeks", value=lines_within(lines, FIELD_VALUE, "weeks") or "none", inline=False)
    embed.set_footer(text="/plan show week:N shows a week · /plan join to take part")
    return embed


def checkin_embed(member: discord.abc.User, checkin: Checkin) -> discord.Embed:
    """A member's check-in, posted in the week's thread (a mention in an embed pings nobody)."""
    embed = discord.Embed(title=cut(f"Check-in · {safe(getattr(member, 'display_name', member.name), 200)}", 256),
                          colour=COLOUR_OK)
    embed.description = f"<@{checkin.user_id}> · week {checkin.unit.number}"
    for label, text in (("Did", checkin.did), ("Next", checkin.next), ("Blocked by", checkin.blockers)):
        if text:
            embed.add_field(name=label, value=safe(text, FIELD_VALUE), inline=False)
    return embed


def checkin_call_text(plan: Plan, unit: Unit) -> str:
    return cut(f"🗓️ **Week {unit.number}** of **{safe(plan.title, 200)}** ends soon. How did it go? Check in "
               "with the button: what you did, what's next, what blocks you. (`/plan checkin private:True` keeps "
               "yours private.)", CONTENT)


def deadline_text(plan: Plan, items: list[Item], due: datetime, *, mentions: str = "") -> str:
    names = ", ".join(f"**{safe(item.title, 150)}**" for item in items[:10])
    more = f" and {len(items) - 10} more" if len(items) > 10 else ""
    head = (f"⏰ Due {when(due, 'R')} ({when(due, 'f')}) in **{safe(plan.title, 150)}**: {names}{more}. "
            "Mark it with `/plan done` once finished.")
    return cut(head, CONTENT - len(mentions) - 1) + (f"\n{mentions}" if mentions else "")
