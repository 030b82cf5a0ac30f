"""Peer review's domain against a real SQLite file: assignments, submissions, the round, reviews, privacy."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.gate import privacy
from bot.reviews import leavers, notices, report, reviewing, rounds, store, submissions
from bot.reviews.model import DEFAULT_RUBRIC, Assignment, Review, ReviewNotFound, Status, averages, parse_rubric

GUILD = 5
ORGANISER, ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4, 6
GOOD = "This is a long enough comment that says something specific about the work."


async def make(db: Database, clock: FakeClock, **options: object) -> Assignment:
    fields: dict[str, object] = {"guild_id": GUILD, "title": "Week 1 project",
                                 "due_at": clock.now() + timedelta(days=2), "created_by": ORGANISER} | options
    return await store.create_assignment(db, clock, **fields)  # type: ignore[arg-type]


async def submit_all(db: Database, clock: FakeClock, assignment: Assignment, *users: int) -> None:
    for user in users:
        await submissions.submit(db, clock, assignment, user_id=user, url=f"https://example.org/{user}")


async def drawn(db: Database, clock: FakeClock, *users: int, **options: object) -> Assignment:
    assignment = await make(db, clock, **options)
    await submit_all(db, clock, assignment, *users)
    started = await rounds.start_round(db, clock, assignment.id, seed=42)
    assert started is not None
    return started.assignment


async def only_review_of(db: Database, assignment: Assignment, author: int) -> Review:
    """The one review of ``author``'s work (an assignment drawn with one reviewer each)."""
    submission = await store.submission_of(db, assignment.id, author)
    assert submission is not None
    [review] = await store.reviews_of_submission(db, submission.id)
    return review


async def write(db: Database, clock: FakeClock, review_id: int, reviewer: int, scores: list[int]) -> None:
    for index, score in enumerate(scores):
        await reviewing.set_score(db, review_id, reviewer, index, score)
    await reviewing.submit_review(db, clock, review_id, reviewer, works=GOOD, improve=GOOD)


def test_the_rubric_defaults_and_parses() -> None:
    assert parse_rubric(None) == DEFAULT_RUBRIC == ("Problem framing", "Design choices", "Evaluation", "Clarity")
    assert parse_rubric(" Framing ;  Code  quality;Clarity ") == ("Framing", "Code quality", "Clarity")
    with pytest.raises(InvalidInput, match="at most 5"):
        parse_rubric("a;b;c;d;e;f")
    with pytest.raises(InvalidInput, match="same name"):
        parse_rubric("Clarity, clarity")


async def test_a_submission_is_normalised_and_replaceable_until_the_due_time(db: Database, clock: FakeClock) -> None:
    assignment = await make(db, clock)
    first = await submissions.submit(db, clock, assignment, user_id=ALICE, url="HTTPS://Example.org/a?utm_source=x#top",
                                     note="v1")
    assert first.created and first.submission.url == "https://example.org/a" and not first.submission.late
    again = await submissions.submit(db, clock, assignment, user_id=ALICE, url="example.org/b", note="v2")
    assert not again.created and again.submission.id == first.submission.id
    assert (again.submission.url, again.submission.note) == ("https://example.org/b", "v2")
    clock.advance(timedelta(days=3))
    with pytest.raises(NotAllowed, match="can no longer be replaced"):
        await submissions.submit(db, clock, assignment, user_id=ALICE, url="https://example.org/c")


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "mailto:a@example.org"])
async def test_a_link_that_is_not_http_is_refused(db: Database, clock: FakeClock, url: str) -> None:
    assignment = await make(db, clock)
    with pytest.raises(InvalidInput):
        await submissions.submit(db, clock, assignment, user_id=ALICE, url=url)
    assert await store.submissions(db, assignment.id) == []


async def test_late_submissions_are_marked_or_refused_when_turned_off(db: Database, clock: FakeClock) -> None:
    lenient, strict = await make(db, clock), await make(db, clock, title="Strict", accept_late=False)
    clock.advance(timedelta(days=2, minutes=1))
    late = await submissions.submit(db, clock, lenient, user_id=ALICE, url="https://example.org/a")
    assert late.submission.late
    with pytest.raises(NotAllowed, match="no late submissions"):
        await submissions.submit(db, clock, strict, user_id=ALICE, url="https://example.org/a")


