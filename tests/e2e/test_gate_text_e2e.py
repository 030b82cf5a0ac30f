"""Whatever people type into the gate's forms is stored and shown escaped, pings nobody, or is refused clearly.

The free-text inputs: the apply modal's five answers, a reviewer's reject reason and question, and the
applicant's reply. Each is driven end to end through the stand-in, with edge cases and text drawn by
Hypothesis.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

from bot.core import CohortBot
from bot.gate import applications
from bot.gate.scoring import BACKGROUND_MAX, GOALS_MAX, HOURS_MAX_CHARS, LINK_MAX, TOPICS_MAX
from tests.e2e.any_text import assert_no_pings, drawn
from tests.e2e.test_gate_e2e import GOOD_ANSWERS, Gate, join, set_up_gate
from tests.standin import FakeMember, Reply, SentMessage, StandIn

EDGE_CASES = ["", "x", "x" * 6000, "@everyone look", "@here", "<@&{role}>", "<@{user}>", "\u202eevil\u200f",
              "nul\x00byte", "**bold** __under__ `code` ||spoiler|| ~~strike~~", "> quote\n# heading",
              "[click](https://evil.example)", "🚀", "  \n  ", "ﷺ e\u0301", "6 @everyone", "github.com/@everyone",
              "https://example.org/a_b*c~d"]
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
UNESCAPED_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,20})")
UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)[*_`~|]")
# discord.py leaves URLs as they are (Discord shows them as links, without markdown), and so does the check.
URL = re.compile(r"<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]")  # discord.utils._URL_REGEX
# What a modal field accepts, as the Discord client enforces it (it cuts a paste to the maximum).
MAX_LENGTH = {"topics": TOPICS_MAX, "background": BACKGROUND_MAX, "goals": GOALS_MAX, "hours": HOURS_MAX_CHARS,
              "link": LINK_MAX, "text": applications.REASON_MAX, "answer": applications.ANSWER_MAX}



def typed(field: str, text: str) -> str:
    return text[:MAX_LENGTH[field]]


def assert_escaped(shown: str, context: Any) -> None:
    assert not UNESCAPED_MENTION.search(shown), (context, shown)
    assert not UNESCAPED_MARKDOWN.search(URL.sub("", shown)), (context, shown)


def assert_refused_clearly(reply: Reply, context: Any) -> None:
    assert reply.ephemeral and reply.text and "went wrong" not in reply.text, (context, reply.text)


def fields_of(message: SentMessage) -> dict[str, str]:
    return {field["name"]: field["value"] for field in message.embeds[0].get("fields", [])}




class Applicant:
    """One member applying again and again (the cool-down is 0), and a moderator closing each application."""

    def __init__(self, standin: StandIn, bot: CohortBot, gate: Gate, who: FakeMember) -> None:
        self.standin, self.bot, self.gate, self.who = standin, bot, gate, who

    async def apply(self, **answers: str) -> tuple[Reply | None, applications.Application | None]:
        """Submit the form; ``(None, None)`` when a required answer is empty (Discord does not send it)."""
        opened = await self.standin.slash("apply", user=self.who)
        assert opened.modal is not None and opened.modal.title.startswith("Apply to"), opened.text
        values = {field: typed(field, text) for field, text in {**GOOD_ANSWERS, **answers}.items()}
        if not all(text for field, text in values.items() if field != "link"):
            return None, None
        sent = await self.standin.submit_modal(opened.modal.custom_id, values, user=self.who)
        return sent, await applications.open_application(self.bot.db, self.standin.guild_id, self.who.id)

    def card(self, application_id: int) -> SentMessage:
        return next(m for m in self.standin.messages_in(self.gate.review)
                    if m.embeds and m.embeds[0].get("title", "").startswith(f"Application #{application_id}:"))

    async def ask(self, application_id: int, question: str) -> applications.Question | None:
        opened = await self.standin.click(self.card(application_id), f"gate:ask:{application_id}",
                                          user=self.standin.moderator)
        assert opened.modal is not None
        if not typed("text", question):
            return None
        done = await self.standin.submit_modal(opened.modal.custom_id, {"text": typed("text", question)},
                                               user=self.standin.moderator)
        asked = await applications.questions_for(self.bot.db, application_id)
        if not asked:
            assert_refused_clearly(done, ("question", question))
            return None
        assert "Question sent" in done.text, done.text
        return asked[-1]

    async def reply(self, question: applications.Question, answer: str) -> applications.Question:
        dm = self.standin.dms_to(self.who)[-1]
        assert_escaped(dm.content.split("\n> ", 1)[1].rsplit("\n\nPress **Reply**", 1)[0], ("question", question))
        opened = await self.standin.click(dm, f"gate:reply:{question.id}", user=self.who)
        assert opened.modal is not None
        if typed("answer", answer):
            done = await self.standin.submit_modal(opened.modal.custom_id, {"answer": typed("answer", answer)},
                                                   user=self.who)
            answered = await applications.get_question(self.bot.db, question.id)
            if answered.answer is None:
                assert_refused_clearly(done, ("answer", answer))
            else:
                assert "passed on" in done.text and answered.answer == clean(answer, "answer")
            return answered
        return question

    async def reject(self, application_id: int, reason: str) -> applications.Application:
        """Reject with ``reason``, or with a plain one if the reviewer's text is refused."""
        for text in (reason, "Not this time."):
            opened = await self.standin.click(self.card(application_id), f"gate:reject:{application_id}",
                                              user=self.standin.moderator)
            assert opened.modal is not None
            if not typed("text", text):
                continue
            done = await self.standin.submit_modal(opened.modal.custom_id, {"text": typed("text", text)},
                                                   user=self.standin.moderator)
            decided = await applications.get_application(self.bot.db, application_id)
            if decided.status == applications.REJECTED:
                assert "Rejected" in done.text and decided.decision_reason == clean(text, "text")
                return decided
            assert_refused_clearly(done, ("reason", text))
        raise AssertionError("the application could not be rejected")


