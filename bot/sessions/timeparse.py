"""Times and durations as people type them: "tomorrow 6pm", "2026-12-03 18:00", "1h30m", "24h,15m".

Natural language goes through dateparser, but dateparser is only asked for the *wall time* (a
naive datetime relative to the local "now"); turning a wall time into an instant is done here
with zoneinfo. dateparser's own timezone-aware mode applies the offset in force *now* to the
result, so "tomorrow 6pm" typed the day before a DST change came back an hour off.

Wall times that a DST change skips or repeats are resolved like ``fold=0`` (PEP 495), the same
rule the recurrence uses (see :func:`bot.sessions.recurrence.localize`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from bot.errors import InvalidInput
from bot.sessions.recurrence import localize

WHEN_MAX_CHARS = 100
MAX_AHEAD = timedelta(days=365)
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=12)
MIN_OFFSET = timedelta(minutes=1)
MAX_OFFSET = timedelta(days=7)
MAX_OFFSETS = 5

# No TIMEZONE and no RETURN_AS_TIMEZONE_AWARE: the result is naive (a wall time) unless the text
# names its own zone ("18:00 UTC"), and then it is aware.
_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future"}
_HAS_TIME_WORD = re.compile(r"\d|noon|midnight|now", re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
_UNITS = {
    "d": 1440, "day": 1440, "days": 1440,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
}
_SECONDS = {"s", "sec", "secs", "second", "seconds"}
_NUMBER_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0}


def parse_when(text: str, zone: str, now: datetime) -> datetime:
    """The start a member typed, as an aware UTC datetime: in the future and at most a year ahead.

    ``zone`` is the IANA timezone the text is read in unless it names its own offset.
    """
    moment = _parse_moment(text, zone, now, what="start time")
    if moment <= now:
        raise InvalidInput(f"{_shown(moment, zone)} is in the past; give a time in the future, such as "
                           "`tomorrow 18:00`.")
    if moment > now + MAX_AHEAD:
        raise InvalidInput(f"{_shown(moment, zone)} is more than a year ahead; schedule sessions within the "
                           "next 12 months.")
    return moment


def parse_until(text: str, zone: str, now: datetime, starts_at: datetime) -> datetime:
    """The end of a series: a date means the end of that day in ``zone``; must not be before the start."""
    what = "`until` date"
    moment = _parse_moment(text, zone, now, what=what, allow_date_only=True)
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() == time(0) and not re.search(r"\d{1,2}:\d{2}|midnight", text, re.IGNORECASE):
        try:
            moment = localize(datetime.combine(local.date(), time(23, 59, 59)), zone)
        except OverflowError:  # the end of 31 December 9999, west of UTC
            raise _too_far(text, what) from None
    if moment < starts_at:
        raise InvalidInput(f"`until` ({_shown(moment, zone)}) is before the first session; give a later date.")
    return moment


def _parse_moment(text: str, zone: str, now: datetime, *, what: str, allow_date_only: bool = False) -> datetime:
    cleaned = text.replace("\x00", "").strip()
    if not cleaned:
        raise InvalidInput(f"The {what} is empty; try `2026-12-03 18:00` or `tomorrow 6pm`.")
    if len(cleaned) > WHEN_MAX_CHARS:
        raise InvalidInput(f"The {what} is too long; try `2026-12-03 18:00` or `tomorrow 6pm`.")
    if cleaned.isdigit() or not re.search(r"[0-9]{1,}|[a-z]{3,}", cleaned, re.IGNORECASE):
        raise _not_understood(cleaned, what)
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz).replace(tzinfo=None)
    try:
        parsed = dateparser.parse(cleaned, languages=["en"],
                                  settings={**_DATEPARSER_SETTINGS, "RELATIVE_BASE": local_now})
    except (ValueError, OverflowError, RecursionError):
        parsed = None
    if parsed is None:
        raise _not_understood(cleaned, what)
    try:
        if parsed.tzinfo is not None:  # the text named its own zone or offset
            moment = parsed.astimezone(UTC)
        elif _is_elapsed_time(cleaned):
            moment = now + (parsed - local_now)
        elif not allow_date_only and parsed.time() == time(0) and not _HAS_TIME_WORD.search(cleaned):
            raise InvalidInput(f"`{_quote(cleaned)}` has no time of day; add one, such as "
                               f"`{_quote(cleaned)} 18:00`.")
        else:
            moment = localize(parsed, zone)
        moment.astimezone(tz)  # it is shown back in the member's zone
    except OverflowError:  # year 1 or 9999 moved across an offset
        raise _too_far(cleaned, what) from None
    return moment


def _not_understood(text: str, what: str) -> InvalidInput:
    shown = text[:50].replace("`", "'")
    return InvalidInput(f"I could not read `{shown}` as a {what}; try `2026-12-03 18:00`, `tomorrow 6pm`, "
                        "`next tuesday 18:30` or `in 2 hours`.")


def _too_far(text: str, what: str) -> InvalidInput:
    return InvalidInput(f"`{_quote(text)}` is too far from today to be a {what}; give one in the coming months, "
                        "such as `tomorrow 6pm`.")


def _shown(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(f"%Y-%m-%d %H:%M ({zone})")


def _is_elapsed_time(text: str) -> bool:
    """"in 90 minutes", "in 2 hours and 30 minutes": counted in real time, so right across DST.

    Days and weeks keep the wall time instead: "in 3 days" is the same time of day.
    """
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < 3 or tokens[0] != "in":
        return False
    expect_number = True
    for token in tokens[1:]:
        if expect_number:
            if token == "and":
                continue
            if not (token[0].isdigit() or token in _NUMBER_WORDS):
                return False
        elif not (token in _SECONDS or _UNITS.get(token, 1440) < 1440):
            return False
        expect_number = not expect_number
    return expect_number


def parse_duration(text: str, *, what: str = "duration", minimum: timedelta = MIN_DURATION,
                   maximum: timedelta = MAX_DURATION) -> timedelta:
    """``"90m"``, ``"1h30m"``, ``"1.5h"``, ``"2 hours"`` or a bare number of minutes."""
    cleaned = text.replace("\x00", "").strip().lower()
    tokens = _TOKEN.findall(cleaned)
    leftover = _TOKEN.sub("", cleaned).replace(",", "").strip()
    total = 0.0
    valid = bool(tokens) and len(cleaned) <= 40 and not leftover
    index = 0
    while valid and index < len(tokens):
        token = tokens[index]
        if token == "and" and index > 0:
            index += 1
            continue
        if not token[0].isdigit():
            valid = False
            break
        unit = tokens[index + 1] if index + 1 < len(tokens) and not tokens[index + 1][0].isdigit() else None
        if unit is not None and unit not in _UNITS and unit != "and":
            valid = False
            break
        total += float(token) * _UNITS.get(unit or "m", 1)
        index += 2 if unit is not None and unit != "and" else 1
    if not valid:
        raise InvalidInput(f"I could not read `{_quote(cleaned)}` as a {what}; use forms like `90m`, `1h30m` or `2h`.")
    if not minimum.total_seconds() <= round(total) * 60 <= maximum.total_seconds():
        raise InvalidInput(f"A {what} must be between {format_duration(minimum)} and {format_duration(maximum)}; "
                           f"`{_quote(cleaned)}` is not.")
    duration = timedelta(minutes=round(total))
    return duration


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """A comma list of reminder offsets (``"24h,15m"``), largest first, without repeats."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise InvalidInput("Give at least one offset, such as `24h,15m` or `1m`.")
    if len(parts) > MAX_OFFSETS:
        raise InvalidInput(f"At most {MAX_OFFSETS} reminder offsets; you gave {len(parts)}.")
    offsets = {parse_duration(part, what="reminder offset", minimum=MIN_OFFSET, maximum=MAX_OFFSET)
               for part in parts}
    return tuple(sorted(offsets, reverse=True))


def format_duration(duration: timedelta) -> str:
    """``1d 2h 30m`` style; minutes are the smallest unit shown."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p) or "0m"


def format_offset(offset: timedelta) -> str:
    """A reminder lead time in hours and minutes, as people write it: ``24h``, ``1h30m``, ``15m``."""
    hours, minutes = divmod(int(offset.total_seconds() // 60), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def format_offsets(offsets: tuple[timedelta, ...]) -> str:
    """The inverse of :func:`parse_offsets`: ``"24h,15m"`` (how the setting is stored)."""
    return ",".join(format_offset(offset) for offset in offsets)


def offsets_in_words(offsets: tuple[timedelta, ...]) -> str:
    """Reminder offsets as a sentence reads them: ``"24h and 15m"``, ``"2h, 1h30m and 15m"``."""
    shown = [format_offset(offset) for offset in offsets]
    return " and ".join(shown) if len(shown) <= 2 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _quote(text: str) -> str:
    """What the member typed, short and safe inside a code span."""
    return text[:40].replace("`", "'")
