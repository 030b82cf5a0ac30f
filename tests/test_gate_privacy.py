"""Privacy: every user column is known, export finds it all, forget deletes or anonymises it, retention."""

from __future__ import annotations

import json
from datetime import timedelta

from bot import guilds, topics
from bot.clock import FakeClock
from bot.db import Database
from bot.gate import applications, drafts, inactivity, newcomers, privacy
from bot.gate import config as gate_config
from bot.gate.drafts import TypedAnswers
from bot.gate.inactivity import MemberSince
from bot.gate.scoring import parse_answers
from bot.participation import ParticipationRecorder

GUILD, OTHER_GUILD = 111, 112
ALICE, BOB, MOD = 201, 202, 301


async def test_every_column_holding_a_user_id_is_registered(db: Database) -> None:
    """A feature that adds a user column must add it to privacy.USER_DATA, or forget would miss it."""
    assert await privacy.unregistered_user_columns(db) == []
    assert await privacy.missing_registered_columns(db) == []


def test_forget_names_every_kind_of_data_it_deletes() -> None:
    """/privacy forget's confirmation is generated from USER_DATA: every deleted column says what it is."""
    unnamed = [(e.table, e.column) for e in privacy.USER_DATA if e.on_forget == "delete" and not e.what]
    assert unnamed == []
    deleted, kept = privacy.forget_summary()
    assert any("study-plan" in phrase for phrase in deleted)
    assert any("study-buddy" in phrase for phrase in deleted)
    assert "resources you shared" in kept and len(deleted) == len(set(deleted))


async def test_an_unregistered_user_column_is_found(db: Database) -> None:
    await db.execute("CREATE TABLE widgets (id INTEGER PRIMARY KEY, guild_id INTEGER, owner_id INTEGER, "
                     "approved_by INTEGER, channel_id INTEGER)")
    assert await privacy.unregistered_user_columns(db) == [("widgets", "approved_by"), ("widgets", "owner_id")]


async def alice_everywhere(db: Database, clock: FakeClock) -> int:
    """Alice applied (Mod asked a question), took part in two guilds, and was pruned once."""
    await guilds.ensure_guild(db, clock, GUILD, {})
    await topics.seed_topics(db, clock, GUILD)
    config = await gate_config.setup_gate(db, clock, guild_id=GUILD, configured_by=MOD, newcomer_role_id=1,
                                          member_role_id=2, review_channel_id=3)
    await newcomers.record_join(db, guild_id=GUILD, user_id=ALICE, joined_at=clock.now(),
                                account_created_at=clock.now())
    answers = parse_answers(topics="mlops", background="b" * 120, goals="g" * 120, hours="5", link="")
    created = await applications.submit_application(db, clock, config, user_id=ALICE, answers=answers,
                                                    account_created_at=clock.now())
    await applications.set_review_message(db, created.id, 3, 999)
    await applications.ask_question(db, clock, created.id, asked_by=MOD, question="Why?")
    recorder = ParticipationRecorder(db, clock)
    recorder.record(GUILD, ALICE, messages=3)
    recorder.record(OTHER_GUILD, ALICE, messages=1)
    recorder.record(GUILD, BOB, messages=7)
    await recorder.flush()
    report = await inactivity.inactivity_report(db, clock.__class__(clock.now() + timedelta(days=100)),
                                                guild_id=GUILD, members=[MemberSince(ALICE, None)], days=45)
    await inactivity.create_prune(db, clock, guild_id=GUILD, invoker_id=MOD, action="kick", report=report)
    return created.id


async def test_export_holds_the_members_rows_and_only_their_part_of_others(db: Database, clock: FakeClock) -> None:
    await alice_everywhere(db, clock)
    export = await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD)
    data = export["data"]
    assert data["participation_daily.user_id"][0]["messages"] == 3
    assert data["gate_applications.user_id"][0]["background"] == "b" * 120
    assert {"gate_members.user_id", "gate_prune_members.user_id", "gate_participation_totals.user_id"} <= set(data)
    assert all(row["guild_id"] == GUILD for row in data["participation_daily.user_id"])
    moderator = await privacy.export_user(db, clock, user_id=MOD, guild_id=GUILD)
    assert set(moderator["data"]["gate_questions.asked_by"][0]) == {"id", "application_id", "question", "asked_at"}
    json.loads(privacy.export_json(export))


async def test_export_from_dms_covers_every_guild(db: Database, clock: FakeClock) -> None:
    await alice_everywhere(db, clock)
    export = await privacy.export_user(db, clock, user_id=ALICE, guild_id=None)
    assert {row["guild_id"] for row in export["data"]["participation_daily.user_id"]} == {GUILD, OTHER_GUILD}


async def test_forget_deletes_the_members_data_in_that_guild_only(db: Database, clock: FakeClock) -> None:
    await alice_everywhere(db, clock)
    result = await privacy.forget_user(db, user_id=ALICE, guild_id=GUILD)
    assert result.review_messages == ((3, 999),)
    assert (await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD))["data"] == {}
    assert await db.fetchval("SELECT COUNT(*) FROM gate_questions") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM participation_daily WHERE user_id = ?", (BOB,)) == 1
    assert await db.fetchval("SELECT COUNT(*) FROM participation_daily WHERE guild_id = ?", (OTHER_GUILD,)) == 1


