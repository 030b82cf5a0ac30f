"""Benchmark study buddies: a round for 2,000 opted-in members with 20 past rounds, and how its groups
compare with a random shuffle of the same pool against the same history.

Prints: the time to make the round (pool, timezones and history read from SQLite, matched, written;
budget 3 s) and the matcher's share of it; pairs repeated within the cooldown; mean shared topics
per pair; mean time-zone distance per pair (members with a timezone) — each beside the baseline.
Then the same pool in trios against a history of trios (where repeats are much harder to avoid).

Run: .venv/bin/python bench/buddies.py
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import topics
from bot.buddies import rounds, store
from bot.buddies.matching import Candidate, Pair, pair, solve
from bot.buddies.model import BuddySettings
from bot.clock import FakeClock
from bot.db import Database, migrate
from bot.sessions.members import set_member_timezone

GUILD = 1
MEMBERS = 2_000
PAST_ROUNDS = 20
COOLDOWN = 4
TOPICS = 12
BUDGET_S = 3.0
ZONES = ["America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London", "Europe/Berlin",
         "Europe/Helsinki", "Africa/Lagos", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]


async def populate(db: Database, clock: FakeClock) -> BuddySettings:
    rng = random.Random(11)
    settings = await store.save_settings(db, clock, guild_id=GUILD, channel_id=1, cadence_name="weekly", weekday=0,
                                         hour=9, group_size=2, cooldown_rounds=COOLDOWN, zone="UTC", configured_by=1)
    topic_ids = [(await topics.add_topic(db, clock, guild_id=GUILD, slug=f"t{i}", name=f"Topic {i}")).id
                 for i in range(TOPICS)]
    for user_id in range(1, MEMBERS + 1):
        chosen = rng.sample(topic_ids, rng.choice([1, 1, 2, 2, 3, 4]))
        await store.join(db, clock, guild_id=GUILD, user_id=user_id, topic_ids=chosen, note="")
        if rng.random() < 0.8:  # a fifth never set a timezone
            await set_member_timezone(db, GUILD, user_id, rng.choice(ZONES))
    return settings


def groups_pairs(groups: Sequence[Sequence[int]]) -> list[Pair]:
    return [pair(a, b) for g in groups for a, b in itertools.combinations(g, 2)]


def shuffled(pool: Sequence[Candidate], seed: int) -> list[list[int]]:
    """The baseline: shuffle and pair neighbours; an odd member joins the last pair."""
    ids = [c.user_id for c in pool]
    random.Random(seed).shuffle(ids)
    groups = [ids[i:i + 2] for i in range(0, len(ids) - 1, 2)]
    if len(ids) % 2:
        groups[-1].append(ids[-1])
    return groups


def shuffled_trios(pool: Sequence[Candidate], rounds_count: int) -> list[list[list[int]]]:
    """``rounds_count`` random rounds of trios (a pair or two for the rest): the trios' history and baseline."""
    rng = random.Random(rounds_count)
    ids = [c.user_id for c in pool]
    found = []
    for _ in range(rounds_count):
        rng.shuffle(ids)
        found.append([ids[i:i + 3] for i in range(0, len(ids), 3)])
    return found


def quality(groups: Sequence[Sequence[int]], pool: Sequence[Candidate], recent: set[Pair]) -> tuple[int, float, float]:
    by_id = {c.user_id: c for c in pool}
    pairs = groups_pairs(groups)
    repeats = sum(1 for p in pairs if p in recent)
    shared = statistics.fmean(len(by_id[a].topics & by_id[b].topics) for a, b in map(sorted, pairs))
    distances = [abs(by_id[a].utc_offset_minutes - by_id[b].utc_offset_minutes) / 60  # type: ignore[operator]
                 for a, b in map(sorted, pairs)
                 if by_id[a].utc_offset_minutes is not None and by_id[b].utc_offset_minutes is not None]
    return repeats, shared, statistics.fmean(distances)


async def main() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        await migrate(db)
        settings = await populate(db, clock)
        everyone = set(range(1, MEMBERS + 1))
        for _ in range(PAST_ROUNDS):
            proposal = await rounds.propose(db, clock, settings, invoker_id=1, present=everyone)
            await rounds.confirm(db, clock, proposal.id, user_id=1, present=everyone)
            clock.advance(timedelta(days=7))

        started = time.perf_counter()
        proposal = await rounds.propose(db, clock, settings, invoker_id=1, present=everyone)
        elapsed = time.perf_counter() - started

        members = await store.pool(db, clock, GUILD, everyone)
        pool = await rounds.candidates(db, GUILD, members, clock.now())
        recent = await rounds.recent_pairs(db, GUILD, COOLDOWN)
        started = time.perf_counter()
        solved = solve(pool, recent, group_size=2, seed=proposal.seed)
        solve_s = time.perf_counter() - started
        assert [tuple(g.user_ids) for g in proposal.groups] == list(solved.groups), "the seed replays the round"
        ours = quality(solved.groups, pool, recent)
        base = quality(shuffled(pool, proposal.seed), pool, recent)
        # Trios (group_size 3) against a history of trios: each member has met twice as many people.
        trio_recent = {p for g in shuffled_trios(pool, 4) for p in groups_pairs(g)}
        started = time.perf_counter()
        trios = solve(pool, trio_recent, group_size=3, seed=proposal.seed)
        trio_s = time.perf_counter() - started
        trio_ours = quality(trios.groups, pool, trio_recent)
        trio_base = quality(shuffled_trios(pool, 1)[0], pool, trio_recent)
        await db.close()

    verdict = "OK" if elapsed <= BUDGET_S else "OVER BUDGET"
    print(f"buddies: a round for {MEMBERS:,} opted-in members with {PAST_ROUNDS} past rounds "
          f"(cooldown {COOLDOWN} rounds)")
    print(f"  round made (read pool + timezones + history, match, write): {elapsed:.2f} s "
          f"(budget {BUDGET_S:.0f} s: {verdict}); matcher alone {solve_s:.2f} s")
    print(f"  {'':38} {'matcher':>10} {'random shuffle':>15}")
    print(f"  {'pairs repeated within the cooldown':38} {ours[0]:>10} {base[0]:>15}")
    print(f"  {'mean shared topics per pair':38} {ours[1]:>10.2f} {base[1]:>15.2f}")
    print(f"  {'mean time-zone distance per pair (h)':38} {ours[2]:>10.2f} {base[2]:>15.2f}")
    print(f"  trios (group_size 3) against {COOLDOWN} past rounds of trios: matcher {trio_s:.2f} s")
    print(f"  {'pairs repeated within the cooldown':38} {trio_ours[0]:>10} {trio_base[0]:>15}")
    print(f"  {'mean shared topics per pair':38} {trio_ours[1]:>10.2f} {trio_base[1]:>15.2f}")


if __name__ == "__main__":
    asyncio.run(main())
