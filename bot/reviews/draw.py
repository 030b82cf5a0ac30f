"""The reviewer draw: who reviews whom, at random from a seed, never oneself, loads balanced.

With more submitters than reviewers per submission (``n > k``) the submitters are shuffled into a
ring and ``k`` distinct offsets ``d`` are drawn from ``1 … n-1``; the submission at place ``i`` is
reviewed by the submitters at places ``i + d (mod n)``. Each offset is a bijection of the ring with
no fixed point, so every submission gets exactly ``k`` different reviewers, nobody reviews their
own work, and everybody reviews exactly ``k`` (max − min = 0). It is O(n·k) and the same seed
always gives the same draw.

With ``n <= k`` every submitter reviews all the others and volunteers fill the remaining places in
turn (their loads differ by at most one); what still cannot be filled is the shortfall.

Late submissions (after the draw) get the least-loaded eligible people, never above ``k + 1``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.reviews.model import Source


@dataclass(frozen=True)
class Draw:
    """The result: ``(submission_id, reviewer_id, source)`` triples and the places left unfilled."""

    pairs: tuple[tuple[int, int, Source], ...]
    shortfall: dict[int, int] = field(default_factory=dict)  # submission id → reviewers missing

    def loads(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _, reviewer, _ in self.pairs:
            counts[reviewer] = counts.get(reviewer, 0) + 1
        return counts

    @property
    def missing(self) -> int:
        return sum(self.shortfall.values())


def draw_reviewers(submissions: Sequence[tuple[int, int]], helpers: Sequence[int], reviewers: int,
                   seed: int) -> Draw:
    """Assign ``reviewers`` reviewers to each ``(submission_id, author_id)``; ``helpers`` are volunteers."""
    if reviewers < 1:
        raise ValueError("each submission needs at least one reviewer")
    rng = random.Random(seed)
    ordered = sorted(submissions)
    if len({author for _, author in ordered}) != len(ordered):
        raise ValueError("one submission per author")
    rng.shuffle(ordered)
    n = len(ordered)
    if n > reviewers:
        offsets = rng.sample(range(1, n), reviewers)
        pairs = tuple((ordered[i][0], ordered[(i + d) % n][1], Source.PEER) for i in range(n) for d in offsets)
        return Draw(pairs)
    authors = {author for _, author in ordered}
    fill = sorted({h for h in helpers if h not in authors})
    rng.shuffle(fill)
    needed = reviewers - (n - 1)
    taken = min(needed, len(fill))
    peer_pairs = [(sid, other, Source.PEER) for sid, author in ordered for _, other in ordered if other != author]
    # Round-robin over the shuffled volunteers: consecutive places, so loads differ by at most one.
    volunteer_pairs = [(sid, fill[(j * taken + t) % len(fill)], Source.VOLUNTEER)
                       for j, (sid, _) in enumerate(ordered) for t in range(taken)] if taken else []
    shortfall = {sid: needed - taken for sid, _ in ordered if needed > taken}
    return Draw(tuple(peer_pairs + volunteer_pairs), shortfall)


def late_reviewers(submission_id: int, author_id: int, loads: Mapping[int, int], reviewers: int,
                   seed: int) -> list[int]:
    """For a submission after the draw: the ``reviewers`` least-loaded candidates below ``reviewers + 1``.

    ``loads`` maps every candidate (submitters and volunteers) to their current number of reviews.
    Ties are broken at random from the assignment's seed and the submission, so it is reproducible.
    """
    rng = random.Random(f"{seed}:{submission_id}")
    candidates = sorted(c for c, load in loads.items() if c != author_id and load < reviewers + 1)
    rng.shuffle(candidates)
    candidates.sort(key=lambda c: loads[c])  # stable: the shuffle breaks ties
    return candidates[:reviewers]
