"""Drafts: an application form's answers kept when they were refused, to fill the next form in.

Discord cannot answer a form with another form, so a refused applicant presses Apply again; the
draft spares them retyping all five answers to fix one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.errors import InvalidInput
from bot.gate.scoring import BACKGROUND_MAX, GOALS_MAX, HOURS_MAX_CHARS, LINK_MAX, TOPICS_MAX, Answers, parse_answers

KEPT_NOTE = "Press Apply again: your answers are kept."


@dataclass(frozen=True)
class TypedAnswers:
    """The form's five answers exactly as typed, before any checking."""

    topics: str
    background: str
    goals: str
    hours: str
    link: str

    def bounded(self) -> TypedAnswers:
        """NULs dropped and each answer cut to what its form field holds, so it can be put back as typed."""
        def fit(text: str, limit: int) -> str:
            return text.replace("\x00", "")[:limit]

        return TypedAnswers(fit(self.topics, TOPICS_MAX), fit(self.background, BACKGROUND_MAX),
                            fit(self.goals, GOALS_MAX), fit(self.hours, HOURS_MAX_CHARS), fit(self.link, LINK_MAX))


@dataclass(frozen=True)
class Draft:
    guild_id: int
    user_id: int
    answers: TypedAnswers
    saved_at: datetime


async def save_draft(db: Database, clock: Clock, guild_id: int, user_id: int, typed: TypedAnswers) -> None:
    """Keep (or replace) the member's draft in this guild."""
    kept = typed.bounded()
    await db.execute(
        "INSERT INTO gate_application_drafts (guild_id, user_id, topics_text, background, goals, hours, link, "
        "saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "topics_text = excluded.topics_text, background = excluded.background, goals = excluded.goals, "
        "hours = excluded.hours, link = excluded.link, saved_at = excluded.saved_at",
        (guild_id, user_id, kept.topics, kept.background, kept.goals, kept.hours, kept.link, to_db(clock.now())),
    )


async def get_draft(db: Database, guild_id: int, user_id: int) -> Draft | None:
    row = await db.fetchone("SELECT * FROM gate_application_drafts WHERE guild_id = ? AND user_id = ?",
                            (guild_id, user_id))
    if row is None:
        return None
    typed = TypedAnswers(row["topics_text"], row["background"], row["goals"], row["hours"], row["link"])
    return Draft(row["guild_id"], row["user_id"], typed, from_db(row["saved_at"]))


async def delete_draft(db: Database, guild_id: int, user_id: int) -> None:
    await db.execute("DELETE FROM gate_application_drafts WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))


async def check_or_keep(db: Database, clock: Clock, guild_id: int, user_id: int, typed: TypedAnswers) -> Answers:
    """The checked answers; when they are refused, the typed ones are kept as a draft and the
    refusal says so."""
    try:
        return parse_answers(topics=typed.topics, background=typed.background, goals=typed.goals,
                             hours=typed.hours, link=typed.link)
    except InvalidInput as error:
        await save_draft(db, clock, guild_id, user_id, typed)
        raise InvalidInput(f"{error.message} {KEPT_NOTE}") from error
