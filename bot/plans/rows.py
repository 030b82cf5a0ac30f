"""A stored plan, its units (weeks) and items, as the store reads them from the database (with ids)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.plans import schedule
from bot.plans.model import Due, ItemKind, PlanStatus


@dataclass(frozen=True)
class Plan:
    id: int
    guild_id: int
    slug: str
    title: str
    description: str
    topic_id: int | None
    channel_id: int | None
    timezone: str | None
    unit_days: int
    status: PlanStatus
    start_local: str | None
    paused_at: datetime | None
    created_by: int | None
    unit_count: int

    @property
    def anchor(self) -> datetime | None:
        return schedule.parse_anchor(self.start_local) if self.start_local else None


@dataclass(frozen=True)
class Unit:
    id: int
    plan_id: int
    number: int
    title: str
    goals: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    id: int
    plan_id: int
    unit_id: int
    unit_number: int
    position: int
    kind: ItemKind
    title: str
    url: str | None
    required: bool
    minutes: int | None
    due: Due | None
    resource_id: int | None

    @property
    def label(self) -> str:
        """How pickers name it: "W3 · Feature engineering"."""
        return f"W{self.unit_number} · {self.title}"
