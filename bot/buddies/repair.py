"""Taking avoidable repeats out of a grouping. Pure functions, no I/O.

Trios are built from a pair matching (:mod:`bot.buddies.matching`), which sees pairs, not trios:
when many pairs met recently (small pools, long cooldowns) it can put two people who just met into
one trio although another split had no repeat at all. Two remedies, used only when a grouping has
a repeat: :func:`swap_out` moves members between groups while that lowers the number of recent
pairs (any pool size), and :func:`repeat_free_split` searches a small pool for a split with none.
Both are deterministic: ties go by weight, then by user id.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence

Allowed = Callable[[int, int], bool]
Weight = Callable[[int, int], float]

SEARCH_STEPS = 50_000  # the split search gives up (keeping the grouping it was given) after this many steps


def conflicts(group: Sequence[int], allowed: Allowed) -> int:
    """How many pairs in ``group`` met recently."""
    return sum(1 for a, b in itertools.combinations(group, 2) if not allowed(a, b))


def swap_out(groups: list[list[int]], allowed: Allowed, weight: Weight) -> list[list[int]]:
    """Swap members between groups while a swap lowers the recent pairs (best fit first); sizes stay."""
    groups = [list(g) for g in groups]
    improved = True
    while improved:
        improved = False
        for i, group in enumerate(groups):
            if not conflicts(group, allowed):
                continue
            best: tuple[int, float, int, int, int] | None = None
            for u in sorted(group):
                if all(allowed(u, v) for v in group if v != u):
                    continue
                for j, other in enumerate(groups):
                    if j == i:
                        continue
                    for v in sorted(other):
                        mine = [x for x in group if x != u] + [v]
                        theirs = [x for x in other if x != v] + [u]
                        gain = (conflicts(group, allowed) + conflicts(other, allowed)
                                - conflicts(mine, allowed) - conflicts(theirs, allowed))
                        if gain <= 0:
                            continue
                        fit = sum(weight(v, x) for x in mine if x != v) + sum(weight(u, x) for x in theirs if x != u)
                        candidate = (gain, fit, -u, -v, j)
                        if best is None or candidate > best:
                            best = candidate
            if best is not None:
                _, _, neg_u, neg_v, j = best
                u, v = -neg_u, -neg_v
                groups[i] = [x for x in group if x != u] + [v]
                groups[j] = [x for x in groups[j] if x != v] + [u]
                improved = True
    return groups


def repeat_free_split(members: Sequence[int], sizes: Sequence[int], allowed: Allowed,
                      weight: Weight) -> list[list[int]] | None:
    """Groups of exactly ``sizes`` with no recent pair, best partners tried first; None if there is
    none (or the search ran out of steps). Meant for small pools: the search is exhaustive."""
    steps = [SEARCH_STEPS]

    def search(left: list[int], wanted: Counter[int]) -> list[list[int]] | None:
        if not left:
            return []
        steps[0] -= 1
        if steps[0] < 0:
            return None
        # The member with the fewest possible partners goes first: dead ends show early.
        first = min(left, key=lambda u: (sum(allowed(u, v) for v in left if v != u), u))
        partners = sorted((v for v in left if v != first and allowed(first, v)),
                          key=lambda v: (-weight(first, v), v))
        for size in sorted((s for s, n in wanted.items() if n > 0), reverse=True):
            for others in itertools.combinations(partners, size - 1):
                if conflicts(others, allowed):
                    continue
                wanted[size] -= 1
                rest = search([u for u in left if u != first and u not in others], wanted)
                wanted[size] += 1
                if rest is not None:
                    return [[first, *others], *rest]
        return None

    return search(sorted(members), Counter(sizes))
