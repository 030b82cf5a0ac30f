"""Study buddies through the real bot and the stand-in: setup, joining, a round with its preview and
confirm, the private thread, the check-back after the clock moves, restarts, leavers, and any note text."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.buddies import posting, rounds, store
from bot.buddies.model import Group, GroupMember, Round
from bot.clock import FakeClock
from bot.core import CohortBot
from bot.db import Database
from cogs._buddies_cards import thread_name
from tests.conftest import BotRunner
from tests.e2e.any_text import UNESCAPED_MENTION, assert_no_pings, outside_code, texts
from tests.e2e.helpers import clock_at_real_now, settle, wait_for
from tests.standin import Reply, StandIn

THREADS_PATH = re.compile(r"^/channels/\d+/threads$")


@pytest.fixture
def clock() -> FakeClock:
    return clock_at_real_now()


@pytest.fixture
async def bot(bot_runner: BotRunner, clock: FakeClock, standin: StandIn) -> CohortBot:
    return await bot_runner.start(clock=clock)


async def set_up(standin: StandIn, **options: Any) -> Reply:
    reply = await standin.slash("buddy setup", user=standin.admin, options={"channel": standin.general, **options})
    assert reply.ephemeral and "Study buddies" in reply.text, reply.text
    return reply


async def set_up_with(standin: StandIn, *members: Any) -> None:
    """Buddies set up in #general (the defaults), and ``members`` joined with their defaults."""
    await set_up(standin)
    for member in members:
        joined = await standin.slash("buddy join", user=member)
        assert "You joined" in joined.text, joined.text


def thread_creations(standin: StandIn) -> int:
    return sum(1 for r in standin.requests_to("POST") if THREADS_PATH.match(r.path) and r.status < 300)


@asynccontextmanager
async def crashed_after_confirm(bot_runner: BotRunner, bot: CohortBot, clock: FakeClock, guild_id: int, admin_id: int,
                                members: set[int]) -> AsyncIterator[tuple[Database, Round]]:
    """The bot is down and a round of ``members`` is written and confirmed, nothing posted yet.

    Inside the block the test plays the rest of the crash on the database (claims made before the
    process died); the bot is started again by the test after the block.
    """
    await bot_runner.stop(bot)
    db = await Database.open(bot_runner.db_path)
    try:
        settings = await store.require_settings(db, guild_id)
        proposal = await rounds.propose(db, clock, settings, invoker_id=admin_id, present=members)
        yield db, (await rounds.confirm(db, clock, proposal.id, user_id=admin_id, present=members)).round
    finally:
        await db.close()


async def confirmed(standin: StandIn, preview: Reply) -> Reply:
    """Press the preview's Confirm as its invoker, and wait until the round is posted (its summary
    follows): a test that ended before would stop the bot mid-round."""
    confirm = next(c for c in preview.component_ids if c.startswith("buddies:confirm:"))
    done = await standin.click(preview, confirm, user=standin.admin)
    await wait_for(lambda: done.followups)
    return done


async def run_round(standin: StandIn) -> Reply:
    return await confirmed(standin, await standin.slash("buddy run", user=standin.admin))