def clean(text: str, field: str) -> str:
    return typed(field, text).replace("\x00", "").strip()


async def test_any_text_in_the_application_forms_is_shown_escaped_or_refused(standin: StandIn,
                                                                             bot: CohortBot) -> None:
    # Every step below answers the interaction last, so the stand-in need not wait for the bot to settle (this
    # keeps some 400 interactions within a few seconds).
    standin.settle_delay = 0
    gate = await set_up_gate(standin, bot, reapply_cooldown_days=0)
    who, _ = await join(standin, gate, "quinn")
    first_request = len(standin.requests)  # the welcome pings the newcomer on purpose; nothing after it may
    applicant = Applicant(standin, bot, gate, who)
    role = await standin.add_role("Pingable")
    texts = [e.format(role=role.id, user=standin.bob.id) for e in EDGE_CASES] + drawn(ANY_TEXT, 20)
    shown = refused = replies = 0
    for text in texts:
        for answers in ({"topics": text, "background": text, "goals": text}, {"hours": text}, {"link": text}):
            sent, application = await applicant.apply(**answers)
            if sent is None:
                continue
            if application is None:
                refused += 1
                assert_refused_clearly(sent, answers)
                continue
            shown += 1
            assert sent.ephemeral and "with the reviewers" in sent.text, (answers, sent.text)
            for field, value in answers.items():
                stored = {"topics": application.answers.topics_text, "background": application.answers.background,
                          "goals": application.answers.goals}.get(field)
                if stored is not None:
                    assert stored == clean(value, field), field
            card = fields_of(applicant.card(application.id))
            for name in ("Topics", "Background", "Wants to learn or build"):
                assert_escaped(card[name], (answers, name))
            link = application.answers.link
            assert card["Link"] == (f"<{link}>" if link else "none") and " " not in card["Link"]
            assert card["Hours per week"] == str(application.answers.hours_per_week)
            if "topics" in answers:
                question = await applicant.ask(application.id, text)
                if question is not None:
                    answered = await applicant.reply(question, text)
                    value = next(v for n, v in fields_of(applicant.card(application.id)).items()
                                 if n.startswith("Question from"))
                    asked_part, answer_part = value.removeprefix("**Q:** ").split("\n**A:** ", 1)
                    assert_escaped(asked_part, ("question", text))
                    if answered.answer is not None:
                        replies += 1
                        assert_escaped(answer_part, ("answer", text))
            decided = await applicant.reject(application.id, text)
            decision = fields_of(applicant.card(decided.id))["Decision"]
            assert_escaped(decision.split("\nReason: ", 1)[1], ("reason", text))
            dm = standin.dms_to(who)[-1].content
            assert_escaped(dm.split("said:\n> ", 1)[1].rsplit("\n\nYou can apply again", 1)[0], ("reason DM", text))
    assert shown and refused and replies  # each outcome and the reply path happened, so each was checked
    for log_entry in standin.messages_in(standin.mod_log):
        description = log_entry.embeds[0].get("description", "")
        for marker in ("\nReason: ", "\nQuestion: "):
            if marker in description:
                assert_escaped(description.split(marker, 1)[1], ("mod log", description))
    assert_no_pings(standin, first_request)
    standin.assert_clean()
