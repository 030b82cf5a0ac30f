"""Plans built in code for the plans tests (the plan-file reader has its own tests)."""

from __future__ import annotations

from bot.plans.model import END_OF_DAY_MINUTE, Due, ItemDoc, ItemKind, PlanDoc, UnitDoc

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