# The whole journey --------------------------------------------------------------------------------------------
async def test_three_members_meet_in_a_private_thread_and_say_so(standin: StandIn, bot: CohortBot,
                                                                 bot_runner: BotRunner, clock: FakeClock) -> None:
    await set_up(standin)
    joined = await standin.slash("buddy join", user=standin.alice,
                                 note=f"@everyone **evenings** CET <@{standin.admin.id}>")
    assert joined.ephemeral and "You joined study buddies" in joined.text
    assert "@everyone" not in outside_code(joined.text).replace("@\u200beveryone", "")
    twice = await standin.slash("buddy join", user=standin.alice)
    assert twice.ephemeral and "already joined" in twice.text
    for member in (standin.bob, standin.carol):
        await standin.slash("buddy join", user=member, topics="mlops")

    preview = await standin.slash("buddy run", user=standin.admin)
    assert not preview.ephemeral and "**3 members** in **1 group**" in preview.text
    for member in (standin.alice, standin.bob, standin.carol):
        assert f"<@{member.id}>" in preview.text
    assert thread_creations(standin) == 0  # a dry run creates nothing
    confirm = next(c for c in preview.component_ids if c.startswith("buddies:confirm:"))
    refused = await standin.click(preview, confirm, user=standin.bob)
    assert refused.ephemeral and "Only" in refused.text
    done = await standin.click(preview, confirm, user=standin.admin)
    assert "Running" in done.text
    assert (await wait_for(lambda: done.followups))[0].text.startswith("Round #")

    [thread] = await wait_for(lambda: standin.threads(standin.general))
    assert thread.is_private and thread.invitable is False and thread.auto_archive_duration == 10080
    assert thread.name.startswith("Alice, Bob & Carol · study buddies · #"), thread.name
    await wait_for(lambda: standin.messages_in(thread))
    members = {m.id for m in standin.thread_members(thread)}
    assert members == {standin.alice.id, standin.bob.id, standin.carol.id, standin.bot_member.id}
    [intro] = standin.messages_in(thread)
    assert "you are study buddies" in intro.text and "**Some of you share:** MLOps" in intro.text
    assert re.search(r"On <t:\d+:F> \(<t:\d+:R>\) I will ask here whether you met", intro.text), intro.text
    assert "\\*\\*evenings\\*\\*" in intro.text and not UNESCAPED_MENTION.search(outside_code(
        intro.text.replace(f"<@{standin.alice.id}>", "").replace(f"<@{standin.bob.id}>", "")
        .replace(f"<@{standin.carol.id}>", "")))
    [posted] = [r for r in standin.requests_to("POST", f"/channels/{thread.id}/messages")]
    assert posted.json["allowed_mentions"]["parse"] == []
    assert set(posted.json["allowed_mentions"]["users"]) <= {str(u) for u in members} | set(members)

    status = await standin.slash("buddy status", user=standin.bob)
    assert f"<#{thread.id}>" in status.text and "Rounds taken part in" in status.text

    clock.advance(timedelta(days=3, hours=12, minutes=1))  # halfway through a weekly round
    bot = await bot_runner.restart(bot, clock=clock)
    checkback = await wait_for(lambda: next((m for m in standin.messages_in(thread) if "did you meet?" in m.text),
                                            None))
    # The check-back pings the group (in a thread, an unpinged message goes unseen), and no one else.
    [asking] = [r for r in standin.requests_to("POST", f"/channels/{thread.id}/messages")
                if "did you meet?" in (r.json or {}).get("content", "")]
    assert asking.json["allowed_mentions"]["parse"] == []
    assert {int(u) for u in asking.json["allowed_mentions"]["users"]} == {standin.alice.id, standin.bob.id,
                                                                          standin.carol.id}
    [latest] = await rounds.recent_rounds(bot.db, standin.guild_id, 1)
    group_id = latest.groups[0].id
    assert checkback.component_ids == [f"buddies:met:{group_id}:{a}" for a in ("yes", "not_yet", "no")]
    assert [c["label"] for row in checkback.payload["components"] for c in row["components"]] == [
        "Yes", "Not yet", "Not going to"]
    yes = f"buddies:met:{group_id}:yes"
    answered = await standin.click(checkback, yes, user=standin.alice)
    assert answered.ephemeral and "counts towards your participation" in answered.text
    tallied = await wait_for(lambda: "So far:" in standin.message(checkback.id).text and standin.message(checkback.id))
    assert tallied.text.endswith(f"So far: <@{standin.alice.id}>: Yes"), tallied.text
    outsider = await standin.click(checkback, yes, user=standin.admin)
    assert outsider.ephemeral and "Only the members" in outsider.text
    await bot.participation.flush()
    meetings = await bot.db.fetchval("SELECT SUM(buddy_meetings) FROM participation_daily WHERE user_id = ?",
                                     (standin.alice.id,))
    assert meetings == 1

    bot = await bot_runner.restart(bot, clock=clock)  # asked once, however often the bot starts
    await settle()
    assert sum("did you meet?" in m.text for m in standin.messages_in(thread)) == 1
    shown = await standin.slash("buddy show", user=standin.admin)
    assert "1/1 groups met" in shown.text and "3 (0 paused" in shown.text
    standin.assert_clean()


