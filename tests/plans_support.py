"""Plans built in code for the plans tests (the plan-file reader has its own tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.claims import DeliveryFailed
from bot.plans.jobs import Where
from bot.plans.model import END_OF_DAY_MINUTE, Due, ItemDoc, ItemKind, PlanDoc, UnitDoc
from bot.plans.posts import Posted
from bot.plans.store import Item, Plan, Unit

GUILD = 1
ORGANISER = 100
ALICE, BOB, CAROL = 201, 202, 203


def small_doc(*, title: str = "ML systems design", weeks: int = 3, topic: str | None = None,
              slug: str | None = None) -> PlanDoc:
    """``weeks`` weeks: a reading (due end of week), an optional video, and a discussion."""
    units = []
    for number in range(1, weeks + 1):
        units.append(UnitDoc(number, f"Week topic {number}", (f"Goal {number}",), (
            ItemDoc(ItemKind.READING, f"Read chapter {number}", f"https://example.org/ch{number}",
                    due=Due(6, END_OF_DAY_MINUTE)),
            ItemDoc(ItemKind.VIDEO, f"Lecture {number}", required=False, minutes=50),
            ItemDoc(ItemKind.DISCUSSION, f"Discuss {number}"),
        )))
    return PlanDoc(title=title, description="A test plan", units=tuple(units), slug=slug, topic=topic)


class RecordingNotifier:
    """Stands in for Discord in the jobs' tests and the benchmark: records what would have been sent."""

    def __init__(self, *, dms_closed: frozenset[int] = frozenset()) -> None:
        self.sent: list[tuple[str, int, Any]] = []   # (what, unit number, detail)
        self.dms_closed = dms_closed
        self.fail = False
        self.dm_error: Exception | None = None
        self._next_id = 1000

    def _posted(self, channel_id: int | None, *, thread: bool = False) -> Posted:
        if self.fail:
            raise DeliveryFailed("refused")
        self._next_id += 2
        return Posted(channel_id, self._next_id, self._next_id + 1 if thread else None)

    async def week_card(self, plan: Plan, unit: Unit, items: list[Item]) -> Posted:
        posted = self._posted(plan.channel_id, thread=True)
        self.sent.append(("card", unit.number, [i.title for i in items]))
        return posted

    async def catch_up(self, plan: Plan, units: list[Unit], items: list[Item]) -> Posted:
        posted = self._posted(plan.channel_id)
        self.sent.append(("catchup", units[-1].number, [u.number for u in units]))
        return posted

    async def checkin_call(self, plan: Plan, unit: Unit, where: Where) -> Posted:
        posted = self._posted(where.target)
        self.sent.append(("checkin", unit.number, where))
        return posted

    async def deadline_in_thread(self, plan: Plan, unit: Unit, items: list[Item], due_at: datetime,
                                 user_ids: list[int], where: Where) -> Posted:
        posted = self._posted(where.target)
        self.sent.append(("deadline", unit.number, (tuple(user_ids), where)))
        return posted

    async def deadline_by_dm(self, plan: Plan, unit: Unit, items: list[Item], due_at: datetime,
                             user_id: int) -> bool:
        if self.dm_error is not None:
            raise self.dm_error
        if user_id in self.dms_closed:
            return False
        self.sent.append(("dm", unit.number, user_id))
        return True

    def kinds(self) -> list[tuple[str, int]]:
        return [(what, number) for what, number, _ in self.sent]