async def test_a_closed_assignment_takes_no_submissions(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB)
    closed = (await rounds.close(db, clock, assignment)).assignment
    assert closed.status is Status.CLOSED
    with pytest.raises(NotAllowed, match="is closed"):
        await submissions.submit(db, clock, closed, user_id=CAROL, url="https://example.org/c")


async def test_the_draw_is_stored_with_its_seed_and_every_notice_planned(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=2)
    assert assignment.status is Status.REVIEWING and assignment.seed == 42 and assignment.shortfall == 0
    assert assignment.review_ends_at == clock.now() + timedelta(days=7)
    reviews = await store.reviews_of_assignment(db, assignment.id)
    assert len(reviews) == 8
    keys = {n.key for n in await notices.history(db, assignment.id)}
    for user in (ALICE, BOB, CAROL, DAVE):
        assert {f"assigned:{user}", f"remind-48h:{user}", f"remind-6h:{user}"} <= keys
    assert sum(key.startswith("results:") for key in keys) == 4
    assert await rounds.start_round(db, clock, assignment.id) is None  # a second draw does nothing


async def test_too_few_submitters_leave_a_shortfall_that_volunteers_fill(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, reviewers=3)
    assert assignment.shortfall == 4  # each of two submissions has one peer and lacks two
    assert "shortfall" in {n.key for n in await notices.history(db, assignment.id)}
    taken = await rounds.volunteer(db, clock, assignment, CAROL)
    assert taken == 2
    assert (await store.get_assignment(db, GUILD, assignment.id)).shortfall == 2
    assert await rounds.volunteer(db, clock, assignment, CAROL) == 0  # nothing more for her to take


async def test_a_late_submission_during_the_round_gets_reviewers_but_not_its_author(
        db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=2)
    late = await submissions.submit(db, clock, assignment, user_id=7, url="https://example.org/late")
    assert late.submission.late and late.reviewers == 2
    reviewers = [r.reviewer_id for r in await store.reviews_of_submission(db, late.submission.id)]
    assert len(set(reviewers)) == 2 and 7 not in reviewers
    loads = await rounds.current_loads(db, assignment.id)
    assert max(loads.values()) <= assignment.reviewers + 1


async def test_scores_outside_one_to_five_and_short_comments_are_refused_and_the_draft_kept(
        db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE)
    review = (await store.reviews_by(db, assignment.id, ALICE))[0]
    for bad in (0, 6):
        with pytest.raises(InvalidInput, match="from 1 to 5"):
            await reviewing.set_score(db, review.id, ALICE, 0, bad)
    for index in range(len(assignment.rubric)):
        await reviewing.set_score(db, review.id, ALICE, index, 4)
    with pytest.raises(InvalidInput, match="at least 50"):
        await reviewing.submit_review(db, clock, review.id, ALICE, works="Nice.", improve=GOOD)
    draft = await store.get_review(db, review.id)
    assert (draft.works, draft.improve, draft.scores, draft.done) == ("Nice.", GOOD, (4, 4, 4, 4), False)
    with pytest.raises(InvalidInput, match="at least 50"):
        await reviewing.submit_review(db, clock, review.id, ALICE, works=" " * 60 + "short", improve=GOOD)


async def test_nobody_reviews_their_own_submission_or_someone_elses_review(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE)
    review = (await store.reviews_by(db, assignment.id, ALICE))[0]
    submission = await store.get_submission(db, review.submission_id)
    assert submission is not None and submission.user_id != ALICE
    with pytest.raises(NotAllowed, match="your own submission"):
        await reviewing.open_review(db, review.id, submission.user_id)
    outsider = next(u for u in (BOB, CAROL, DAVE) if u != submission.user_id)
    with pytest.raises(NotAllowed, match="someone else"):
        await reviewing.open_review(db, review.id, outsider)


