"""Properties of the reviewer draw: never oneself, balanced, exactly `reviewers` when possible, reproducible."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reviews.draw import draw_reviewers, late_reviewers
from bot.reviews.model import Source

AUTHORS = st.lists(st.integers(min_value=1, max_value=10**12), min_size=0, max_size=60, unique=True)
HELPERS = st.lists(st.integers(min_value=1, max_value=10**12), max_size=8, unique=True)
REVIEWERS = st.integers(min_value=1, max_value=6)
SEEDS = st.integers(min_value=0, max_value=2**62)


def submissions_of(authors: list[int]) -> list[tuple[int, int]]:
    return [(index + 1000, author) for index, author in enumerate(authors)]


@given(AUTHORS, HELPERS, REVIEWERS, SEEDS)
def test_nobody_reviews_their_own_submission(authors: list[int], helpers: list[int], k: int, seed: int) -> None:
    subs = submissions_of(authors)
    author_of = dict(subs)
    draw = draw_reviewers(subs, helpers, k, seed)
    assert all(author_of[sid] != reviewer for sid, reviewer, _ in draw.pairs)


@given(AUTHORS, HELPERS, REVIEWERS, SEEDS)
def test_a_reviewer_reviews_a_submission_at_most_once(authors: list[int], helpers: list[int], k: int,
                                                      seed: int) -> None:
    draw = draw_reviewers(submissions_of(authors), helpers, k, seed)
    pairs = [(sid, reviewer) for sid, reviewer, _ in draw.pairs]
    assert len(pairs) == len(set(pairs))


@given(AUTHORS.filter(lambda a: len(a) > 6), HELPERS, REVIEWERS, SEEDS)
def test_with_enough_submitters_each_gets_exactly_k_and_everyone_reviews_k(
        authors: list[int], helpers: list[int], k: int, seed: int) -> None:
    draw = draw_reviewers(submissions_of(authors), helpers, k, seed)
    per_submission = Counter(sid for sid, _, _ in draw.pairs)
    assert set(per_submission.values()) == {k} and len(per_submission) == len(authors)
    loads = draw.loads()
    assert set(loads) == set(authors)  # only submitters, every one of them
    assert max(loads.values()) - min(loads.values()) <= 1 and max(loads.values()) <= k + 1
    assert draw.missing == 0 and all(source is Source.PEER for *_, source in draw.pairs)


@given(AUTHORS, HELPERS, REVIEWERS, SEEDS)
def test_loads_are_balanced_and_never_above_k_plus_one(authors: list[int], helpers: list[int], k: int,
                                                       seed: int) -> None:
    draw = draw_reviewers(submissions_of(authors), helpers, k, seed)
    loads = draw.loads()
    assert all(load <= k + 1 for load in loads.values())
    peers = [loads[a] for a in authors if a in loads]
    volunteers = [load for user, load in loads.items() if user not in authors]
    for group in (peers, volunteers):
        if group:
            assert max(group) - min(group) <= 1


@given(AUTHORS.filter(lambda a: 1 <= len(a) <= 6), HELPERS, REVIEWERS, SEEDS)
def test_too_few_submitters_are_filled_by_volunteers_and_the_rest_is_a_shortfall(
        authors: list[int], helpers: list[int], k: int, seed: int) -> None:
    draw = draw_reviewers(submissions_of(authors), helpers, k, seed)
    per_submission = Counter(sid for sid, _, _ in draw.pairs)
    for sid, _ in submissions_of(authors):
        got = per_submission.get(sid, 0)
        assert got + draw.shortfall.get(sid, 0) == k  # filled, or the gap is stated
    eligible = len(set(helpers) - set(authors))
    if len(authors) <= k:
        assert all(got == min(k, len(authors) - 1 + eligible) for got in per_submission.values())


@given(AUTHORS, HELPERS, REVIEWERS, SEEDS)
def test_the_same_seed_gives_the_same_draw_whatever_the_input_order(
        authors: list[int], helpers: list[int], k: int, seed: int) -> None:
    subs = submissions_of(authors)
    first = draw_reviewers(subs, helpers, k, seed)
    again = draw_reviewers(list(reversed(subs)), list(reversed(helpers)), k, seed)
    assert first == again


def test_different_seeds_give_different_draws() -> None:
    subs = submissions_of(list(range(1, 41)))
    draws = {draw_reviewers(subs, [], 3, seed).pairs for seed in range(5)}
    assert len(draws) == 5


@settings(max_examples=200)
@given(st.dictionaries(st.integers(1, 100), st.integers(0, 5), max_size=20), st.integers(1, 100), REVIEWERS, SEEDS)
def test_a_late_submission_gets_the_least_loaded_others_below_the_cap(
        loads: dict[int, int], author: int, k: int, seed: int) -> None:
    chosen = late_reviewers(7, author, loads, k, seed)
    eligible = {c for c, load in loads.items() if c != author and load < k + 1}
    assert author not in chosen and len(chosen) == len(set(chosen)) == min(k, len(eligible))
    assert set(chosen) <= eligible
    skipped = eligible - set(chosen)
    if chosen and skipped:
        assert max(loads[c] for c in chosen) <= min(loads[c] for c in skipped)
    assert chosen == late_reviewers(7, author, loads, k, seed)
