"""What study buddies store: settings, opt-ins, rounds, groups and their members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.buddies.cadence import Cadence
from bot.errors import NotFound

NOTE_MAX = 200
PAUSE_WEEKS = (1, 12)
COOLDOWN_ROUNDS = (1, 26)
HISTORY_KEEP = timedelta(weeks=26)  # round history at most this long (and only as many rounds as the cooldown)
ANSWERS = ("yes", "not_yet", "no")
ANSWER_WORDS = {"yes": "Yes", "not_yet": "Not yet", "no": "Not going to"}
RAN = ("posting", "posted", "checked")  # rounds whose groups were made (they count for the cooldown)


class BuddiesNotSetUp(NotFound):
    def __init__(self) -> None:
        super().__init__("Study buddies are not set up here yet; an organiser can start them with `/buddy setup`.")


class NotOptedIn(NotFound):
    def __init__(self) -> None:
        super().__init__("You have not joined study buddies; `/buddy join` signs you up.")


@dataclass(frozen=True)
class BuddySettings:
    guild_id: int
    channel_id: int
    cadence: Cadence
    weekday: int              # 0 = Monday
    hour: int                 # in the server's timezone
    group_size: int
    cooldown_rounds: int
    anchor: datetime          # naive wall time of the first scheduled round
    threads_problem: str | None
    configured_by: int | None
    configured_at: datetime


@dataclass(frozen=True)
class OptIn:
    guild_id: int
    user_id: int
    note: str
    joined_at: datetime
    paused_until: datetime | None
    skip_next: bool
    rounds_taken: int
    topic_ids: tuple[int, ...]

    def paused_at(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now


@dataclass(frozen=True)
class GroupMember:
    user_id: int
    repeat: bool
    answer: str | None
    left_at: datetime | None


@dataclass(frozen=True)
class Group:
    id: int
    guild_id: int
    round_id: int
    position: int
    thread_status: str        # pending, claimed, created, dm, alone, failed
    thread_id: int | None
    checkback_status: str     # pending, claimed, sent, skipped
    checkback_message_id: int | None
    members: tuple[GroupMember, ...]

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(m.user_id for m in self.members)

    @property
    def met(self) -> bool:
        return any(m.answer == "yes" for m in self.members)


@dataclass(frozen=True)
class Round:
    id: int
    guild_id: int
    seed: int
    status: str
    scheduled_at: datetime | None
    invoker_id: int | None
    created_at: datetime
    expires_at: datetime | None
    ran_at: datetime | None
    checkback_at: datetime | None
    message_channel_id: int | None
    message_id: int | None
    groups: tuple[Group, ...]

    @property
    def repeats(self) -> int:
        """Groups with someone who met another member within the cooldown."""
        return sum(1 for g in self.groups if any(m.repeat for m in g.members))

    @property
    def meetings(self) -> tuple[int, int]:
        """(groups that said they met, groups that could): a group of one cannot meet."""
        real = [g for g in self.groups if len(g.members) > 1]
        return sum(1 for g in real if g.met), len(real)