async def test_forget_anonymises_what_a_moderator_did(db: Database, clock: FakeClock) -> None:
    await alice_everywhere(db, clock)
    result = await privacy.forget_user(db, user_id=MOD, guild_id=GUILD)
    assert result.anonymised["gate_questions.asked_by"] == 1
    assert await db.fetchval("SELECT asked_by FROM gate_questions") == privacy.ANONYMOUS
    assert await db.fetchval("SELECT question FROM gate_questions") == "Why?"
    assert await db.fetchval("SELECT COUNT(*) FROM gate_applications") == 1


async def test_forget_anonymises_a_registered_nullable_column_with_null(db: Database, clock: FakeClock) -> None:
    await alice_everywhere(db, clock)
    application_id = await db.fetchval("SELECT id FROM gate_applications")
    await applications.decide(db, clock, application_id, status="approved", decided_by=MOD)
    await privacy.forget_user(db, user_id=MOD, guild_id=None)
    assert await db.fetchval("SELECT decided_by FROM gate_applications") is None


async def test_retention_removes_what_is_past_its_time(db: Database, clock: FakeClock) -> None:
    old = FakeClock(clock.now() - timedelta(days=500))
    recorder = ParticipationRecorder(db, old)
    recorder.record(GUILD, ALICE, messages=1)
    await recorder.flush()
    recorder = ParticipationRecorder(db, clock)
    recorder.record(GUILD, ALICE, messages=2)
    await recorder.flush()
    removed = await privacy.purge_expired(db, clock)
    assert removed == {"participation days": 1}
    assert (await inactivity.member_totals(db, GUILD, ALICE)).messages == 2


DRAFT = TypedAnswers(topics="mlops", background="I build pipelines", goals="serving", hours="lots", link="")


async def test_a_kept_draft_is_exported_and_forgotten(db: Database, clock: FakeClock) -> None:
    await drafts.save_draft(db, clock, GUILD, ALICE, DRAFT)
    await drafts.save_draft(db, clock, OTHER_GUILD, ALICE, DRAFT)
    export = await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD)
    [row] = export["data"]["gate_application_drafts.user_id"]
    assert row["hours"] == "lots" and row["background"] == "I build pipelines"
    result = await privacy.forget_user(db, user_id=ALICE, guild_id=GUILD)
    assert result.deleted["gate_application_drafts.user_id"] == 1
    assert await drafts.get_draft(db, GUILD, ALICE) is None
    assert await drafts.get_draft(db, OTHER_GUILD, ALICE) is not None


async def test_retention_drops_drafts_older_than_a_week(db: Database, clock: FakeClock) -> None:
    await drafts.save_draft(db, FakeClock(clock.now() - timedelta(days=8)), GUILD, ALICE, DRAFT)
    await drafts.save_draft(db, FakeClock(clock.now() - timedelta(days=6)), GUILD, BOB, DRAFT)
    removed = await privacy.purge_expired(db, clock)
    assert removed == {"application drafts": 1}
    assert await drafts.get_draft(db, GUILD, ALICE) is None
    assert await drafts.get_draft(db, GUILD, BOB) is not None


async def test_forget_keeps_shared_resources_without_the_name_and_takes_back_votes(db: Database,
                                                                                  clock: FakeClock) -> None:
    async def resource(url: str, author_id: int, votes: int) -> int:
        row_id, _ = await db.execute(
            "INSERT INTO resources (guild_id, url, host, title, author_id, votes, created_at, next_check_at) "
            "VALUES (?, ?, 'example.org', 'A', ?, ?, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
            (GUILD, url, author_id, votes))
        assert row_id is not None
        return row_id

    alices = await resource("https://example.org/a", ALICE, 1)
    bobs = await resource("https://example.org/b", BOB, 1)
    await db.execute("INSERT INTO resources_votes (guild_id, resource_id, user_id, voted_at) VALUES (?, ?, ?, '')",
                     (GUILD, bobs, ALICE))
    await db.execute("INSERT INTO resources_votes (guild_id, resource_id, user_id, voted_at) VALUES (?, ?, ?, '')",
                     (GUILD, alices, BOB))
    await db.execute("INSERT INTO resources_saves (guild_id, user_id, resource_id, saved_at) VALUES (?, ?, ?, '')",
                     (GUILD, ALICE, bobs))
    export = await privacy.export_user(db, clock, user_id=ALICE, guild_id=GUILD)
    assert {"resources.author_id", "resources_votes.user_id", "resources_saves.user_id"} <= set(export["data"])
    await privacy.forget_user(db, user_id=ALICE, guild_id=GUILD)
    rows = await db.fetchall("SELECT id, author_id, votes FROM resources ORDER BY id")
    assert [tuple(row) for row in rows] == [(alices, None, 1), (bobs, BOB, 0)]
    assert await db.fetchval("SELECT COUNT(*) FROM resources_saves") == 0
