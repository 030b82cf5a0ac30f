"""Who meets whom in a round: pair weights, the cooldown, and the solver. Pure functions, no I/O.

A pair's weight is its shared topics, its time-zone closeness (the UTC offset difference at the
round's time; an unknown zone is neutral) and a small jitter derived from the round's stored seed,
so the same pool, history and seed always give the same groups (a round can be replayed).

The solver is Blossom maximum-weight matching (networkx ``max_weight_matching``) on a sparse
candidate graph: each member keeps only their top ``CANDIDATES`` partners. Blossom grows faster than
cubic in practice, so a large pool is first cut into blocks of similar members (by time-zone band,
then topics) of at most ``BLOCK`` members; each block is matched on its own and whoever a block
leaves over is matched again with the others left over. Pairs who met within the cooldown are no
candidates; such a pair is used only for members who end up with no other possible partner, and is
flagged (:attr:`Grouping.repeats`) so the organisers' preview can say so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

from bot.buddies import repair

TOPIC_WEIGHT = 1.0        # per shared topic
MAX_SHARED_TOPICS = 4     # more shared topics than this add nothing
ZONE_WEIGHT = 2.0         # same offset: +2; 12 hours or more apart: 0
ZONE_FAR_MINUTES = 12 * 60
NEUTRAL_ZONE = 0.5        # an unknown zone counts as half-close to everyone
JITTER = 0.25             # at most; breaks ties differently from round to round
CANDIDATES = 8            # top-k partners kept per member
BLOCK = 100               # members matched together at most
EXHAUSTIVE = 40           # an odd pool up to this size tries every member as the odd one to avoid a repeat
TRIO_SEARCH = 15          # a trio pool up to this size is searched for a split without repeats


@dataclass(frozen=True)
class Candidate:
    """A member as the matcher sees them: their topics and their UTC offset at the round's time."""

    user_id: int
    topics: frozenset[int] = frozenset()
    utc_offset_minutes: int | None = None  # None: no timezone set


Pair = frozenset[int]


def pair(a: int, b: int) -> Pair:
    return frozenset((a, b))


@dataclass(frozen=True)
class Grouping:
    """A round's groups (each sorted, the list sorted by first member) and the repeated pairs in them."""

    groups: tuple[tuple[int, ...], ...]
    repeats: frozenset[Pair] = field(default_factory=frozenset)

    @property
    def alone(self) -> int | None:
        """The one member of a pool of one, who meets nobody this round."""
        return self.groups[0][0] if len(self.groups) == 1 and len(self.groups[0]) == 1 else None


# Weights ---------------------------------------------------------------------------------------
def _mix(value: int) -> int:
    """SplitMix64's finaliser: a cheap, well-spread 64-bit hash."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def jitter(seed: int, a: int, b: int) -> float:
    """The pair's jitter in [0, JITTER): the same for (a, b) and (b, a), and for the same seed."""
    low, high = (a, b) if a < b else (b, a)
    return _mix(_mix(_mix(seed) ^ low) ^ high) / 2**64 * JITTER


def zone_closeness(a: int | None, b: int | None) -> float:
    """1 for the same UTC offset, 0 at 12 hours or more apart; NEUTRAL_ZONE when either is unknown."""
    if a is None or b is None:
        return NEUTRAL_ZONE
    return 1.0 - min(abs(a - b), ZONE_FAR_MINUTES) / ZONE_FAR_MINUTES


def pair_weight(a: Candidate, b: Candidate, seed: int) -> float:
    shared = min(len(a.topics & b.topics), MAX_SHARED_TOPICS)
    return (TOPIC_WEIGHT * shared + ZONE_WEIGHT * zone_closeness(a.utc_offset_minutes, b.utc_offset_minutes)
            + jitter(seed, a.user_id, b.user_id))


