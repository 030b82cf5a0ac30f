"""What sessions look like on Discord: the announcement card, its buttons, lists, recaps."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord

from bot.sessions.model import Attendee, RsvpCounts, Session
from bot.sessions.recurrence import Repeat
from bot.sessions.timeparse import format_duration
from bot.ui.render import COLOUR, COLOUR_BAD, COLOUR_OK, FIELD_NAME, FIELD_VALUE, safe, when, when_both

RSVP_LABELS = {"going": "Going", "maybe": "Maybe", "no": "Can't"}
RSVP_STYLES = {"going": discord.ButtonStyle.success, "maybe": discord.ButtonStyle.secondary,
               "no": discord.ButtonStyle.danger}
NOTICE_TEXT_MAX = 1000

ButtonHandler = Callable[[discord.Interaction, int, str], Awaitable[None]]


def capacity_text(session: Session, counts: RsvpCounts) -> str:
    if session.capacity is None:
        return f"{counts.going} going · no limit"
    waiting = f" · {counts.waitlist} waiting" if counts.waitlist else ""
    return f"{counts.going}/{session.capacity} going{waiting}"


def repeat_text(session: Session) -> str | None:
    if session.repeat is Repeat.NONE:
        return None
    until = f" until {when(session.until, 'D')}" if session.until else ""
    return f"{session.repeat.value.capitalize()}{until}"


def card_embed(session: Session, counts: RsvpCounts, topic_name: str | None, *, now: datetime,
               going: list[int], maybe: list[int]) -> discord.Embed:
    """The announcement card: title, topic, host, start, duration, capacity, voice channel, and who
    is going or might come (mentions in an embed never ping)."""
    title = safe(session.title, 200)
    if session.cancelled:
        embed = discord.Embed(title=f"Cancelled: {title}", colour=COLOUR_BAD)
    elif session.has_ended(now):
        embed = discord.Embed(title=f"Ended: {title}", colour=COLOUR)
    else:
        embed = discord.Embed(title=title, colour=COLOUR_OK)
    if session.description:
        embed.description = safe(session.description, 1000)
    embed.add_field(name="Topic", value=safe(topic_name, 200) if topic_name else "none")
    embed.add_field(name="Host", value=f"<@{session.host_id}>")
    embed.add_field(name="Starts", value=f"{when(session.starts_at, 'F')}\n{when(session.starts_at, 'R')}",
                    inline=False)
    embed.add_field(name="Duration", value=format_duration(session.duration))
    embed.add_field(name="Places", value=capacity_text(session, counts))
    embed.add_field(name="Voice", value=f"<#{session.voice_channel_id}>" if session.voice_channel_id else "none")
    repeats = repeat_text(session)
    if repeats:
        embed.add_field(name="Repeats", value=repeats)
    if session.cancelled and session.cancel_reason:
        embed.add_field(name="Why", value=safe(session.cancel_reason, 300), inline=False)
    embed.add_field(name=f"Going ({len(going)})", value=people(going), inline=False)
    embed.add_field(name=f"Maybe ({len(maybe)})", value=people(maybe), inline=False)
    embed.set_footer(text=f"Session #{session.id}")
    return embed


def card_view(session: Session, counts: RsvpCounts, *, disabled: bool) -> discord.ui.View:
    """Going / Maybe / Can't with live counts; they keep working after a restart (dynamic items)."""
    view = discord.ui.View(timeout=None)
    tally = {"going": counts.going, "maybe": counts.maybe, "no": counts.no}
    for answer, label in RSVP_LABELS.items():
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=f"{label} ({tally[answer]})", style=RSVP_STYLES[answer], disabled=disabled,
            custom_id=f"sessions:{answer}:{session.id}")
        view.add_item(RsvpButton(button))
    return view


def waitlist_view(session_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    button: discord.ui.Button[Any] = discord.ui.Button(label="Join the waitlist", style=discord.ButtonStyle.primary,
                                                       custom_id=f"sessions:waitlist:{session_id}")
    view.add_item(RsvpButton(button))
    return view


class RsvpButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"sessions:(?P<answer>going|maybe|no|waitlist):(?P<id>\d{1,20})"):
    """An answer button on a session card (or the waitlist offer): ``sessions:going:42``."""

    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> RsvpButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        from bot.tree import report_interaction_error

        match = self.__discord_ui_compiled_template__.fullmatch(self.item.custom_id or "")
        assert match is not None
        try:
            cog = interaction.client.get_cog("Sessions")  # type: ignore[attr-defined]
            if cog is None:
                raise RuntimeError("the sessions feature is not loaded")
            await cog.answer_from_button(interaction, int(match["id"]), match["answer"])
        except Exception as error:
            await report_interaction_error(interaction, error)


