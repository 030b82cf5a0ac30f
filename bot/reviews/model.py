"""What peer review is made of: assignments, submissions, reviews, and the rules they follow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import from_db
from bot.db import Row
from bot.errors import InvalidInput, NotFound

DEFAULT_RUBRIC = ("Problem framing", "Design choices", "Evaluation", "Clarity")
RUBRIC_MAX = 5
CRITERION_MAX = 40
SCORE_MIN, SCORE_MAX = 1, 5
COMMENT_MIN, COMMENT_MAX = 50, 1000
TITLE_MAX = 100
NOTE_MAX = 500
DEFAULT_REVIEW_DAYS, REVIEW_DAYS_MAX = 7, 60
DEFAULT_REVIEWERS, REVIEWERS_MAX = 3, 10
REMINDER_LEADS = (timedelta(hours=48), timedelta(hours=6))


class Status(StrEnum):
    OPEN = "open"            # taking submissions (late ones after the due time, if allowed)
    REVIEWING = "reviewing"  # reviewers assigned; reviews accepted until the round is closed
    CLOSED = "closed"        # the round is over: nothing more is accepted


class Source(StrEnum):
    PEER = "peer"            # a fellow submitter, drawn at the due time
    VOLUNTEER = "volunteer"  # filled in because there were too few submitters
    LATE = "late"            # for a submission that came after the draw


@dataclass(frozen=True)
class Assignment:
    id: int
    guild_id: int
    title: str
    topic_id: int | None
    due_at: datetime
    review_days: int
    reviewers: int
    rubric: tuple[str, ...]
    reveal_reviewers: bool
    accept_late: bool
    status: Status
    seed: int | None
    assigned_at: datetime | None
    review_ends_at: datetime | None
    closed_at: datetime | None
    shortfall: int
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    plan_item_id: int | None
    created_by: int | None

    @property
    def label(self) -> str:
        return f"#{self.id} {self.title}"


@dataclass(frozen=True)
class Submission:
    id: int
    guild_id: int
    assignment_id: int
    user_id: int
    url: str
    note: str
    public: bool
    late: bool
    submitted_at: datetime
    updated_at: datetime
    showcase_channel_id: int | None
    showcase_message_id: int | None


@dataclass(frozen=True)
class Review:
    id: int
    guild_id: int
    assignment_id: int
    submission_id: int
    reviewer_id: int | None  # None: the reviewer asked to be forgotten
    source: Source
    scores: tuple[int | None, ...]
    works: str
    improve: str
    submitted_at: datetime | None
    late: bool
    helpful: bool

    @property
    def done(self) -> bool:
        return self.submitted_at is not None


class AssignmentNotFound(NotFound):
    def __init__(self, text: str) -> None:
        shown = text[:40].replace("`", "'")
        super().__init__(f"There is no assignment `{shown}` here; `/assignment list` shows them.")


class ReviewNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("That review is no longer needed: the work's author left the server or had their work "
                         "removed. Your other reviews are still open.")


def _when(value: str | None) -> datetime | None:
    return from_db(value) if value else None


def assignment_from_row(row: Row) -> Assignment:
    return Assignment(
        id=row["id"], guild_id=row["guild_id"], title=row["title"], topic_id=row["topic_id"],
        due_at=from_db(row["due_at"]), review_days=row["review_days"], reviewers=row["reviewers"],
        rubric=tuple(json.loads(row["rubric"])), reveal_reviewers=bool(row["reveal_reviewers"]),
        accept_late=bool(row["accept_late"]), status=Status(row["status"]), seed=row["seed"],
        assigned_at=_when(row["assigned_at"]), review_ends_at=_when(row["review_ends_at"]),
        closed_at=_when(row["closed_at"]), shortfall=row["shortfall"], channel_id=row["channel_id"],
        message_id=row["message_id"], thread_id=row["thread_id"], plan_item_id=row["plan_item_id"],
        created_by=row["created_by"])


def submission_from_row(row: Row) -> Submission:
    return Submission(
        id=row["id"], guild_id=row["guild_id"], assignment_id=row["assignment_id"], user_id=row["user_id"],
        url=row["url"], note=row["note"], public=bool(row["public"]), late=bool(row["late"]),
        submitted_at=from_db(row["submitted_at"]), updated_at=from_db(row["updated_at"]),
        showcase_channel_id=row["showcase_channel_id"], showcase_message_id=row["showcase_message_id"])


def review_from_row(row: Row) -> Review:
    return Review(
        id=row["id"], guild_id=row["guild_id"], assignment_id=row["assignment_id"],
        submission_id=row["submission_id"], reviewer_id=row["reviewer_id"], source=Source(row["source"]),
        scores=tuple(json.loads(row["scores"])), works=row["works"], improve=row["improve"],
        submitted_at=_when(row["submitted_at"]), late=bool(row["late"]), helpful=row["helpful_at"] is not None)


def parse_rubric(text: str | None) -> tuple[str, ...]:
    """``"Problem framing; Design; Clarity"`` (``;`` or ``,`` between) → the criteria; None → the default."""
    if text is None or not text.replace("\x00", "").strip():
        return DEFAULT_RUBRIC
    separator = ";" if ";" in text else ","
    names = [" ".join(part.replace("\x00", "").split()) for part in text.split(separator)]
    names = [name for name in names if name]
    if not names:
        return DEFAULT_RUBRIC
    if len(names) > RUBRIC_MAX:
        raise InvalidInput(f"A rubric has at most {RUBRIC_MAX} criteria; you gave {len(names)}. Separate them "
                           "with `;`, such as `Problem framing; Design choices; Clarity`.")
    for name in names:
        if len(name) > CRITERION_MAX:
            shown = name[:CRITERION_MAX].replace("`", "'")
            raise InvalidInput(f"Criterion `{shown}…` is {len(name)} characters; keep each to {CRITERION_MAX}.")
    if len({name.casefold() for name in names}) != len(names):
        raise InvalidInput("Two criteria of the rubric have the same name; give each a different one.")
    return tuple(names)


def check_score(score: int) -> int:
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise InvalidInput(f"A score is from {SCORE_MIN} to {SCORE_MAX}; {score} is not.")
    return score


def check_comment(text: str, label: str) -> str:
    """A review comment: at least :data:`COMMENT_MIN` characters (spaces at the ends don't count)."""
    cleaned = text.replace("\x00", "").strip()
    if len(cleaned) < COMMENT_MIN:
        raise InvalidInput(f"“{label}” has {len(cleaned)} characters; write at least {COMMENT_MIN}, so the author "
                           "learns something they can act on. Your draft is kept.")
    if len(cleaned) > COMMENT_MAX:
        raise InvalidInput(f"“{label}” is {len(cleaned)} characters; keep it to {COMMENT_MAX}. Your draft is kept.")
    return cleaned


def averages(rubric: tuple[str, ...], reviews: list[Review]) -> list[tuple[str, float | None]]:
    """Each criterion's mean score over the submitted reviews (None when there are none)."""
    done = [r for r in reviews if r.done]
    result: list[tuple[str, float | None]] = []
    for index, name in enumerate(rubric):
        scores = [r.scores[index] for r in done if index < len(r.scores) and r.scores[index] is not None]
        result.append((name, sum(s for s in scores if s is not None) / len(scores) if scores else None))
    return result