# Solving ---------------------------------------------------------------------------------------
def solve(pool: Sequence[Candidate], recent: Iterable[Pair], *, group_size: int, seed: int) -> Grouping:
    """Group everyone in ``pool`` (pairs, or trios with ``group_size`` 3) avoiding ``recent`` pairs.

    Everyone is in exactly one group. Trios happen with ``group_size`` 2 only when the pool is odd;
    with ``group_size`` 3 the pool is split into trios, plus one or two pairs when it does not divide
    by three. A pool of one gives one group of one.
    """
    if group_size not in (2, 3):
        raise ValueError("group_size must be 2 or 3")
    members = {c.user_id: c for c in pool}
    if len(members) != len(pool):
        raise ValueError("a member is in the pool twice")
    recent_pairs = {p for p in recent if len(p) == 2 and p <= members.keys()}
    if not members:
        return Grouping(())
    if len(members) == 1:
        return Grouping(((next(iter(members)),),))
    solver = _Solver(members, recent_pairs, seed)
    pairs, odd = solver.pairs()
    if group_size == 3:
        groups = solver.trios(pairs, odd)
        if solver.has_repeat(groups):
            groups = repair.swap_out(groups, solver.allowed, solver.weight)
        if solver.has_repeat(groups) and len(members) <= TRIO_SEARCH:
            groups = repair.repeat_free_split(sorted(members), trio_sizes(len(members)), solver.allowed,
                                              solver.weight) or groups
    else:
        groups = solver.add_odd(pairs, odd)
        if odd is not None and solver.has_repeat(groups) and len(members) <= EXHAUSTIVE:
            groups = solver.odd_by_trial() or groups
    ordered = tuple(sorted(tuple(sorted(g)) for g in groups))
    repeats = frozenset(p for g in ordered for p in _pairs_in(g) if p in recent_pairs)
    return Grouping(ordered, repeats)


def without(grouping: Grouping, gone: Iterable[int], pool: Sequence[Candidate], recent: Iterable[Pair], *,
            seed: int) -> Grouping:
    """``grouping`` after ``gone`` members dropped out (between an organiser's preview and Confirm).

    Groups that keep two or more members stay as they were. Members left on their own are grouped
    again among themselves (:func:`solve`); a single one joins the pair (else the group) they fit
    best, avoiding recent partners. ``pool`` describes at least everyone who stays.
    """
    out = set(gone)
    kept = [tuple(u for u in g if u not in out) for g in grouping.groups]
    groups = [list(g) for g in kept if len(g) > 1]
    orphans = sorted(g[0] for g in kept if len(g) == 1)
    members = {c.user_id: c for c in pool}
    recent_pairs = set(recent)
    if len(orphans) > 1 or (orphans and not groups):
        groups += [list(g) for g in solve([members[u] for u in orphans], recent_pairs, group_size=2,
                                           seed=seed).groups]
    elif orphans:
        solver = _Solver(members, recent_pairs, seed)
        smallest = min(len(g) for g in groups)
        best = solver.best_group(orphans[0], [g for g in groups if len(g) == smallest])
        best.append(orphans[0])
    ordered = tuple(sorted(tuple(sorted(g)) for g in groups))
    return Grouping(ordered, frozenset(p for g in ordered for p in _pairs_in(g) if p in recent_pairs))


