"""Writing a review: scores per criterion, then comments; a draft is kept until it is accepted."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed
from bot.reviews import notices, store
from bot.reviews.model import COMMENT_MAX, Assignment, Review, Status, Submission, check_comment, check_score


@dataclass(frozen=True)
class ReviewForm:
    """What the reviewer needs to see: the assignment, the work, and their draft."""

    assignment: Assignment
    submission: Submission
    review: Review

    @property
    def scored(self) -> int:
        return sum(1 for score in self.review.scores if score is not None)

    @property
    def complete_scores(self) -> bool:
        return len(self.review.scores) >= len(self.assignment.rubric) and self.scored >= len(self.assignment.rubric)


async def open_review(db: Database, review_id: int, user_id: int) -> ReviewForm:
    """The review, if ``user_id`` may write it now; otherwise the reason why not."""
    review = await store.get_review(db, review_id)
    submission = await store.get_submission(db, review.submission_id)
    assert submission is not None  # the review is deleted with its submission
    assignment = await store.get_assignment(db, review.guild_id, review.assignment_id)
    if submission.user_id == user_id:
        raise NotAllowed("You cannot review your own submission.")
    if review.reviewer_id != user_id:
        raise NotAllowed("This review was assigned to someone else; your reviews are in your DMs.")
    if assignment.status is Status.CLOSED:
        raise NotAllowed(f"The review round of {assignment.label} is closed; reviews are no longer taken.")
    if review.done:
        raise InvalidInput("You already submitted this review. Thank you!")
    return ReviewForm(assignment, submission, review)


async def set_score(db: Database, review_id: int, user_id: int, criterion: int, score: int) -> ReviewForm:
    """Store one criterion's score in the draft."""
    form = await open_review(db, review_id, user_id)
    check_score(score)
    if not 0 <= criterion < len(form.assignment.rubric):
        raise InvalidInput("That criterion is not part of this assignment's rubric.")
    scores = list(form.review.scores) + [None] * (len(form.assignment.rubric) - len(form.review.scores))
    scores[criterion] = score
    await db.execute("UPDATE reviews_reviews SET scores = ? WHERE id = ? AND submitted_at IS NULL",
                     (json.dumps(scores), review_id))
    return await open_review(db, review_id, user_id)


@dataclass(frozen=True)
class ReviewSubmitted:
    review: Review
    all_in: bool  # every review of the submission is now in: the author hears at once


async def submit_review(db: Database, clock: Clock, review_id: int, user_id: int, *, works: str,
                        improve: str) -> ReviewSubmitted:
    """Keep the comments as a draft, then accept the review if every score is set and both comments are long
    enough. A refusal keeps the draft, so the form opens again with what was written."""
    form = await open_review(db, review_id, user_id)
    draft_works = works.replace("\x00", "")[: COMMENT_MAX * 2]
    draft_improve = improve.replace("\x00", "")[: COMMENT_MAX * 2]
    await db.execute("UPDATE reviews_reviews SET works = ?, improve = ? WHERE id = ? AND submitted_at IS NULL",
                     (draft_works, draft_improve, review_id))
    if not form.complete_scores:
        missing = [name for index, name in enumerate(form.assignment.rubric)
                   if index >= len(form.review.scores) or form.review.scores[index] is None]
        raise InvalidInput(f"Score every criterion first (missing: {', '.join(missing)}). Your comments are kept.")
    for score in form.review.scores:
        check_score(int(score or 0))
    cleaned_works = check_comment(works, "What works")
    cleaned_improve = check_comment(improve, "What to improve")
    now = clock.now()
    ends = form.assignment.review_ends_at
    async with db.transaction():
        _, count = await db.execute(
            "UPDATE reviews_reviews SET works = ?, improve = ?, submitted_at = ?, late = ? "
            "WHERE id = ? AND submitted_at IS NULL",
            (cleaned_works, cleaned_improve, to_db(now), int(ends is not None and now > ends), review_id))
        if count != 1:
            raise InvalidInput("You already submitted this review. Thank you!")
        pending = await db.fetchval("SELECT COUNT(*) FROM reviews_reviews WHERE submission_id = ? "
                                    "AND submitted_at IS NULL", (form.submission.id,), 0)
        all_in = pending == 0 and await notices.bring_forward(db, form.assignment.id,
                                                              f"results:{form.submission.id}", now)
        told = await db.fetchval("SELECT claimed_at FROM reviews_notices WHERE assignment_id = ? AND key = ?",
                                 (form.assignment.id, f"results:{form.submission.id}"))
        if told is not None:  # a late review after the results went out: the author hears of it too
            await notices.plan(db, [notices.Notice(form.assignment.guild_id, form.assignment.id,
                                                   f"results:{form.submission.id}:{review_id}",
                                                   form.submission.user_id, now)])
    return ReviewSubmitted(await store.get_review(db, review_id), all_in)


async def mark_helpful(db: Database, clock: Clock, review_id: int, user_id: int) -> Review:
    """The author found a review helpful (once); returns it, so the reviewer can be credited."""
    review = await store.get_review(db, review_id)
    submission = await store.get_submission(db, review.submission_id)
    if submission is None or submission.user_id != user_id:
        raise NotAllowed("Only the author of the submission can mark its reviews helpful.")
    if not review.done:
        raise InvalidInput("That review has not been submitted yet.")
    _, count = await db.execute("UPDATE reviews_reviews SET helpful_at = ? WHERE id = ? AND helpful_at IS NULL",
                                (to_db(clock.now()), review_id))
    if count != 1:
        raise InvalidInput("You already marked this review helpful.")
    return await store.get_review(db, review_id)


@dataclass(frozen=True)
class MyResults:
    assignment: Assignment
    submission: Submission
    reviews: list[Review]  # submitted ones, oldest first
    pending: int


async def my_results(db: Database, assignment: Assignment, user_id: int) -> MyResults:
    submission = await store.submission_of(db, assignment.id, user_id)
    if submission is None:
        if assignment.status is Status.CLOSED:
            raise InvalidInput(f"You made no submission to {assignment.label}, so there are no reviews to show.")
        raise InvalidInput(f"You have no submission to {assignment.label} yet; hand one in with "
                           f"`/submit assignment:{assignment.id} url:…`.")
    reviews = await store.reviews_of_submission(db, submission.id)
    return MyResults(assignment, submission, [r for r in reviews if r.done], sum(1 for r in reviews if not r.done))
