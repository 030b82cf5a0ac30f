"""Which entries are which, which are new, and which an admin wants: identities, age and filters."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import re2

from bot.errors import InvalidInput
from bot.feeds.parse import FeedEntry, plain_text

FILTER_MAX = 200
_REGEX_MEMORY = 1 << 20  # RE2 runs in linear time; this bounds its memory as well


# Identity ---------------------------------------------------------------------------------------
def _candidates(entry: FeedEntry) -> tuple[str | None, str | None, str]:
    """guid, link, and the hash of title and date, most trusted first."""
    published = entry.published.isoformat() if entry.published else ""
    return (f"guid:{entry.guid}" if entry.guid else None,
            f"link:{entry.link}" if entry.link else None,
            f"title:{entry.title}\x00{published}")


def identify(entries: Sequence[FeedEntry]) -> list[tuple[str, FeedEntry]]:
    """Each entry with its identity: its guid, else its link, else title and date.

    A guid or link that repeats within this one fetch says nothing about which entry is which, so
    the entries that share it fall back to the next kind. Entries identical on every kind are one
    entry listed twice: the first is kept.
    """
    candidates = [_candidates(entry) for entry in entries]
    counts = [Counter(c[level] for c in candidates if c[level]) for level in range(3)]
    identified: list[tuple[str, FeedEntry]] = []
    taken: set[str] = set()
    for entry, options in zip(entries, candidates, strict=True):
        identity = next((value for level, value in enumerate(options)
                         if value and counts[level][value] == 1), None)
        if identity is None:  # nothing unique: a true duplicate shares even title and date
            identity = "|".join(value or "" for value in options)
        if identity not in taken:
            taken.add(identity)
            identified.append((identity, entry))
    return identified


def identity_hash(identity: str) -> str:
    """What is stored: 128 bits of SHA-256, enough to never collide within one feed."""
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# Filters ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryFilter:
    """Keywords (any of them, case-insensitive) or a ``/regex/`` (RE2: linear time, no backtracking)."""

    source: str
    keywords: tuple[str, ...] = ()
    pattern: re2._Regexp | None = None

    @property
    def empty(self) -> bool:
        return not self.keywords and self.pattern is None

    def matches(self, text: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        folded = text.casefold()
        return any(keyword in folded for keyword in self.keywords)


def parse_filter(text: str | None, label: str = "filter") -> EntryFilter:
    """``"python, rust"`` → two keywords; ``"/py(thon)?\\b/"`` → a regex. Raises :class:`InvalidInput`."""
    source = (text or "").replace("\x00", "").strip()
    if len(source) > FILTER_MAX:
        raise InvalidInput(f"The {label} is {len(source)} characters; keep it to {FILTER_MAX}.")
    if not source:
        return EntryFilter("")
    if len(source) >= 2 and source.startswith("/") and source.endswith("/"):
        return EntryFilter(source, pattern=_compile(source[1:-1], label))
    keywords = tuple(dict.fromkeys(k.strip().casefold() for k in source.split(",") if k.strip()))
    if not keywords:
        raise InvalidInput(f"The {label} has no keywords; separate keywords with commas, or write `/regex/`.")
    return EntryFilter(source, keywords=keywords)


def _compile(pattern: str, label: str) -> re2._Regexp:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = _REGEX_MEMORY
    if not pattern:
        raise InvalidInput(f"The {label} `//` is an empty regex; write keywords or a pattern between slashes.")
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidInput(
            f"The {label} `/{pattern[:60]}/` is not a regex I can use ({reason}). Look-arounds and "
            "back-references are not supported; keywords separated by commas always work."
        ) from exc


def wanted(entry: FeedEntry, include: EntryFilter, exclude: EntryFilter) -> bool:
    """Title and summary text must match ``include`` (when set) and must not match ``exclude``."""
    if include.empty and exclude.empty:
        return True
    text = f"{entry.title}\n{plain_text(entry.summary_html)}"
    if not include.empty and not include.matches(text):
        return False
    return exclude.empty or not exclude.matches(text)


# Selection --------------------------------------------------------------------------------------
def too_old(entry: FeedEntry, now: datetime, max_age: timedelta) -> bool:
    """Undated entries are never too old: a feed without dates still works."""
    return entry.published is not None and entry.published < now - max_age


def oldest_first(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """By date when every entry has one; otherwise by document order read bottom-up (feeds list
    newest first)."""
    by_document = sorted(entries, key=lambda e: -e.position)
    if all(e.published is not None for e in entries):
        return sorted(by_document, key=lambda e: e.published)  # type: ignore[arg-type, return-value]
    return by_document


def newest(entries: Sequence[FeedEntry], count: int) -> list[FeedEntry]:
    """The ``count`` newest entries, newest first."""
    return list(reversed(oldest_first(entries)))[:count]
