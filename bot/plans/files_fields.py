"""What every plan file must satisfy, whatever its format: limits, field rules, due times, estimates.

The Markdown and the YAML/JSON readers both parse into raw values and hand them to these checks, so a
plan means the same thing, and is refused for the same reasons, in every format. Problems are
collected (not raised one by one) so an organiser sees everything to fix at once.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import InvalidInput
from bot.plans.model import (
    END_OF_DAY_MINUTE,
    MAX_ITEMS_PER_UNIT,
    MAX_UNIT_DAYS,
    MAX_UNITS,
    MIN_UNIT_DAYS,
    Due,
    ItemKind,
)

MAX_FILE_BYTES = 1024 * 1024
# Text limits follow what a card can show: an embed title holds 256 characters ("Week 12 · " + a
# unit title), a field 1024 (kind icon + [title](url) + due timestamps + estimate fit in ~800).
PLAN_TITLE_MAX = 200
UNIT_TITLE_MAX = 200
ITEM_TITLE_MAX = 200
GOAL_MAX = 300
MAX_GOALS = 10               # goals go in the week card's description (4096)
DESCRIPTION_MAX = 2000
URL_MAX = 512
MAX_MINUTES = 100 * 60
SLUG_MAX = 40
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
KINDS = tuple(kind.value for kind in ItemKind)
KIND_LIST = ", ".join(KINDS)
MESSAGE_MAX = 1900           # the error message must fit a Discord message (2000) with room to spare
PROBLEM_MAX = 300
SPEC_MAX = 40                # due times and estimates are short; longer text is refused before any regex


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan file: where (``line 14`` or ``week 3, item 2``) and what to fix."""

    where: str
    what: str
    line: int | None = None

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return text if len(text) <= PROBLEM_MAX else text[: PROBLEM_MAX - 1] + "…"


