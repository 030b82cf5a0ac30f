"""What a resource is, and what its free-text fields may hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db
from bot.db import Row
from bot.errors import AlreadyExists, InvalidInput, NotFound

LEVELS = ("beginner", "intermediate", "advanced")
KINDS = ("article", "paper", "course", "video", "repo", "book", "talk", "tool")
TITLE_MAX = 200
NOTE_MAX = 1000
TAG_MAX = 30
TAGS_MAX = 8
BROKEN_AFTER_FAILURES = 2
_TAG = re.compile(r"^[\w+#.-]+$")
_SPACES = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # category Cc, except tab and line breaks


@dataclass(frozen=True)
class Resource:
    id: int
    guild_id: int
    url: str
    host: str
    title: str
    note: str
    level: str | None
    kind: str | None
    tags: tuple[str, ...]
    topic_id: int | None
    topic_slug: str | None
    topic_name: str | None
    author_id: int | None  # None: the curated starter library, or a member since forgotten
    curated: bool
    votes: int
    created_at: datetime
    removed_at: datetime | None
    failed_checks: int
    last_check_result: str | None
    last_checked_at: datetime | None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    @property
    def broken(self) -> bool:
        return self.failed_checks >= BROKEN_AFTER_FAILURES


# Every query that builds a Resource selects these first, in this order (Resource's field order):
# ``resource_from_row`` reads them by position.
RESOURCE_COLUMNS = ("r.id, r.guild_id, r.url, r.host, r.title, r.note, r.level, r.kind, r.tags, r.topic_id, "
                    "t.slug AS topic_slug, t.name AS topic_name, r.author_id, r.curated, r.votes, r.created_at, "
                    "r.removed_at, r.failed_checks, r.last_check_result, r.last_checked_at")
RESOURCE_FROM = "resources AS r LEFT JOIN topics AS t ON t.id = r.topic_id"


def resource_from_row(row: Row) -> Resource:
    """The Resource in a row that starts with ``RESOURCE_COLUMNS``, in that order.

    Read by position: a lookup by name scans the row's column names, and a search builds ten of
    these per command (measured: 45 µs -> 21 µs for ten).
    """
    (id_, guild_id, url, host, title, note, level, kind, tags, topic_id, topic_slug, topic_name, author_id,
     curated, votes, created_at, removed_at, failed_checks, last_check_result, last_checked_at) = row[:20]
    return Resource(
        id=id_, guild_id=guild_id, url=url, host=host, title=title, note=note, level=level, kind=kind,
        tags=split_tags(tags), topic_id=topic_id, topic_slug=topic_slug, topic_name=topic_name,
        author_id=author_id, curated=bool(curated), votes=votes, created_at=from_db(created_at),
        removed_at=from_db(removed_at) if removed_at else None, failed_checks=failed_checks,
        last_check_result=last_check_result,
        last_checked_at=from_db(last_checked_at) if last_checked_at else None,
    )


class ResourceNotFound(NotFound):
    def __init__(self, resource_id: int) -> None:
        super().__init__(f"There is no resource #{resource_id} here; `/resource search` finds resources by words.")


class DuplicateResource(AlreadyExists):
    """The link is already in this guild's library; ``existing`` is the resource it duplicates."""

    def __init__(self, existing: Resource) -> None:
        who = (f"<@{existing.author_id}>" if existing.author_id is not None
               else "the starter library" if existing.curated else "a former member")
        when = f"<t:{int(existing.created_at.timestamp())}:D>"
        hint = (" It was removed since; a moderator can bring it back with "
                f"`/resource restore id:{existing.id}`." if existing.removed else "")
        super().__init__(f"That link was already shared by {who} on {when} as #{existing.id}.{hint}")
        self.existing = existing


# Free-text fields ---------------------------------------------------------------------------
def _without_controls(text: str, *, keep_newlines: bool) -> str:
    """Drop NUL and the other control characters (they only cause trouble); tabs become spaces."""
    text = _CONTROLS.sub("", text.replace("\t", " "))
    return text.replace("\r", "") if keep_newlines else text.replace("\r", " ").replace("\n", " ")


def clean_title(text: str) -> str:
    title = _SPACES.sub(" ", _without_controls(text, keep_newlines=False)).strip()
    if not title:
        raise InvalidInput("The title cannot be empty; leave the option out to use the page's own title.")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    return title


def clean_note(text: str) -> str:
    note = _without_controls(text.replace("\r\n", "\n"), keep_newlines=True).strip()
    note = re.sub(r"\n{3,}", "\n\n", note)
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"The note is {len(note)} characters; keep it to {NOTE_MAX}.")
    return note


def parse_tags(text: str) -> tuple[str, ...]:
    """``"WebGPU, on device"`` → ``("webgpu", "on-device")``: lower-case words, commas between."""
    tags: list[str] = []
    for piece in _without_controls(text, keep_newlines=False).split(","):
        tag = _SPACES.sub("-", piece.strip().lower())
        if not tag:
            continue
        if len(tag) > TAG_MAX or not _TAG.match(tag):
            shown = tag[:TAG_MAX].replace("`", "'")
            raise InvalidInput(f"`{shown}` is not a tag: tags are up to {TAG_MAX} letters, digits and "
                               "`+ # . - _`, separated by commas, such as `webgpu, inference`.")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise InvalidInput(f"That is {len(tags)} tags; up to {TAGS_MAX} are kept, so pick the telling ones.")
    return tuple(tags)


def join_tags(tags: tuple[str, ...]) -> str:
    return ",".join(tags)


def split_tags(stored: str) -> tuple[str, ...]:
    return tuple(tag for tag in stored.split(",") if tag)


def parse_level(text: str) -> str:
    level = text.strip().lower()
    if level not in LEVELS:
        raise InvalidInput(f"`{_shown(text)}` is not a level; use one of: {', '.join(LEVELS)}.")
    return level


def parse_kind(text: str) -> str:
    kind = text.strip().lower()
    if kind not in KINDS:
        raise InvalidInput(f"`{_shown(text)}` is not a kind; use one of: {', '.join(KINDS)}.")
    return kind


def _shown(text: str) -> str:
    """A short, backtick-free echo of what was typed, for error messages."""
    return text.strip()[:30].replace("`", "'")