def list_line(session: Session, counts: RsvpCounts, topic_name: str | None) -> tuple[str, str]:
    """A session as one embed field (name, value) in /session list."""
    # Only the title is escaped: field names render little markdown, so an escaped "\#1" shows its backslash.
    name = f"#{session.id} · {safe(session.title, FIELD_NAME - 30)}"
    parts = [when_both(session.starts_at), format_duration(session.duration), capacity_text(session, counts)]
    if topic_name:
        parts.append(safe(topic_name, 100))
    if session.voice_channel_id:
        parts.append(f"<#{session.voice_channel_id}>")
    repeats = repeat_text(session)
    if repeats:
        parts.append(repeats)
    return name, " · ".join(parts)[:FIELD_VALUE]


def people(user_ids: list[int], limit: int = FIELD_VALUE) -> str:
    """Mentions (which never ping inside an embed), cut to fit with a "+N more"."""
    text = ""
    for index, user_id in enumerate(user_ids):
        piece = f"<@{user_id}>" if not text else f", <@{user_id}>"
        rest = len(user_ids) - index
        if len(text) + len(piece) + len(f" … +{rest} more") > limit:
            return f"{text} … +{rest} more"
        text += piece
    return text or "nobody"


def attendance_lines(attendees: list[Attendee], limit: int = FIELD_VALUE) -> str:
    lines: list[str] = []
    for index, attendee in enumerate(attendees):
        line = f"<@{attendee.user_id}> · {format_duration_seconds(attendee.seconds)}"
        if sum(len(x) + 1 for x in lines) + len(line) + 20 > limit:
            lines.append(f"… +{len(attendees) - index} more")
            break
        lines.append(line)
    return "\n".join(lines) or "nobody"


def format_duration_seconds(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


def recap_embed(session: Session, attendees: list[Attendee], minimum_minutes: int, *,
                going: list[int] | None = None) -> discord.Embed:
    """The end-of-session recap: who attended; without a voice channel, who said they were going."""
    embed = discord.Embed(title=safe(f"Recap: {session.title}", 256), colour=COLOUR)
    embed.add_field(name="Session", value=f"{when(session.starts_at, 'f')} · {format_duration(session.duration)}")
    if session.voice_channel_id is None:
        going = going or []
        embed.description = "Attendance is taken only in a voice channel, and this session had none."
        embed.add_field(name="Going", value=str(len(going)))
        embed.add_field(name="Said they were going", value=people(going), inline=False)
        embed.set_footer(text=f"Session #{session.id}")
        return embed
    attended = [a for a in attendees if a.attended]
    embed.add_field(name="Attended", value=str(len(attended)))
    embed.add_field(name="Who came", value=attendance_lines(attended), inline=False)
    embed.set_footer(text=f"Session #{session.id} · attending means at least {minimum_minutes} min in voice")
    return embed


def attendance_embed(session: Session, attendees: list[Attendee], minimum_minutes: int, *,
                     final: bool) -> discord.Embed:
    attended = [a for a in attendees if a.attended]
    short = [a for a in attendees if not a.attended]
    embed = discord.Embed(title=safe(f"Attendance: {session.title}", 256), colour=COLOUR)
    if session.voice_channel_id is None:
        embed.description = "This session has no voice channel, so attendance is not taken."
        return embed
    embed.description = (f"In <#{session.voice_channel_id}> during {when(session.starts_at, 'f')} – "
                         f"{when(session.ends_at, 't')}. " + ("Final." if final else "So far."))
    embed.add_field(name=f"Attended ({len(attended)})", value=attendance_lines(attended), inline=False)
    if short:
        embed.add_field(name=f"Under {minimum_minutes} min ({len(short)})", value=attendance_lines(short),
                        inline=False)
    embed.set_footer(text=f"Session #{session.id}")
    return embed

