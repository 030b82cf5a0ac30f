"""The values study sessions are made of, and the errors their commands can raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import from_db
from bot.db import Row
from bot.errors import InvalidInput, NotFound
from bot.sessions.recurrence import Repeat


class RsvpStatus(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NO = "no"
    WAITLIST = "waitlist"


@dataclass(frozen=True)
class Session:
    """One occurrence: a one-off session, or one row of a repeating series."""

    id: int
    guild_id: int
    topic_id: int | None
    series_id: int | None
    occurrence: int
    title: str
    description: str
    host_id: int
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int | None
    voice_channel_id: int | None
    channel_id: int | None
    message_id: int | None
    ping_role: bool
    native_event: bool
    native_event_id: int | None
    cancelled: bool
    cancel_reason: str | None
    repeat: Repeat
    until: datetime | None

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def has_started(self, now: datetime) -> bool:
        return now >= self.starts_at

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_at


def session_from_row(row: Row) -> Session:
    """Build a :class:`Session` from a ``sessions`` row joined with its series (see ``SESSION_SELECT``)."""
    return Session(
        id=row["id"], guild_id=row["guild_id"], topic_id=row["topic_id"], series_id=row["series_id"],
        occurrence=row["occurrence"], title=row["title"], description=row["description"], host_id=row["host_id"],
        starts_at=from_db(row["starts_at"]), ends_at=from_db(row["ends_at"]), timezone=row["timezone"],
        capacity=row["capacity"], voice_channel_id=row["voice_channel_id"], channel_id=row["channel_id"],
        message_id=row["message_id"], ping_role=bool(row["ping_role"]), native_event=bool(row["native_event"]),
        native_event_id=row["native_event_id"], cancelled=row["status"] == "cancelled",
        cancel_reason=row["cancel_reason"], repeat=Repeat(row["repeat"] or Repeat.NONE),
        until=from_db(row["until_at"]) if row["until_at"] else None,
    )


SESSION_SELECT = (
    "SELECT s.*, r.repeat AS repeat, r.until_at AS until_at FROM sessions s "
    "LEFT JOIN sessions_series r ON r.id = s.series_id"
)


@dataclass(frozen=True)
class RsvpCounts:
    going: int = 0
    maybe: int = 0
    no: int = 0
    waitlist: int = 0


@dataclass(frozen=True)
class RsvpResult:
    """What an answer changed: the member's status, anyone promoted off the waitlist, new counts."""

    session: Session
    user_id: int
    status: RsvpStatus
    changed: bool
    promoted: tuple[int, ...]
    counts: RsvpCounts
    waitlist_position: int | None = None


@dataclass(frozen=True)
class Change:
    """One field an edit changed, worded for the members who are told about it."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class EditResult:
    """An edited occurrence, what changed, and who got a place if the capacity grew."""

    session: Session
    changes: tuple[Change, ...]
    promoted: tuple[int, ...]


@dataclass(frozen=True)
class Attendee:
    user_id: int
    seconds: int
    attended: bool


class SessionNotFound(NotFound):
    def __init__(self, session_id: int) -> None:
        super().__init__(f"There is no session #{session_id} here; `/session list` shows upcoming sessions.")


class SessionFull(InvalidInput):
    """Every place is taken; the member may join the waitlist instead."""

    def __init__(self, session: Session, position: int | None) -> None:
        if position is not None:
            text = (f"Session #{session.id} is still full; you are number {position} on the waitlist and will "
                    "be told when a place frees up.")
        else:
            text = (f"Session #{session.id} is full ({session.capacity} going). Join the waitlist and you "
                    "get the first place that frees up.")
        super().__init__(text)
        self.session = session
        self.position = position
