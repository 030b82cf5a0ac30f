"""What Cohort stores about people, how to export it, forget it, and how long it is kept.

:data:`USER_DATA` is the one list of every column, in every feature's tables, that holds a Discord
user id. Export and forget walk it; :func:`unregistered_user_columns` finds columns in the live
schema that look like user ids but are not listed, and a test keeps that list empty, so a feature
that adds a table with user data cannot be forgotten here.

A listed table that does not exist (a feature not installed) is skipped.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from bot.clock import Clock, to_db
from bot.db import Database
from bot.plans import checkins as plan_checkins
from bot.reviews import submissions as review_submissions

# How long things are kept (the README repeats this).
PARTICIPATION_KEEP = timedelta(days=400)        # daily counts: a year of reports and streaks
CLOSED_APPLICATION_KEEP = timedelta(days=180)   # rejected or withdrawn applications, with their answers
LEFT_MEMBER_KEEP = timedelta(days=30)           # the gate's join record after someone leaves
PRUNE_RECORD_KEEP = timedelta(days=180)         # who a prune demoted or kicked, for the moderators' record
DRAFT_KEEP = timedelta(days=7)                  # a refused application form's answers, to fill it in again

ANONYMOUS = 0  # stands in for a forgotten user in NOT NULL columns


@dataclass(frozen=True)
class UserColumn:
    """A column holding a user id, and what forgetting that user does to its rows."""

    table: str
    column: str
    on_forget: Literal["delete", "anonymise"]
    # What export shows of rows found through this column; None means the whole row. Rows where the
    # user only acted on someone else's data (a reviewer's decision) show just the user's part.
    export_columns: tuple[str, ...] | None = None
    # A statement run just before forgetting, to keep counters in step; ``{where}`` selects the
    # user's rows of this table (e.g. a resource's vote count when their votes go).
    before_forget: str | None = None
    # How /privacy forget's confirmation names these rows to the member ("study-plan enrolments,
    # progress and check-ins"). Every deleted column has one; an anonymised one without it is
    # covered by "what you did as an organiser".
    what: str = ""


# What /privacy forget says it deletes (see UserColumn.what), one phrase per feature.
_PARTICIPATION = "participation counts"
_GATE = "gate records"
_APPLICATIONS = "applications"
_VOTES = "resource votes and saves"
_SESSIONS = "session RSVPs, attendance and reminder choices"
_PLANS = "study-plan enrolments, progress, check-ins (and their cards) and reminder choices"
_SUBMISSIONS = "submitted work (with the reviews on it)"
_BUDDIES = "study-buddy sign-ups and past pairings"

USER_DATA: tuple[UserColumn, ...] = (
    # Foundation
    UserColumn("participation_daily", "user_id", "delete", what=_PARTICIPATION),
    # Gate (the totals follow participation_daily through triggers, and are listed for completeness)
    UserColumn("gate_participation_totals", "user_id", "delete", what=_PARTICIPATION),
    UserColumn("gate_members", "user_id", "delete", what=_GATE),
    UserColumn("gate_applications", "user_id", "delete", what=_APPLICATIONS),
    UserColumn("gate_application_drafts", "user_id", "delete", what=_APPLICATIONS),
    UserColumn("gate_applications", "decided_by", "anonymise",
               ("id", "status", "decided_at", "decision_reason")),
    UserColumn("gate_questions", "asked_by", "anonymise", ("id", "application_id", "question", "asked_at")),
    UserColumn("gate_prunes", "invoker_id", "anonymise", ("id", "action", "days", "status", "created_at")),
    UserColumn("gate_prune_members", "user_id", "delete", what=_GATE),
    UserColumn("gate_config", "configured_by", "anonymise", ("guild_id", "configured_at")),
    # Resources: what someone shared stays in the library, without their name.
    UserColumn("resources", "author_id", "anonymise", what="resources you shared"),
    UserColumn("resources", "removed_by", "anonymise", ("id", "url", "removed_at")),
    UserColumn("resources_votes", "user_id", "delete",
               before_forget="UPDATE resources SET votes = MAX(votes - 1, 0) WHERE id IN "
                             "(SELECT resource_id FROM resources_votes WHERE {where})", what=_VOTES),
    UserColumn("resources_saves", "user_id", "delete", what=_VOTES),
    # Study sessions: a host's past sessions stay, without their name; RSVPs, attendance, voice
    # time and their timezone go.
    UserColumn("sessions", "host_id", "anonymise", ("id", "title", "starts_at", "ends_at"), what="sessions you hosted"),
    UserColumn("sessions_rsvps", "user_id", "delete", what=_SESSIONS),
    UserColumn("sessions_attendance", "user_id", "delete", what=_SESSIONS),
    UserColumn("sessions_voice_intervals", "user_id", "delete", what=_SESSIONS),
    UserColumn("sessions_members", "user_id", "delete", what=_SESSIONS),
    # Feeds: the feed stays, without who added it.
    UserColumn("feeds", "created_by", "anonymise", ("id", "url", "title", "created_at")),
    # Study plans: the plan stays, without who imported it; enrolments, progress, check-ins, reminder
    # choices and the record of deadline DMs sent to the member go.
    UserColumn("plans", "created_by", "anonymise", ("id", "slug", "title", "created_at")),
    UserColumn("plans_enrolments", "user_id", "delete", what=_PLANS),
    UserColumn("plans_member_settings", "user_id", "delete", what=_PLANS),
    UserColumn("plans_progress", "user_id", "delete", what=_PLANS),
    UserColumn("plans_checkins", "user_id", "delete", what=_PLANS),
    UserColumn("plans_posts", "user_id", "delete", ("id", "plan_id", "key", "sent_at"), what=_PLANS),
    # Peer review: a member's submissions (and the reviews on them) go; reviews they wrote stay with
    # the authors, without their name (unwritten ones are dropped); an assignment stays, without its creator.
    UserColumn("reviews_assignments", "created_by", "anonymise", ("id", "title", "created_at")),
    UserColumn("reviews_submissions", "user_id", "delete", what=_SUBMISSIONS),
    UserColumn("reviews_volunteers", "user_id", "delete", what=_SUBMISSIONS),
    UserColumn("reviews_reviews", "reviewer_id", "anonymise",
               ("id", "assignment_id", "submission_id", "scores", "works", "improve", "submitted_at", "helpful_at"),
               before_forget="DELETE FROM reviews_reviews WHERE {where} AND submitted_at IS NULL",
               what="reviews you wrote"),
    UserColumn("reviews_notices", "user_id", "delete", ("assignment_id", "key", "sent_at"), what=_SUBMISSIONS),
    # Study buddies: the opt-in (topics, note, pause), the member's place in past rounds (group,
    # answer) go; a round someone ran by hand and the settings stay, without their name.
    UserColumn("buddies_optins", "user_id", "delete", what=_BUDDIES),
    UserColumn("buddies_optin_topics", "user_id", "delete", what=_BUDDIES),
    UserColumn("buddies_members", "user_id", "delete", what=_BUDDIES),
    UserColumn("buddies_dms", "user_id", "delete", ("group_id", "kind", "status", "claimed_at"), what=_BUDDIES),
    UserColumn("buddies_rounds", "invoker_id", "anonymise", ("id", "status", "created_at", "ran_at")),
    UserColumn("buddies_settings", "configured_by", "anonymise", ("guild_id", "configured_at")),
    # Web companion: the personal calendar link (only its hash is stored; export shows when it was made).
    UserColumn("web_calendar_tokens", "user_id", "delete", ("guild_id", "created_at"),
               what="your personal calendar link"),
)

# Data about a member that is found through their rows rather than a user column: ``{scope}`` is
# ``AND s.guild_id = ?`` for one guild. Export includes it; forget removes it with those rows.
RELATED_DATA: tuple[tuple[str, str], ...] = (
    ("reviews received", "SELECT r.id, r.assignment_id, r.submission_id, r.scores, r.works, r.improve, "
                         "r.submitted_at, r.helpful_at FROM reviews_reviews r JOIN reviews_submissions s "
                         "ON s.id = r.submission_id WHERE s.user_id = ? AND r.submitted_at IS NOT NULL {scope}"),
)

# Column names that hold a user id; "…_by" columns (decided_by, created_by) do too.
_USER_COLUMN_NAMES = frozenset({
    "user_id", "author_id", "member_id", "voter_id", "owner_id", "host_id", "organizer_id", "organiser_id",
    "applicant_id", "creator_id", "reviewer_id", "moderator_id", "attendee_id", "invoker_id", "saver_id",
    "shared_by_id", "sender_id", "subscriber_id",
})


def forget_summary() -> tuple[list[str], list[str]]:
    """What forgetting a member deletes and what stays without their name, as /privacy forget says it,
    in the order of :data:`USER_DATA` (one phrase per feature, generated from what features register)."""
    deleted = list(dict.fromkeys(entry.what for entry in USER_DATA if entry.on_forget == "delete"))
    kept = list(dict.fromkeys(entry.what for entry in USER_DATA if entry.on_forget == "anonymise" and entry.what))
    if any(entry.on_forget == "anonymise" and not entry.what for entry in USER_DATA):
        kept.append("what you did as an organiser")
    return deleted, kept


def looks_like_user_column(name: str) -> bool:
    lowered = name.lower()
    return lowered in _USER_COLUMN_NAMES or lowered.endswith(("_user_id", "_by"))


async def _schema(db: Database) -> dict[str, dict[str, Any]]:
    """``{table: {column: PRAGMA table_info row}}`` for every table in the database."""
    tables = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    schema: dict[str, dict[str, Any]] = {}
    for row in tables:
        columns = await db.fetchall(f"PRAGMA table_info({row['name']})")
        schema[row["name"]] = {column["name"]: column for column in columns}
    return schema


async def unregistered_user_columns(db: Database) -> list[tuple[str, str]]:
    """``(table, column)`` pairs that look like user ids but are missing from :data:`USER_DATA`."""
    registered = {(entry.table, entry.column) for entry in USER_DATA}
    schema = await _schema(db)
    return sorted((table, column) for table, columns in schema.items() for column in columns
                  if looks_like_user_column(column) and (table, column) not in registered)


async def missing_registered_columns(db: Database) -> list[tuple[str, str]]:
    """Listed columns whose table exists but lacks the column (the list is out of date)."""
    schema = await _schema(db)
    return [(e.table, e.column) for e in USER_DATA if e.table in schema and e.column not in schema[e.table]]


async def _present(db: Database) -> tuple[list[UserColumn], dict[str, dict[str, Any]]]:
    schema = await _schema(db)
    return [e for e in USER_DATA if e.table in schema and e.column in schema[e.table]], schema


def _scope(column: str, guild_id: int | None, columns: dict[str, Any]) -> tuple[str, tuple[int, ...]]:
    """The WHERE clause for one user's rows. A table without ``guild_id`` (against the house rule) is
    matched on the user alone: forgetting too much beats forgetting too little."""
    if guild_id is None or "guild_id" not in columns:
        return f"{column} = ?", ()
    return f"{column} = ? AND guild_id = ?", (guild_id,)


async def export_user(db: Database, clock: Clock, *, user_id: int, guild_id: int | None) -> dict[str, Any]:
    """Everything stored about ``user_id`` (in one guild, or everywhere when ``guild_id`` is None)."""
    present, schema = await _present(db)
    data: dict[str, list[dict[str, Any]]] = {}
    for entry in present:
        where, extra = _scope(entry.column, guild_id, schema[entry.table])
        columns = ", ".join(entry.export_columns) if entry.export_columns else "*"
        rows = await db.fetchall(f"SELECT {columns} FROM {entry.table} WHERE {where}", (user_id, *extra))
        if rows:
            data[f"{entry.table}.{entry.column}"] = [dict(row) for row in rows]
    for name, sql in RELATED_DATA:
        try:
            rows = await db.fetchall(sql.format(scope="AND s.guild_id = ?" if guild_id else ""),
                                     (user_id, guild_id) if guild_id else (user_id,))
        except sqlite3.OperationalError:  # the feature's tables are not installed
            continue
        if rows:
            data[name] = [dict(row) for row in rows]
    return {
        "user_id": user_id,
        "guild_id": guild_id,
        "exported_at": to_db(clock.now()),
        "about": "Each key is table.column: the rows where that column holds your user id (\"reviews received\": "
                 "reviews written on your submissions, without who wrote them). Participation "
                 "is counts per day, never message content. Times are UTC.",
        "data": data,
    }


def export_json(export: dict[str, Any]) -> bytes:
    return json.dumps(export, indent=2, ensure_ascii=False, default=str).encode("utf-8")


@dataclass(frozen=True)
class ForgetResult:
    deleted: dict[str, int]
    anonymised: dict[str, int]
    review_messages: tuple[tuple[int, int], ...]  # (channel_id, message_id) of deleted applications' cards
    # (channel_id, message_id) of public posts that quote the member and go with their data: study-plan
    # check-in cards and peer-review showcase cards.
    public_cards: tuple[tuple[int, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + sum(self.anonymised.values())


async def forget_user(db: Database, *, user_id: int, guild_id: int | None) -> ForgetResult:
    """Delete the user's own rows and anonymise rows they only acted on, in one transaction."""
    present, schema = await _present(db)
    deleted: dict[str, int] = {}
    anonymised: dict[str, int] = {}
    async with db.transaction():
        where, extra = _scope("user_id", guild_id, schema["gate_applications"])
        cards = await db.fetchall(
            f"SELECT review_channel_id, review_message_id FROM gate_applications WHERE {where} "
            "AND review_message_id IS NOT NULL", (user_id, *extra))
        posted = await plan_checkins.public_cards(db, user_id=user_id, guild_id=guild_id) \
            if "plans_checkins" in schema else []
        if "reviews_submissions" in schema:
            posted += await review_submissions.showcase_cards(db, user_id=user_id, guild_id=guild_id)
        for entry in sorted(present, key=lambda e: e.on_forget != "delete"):
            where, extra = _scope(entry.column, guild_id, schema[entry.table])
            if entry.before_forget:
                await db.execute(entry.before_forget.format(where=where), (user_id, *extra))
            if entry.on_forget == "delete":
                _, count = await db.execute(f"DELETE FROM {entry.table} WHERE {where}", (user_id, *extra))
                if count:
                    deleted[f"{entry.table}.{entry.column}"] = count
            else:
                nullable = not schema[entry.table][entry.column]["notnull"]
                placeholder = None if nullable else ANONYMOUS
                _, count = await db.execute(f"UPDATE {entry.table} SET {entry.column} = ? WHERE {where}",
                                            (placeholder, user_id, *extra))
                if count:
                    anonymised[f"{entry.table}.{entry.column}"] = count
    return ForgetResult(deleted, anonymised,
                        tuple((row["review_channel_id"], row["review_message_id"]) for row in cards), tuple(posted))