async def test_when_all_reviews_are_in_the_results_are_due_at_once(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=2)
    submission = await store.submission_of(db, assignment.id, ALICE)
    assert submission is not None
    reviews = await store.reviews_of_submission(db, submission.id)
    clock.advance(timedelta(hours=1))
    assert reviews[0].reviewer_id is not None and reviews[1].reviewer_id is not None
    await write(db, clock, reviews[0].id, reviews[0].reviewer_id, [5, 4, 3, 2])
    results = next(n for n in await notices.history(db, assignment.id) if n.key == f"results:{submission.id}")
    assert results.due_at == assignment.review_ends_at
    await write(db, clock, reviews[1].id, reviews[1].reviewer_id, [3, 4, 5, 4])
    results = next(n for n in await notices.history(db, assignment.id) if n.key == f"results:{submission.id}")
    assert results.due_at == clock.now()
    mine = await reviewing.my_results(db, assignment, ALICE)
    assert averages(assignment.rubric, mine.reviews) == [("Problem framing", 4.0), ("Design choices", 4.0),
                                                         ("Evaluation", 4.0), ("Clarity", 3.0)]


async def test_the_author_marks_a_review_helpful_once(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=1)
    review = await only_review_of(db, assignment, ALICE)
    assert review.reviewer_id is not None
    with pytest.raises(InvalidInput, match="not been submitted"):
        await reviewing.mark_helpful(db, clock, review.id, ALICE)
    await write(db, clock, review.id, review.reviewer_id, [3, 3, 3, 3])
    with pytest.raises(NotAllowed, match="Only the author"):
        await reviewing.mark_helpful(db, clock, review.id, review.reviewer_id)
    assert (await reviewing.mark_helpful(db, clock, review.id, ALICE)).helpful
    with pytest.raises(InvalidInput, match="already"):
        await reviewing.mark_helpful(db, clock, review.id, ALICE)


async def test_closing_the_round_skips_reminders_and_sends_results_now(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE)
    closed = (await rounds.close(db, clock, assignment)).assignment
    history = await notices.history(db, assignment.id)
    assert all(n.outcome == "skipped" for n in history if n.key.startswith("remind-"))
    assert all(n.due_at == clock.now() for n in history if n.key.startswith("results:"))
    with pytest.raises(InvalidInput, match="already closed"):
        await rounds.close(db, clock, closed)
    review = (await store.reviews_by(db, assignment.id, ALICE))[0]
    with pytest.raises(NotAllowed, match="closed"):
        await reviewing.open_review(db, review.id, ALICE)


async def test_the_status_csv_is_formula_safe(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=1)
    found = await report.status_report(db, assignment)
    text = report.report_csv(found, {ALICE: "=HYPERLINK(\"x\")", BOB: "+bob", CAROL: "carol", DAVE: "@dave"})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and {r["review_status"] for r in rows} == {"pending"}
    assert {r["author"] for r in rows} == {"'=HYPERLINK(\"x\")", "'+bob", "carol", "'@dave"}
    assert [load.pending for load in found.loads()] == [1, 1, 1, 1]


async def test_forgetting_a_member_deletes_their_submission_and_anonymises_their_reviews(
        db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=2)
    written, unwritten = (await store.reviews_by(db, assignment.id, ALICE))[:2]
    await write(db, clock, written.id, ALICE, [5, 5, 5, 5])
    assert await privacy.unregistered_user_columns(db) == []
    export = await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD)
    assert len(export["data"]["reviews_submissions.user_id"]) == 1
    assert {r["id"] for r in export["data"]["reviews_reviews.reviewer_id"]} == {written.id, unwritten.id}
    await privacy.forget_user(db, user_id=ALICE, guild_id=GUILD)
    assert await store.submission_of(db, assignment.id, ALICE) is None
    kept = await store.get_review(db, written.id)
    assert kept.reviewer_id is None and kept.works == GOOD  # the author keeps the feedback
    with pytest.raises(ReviewNotFound, match="no longer needed"):
        await store.get_review(db, unwritten.id)