class PlanFileError(InvalidInput):
    """The plan file cannot be imported; ``problems`` lists every reason, the message the first ones."""

    def __init__(self, problems: list[Problem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        self.problems = tuple(ordered)
        super().__init__(_summary(self.problems))


def _summary(problems: tuple[Problem, ...]) -> str:
    count = len(problems)
    head = ("The plan file was not imported; nothing was changed. Fix this and try again:" if count == 1 else
            f"The plan file was not imported; nothing was changed. Fix these {count} problems and try again:")
    lines = [head]
    length = len(head)
    for shown, problem in enumerate(problems):
        line = f"- {problem}"
        rest = count - shown
        tail = len(f"\n… and {rest} more.") if rest > 1 else 0
        if length + 1 + len(line) + tail > MESSAGE_MAX:
            lines.append(f"… and {rest} more.")
            break
        lines.append(line)
        length += 1 + len(line)
    return "\n".join(lines)


class Problems:
    """Collects problems while a file is read; :meth:`raise_any` refuses the file if there is one."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, where: str, what: str, line: int | None = None) -> None:
        self.found.append(Problem(where, what, line))

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        if self.found:
            raise PlanFileError(self.found)


def at_line(line: int | None) -> str:
    return f"line {line}" if line is not None else ""


def quoted(text: str, limit: int = 40) -> str:
    """A piece of the file shown back in a message, cut short and with backticks neutralised."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return "`" + shown.replace("`", "'") + "`"


# Text --------------------------------------------------------------------------------------------
def _bad_character(text: str, *, newlines: bool) -> str | None:
    for char in text:
        if char == "\n" and newlines:
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in "\u2028\u2029":
            return f"U+{ord(char):04X}"
    return None


def one_line(value: str, label: str, limit: int, problems: Problems, where: str,
             line: int | None = None) -> str | None:
    """A required one-line text: surrounding space dropped; refused empty, too long or with control characters."""
    text = value.strip()
    if not text:
        problems.add(where, f"{label} is empty; give it a few words.", line)
        return None
    bad = _bad_character(text, newlines=False)
    if bad:
        problems.add(where, f"{label} holds a line break or control character ({bad}); keep it to one plain line.",
                     line)
        return None
    if len(text) > limit:
        problems.add(where, f"{label} is {len(text)} characters; Discord shows up to {limit} here, so shorten it.",
                     line)
        return None
    return text


def normal_description(value: str) -> str:
    """One spelling of a description: LF line ends, no trailing space, no blank lines around it."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def description(value: str, problems: Problems, where: str, line: int | None = None) -> str:
    text = normal_description(value)
    bad = _bad_character(text, newlines=True)
    if bad:
        problems.add(where, f"the description holds a control character ({bad}); remove it.", line)
    if len(text) > DESCRIPTION_MAX:
        problems.add(where, f"the description is {len(text)} characters; keep it to {DESCRIPTION_MAX}.", line)
    return text


def slugify(text: str) -> str:
    """``"ML Systems Design"`` → ``"ml-systems-design"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")[:SLUG_MAX].strip("-")


def slug(value: str, label: str, problems: Problems, where: str, line: int | None = None) -> str | None:
    """A valid slug as written; anything else (``ML Systems``) made into one (``ml-systems``)."""
    made = value.strip() if SLUG.match(value.strip()) else slugify(value)
    if not made or not SLUG.match(made):
        problems.add(where, f"{label} {quoted(value)} is not a slug; use 1–{SLUG_MAX} lower-case letters, "
                            "digits and dashes, such as `ml-systems-design`.", line)
        return None
    return made


def url(value: str, problems: Problems, where: str, line: int | None = None) -> str | None:
    """An http(s) link as written (fragments kept: a reading may point at a section)."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        problems.add(where, f"the link {quoted(text)} cannot be read; check it and paste it again.", line)
        return None
    if parts.scheme.lower() not in ("http", "https"):
        problems.add(where, f"the link {quoted(text)} is not an http:// or https:// link; only web links "
                            "can be opened from Discord.", line)
        return None
    if not parts.hostname:
        problems.add(where, f"the link {quoted(text)} has no host name; it should look like "
                            "`https://example.org/page`.", line)
        return None
    if re.search(r"[\s<>\\\x00-\x1f\x7f]", text):
        problems.add(where, f"the link {quoted(text)} holds a space, `<`, `>` or `\\`; encode them (%20…).", line)
        return None
    if len(text) > URL_MAX:
        problems.add(where, f"the link is {len(text)} characters; Discord cards show links up to {URL_MAX}.", line)
        return None
    return text


def unit_days(value: int, problems: Problems, where: str, line: int | None = None) -> int | None:
    if not MIN_UNIT_DAYS <= value <= MAX_UNIT_DAYS:
        problems.add(where, f"a unit lasts {MIN_UNIT_DAYS}–{MAX_UNIT_DAYS} days, not {value}; "
                            "write `Unit: 7 days` for weeks.", line)
        return None
    return value


_UNIT_LENGTH = re.compile(r"^\s*(\d{1,3})\s*(d|days?|w|weeks?)?\s*$", re.IGNORECASE)


def parse_unit_length(text: str) -> int | None:
    """``"7 days"``, ``"7"``, ``"2 weeks"`` → days; None when unreadable."""
    match = _UNIT_LENGTH.match(text)
    if not match:
        return None
    number = int(match.group(1))
    return number * 7 if (match.group(2) or "d").lower().startswith("w") else number


def kind(value: str, problems: Problems, where: str, line: int | None = None) -> ItemKind | None:
    word = value.strip().lower()
    if word in KINDS:
        return ItemKind(word)
    if word.endswith("s") and word[:-1] in KINDS:
        return ItemKind(word[:-1])
    close = difflib.get_close_matches(word, KINDS, n=1)
    hint = f"did you mean [{close[0]}]? " if close else ""
    problems.add(where, f"unknown kind [{value.strip()[:30]}]; {hint}use one of {KIND_LIST}.", line)
    return None


def check_counts(units: int, problems: Problems, where: str = "", line: int | None = None) -> None:
    if units == 0:
        problems.add(where, "the plan has no weeks; add one with a heading such as "
                            "`## Week 1: Overview` (or a `units:` list).", line)
    elif units > MAX_UNITS:
        problems.add(where, f"the plan has {units} units; a plan holds at most {MAX_UNITS}, so split it in two.",
                     line)


def too_many_items(number: int, count: int) -> str:
    return (f"unit {number} has {count} items; a unit holds at most {MAX_ITEMS_PER_UNIT}, "
            "so move some to another unit.")


def too_many_goals(number: int, count: int) -> str:
    return f"unit {number} has {count} goals; keep it to the {MAX_GOALS} that matter most."


# Due times and estimates ---------------------------------------------------------------------------
_END = re.compile(r"^(?:the\s+)?end(?:\s+of\s+(?:the\s+)?(?:week|unit))?$", re.IGNORECASE)
_OFFSET = re.compile(r"^\+\s*(\d{1,2})\s*d(?:ays?)?(?:\s*(?:at\s+)?(.+))?$", re.IGNORECASE)
_TIME_24 = re.compile(r"^(\d{1,2}):(\d{2})$")
_TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$", re.IGNORECASE)
DUE_HELP = ("write `due: end of week`, or `due: +5d 18:00` for 18:00 five days after the unit's first "
            "day (`+0d` is the first day)")


def end_of_unit(days: int) -> Due:
    return Due(days - 1, END_OF_DAY_MINUTE)


def _minute_of_day(text: str) -> int | None:
    text = text.strip()
    if match := _TIME_24.match(text):
        hour, minute = int(match.group(1)), int(match.group(2))
        return hour * 60 + minute if hour < 24 and minute < 60 else None
    if match := _TIME_12.match(text):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute >= 60:
            return None
        return (hour % 12 + (12 if match.group(3).lower() == "p" else 0)) * 60 + minute
    return None


def parse_due(text: str, days: int) -> Due | str:
    """A due time within a unit of ``days`` days, or the message that says what to write instead."""
    spec = text.strip()
    if len(spec) > SPEC_MAX:
        return f"{quoted(spec)} is not a due time; {DUE_HELP}."
    if _END.match(spec):
        return end_of_unit(days)
    match = _OFFSET.match(spec)
    if not match:
        return f"{quoted(spec)} is not a due time; {DUE_HELP}."
    day = int(match.group(1))
    minute = END_OF_DAY_MINUTE if match.group(2) is None else _minute_of_day(match.group(2))
    if minute is None:
        return f"{quoted(match.group(2) or '')} is not a time of day; use 24-hour `18:00` (or `6pm`)."
    if day >= days:
        return (f"+{day}d is after the unit's last day; a {days}-day unit runs from +0d to +{days - 1}d "
                "(or write `due: end of week`).")
    return Due(day, minute)


def format_due(due: Due, days: int) -> str:
    if due == end_of_unit(days):
        return "end of week" if days == 7 else "end of unit"
    return f"+{due.day}d {due.minute // 60:02d}:{due.minute % 60:02d}"


_ESTIMATE = re.compile(
    r"^~?\s*(?:(\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?))?\s*(?:(\d+)\s*(?:m|mins?|minutes?))?$", re.IGNORECASE)


def looks_like_estimate(text: str) -> bool:
    match = _ESTIMATE.match(text.strip()) if len(text) <= SPEC_MAX else None
    return bool(match and (match.group(1) or match.group(2)))


def parse_minutes(text: str) -> int | str:
    """``"30 min"``, ``"1.5 h"``, ``"1 h 30 min"`` → minutes, or the message that says what to write."""
    match = _ESTIMATE.match(text.strip()) if len(text) <= SPEC_MAX else None
    if not match or not (match.group(1) or match.group(2)):
        return f"{quoted(text.strip())} is not an estimate; write `30 min`, `2 h` or `1 h 30 min`."
    minutes = round(float(match.group(1) or 0) * 60) + int(match.group(2) or 0)
    return check_minutes(minutes)


def check_minutes(minutes: int) -> int | str:
    if not 1 <= minutes <= MAX_MINUTES:
        return f"an estimate is 1 minute to {MAX_MINUTES // 60} hours, not {minutes} minutes."
    return minutes


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"
