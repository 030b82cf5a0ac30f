"""The buddy matcher: property tests (hypothesis) and a few worked examples."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.buddies.matching import Candidate, Grouping, Pair, pair, pair_weight, solve, without, zone_closeness
from bot.buddies.repair import swap_out

OFFSETS = st.one_of(st.none(), st.sampled_from([-480, -300, 0, 60, 120, 330, 540, 600]))
CANDIDATE = st.tuples(st.frozensets(st.integers(1, 6), max_size=3), OFFSETS)


@st.composite
def pools(draw: st.DrawFn, min_size: int = 0, max_size: int = 30) -> list[Candidate]:
    ids = draw(st.lists(st.integers(1, 10**6), min_size=min_size, max_size=max_size, unique=True))
    return [Candidate(user_id, *draw(CANDIDATE)) for user_id in ids]


@st.composite
def histories(draw: st.DrawFn, pool: list[Candidate]) -> set[Pair]:
    ids = [c.user_id for c in pool]
    if len(ids) < 2:
        return set()
    chosen = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3 * len(ids)))
    return {pair(a, b) for a, b in chosen if a != b}


def everyone_once(grouping: Grouping, pool: list[Candidate]) -> bool:
    seen = Counter(u for g in grouping.groups for u in g)
    return set(seen) == {c.user_id for c in pool} and all(count == 1 for count in seen.values())


def repeats_in(grouping: Grouping, recent: set[Pair]) -> set[Pair]:
    return {pair(a, b) for g in grouping.groups for a, b in itertools.combinations(g, 2) if pair(a, b) in recent}


def repeat_free_pairing_exists(ids: list[int], recent: set[Pair]) -> bool:
    """Brute force: can an even pool be split into pairs none of whom met recently?"""
    if not ids:
        return True
    first, rest = ids[0], ids[1:]
    return any(pair(first, other) not in recent
               and repeat_free_pairing_exists([u for u in rest if u != other], recent) for other in rest)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.sampled_from([2, 3]))
def test_every_member_is_in_exactly_one_group(data: st.DataObject, group_size: int) -> None:
    pool = data.draw(pools())
    recent = data.draw(histories(pool))
    grouping = solve(pool, recent, group_size=group_size, seed=data.draw(st.integers(0, 2**63)))
    assert everyone_once(grouping, pool)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_trios_only_for_an_odd_pool_when_pairing(data: st.DataObject) -> None:
    pool = data.draw(pools(min_size=2))
    grouping = solve(pool, data.draw(histories(pool)), group_size=2, seed=7)
    sizes = Counter(len(g) for g in grouping.groups)
    assert set(sizes) <= {2, 3}
    assert sizes[3] == len(pool) % 2


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_group_size_three_makes_trios_and_at_most_two_pairs(data: st.DataObject) -> None:
    pool = data.draw(pools(min_size=3))
    grouping = solve(pool, data.draw(histories(pool)), group_size=3, seed=7)
    sizes = Counter(len(g) for g in grouping.groups)
    n = len(pool)
    assert set(sizes) <= {2, 3}
    assert sizes[2] == {0: 0, 1: 2, 2: 1}[n % 3]
    assert sizes[3] == (n - 2 * sizes[2]) // 3


def repeat_free_with_a_trio_exists(ids: list[int], recent: set[Pair]) -> bool:
    """Brute force: can an odd pool be split into pairs and one trio none of whom met recently?"""
    for trio in itertools.combinations(ids, 3):
        if all(pair(a, b) not in recent for a, b in itertools.combinations(trio, 2)) and \
                repeat_free_pairing_exists([u for u in ids if u not in trio], recent):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_repeats_within_the_cooldown_where_avoidable(data: st.DataObject) -> None:
    """Even pools (pairs) and odd ones (pairs and a trio): a repeat only where brute force finds no way round."""
    pool = data.draw(pools(min_size=2, max_size=10))
    recent = data.draw(histories(pool))
    grouping = solve(pool, recent, group_size=2, seed=data.draw(st.integers(0, 2**32)))
    found = repeats_in(grouping, recent)
    assert found == set(grouping.repeats)
    ids = sorted(c.user_id for c in pool)
    avoidable = (repeat_free_pairing_exists(ids, recent) if len(ids) % 2 == 0
                 else repeat_free_with_a_trio_exists(ids, recent))
    if avoidable:
        assert not found


def splits(ids: list[int], sizes: list[int]) -> Iterator[list[tuple[int, ...]]]:
    """Brute force: every way to split ``ids`` into groups of ``sizes``."""
    if not ids:
        yield []
        return
    first = ids[0]
    for size in set(sizes):
        rest = list(sizes)
        rest.remove(size)
        for others in itertools.combinations(ids[1:], size - 1):
            group = (first, *others)
            for tail in splits([u for u in ids if u not in group], rest):
                yield [group, *tail]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_no_repeats_in_trios_where_avoidable(data: st.DataObject) -> None:
    """With ``group_size`` 3 (trios and one or two pairs), a repeat only where no split avoids one."""
    pool = data.draw(pools(min_size=4, max_size=8))
    recent = data.draw(histories(pool))
    grouping = solve(pool, recent, group_size=3, seed=data.draw(st.integers(0, 2**32)))
    found = repeats_in(grouping, recent)
    assert found == set(grouping.repeats)
    n = len(pool)
    sizes = [3] * ((n - 2 * {0: 0, 1: 2, 2: 1}[n % 3]) // 3) + [2] * {0: 0, 1: 2, 2: 1}[n % 3]
    if any(not any(pair(a, b) in recent for g in split for a, b in itertools.combinations(g, 2))
           for split in splits(sorted(c.user_id for c in pool), sizes)):
        assert not found


def test_swaps_between_trios_take_out_a_repeat() -> None:
    # 1 and 2 met; the matcher's trio (1, 2, 3) becomes (1, 3, x) and (2, y, z) or the like.
    met = {pair(1, 2)}
    groups = [[1, 2, 3], [4, 5, 6]]
    repaired = swap_out(groups, lambda a, b: pair(a, b) not in met, lambda a, b: 1.0)
    assert sorted(map(sorted, repaired)) != sorted(map(sorted, groups))
    assert all(pair(a, b) not in met for g in repaired for a, b in itertools.combinations(g, 2))
    assert sorted(len(g) for g in repaired) == [3, 3]


@settings(max_examples=150, deadline=None)
@given(st.data(), st.sampled_from([2, 3]))
def test_dropping_members_before_confirm_keeps_everyone_else_in_one_group(data: st.DataObject,
                                                                         group_size: int) -> None:
    pool = data.draw(pools(min_size=2))
    recent = data.draw(histories(pool))
    before = solve(pool, recent, group_size=group_size, seed=3)
    ids = [c.user_id for c in pool]
    gone = set(data.draw(st.lists(st.sampled_from(ids), max_size=len(ids) - 1, unique=True)))
    staying = [c for c in pool if c.user_id not in gone]
    after = without(before, gone, staying, recent, seed=3)
    assert everyone_once(after, staying)
    # Nobody is left alone unless only one stays; groups untouched by the leavers stay together
    # (one of them may take in a member left on their own).
    assert all(len(g) > 1 for g in after.groups) or len(staying) == 1
    untouched = [g for g in before.groups if not gone & set(g)]
    assert all(any(set(g) <= set(a) for a in after.groups) for g in untouched)
    assert max(len(g) for g in after.groups) <= 4
    assert set(after.repeats) == repeats_in(after, recent)


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from([2, 3]), st.integers(0, 2**63))
def test_the_same_seed_gives_the_same_groups(data: st.DataObject, group_size: int, seed: int) -> None:
    pool = data.draw(pools())
    recent = data.draw(histories(pool))
    first = solve(pool, recent, group_size=group_size, seed=seed)
    again = solve(list(reversed(pool)), set(recent), group_size=group_size, seed=seed)
    assert first == again


def test_a_pool_of_one_meets_nobody() -> None:
    grouping = solve([Candidate(5)], set(), group_size=2, seed=1)
    assert grouping.groups == ((5,),) and grouping.alone == 5


def test_an_empty_pool_has_no_groups() -> None:
    assert solve([], set(), group_size=3, seed=1).groups == ()


def test_shared_topics_and_close_zones_are_preferred() -> None:
    berlin_ml = [Candidate(1, frozenset({1}), 60), Candidate(2, frozenset({1}), 60)]
    tokyo_ops = [Candidate(3, frozenset({2}), 540), Candidate(4, frozenset({2}), 540)]
    grouping = solve(berlin_ml + tokyo_ops, set(), group_size=2, seed=11)
    assert grouping.groups == ((1, 2), (3, 4))


def test_pairs_who_met_recently_are_kept_apart_even_against_their_weight() -> None:
    pool = [Candidate(1, frozenset({1}), 60), Candidate(2, frozenset({1}), 60),
            Candidate(3, frozenset({2}), 540), Candidate(4, frozenset({2}), 540)]
    grouping = solve(pool, {pair(1, 2)}, group_size=2, seed=11)
    assert (1, 2) not in grouping.groups and not grouping.repeats


def test_a_repeat_is_used_and_flagged_when_there_is_no_one_else() -> None:
    grouping = solve([Candidate(1), Candidate(2)], {pair(1, 2)}, group_size=2, seed=1)
    assert grouping.groups == ((1, 2),) and grouping.repeats == {pair(1, 2)}


def test_an_unknown_zone_is_neutral() -> None:
    assert zone_closeness(None, 60) == zone_closeness(60, None) == 0.5
    assert zone_closeness(60, 60) == 1.0 and zone_closeness(-600, 600) == 0.0
    a, b = Candidate(1, frozenset({1, 2}), 0), Candidate(2, frozenset({2, 3}), 0)
    assert pair_weight(a, b, 4) == pair_weight(b, a, 4)
