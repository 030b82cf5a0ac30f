"""The gate's buttons and forms: they keep working after a restart, parse what was pressed or typed
and hand it to the running Gate cog, found by name and used through :class:`GateActions`.

A helper of ``cogs/gate.py``: it imports nothing from the cog (the cog imports it).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol, cast

import discord

from bot.errors import NotFound
from bot.gate import applications
from bot.gate.applications import Application
from bot.gate.drafts import TypedAnswers
from bot.gate.scoring import BACKGROUND_MAX, GOALS_MAX, HOURS_MAX_CHARS, LINK_MAX, TOPICS_MAX
from bot.tree import report_interaction_error
from bot.ui.render import cut


class GateActions(Protocol):
    """What the buttons and forms below ask of the Gate cog."""

    async def open_apply(self, interaction: discord.Interaction, guild_id: int) -> None: ...
    async def open_reply(self, interaction: discord.Interaction, question_id: int) -> None: ...
    async def submit_apply(self, interaction: discord.Interaction, guild_id: int, typed: TypedAnswers) -> None: ...
    async def review_pressed(self, interaction: discord.Interaction, action: str, application_id: int) -> None: ...
    async def submit_reject(self, interaction: discord.Interaction, application_id: int, reason: str) -> None: ...
    async def submit_question(self, interaction: discord.Interaction, application_id: int, text: str) -> None: ...
    async def submit_reply(self, interaction: discord.Interaction, question_id: int, answer: str) -> None: ...
    async def prune_pressed(self, interaction: discord.Interaction, action: str, prune_id: int) -> None: ...


def gate_actions(interaction: discord.Interaction) -> GateActions:
    """The running Gate cog, which the buttons and modals below hand their work to."""
    cog = interaction.client.get_cog("Gate")  # type: ignore[attr-defined]
    if cog is None:
        raise NotFound("The membership gate is not running; try again in a moment.")
    return cast(GateActions, cog)


# Buttons that keep working after a restart (DynamicItems) ---------------------------------------
class ApplyButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"gate:apply:(?P<guild_id>\d+)"):
    """The Apply button under a welcome or a reminder; carries the guild so it also works in DMs."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(discord.ui.Button(label="Apply", style=discord.ButtonStyle.success,
                                           custom_id=f"gate:apply:{guild_id}"))
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ApplyButton:
        return cls(int(match["guild_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await gate_actions(interaction).open_apply(interaction, self.guild_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"gate:(?P<action>approve|reject|ask):(?P<id>\d+)"):
    """Approve, Reject or Ask on a review card."""

    STYLES: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "approve": ("Approve", discord.ButtonStyle.success),
        "reject": ("Reject", discord.ButtonStyle.danger),
        "ask": ("Ask", discord.ButtonStyle.secondary),
    }

    def __init__(self, action: str, application_id: int) -> None:
        label, style = self.STYLES[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"gate:{action}:{application_id}"))
        self.action = action
        self.application_id = application_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ReviewButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await gate_actions(interaction).review_pressed(interaction, self.action, self.application_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class ReplyButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"gate:reply:(?P<id>\d+)"):
    """Under a reviewer's question in the applicant's DMs."""

    def __init__(self, question_id: int) -> None:
        super().__init__(discord.ui.Button(label="Reply", style=discord.ButtonStyle.primary,
                                           custom_id=f"gate:reply:{question_id}"))
        self.question_id = question_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ReplyButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await gate_actions(interaction).open_reply(interaction, self.question_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


class PruneButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                  template=r"gate:(?P<action>confirm|cancel):(?P<id>\d+)"):
    """Confirm or Cancel under a prune list; only the invoker, within five minutes (checked in the database)."""

    def __init__(self, action: str, prune_id: int) -> None:
        label, style = (("Confirm", discord.ButtonStyle.danger) if action == "confirm"
                        else ("Cancel", discord.ButtonStyle.secondary))
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"gate:{action}:{prune_id}"))
        self.action = action
        self.prune_id = prune_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> PruneButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await gate_actions(interaction).prune_pressed(interaction, self.action, self.prune_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


def apply_view(guild_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ApplyButton(guild_id))
    return view


def review_view(application: Application) -> discord.ui.View | None:
    if application.status != applications.OPEN:
        return None
    view = discord.ui.View(timeout=None)
    for action in ("approve", "reject", "ask"):
        view.add_item(ReviewButton(action, application.id))
    return view


def reply_view(question_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReplyButton(question_id))
    return view


def prune_view(prune_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PruneButton("confirm", prune_id))
    view.add_item(PruneButton("cancel", prune_id))
    return view


# Modals (Discord: title <= 45, label <= 45, <= 5 inputs, value <= 4000) ---------------------------
def text_input(custom_id: str, label: str, max_length: int, *, paragraph: bool = False, required: bool = True,
               placeholder: str | None = None, default: str | None = None) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(custom_id=custom_id, label=cut(label, 45), max_length=max_length, required=required,
                                placeholder=cut(placeholder, 100) if placeholder else None,
                                default=default[:max_length] if default else None,
                                style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short)


class ApplyModal(discord.ui.Modal):
    """The application form; opened again after a refusal, it holds what was typed (the draft)."""

    def __init__(self, guild_id: int, guild_name: str, draft: TypedAnswers | None = None) -> None:
        super().__init__(title=cut(f"Apply to {guild_name}", 45), timeout=1800)
        self.guild_id = guild_id
        typed = draft or TypedAnswers(topics="", background="", goals="", hours="", link="")
        self.topics = text_input("topics", "Topics of interest (comma-separated)", TOPICS_MAX,
                                 placeholder="e.g. mlops, rust, linear algebra", default=typed.topics)
        self.background = text_input("background", "Your background", BACKGROUND_MAX, paragraph=True,
                                     placeholder="What you have learned or worked on so far",
                                     default=typed.background)
        self.goals = text_input("goals", "What do you want to learn or build?", GOALS_MAX, paragraph=True,
                                default=typed.goals)
        self.hours = text_input("hours", "Hours per week you commit", HOURS_MAX_CHARS, placeholder="e.g. 6",
                                default=typed.hours)
        self.link = text_input("link", "GitHub or portfolio link (optional)", LINK_MAX, required=False,
                               placeholder="https://github.com/you", default=typed.link)
        for item in (self.topics, self.background, self.goals, self.hours, self.link):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            await gate_actions(interaction).submit_apply(interaction, self.guild_id, TypedAnswers(
                topics=self.topics.value, background=self.background.value, goals=self.goals.value,
                hours=self.hours.value, link=self.link.value))
        except Exception as error:
            await report_interaction_error(interaction, error)


class ReasonModal(discord.ui.Modal):
    """Reject (a reason) or Ask (a question): one paragraph for the applicant."""

    def __init__(self, action: str, application_id: int) -> None:
        title = "Reject" if action == "reject" else "Ask"
        super().__init__(title=f"{title} application #{application_id}"[:45], timeout=1800)
        self.action = action
        self.application_id = application_id
        label = "Reason (sent to the applicant)" if action == "reject" else "Question (sent to the applicant)"
        self.text = text_input("text", label, applications.REASON_MAX, paragraph=True)
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            cog = gate_actions(interaction)
            if self.action == "reject":
                await cog.submit_reject(interaction, self.application_id, self.text.value)
            else:
                await cog.submit_question(interaction, self.application_id, self.text.value)
        except Exception as error:
            await report_interaction_error(interaction, error)


class ReplyModal(discord.ui.Modal):
    def __init__(self, question_id: int, question: str) -> None:
        super().__init__(title="Reply to the reviewers", timeout=1800)
        self.question_id = question_id
        one_line = " ".join(question.split())  # a label is a single line
        self.answer = text_input("answer", f"Q: {one_line}", applications.ANSWER_MAX, paragraph=True,
                                 placeholder=one_line)
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            await gate_actions(interaction).submit_reply(interaction, self.question_id, self.answer.value)
        except Exception as error:
            await report_interaction_error(interaction, error)
