"""Applications: one open per member, scored on arrival, decided by a reviewer (or automatically)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import topics
from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row
from bot.errors import AlreadyExists, InvalidInput, NotAllowed, NotFound
from bot.gate.config import GateConfig
from bot.gate.drafts import delete_draft
from bot.gate.scoring import Answers, Score, ScoreReason, score_application
from bot.topics import Topic

QUESTION_MAX = 1000
ANSWER_MAX = 1000
REASON_MAX = 1000
OPEN, APPROVED, REJECTED, WITHDRAWN = "open", "approved", "rejected", "withdrawn"


@dataclass(frozen=True)
class Application:
    id: int
    guild_id: int
    user_id: int
    status: str
    answers: Answers
    account_created_at: datetime
    score: int
    score_reasons: tuple[ScoreReason, ...]
    submitted_at: datetime
    topic_ids: tuple[int, ...]
    review_channel_id: int | None
    review_message_id: int | None
    decided_at: datetime | None
    decided_by: int | None
    decision_reason: str | None


@dataclass(frozen=True)
class Question:
    id: int
    guild_id: int
    application_id: int
    asked_by: int
    question: str
    asked_at: datetime
    dm_delivered: bool
    answer: str | None
    answered_at: datetime | None


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: int) -> None:
        super().__init__(f"Application #{application_id} no longer exists (the applicant may have asked "
                         "for their data to be deleted).")


def _application(row: Row, topic_ids: tuple[int, ...]) -> Application:
    return Application(
        id=row["id"], guild_id=row["guild_id"], user_id=row["user_id"], status=row["status"],
        answers=Answers(row["topics_text"], row["background"], row["goals"], row["hours_per_week"], row["link"]),
        account_created_at=from_db(row["account_created_at"]),
        score=row["score"], score_reasons=Score.reasons_from_json(row["score_reasons"]),
        submitted_at=from_db(row["submitted_at"]), topic_ids=topic_ids,
        review_channel_id=row["review_channel_id"], review_message_id=row["review_message_id"],
        decided_at=from_db(row["decided_at"]) if row["decided_at"] else None,
        decided_by=row["decided_by"], decision_reason=row["decision_reason"],
    )


def _question(row: Row) -> Question:
    return Question(row["id"], row["guild_id"], row["application_id"], row["asked_by"], row["question"],
                    from_db(row["asked_at"]), bool(row["dm_delivered"]), row["answer"],
                    from_db(row["answered_at"]) if row["answered_at"] else None)


async def _load(db: Database, row: Row | None) -> Application | None:
    if row is None:
        return None
    ids = await db.fetchall("SELECT topic_id FROM gate_application_topics WHERE application_id = ? "
                            "ORDER BY topic_id", (row["id"],))
    return _application(row, tuple(r["topic_id"] for r in ids))


async def get_application(db: Database, application_id: int) -> Application:
    found = await _load(db, await db.fetchone("SELECT * FROM gate_applications WHERE id = ?", (application_id,)))
    if found is None:
        raise ApplicationNotFound(application_id)
    return found


async def open_application(db: Database, guild_id: int, user_id: int) -> Application | None:
    return await _load(db, await db.fetchone(
        "SELECT * FROM gate_applications WHERE guild_id = ? AND user_id = ? AND status = 'open'", (guild_id, user_id)))


async def latest_application(db: Database, guild_id: int, user_id: int,
                             status: str | None = None) -> Application | None:
    """The member's most recent application (with ``status``, if given)."""
    return await _load(db, await db.fetchone(
        "SELECT * FROM gate_applications WHERE guild_id = ? AND user_id = ? AND (? IS NULL OR status = ?) "
        "ORDER BY submitted_at DESC, id DESC LIMIT 1", (guild_id, user_id, status, status)))


