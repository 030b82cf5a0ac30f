"""Who has gone quiet: the inactivity report (a dry run) and the prunes that act on it after a confirm.

A member's last activity is the later of their last recorded participation, the day they joined and
the day the bot was installed, so members who were there before the bot count as active from the
install date and nobody is demoted on day one.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot import confirmations, guilds
from bot.clock import Clock, from_db, to_db
from bot.confirmations import CONFIRM_WINDOW, Confirmable
from bot.db import Database, Row
from bot.errors import InvalidInput, NotFound
from bot.gate.config import GateConfig
from bot.participation import COUNTERS

PRUNE_ACTIONS = ("demote", "kick")
PRUNES = Confirmable("gate_prunes", "pending", "/gate prune", "prune")


@dataclass(frozen=True)
class MemberSince:
    """A current member, as the report needs them: who, and since when they are here."""

    user_id: int
    joined_at: datetime | None


@dataclass(frozen=True)
class Candidate:
    """Someone in the guild, as Discord lists them: enough to decide whether the report counts them."""

    user_id: int
    joined_at: datetime | None
    bot: bool
    role_ids: frozenset[int]


def members_to_check(candidates: Iterable[Candidate], config: GateConfig | None) -> list[MemberSince]:
    """Everyone who counts: humans, except newcomers still in the application flow (the newcomer role
    without the member role)."""
    found = []
    for candidate in candidates:
        if candidate.bot:
            continue
        if (config is not None and config.newcomer_role_id in candidate.role_ids
                and config.member_role_id not in candidate.role_ids):
            continue
        found.append(MemberSince(candidate.user_id, candidate.joined_at))
    return found


@dataclass(frozen=True)
class Totals:
    last_day: date | None          # the last day with something done; None: nothing yet
    recorded_days: int = 0
    messages: int = 0
    resources_shared: int = 0
    upvotes_received: int = 0
    sessions_attended: int = 0
    plan_items_done: int = 0
    checkins: int = 0
    buddy_meetings: int = 0
    submissions: int = 0
    reviews_given: int = 0
    helpful_marks: int = 0


NO_PARTICIPATION = Totals(last_day=None)


@dataclass(frozen=True)
class InactiveMember:
    user_id: int
    last_active: date              # what the cut-off is compared with
    last_participation: date | None  # None: nothing recorded, counted from joining or the install date
    totals: Totals


@dataclass(frozen=True)
class InactivityReport:
    guild_id: int
    days: int
    cutoff: date                   # last activity before this day is inactive
    checked: int                   # members looked at
    members: tuple[InactiveMember, ...]  # oldest activity first


def _totals(row: Row) -> Totals:
    last_day = date.fromisoformat(row["last_day"]) if row["last_day"] else None
    return Totals(last_day, row["recorded_days"], *(row[name] for name in COUNTERS))


async def participation_totals(db: Database, guild_id: int) -> dict[int, Totals]:
    """Every member's participation totals in the guild (one row each, kept by triggers)."""
    rows = await db.fetchall(
        f"SELECT user_id, last_day, recorded_days, {', '.join(COUNTERS)} "
        "FROM gate_participation_totals WHERE guild_id = ?", (guild_id,))
    return {row["user_id"]: _totals(row) for row in rows}


async def member_totals(db: Database, guild_id: int, user_id: int) -> Totals:
    row = await db.fetchone("SELECT * FROM gate_participation_totals WHERE guild_id = ? AND user_id = ?",
                            (guild_id, user_id))
    return NO_PARTICIPATION if row is None else _totals(row)


def check_days(days: int) -> int:
    if not 1 <= days <= 3650:
        raise InvalidInput(f"`days` must be between 1 and 3650; you gave {days}.")
    return days


async def inactivity_report(db: Database, clock: Clock, *, guild_id: int, members: Sequence[MemberSince],
                            days: int) -> InactivityReport:
    """Members whose last activity is older than ``days``, oldest first, with their totals."""
    check_days(days)
    today = clock.now().date()
    cutoff = today - timedelta(days=days)
    installed = await guilds.installed_at(db, guild_id)
    install_day = (installed or clock.now()).date()
    totals = await participation_totals(db, guild_id)
    inactive: list[InactiveMember] = []
    for member in members:
        found = totals.get(member.user_id, NO_PARTICIPATION)
        here_since = max(install_day, member.joined_at.date()) if member.joined_at else install_day
        last_active = max(found.last_day, here_since) if found.last_day else here_since
        if last_active < cutoff:
            inactive.append(InactiveMember(member.user_id, last_active, found.last_day, found))
    inactive.sort(key=lambda m: (m.last_active, m.user_id))
    return InactivityReport(guild_id, days, cutoff, len(members), tuple(inactive))


CSV_COLUMNS = ("user_id", "last_active", "last_participation", "recorded_days", "messages", "resources_shared",
               "upvotes_received", "sessions_attended")


