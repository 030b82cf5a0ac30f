"""Plan files in Markdown, written the way a syllabus usually is.

::

    # ML systems design
    Topic: mlops                      ← optional metadata lines: Slug, Topic, Unit (e.g. "7 days")
    Unit: 7 days

    A description paragraph (any other text before the first week).

    ## Week 1: Overview of ML systems design
    > Know when ML is the right tool     ← a goal (also `Goal: …`, or bullets under a `Goals:` line)

    - [discussion] When to use ML
    - [reading] [Rules of ML](https://…) (45 min) (due: +2d 18:00)
    - [assignment] Frame a problem (due: end of week) (optional)

A bullet may start with its kind in brackets; without one it is a reading when it holds a link and a
discussion otherwise. It may hold one Markdown link ``[title](url)`` and end with annotations in any
order: ``(due: end of week)``, ``(due: +5d 18:00)``, ``(30 min)``, ``(1 h 30 min)``, ``(optional)``.
Text is plain: a backslash escapes punctuation as in Markdown (``\\(optional)`` is part of a title).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.plans import files_fields as rules
from bot.plans.files_fields import Problems, at_line
from bot.plans.files_markdown_syntax import (
    BULLET,
    GOAL,
    META,
    QUOTE,
    RULE,
    heading,
    parse_bullet,
    preamble_kind,
    unescape,
    unit_heading,
)
from bot.plans.model import DEFAULT_UNIT_DAYS, MAX_ITEMS_PER_UNIT, ItemDoc, PlanDoc, UnitDoc


# Reading a file ---------------------------------------------------------------------------------
@dataclass
class _Unit:
    number: int
    title: str | None
    line: int
    goals: list[str] = field(default_factory=list)
    items: list[ItemDoc] = field(default_factory=list)
    item_lines: list[int] = field(default_factory=list)
    goal_lines: list[int] = field(default_factory=list)


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = [line.removesuffix("\r") for line in text.split("\n")]
        self.problems = Problems()
        self.title: str | None = None
        self.meta: dict[str, tuple[str, int]] = {}
        self.description: list[str] = []
        self.days = DEFAULT_UNIT_DAYS
        self.units: list[_Unit] = []
        self.bullet: tuple[int, list[str], int] | None = None  # (line, text parts, indent) of the bullet being read
        self.goals_list = False                       # bullets after a bare "Goals:" line are goals
        self.last_number = 0                          # the number the last week heading gave

    def read(self) -> PlanDoc:
        index = self._preamble(self._title())
        self._apply_meta()
        slug, topic = self._meta_slug("slug"), self._meta_slug("topic")
        description = rules.description("\n".join(self.description), self.problems, "")
        for number, line in enumerate(self.lines[index:], start=index + 1):
            self._unit_line(line, number)
        self._flush()
        self._check_units()
        self.problems.raise_any()
        assert self.title is not None
        units = tuple(UnitDoc(u.number, u.title or "", tuple(u.goals), tuple(u.items)) for u in self.units)
        return PlanDoc(self.title, description, units, self.days, slug, topic)

    # The title, metadata and description
    def _title(self) -> int:
        for index, line in enumerate(self.lines):
            if not line.strip():
                continue
            found = heading(line)
            if found and found[0] == 1:
                self.title = rules.one_line(unescape(found[1]), "the plan's title", rules.PLAN_TITLE_MAX,
                                            self.problems, at_line(index + 1), index + 1)
                return index + 1
            self.problems.add(at_line(index + 1), "start the file with the plan's title, such as "
                                                  "`# ML systems design`.", index + 1)
            return index
        self.problems.add("", "the file is empty; start it with the plan's title, such as `# ML systems design`.")
        return len(self.lines)

    def _preamble(self, index: int) -> int:
        while index < len(self.lines):
            line, number = self.lines[index], index + 1
            kind = preamble_kind(line)
            if kind == "heading":
                level = heading(line)[0]  # type: ignore[index]
                if level == 2:
                    return index
                self._misplaced_heading(level, number)
            elif kind == "meta":
                match = META.match(line)
                assert match is not None
                key = match.group(1).lower().split()[0]
                if key in self.meta:
                    self.problems.add(at_line(number), f"`{key.title()}:` is given twice (first on line "
                                                       f"{self.meta[key][1]}); keep one.", number)
                self.meta[key] = (unescape(match.group(2)).strip(), number)
            elif kind == "item":
                self.problems.add(at_line(number), "this item comes before the first week; put a heading such "
                                                   "as `## Week 1: Overview` above it.", number)
            else:
                self.description.append(unescape(line))
            index += 1
        return index

    def _misplaced_heading(self, level: int, number: int) -> None:
        if level == 1:
            self.problems.add(at_line(number), "a plan has one title (`# …`, line 1); start weeks with `## `.", number)
        else:
            self.problems.add(at_line(number), f"`{'#' * level}` headings are not used in plans; start a week "
                                               "with `## Week N: title`, and write the rest as bullets.", number)

    def _apply_meta(self) -> None:
        for key, (value, number) in self.meta.items():
            if not value:
                self.problems.add(at_line(number), f"`{key.title()}:` has no value; fill it in or remove the "
                                                   "line.", number)
            elif key == "unit":
                days = rules.parse_unit_length(value)
                if days is None:
                    self.problems.add(at_line(number), f"`Unit: {value[:20]}` is not a length; write "
                                                       "`Unit: 7 days` (1–28 days).", number)
                elif rules.unit_days(days, self.problems, at_line(number), number) is not None:
                    self.days = days

    def _meta_slug(self, key: str) -> str | None:
        if key not in self.meta or not self.meta[key][0]:
            return None
        value, number = self.meta[key]
        label = "the slug" if key == "slug" else "the topic"
        return rules.slug(value, label, self.problems, at_line(number), number)

    # Weeks
    def _unit_line(self, line: str, number: int) -> None:
        where = at_line(number)
        if not line.strip():
            self._flush()
            self.goals_list = False
            return
        found = heading(line)
        if found:
            self._flush()
            self.goals_list = False
            if found[0] == 2:
                self._start_unit(found[1], number)
            else:
                self._misplaced_heading(found[0], number)
            return
        if RULE.match(line):
            self._flush()
            return
        bullet = BULLET.match(line)
        if bullet and self.bullet is not None and len(bullet.group(1)) >= self.bullet[2] + 2:
            self.problems.add(where, "nested bullets are not used in plans; make it an item of its own "
                                     "(or part of the item above, without the `- `).", number)
            return
        if bullet and len(bullet.group(1)) <= 3:
            self._flush()
            self.bullet = (number, [bullet.group(2) or ""], len(bullet.group(1)))
            return
        if self.bullet is not None and not (QUOTE.match(line) or GOAL.match(line)):
            self.bullet[1].append(line.strip())
            return
        self._flush()
        if match := QUOTE.match(line):
            self._goal(match.group(1), number)
        elif match := GOAL.match(line):
            if match.group(1).strip():
                self._goal(match.group(1), number)
            else:
                self.goals_list = True
        else:
            self.problems.add(where, "this text is outside any bullet; start an item with `- `, a goal "
                                     "with `> `, or a week with `## Week N: title`.", number)

    def _start_unit(self, raw: str, number: int) -> None:
        # Numbers are checked against the previous heading, so one skipped week is one problem, not many.
        wanted = self.last_number + 1
        given, title_text = unit_heading(raw)
        if given is not None and given != wanted:
            self.problems.add(at_line(number), f"week {given} comes where week {wanted} should; number the "
                                               "weeks 1, 2, 3… in order.", number)
        self.last_number = given if given is not None else wanted
        title = None
        if not title_text:
            self.problems.add(at_line(number), f"week {self.last_number} has no title; write "
                                               f"`## Week {self.last_number}: <title>`.", number)
        else:
            title = rules.one_line(title_text, "the week's title", rules.UNIT_TITLE_MAX, self.problems,
                                   at_line(number), number)
        self.units.append(_Unit(len(self.units) + 1, title, number))

    def _goal(self, raw: str, number: int) -> None:
        text = rules.one_line(unescape(raw), "the goal", rules.GOAL_MAX, self.problems, at_line(number), number)
        if text is not None:
            self.units[-1].goals.append(text)
            self.units[-1].goal_lines.append(number)

    def _flush(self) -> None:
        if self.bullet is None:
            return
        number, parts, _ = self.bullet
        text = " ".join(parts)
        self.bullet = None
        if self.goals_list:
            self._goal(text, number)
            return
        if not text.strip():
            self.problems.add(at_line(number), "this bullet is empty; write the item after the `- `.", number)
            return
        item = parse_bullet(text, self.days, self.problems, number)
        self.units[-1].item_lines.append(number)
        if item is not None:
            self.units[-1].items.append(item)

    def _check_units(self) -> None:
        if self.title is None and not self.units:
            return
        count = len(self.units)
        line = self.units[rules.MAX_UNITS].line if count > rules.MAX_UNITS else None
        rules.check_counts(count, self.problems, at_line(line), line)
        for unit in self.units:
            if len(unit.item_lines) > MAX_ITEMS_PER_UNIT:
                line = unit.item_lines[MAX_ITEMS_PER_UNIT]
                self.problems.add(at_line(line), rules.too_many_items(unit.number, len(unit.item_lines)), line)
            if len(unit.goal_lines) > rules.MAX_GOALS:
                line = unit.goal_lines[rules.MAX_GOALS]
                self.problems.add(at_line(line), rules.too_many_goals(unit.number, len(unit.goal_lines)), line)


def read_markdown(text: str) -> PlanDoc:
    """A plan from Markdown text; raises :class:`PlanFileError` listing every problem."""
    return _Reader(text).read()
