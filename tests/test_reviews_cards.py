"""What peer review shows, within Discord's limits whatever members type, and anonymous unless revealed."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.clock import FakeClock
from bot.db import Database
from bot.reviews import reviewing, rounds, store, submissions
from bot.reviews.model import COMMENT_MAX, CRITERION_MAX, NOTE_MAX, RUBRIC_MAX, TITLE_MAX, Assignment
from bot.ui.render import EMBED_DESCRIPTION, FIELD_VALUE
from cogs._reviews_ui import (
    assignment_embed,
    form_embed,
    form_view,
    results_embed,
    review_buttons,
    review_embed,
    showcase_embed,
    work_embed,
)

GUILD = 3
MARKUP = "*_`~|>@"  # every character escaping doubles
LONGEST_URL = "https://example.org/" + "a" * 2028  # 2,048: the most the library accepts


def assert_fits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= EMBED_DESCRIPTION
    assert all(len(field.name or "") <= 256 and len(field.value or "") <= FIELD_VALUE for field in embed.fields)
    assert len(embed.fields) <= 25 and len(embed.footer.text or "") <= 2048 and len(embed) <= 6000


def worst(length: int) -> str:
    return (MARKUP * length)[:length]


async def worst_round(db: Database, clock: FakeClock, **options: object) -> Assignment:
    """Longest title and rubric, eleven submitters with the longest links and notes, drawn."""
    rubric = tuple(f"{n}{worst(CRITERION_MAX - 1)}" for n in range(RUBRIC_MAX))
    assignment = await store.create_assignment(db, clock, guild_id=GUILD, title=worst(TITLE_MAX), rubric=rubric,
                                               due_at=clock.now() + timedelta(days=1), reviewers=10,
                                               **options)  # type: ignore[arg-type]
    for user in range(100, 111):
        await submissions.submit(db, clock, assignment, user_id=user, url=f"{LONGEST_URL[:-3]}{user}",
                                 note=worst(NOTE_MAX), public=True)
    started = await rounds.start_round(db, clock, assignment.id, seed=7)
    assert started is not None
    return started.assignment


async def test_every_card_fits_discords_limits_at_the_longest_inputs(db: Database, clock: FakeClock) -> None:
    assignment = await worst_round(db, clock)
    assert_fits(assignment_embed(assignment, submissions=11))
    mine = await store.submission_of(db, assignment.id, 100)
    assert mine is not None
    assert_fits(showcase_embed(assignment, mine))
    work = [(review, await store.get_submission(db, review.submission_id))
            for review in await store.reviews_by(db, assignment.id, 100)]
    pairs = [(review, submission) for review, submission in work if submission is not None]
    assert len(pairs) == 10
    embed = work_embed(assignment, pairs, "intro")
    assert_fits(embed)
    assert embed.fields[0].value is not None and embed.fields[0].value.count("**") >= 2 * 10  # every work listed
    assert len(review_buttons(pairs).children) == 10
    form = await reviewing.open_review(db, pairs[0][0].id, 100)
    assert_fits(form_embed(form))
    view = form_view(form)
    assert len(view.children) == RUBRIC_MAX  # five selects, one row each; the comments button comes apart
    for index in range(RUBRIC_MAX):
        await reviewing.set_score(db, pairs[0][0].id, 100, index, 5)
    await reviewing.submit_review(db, clock, pairs[0][0].id, 100, works=worst(COMMENT_MAX), improve=worst(COMMENT_MAX))
    review = await store.get_review(db, pairs[0][0].id)
    assert_fits(review_embed(assignment, review, 1))
    author = pairs[0][1]
    assert author is not None
    results = await reviewing.my_results(db, assignment, author.user_id)
    assert_fits(results_embed(results, [(name, 5.0) for name in assignment.rubric]))


async def test_reviewers_are_named_to_the_author_only_when_the_assignment_says_so(db: Database,
                                                                                 clock: FakeClock) -> None:
    for reveal in (False, True):
        assignment = await store.create_assignment(db, clock, guild_id=GUILD, title=f"Reveal {reveal}",
                                                   due_at=clock.now() + timedelta(days=1), reviewers=1,
                                                   reveal_reviewers=reveal)
        for user in (100, 101):
            await submissions.submit(db, clock, assignment, user_id=user, url=f"https://example.org/{user}")
        started = await rounds.start_round(db, clock, assignment.id, seed=1)
        assert started is not None
        [review] = await store.reviews_by(db, assignment.id, 100)
        for index in range(len(started.assignment.rubric)):
            await reviewing.set_score(db, review.id, 100, index, 3)
        text = "A comment long enough to be accepted by the review form, saying something specific."
        await reviewing.submit_review(db, clock, review.id, 100, works=text, improve=text)
        shown = review_embed(started.assignment, await store.get_review(db, review.id), 1)
        assert ("<@100>" in (shown.description or "")) is reveal