def report_csv(report: InactivityReport, names: dict[int, str] | None = None) -> str:
    """The report as CSV (with a ``name`` column when names are given)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((*CSV_COLUMNS[:1], *(("name",) if names is not None else ()), *CSV_COLUMNS[1:]))
    for member in report.members:
        t = member.totals
        name = (_csv_safe(names.get(member.user_id, "")),) if names is not None else ()
        writer.writerow((member.user_id, *name, member.last_active.isoformat(),
                         member.last_participation.isoformat() if member.last_participation else "",
                         t.recorded_days, t.messages, t.resources_shared, t.upvotes_received, t.sessions_attended))
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # A display name starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# Prunes ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PruneTarget:
    user_id: int
    last_active: date
    outcome: str | None


@dataclass(frozen=True)
class Prune:
    id: int
    guild_id: int
    invoker_id: int
    action: str
    days: int
    status: str
    created_at: datetime
    expires_at: datetime
    channel_id: int | None
    message_id: int | None
    targets: tuple[PruneTarget, ...]


async def create_prune(db: Database, clock: Clock, *, guild_id: int, invoker_id: int, action: str,
                       report: InactivityReport) -> Prune:
    """Store the exact list to act on, waiting for the invoker's confirmation for five minutes."""
    if action not in PRUNE_ACTIONS:
        raise InvalidInput(f"`action` must be one of: {', '.join(PRUNE_ACTIONS)}.")
    if not report.members:
        raise InvalidInput(f"Nobody has been inactive for more than {report.days} days; there is nothing to prune.")
    now = clock.now()
    async with db.transaction():
        prune_id, _ = await db.execute(
            "INSERT INTO gate_prunes (guild_id, invoker_id, action, days, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, invoker_id, action, report.days, to_db(now), to_db(now + CONFIRM_WINDOW)),
        )
        await db.executemany(
            "INSERT INTO gate_prune_members (prune_id, guild_id, user_id, last_active) VALUES (?, ?, ?, ?)",
            [(prune_id, guild_id, m.user_id, m.last_active.isoformat()) for m in report.members],
        )
    assert prune_id is not None
    return await get_prune(db, prune_id)


async def get_prune(db: Database, prune_id: int) -> Prune:
    row = await db.fetchone("SELECT * FROM gate_prunes WHERE id = ?", (prune_id,))
    if row is None:
        raise NotFound("That prune no longer exists; run `/gate prune` again.")
    targets = await db.fetchall("SELECT user_id, last_active, outcome FROM gate_prune_members WHERE prune_id = ? "
                                "ORDER BY last_active, user_id", (prune_id,))
    return Prune(row["id"], row["guild_id"], row["invoker_id"], row["action"], row["days"], row["status"],
                 from_db(row["created_at"]), from_db(row["expires_at"]), row["channel_id"], row["message_id"],
                 tuple(PruneTarget(t["user_id"], date.fromisoformat(t["last_active"]), t["outcome"])
                       for t in targets))


async def set_prune_message(db: Database, prune_id: int, channel_id: int, message_id: int) -> None:
    await db.execute("UPDATE gate_prunes SET channel_id = ?, message_id = ? WHERE id = ?",
                     (channel_id, message_id, prune_id))


async def _claim(db: Database, clock: Clock, prune_id: int, user_id: int, new_status: str) -> Prune:
    await confirmations.claim(db, clock, PRUNES, prune_id, user_id=user_id, new_status=new_status)
    return await get_prune(db, prune_id)


async def confirm_prune(db: Database, clock: Clock, prune_id: int, *, user_id: int) -> Prune:
    """Start the prune; only its invoker, only within five minutes, only once."""
    return await _claim(db, clock, prune_id, user_id, "running")


async def cancel_prune(db: Database, clock: Clock, prune_id: int, *, user_id: int) -> Prune:
    return await _claim(db, clock, prune_id, user_id, "cancelled")


async def record_outcome(db: Database, prune_id: int, user_id: int, outcome: str) -> None:
    await db.execute("UPDATE gate_prune_members SET outcome = ? WHERE prune_id = ? AND user_id = ?",
                     (outcome, prune_id, user_id))


def outcome_summary(prune: Prune) -> str:
    """How the targets fared, by kind: ``"1 skipped, 3 demoted"`` ("skipped: left the server" is "skipped",
    "kicked (DMs closed)" is "kicked")."""
    kinds = Counter(re.split(r"[:(]", target.outcome, maxsplit=1)[0].strip()
                    for target in prune.targets if target.outcome)
    return ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "nobody to act on"


async def finish_prune(db: Database, clock: Clock, prune_id: int) -> Prune:
    await db.execute("UPDATE gate_prunes SET status = 'done', finished_at = ? WHERE id = ?",
                     (to_db(clock.now()), prune_id))
    return await get_prune(db, prune_id)


async def expire_prunes(db: Database, clock: Clock) -> list[Prune]:
    """Mark prunes whose five minutes passed as expired; returns them so their buttons can be disabled."""
    return [await get_prune(db, prune_id) for prune_id in await confirmations.expire(db, clock, PRUNES)]


async def active_since_listed(db: Database, prune: Prune, user_id: int) -> bool:
    """True if the member took part in something after the cut-off the list was made with."""
    cutoff = prune.created_at.date() - timedelta(days=prune.days)
    totals = await member_totals(db, prune.guild_id, user_id)
    return totals.last_day is not None and totals.last_day >= cutoff
