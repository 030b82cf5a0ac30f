"""The organisers' view of an assignment: who submitted, who was late, each reviewer's done and pending."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from bot.db import Database
from bot.reviews import store
from bot.reviews.model import Assignment, Review, Submission


@dataclass(frozen=True)
class ReviewerLoad:
    user_id: int | None  # None: a reviewer who asked to be forgotten
    done: int
    pending: int


@dataclass(frozen=True)
class StatusReport:
    assignment: Assignment
    submissions: list[Submission]
    reviews: list[Review]
    volunteers: list[int]

    @property
    def late(self) -> int:
        return sum(1 for s in self.submissions if s.late)

    @property
    def reviews_done(self) -> int:
        return sum(1 for r in self.reviews if r.done)

    def loads(self) -> list[ReviewerLoad]:
        """Per reviewer, most pending first."""
        tally: dict[int | None, list[int]] = {}
        for review in self.reviews:
            counts = tally.setdefault(review.reviewer_id, [0, 0])
            counts[0 if review.done else 1] += 1
        found = [ReviewerLoad(user, done, pending) for user, (done, pending) in tally.items()]
        return sorted(found, key=lambda load: (-load.pending, load.user_id or 0))


async def status_report(db: Database, assignment: Assignment) -> StatusReport:
    return StatusReport(assignment, await store.submissions(db, assignment.id),
                        await store.reviews_of_assignment(db, assignment.id), await store.volunteers(db, assignment.id))


def csv_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ (or tab, CR) would make it a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


NOT_A_MEMBER = "(not in the server)"


def report_csv(report: StatusReport, names: dict[int, str]) -> str:
    """One row per submission and reviewer (a submission without reviewers still has its row).
    ``names`` holds the server's members: anyone else has left, and the row says so."""
    rubric = report.assignment.rubric
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("submission_id", "author_id", "author", "url", "submitted_at", "late", "reviewer_id", "reviewer",
                     "review_status", "reviewed_at", "review_late", *(f"score: {csv_safe(c)}" for c in rubric)))
    by_submission: dict[int, list[Review]] = {}
    for review in report.reviews:
        by_submission.setdefault(review.submission_id, []).append(review)
    for submission in report.submissions:
        author = csv_safe(names.get(submission.user_id, NOT_A_MEMBER))
        head = (submission.id, submission.user_id, author, csv_safe(submission.url),
                submission.submitted_at.isoformat(), int(submission.late))
        reviews = by_submission.get(submission.id, [])
        if not reviews:
            writer.writerow((*head, "", "", "unassigned", "", "", *("" for _ in rubric)))
        for review in reviews:
            reviewer = review.reviewer_id
            scores = [(review.scores[i] if i < len(review.scores) and review.done else "") for i in range(len(rubric))]
            writer.writerow((*head, reviewer if reviewer is not None else "",
                             csv_safe(names.get(reviewer, NOT_A_MEMBER)) if reviewer is not None else "(forgotten)",
                             "done" if review.done else "pending",
                             review.submitted_at.isoformat() if review.submitted_at else "", int(review.late),
                             *("" if s is None else s for s in scores)))
    return out.getvalue()