async def test_a_restart_after_the_round_was_written_creates_each_thread_once(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await set_up(standin)
    dave = await standin.add_member("dave")
    for member in (standin.alice, standin.bob, standin.carol, dave):
        await standin.slash("buddy join", user=member)
    everyone = {standin.alice.id, standin.bob.id, standin.carol.id, dave.id}
    # The crash: the round and its groups are committed, no thread is created yet.
    async with crashed_after_confirm(bot_runner, bot, clock, standin.guild_id, standin.admin.id,
                                     everyone) as (_, found):
        pass

    bot = await bot_runner.start(clock=clock)
    threads = await wait_for(lambda: len(standin.threads(standin.general)) == 2 and standin.threads(standin.general))
    await wait_for(lambda: all(standin.messages_in(t) for t in threads))
    bot = await bot_runner.restart(bot, clock=clock)
    await settle(0.5)
    assert thread_creations(standin) == 2 and len(standin.threads(standin.general)) == 2
    grouped = [frozenset(m.id for m in standin.thread_members(t)) - {standin.bot_member.id} for t in threads]
    assert sorted(len(g) for g in grouped) == [2, 2] and frozenset().union(*grouped) == everyone
    assert (await rounds.get_round(bot.db, found.id)).status == "posted"


async def test_without_private_threads_groups_hear_by_dm_and_show_says_why(standin: StandIn, bot: CohortBot) -> None:
    await standin.set_overwrite(standin.general, standin.bot_role, deny="create_private_threads")
    await set_up(standin)
    for member in (standin.alice, standin.bob):
        await standin.slash("buddy join", user=member, note="hi")
    preview = await standin.slash("buddy run", user=standin.admin)
    assert "told by DM" in preview.text and "Create Private Threads" in preview.text
    await confirmed(standin, preview)
    [to_alice] = await wait_for(lambda: standin.dms_to(standin.alice))
    assert f"**Bob** (<@{standin.bob.id}>)" in to_alice.text and "say hello" in to_alice.text
    assert "Create Private Threads" not in to_alice.text  # the bot's permissions are the organisers' business
    assert "I will ask you by DM" not in to_alice.text and "I will ask by DM whether you met" in to_alice.text
    assert thread_creations(standin) == 0
    shown = await standin.slash("buddy show", user=standin.admin)
    assert "cannot create private threads" in shown.text and "Create Private Threads" in shown.text


async def test_the_organiser_hears_whose_dms_are_closed(standin: StandIn, bot: CohortBot) -> None:
    await standin.set_overwrite(standin.general, standin.bot_role, deny="create_private_threads")
    await set_up_with(standin, standin.alice, standin.bob)
    standin.set_dms_open(standin.bob, False)
    done = await run_round(standin)
    followup = await wait_for(lambda: done.followups)
    assert f"my DM did not reach <@{standin.bob.id}>" in followup[0].text, followup[0].text
    assert standin.dms_to(standin.alice) and not standin.dms_to(standin.bob)


async def test_groups_told_by_dm_are_asked_by_dm_once_and_a_yes_counts(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await standin.set_overwrite(standin.general, standin.bot_role, deny="create_private_threads")
    await set_up_with(standin, standin.alice, standin.bob)
    await run_round(standin)
    await wait_for(lambda: standin.dms_to(standin.alice) and standin.dms_to(standin.bob))
    clock.advance(timedelta(days=3, hours=12, minutes=1))
    bot = await bot_runner.restart(bot, clock=clock)
    asked = await wait_for(lambda: [m for m in standin.dms_to(standin.bob) if "Did you meet" in m.text])
    [group_id] = {c.split(":")[2] for c in asked[0].component_ids}
    assert asked[0].component_ids == [f"buddies:met:{group_id}:{a}" for a in ("yes", "not_yet", "no")]
    await wait_for(lambda: [m for m in standin.dms_to(standin.alice) if "Did you meet" in m.text])
    answered = await standin.click(asked[0], f"buddies:met:{group_id}:yes", user=standin.bob)
    assert "counts towards your participation" in answered.text
    await bot.participation.flush()
    assert await bot.db.fetchval("SELECT SUM(buddy_meetings) FROM participation_daily WHERE user_id = ?",
                                 (standin.bob.id,)) == 1
    bot = await bot_runner.restart(bot, clock=clock)
    await settle()
    for member in (standin.alice, standin.bob):
        assert [("Did you meet" in m.text) for m in standin.dms_to(member)] == [False, True]
    shown = await standin.slash("buddy show", user=standin.admin)
    assert "1/1 groups met" in shown.text


async def test_a_crash_while_telling_a_group_by_dm_tells_only_those_not_yet_told(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await standin.set_overwrite(standin.general, standin.bot_role, deny="create_private_threads")
    await set_up_with(standin, standin.alice, standin.bob)
    # The crash: the group was claimed and Alice's DM claimed (and sent), then the process died.
    async with crashed_after_confirm(bot_runner, bot, clock, standin.guild_id, standin.admin.id,
                                     {standin.alice.id, standin.bob.id}) as (db, found):
        [group] = found.groups
        assert await posting.claim_thread(db, group.id)
        assert await posting.claim_dm(db, clock, group, standin.alice.id, "intro")

    bot = await bot_runner.start(clock=clock)
    await wait_for(lambda: standin.dms_to(standin.bob))
    await settle()
    assert standin.dms_to(standin.alice) == [] and len(standin.dms_to(standin.bob)) == 1
    assert (await rounds.get_round(bot.db, found.id)).status == "posted"


async def test_a_member_who_cannot_see_the_channel_hears_by_dm_and_the_others_get_the_thread(
        standin: StandIn, bot: CohortBot) -> None:
    await set_up_with(standin, standin.alice, standin.bob, standin.carol)
    await standin.set_overwrite(standin.general, standin.carol, deny="view_channel")
    await run_round(standin)
    [thread] = await wait_for(lambda: standin.threads(standin.general))
    await wait_for(lambda: standin.messages_in(thread))
    assert {m.id for m in standin.thread_members(thread)} == {standin.alice.id, standin.bob.id,
                                                             standin.bot_member.id}
    [to_carol] = await wait_for(lambda: standin.dms_to(standin.carol))
    assert "cannot see the buddy channel" in to_carol.text and f"<@{standin.alice.id}>" in to_carol.text
    assert standin.dms_to(standin.alice) == []


async def test_an_announcement_channel_is_flagged_at_setup(standin: StandIn, bot: CohortBot) -> None:
    news = await standin.add_channel("news", type=5)
    shown = await standin.slash("buddy setup", user=standin.admin, options={"channel": news})
    assert "is an announcement channel, where Discord allows no private threads" in shown.text, shown.text


async def test_the_round_needs_no_manage_threads(standin: StandIn, bot: CohortBot) -> None:
    await standin.set_overwrite(standin.general, standin.bot_role, deny="manage_threads")
    await set_up_with(standin, standin.alice, standin.bob)
    await run_round(standin)
    [thread] = await wait_for(lambda: standin.threads(standin.general))
    await wait_for(lambda: standin.messages_in(thread))
    assert {m.id for m in standin.thread_members(thread)} >= {standin.alice.id, standin.bob.id}
    shown = await standin.slash("buddy show", user=standin.admin)
    assert "Warnings" not in shown.text


async def test_a_member_who_leaves_is_dropped_and_their_group_told(standin: StandIn, bot: CohortBot) -> None:
    await set_up_with(standin, standin.alice, standin.bob)
    await run_round(standin)
    [thread] = await wait_for(lambda: standin.threads(standin.general))
    await standin.remove_member(standin.bob)
    notice = await wait_for(lambda: next((m for m in standin.messages_in(thread) if "has left the server" in m.text),
                                         None))
    assert notice.text.startswith(f"**Bob** (<@{standin.bob.id}>) has left the server"), notice.text
    assert await store.get_optin(bot.db, standin.guild_id, standin.bob.id) is None
    status = await standin.slash("buddy status", user=standin.alice)
    assert f"<@{standin.bob.id}> (has left the server) in <#{thread.id}>" in status.text, status.text


async def test_a_pool_of_one_gets_one_dm(standin: StandIn, bot: CohortBot, bot_runner: BotRunner,
                                        clock: FakeClock) -> None:
    await set_up(standin)
    await standin.slash("buddy join", user=standin.alice)
    await run_round(standin)
    dm = await wait_for(lambda: standin.dms_to(standin.alice))
    assert "No one else is in this round" in dm[0].text and thread_creations(standin) == 0
    await bot_runner.restart(bot, clock=clock)
    await settle()
    assert len(standin.dms_to(standin.alice)) == 1


def test_thread_names_fit_discord_and_keep_the_group_id() -> None:
    group = Group(4321, 1, 1, 1, "pending", None, "pending", None,
                  tuple(GroupMember(u, False, None, None) for u in (1, 2, 3)))
    long = thread_name(group, {1: "x" * 100, 2: "y\x00" * 50})
    assert len(long) <= 100 and long.endswith(" · #4321") and "\x00" not in long
    assert thread_name(group, {}) == "a member, a member & a member · study buddies · #4321"


# Bad input and permissions --------------------------------------------------------------------------------------
async def test_organiser_commands_need_manage_server_or_the_organiser_role(standin: StandIn, bot: CohortBot) -> None:
    refused = await standin.slash("buddy setup", user=standin.moderator, options={"channel": standin.general})
    assert refused.ephemeral and "Manage Server" in refused.text
    role = await standin.add_role("Organisers")
    await standin.give_roles(standin.carol, role)
    await standin.slash("config organizer-role", user=standin.admin, role=role)
    allowed = await standin.slash("buddy setup", user=standin.carol, options={"channel": standin.general})
    assert "Study buddies" in allowed.text


@pytest.mark.parametrize("weeks", [0, 13])
async def test_pausing_outside_the_range_is_refused_with_it(standin: StandIn, bot: CohortBot, weeks: int) -> None:
    await set_up(standin)
    await standin.slash("buddy join", user=standin.alice)
    reply = await standin.slash("buddy pause", user=standin.alice, weeks=weeks)
    assert reply.ephemeral and f"1 to 12 weeks; you gave {weeks}" in reply.text


async def test_skip_and_pause_take_a_member_out_of_the_next_round(standin: StandIn, bot: CohortBot) -> None:
    await set_up_with(standin, standin.alice, standin.bob, standin.carol)
    assert "sit out the next round" in (await standin.slash("buddy skip", user=standin.carol)).text
    assert "Paused for 2 weeks" in (await standin.slash("buddy pause", user=standin.bob, weeks=2)).text
    preview = await standin.slash("buddy run", user=standin.admin)
    assert "**1 member** in **1 group**" in preview.text and f"<@{standin.carol.id}>" not in preview.text
    assert "2 members paused or skipping sit this one out" in preview.text


def note_kept(text: str, reply: Reply, accepted: str) -> str | None:
    """The note as stored when ``reply`` accepted it (shown escaped, pinging no one); None when it was refused
    for its length, saying the length."""
    assert reply.ephemeral, (text, reply.text)
    cleaned = text.replace("\x00", "").strip()
    if len(cleaned) > 200:
        assert f"is {len(cleaned)} characters; keep it to 200" in reply.text, (text, reply.text)
        return None
    assert accepted in reply.text, (text, reply.text)
    assert not UNESCAPED_MENTION.search(outside_code(reply.text)), (text, reply.text)
    return cleaned


async def test_any_note_is_shown_escaped_or_refused_with_its_length(standin: StandIn, bot: CohortBot) -> None:
    await set_up(standin)
    role = await standin.add_role("Someone")
    for text in texts(standin, role, 40):
        reply = await standin.slash("buddy join", user=standin.alice, note=text)
        cleaned = note_kept(text, reply, "You joined")
        if cleaned is None:
            assert await store.get_optin(bot.db, standin.guild_id, standin.alice.id) is None
            continue
        optin = await store.require_optin(bot.db, standin.guild_id, standin.alice.id)
        assert optin.note == cleaned
        status = await standin.slash("buddy status", user=standin.alice)
        assert not UNESCAPED_MENTION.search(outside_code(status.text)), (text, status.text)
        await standin.slash("buddy leave", user=standin.alice)
    assert_no_pings(standin)
    standin.assert_clean()


# Topics and the preview's confirm --------------------------------------------------------------------------------
async def test_topics_default_to_the_members_topic_roles(standin: StandIn, bot: CohortBot) -> None:
    await set_up(standin)
    role = await standin.add_role("Topic mlops")
    await standin.slash("topic edit", user=standin.admin, topic="mlops", options={"role": role})
    await standin.give_roles(standin.alice, role)
    joined = await standin.slash("buddy join", user=standin.alice)
    assert "Topics: **MLOps**" in joined.text
    choices = await standin.autocomplete("buddy join", focused="topics", user=standin.bob, topics="mlops, onl")
    assert choices[0]["value"] == "mlops, online-learning"
    picked = await standin.slash("buddy join", user=standin.bob, topics=choices[0]["value"])
    assert "Topics: **MLOps, Online prediction & online learning**" in picked.text
    optin = await store.require_optin(bot.db, standin.guild_id, standin.bob.id)
    assert len(optin.topic_ids) == 2


async def test_the_confirm_button_survives_a_restart_and_expires_after_five_minutes(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await set_up_with(standin, standin.alice, standin.bob)
    first = await standin.slash("buddy run", user=standin.admin)
    second = await standin.slash("buddy run", user=standin.admin)
    bot = await bot_runner.restart(bot, clock=clock)
    await confirmed(standin, first)
    assert len(standin.threads(standin.general)) == 1
    clock.advance(timedelta(minutes=5))
    late = next(c for c in second.component_ids if c.startswith("buddies:confirm:"))
    refused = await standin.click(second, late, user=standin.admin)
    assert refused.ephemeral and "expired after 5 minutes" in refused.text
    await wait_for(lambda: "Expired" in standin.message(second.message_id).text)
    assert len(standin.threads(standin.general)) == 1


async def test_a_round_with_nobody_in_the_pool_is_refused_privately(standin: StandIn, bot: CohortBot) -> None:
    await set_up_with(standin, standin.alice)
    await standin.slash("buddy pause", user=standin.alice, weeks=1)
    refused = await standin.slash("buddy run", user=standin.admin)
    assert refused.ephemeral and "Nobody is in the pool" in refused.text and "/buddy join" in refused.text


async def test_the_preview_warns_when_a_pair_repeats_for_want_of_anyone_else(standin: StandIn,
                                                                            bot: CohortBot) -> None:
    await set_up_with(standin, standin.alice, standin.bob)
    await run_round(standin)
    again = await standin.slash("buddy run", user=standin.admin)
    assert "⚠" in again.text and "no one else was possible" in again.text


async def test_a_thread_made_just_before_a_crash_is_found_again_not_made_twice(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await set_up_with(standin, standin.alice, standin.bob)
    # The crash: the group was claimed and Discord made its thread, but the bot died before noting it.
    async with crashed_after_confirm(bot_runner, bot, clock, standin.guild_id, standin.admin.id,
                                     {standin.alice.id, standin.bob.id}) as (db, found):
        [group] = found.groups
        assert await posting.claim_thread(db, group.id)
    # Made under the names members had then: found by the group id its name ends with.
    orphan = await standin.create_thread(standin.general, thread_name(group, {standin.alice.id: "Ally"}),
                                         by=standin.bot_member,
                                         private=True, invitable=False, auto_archive_duration=10080)

    await bot_runner.start(clock=clock)
    await wait_for(lambda: standin.messages_in(orphan))
    assert [t.id for t in standin.threads(standin.general)] == [orphan.id] and thread_creations(standin) == 0
    assert {m.id for m in standin.thread_members(orphan)} >= {standin.alice.id, standin.bob.id}


async def test_a_new_channel_takes_the_next_round_and_the_last_one_is_still_asked_in_its_thread(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    await set_up_with(standin, standin.alice, standin.bob)
    await run_round(standin)
    [first] = await wait_for(lambda: standin.threads(standin.general))
    moved = await standin.slash("buddy setup", user=standin.admin, options={"channel": standin.announcements})
    assert f"Threads in <#{standin.announcements.id}>" in moved.text and "Warnings" not in moved.text
    clock.advance(timedelta(days=1))
    await run_round(standin)
    [second] = await wait_for(lambda: standin.threads(standin.announcements))
    clock.advance(timedelta(days=3))  # the first round is past halfway, the second not yet
    bot = await bot_runner.restart(bot, clock=clock)
    await wait_for(lambda: any("did you meet?" in m.text for m in standin.messages_in(first)))
    await settle()
    assert not any("did you meet?" in m.text for m in standin.messages_in(second))
    assert standin.threads(standin.general) == [first]


# Between preview and Confirm, and between rounds ----------------------------------------------------------------
async def test_a_member_who_left_after_the_preview_is_dropped_at_confirm_and_named(standin: StandIn,
                                                                                  bot: CohortBot) -> None:
    await set_up(standin)
    dave = await standin.add_member("dave")
    for member in (standin.alice, standin.bob, standin.carol, dave):
        await standin.slash("buddy join", user=member)
    preview = await standin.slash("buddy run", user=standin.admin)
    assert "**4 members** in **2 groups**" in preview.text
    await standin.remove_member(dave)
    confirm = next(c for c in preview.component_ids if c.startswith("buddies:confirm:"))
    done = await standin.click(preview, confirm, user=standin.admin)
    assert "**3 members** in **1 group**" in done.text
    assert f"Dropped since the preview (left the server or study buddies, paused or skipping): <@{dave.id}>." \
        in done.text
    [thread] = await wait_for(lambda: standin.threads(standin.general))
    await wait_for(lambda: standin.messages_in(thread))
    assert {m.id for m in standin.thread_members(thread)} == {standin.alice.id, standin.bob.id, standin.carol.id,
                                                             standin.bot_member.id}
    assert f"<@{dave.id}>" not in standin.messages_in(thread)[0].text
    followup = await wait_for(lambda: done.followups)
    assert f"<@{dave.id}>" in followup[0].text


async def test_a_paused_member_resumes_and_a_skipper_is_back_the_round_after(standin: StandIn,
                                                                             bot: CohortBot) -> None:
    await set_up_with(standin, standin.alice, standin.bob, standin.carol)
    await standin.slash("buddy pause", user=standin.alice, weeks=4)
    skipped = await standin.slash("buddy skip", user=standin.carol)
    assert "`/buddy resume` undoes it" in skipped.text
    paused = await standin.slash("buddy status", user=standin.alice)
    assert re.search(r"Paused until <t:\d+:D>; `/buddy resume` brings you back sooner", paused.text), paused.text
    again = await standin.slash("buddy join", user=standin.alice)
    assert "already joined" in again.text and "/buddy resume" in again.text
    back = await standin.slash("buddy resume", user=standin.alice)
    assert back.ephemeral and "in the pool for the next round" in back.text and "<t:" in back.text
    first = await standin.slash("buddy run", user=standin.admin)
    assert "**2 members** in **1 group**" in first.text and f"<@{standin.carol.id}>" not in first.text
    assert "1 member paused or skipping" in first.text
    await confirmed(standin, first)
    second = await standin.slash("buddy run", user=standin.admin)
    assert "**3 members** in **1 group**" in second.text and f"<@{standin.carol.id}>" in second.text
    status = await standin.slash("buddy status", user=standin.carol)
    assert "Opted in." in status.text and "sitting out" not in status.text


async def test_editing_topics_and_note_keeps_the_rounds_count(standin: StandIn, bot: CohortBot) -> None:
    await set_up(standin)
    for member in (standin.alice, standin.bob):
        await standin.slash("buddy join", user=member, note="mornings")
    await run_round(standin)
    await wait_for(lambda: standin.threads(standin.general))
    edited = await standin.slash("buddy edit", user=standin.alice, topics="mlops", note="evenings now")
    assert edited.ephemeral and "Topics: **MLOps**" in edited.text and "evenings now" in edited.text
    status = await standin.slash("buddy status", user=standin.alice)
    assert "evenings now" in status.text and "MLOps" in status.text
    assert (await store.require_optin(bot.db, standin.guild_id, standin.alice.id)).rounds_taken == 1
    nothing = await standin.slash("buddy edit", user=standin.alice)
    assert nothing.ephemeral and "Give `topics:`, `note:` or both" in nothing.text


async def test_any_edited_note_is_shown_escaped_or_refused_with_its_length(standin: StandIn, bot: CohortBot) -> None:
    await set_up(standin)
    await standin.slash("buddy join", user=standin.alice)
    role = await standin.add_role("Someone")
    for text in texts(standin, role, 20):
        reply = await standin.slash("buddy edit", user=standin.alice, note=text)
        cleaned = note_kept(text, reply, "Saved.")
        if cleaned is None:
            continue
        optin = await store.require_optin(bot.db, standin.guild_id, standin.alice.id)
        assert optin.note == ("" if cleaned == "-" else cleaned), text
    assert_no_pings(standin)
    standin.assert_clean()