def trio_sizes(count: int) -> list[int]:
    """The group sizes ``group_size`` 3 makes of ``count`` members: trios, and one or two pairs for the rest."""
    pair_groups = {0: 0, 1: 2, 2: 1}[count % 3]
    return [3] * ((count - 2 * pair_groups) // 3) + [2] * pair_groups


def _pairs_in(group: Sequence[int]) -> list[Pair]:
    return [pair(a, b) for i, a in enumerate(group) for b in group[i + 1:]]


class _Solver:
    def __init__(self, members: Mapping[int, Candidate], recent: set[Pair], seed: int) -> None:
        self.members = members
        self.recent = recent
        self.seed = seed

    def weight(self, a: int, b: int) -> float:
        return pair_weight(self.members[a], self.members[b], self.seed)

    def allowed(self, a: int, b: int) -> bool:
        return pair(a, b) not in self.recent

    def conflicts(self, user: int, group: Iterable[int]) -> int:
        return sum(1 for other in group if not self.allowed(user, other))

    def fit(self, user: int, group: Iterable[int]) -> float:
        return sum(self.weight(user, other) for other in group)

    # Pairs ----------------------------------------------------------------------------------
    def pairs(self) -> tuple[list[list[int]], int | None]:
        """A pairing of everyone but at most one (returned as ``odd``); repeats only where unavoidable here."""
        left: list[int] = []
        pairs: list[list[int]] = []
        for block in self._blocks():
            matched, rest = self._match(block, top_k=CANDIDATES)
            pairs += matched
            left += rest
        matched, left = self._match(sorted(left), top_k=None)
        pairs += matched
        left = self._swap_in(pairs, left)
        odd = None
        if len(left) % 2:
            # The one who fits worst with the rest of the left-overs joins a group instead.
            odd = max(left, key=lambda u: (sum(not self.allowed(u, v) for v in left if v != u), u))
            left.remove(odd)
        pairs += self._match(left, top_k=None, repeats=True)[0]
        return pairs, odd

    def _similarity(self, user: int) -> tuple[int, int, int]:
        """A sort key that puts similar members side by side: 3-hour time-zone band (unknown last), topics."""
        c = self.members[user]
        band = 99 if c.utc_offset_minutes is None else c.utc_offset_minutes // 180
        return band, sum(1 << (t % 60) for t in c.topics), user

    def _blocks(self) -> list[list[int]]:
        """Members cut into blocks of at most ``BLOCK`` similar people."""
        return _chunks(sorted(self.members, key=self._similarity), math.ceil(len(self.members) / BLOCK))

    def _match(self, users: Sequence[int], *, top_k: int | None,
               repeats: bool = False) -> tuple[list[list[int]], list[int]]:
        """Max-weight, max-cardinality matching of ``users`` on allowed pairs (all pairs with ``repeats``)."""
        graph: nx.Graph = nx.Graph()
        graph.add_nodes_from(users)
        for a in users:
            options = [(self.weight(a, b), b) for b in users if b != a and (repeats or self.allowed(a, b))]
            if top_k is not None:
                options.sort(reverse=True)
                options = options[:top_k]
            for weight, b in options:
                graph.add_edge(a, b, weight=weight)
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        pairs = sorted(sorted(edge) for edge in matching)
        matched = {u for p in pairs for u in p}
        return [list(p) for p in pairs], [u for u in users if u not in matched]

    def _swap_in(self, pairs: list[list[int]], left: list[int]) -> list[int]:
        """For two left-overs who may not meet, break a pair (a, b) into (x, a) and (y, b) where allowed."""
        left = list(left)
        while (swap := self._find_swap(pairs, left)) is not None:
            x, y, index, first, second = swap
            pairs[index] = [x, first]
            pairs.append([y, second])
            left.remove(x)
            left.remove(y)
        return left

    def _find_swap(self, pairs: list[list[int]], left: list[int]) -> tuple[int, int, int, int, int] | None:
        for i, x in enumerate(left):
            for y in left[i + 1:]:
                for index, (a, b) in enumerate(pairs):
                    for first, second in ((a, b), (b, a)):
                        if self.allowed(x, first) and self.allowed(y, second):
                            return x, y, index, first, second
        return None

    # Groups ---------------------------------------------------------------------------------
    def add_odd(self, pairs: list[list[int]], odd: int | None) -> list[list[int]]:
        """The odd member joins the pair they fit best, among those none of whom they met recently.

        If every pair holds someone they met, the odd member takes the place of one partner
        (a, b → odd, a) and b joins a pair instead, where b has met no one; only if that fails too
        is a repeat accepted (and flagged).
        """
        if odd is None:
            return pairs
        best = self.best_group(odd, pairs)
        if self.conflicts(odd, best) == 0:
            best.append(odd)
            return pairs
        for index, (a, b) in enumerate(pairs):
            for keep, out in ((a, b), (b, a)):
                if not self.allowed(odd, keep):
                    continue
                others = [p for i, p in enumerate(pairs) if i != index]
                target = self.best_group(out, others) if others else None
                if target is not None and self.conflicts(out, target) == 0:
                    pairs[index] = [odd, keep]
                    target.append(out)
                    return pairs
        best.append(odd)
        return pairs

    def has_repeat(self, groups: list[list[int]]) -> bool:
        return any(not self.allowed(a, b) for g in groups for a, b in itertools.combinations(g, 2))

    def odd_by_trial(self) -> list[list[int]] | None:
        """Each member in turn as the odd one: the first grouping with no repeat (small pools only)."""
        for odd in sorted(self.members):
            pairs, left = self._match(sorted(u for u in self.members if u != odd), top_k=None)
            if left:
                continue
            groups = self.add_odd(pairs, odd)
            if not self.has_repeat(groups):
                return groups
        return None

    def best_group(self, user: int, pairs: list[list[int]]) -> list[int]:
        return min(pairs, key=lambda g: (self.conflicts(user, g), -self.fit(user, g), g))

    def trios(self, pairs: list[list[int]], odd: int | None) -> list[list[int]]:
        """Trios from the matching: the best pairs stay as cores, the others' members join them one each."""
        n = len(self.members)
        if n <= 3:
            return [[u for p in pairs for u in p] + ([odd] if odd is not None else [])]
        pair_groups = {0: 0, 1: 2, 2: 1}[n % 3]
        group_count = (n - 2 * pair_groups) // 3 + pair_groups
        ranked = sorted(pairs, key=lambda p: (-self.weight(*p), p))
        cores, singles = ranked[:group_count], [u for p in ranked[group_count:] for u in p]
        if odd is not None:
            singles.append(odd)
        # Singles join cores one each: a bipartite max-weight matching, avoiding repeats, in chunks of
        # similar people so that it stays fast; whoever finds no core takes the best one with room.
        chunks = math.ceil(len(singles) / (BLOCK // 3)) if singles else 1
        order = sorted(range(len(cores)), key=lambda i: self._similarity(cores[i][0]))
        taken: dict[int, int] = {}
        for chunk_singles, chunk_cores in zip(_chunks(sorted(singles, key=self._similarity), chunks),
                                              _chunks(order, chunks), strict=True):
            taken.update(self._assign(chunk_singles, {i: cores[i] for i in chunk_cores}))
        full = set(taken.values())
        for s in singles:
            if s in taken:
                continue
            # No repeat-free core with room: the best one with room, fewest repeats first.
            room = [i for i in range(len(cores)) if i not in full]
            i = min(room, key=lambda i: (self.conflicts(s, cores[i]), -self.fit(s, cores[i]), i))
            taken[s] = i
            full.add(i)
        for s, i in taken.items():
            cores[i].append(s)
        return cores

    def _assign(self, singles: list[int], cores: dict[int, list[int]]) -> dict[int, int]:
        """Singles to cores (by index), at most one each, best total fit, no recent pairs."""
        graph: nx.Graph = nx.Graph()
        for s in singles:
            options = sorted(((self.fit(s, core), i) for i, core in cores.items() if self.conflicts(s, core) == 0),
                             reverse=True)[:CANDIDATES]
            for fit, i in options:
                graph.add_edge(("single", s), ("core", i), weight=fit)
        taken: dict[int, int] = {}
        for u, v in nx.max_weight_matching(graph, maxcardinality=True):
            single, core = (u, v) if u[0] == "single" else (v, u)
            taken[single[1]] = core[1]
        return taken


def _chunks(items: Sequence[int], count: int) -> list[list[int]]:
    """``items`` in ``count`` consecutive chunks of (nearly) equal size; always ``count`` chunks."""
    size, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(list(items[start:end]))
        start = end
    return chunks
