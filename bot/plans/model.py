"""What a study plan is, as plan files describe it and as the pictures draw it.

These are plain values shared by the plan-file reader and writer (``files``), the store, the weekly
jobs and the pictures. Database rows (with ids) are read into the store's own dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MIN_UNIT_DAYS, MAX_UNIT_DAYS, DEFAULT_UNIT_DAYS = 1, 28, 7
MAX_UNITS = 52
MAX_ITEMS_PER_UNIT = 50
END_OF_DAY_MINUTE = 23 * 60 + 59


class ItemKind(StrEnum):
    READING = "reading"
    VIDEO = "video"
    EXERCISE = "exercise"
    ASSIGNMENT = "assignment"
    PROJECT = "project"
    DISCUSSION = "discussion"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class Due:
    """A due time inside a unit: ``day`` days after the unit's first day (0-based), at ``minute`` local.

    "end of week" is the unit's last day at 23:59, i.e. ``Due(unit_days - 1, END_OF_DAY_MINUTE)``.
    """

    day: int
    minute: int


@dataclass(frozen=True)
class ItemDoc:
    kind: ItemKind
    title: str
    url: str | None = None
    required: bool = True
    minutes: int | None = None
    due: Due | None = None


@dataclass(frozen=True)
class UnitDoc:
    number: int                      # 1-based, in order
    title: str
    goals: tuple[str, ...] = ()
    items: tuple[ItemDoc, ...] = ()


@dataclass(frozen=True)
class PlanDoc:
    """A whole plan as a file holds it (no schedule: that is set by /plan start)."""

    title: str
    description: str = ""
    units: tuple[UnitDoc, ...] = ()
    unit_days: int = DEFAULT_UNIT_DAYS
    slug: str | None = None          # None: made from the title
    topic: str | None = None         # a topic slug


# Pictures ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardWeek:
    """One row of the cohort board: how much of the cohort has finished this unit."""

    number: int
    title: str
    members_done: int                # enrolled members with every required item of the unit done
    items_done_share: float          # 0..1: done (member, required item) pairs over all such pairs
    mine_done: int | None = None     # the viewer's done required items in the unit (None: not enrolled)
    mine_total: int = 0              # required items in the unit


@dataclass(frozen=True)
class Board:
    plan_title: str
    cohort: int                      # enrolled members
    weeks: tuple[BoardWeek, ...]
    current_week: int | None         # None: not running, or before the start
    viewer_name: str | None = None   # whose progress is highlighted


@dataclass(frozen=True)
class CardItem:
    title: str
    kind: ItemKind
    done: bool
    required: bool


@dataclass(frozen=True)
class CardWeek:
    number: int
    items: tuple[CardItem, ...]


@dataclass(frozen=True)
class DueSoon:
    title: str
    due_label: str                   # e.g. "Fri 18:00" in the plan's timezone


@dataclass(frozen=True)
class ProgressCard:
    """A member's own card: a grid of weeks × items, their streak, and what is due soon."""

    member_name: str
    plan_title: str
    weeks: tuple[CardWeek, ...]
    current_week: int | None
    streak: int                      # check-ins in consecutive weeks, ending this or last week
    due_soon: tuple[DueSoon, ...] = field(default_factory=tuple)
    timezone: str | None = None      # the plan's, which the due labels are in (a picture has no Discord timestamps)