async def match_topics(db: Database, guild_id: int, words: list[str]) -> list[Topic]:
    """The guild topics named in ``words`` (by slug or name, any case), each once, in the order typed."""
    by_key: dict[str, Topic] = {}
    for topic in await topics.list_topics(db, guild_id):
        by_key[topic.slug] = topic
        by_key[topics.normalise_slug(topic.name)] = topic
    chosen: list[Topic] = []
    by_key.pop("", None)  # a name of only symbols has no slug, and must not match every symbol typed
    for word in words:
        match = by_key.get(topics.normalise_slug(word))
        if match is not None and match not in chosen:
            chosen.append(match)
    return chosen


def clean_paragraph(text: str, what: str, limit: int) -> str:
    """A reason, question or answer: NULs dropped, trimmed, not empty, at most ``limit`` characters."""
    cleaned = text.replace("\x00", "").strip()
    if not cleaned:
        raise InvalidInput(f"The {what} is empty; write a sentence or two.")
    if len(cleaned) > limit:
        raise InvalidInput(f"The {what} is {len(cleaned)} characters; keep it to {limit}.")
    return cleaned


def reapply_at(config: GateConfig, rejected: Application) -> datetime:
    assert rejected.decided_at is not None
    return rejected.decided_at + timedelta(days=config.reapply_cooldown_days)


async def check_can_apply(db: Database, clock: Clock, config: GateConfig, user_id: int) -> None:
    """Raise if the member has an open application or is inside the cool-down after a rejection."""
    existing = await open_application(db, config.guild_id, user_id)
    if existing is not None:
        raise AlreadyExists(f"You already have an application open (#{existing.id}, sent "
                            f"{_timestamp(existing.submitted_at)}); reviewers will get back to you.")
    last = await latest_application(db, config.guild_id, user_id)
    if last is not None and last.status == REJECTED:
        again = reapply_at(config, last)
        if clock.now() < again:
            raise NotAllowed(f"Your last application was not accepted. You can apply again from "
                             f"{_timestamp(again)} (a {config.reapply_cooldown_days}-day cool-down after a "
                             "rejection).")


def _timestamp(moment: datetime) -> str:
    # Discord renders this in every reader's own timezone; the domain only formats the token.
    return f"<t:{int(moment.timestamp())}:f>"


async def submit_application(db: Database, clock: Clock, config: GateConfig, *, user_id: int, answers: Answers,
                             account_created_at: datetime) -> Application:
    """Score and store a new application (the member's draft goes); refused while one is open or during
    the cool-down."""
    now = clock.now()
    chosen = await match_topics(db, config.guild_id, answers.topic_words)
    score = score_application(answers, topics_chosen=len(chosen),
                              account_age_days=max(0, (now - account_created_at).days), rules=config.scoring)
    async with db.transaction():
        await check_can_apply(db, clock, config, user_id)
        application_id, _ = await db.execute(
            "INSERT INTO gate_applications (guild_id, user_id, topics_text, background, goals, hours_per_week, "
            "link, account_created_at, score, score_reasons, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (config.guild_id, user_id, answers.topics_text, answers.background, answers.goals,
             answers.hours_per_week, answers.link, to_db(account_created_at), score.total, score.reasons_json(),
             to_db(now)),
        )
        await db.executemany(
            "INSERT INTO gate_application_topics (application_id, guild_id, topic_id) VALUES (?, ?, ?)",
            [(application_id, config.guild_id, topic.id) for topic in chosen],
        )
        await delete_draft(db, config.guild_id, user_id)  # applied: the kept answers have done their job
    assert application_id is not None
    return await get_application(db, application_id)


async def set_review_message(db: Database, application_id: int, channel_id: int, message_id: int) -> None:
    await db.execute("UPDATE gate_applications SET review_channel_id = ?, review_message_id = ? WHERE id = ?",
                     (channel_id, message_id, application_id))


