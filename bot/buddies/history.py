"""What organisers and members see of past rounds, and how long rounds are kept.

Round history exists for the cooldown: it is kept for the guild's last ``cooldown_rounds`` rounds and
never longer than 26 weeks (:func:`purge`). A member's count of rounds taken part in lives on their
opt-in, so it survives the purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.buddies import store
from bot.buddies.model import HISTORY_KEEP, Group, Round
from bot.buddies.rounds import PROPOSAL_KEEP_DAYS, recent_rounds
from bot.clock import Clock, to_db
from bot.db import Database


async def purge(db: Database, clock: Clock) -> int:
    """Delete rounds beyond each guild's cooldown or older than 26 weeks, and stale proposals."""
    now = clock.now()
    removed = 0
    async with db.transaction():
        _, count = await db.execute("DELETE FROM buddies_rounds WHERE ran_at IS NOT NULL AND ran_at < ?",
                                    (to_db(now - HISTORY_KEEP),))
        removed += count
        _, count = await db.execute(
            "DELETE FROM buddies_rounds WHERE status IN ('proposed', 'expired', 'cancelled') AND created_at < ?",
            (to_db(now - timedelta(days=PROPOSAL_KEEP_DAYS)),))
        removed += count
        # Beyond the cooldown: a round is no longer needed once the guild has cooldown_rounds newer ones
        # (and it is over: its check-back is done, so a late answer has nowhere to go anyway).
        _, count = await db.execute(
            "DELETE FROM buddies_rounds WHERE status = 'checked' AND id IN (SELECT r.id FROM buddies_rounds r "
            "JOIN buddies_settings s ON s.guild_id = r.guild_id WHERE r.status = 'checked' AND "
            "(SELECT COUNT(*) FROM buddies_rounds n WHERE n.guild_id = r.guild_id AND n.status IN "
            "('posting', 'posted', 'checked') AND (n.ran_at > r.ran_at OR (n.ran_at = r.ran_at AND n.id > r.id)))"
            " >= s.cooldown_rounds)")
        removed += count
    return removed


@dataclass(frozen=True)
class MeetRate:
    round_id: int
    ran_at: datetime
    met: int
    groups: int
    repeats: int


async def meet_rates(db: Database, guild_id: int, limit: int = 5) -> list[MeetRate]:
    """The last rounds, newest first: how many groups said they met."""
    found = []
    for past in await recent_rounds(db, guild_id, limit):
        met, groups = past.meetings
        assert past.ran_at is not None
        found.append(MeetRate(past.id, past.ran_at, met, groups, past.repeats))
    return found


@dataclass(frozen=True)
class MemberStatus:
    opted_in: bool
    paused_until: datetime | None
    skip_next: bool
    rounds_taken: int
    topic_ids: tuple[int, ...]
    note: str
    current: Group | None            # the member's group in the latest round, if any
    current_round: Round | None


async def member_status(db: Database, clock: Clock, guild_id: int, user_id: int) -> MemberStatus:
    optin = await store.get_optin(db, guild_id, user_id)
    latest = await recent_rounds(db, guild_id, 1)
    current = None
    if latest:
        current = next((g for g in latest[0].groups if user_id in g.user_ids), None)
    now = clock.now()
    if optin is None:
        return MemberStatus(False, None, False, 0, (), "", current, latest[0] if latest else None)
    return MemberStatus(True, optin.paused_until if optin.paused_at(now) else None, optin.skip_next,
                        optin.rounds_taken, optin.topic_ids, optin.note, current, latest[0] if latest else None)

