"""Plan files in YAML or JSON, with the same structure and the same rules as the Markdown ones.

::

    title: ML systems design
    topic: mlops                 # optional: slug, topic, description, unit_days (7), or "2 weeks"
    units:                       # or "weeks"
      - title: Overview          # "number" is optional and must follow the order
        goals: [Know when ML is the right tool]
        items:
          - kind: reading        # default: reading with a url, discussion without
            title: Rules of ML
            url: https://…
            minutes: 45          # or "1 h 30 min"
            due: +2d 18:00       # or "end of week", or {day: 2, time: "18:00"}
            optional: true
          - "[discussion] When to use ML"      # a string item is read like a Markdown bullet

YAML is read with PyYAML's safe loader, after refusing anchors and aliases on the event stream,
before anything is built (no "billion laughs"). Plain YAML scalars keep their text where text is
expected, so a title ``No`` stays "No" rather than becoming false.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

import yaml

from bot.plans import files_fields as rules
from bot.plans import files_markdown_syntax as md
from bot.plans.files_fields import Problems
from bot.plans.model import DEFAULT_UNIT_DAYS, MAX_ITEMS_PER_UNIT, Due, ItemDoc, ItemKind, PlanDoc, UnitDoc

Path = tuple[str | int, ...]
PLAN_KEYS = ("title", "description", "slug", "topic", "unit_days", "units")
UNIT_KEYS = ("number", "title", "goals", "items")
ITEM_KEYS = ("kind", "title", "url", "optional", "required", "minutes", "due")
# libyaml when Python was built with it (much faster on a 1 MB file); the pure-Python loader otherwise.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PLAIN_TAGS = tuple(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map"))
ALIASES = {"weeks": "units", "unit": "unit_days", "estimate": "minutes", "link": "url", "goal": "goals"}


class _Source:
    """A parsed tree with where each value came from (YAML lines; JSON reports paths)."""

    def __init__(self, tree: Any, lines: dict[Path, int], raw: dict[Path, str]) -> None:
        self.tree, self.lines, self.raw = tree, lines, raw

    def where(self, path: Path) -> tuple[str, int | None]:
        line = self.lines.get(path)
        if line is not None:
            return f"line {line}", line
        return _path_words(path), None


def _path_words(path: Path) -> str:
    words: list[str] = []
    for index, part in enumerate(path):
        if isinstance(part, int):
            owner = path[index - 1] if index else ""
            words.append(f"{'item' if owner == 'items' else 'goal' if owner == 'goals' else 'unit'} {part + 1}")
        elif part not in ("units", "items", "goals"):
            words.append(f"`{part}`")
    return ", ".join(words) or "the file"


# YAML -------------------------------------------------------------------------------------------
def _yaml_problem(problems: Problems, exc: yaml.YAMLError) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    problems.add(rules.at_line(line), f"this is not valid YAML ({what}); check the indentation and quotes.", line)


def _refuse_anchors(text: str, problems: Problems) -> None:
    documents = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                problems.add(rules.at_line(line), "YAML anchors (`&name`) and aliases (`*name`) are not "
                                                  "accepted; write each value out in full.", line)
            elif getattr(event, "tag", None) not in (None, "!", *PLAIN_TAGS):
                problems.add(rules.at_line(line), f"YAML tags such as `{str(event.tag)[:40]}` are not accepted; "
                                                  "write plain text, numbers and lists.", line)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents == 2:
                    problems.add(rules.at_line(line), "the file holds more than one YAML document (`---`); "
                                                      "keep one plan per file.", line)
    except yaml.YAMLError as exc:
        _yaml_problem(problems, exc)


def _from_node(node: yaml.Node, path: Path, loader: Any, source: _Source, problems: Problems) -> Any:
    line = node.start_mark.line + 1
    source.lines[path] = line
    if isinstance(node, yaml.ScalarNode):
        if not node.style:  # plain (the pure-Python loader says None, libyaml "")
            source.raw[path] = node.value
        try:
            return loader.construct_object(node)
        except yaml.YAMLError as exc:
            _yaml_problem(problems, exc)
            return None
    if isinstance(node, yaml.SequenceNode):
        return [_from_node(child, (*path, index), loader, source, problems) for index, child in enumerate(node.value)]
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            problems.add(rules.at_line(key_line), "a key must be a plain name such as `title`.", key_line)
            continue
        key = str(key_node.value)
        if key in mapping:
            problems.add(rules.at_line(key_line), f"`{key[:30]}` is given twice here; keep one.", key_line)
        mapping[key] = _from_node(value_node, (*path, key), loader, source, problems)
    return mapping


def _load_yaml(text: str, problems: Problems) -> _Source | None:
    _refuse_anchors(text, problems)
    if problems:
        return None
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.add("", "the file is empty; a plan needs at least `title:` and `units:`.")
            return None
        source = _Source(None, {}, {})
        source.tree = _from_node(node, (), loader, source, problems)
        return source
    except yaml.YAMLError as exc:
        _yaml_problem(problems, exc)
        return None
    finally:
        loader.dispose()


def _load_json(text: str, problems: Problems) -> _Source | None:
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key, value in items:
            if key in mapping:
                repeated.append(key)
            mapping[key] = value
        return mapping

    try:
        tree = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        problems.add(rules.at_line(exc.lineno), f"this is not valid JSON ({exc.msg}, column {exc.colno}).", exc.lineno)
        return None
    for key in repeated:
        problems.add("", f"the key `{key[:30]}` is given twice in one object; keep one.")
    return _Source(tree, {}, {})


# Building the plan --------------------------------------------------------------------------------
class _Builder:
    def __init__(self, source: _Source, problems: Problems) -> None:
        self.source, self.problems = source, problems
        self.days = DEFAULT_UNIT_DAYS

    def problem(self, path: Path, what: str) -> None:
        where, line = self.source.where(path)
        self.problems.add(where, what, line)

    def fields(self, value: Any, path: Path, known: tuple[str, ...], what: str) -> dict[str, tuple[Any, Path]]:
        """A mapping's fields under their canonical names, each with its path; unknown keys are refused."""
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be a mapping with {', '.join(f'`{key}`' for key in known[:3])}….")
            return {}
        out: dict[str, tuple[Any, Path]] = {}
        for key, field_value in value.items():
            name = ALIASES.get(str(key).lower(), str(key).lower())
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean `{close[0]}`? " if close else ""
                self.problem((*path, key), f"unknown field `{str(key)[:30]}` in {what}; {hint}use "
                                           f"{', '.join(known)}.")
                continue
            out[name] = (field_value, (*path, key))
        return out

    def text(self, value: Any, path: Path, label: str) -> str | None:
        if isinstance(value, str):
            return value
        if value is not None and not isinstance(value, list | dict) and path in self.source.raw:
            return self.source.raw[path]  # a plain YAML scalar read as a number, date or boolean
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.problem(path, f"{label} must be text.")
        return None

    def one_line(self, field: tuple[Any, Path] | None, label: str, limit: int) -> str | None:
        if field is None or field[0] is None:
            missing, at = self.source.where(field[1]) if field else ("", None)
            self.problems.add(missing, f"{label} is missing; add it.", at)
            return None
        text = self.text(field[0], field[1], label)
        where, line = self.source.where(field[1])
        return None if text is None else rules.one_line(text, label, limit, self.problems, where, line)

    def optional_text(self, field: tuple[Any, Path] | None, label: str) -> str | None:
        if field is None or field[0] is None:
            return None
        return self.text(field[0], field[1], label)

    def plan(self) -> PlanDoc | None:
        tree = self.source.tree
        if not isinstance(tree, dict):
            self.problem((), "the file must be a mapping with `title:` and `units:` at the top.")
            return None
        top = self.fields(tree, (), PLAN_KEYS, "the plan")
        if "unit_days" in top:
            self.days = self._unit_days(*top["unit_days"]) or DEFAULT_UNIT_DAYS
        title = self.one_line(top.get("title", (None, ("title",))), "the plan's title", rules.PLAN_TITLE_MAX)
        description = self.optional_text(top.get("description"), "the description") or ""
        where, line = self.source.where(top["description"][1]) if "description" in top else ("", None)
        description = rules.description(description, self.problems, where, line)
        slug, topic = self._slug(top.get("slug"), "the slug"), self._slug(top.get("topic"), "the topic")
        units = self._units(top.get("units"))
        if title is None or units is None or self.problems:
            return None
        return PlanDoc(title, description, units, self.days, slug, topic)

    def _unit_days(self, value: Any, path: Path) -> int | None:
        days = value if isinstance(value, int) and not isinstance(value, bool) else (
            rules.parse_unit_length(value) if isinstance(value, str) else None)
        where, line = self.source.where(path)
        if days is None:
            self.problems.add(where, "`unit_days` is a number of days from 1 to 28, such as `7`.", line)
            return None
        return rules.unit_days(days, self.problems, where, line)

    def _slug(self, field: tuple[Any, Path] | None, label: str) -> str | None:
        text = self.optional_text(field, label)
        if field is None or text is None:
            return None
        where, line = self.source.where(field[1])
        return rules.slug(text, label, self.problems, where, line)

    def _units(self, field: tuple[Any, Path] | None) -> tuple[UnitDoc, ...] | None:
        value, path = field if field is not None else (None, ("units",))
        if not isinstance(value, list):
            where, line = self.source.where(path)
            if value is None:
                rules.check_counts(0, self.problems, where, line)
            else:
                self.problem(path, "`units` must be a list of units, each with a `title` and `items`.")
            return None
        where, line = self.source.where((*path, rules.MAX_UNITS) if len(value) > rules.MAX_UNITS else path)
        rules.check_counts(len(value), self.problems, where, line)
        units = [self._unit(entry, (*path, index), index + 1) for index, entry in enumerate(value)]
        return tuple(unit for unit in units if unit is not None)

    def _unit(self, value: Any, path: Path, number: int) -> UnitDoc | None:
        unit = self.fields(value, path, UNIT_KEYS, f"unit {number}")
        if "number" in unit:
            given, given_path = unit["number"]
            if given != number or isinstance(given, bool):
                self.problem(given_path, f"unit {str(given)[:10]} comes where unit {number} should; number the "
                                         "units 1, 2, 3… in order (or leave `number` out).")
        title = self.one_line(unit.get("title", (None, path)), "the unit's title", rules.UNIT_TITLE_MAX)
        goals = self._goals(unit.get("goals"), number)
        items = self._items(unit.get("items"), number)
        if title is None or goals is None or items is None:
            return None
        return UnitDoc(number, title, goals, items)

    def _goals(self, field: tuple[Any, Path] | None, number: int) -> tuple[str, ...] | None:
        if field is None or field[0] is None:
            return ()
        value, path = field
        entries = [(value, path)] if isinstance(value, str) else (
            [(goal, (*path, index)) for index, goal in enumerate(value)] if isinstance(value, list) else None)
        if entries is None:
            self.problem(path, "`goals` is a list of short sentences.")
            return None
        if len(entries) > rules.MAX_GOALS:
            self.problem(path, rules.too_many_goals(number, len(entries)))
        goals = [self.one_line(entry, "the goal", rules.GOAL_MAX) for entry in entries]
        return tuple(goal for goal in goals if goal is not None) if None not in goals else None

    def _items(self, field: tuple[Any, Path] | None, number: int) -> tuple[ItemDoc, ...] | None:
        if field is None or field[0] is None:
            return ()
        value, path = field
        if not isinstance(value, list):
            self.problem(path, "`items` is a list of items, each with a `title` (and `kind`, `url`…).")
            return None
        if len(value) > MAX_ITEMS_PER_UNIT:
            self.problem((*path, MAX_ITEMS_PER_UNIT), rules.too_many_items(number, len(value)))
        items = [self._item(entry, (*path, index)) for index, entry in enumerate(value)]
        return tuple(item for item in items if item is not None) if None not in items else None

    def _item(self, value: Any, path: Path) -> ItemDoc | None:
        if isinstance(value, str):
            return self._bullet(value, path)
        item = self.fields(value, path, ITEM_KEYS, "an item")
        before = len(self.problems.found)
        title = self.one_line(item.get("title", (None, path)), "the item's title", rules.ITEM_TITLE_MAX)
        url = None
        if (link := self.optional_text(item.get("url"), "the link")) is not None:
            where, line = self.source.where(item["url"][1])
            url = rules.url(link, self.problems, where, line)
        kind = ItemKind.READING if url else ItemKind.DISCUSSION
        if (word := self.optional_text(item.get("kind"), "the kind")) is not None:
            where, line = self.source.where(item["kind"][1])
            kind = rules.kind(word, self.problems, where, line) or kind
        required = self._required(item)
        minutes = self._minutes(item.get("minutes"))
        due = self._due(item.get("due"))
        if title is None or len(self.problems.found) > before:
            return None
        return ItemDoc(kind, title, url, required, minutes, due)

    def _bullet(self, text: str, path: Path) -> ItemDoc | None:
        """A string item, read like a Markdown bullet; its problems are placed where the string is."""
        scratch = Problems()
        item = md.parse_bullet(text, self.days, scratch, 0)
        for problem in scratch.found:
            self.problem(path, problem.what)
        return item

    def _required(self, item: dict[str, tuple[Any, Path]]) -> bool:
        required = True
        for name in ("required", "optional"):
            if name in item:
                value, path = item[name]
                if not isinstance(value, bool):
                    self.problem(path, f"`{name}` is `true` or `false`.")
                    continue
                required = value if name == "required" else not value
        if "required" in item and "optional" in item and item["required"][0] == item["optional"][0]:
            self.problem(item["optional"][1], "`required` and `optional` disagree; keep one of them.")
        return required

    def _minutes(self, field: tuple[Any, Path] | None) -> int | None:
        return self._parsed(field, rules.check_minutes, rules.parse_minutes, "an estimate")

    def _due(self, field: tuple[Any, Path] | None) -> Due | None:
        def from_text(text: str) -> Due | str:
            return rules.parse_due(text, self.days)

        if field is not None and isinstance(field[0], dict):
            value, path = field
            day, time = value.get("day"), value.get("time", "23:59")
            if (not isinstance(day, int) or isinstance(day, bool) or day < 0 or not isinstance(time, str)
                    or set(value) - {"day", "time"}):
                self.problem(path, 'a due time is `end of week`, `+5d 18:00`, or `{day: 5, time: "18:00"}` '
                                   "(day 0 is the unit's first day).")
                return None
            field = (f"+{day}d {time}", path)
        return self._parsed(field, None, from_text, "a due time")

    def _parsed(self, field: tuple[Any, Path] | None, from_int: Callable[[int], Any] | None,
                from_text: Callable[[str], Any], label: str) -> Any:
        if field is None or field[0] is None:
            return None
        value, path = field
        if from_int is not None and isinstance(value, int) and not isinstance(value, bool):
            got = from_int(value)
        elif isinstance(value, str):
            got = from_text(value)
        else:
            got = f"{label} must be text such as " + ("`30 min`." if from_int else "`end of week`.")
        if isinstance(got, str):
            self.problem(path, got)
            return None
        return got


def _read(source: _Source | None, problems: Problems) -> PlanDoc:
    doc = _Builder(source, problems).plan() if source is not None else None
    problems.raise_any()
    assert doc is not None
    return doc


def read_yaml(text: str) -> PlanDoc:
    problems = Problems()
    return _read(_load_yaml(text, problems), problems)


def read_json(text: str) -> PlanDoc:
    problems = Problems()
    return _read(_load_json(text, problems), problems)