async def test_reviews_received_are_exported_without_the_reviewer(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=1)
    review = await only_review_of(db, assignment, ALICE)
    assert review.reviewer_id is not None
    await write(db, clock, review.id, review.reviewer_id, [1, 2, 3, 4])
    export = await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD)
    [received] = export["data"]["reviews received"]
    assert json.loads(received["scores"]) == [1, 2, 3, 4] and "reviewer_id" not in received


async def test_a_second_close_of_an_open_assignment_does_not_end_the_round(db: Database, clock: FakeClock) -> None:
    assignment = await make(db, clock)
    await submit_all(db, clock, assignment, ALICE, BOB, CAROL, DAVE)
    first = await rounds.close(db, clock, assignment)
    assert isinstance(first, rounds.RoundStarted) and first.assignment.status is Status.REVIEWING
    with pytest.raises(InvalidInput, match="drawn a moment ago"):  # a second organiser, same stale view
        await rounds.close(db, clock, assignment)
    assert (await store.get_assignment(db, GUILD, assignment.id)).status is Status.REVIEWING
    ended = await rounds.close(db, clock, first.assignment)
    assert isinstance(ended, rounds.RoundClosed) and ended.pending == 12
    with pytest.raises(InvalidInput, match="closed a moment ago"):
        await rounds.close(db, clock, first.assignment)


async def test_nobody_submitted_tells_organisers_and_closes_when_no_late_work_can_come(
        db: Database, clock: FakeClock) -> None:
    lenient, strict = await make(db, clock), await make(db, clock, title="Strict", accept_late=False)
    for assignment, status in ((lenient, Status.REVIEWING), (strict, Status.CLOSED)):
        started = await rounds.start_round(db, clock, assignment.id, seed=1)
        assert started is not None and started.submissions == 0 and started.assignment.status is status
        keys = {n.key for n in await notices.history(db, assignment.id)}
        assert notices.SHORTFALL in keys and notices.ENDED not in keys


async def test_a_late_submitter_takes_the_places_others_are_missing(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, reviewers=2)  # one submitter: two places missing
    assert assignment.shortfall == 2
    late = await submissions.submit(db, clock, assignment, user_id=BOB, url="https://example.org/bob")
    assert late.reviewers == 1  # Alice reviews Bob ...
    [bobs] = await store.reviews_by(db, assignment.id, BOB)  # ... and Bob reviews Alice
    alices = await store.submission_of(db, assignment.id, ALICE)
    assert alices is not None and bobs.submission_id == alices.id
    # Alice's work still lacks one reviewer and Bob's one: two places, as before Bob came.
    assert (await store.get_assignment(db, GUILD, assignment.id)).shortfall == 2
    assert f"assigned:{BOB}:p{late.submission.id}:{alices.id}" in {n.key for n in await notices.history(
        db, assignment.id)}


async def test_work_given_after_the_window_ended_has_reminders_of_its_own(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, reviewers=2)
    assert assignment.review_ends_at is not None
    clock.set(assignment.review_ends_at + timedelta(days=1))  # the round runs on until organisers close it
    late = await submissions.submit(db, clock, assignment, user_id=7, url="https://example.org/late")
    own_end = clock.now() + timedelta(days=assignment.review_days)
    for review in await store.reviews_of_submission(db, late.submission.id):
        due = {n.kind: n.due_at for n in await notices.history(db, assignment.id)
               if n.user_id == review.reviewer_id and n.key.endswith(f":{review.id}") and n.kind.startswith("remind")}
        assert due == {"remind-48h": own_end - timedelta(hours=48), "remind-6h": own_end - timedelta(hours=6)}


async def test_closing_the_round_skips_the_organisers_window_end_note(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE)
    [ended] = [n for n in await notices.history(db, assignment.id) if n.key == notices.ENDED]
    assert ended.due_at == assignment.review_ends_at and ended.outcome is None
    await rounds.close(db, clock, assignment)
    [ended] = [n for n in await notices.history(db, assignment.id) if n.key == notices.ENDED]
    assert ended.outcome == "skipped"


