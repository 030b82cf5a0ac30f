"""The gate's domain: settings, answers and scores, applications, questions, newcomer follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import guild_config, topics
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import AlreadyExists, InvalidInput, NotAllowed, NotFound
from bot.gate import applications, drafts, newcomers
from bot.gate import config as gate_config
from bot.gate.config import GateConfig, ScoringRules
from bot.gate.drafts import TypedAnswers
from bot.gate.profile import Standing, gate_standing
from bot.gate.scoring import Answers, account_age, parse_answers, parse_hours, parse_link, score_application

GUILD = 111
ALICE, BOB, MOD = 201, 202, 301


async def make_gate(db: Database, clock: FakeClock, **overrides: object) -> GateConfig:
    await topics.seed_topics(db, clock, GUILD)
    options: dict[str, object] = dict(guild_id=GUILD, configured_by=MOD, newcomer_role_id=11, member_role_id=12,
                                      review_channel_id=21)
    options.update(overrides)
    return await gate_config.setup_gate(db, clock, **options)  # type: ignore[arg-type]


def good_answers(**changes: object) -> Answers:
    values: dict[str, object] = dict(topics="mlops, Rust", background="b" * 150, goals="g" * 150, hours="6",
                                     link="github.com/alice")
    values.update(changes)
    return parse_answers(**values)  # type: ignore[arg-type]


# Settings ----------------------------------------------------------------------------------------
async def test_setup_stores_the_roles_as_guild_settings_for_other_features(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    assert await guild_config.get_setting(db, GUILD, "gate.member_role") == "12"
    assert await guild_config.get_setting(db, GUILD, "gate.newcomer_role") == "11"


async def test_setup_again_keeps_score_and_antispam_rules(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    await gate_config.set_scoring(db, GUILD, hours_threshold=10)
    await gate_config.set_antispam(db, GUILD, enabled=False)
    config = await make_gate(db, clock, inactive_days=30)
    assert config.scoring.hours_threshold == 10 and not config.antispam_enabled and config.inactive_days == 30


async def test_same_role_for_newcomers_and_members_is_refused(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="two different roles"):
        await make_gate(db, clock, member_role_id=11)


async def test_out_of_range_days_are_refused_with_the_range(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 90"):
        await make_gate(db, clock, apply_within_days=0)


async def test_unknown_score_rule_is_named(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    with pytest.raises(InvalidInput, match="no score rule `vibes`"):
        await gate_config.set_scoring(db, GUILD, vibes=3)


def test_score_rules_store_only_what_differs_from_the_defaults() -> None:
    rules = ScoringRules(hours_threshold=8)
    assert rules.to_json() == '{"hours_threshold": 8}'
    assert ScoringRules.from_json(rules.to_json()) == rules


async def test_config_cache_serves_the_stored_config_until_forgotten(db: Database, clock: FakeClock) -> None:
    cache = gate_config.ConfigCache(db)
    assert await cache.get(GUILD) is None
    await make_gate(db, clock)
    assert cache.cached(GUILD) == (True, None)
    cache.forget(GUILD)
    assert (await cache.get(GUILD)) is not None


# Answers and score -------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "hours"), [("6", 6), ("6h", 6), ("about 5", 5), ("5-10", 5), ("2.5", 2),
                                              ("10+", 10), ("0", 0)])
def test_hours_as_people_type_them(typed: str, hours: int) -> None:
    assert parse_hours(typed) == hours


@pytest.mark.parametrize("typed", ["lots", "", "200"])
def test_hours_that_are_not_a_week_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_hours(typed)


def test_link_gets_a_scheme_and_bad_links_are_refused() -> None:
    assert parse_link("github.com/alice") == "https://github.com/alice"
    assert parse_link("  ") is None
    for bad in ("javascript:alert(1)", "https://exa mple.org", "https://localhost", "ftp://x.org/a", "http://[::1"):
        with pytest.raises(InvalidInput):
            parse_link(bad)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_hours_parser_returns_a_week_or_refuses(text: str) -> None:
    try:
        hours = parse_hours(text)
    except InvalidInput:
        return
    assert 0 <= hours <= 168


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_link_parser_accepts_only_web_addresses_without_spaces(text: str) -> None:
    try:
        link = parse_link(text)
    except InvalidInput:
        return
    assert link is None or (link.startswith(("http://", "https://")) and not any(c.isspace() for c in link))


@settings(max_examples=60, deadline=None)
@given(topics_text=st.text(max_size=400), background=st.text(max_size=1200), goals=st.text(max_size=1200))
def test_free_text_answers_are_cleaned_and_bounded(topics_text: str, background: str, goals: str) -> None:
    try:
        answers = parse_answers(topics=topics_text, background=background, goals=goals, hours="5", link="")
    except InvalidInput:
        return
    assert "\x00" not in answers.background + answers.goals + answers.topics_text
    assert 0 < len(answers.background) <= 1000 and 0 < len(answers.goals) <= 1000
    assert all(word.strip() for word in answers.topic_words)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=1200))
def test_reasons_questions_and_answers_are_cleaned_and_bounded(text: str) -> None:
    try:
        cleaned = applications.clean_paragraph(text, "reason", applications.REASON_MAX)
    except InvalidInput as refused:
        assert "reason" in refused.message
        return
    assert cleaned and cleaned == cleaned.strip() and "\x00" not in cleaned and len(cleaned) <= 1000


def test_score_shows_every_rule_met_or_not() -> None:
    rules = ScoringRules()
    score = score_application(good_answers(hours="2", link=""), topics_chosen=1, account_age_days=3, rules=rules)
    met = {reason.rule: reason.met for reason in score.reasons}
    assert met == {"background": True, "goals": True, "hours": False, "topics": True, "account_age": False,
                   "link": False}
    assert score.total == 2 + 2 + 1 and score.maximum == 9
    assert "Commits 2 h/week (5 needed)" in [r.detail for r in score.reasons]


@pytest.mark.parametrize(("days", "said"), [(0, "less than a day old"), (-1, "less than a day old"),
                                            (1, "1 day old"), (2, "2 days old")])
def test_account_age_is_said_as_people_say_it(days: int, said: str) -> None:
    assert account_age(days) == said


def test_score_says_a_brand_new_account_is_less_than_a_day_old() -> None:
    rules = ScoringRules(account_age_days=1)
    details = {r.rule: r.detail for r in score_application(good_answers(), topics_chosen=1, account_age_days=0,
                                                           rules=rules).reasons}
    assert details["account_age"] == "Account is less than a day old (1 needed)"
    details = {r.rule: r.detail for r in score_application(good_answers(), topics_chosen=1, account_age_days=1,
                                                           rules=rules).reasons}
    assert details["account_age"] == "Account is 1 day old (1 needed)"


def test_score_follows_the_configured_rules() -> None:
    rules = ScoringRules(answer_min_chars=500, hours_points=5)
    score = score_application(good_answers(), topics_chosen=0, account_age_days=400, rules=rules)
    assert score.total == 5 + 1 + 1  # hours, account age, link; answers too short, no topic


# Applications ------------------------------------------------------------------------------------
async def test_application_matches_topics_by_slug_or_name_and_keeps_the_score(db: Database,
                                                                               clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    seeded = await topics.list_topics(db, GUILD)
    first, second = seeded[0], seeded[1]
    answers = good_answers(topics=f"{first.slug}; {second.name.upper()}, underwater basket weaving")
    created = await applications.submit_application(db, clock, config, user_id=ALICE, answers=answers,
                                                    account_created_at=clock.now() - timedelta(days=400))
    assert set(created.topic_ids) == {first.id, second.id}
    assert created.score == 9 and created.status == "open"
    assert [r.rule for r in created.score_reasons][:2] == ["background", "goals"]


async def test_a_topic_named_only_in_symbols_is_not_matched_by_any_symbols(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    rocket = await topics.add_topic(db, clock, guild_id=GUILD, slug="rockets", name="🚀🚀")
    assert await applications.match_topics(db, GUILD, ["???", "🎉", "rockets"]) == [rocket]
    assert await applications.match_topics(db, GUILD, ["!!!"]) == []


async def test_one_open_application_per_member(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                          account_created_at=clock.now())
    with pytest.raises(AlreadyExists, match="already have an application open"):
        await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                              account_created_at=clock.now())


async def test_reapplying_after_a_rejection_waits_for_the_cool_down(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock, reapply_cooldown_days=7)
    first = await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                                  account_created_at=clock.now())
    await applications.decide(db, clock, first.id, status="rejected", decided_by=MOD, reason="Tell us more")
    clock.advance(timedelta(days=6))
    with pytest.raises(NotAllowed, match="7-day cool-down"):
        await applications.check_can_apply(db, clock, config, ALICE)
    clock.advance(timedelta(days=1, seconds=1))
    await applications.check_can_apply(db, clock, config, ALICE)


async def test_only_the_first_decision_counts(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    created = await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                                    account_created_at=clock.now())
    await applications.decide(db, clock, created.id, status="approved", decided_by=MOD)
    with pytest.raises(InvalidInput, match="already approved"):
        await applications.decide(db, clock, created.id, status="rejected", decided_by=BOB, reason="no")


async def test_a_rejection_needs_a_reason(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    created = await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                                    account_created_at=clock.now())
    with pytest.raises(InvalidInput, match="reason is empty"):
        await applications.decide(db, clock, created.id, status="rejected", decided_by=MOD, reason="  \x00 ")


async def test_a_question_and_its_answer_are_attached_to_the_application(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    created = await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                                    account_created_at=clock.now())
    question = await applications.ask_question(db, clock, created.id, asked_by=MOD, question="Which course?")
    assert (await applications.unanswered_question(db, GUILD, ALICE)) == question
    with pytest.raises(NotAllowed):
        await applications.answer_question(db, clock, question.id, user_id=BOB, answer="mine")
    answered, _ = await applications.answer_question(db, clock, question.id, user_id=ALICE, answer="fast.ai")
    assert answered.answer == "fast.ai"
    assert [q.answer for q in await applications.questions_for(db, created.id)] == ["fast.ai"]
    assert await applications.unanswered_question(db, GUILD, ALICE) is None


async def test_missing_application_says_it_may_have_been_deleted(db: Database) -> None:
    with pytest.raises(NotFound, match="deleted"):
        await applications.get_application(db, 999)


# Newcomer follow-up ------------------------------------------------------------------------------
async def test_the_follow_up_visits_only_guilds_with_a_gate(db: Database, clock: FakeClock) -> None:
    assert await gate_config.configured_guild_ids(db) == []
    await make_gate(db, clock)
    assert await gate_config.configured_guild_ids(db) == [GUILD]


async def test_only_people_who_joined_since_the_setup_and_were_not_welcomed_are_owed_a_welcome(
        db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    after, before = config.configured_at + timedelta(minutes=1), config.configured_at - timedelta(days=1)
    assert newcomers.owed_welcome(after, config.configured_at, welcomed=False, member=False)
    assert newcomers.owed_welcome(config.configured_at, config.configured_at, welcomed=False, member=False)
    assert not newcomers.owed_welcome(before, config.configured_at, welcomed=False, member=False)
    assert not newcomers.owed_welcome(after, config.configured_at, welcomed=True, member=False)
    assert not newcomers.owed_welcome(after, config.configured_at, welcomed=False, member=True)
    assert not newcomers.owed_welcome(None, config.configured_at, welcomed=False, member=False)


async def test_welcome_is_claimed_once(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    await newcomers.record_join(db, guild_id=GUILD, user_id=ALICE, joined_at=clock.now(),
                                account_created_at=clock.now())
    assert await newcomers.mark_welcomed(db, clock, GUILD, ALICE)
    assert not await newcomers.mark_welcomed(db, clock, GUILD, ALICE)


async def welcomed(db: Database, clock: FakeClock, user_id: int) -> None:
    await newcomers.record_join(db, guild_id=GUILD, user_id=user_id, joined_at=clock.now(),
                                account_created_at=clock.now())
    await newcomers.mark_welcomed(db, clock, GUILD, user_id)


async def test_one_reminder_after_the_deadline_then_a_listing_three_days_later(db: Database,
                                                                              clock: FakeClock) -> None:
    config = await make_gate(db, clock, apply_within_days=7)
    await welcomed(db, clock, ALICE)
    await welcomed(db, clock, BOB)
    await applications.submit_application(db, clock, config, user_id=BOB, answers=good_answers(),
                                          account_created_at=clock.now())
    clock.advance(timedelta(days=6))
    assert (await newcomers.due_follow_ups(db, clock, config)).remind == ()
    clock.advance(timedelta(days=1))
    due = await newcomers.due_follow_ups(db, clock, config)
    assert [n.user_id for n in due.remind] == [ALICE]
    await newcomers.mark_reminded(db, clock, GUILD, ALICE)
    assert (await newcomers.due_follow_ups(db, clock, config)).remind == ()
    clock.advance(timedelta(days=3))
    due = await newcomers.due_follow_ups(db, clock, config)
    assert [n.user_id for n in due.list_to_reviewers] == [ALICE] and due.kick == ()
    await newcomers.mark_listed(db, clock, GUILD, [ALICE])
    assert (await newcomers.due_follow_ups(db, clock, config)).list_to_reviewers == ()


async def test_with_kick_unapplied_the_late_are_due_a_kick(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock, kick_unapplied=True)
    await welcomed(db, clock, ALICE)
    clock.advance(timedelta(days=7))
    await newcomers.mark_reminded(db, clock, GUILD, ALICE)
    clock.advance(timedelta(days=3))
    due = await newcomers.due_follow_ups(db, clock, config)
    assert [n.user_id for n in due.kick] == [ALICE] and due.list_to_reviewers == ()


async def test_rejoining_starts_afresh(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    await welcomed(db, clock, ALICE)
    await newcomers.record_leave(db, clock, GUILD, ALICE)
    again = await newcomers.record_join(db, guild_id=GUILD, user_id=ALICE, joined_at=clock.now(),
                                        account_created_at=clock.now())
    assert again.welcomed_at is None and again.left_at is None


# Drafts: refused answers are kept to fill the form in again --------------------------------------
def typed_answers(**changes: str) -> TypedAnswers:
    values = dict(topics="mlops", background="b" * 150, goals="g" * 150, hours="6", link="github.com/alice")
    values.update(changes)
    return TypedAnswers(**values)


async def test_refused_answers_are_kept_as_typed_and_the_refusal_says_so(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    typed = typed_answers(hours="lots")
    with pytest.raises(InvalidInput) as refused:
        await drafts.check_or_keep(db, clock, GUILD, ALICE, typed)
    assert "Hours per week must be a number" in refused.value.message
    assert refused.value.message.endswith("Press Apply again: your answers are kept.")
    draft = await drafts.get_draft(db, GUILD, ALICE)
    assert draft is not None and draft.answers == typed and draft.saved_at == clock.now()
    assert await drafts.get_draft(db, GUILD, BOB) is None


async def test_a_second_refusal_replaces_the_draft(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    with pytest.raises(InvalidInput):
        await drafts.check_or_keep(db, clock, GUILD, ALICE, typed_answers(hours="lots"))
    with pytest.raises(InvalidInput, match="The link"):
        await drafts.check_or_keep(db, clock, GUILD, ALICE, typed_answers(link="not a link"))
    draft = await drafts.get_draft(db, GUILD, ALICE)
    assert draft is not None and draft.answers.hours == "6" and draft.answers.link == "not a link"


async def test_accepted_answers_leave_no_draft(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    answers = await drafts.check_or_keep(db, clock, GUILD, ALICE, typed_answers())
    assert answers.hours_per_week == 6
    assert await drafts.get_draft(db, GUILD, ALICE) is None


async def test_a_draft_is_kept_without_nuls_and_within_the_forms_limits(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    with pytest.raises(InvalidInput):
        await drafts.check_or_keep(db, clock, GUILD, ALICE, typed_answers(hours="lo\x00ts", topics="t" * 900))
    draft = await drafts.get_draft(db, GUILD, ALICE)
    assert draft is not None and draft.answers.hours == "lots" and len(draft.answers.topics) == 300


async def test_submitting_an_application_deletes_the_draft(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    with pytest.raises(InvalidInput):
        await drafts.check_or_keep(db, clock, GUILD, ALICE, typed_answers(hours="lots"))
    with pytest.raises(InvalidInput):
        await drafts.check_or_keep(db, clock, GUILD, BOB, typed_answers(hours="lots"))
    await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                          account_created_at=clock.now())
    assert await drafts.get_draft(db, GUILD, ALICE) is None
    assert await drafts.get_draft(db, GUILD, BOB) is not None  # only the applicant's own


# Standing with the gate (the profile's "Approved" line) -------------------------------------------
async def standing(db: Database, user_id: int = ALICE, *, joined_days_ago: float | None = None,
                   roles: tuple[int, ...] = (), clock: FakeClock) -> Standing:
    joined = None if joined_days_ago is None else clock.now() - timedelta(days=joined_days_ago)
    return await gate_standing(db, GUILD, user_id, approved=False, joined_at=joined, role_ids=roles)


async def test_without_a_gate_nobody_stands_anywhere(db: Database, clock: FakeClock) -> None:
    assert await standing(db, roles=(12,), joined_days_ago=3, clock=clock) == Standing.NO_GATE


async def test_members_from_before_the_gate_are_said_so(db: Database, clock: FakeClock) -> None:
    clock.advance(timedelta(days=30))
    await make_gate(db, clock)
    assert await standing(db, joined_days_ago=100, roles=(12,), clock=clock) == Standing.BEFORE_GATE
    assert await standing(db, joined_days_ago=100, clock=clock) == Standing.BEFORE_GATE  # no gate role at all
    assert await standing(db, joined_days_ago=100, roles=(11,), clock=clock) == Standing.NOT_YET  # demoted


async def test_who_joined_under_the_gate_is_not_yet_approved_or_under_review(db: Database, clock: FakeClock) -> None:
    config = await make_gate(db, clock)
    clock.advance(timedelta(days=1))
    assert await standing(db, joined_days_ago=0.5, clock=clock) == Standing.NOT_YET
    assert await standing(db, joined_days_ago=0.5, roles=(12,), clock=clock) == Standing.MEMBER_ROLE_GIVEN
    await applications.submit_application(db, clock, config, user_id=ALICE, answers=good_answers(),
                                          account_created_at=clock.now())
    assert await standing(db, joined_days_ago=0.5, clock=clock) == Standing.UNDER_REVIEW


async def test_the_gates_join_record_outlasts_running_setup_again(db: Database, clock: FakeClock) -> None:
    await make_gate(db, clock)
    await newcomers.record_join(db, guild_id=GUILD, user_id=ALICE, joined_at=clock.now(),
                                account_created_at=clock.now())
    clock.advance(timedelta(days=10))
    await make_gate(db, clock, inactive_days=30)  # moves the gate's set-up time past Alice's join
    assert await standing(db, joined_days_ago=10, clock=clock) == Standing.NOT_YET
