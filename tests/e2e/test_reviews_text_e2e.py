"""Whatever people type into peer review is stored and shown escaped, pings nobody, or is refused clearly.

The free-text inputs: an assignment's title and rubric, a submission's note (shown on the showcase card)
and a review's comments (typed in the modal, read by the author with /review mine). Edge cases and text
drawn by Hypothesis go through the real bot and the stand-in.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core import CohortBot
from bot.reviews import store
from bot.reviews.model import COMMENT_MAX
from tests.e2e.any_text import assert_no_pings, texts
from tests.e2e.helpers import wait_for
from tests.e2e.test_reviews_e2e import BETTER, GOOD, create, review_dms, submit_three
from tests.standin import Reply, SentMessage, StandIn

UNESCAPED_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,20})")
UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)[*_`~|]")
URL = re.compile(r"<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]")  # discord.utils._URL_REGEX


def assert_escaped(shown: str, context: Any) -> None:
    assert not UNESCAPED_MENTION.search(shown), (context, shown)
    assert not UNESCAPED_MARKDOWN.search(URL.sub("", shown)), (context, shown)


def assert_refused_clearly(reply: Reply, context: Any) -> None:
    assert reply.ephemeral and reply.text and "went wrong" not in reply.text, (context, reply.text)


def field(message: SentMessage | Reply, name: str) -> str:
    return next(f["value"] for e in message.embeds for f in e.get("fields", []) if f["name"] == name)


async def test_any_title_rubric_and_note_is_shown_escaped_or_refused(standin: StandIn, bot: CohortBot) -> None:
    standin.settle_delay = 0
    role = await standin.add_role("Pingable")
    target = await create(standin, bot, title="Fixed", due="in 5 days", topic="mlops")
    first_request = len(standin.requests)
    shown = refused = 0
    for text in texts(standin, role, 15):
        made = await standin.slash("assignment create", user=standin.admin, title=text, due="in 3 days",
                                   rubric=text)
        if "Created" not in made.text:
            assert_refused_clearly(made, text)
            refused += 1
        else:
            shown += 1
            title = re.search(r"Created \*\*(.*)\*\* \(#(\d+)\)", made.text, re.DOTALL)
            assert title is not None, made.text
            assert_escaped(title.group(1), text)
            latest = await store.get_assignment(bot.db, standin.guild_id, int(title.group(2)))
            assert latest.title == text.replace("\x00", "").strip()
        noted = await standin.slash("submit", user=standin.alice, assignment=str(target.id),
                                    url="https://example.org/work", note=text, public=True)
        if "Submitted" in noted.text or "Replaced" in noted.text:
            stored = await store.submission_of(bot.db, target.id, standin.alice.id)
            assert stored is not None and stored.note == text.replace("\x00", "").strip()
        else:
            assert_refused_clearly(noted, text)
    assert shown and refused
    cards = [m for m in standin.messages_in(standin.general) if "Showcase" in m.text]
    assert len(cards) == 1  # one card, edited with each new note
    for version in [cards[0].payload, *cards[0].history]:
        for embed in version.get("embeds", []):
            for item in embed.get("fields", []):
                assert_escaped(item["value"], item)
    assert_no_pings(standin, first_request)
    standin.assert_clean()


async def test_any_link_or_assignment_name_is_taken_or_refused_clearly(standin: StandIn, bot: CohortBot) -> None:
    standin.settle_delay = 0
    role = await standin.add_role("Pingable")
    target = await create(standin, bot, title="Fixed", due="in 5 days")
    first_request = len(standin.requests)
    for text in texts(standin, role, 15):
        if not text:
            continue  # a required option: Discord's client sends nothing empty
        linked = await standin.slash("submit", user=standin.bob, assignment=str(target.id), url=text)
        if "Submitted" in linked.text or "Replaced" in linked.text:
            stored = await store.submission_of(bot.db, target.id, standin.bob.id)
            assert stored is not None and stored.url.startswith(("http://", "https://")), (text, stored.url)
        else:
            assert_refused_clearly(linked, text)
            assert_escaped(re.sub(r"`[^`]*`", "", linked.text), text)  # what it echoes stays in a code span
        found = await standin.slash("assignment show", user=standin.bob, assignment=text)
        if "Fixed" not in found.text:
            assert_refused_clearly(found, text)
            assert "/assignment list" in found.text
            assert_escaped(re.sub(r"`[^`]*`", "", found.text), text)
    assert_no_pings(standin, first_request)
    standin.assert_clean()


async def test_any_review_comment_is_shown_to_the_author_escaped_or_refused(standin: StandIn,
                                                                          bot: CohortBot) -> None:
    standin.settle_delay = 0
    role = await standin.add_role("Pingable")
    assignment = await create(standin, bot, reviewers=2)
    await submit_three(standin, assignment)
    await standin.slash("assignment close", user=standin.admin, assignment=str(assignment.id))
    dm = (await wait_for(lambda: review_dms(standin, standin.bob)))[0]
    alices = await store.submission_of(bot.db, assignment.id, standin.alice.id)
    assert alices is not None
    [review] = [r for r in await store.reviews_by(bot.db, assignment.id, standin.bob.id)
                if r.submission_id == alices.id]
    first_request = len(standin.requests)
    accepted = refused = 0
    for text in texts(standin, role, 15):
        for works in (text[:COMMENT_MAX], (GOOD + " " + text)[:COMMENT_MAX]):
            if not works:
                continue  # the field is required: Discord's client sends nothing empty
            await bot.db.execute("UPDATE reviews_reviews SET scores = '[3, 4, 5, 2]', works = '', improve = '', "
                                 "submitted_at = NULL WHERE id = ?", (review.id,))
            form = await standin.click(dm, f"review:open:{review.id}", user=standin.bob)
            opened = await standin.click(form, f"review:comments:{review.id}", user=standin.bob)
            assert opened.modal is not None
            sent = await standin.submit_modal(opened.modal.custom_id, {"works": works, "improve": BETTER},
                                              user=standin.bob)
            if "your review is in" not in sent.text:
                assert_refused_clearly(sent, works)
                assert (await store.get_review(bot.db, review.id)).works == works.replace("\x00", "")  # the draft
                refused += 1
                continue
            accepted += 1
            read = await standin.slash("review mine", user=standin.alice, assignment=str(assignment.id))
            [shown] = await wait_for(lambda read=read: read.followups)
            assert_escaped(field(shown, "What works"), works)
    assert accepted and refused
    assert_no_pings(standin, first_request)
    standin.assert_clean()
