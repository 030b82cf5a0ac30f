"""Peer review end to end: the real bot against the Discord stand-in."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.core import CohortBot
from bot.reviews import notices, reviewing, store
from bot.reviews.model import Assignment
from tests.conftest import BotRunner
from tests.e2e.any_text import assert_no_pings
from tests.e2e.helpers import clock_at_real_now, loaded_cog, start_with_jobs, wait_for
from tests.standin import SentMessage, StandIn

GOOD = "The data pipeline is clear and the evaluation compares against a sensible baseline."
BETTER = "Explain why you chose this model over a simpler one, and add error bars to the results."


@pytest.fixture
def clock() -> FakeClock:
    return clock_at_real_now()


@pytest.fixture
async def bot(bot_runner: BotRunner, clock: FakeClock, standin: StandIn) -> CohortBot:
    return await start(bot_runner, clock)


async def start(bot_runner: BotRunner, clock: FakeClock) -> CohortBot:
    return await start_with_jobs(bot_runner, clock, "Reviews")


def cog(bot: CohortBot) -> Any:
    return loaded_cog(bot, "Reviews")


async def create(standin: StandIn, bot: CohortBot, **options: Any) -> Assignment:
    fields = {"title": "Capstone: a model in the browser", "due": "in 3 days"} | options
    reply = await standin.slash("assignment create", user=standin.admin, **fields)
    assert reply.ephemeral and "Created" in reply.text, reply.text
    [found] = await store.list_assignments(bot.db, standin.guild_id, limit=1)
    return found


async def submit_three(standin: StandIn, assignment: Assignment) -> None:
    for who in (standin.alice, standin.bob, standin.carol):
        reply = await standin.slash("submit", user=who, assignment=str(assignment.id),
                                    url=f"HTTPS://Example.org/{who.name}?utm_source=x")
        assert reply.ephemeral and "Submitted" in reply.text, reply.text


def review_dms(standin: StandIn, who: Any) -> list[SentMessage]:
    return [m for m in standin.dms_to(who) if any(c.startswith("review:open:") for c in m.component_ids)]


async def test_create_submit_close_review_after_a_restart_remind_once_and_read_the_averages(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    assignment = await create(standin, bot, reviewers=2)
    card = await wait_for(lambda: [m for m in standin.messages_in(standin.general) if "Capstone" in m.text])
    assert "Problem framing" in card[0].text and f"/submit assignment:{assignment.id}" in card[0].text
    [thread] = await wait_for(lambda: standin.threads(standin.general))
    assert thread.id == card[0].id and thread.name == assignment.title  # the assignment's thread, from its card
    await submit_three(standin, assignment)
    stored = await store.submission_of(bot.db, assignment.id, standin.alice.id)
    assert stored is not None and stored.url == "https://example.org/alice"

    closed = await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    assert closed.ephemeral and "3 submissions, 6 reviews" in closed.text
    for who in (standin.alice, standin.bob, standin.carol):
        dm = (await wait_for(lambda who=who: review_dms(standin, who)))[0]
        assert "2 reviews" in dm.text
    assert "in review" in standin.message(card[0].id).text  # the card shows the round

    await bot_runner.stop(bot)
    bot = await start(bot_runner, clock)
    dm = review_dms(standin, standin.alice)[0]
    review_id = int(next(c for c in dm.component_ids if c.startswith("review:open:")).rsplit(":", 1)[1])
    form = await standin.click(dm, f"review:open:{review_id}", user=standin.alice)
    assert form.ephemeral and "Review:" in form.text
    scores = [5, 4, 3, 4]
    for criterion, score in enumerate(scores[:-1]):
        form = await standin.click(form, f"review:score:{review_id}:{criterion}", user=standin.alice,
                                   values=[str(score)])
        assert f"{criterion + 1} of 4 criteria" in form.text
    opened = await standin.click(form, f"review:score:{review_id}:3", user=standin.alice, values=[str(scores[-1])])
    assert opened.modal is not None and set(opened.modal.field_ids) == {"works", "improve"}
    refused = await standin.submit_modal(opened.modal.custom_id, {"works": "Nice!", "improve": BETTER},
                                         user=standin.alice)
    assert refused.ephemeral and "at least 50" in refused.text and "draft is kept" in refused.text
    again = await standin.click(refused, f"review:comments:{review_id}", user=standin.alice)
    assert again.modal is not None
    assert {f["custom_id"]: f.get("value") for f in again.modal.inputs} == {"works": "Nice!", "improve": BETTER}
    done = await standin.submit_modal(again.modal.custom_id, {"works": GOOD}, user=standin.alice)
    assert done.ephemeral and "your review is in" in done.text
    review = await store.get_review(bot.db, review_id)
    assert review.done and review.scores == (5, 4, 3, 4) and review.works == GOOD

    # The 48 h reminder goes to Bob (he has written nothing), once, as the clock moves on.
    current = await store.get_assignment(bot.db, standin.guild_id, assignment.id)
    assert current.review_ends_at is not None
    for moment in (current.review_ends_at - timedelta(hours=48) + timedelta(minutes=1),
                   current.review_ends_at - timedelta(hours=47)):
        clock.set(moment)
        await cog(bot).jobs.rebuild()
        await wait_for(lambda: [m for m in standin.dms_to(standin.bob) if "Reminder" in m.text])
        await asyncio.sleep(0.2)
    reminders = [m for m in standin.dms_to(standin.bob) if "Reminder" in m.text]
    assert len(reminders) == 1 and "2 reviews" in reminders[0].text
    assert len([m for m in standin.dms_to(standin.alice) if "Reminder" in m.text]) == 1  # one left to write

    # Bob and Carol review Alice; with every review in, she hears at once and reads the averages.
    mine = await store.submission_of(bot.db, assignment.id, standin.alice.id)
    assert mine is not None
    for review in await store.reviews_of_submission(bot.db, mine.id):
        assert review.reviewer_id is not None
        for criterion, score in enumerate((4, 2, 5, 3) if review.reviewer_id == standin.bob.id else (2, 4, 5, 3)):
            await reviewing.set_score(bot.db, review.id, review.reviewer_id, criterion, score)
        await reviewing.submit_review(bot.db, clock, review.id, review.reviewer_id, works=GOOD, improve=BETTER)
    await cog(bot).jobs.sync(assignment.id)
    told = await wait_for(lambda: [m for m in standin.dms_to(standin.alice) if "Your reviews" in m.text])
    assert "3.0**/5" in told[0].text and "5.0**/5" in told[0].text
    read = await standin.slash("review mine", user=standin.alice, assignment=str(assignment.id))
    assert read.ephemeral and "Problem framing: **3.0**/5" in read.text and "Evaluation: **5.0**/5" in read.text
    shown = await wait_for(lambda: len(read.followups) == 2 and read.followups)
    for each in shown:  # anonymous: neither reviewer is named or mentioned
        words = {word.lower() for word in re.findall(r"\w+", each.text)}
        assert "What to improve" in each.text and not {str(standin.bob.id), str(standin.carol.id), "bob", "carol"} \
            & words
    follow = shown[0]
    marked = await standin.click(follow, next(c for c in follow.component_ids if c.startswith("review:helpful:")),
                                 user=standin.alice)
    assert "Marked helpful" in str(marked.components)

    # Participation and privacy see it all: /profile counts, /privacy export holds given and received.
    profile = await standin.slash("profile", user=standin.alice)
    fields = {f["name"]: f["value"] for f in profile.embeds[0]["fields"]}
    assert fields["Work submitted"] == "1" and fields["Reviews given"] == "1"
    export = await standin.slash("privacy export", user=standin.alice)
    data = json.loads(export.files[0].data)["data"]
    assert len(data["reviews_submissions.user_id"]) == 1 and len(data["reviews received"]) == 2
    assert [r["works"] for r in data["reviews_reviews.reviewer_id"] if r["submitted_at"]] == [GOOD]
    assert_no_pings(standin)
    standin.assert_clean()


async def test_closed_dms_get_one_message_in_the_assignments_place_mentioning_them(
        standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot, reviewers=2)
    await submit_three(standin, assignment)
    standin.set_dms_open(standin.carol, False)
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    await wait_for(lambda: review_dms(standin, standin.alice) and review_dms(standin, standin.bob))
    current = await store.get_assignment(bot.db, standin.guild_id, assignment.id)
    assert current.thread_id is not None and standin.thread(current.thread_id).name == assignment.title
    mentions = await wait_for(lambda: [m for m in standin.messages_in(current.thread_id)
                                       if f"<@{standin.carol.id}>" in (m.payload.get("content") or "")])
    assert len(mentions) == 1 and any(c.startswith("review:open:") for c in mentions[0].component_ids)
    request = next(r for r in standin.requests if isinstance(r.json, dict)
                   and f"<@{standin.carol.id}>" in str(r.json.get("content")))
    assert [str(u) for u in request.json["allowed_mentions"]["users"]] == [str(standin.carol.id)]
    history = await notices.history(bot.db, assignment.id)
    assert [n.outcome for n in history if n.key == f"assigned:{standin.carol.id}"] == ["fallback"]


async def test_comments_written_in_a_form_opened_before_a_restart_are_taken_after_it(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    assignment = await create(standin, bot, reviewers=1)
    await submit_three(standin, assignment)
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    dm = (await wait_for(lambda: review_dms(standin, standin.bob)))[0]
    review_id = int(next(c for c in dm.component_ids if c.startswith("review:open:")).rsplit(":", 1)[1])
    form = await standin.click(dm, f"review:open:{review_id}", user=standin.bob)
    for criterion in range(3):
        form = await standin.click(form, f"review:score:{review_id}:{criterion}", user=standin.bob, values=["4"])
    opened = await standin.click(form, f"review:score:{review_id}:3", user=standin.bob, values=["5"])
    assert opened.modal is not None

    await bot_runner.stop(bot)  # Bob is still typing
    bot = await start(bot_runner, clock)
    done = await standin.submit_modal(opened.modal.custom_id, {"works": GOOD, "improve": BETTER}, user=standin.bob)
    assert done.ephemeral and "your review is in" in done.text
    review = await store.get_review(bot.db, review_id)
    assert review.done and review.scores == (4, 4, 4, 5) and (review.works, review.improve) == (GOOD, BETTER)


async def test_nobody_submitting_by_a_due_time_passed_while_the_bot_was_down_is_told_and_closed(
        standin: StandIn, bot: CohortBot, bot_runner: BotRunner, clock: FakeClock) -> None:
    assignment = await create(standin, bot, due="in 1 day", late=False)
    [card] = await wait_for(lambda: [m for m in standin.messages_in(standin.general) if "Capstone" in m.text])
    await bot_runner.stop(bot)
    clock.advance(timedelta(days=1, hours=3))
    bot = await start(bot_runner, clock)
    current = await store.get_assignment(bot.db, standin.guild_id, assignment.id)
    assert current.thread_id is not None
    [note] = await wait_for(lambda: [m for m in standin.messages_in(current.thread_id) if "Nobody" in m.text])
    assert "takes no late work, so it is closed" in note.text
    await wait_for(lambda: "closed" in standin.message(card.id).text)  # the card says so too
    late = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id), url="https://x.org/a")
    assert late.ephemeral and "is closed" in late.text
    again = await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    assert again.ephemeral and "already closed" in again.text


async def test_closing_with_no_submissions_keeps_late_work_open_and_says_so_everywhere(
        standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot)
    [card] = await wait_for(lambda: [m for m in standin.messages_in(standin.general) if "Capstone" in m.text])
    closed = await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    assert "Nobody submitted" in closed.text and "Late submissions are still taken" in closed.text
    await wait_for(lambda: "Too few submitted by the due time" in standin.message(card.id).text)
    current = await store.get_assignment(bot.db, standin.guild_id, assignment.id)
    assert current.thread_id is not None
    await wait_for(lambda: [m for m in standin.messages_in(current.thread_id) if "Nobody submitted" in m.text])
    late = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id), url="https://x.org/a")
    assert "marked late" in late.text and "Nobody is free to review it yet" in late.text
    later = await standin.slash("submit", user=standin.bob, assignment=str(assignment.id), url="https://x.org/b")
    assert "1 reviewer will read it" in later.text  # Alice; and Bob reviews Alice's
    await wait_for(lambda: "Reviewers are drawn" in standin.message(card.id).text)
    await wait_for(lambda: review_dms(standin, standin.alice) and review_dms(standin, standin.bob))
    await asyncio.sleep(0.2)
    assert [len(review_dms(standin, who)) for who in (standin.alice, standin.bob)] == [1, 1]
    unread = await standin.slash("review mine", user=standin.carol, assignment=str(assignment.id))
    assert unread.ephemeral and "no submission" in unread.text and "/submit assignment:" in unread.text


async def test_when_reviewers_never_review_authors_and_organisers_hear_at_the_window_end(
        standin: StandIn, bot: CohortBot, clock: FakeClock) -> None:
    assignment = await create(standin, bot, reviewers=1)
    await submit_three(standin, assignment)
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    await wait_for(lambda: all(review_dms(standin, who) for who in (standin.alice, standin.bob, standin.carol)))
    current = await store.get_assignment(bot.db, standin.guild_id, assignment.id)
    assert current.review_ends_at is not None and current.thread_id is not None
    waiting = await standin.slash("review mine", user=standin.alice, assignment=str(assignment.id))
    assert waiting.ephemeral and "none yet: you get a DM when they are" in waiting.text
    assert "Rubric averages" not in waiting.text  # no column of "no scores yet" before anything is in
    clock.set(current.review_ends_at + timedelta(minutes=1))
    await cog(bot).jobs.rebuild()
    for who in (standin.alice, standin.bob, standin.carol):
        [told] = await wait_for(lambda who=who: [m for m in standin.dms_to(who) if "Your reviews" in m.text])
        assert "before your 1 reviewer wrote their review" in told.text and "late reviews still count" in told.text
    [note] = await wait_for(lambda: [m for m in standin.messages_in(current.thread_id) if "is over" in m.text])
    assert "0 of 3 reviews are in; 3 reviewers still owe 3 reviews" in note.text

    closed = await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    assert closed.ephemeral and "3 reviews still unwritten will not come" in closed.text
    assert_no_pings(standin)


async def test_too_few_submitters_tell_organisers_and_a_volunteer_fills_in(standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot)  # 3 reviewers each
    for who in (standin.alice, standin.bob):
        await standin.slash("submit", user=who, assignment=str(assignment.id), url=f"https://example.org/{who.name}")
    closed = await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    assert "Shortfall:" in closed.text and "4 review places" in closed.text
    took = await standin.slash("review volunteer", user=standin.carol, assignment=str(assignment.id))
    assert "You took 2 reviews" in took.text
    await wait_for(lambda: review_dms(standin, standin.carol))
    status = await standin.slash("assignment status", user=standin.admin, assignment=str(assignment.id))
    assert status.ephemeral and "2 places" in status.text
    rows = list(csv.DictReader(io.StringIO(status.files[0].data.decode())))
    assert len(rows) == 4 and {r["review_status"] for r in rows} == {"pending"}


async def test_refusals_say_why(standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot, reviewers=2)
    plain = await standin.slash("assignment create", user=standin.alice, title="Mine", due="in 2 days")
    assert plain.ephemeral and "Only organisers" in plain.text
    bad_url = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id), url="ftp://x.org/a")
    assert bad_url.ephemeral and "http" in bad_url.text
    await submit_three(standin, assignment)
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    dm = (await wait_for(lambda: review_dms(standin, standin.bob)))[0]
    review_id = int(next(c for c in dm.component_ids if c.startswith("review:open:")).rsplit(":", 1)[1])
    review = await store.get_review(bot.db, review_id)
    author = await store.get_submission(bot.db, review.submission_id)
    assert author is not None and author.user_id != standin.bob.id
    who = standin.alice if author.user_id == standin.alice.id else standin.carol
    own = await standin.click(dm, f"review:open:{review_id}", user=who)  # the button, reused by the author
    assert own.ephemeral and "cannot review your own submission" in own.text
    stranger = await standin.click(dm, f"review:open:{review_id}", user=standin.owner)
    assert stranger.ephemeral and "assigned to someone else" in stranger.text
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    late = await standin.slash("submit", user=standin.owner, assignment=str(assignment.id), url="https://x.org/late")
    assert late.ephemeral and "is closed" in late.text
    choices = await standin.autocomplete("review mine", focused="assignment", user=standin.alice, assignment="caps")
    assert [c["value"] for c in choices] == [str(assignment.id)]


async def test_a_changed_plan_turns_its_assignment_items_into_assignments(standin: StandIn, bot: CohortBot,
                                                                         clock: FakeClock) -> None:
    now = clock.now().isoformat()
    anchor = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    plan_id, _ = await bot.db.execute(
        "INSERT INTO plans (guild_id, slug, title, channel_id, status, start_local, created_at, updated_at) "
        "VALUES (?, 'ml', 'ML in browsers', ?, 'running', ?, ?, ?)",
        (standin.guild_id, standin.announcements.id, anchor, now, now))
    unit_id, _ = await bot.db.execute("INSERT INTO plans_units (guild_id, plan_id, number, title) "
                                      "VALUES (?, ?, 1, 'Week 1')", (standin.guild_id, plan_id))
    await bot.db.execute("INSERT INTO plans_items (guild_id, plan_id, unit_id, position, kind, title, due_day, "
                         "due_minute) VALUES (?, ?, ?, 1, 'project', 'Ship a WebGPU demo', 4, 1080)",
                         (standin.guild_id, plan_id, unit_id))
    bot.dispatch("plan_changed", standin.guild_id, plan_id)
    bot.dispatch("plan_changed", standin.guild_id, plan_id)  # idempotent: still one assignment, one card
    card = await wait_for(lambda: [m for m in standin.messages_in(standin.announcements) if "WebGPU" in m.text])
    await asyncio.sleep(0.2)
    assert len(card) == 1 and len(await store.list_assignments(bot.db, standin.guild_id)) == 1
    listed = await standin.slash("assignment list", user=standin.bob)
    assert "Ship a WebGPU demo" in listed.text and "taking submissions" in listed.text
    [assignment] = await store.list_assignments(bot.db, standin.guild_id)
    shown = await standin.slash("assignment show", user=standin.bob, assignment=str(assignment.id))
    assert "none yet" in shown.text and when_text(assignment.due_at) in shown.text


def when_text(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:F>"


async def test_a_link_as_long_as_accepted_fits_every_reply_and_card(standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot, title="T" * 100, reviewers=1)
    long_url = "https://example.org/" + "a" * 2000
    made = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id), url=long_url,
                               public=True)
    assert made.ephemeral and "Submitted" in made.text and len(made.payload["content"]) <= 2000
    shown = await standin.slash("assignment show", user=standin.alice, assignment=str(assignment.id))
    assert "Your submission" in shown.text
    for who in (standin.bob, standin.carol):
        await standin.slash("submit", user=who, assignment=str(assignment.id), url=f"https://example.org/{who.name}")
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    await wait_for(lambda: all(review_dms(standin, who) for who in (standin.alice, standin.bob, standin.carol)))
    again = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id), url=long_url + "b")
    assert again.ephemeral and "can no longer be replaced" in again.text
    reviewer = next(who for who in (standin.bob, standin.carol) if long_url[:60] in review_dms(standin, who)[0].text)
    dm = review_dms(standin, reviewer)[0]
    review_id = int(next(c for c in dm.component_ids if c.startswith("review:open:")).rsplit(":", 1)[1])
    form = await standin.click(dm, f"review:open:{review_id}", user=reviewer)
    assert form.ephemeral and "Review:" in form.text
    standin.assert_clean()


async def test_with_five_criteria_the_comments_button_comes_apart_from_the_selects(
        standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot, reviewers=1, rubric="Framing; Design; Evaluation; Clarity; Code")
    await submit_three(standin, assignment)
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    [card] = [m for m in standin.messages_in(standin.general) if "Capstone" in m.text]
    await wait_for(lambda: "Reviewers are drawn" in standin.message(card.id).text)  # the card follows the round
    dm = (await wait_for(lambda: review_dms(standin, standin.bob)))[0]
    review_id = int(next(c for c in dm.component_ids if c.startswith("review:open:")).rsplit(":", 1)[1])
    form = await standin.click(dm, f"review:open:{review_id}", user=standin.bob)
    assert [c for c in form.component_ids if c.startswith("review:score:")] == [
        f"review:score:{review_id}:{criterion}" for criterion in range(5)]
    [apart] = await wait_for(lambda: form.followups)
    assert f"review:comments:{review_id}" in apart.component_ids
    opened = await standin.click(apart, f"review:comments:{review_id}", user=standin.bob)
    assert opened.modal is not None and set(opened.modal.field_ids) == {"works", "improve"}


async def test_a_submitter_who_left_before_the_draw_is_set_aside(standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot, reviewers=1)
    await submit_three(standin, assignment)
    await standin.remove_member(standin.carol)
    closed = await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    assert "2 submissions, 2 reviews" in closed.text and "1 submission by members who left the server was set " \
        "aside" in closed.text
    await wait_for(lambda: review_dms(standin, standin.alice) and review_dms(standin, standin.bob))
    await asyncio.sleep(0.2)
    assert review_dms(standin, standin.carol) == []


async def test_a_reviewer_who_leaves_during_the_round_is_replaced_and_organisers_see_it(
        standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot, reviewers=2)
    await submit_three(standin, assignment)
    await standin.slash("submit", user=standin.owner, assignment=str(assignment.id), url="https://example.org/owner")
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    everyone = (standin.alice, standin.bob, standin.carol, standin.owner)
    await wait_for(lambda: all(review_dms(standin, who) for who in everyone))
    written, owed = await store.reviews_by(bot.db, assignment.id, standin.carol.id)
    for criterion in range(4):
        await reviewing.set_score(bot.db, written.id, standin.carol.id, criterion, 3)
    await reviewing.submit_review(bot.db, bot.clock, written.id, standin.carol.id, works=GOOD, improve=BETTER)

    await standin.remove_member(standin.carol)
    [reviewer] = await wait_for(lambda: [who for who in everyone if len(review_dms(standin, who)) == 2])
    [handed] = [r for r in await store.reviews_by(bot.db, assignment.id, reviewer.id)
                if r.submission_id == owed.submission_id]
    assert f"review:open:{handed.id}" in review_dms(standin, reviewer)[-1].component_ids
    status = await standin.slash("assignment status", user=standin.admin, assignment=str(assignment.id))
    assert f"<@{standin.carol.id}> (left the server): 1 done · 0 pending" in status.text
    assert "1 done · 5 pending" in status.text  # her work's two reviewers are no longer asked
    rows = list(csv.DictReader(io.StringIO(status.files[0].data.decode())))
    assert {r["author"] for r in rows if r["author_id"] == str(standin.carol.id)} == {"(not in the server)"}


def showcase_cards(standin: StandIn) -> list[SentMessage]:
    return [m for m in standin.messages_in(standin.general) if "Showcase" in m.text]


async def test_one_showcase_card_per_submission_across_a_crash_and_taken_down_when_not_public(
        standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot)
    first = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id),
                                url="https://example.org/v1", public=True)
    assert "Shown off in" in first.text and len(showcase_cards(standin)) == 1
    # The bot stopped after Discord took the card but before its id was kept: the card is found, not posted again.
    await bot.db.execute("UPDATE reviews_submissions SET showcase_message_id = NULL WHERE user_id = ?",
                         (standin.alice.id,))
    again = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id),
                                url="https://example.org/v2", public=True)
    [card] = showcase_cards(standin)
    assert "was updated" in again.text and "https://example.org/v2" in card.text
    private = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id),
                                  url="https://example.org/v3")
    assert "taken down" in private.text and showcase_cards(standin) == []
    # Stopped after claiming, before sending: nothing in the channel, so the next public one posts it, once.
    await bot.db.execute("UPDATE reviews_submissions SET showcase_channel_id = ? WHERE user_id = ?",
                         (standin.general.id, standin.alice.id))
    shown = await standin.slash("submit", user=standin.alice, assignment=str(assignment.id),
                                url="https://example.org/v4", public=True)
    [card] = showcase_cards(standin)
    assert "Shown off in" in shown.text and "https://example.org/v4" in card.text
    standin.assert_clean()


async def test_privacy_forget_takes_down_the_showcase_card_that_quotes_the_member(
        standin: StandIn, bot: CohortBot) -> None:
    assignment = await create(standin, bot)
    await standin.slash("submit", user=standin.alice, assignment=str(assignment.id),
                        url="https://example.org/mine", public=True)
    assert len(showcase_cards(standin)) == 1
    asked = await standin.slash("privacy forget", user=standin.alice)
    forget = next(c for c in asked.component_ids if c.startswith("privacy:forget:"))
    await standin.click(asked.message, forget, user=standin.alice)
    await wait_for(lambda: showcase_cards(standin) == [])
    assert await bot.db.fetchval("SELECT COUNT(*) FROM reviews_submissions WHERE user_id = ?",
                                 (standin.alice.id,)) == 0
    standin.assert_clean()