async def test_replacing_after_an_early_close_says_why_and_where_to_go(db: Database, clock: FakeClock) -> None:
    assignment = await make(db, clock)
    await submit_all(db, clock, assignment, ALICE, BOB)
    closed = (await rounds.close(db, clock, assignment)).assignment
    with pytest.raises(NotAllowed, match="closed submissions early") as refused:
        await submissions.submit(db, clock, closed, user_id=ALICE, url="https://example.org/new")
    assert "https://example.org/2" in refused.value.message and "say so in" in refused.value.message


async def test_a_reviewer_who_leaves_hands_on_what_they_owe_and_reviews_of_their_work_stop(
        db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, CAROL, DAVE, 7, reviewers=2)
    bobs = await store.submission_of(db, assignment.id, BOB)
    assert bobs is not None
    [written, *_] = await store.reviews_of_submission(db, bobs.id)
    assert written.reviewer_id is not None
    await write(db, clock, written.id, written.reviewer_id, [4, 4, 4, 4])
    owed = {r.submission_id for r in await store.reviews_by(db, assignment.id, BOB)}
    [handed] = await leavers.member_left(db, clock, GUILD, BOB, present={ALICE, CAROL, DAVE, 7})
    assert (handed.handed_on, handed.unfilled, handed.withdrawn) == (2, 0, 1)
    assert await store.reviews_by(db, assignment.id, BOB) == []
    for submission_id in owed:  # each still has two reviewers, none of them the author or Bob
        submission = await store.get_submission(db, submission_id)
        reviewers = [r.reviewer_id for r in await store.reviews_of_submission(db, submission_id)]
        assert submission is not None and len(set(reviewers)) == 2 and submission.user_id not in reviewers
    assert [r.id for r in await store.reviews_of_submission(db, bobs.id)] == [written.id]  # the written one stays
    loads = await rounds.current_loads(db, assignment.id)
    assert max(load for user, load in loads.items() if user != BOB) <= assignment.reviewers + 1
    results = {n.key: n.outcome for n in await notices.history(db, assignment.id)}
    assert results[f"results:{bobs.id}"] == "skipped"
    assert await leavers.member_left(db, clock, GUILD, BOB, present={ALICE}) == []  # nothing left to hand on


async def test_the_showcase_cards_a_forgotten_member_leaves_are_listed(db: Database, clock: FakeClock) -> None:
    first, second = await make(db, clock), await make(db, clock, title="Week 2", guild_id=GUILD + 1)
    for assignment, message_id in ((first, 11), (second, 22)):
        done = await submissions.submit(db, clock, assignment, user_id=ALICE, url="https://example.org/a", public=True)
        assert await submissions.claim_showcase(db, done.submission.id, 100)
        await submissions.set_showcase(db, done.submission.id, 100, message_id)
    await submit_all(db, clock, first, BOB)  # not public: no card
    assert await submissions.showcase_cards(db, user_id=ALICE, guild_id=GUILD) == [(100, 11)]
    assert await submissions.showcase_cards(db, user_id=ALICE, guild_id=None) == [(100, 11), (100, 22)]
    assert await submissions.showcase_cards(db, user_id=BOB, guild_id=None) == []


async def test_a_late_submission_is_never_given_to_someone_who_left(db: Database, clock: FakeClock) -> None:
    assignment = await drawn(db, clock, ALICE, BOB, reviewers=2)  # two submitters: both would be free
    late = await submissions.submit(db, clock, assignment, user_id=CAROL, url="https://example.org/carol",
                                    absent={BOB})
    reviewers = {r.reviewer_id for r in await store.reviews_of_submission(db, late.submission.id)}
    assert late.reviewers == 1 and reviewers == {ALICE}


@pytest.mark.parametrize("typed", ["²", "#¹2", "𑁘", "٣"])
async def test_an_assignment_typed_with_other_digits_is_not_found_rather_than_failing(
        db: Database, clock: FakeClock, typed: str) -> None:
    await make(db, clock)
    with pytest.raises(NotFound, match="/assignment list"):
        await store.find_assignment(db, GUILD, typed)
