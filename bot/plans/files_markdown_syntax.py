"""The line syntax of Markdown plan files: backslash escapes, headings, and one bullet read as an item.

Both the reader (:mod:`bot.plans.files_markdown`) and the writer (:mod:`bot.plans.files_markdown_write`)
use these, so what is written is read back by the very same rules.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from bot.plans import files_fields as rules
from bot.plans.files_fields import Problems, at_line
from bot.plans.model import ItemDoc, ItemKind

PUNCTUATION = frozenset(string.punctuation)
BULLET_MAX = 2000
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_UNIT_NUMBER = re.compile(
    r"^(?:week|unit|module|part|session|lesson|chapter|day|block|sprint)\s*([0-9]{1,3})(?![0-9])"
    r"\s*[:.)\-–—]?\s*(.*)$", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^([0-9]{1,3})\s*[:.)]\s*(.*)$")
META = re.compile(r"^ {0,3}(slug|topic|unit length|unit days|unit)\s*:(.*)$", re.IGNORECASE)
GOAL = re.compile(r"^ {0,3}goals?\s*:(.*)$", re.IGNORECASE)
QUOTE = re.compile(r"^ {0,3}>[ \t]?(.*)$")
BULLET = re.compile(r"^( *)(?:[-*+]|[0-9]{1,3}[.)])(?:[ \t]+(.*))?$")
RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
KIND = re.compile(r"^\[([^\[\]\\]*)\](?!\()\s*")
_CHECKBOX = re.compile(r"^\[[ xX]\]\s+")
_BARE_URL = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)
_DUE = re.compile(r"^due\b\s*:?\s*(.*)$", re.IGNORECASE | re.DOTALL)


# Escapes -----------------------------------------------------------------------------------------
def unescape(text: str) -> str:
    """Markdown backslash escapes: ``\\(`` → ``(``; a backslash before anything else stays."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in PUNCTUATION:
            out.append(text[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def escape_all(text: str) -> str:
    return "".join("\\" + char if char in PUNCTUATION else char for char in text)


def _escaped(text: str, index: int) -> bool:
    slashes = 0
    while index - slashes - 1 >= 0 and text[index - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1


# Headings ---------------------------------------------------------------------------------------
def heading(line: str) -> tuple[int, str] | None:
    """``(level, raw text)`` of an ATX heading, closing ``#``s dropped; None for any other line."""
    match = _HEADING.match(line)
    if not match:
        return None
    return len(match.group(1)), _without_closing_hashes((match.group(2) or "").rstrip(" \t"))


def _without_closing_hashes(text: str) -> str:
    """A closing run of "#"s is decoration; an escaped "\\#" is not preceded by a space, so it stays.

    (Plain string scanning: a regex for this backtracks quadratically on long runs of spaces.)
    """
    hashes = len(text) - len(text.rstrip("#"))
    if hashes and (hashes == len(text) or text[-hashes - 1] in " \t"):
        return text[:-hashes].rstrip(" \t")
    return text


def unit_heading(raw: str) -> tuple[int | None, str]:
    """``"Week 3: Data"`` → ``(3, "Data")``; a heading without a number → ``(None, title)``."""
    match = _UNIT_NUMBER.match(raw) or _BARE_NUMBER.match(raw)
    if match:
        return int(match.group(1)), unescape(match.group(2)).strip()
    return None, unescape(raw).strip()


# Bullets ----------------------------------------------------------------------------------------
@dataclass
class _Link:
    start: int
    end: int
    label: str
    url: str


def _closing_bracket(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        if text[index] in "[]" and not _escaped(text, index):
            depth += 1 if text[index] == "[" else -1
            if depth == 0:
                return index
    return -1


def _destination(text: str, start: int) -> tuple[str, int] | None:
    """The link destination of ``(...)`` at ``start``: (url, index after the ``)``), or None."""
    index = start + 1
    while index < len(text) and text[index] in " \t":
        index += 1
    if index < len(text) and text[index] == "<":
        close = index + 1
        while close < len(text) and (text[close] != ">" or _escaped(text, close)):
            close += 1
        if close >= len(text):
            return None
        dest, index = text[index + 1:close], close + 1
    else:
        begin, depth = index, 0
        while index < len(text) and text[index] not in " \t":
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            index += 1
        dest = text[begin:index]
    while index < len(text) and text[index] in " \t":
        index += 1
    if index >= len(text) or text[index] != ")":
        return None
    return unescape(dest), index + 1


def _links(text: str) -> list[_Link]:
    found: list[_Link] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            close = _closing_bracket(text, index)
            if close != -1 and close + 1 < len(text) and text[close + 1] == "(":
                dest = _destination(text, close + 1)
                if dest is not None:
                    found.append(_Link(index, dest[1], text[index + 1:close], dest[0]))
                    index = dest[1]
                    continue
        index += 1
    return found


def _annotation(content: str) -> tuple[str, str] | None:
    """What a trailing ``(…)`` says: ("optional"/"required"/"due"/"minutes", value), or None if it is title text."""
    text = unescape(content).strip()
    lower = text.lower()
    if lower in ("optional", "required"):
        return lower, lower
    if match := _DUE.match(text):
        return "due", match.group(1)
    if rules.looks_like_estimate(text):
        return "minutes", text
    return None


def _split_annotations(text: str) -> tuple[str, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []
    rest = text.rstrip()
    while rest.endswith(")") and not _escaped(rest, len(rest) - 1):
        opening = rest.rfind("(")
        while opening != -1 and _escaped(rest, opening):
            opening = rest.rfind("(", 0, opening)
        if opening == -1 or ")" in rest[opening + 1:-1] or (opening and rest[opening - 1] == "]"):
            break
        annotation = _annotation(rest[opening + 1:-1])
        if annotation is None:
            break
        found.insert(0, annotation)
        rest = rest[:opening].rstrip()
    return rest, found


def parse_bullet(text: str, days: int, problems: Problems, line: int) -> ItemDoc | None:
    """One item from a bullet's text (after the ``- ``); problems are added with ``line``."""
    where = at_line(line)
    if len(text) > BULLET_MAX:
        # A valid item is far shorter; refusing early keeps the scanning below linear in the file.
        problems.add(where, f"this item is {len(text):,} characters; an item has a title (up to "
                            f"{rules.ITEM_TITLE_MAX}) and a link (up to {rules.URL_MAX}), so shorten it.", line)
        return None
    before = len(problems.found)
    text = _CHECKBOX.sub("", text.strip(), count=1)
    kind: ItemKind | None = None
    if match := KIND.match(text):
        kind = rules.kind(match.group(1), problems, where, line)
        text = text[match.end():]
    body, annotations = _split_annotations(text)
    required, minutes, due = True, None, None
    seen: set[str] = set()
    for name, value in annotations:
        group = "required" if name in ("optional", "required") else name
        if group in seen:
            problems.add(where, f"the item gives `({value})` twice; keep one.", line)
        seen.add(group)
        if name in ("optional", "required"):
            required = name == "required"
        elif name == "minutes":
            estimate = rules.parse_minutes(value)
            if isinstance(estimate, str):
                problems.add(where, estimate, line)
            else:
                minutes = estimate
        else:
            when = rules.parse_due(value, days)
            if isinstance(when, str):
                problems.add(where, when, line)
            else:
                due = when
    links = _links(body)
    url = None
    if len(links) == 1:
        link = links[0]
        url = rules.url(link.url, problems, where, line)
        outside = [body[: link.start], body[link.end:]]
        title_raw = unescape(outside[0]) + unescape(link.label) + unescape(outside[1])
    else:
        outside = [body]
        title_raw = unescape(body)
        if links:
            problems.add(where, f"the item holds {len(links)} links; an item has one link, so split it "
                                "into separate items.", line)
    if any(_BARE_URL.search(part) for part in outside):
        problems.add(where, "write the link as `[title](https://…)` so the item has a title and a link.", line)
    title = rules.one_line(title_raw, "the item's title", rules.ITEM_TITLE_MAX, problems, where, line)
    if len(problems.found) > before or title is None:
        return None
    default = ItemKind.READING if url else ItemKind.DISCUSSION
    return ItemDoc(kind or default, title, url, required, minutes, due)


def preamble_kind(line: str) -> str:
    """How a line before the first week reads: blank, heading, meta, item or text."""
    if not line.strip():
        return "blank"
    if heading(line):
        return "heading"
    if META.match(line):
        return "meta"
    bullet = BULLET.match(line)
    if bullet and len(bullet.group(1)) <= 3 and KIND.match(bullet.group(2) or ""):
        return "item"
    return "text"
