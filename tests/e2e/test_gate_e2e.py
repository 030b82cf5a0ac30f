"""The membership gate end to end: real discord.py against the stand-in."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import guild_config, guilds, topics
from bot.clock import FakeClock, SystemClock
from bot.core import CohortBot
from bot.gate import applications, drafts, inactivity
from tests.conftest import BotRunner
from tests.standin import FakeChannel, FakeMember, FakeRole, Reply, SentMessage, StandIn

GOOD_ANSWERS = {"topics": "mlops, rust", "background": "I build data pipelines at work. " * 5,
                "goals": "Ship a small model-serving service with proper monitoring. " * 3, "hours": "6",
                "link": "github.com/someone"}


async def eventually(check: Callable[[], Any], timeout: float = 3.0) -> Any:
    """Wait until ``check()`` is truthy (the bot reacts to events asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


@dataclass
class Gate:
    newcomer: FakeRole
    member: FakeRole
    review: FakeChannel
    welcome: FakeChannel


async def set_up_gate(standin: StandIn, bot: CohortBot, **options: Any) -> Gate:
    newcomer = await standin.add_role("Newcomer")
    member = await standin.add_role("Member")
    review = await standin.add_channel("review")
    await guild_config.set_channel(bot.db, standin.guild_id, "mod_log", standin.mod_log.id)
    reply = await standin.slash("gate setup", user=standin.admin, newcomer_role=newcomer, member_role=member,
                                review_channel=review, welcome_channel=standin.general, **options)
    assert reply.ephemeral and "set up" in reply.text, reply.text
    return Gate(newcomer, member, review, standin.general)


def welcome_for(standin: StandIn, gate: Gate, who: FakeMember) -> SentMessage | None:
    return next((m for m in standin.messages_in(gate.welcome) if f"<@{who.id}>" in m.content), None)


async def join(standin: StandIn, gate: Gate, name: str, **kwargs: Any) -> tuple[FakeMember, SentMessage]:
    who = await standin.add_member(name, **kwargs)
    welcome = await eventually(lambda: welcome_for(standin, gate, who))
    return who, welcome


async def apply(standin: StandIn, gate: Gate, who: FakeMember, welcome: SentMessage,
                **answers: str) -> tuple[Reply, SentMessage]:
    opened = await standin.click(welcome, f"gate:apply:{standin.guild_id}", user=who)
    assert opened.modal is not None and len(opened.modal.inputs) == 5
    sent = await standin.submit_modal(opened.modal.custom_id, {**GOOD_ANSWERS, **answers}, user=who)
    card = await eventually(lambda: next((m for m in standin.messages_in(gate.review)
                                          if m.find_component("gate:approve:" + card_id(m))
                                          and f"<@{who.id}>" in m.text), None))
    return sent, card


def card_id(message: SentMessage) -> str:
    for custom_id in message.component_ids:
        if custom_id.startswith("gate:approve:"):
            return custom_id.rsplit(":", 1)[1]
    return "none"


def mod_log_texts(standin: StandIn) -> list[str]:
    return [m.text for m in standin.messages_in(standin.mod_log)]


def role_ids(standin: StandIn, who: FakeMember) -> set[int]:
    return set(standin.member(who).roles)


# Setup and show ------------------------------------------------------------------------------------
async def test_a_member_without_manage_server_is_refused_setup(standin: StandIn, bot: CohortBot) -> None:
    role = await standin.add_role("Newcomer")
    reply = await standin.slash("gate setup", user=standin.moderator, newcomer_role=role,
                                member_role=standin.moderator_role, review_channel=standin.general)
    assert reply.ephemeral and "Manage Server" in reply.text
    assert await bot.db.fetchval("SELECT COUNT(*) FROM gate_config") == 0


async def test_gate_show_names_a_role_hierarchy_problem_and_its_fix(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    await standin.move_role(gate.member, above=standin.bot_role)
    reply = await standin.slash("gate show", user=standin.moderator)
    assert reply.ephemeral
    assert f"is not above <@&{gate.member.id}>" in reply.text and "drag" in reply.text
    assert "Anti-spam" in reply.text and "**On**" in reply.text
    standin.assert_clean()


async def test_gate_show_says_the_anti_spam_is_off_without_the_content_intent(standin: StandIn,
                                                                               bot_runner: BotRunner) -> None:
    bot = await bot_runner.start(message_content_intent=False)
    await set_up_gate(standin, bot)
    reply = await standin.slash("gate show", user=standin.admin)
    assert "**Off**" in reply.text and "message content intent" in reply.text


# Joining --------------------------------------------------------------------------------------------
async def test_a_newcomer_gets_the_role_and_a_welcome_with_an_apply_button(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "dora")
    assert f"gate:apply:{standin.guild_id}" in welcome.component_ids
    await eventually(lambda: gate.newcomer.id in role_ids(standin, who))
    young = await eventually(lambda: [m for m in standin.messages_in(gate.review) if "younger than" in m.text])
    assert f"<@{who.id}>" in young[0].text  # a brand-new account is flagged to reviewers
    assert "an account less than a day old (younger than 7 days)" in young[0].text
    standin.assert_clean()


async def test_screening_is_waited_for_before_the_welcome(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who = await standin.add_member("erin", pending=True)
    await asyncio.sleep(0.3)
    assert welcome_for(standin, gate, who) is None and gate.newcomer.id not in role_ids(standin, who)
    await standin.update_member(who, pending=False)
    await eventually(lambda: welcome_for(standin, gate, who))
    await eventually(lambda: gate.newcomer.id in role_ids(standin, who))


async def test_the_apply_button_works_after_a_restart(standin: StandIn, bot_runner: BotRunner) -> None:
    bot = await bot_runner.start()
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "fred")
    await bot_runner.restart(bot)
    opened = await standin.click(welcome, f"gate:apply:{standin.guild_id}", user=who)
    assert opened.modal is not None and opened.modal.title.startswith("Apply to")


# Applying and reviewing ------------------------------------------------------------------------------
async def test_applying_posts_a_review_card_with_the_score_and_its_reasons(standin: StandIn,
                                                                          bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "gina")
    sent, card = await apply(standin, gate, who, welcome, hours="2")
    assert sent.ephemeral and "with the reviewers" in sent.text
    assert "Score 6/9" in card.text
    assert "❌ Commits 2 h/week (5 needed): +0" in card.text and "✅ Gave a GitHub or portfolio link: +1" in card.text
    assert "❌ Account is less than a day old (30 needed): +0" in card.text
    assert "**New account**: less than a day old (younger than 7 days)" in card.text
    assert {f"gate:{a}:{card_id(card)}" for a in ("approve", "reject", "ask")} <= set(card.component_ids)
    again = await standin.slash("apply", user=who)
    assert again.ephemeral and "already have an application open" in again.text
    standin.assert_clean()


async def test_refused_answers_come_back_in_the_next_form_until_the_application_is_sent(standin: StandIn,
                                                                                        bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "gwen")
    opened = await standin.click(welcome, f"gate:apply:{standin.guild_id}", user=who)
    assert opened.modal is not None and all("value" not in field for field in opened.modal.inputs)
    typed = {**GOOD_ANSWERS, "hours": "lots"}
    refused = await standin.submit_modal(opened.modal.custom_id, typed, user=who)
    assert refused.ephemeral and "Hours per week must be a number" in refused.text
    assert "Press Apply again: your answers are kept." in refused.text
    assert await applications.open_application(bot.db, standin.guild_id, who.id) is None
    for again in (await standin.click(welcome, f"gate:apply:{standin.guild_id}", user=who),
                  await standin.slash("apply", user=who)):
        assert again.modal is not None
        assert {field["custom_id"]: field.get("value") for field in again.modal.inputs} == typed
    sent = await standin.submit_modal(again.modal.custom_id, {"hours": "6"}, user=who)  # the rest as filled in
    assert sent.ephemeral and "with the reviewers" in sent.text
    application = await applications.open_application(bot.db, standin.guild_id, who.id)
    assert application is not None and application.answers.hours_per_week == 6
    assert application.answers.background == GOOD_ANSWERS["background"].strip()
    assert application.answers.link == "https://github.com/someone"
    assert await drafts.get_draft(bot.db, standin.guild_id, who.id) is None
    assert await bot.db.fetchval("SELECT COUNT(*) FROM gate_application_drafts") == 0
    standin.assert_clean()


async def test_a_card_matching_many_long_topic_names_is_still_posted(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    slugs = [f"t{i}" for i in range(40)]
    for slug in slugs:
        await topics.add_topic(bot.db, bot.clock, guild_id=standin.guild_id, slug=slug, name=f"{slug} " + "n" * 95)
    who, welcome = await join(standin, gate, "gus")
    sent, card = await apply(standin, gate, who, welcome, topics=",".join(slugs))
    assert "with the reviewers" in sent.text
    field = next(f["value"] for f in card.embeds[0]["fields"] if f["name"] == "Topics")
    assert len(field) <= 1024 and "Matched: t0 nnn" in field
    standin.assert_clean()


async def test_approve_swaps_the_roles_adds_topic_roles_and_sends_a_welcome_dm(standin: StandIn,
                                                                                bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    rust_role = await standin.add_role("Rust")
    await topics.edit_topic(bot.db, guild_id=standin.guild_id, slug=(await topics.list_topics(
        bot.db, standin.guild_id))[0].slug, role_id=rust_role.id)
    first_topic = (await topics.list_topics(bot.db, standin.guild_id))[0]
    who, welcome = await join(standin, gate, "hana")
    _, card = await apply(standin, gate, who, welcome, topics=first_topic.name)
    reply = await standin.click(card, f"gate:approve:{card_id(card)}", user=standin.moderator)
    assert reply.ephemeral and "Approved" in reply.text
    roles = role_ids(standin, who)
    assert gate.member.id in roles and rust_role.id in roles and gate.newcomer.id not in roles
    assert any("approved" in dm.text for dm in standin.dms_to(who))
    assert "Approved" in card.text and card.component_ids == []
    assert any("approved" in text and f"<@{standin.moderator.id}>" in text for text in mod_log_texts(standin))
    standin.assert_clean()


async def test_review_buttons_work_after_a_restart(standin: StandIn, bot_runner: BotRunner) -> None:
    bot = await bot_runner.start()
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "hugo")
    _, card = await apply(standin, gate, who, welcome)
    await bot_runner.restart(bot)
    reply = await standin.click(card, f"gate:approve:{card_id(card)}", user=standin.moderator)
    assert "Approved" in reply.text and gate.member.id in role_ids(standin, who)


async def test_a_member_who_is_not_a_moderator_cannot_review_or_report(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "iris")
    _, card = await apply(standin, gate, who, welcome)
    refused = await standin.click(card, f"gate:approve:{card_id(card)}", user=standin.alice)
    assert refused.ephemeral and "Kick Members" in refused.text
    report = await standin.slash("gate report", user=standin.alice)
    assert report.ephemeral and "Kick Members" in report.text
    assert gate.member.id not in role_ids(standin, who)


async def test_reject_sends_the_reason_and_the_cool_down(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "ivan")
    _, card = await apply(standin, gate, who, welcome)
    opened = await standin.click(card, f"gate:reject:{card_id(card)}", user=standin.moderator)
    assert opened.modal is not None
    done = await standin.submit_modal(opened.modal.custom_id, {"text": "Tell us about a project you finished."},
                                      user=standin.moderator)
    assert done.ephemeral and "Rejected" in done.text
    dm = standin.dms_to(who)[-1]
    assert "Tell us about a project you finished." in dm.text and "7-day cool-down" in dm.text
    assert any("rejected" in text for text in mod_log_texts(standin))
    again = await standin.slash("apply", user=who)
    assert again.ephemeral and "cool-down" in again.text
    assert gate.member.id not in role_ids(standin, who)
    standin.assert_clean()


async def test_ask_dms_the_question_and_the_reply_lands_on_the_card(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "judy")
    _, card = await apply(standin, gate, who, welcome)
    opened = await standin.click(card, f"gate:ask:{card_id(card)}", user=standin.moderator)
    assert opened.modal is not None
    asked = await standin.submit_modal(opened.modal.custom_id, {"text": "Which course did you finish?"},
                                       user=standin.moderator)
    assert "Question sent" in asked.text
    dm = standin.dms_to(who)[-1]
    assert "Which course did you finish?" in dm.text
    reply_id = next(c for c in dm.component_ids if c.startswith("gate:reply:"))
    opened_reply = await standin.click(dm, reply_id, user=who)
    assert opened_reply.modal is not None
    thanks = await standin.submit_modal(opened_reply.modal.custom_id, {"answer": "fast.ai part 1"}, user=who)
    assert "passed on" in thanks.text
    await eventually(lambda: "fast.ai part 1" in card.text)
    assert any("answered a question" in m.text for m in standin.messages_in(gate.review))
    standin.assert_clean()


async def test_a_closed_dm_member_is_approved_and_reviewers_are_told(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who = await standin.add_member("kim", dms_open=False)
    welcome = await eventually(lambda: welcome_for(standin, gate, who))
    _, card = await apply(standin, gate, who, welcome)
    reply = await standin.click(card, f"gate:approve:{card_id(card)}", user=standin.moderator)
    assert "DMs are closed" in reply.text
    assert gate.member.id in role_ids(standin, who)
    assert "DMs are closed" in card.text
    assert standin.dms_to(who) == []


async def test_a_closed_dm_member_is_asked_on_apply_instead(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who = await standin.add_member("lena", dms_open=False)
    welcome = await eventually(lambda: welcome_for(standin, gate, who))
    _, card = await apply(standin, gate, who, welcome)
    opened = await standin.click(card, f"gate:ask:{card_id(card)}", user=standin.moderator)
    assert opened.modal is not None
    told = await standin.submit_modal(opened.modal.custom_id, {"text": "Why Rust?"}, user=standin.moderator)
    assert "DMs are closed" in told.text
    via_apply = await standin.slash("apply", user=who)
    assert via_apply.modal is not None and "Why Rust" in json.dumps(via_apply.modal.components)


async def test_auto_approve_approves_a_high_score_at_once(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot, auto_approve=True)
    await standin.slash("gate scoring", user=standin.admin, approve_threshold=5)
    who, welcome = await join(standin, gate, "mia")
    opened = await standin.click(welcome, f"gate:apply:{standin.guild_id}", user=who)
    assert opened.modal is not None
    sent = await standin.submit_modal(opened.modal.custom_id, GOOD_ANSWERS, user=who)
    assert "approved at once" in sent.text
    assert gate.member.id in role_ids(standin, who)
    assert any("auto-approved" in t for t in mod_log_texts(standin))


# Anti-spam ------------------------------------------------------------------------------------------
async def test_a_newcomers_invite_link_is_deleted_and_logged(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, _ = await join(standin, gate, "nora")
    await eventually(lambda: gate.newcomer.id in role_ids(standin, who))
    spam = await standin.send_message(standin.general, who, "join my server discord.gg/free-stuff")
    await standin.wait_for_request(method="DELETE", path=f"/channels/{standin.general.id}/messages/{spam.id}")
    log_entry = await eventually(lambda: [t for t in mod_log_texts(standin) if "invite link" in t])
    assert f"<@{who.id}>" in log_entry[0] and "message deleted" in log_entry[0]
    links = " ".join(f"https://site{i}.example" for i in range(4))
    flood = await standin.send_message(standin.general, who, f"free courses {links}")
    await standin.wait_for_request(method="DELETE", path=f"/channels/{standin.general.id}/messages/{flood.id}")
    await eventually(lambda: [t for t in mod_log_texts(standin) if "4 links from a newcomer" in t])
    await bot.participation.flush()
    assert await bot.db.fetchval("SELECT COUNT(*) FROM participation_daily WHERE user_id = ?", (who.id,)) == 0


async def test_five_mentions_are_deleted_with_a_ten_minute_timeout(standin: StandIn, bot: CohortBot) -> None:
    await set_up_gate(standin, bot)
    mentions = " ".join(f"<@{m.id}>" for m in (standin.alice, standin.carol, standin.admin, standin.owner,
                                               standin.moderator))
    spam = await standin.send_message(standin.general, standin.bob, f"hey {mentions}")
    await standin.wait_for_request(method="DELETE", path=f"/channels/{standin.general.id}/messages/{spam.id}")
    await eventually(lambda: standin.member(standin.bob).is_timed_out())
    until = standin.member(standin.bob).communication_disabled_until
    assert until is not None and timedelta(minutes=9) < until - spam_time(spam) <= timedelta(minutes=11)
    await eventually(lambda: [t for t in mod_log_texts(standin) if "timed out for 10 minutes" in t])


def spam_time(message: SentMessage) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(message.payload["timestamp"])


async def test_a_moderator_may_mention_many_and_ordinary_messages_are_only_counted(standin: StandIn,
                                                                                    bot: CohortBot) -> None:
    await set_up_gate(standin, bot)
    mentions = " ".join(f"<@{m.id}>" for m in (standin.alice, standin.carol, standin.admin, standin.owner,
                                               standin.bob))
    await standin.send_message(standin.general, standin.moderator, f"meeting: {mentions}")
    await standin.send_message(standin.general, standin.alice, "see https://a.org https://b.org https://c.org "
                                                                "https://d.org")
    await asyncio.sleep(0.3)
    assert standin.requests_to("DELETE", "/channels/*/messages/*") == []
    await bot.participation.flush()
    counted = await bot.db.fetchall("SELECT user_id, messages FROM participation_daily ORDER BY user_id")
    assert {(r["user_id"], r["messages"]) for r in counted} == {(standin.moderator.id, 1), (standin.alice.id, 1)}


# Inactivity -----------------------------------------------------------------------------------------
async def quiet_guild(standin: StandIn, bot_runner: BotRunner) -> tuple[CohortBot, Gate, FakeClock]:
    """60 days from now: the bot was installed 100 days before, alice and bob (who joined 30 days ago)
    are members, and only bob took part lately."""
    clock = FakeClock(SystemClock().now() + timedelta(days=60))
    bot = await bot_runner.start(clock=clock)
    gate = await set_up_gate(standin, bot)
    await bot.db.execute("UPDATE guilds SET installed_at = ? WHERE guild_id = ?",
                         ((clock.now() - timedelta(days=100)).isoformat(timespec="seconds"), standin.guild_id))
    for who in (standin.alice, standin.bob):
        await standin.give_roles(who, gate.member)
    await standin.send_message(standin.general, standin.bob, "still here")
    await standin.send_message(standin.general, standin.moderator, "hello")
    await standin.send_message(standin.general, standin.admin, "hello")
    await eventually(lambda: bot.participation.pending >= 3)
    return bot, gate, clock


async def test_report_lists_the_inactive_with_a_csv(standin: StandIn, bot_runner: BotRunner) -> None:
    bot, _, _ = await quiet_guild(standin, bot_runner)
    reply = await standin.slash("gate report", user=standin.moderator, days=45)
    assert reply.ephemeral and "dry run" in reply.text
    assert f"<@{standin.alice.id}>" in reply.text and f"<@{standin.bob.id}>" not in reply.text
    rows = list(csv.DictReader(io.StringIO(reply.attachments[0].data.decode())))
    assert str(standin.alice.id) in {row["user_id"] for row in rows}
    assert str(standin.bob.id) not in {row["user_id"] for row in rows}
    assert await guilds.installed_at(bot.db, standin.guild_id) is not None
    standin.assert_clean()


async def test_prune_needs_the_invokers_confirm_then_demotes_with_a_dm(standin: StandIn,
                                                                        bot_runner: BotRunner) -> None:
    bot, gate, _ = await quiet_guild(standin, bot_runner)
    listed = await standin.slash("gate prune", user=standin.admin, days=45, action="demote")
    assert not listed.ephemeral and f"<@{standin.alice.id}>" in listed.text
    prune_id = await bot.db.fetchval("SELECT id FROM gate_prunes")
    refused = await standin.click(listed.message, f"gate:confirm:{prune_id}", user=standin.moderator)
    assert refused.ephemeral and f"Only <@{standin.admin.id}>" in refused.text
    assert gate.member.id in role_ids(standin, standin.alice)
    confirmed = await standin.click(listed.message, f"gate:confirm:{prune_id}", user=standin.admin)
    await eventually(lambda: "Done" in (confirmed.followups[0].text if confirmed.followups else ""))
    roles = role_ids(standin, standin.alice)
    assert gate.member.id not in roles and gate.newcomer.id in roles
    assert gate.member.id in role_ids(standin, standin.bob)
    dm = standin.dms_to(standin.alice)[-1]
    assert "more than 45 days" in dm.text and "apply again" in dm.text
    assert any("Prune (demote)" in t and "demoted" in t for t in mod_log_texts(standin))
    prune = await inactivity.get_prune(bot.db, prune_id)
    assert prune.status == "done" and {t.outcome for t in prune.targets} >= {"demoted"}
    standin.assert_clean()


async def test_a_prune_confirm_survives_a_restart_and_kicks_with_a_dm(standin: StandIn,
                                                                      bot_runner: BotRunner) -> None:
    bot, _, clock = await quiet_guild(standin, bot_runner)
    listed = await standin.slash("gate prune", user=standin.admin, days=45, action="kick")
    prune_id = await bot.db.fetchval("SELECT id FROM gate_prunes")
    bot = await bot_runner.restart(bot, clock=clock)
    confirmed = await standin.click(listed.message, f"gate:confirm:{prune_id}", user=standin.admin)
    await eventually(lambda: confirmed.followups and "Done" in confirmed.followups[0].text)
    assert standin.alice.id not in standin.guild.members and standin.bob.id in standin.guild.members
    assert "removed" in standin.dms_to(standin.alice)[-1].text
    assert any("Prune (kick)" in t and "kicked" in t for t in mod_log_texts(standin))
    standin.assert_clean()


async def test_a_prune_confirm_expires_after_five_minutes(standin: StandIn, bot_runner: BotRunner) -> None:
    bot, _, clock = await quiet_guild(standin, bot_runner)
    listed = await standin.slash("gate prune", user=standin.admin, days=45, action="kick")
    prune_id = await bot.db.fetchval("SELECT id FROM gate_prunes")
    clock.advance(timedelta(minutes=5, seconds=1))
    late = await standin.click(listed.message, f"gate:confirm:{prune_id}", user=standin.admin)
    assert late.ephemeral and "expired" in late.text
    assert standin.alice.id in standin.guild.members
    assert (await inactivity.get_prune(bot.db, prune_id)).status == "expired"
    await eventually(lambda: listed.message.component_ids == [])


async def test_the_report_pages_with_buttons(standin: StandIn, bot_runner: BotRunner) -> None:
    _, gate, _ = await quiet_guild(standin, bot_runner)
    for index in range(16):
        await standin.add_member(f"quiet{index}", roles=[gate.member])
    await asyncio.sleep(0.1)
    reply = await standin.slash("gate report", user=standin.moderator, days=30)
    assert "Page 1/2" in reply.text and "`1.`" in reply.text
    second = await standin.click(reply.message, "gate:next:30:0", user=standin.moderator)
    assert "Page 2/2" in second.text and "`16.`" in second.text
    standin.assert_clean()


# Newcomer follow-up ---------------------------------------------------------------------------------
async def test_an_unapplied_newcomer_is_reminded_once_then_kicked(standin: StandIn, bot_runner: BotRunner) -> None:
    clock = FakeClock(SystemClock().now())
    bot = await bot_runner.start(clock=clock)
    gate = await set_up_gate(standin, bot, kick_unapplied=True)
    who, _ = await join(standin, gate, "olga")
    cog = bot.get_cog("Gate")
    clock.advance(timedelta(days=7, minutes=1))
    await cog.sweep()  # type: ignore[union-attr]
    await cog.sweep()  # type: ignore[union-attr]
    reminders = [dm for dm in standin.dms_to(who) if "reminder" in dm.text]
    assert len(reminders) == 1 and f"gate:apply:{standin.guild_id}" in reminders[0].component_ids
    clock.advance(timedelta(days=3))
    await cog.sweep()  # type: ignore[union-attr]
    assert who.id not in standin.guild.members
    assert "removed" in standin.dms_to(who)[-1].text
    assert any("did not apply" in t for t in mod_log_texts(standin))


async def test_without_kick_unapplied_the_late_are_listed_to_reviewers(standin: StandIn,
                                                                         bot_runner: BotRunner) -> None:
    clock = FakeClock(SystemClock().now())
    bot = await bot_runner.start(clock=clock)
    gate = await set_up_gate(standin, bot)
    who = await standin.add_member("pete", dms_open=False)
    await eventually(lambda: welcome_for(standin, gate, who))
    cog = bot.get_cog("Gate")
    clock.advance(timedelta(days=7, minutes=1))
    await cog.sweep()  # type: ignore[union-attr]
    assert any("could not send the apply reminder" in m.text and f"<@{who.id}>" in m.text
               for m in standin.messages_in(gate.review))
    clock.advance(timedelta(days=3))
    await cog.sweep()  # type: ignore[union-attr]
    await cog.sweep()  # type: ignore[union-attr]
    listings = [m for m in standin.messages_in(gate.review) if "have not applied" in m.text]
    assert len(listings) == 1 and f"<@{who.id}>" in listings[0].text
    assert who.id in standin.guild.members


# Privacy and profile ----------------------------------------------------------------------------------
async def test_privacy_export_then_forget(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    who, welcome = await join(standin, gate, "pia")
    _, card = await apply(standin, gate, who, welcome)
    await standin.send_message(standin.general, who, "hello all")
    export = await standin.slash("privacy export", user=who)
    assert export.ephemeral and export.attachments[0].filename.endswith(".json")
    data = json.loads(export.attachments[0].data)["data"]
    assert data["participation_daily.user_id"][0]["messages"] == 1
    assert "I build data pipelines" in data["gate_applications.user_id"][0]["background"]
    asked = await standin.slash("privacy forget", user=who)
    assert asked.ephemeral
    button = next(c for c in asked.component_ids if c.startswith("privacy:forget:"))
    done = await standin.click(asked.message, button, user=who)
    assert "records deleted" in done.text
    assert await applications.open_application(bot.db, standin.guild_id, who.id) is None
    assert await bot.db.fetchval("SELECT COUNT(*) FROM participation_daily WHERE user_id = ?", (who.id,)) == 0
    await eventually(lambda: "Application removed" in card.text and "data pipelines" not in card.text)
    standin.assert_clean()


async def test_profile_shows_the_engagement_card(standin: StandIn, bot: CohortBot) -> None:
    bot.participation.record(standin.guild_id, standin.alice.id, sessions_attended=2, resources_shared=3,
                             upvotes_received=5)
    reply = await standin.slash("profile", user=standin.bob, member=standin.alice)
    assert reply.ephemeral
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Study sessions attended"] == "2" and fields["Resources shared"] == "3"
    assert fields["Upvotes received"] == "5" and fields["Active weeks in a row"] == "1"
    assert "Approved" not in fields  # no gate here, so nobody is approved or not


async def test_profile_says_where_each_member_stands_with_the_gate(standin: StandIn, bot: CohortBot) -> None:
    gate = await set_up_gate(standin, bot)
    await standin.give_roles(standin.alice, gate.member)

    async def approved_line(who: FakeMember) -> str:
        reply = await standin.slash("profile", user=standin.bob, member=who)
        return {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}["Approved"]

    assert await approved_line(standin.alice) == "member since before the gate"
    assert await approved_line(standin.carol) == "member since before the gate"
    who, welcome = await join(standin, gate, "ruth")
    assert await approved_line(who) == "not yet"
    _, card = await apply(standin, gate, who, welcome)
    assert await approved_line(who) == "not yet: application under review"
    await standin.click(card, f"gate:approve:{card_id(card)}", user=standin.moderator)
    assert (await approved_line(who)).startswith("<t:") and (await approved_line(who)).endswith(":D>")
    standin.assert_clean()