async def purge_expired(db: Database, clock: Clock) -> dict[str, int]:
    """Delete what is past its keeping time (see the constants above); returns rows per kind."""
    now = clock.now()
    removed: dict[str, int] = {}
    async with db.transaction():
        _, removed["participation days"] = await db.execute(
            "DELETE FROM participation_daily WHERE day < ?", ((now - PARTICIPATION_KEEP).date().isoformat(),))
        _, removed["closed applications"] = await db.execute(
            "DELETE FROM gate_applications WHERE status IN ('rejected', 'withdrawn') AND decided_at < ?",
            (to_db(now - CLOSED_APPLICATION_KEEP),))
        _, removed["members who left"] = await db.execute(
            "DELETE FROM gate_members WHERE left_at IS NOT NULL AND left_at < ?", (to_db(now - LEFT_MEMBER_KEEP),))
        _, removed["prune records"] = await db.execute(
            "DELETE FROM gate_prunes WHERE status != 'pending' AND status != 'running' AND created_at < ?",
            (to_db(now - PRUNE_RECORD_KEEP),))
        _, removed["application drafts"] = await db.execute(
            "DELETE FROM gate_application_drafts WHERE saved_at < ?", (to_db(now - DRAFT_KEEP),))
    return {kind: count for kind, count in removed.items() if count}