async def decide(db: Database, clock: Clock, application_id: int, *, status: str, decided_by: int,
                 reason: str | None = None) -> Application:
    """Approve, reject or withdraw an open application; only the first decision counts."""
    if status not in (APPROVED, REJECTED, WITHDRAWN):
        raise ValueError(f"not a decision: {status}")
    if reason is not None:
        reason = clean_paragraph(reason, "reason", REASON_MAX)
    rows = await db.execute_returning(
        "UPDATE gate_applications SET status = ?, decided_at = ?, decided_by = ?, decision_reason = ? "
        "WHERE id = ? AND status = 'open' RETURNING id",
        (status, to_db(clock.now()), decided_by, reason, application_id),
    )
    if not rows:
        raise already_decided(await get_application(db, application_id))
    return await get_application(db, application_id)


def already_decided(application: Application) -> InvalidInput:
    """The refusal for acting on an application someone already decided, naming who."""
    who = f" by <@{application.decided_by}>" if application.decided_by else ""
    return InvalidInput(f"Application #{application.id} was already {application.status}{who}.")


async def withdraw_open(db: Database, clock: Clock, guild_id: int, user_id: int) -> Application | None:
    """Close the member's open application (they left the server); returns it if there was one."""
    found = await open_application(db, guild_id, user_id)
    if found is None:
        return None
    try:
        return await decide(db, clock, found.id, status=WITHDRAWN, decided_by=user_id)
    except InvalidInput:
        return None  # decided in the meantime


# Reviewers' questions --------------------------------------------------------------------------
async def ask_question(db: Database, clock: Clock, application_id: int, *, asked_by: int,
                       question: str) -> Question:
    application = await get_application(db, application_id)
    if application.status != OPEN:
        raise InvalidInput(f"Application #{application_id} is already {application.status}; questions are for "
                           "open applications.")
    text = clean_paragraph(question, "question", QUESTION_MAX)
    question_id, _ = await db.execute(
        "INSERT INTO gate_questions (guild_id, application_id, asked_by, question, asked_at) VALUES (?, ?, ?, ?, ?)",
        (application.guild_id, application_id, asked_by, text, to_db(clock.now())),
    )
    assert question_id is not None
    return await get_question(db, question_id)


async def get_question(db: Database, question_id: int) -> Question:
    row = await db.fetchone("SELECT * FROM gate_questions WHERE id = ?", (question_id,))
    if row is None:
        raise NotFound("That question no longer exists.")
    return _question(row)


async def mark_question_delivered(db: Database, question_id: int) -> None:
    await db.execute("UPDATE gate_questions SET dm_delivered = 1 WHERE id = ?", (question_id,))


async def questions_for(db: Database, application_id: int) -> list[Question]:
    rows = await db.fetchall("SELECT * FROM gate_questions WHERE application_id = ? ORDER BY id", (application_id,))
    return [_question(row) for row in rows]


async def unanswered_question(db: Database, guild_id: int, user_id: int) -> Question | None:
    """The oldest unanswered question on the member's open application."""
    row = await db.fetchone(
        "SELECT q.* FROM gate_questions q JOIN gate_applications a ON a.id = q.application_id "
        "WHERE a.guild_id = ? AND a.user_id = ? AND a.status = 'open' AND q.answer IS NULL ORDER BY q.id LIMIT 1",
        (guild_id, user_id),
    )
    return None if row is None else _question(row)


async def answer_question(db: Database, clock: Clock, question_id: int, *, user_id: int,
                          answer: str) -> tuple[Question, Application]:
    """Attach the applicant's reply to the question (and so to the application)."""
    question = await get_question(db, question_id)
    application = await get_application(db, question.application_id)
    if application.user_id != user_id:
        raise NotAllowed("Only the applicant can answer this question.")
    if question.answer is not None:
        raise InvalidInput("You already answered this question; thank you.")
    if application.status != OPEN:
        raise InvalidInput(f"Your application was already {application.status}; no answer is needed now.")
    text = clean_paragraph(answer, "answer", ANSWER_MAX)
    await db.execute("UPDATE gate_questions SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
                     (text, to_db(clock.now()), question_id))
    return await get_question(db, question_id), application
