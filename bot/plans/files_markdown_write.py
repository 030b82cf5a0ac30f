"""A plan written back as Markdown that reads back to the same plan (``/plan export``).

Text is escaped lightly so the export stays pleasant to read; every line is read back with the
reader's own rules, and a line that would not read back the same is written with every punctuation
character escaped instead (always unambiguous).
"""

from __future__ import annotations

from bot.plans import files_fields as rules
from bot.plans import files_markdown_syntax as md
from bot.plans.files_fields import Problems
from bot.plans.model import DEFAULT_UNIT_DAYS, ItemDoc, PlanDoc, UnitDoc

UNIT_WORDS = {1: "Day", 7: "Week"}


def unit_word(days: int) -> str:
    return UNIT_WORDS.get(days, "Unit")


def _light(text: str) -> str:
    return text.replace("\\", "\\\\")


def _heading_text(text: str, level: int, prefix: str = "") -> str:
    for escape in (_light, md.escape_all):
        line = f"{'#' * level} {prefix}{escape(text)}"
        found = md.heading(line)
        if found is None or found[0] != level:
            continue
        read = md.unescape(found[1]).strip() if not prefix else md.unit_heading(found[1])[1]
        if read == text:
            return line
    return f"{'#' * level} {prefix}{md.escape_all(text)}"


def _description_line(line: str) -> str:
    escaped = _light(line)
    if md.preamble_kind(escaped) in ("text", "blank"):
        return escaped
    # The line would read as a heading, metadata or an item: escape its first punctuation mark.
    for index, char in enumerate(escaped):
        if char in md.PUNCTUATION and char != "\\":
            return escaped[:index] + "\\" + escaped[index:]
    return md.escape_all(line)


def _destination(url: str) -> str:
    return f"<{url}>" if any(char in url for char in "()[]") else url


def _item_line(item: ItemDoc, days: int) -> str:
    tail = []
    if not item.required:
        tail.append("(optional)")
    if item.minutes is not None:
        tail.append(f"({rules.format_minutes(item.minutes)})")
    if item.due is not None:
        tail.append(f"(due: {rules.format_due(item.due, days)})")
    suffix = "".join(" " + part for part in tail)
    for escape in (lambda text: _light(text).replace("[", "\\[").replace("]", "\\]"), md.escape_all):
        title = escape(item.title)
        body = f"[{title}]({_destination(item.url)})" if item.url else title
        text = f"[{item.kind.value}] {body}{suffix}"
        if md.parse_bullet(text, days, Problems(), 0) == item:
            return f"- {text}"
    return f"- [{item.kind.value}] {md.escape_all(item.title)}{suffix}"


def _unit_lines(unit: UnitDoc, days: int) -> list[str]:
    lines = ["", _heading_text(unit.title, 2, f"{unit_word(days)} {unit.number}: ")]
    if unit.goals:
        lines.append("")
        lines.extend(f"> {_light(goal)}" for goal in unit.goals)
    if unit.items:
        lines.append("")
        lines.extend(_item_line(item, days) for item in unit.items)
    return lines


def plan_to_markdown(doc: PlanDoc) -> str:
    """The plan as a Markdown plan file; ``read_plan(plan_to_markdown(doc).encode()) == doc``."""
    lines = [_heading_text(doc.title, 1)]
    meta = []
    if doc.slug:
        meta.append(f"Slug: {doc.slug}")
    if doc.topic:
        meta.append(f"Topic: {doc.topic}")
    if doc.unit_days != DEFAULT_UNIT_DAYS:
        meta.append(f"Unit: {doc.unit_days} {'day' if doc.unit_days == 1 else 'days'}")
    if meta:
        lines.append("")
        lines.extend(meta)
    if doc.description:
        lines.append("")
        lines.extend(_description_line(line) for line in doc.description.split("\n"))
    for unit in doc.units:
        lines.extend(_unit_lines(unit, doc.unit_days))
    return "\n".join(lines) + "\n"
