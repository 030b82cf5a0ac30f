"""What the gate looks like on Discord: buttons, forms, cards, checks of what the bot may do, DMs.

A private helper of ``cogs/gate.py`` (the leading underscore keeps it from loading as an extension).
Buttons and forms only parse what was pressed or typed and hand it to the Gate cog.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands

from bot.errors import NotFound
from bot.gate import applications
from bot.gate.applications import Application, Question
from bot.gate.config import GateConfig
from bot.gate.drafts import TypedAnswers
from bot.gate.inactivity import InactiveMember, InactivityReport, Prune
from bot.gate.scoring import BACKGROUND_MAX, GOALS_MAX, HOURS_MAX_CHARS, LINK_MAX, TOPICS_MAX, account_age
from bot.text import counted
from bot.tree import report_interaction_error
from bot.ui.render import (
    COLOUR,
    COLOUR_BAD,
    COLOUR_OK,
    COLOUR_WARN,
    EMBED_DESCRIPTION,
    FIELD_VALUE,
    NO_PINGS,
    cut,
    safe,
    when,
)

if TYPE_CHECKING:
    from cogs.gate import Gate

log = logging.getLogger("cogs.gate")

DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user"
EMBED_TOTAL = 6000
REPORT_PER_PAGE = 15
PRUNE_LIST_SHOWN = 60


def gate_cog(interaction: discord.Interaction) -> Gate:
    """The running Gate cog, which the buttons and modals below hand their work to."""
    from cogs import gate  # at call time: cogs.gate imports this module

    cog = interaction.client.get_cog("Gate")  # type: ignore[attr-defined]
    if not isinstance(cog, gate.Gate):
        raise NotFound("The membership gate is not running; try again in a moment.")
    return cog


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
            await gate_cog(interaction).open_apply(interaction, self.guild_id)
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
            await gate_cog(interaction).review_pressed(interaction, self.action, self.application_id)
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
            await gate_cog(interaction).open_reply(interaction, self.question_id)
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
            await gate_cog(interaction).prune_pressed(interaction, self.action, self.prune_id)
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
            await gate_cog(interaction).submit_apply(interaction, self.guild_id, TypedAnswers(
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
            cog = gate_cog(interaction)
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
            await gate_cog(interaction).submit_reply(interaction, self.question_id, self.answer.value)
        except Exception as error:
            await report_interaction_error(interaction, error)


# Who may do what -------------------------------------------------------------------------------
def is_moderator(permissions: discord.Permissions) -> bool:
    """Moderators review applications, run reports and are exempt from the mention rule."""
    return (permissions.administrator or permissions.manage_guild or permissions.kick_members
            or permissions.manage_roles or permissions.moderate_members)


def require_moderator(interaction: discord.Interaction) -> discord.Member:
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise app_commands.NoPrivateMessage()
    if not is_moderator(interaction.permissions):
        raise app_commands.MissingPermissions(["kick_members"])
    return interaction.user


def role_problem(guild: discord.Guild, role: discord.Role | None, what: str) -> str | None:
    """Why the bot cannot hand out or take away ``role``, with the fix; None when it can."""
    if role is None:
        return f"The {what} no longer exists: run `/gate setup` again with an existing role."
    me = guild.me
    if role.managed or role.is_default():
        return f"{role.mention} ({what}) is managed by Discord or an integration: pick a normal role in `/gate setup`."
    if role >= me.top_role:
        return (f"My highest role ({me.top_role.mention}) is not above {role.mention} ({what}): in Server Settings → "
                f"Roles, drag {me.top_role.mention} above {role.mention}.")
    return None


def channel_problems(channel: discord.abc.GuildChannel | None, what: str, *, files: bool = False) -> list[str]:
    if channel is None:
        return [f"The {what} no longer exists: run `/gate setup` again with an existing channel."]
    me = channel.guild.me
    allowed = channel.permissions_for(me)
    needed = [("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("embed_links", "Embed Links")]
    if files:
        needed.append(("attach_files", "Attach Files"))
    missing = [label for name, label in needed if not getattr(allowed, name)]
    if not missing:
        return []
    return [f"I cannot post in {channel.mention} ({what}): give my role **{', '.join(missing)}** there "
            "(channel settings → Permissions)."]


def setup_problems(guild: discord.Guild, config: GateConfig, *, mod_log_channel_id: int | None,
                   content_intent: bool) -> list[str]:
    """Everything that stops the gate from working here, each with its fix."""
    problems: list[str] = []
    me = guild.me
    for role_id, what in ((config.newcomer_role_id, "newcomer role"), (config.member_role_id, "member role")):
        problem = role_problem(guild, guild.get_role(role_id), what)
        if problem:
            problems.append(problem)
    granted = me.guild_permissions
    for name, label in (("manage_roles", "Manage Roles"), ("kick_members", "Kick Members")):
        if not getattr(granted, name):
            problems.append(f"I am missing **{label}**: Server Settings → Roles → {me.top_role.mention} → "
                            f"Permissions → turn on {label}.")
    problems += channel_problems(guild.get_channel(config.review_channel_id), "review channel")
    if config.welcome_channel_id is not None:
        problems += channel_problems(guild.get_channel(config.welcome_channel_id), "welcome channel")
    if mod_log_channel_id is None:
        problems.append("No mod-log channel, so decisions are not logged: set one with `/config channel mod_log`.")
    else:
        problems += channel_problems(guild.get_channel(mod_log_channel_id), "mod-log channel")
    if config.antispam_enabled and content_intent:
        for name, label in (("manage_messages", "Manage Messages"), ("moderate_members", "Timeout Members")):
            if not getattr(granted, name):
                problems.append(f"The anti-spam needs **{label}**: Server Settings → Roles → {me.top_role.mention} "
                                f"→ Permissions → turn on {label}.")
    return problems


def antispam_state(config: GateConfig, content_intent: bool) -> str:
    if not content_intent:
        return ("**Off**: I run without the message content intent, so I cannot read links. Turn on MESSAGE "
                "CONTENT INTENT in the developer portal (your app → Bot) and set `MESSAGE_CONTENT_INTENT=1`.")
    if not config.antispam_enabled:
        return "**Off** (turn it on with `/gate antispam enabled: True`)."
    return (f"**On**: newcomers' invite links or more than {config.antispam_max_links} links in their first "
            f"24 h are deleted; {config.antispam_max_mentions}+ mentions from non-moderators are deleted with "
            "a 10-minute timeout.")


def config_embed(config: GateConfig, problems: Sequence[str], *, content_intent: bool) -> discord.Embed:
    embed = discord.Embed(title="Membership gate", colour=COLOUR_BAD if problems else COLOUR_OK)
    embed.add_field(name="Roles", value=f"Newcomer <@&{config.newcomer_role_id}> → Member <@&{config.member_role_id}>")
    embed.add_field(name="Channels", value=f"Review <#{config.review_channel_id}>\nWelcome "
                    + (f"<#{config.welcome_channel_id}>" if config.welcome_channel_id else "by DM"))
    embed.add_field(name="Deadlines", inline=False, value=(
        f"Accounts younger than {config.min_account_age_days} days are flagged · apply within "
        f"{config.apply_within_days} days (then one reminder; "
        + ("kicked 3 days later" if config.kick_unapplied else "listed to reviewers 3 days later")
        + f") · re-apply {config.reapply_cooldown_days} days after a rejection · inactive after "
        f"{config.inactive_days} days"))
    rules = config.scoring
    embed.add_field(name="Score rules", inline=False, value=(
        f"Background and goals ≥ {rules.answer_min_chars} characters: +{rules.answer_points} each · "
        f"≥ {rules.hours_threshold} h/week: +{rules.hours_points} · a server topic: +{rules.topic_points} · "
        f"account ≥ {rules.account_age_days} days: +{rules.account_age_points} · link: +{rules.link_points} "
        f"(max {rules.maximum}). Auto-approve: "
        + (f"**on**, at {rules.approve_threshold} or more" if config.auto_approve else "off")))
    embed.add_field(name="Anti-spam", value=antispam_state(config, content_intent), inline=False)
    embed.add_field(name="Membership screening", inline=False,
                    value="Works with or without Discord's screening and onboarding: I welcome people once "
                          "they have passed them.")
    checks = "\n".join(f"❌ {p}" for p in problems) if problems else "✅ I can do everything the gate needs."
    embed.add_field(name="Checks", value=checks[:FIELD_VALUE], inline=False)
    embed.set_footer(text="Set up")  # Discord shows the timestamp after it, in each reader's own time
    embed.timestamp = config.configured_at
    return embed


# Applications ----------------------------------------------------------------------------------
STATUS_COLOURS = {"open": COLOUR, "approved": COLOUR_OK, "rejected": COLOUR_BAD, "withdrawn": COLOUR_WARN}


def review_card(application: Application, *, applicant: str, topic_names: Sequence[str],
                questions: Sequence[Question], min_account_age_days: int, note: str | None = None) -> discord.Embed:
    """The card reviewers decide on: answers, the score with every reason, questions and the outcome."""
    answers = application.answers
    embed = discord.Embed(title=safe(f"Application #{application.id}: {applicant}", 256),
                          colour=STATUS_COLOURS.get(application.status, COLOUR))
    reasons = "\n".join(f"{'✅' if r.met else '❌'} {safe(r.detail, 200)}: +{r.points if r.met else 0}"
                        for r in application.score_reasons)
    maximum = sum(r.points for r in application.score_reasons)
    embed.description = f"<@{application.user_id}>\n**Score {application.score}/{maximum}**\n{reasons}"
    account_days = max((application.submitted_at - application.account_created_at).days, 0)  # clocks differ
    if account_days < min_account_age_days:
        embed.description += (f"\n⚠️ **New account**: {account_age(account_days)} "
                              f"(younger than {counted(min_account_age_days, 'day')}).")
    embed.description = embed.description[:EMBED_DESCRIPTION]
    chosen = ", ".join(safe(name, 100) for name in topic_names)
    embed.add_field(name="Topics", inline=False,  # many long topic names can outgrow a field
                    value=cut(safe(answers.topics_text, 600) + (f"\nMatched: {chosen}" if chosen else ""), FIELD_VALUE))
    embed.add_field(name="Background", value=safe(answers.background, FIELD_VALUE), inline=False)
    embed.add_field(name="Wants to learn or build", value=safe(answers.goals, FIELD_VALUE), inline=False)
    embed.add_field(name="Hours per week", value=str(answers.hours_per_week))
    embed.add_field(name="Link", value=f"<{answers.link}>" if answers.link else "none")
    embed.add_field(name="Account created", value=when(application.account_created_at, "D"))
    for question in list(questions)[-3:]:
        answer = safe(question.answer, 450) if question.answer else (
            "*waiting for a reply*" if question.dm_delivered else "*not delivered: DMs closed; they see it on /apply*")
        embed.add_field(name=f"Question from a reviewer ({when(question.asked_at, 'd')})"[:256],
                        value=f"**Q:** {safe(question.question, 450)}\n**A:** {answer}"[:FIELD_VALUE], inline=False)
    if application.status != "open":
        who = f" by <@{application.decided_by}>" if application.decided_by else ""
        moment = f" {when(application.decided_at, 'f')}" if application.decided_at else ""
        outcome = f"**{application.status.capitalize()}**{who}{moment}"
        if application.decision_reason:
            outcome += f"\nReason: {safe(application.decision_reason, 700)}"
        embed.add_field(name="Decision", value=outcome[:FIELD_VALUE], inline=False)
    if note:
        embed.add_field(name="Note", value=note[:FIELD_VALUE], inline=False)
    embed.set_footer(text=f"Applicant id {application.user_id} · submitted")  # then the timestamp, in local time
    embed.timestamp = application.submitted_at
    return fit(embed)


def fit(embed: discord.Embed) -> discord.Embed:
    """Drop fields from the middle until the embed is within Discord's 6000-character total."""
    while len(embed) > EMBED_TOTAL and len(embed.fields) > 1:
        embed.remove_field(len(embed.fields) // 2)
    return embed


def decision_log(application: Application, *, applicant: str, action: str, by: int, detail: str = "") -> discord.Embed:
    embed = discord.Embed(title=safe(f"Application #{application.id} {action}", 256),
                          colour=STATUS_COLOURS.get(application.status, COLOUR))
    maximum = sum(r.points for r in application.score_reasons)  # as the review card shows it
    embed.description = (f"Applicant: <@{application.user_id}> ({safe(applicant, 100)})\nDecided by: <@{by}>\n"
                         f"Score: {application.score}/{maximum}"
                         + (f"\n{detail}" if detail else ""))[:EMBED_DESCRIPTION]
    return embed


# Inactivity --------------------------------------------------------------------------------------
def report_line(index: int, member: InactiveMember) -> str:
    since = member.last_active.isoformat() + ("" if member.last_participation else " (joined/installed)")
    t = member.totals
    return (f"`{index}.` <@{member.user_id}> · last active {since} · {t.messages} msgs · {t.resources_shared} "
            f"shared · {t.upvotes_received} upvotes · {t.sessions_attended} sessions")


def report_embed(report: InactivityReport, page: int, pages: int, *, title: str = "Inactivity report") -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR_WARN if report.members else COLOUR_OK)
    head = (f"{len(report.members)} of {report.checked} members have not taken part for more than {report.days} "
            f"days (nothing since {report.cutoff.isoformat()}). This is a dry run: nothing changes.")
    lines = []
    start = page * REPORT_PER_PAGE
    for index, member in enumerate(report.members[start:start + REPORT_PER_PAGE], start=start + 1):
        lines.append(report_line(index, member))
    embed.description = (head + "\n\n" + ("\n".join(lines) or "Everyone has taken part recently."))[:EMBED_DESCRIPTION]
    embed.set_footer(text=f"Page {page + 1}/{pages} · {len(report.members)} inactive · the CSV has everyone")
    return embed


def prune_embed(prune: Prune, *, result: str | None = None) -> discord.Embed:
    verb = "Demote" if prune.action == "demote" else "Kick"
    colour = {"pending": COLOUR_WARN, "done": COLOUR_OK}.get(prune.status, COLOUR_BAD)
    embed = discord.Embed(title=f"{verb} {counted(len(prune.targets), 'member')} inactive for more than "
                                f"{prune.days} days", colour=colour)
    lines = [f"<@{t.user_id}> · last active {t.last_active.isoformat()}" + (f" → {t.outcome}" if t.outcome else "")
             for t in prune.targets[:PRUNE_LIST_SHOWN]]
    if len(prune.targets) > PRUNE_LIST_SHOWN:
        lines.append(f"…and {len(prune.targets) - PRUNE_LIST_SHOWN} more: the attached CSV has the exact list.")
    what = ("member role off, newcomer role on" if prune.action == "demote" else "removed from the server")
    header = {
        "pending": f"Only <@{prune.invoker_id}> can confirm, until {when(prune.expires_at, 'T')} "
                   f"({when(prune.expires_at, 'R')}). Each member gets a DM saying why and how to come back, "
                   f"and is {what}.",
        "running": "Working on it…",
        "done": f"Done, confirmed by <@{prune.invoker_id}>.",
        "cancelled": f"Cancelled by <@{prune.invoker_id}>; nothing changed.",
        "expired": "The confirmation expired; nothing changed. Run `/gate prune` again for a fresh list.",
    }[prune.status]
    embed.description = (header + (f"\n{result}" if result else "") + "\n\n" + "\n".join(lines))[:EMBED_DESCRIPTION]
    return embed


# Sending ---------------------------------------------------------------------------------------
def quoted(text: str | None, limit: int) -> str:
    """User text as a Discord block quote (every line of it), escaped and cut to ``limit``."""
    return cut("> " + safe(text).replace("\n", "\n> "), limit)


async def send_dm(user: discord.User | discord.Member, **kwargs: Any) -> bool:
    """DM a user; closed DMs (50007) are normal, so they are logged quietly and False is returned."""
    try:
        await user.send(allowed_mentions=NO_PINGS, **kwargs)
        return True
    except discord.Forbidden as error:
        if error.code == DMS_CLOSED:
            log.info("could not DM user %s: their DMs are closed", user.id)
        else:
            log.warning("could not DM user %s: %s", user.id, error)
        return False
    except discord.HTTPException as error:
        log.warning("could not DM user %s: %s", user.id, error)
        return False


async def post(channel: discord.abc.GuildChannel | discord.Thread | None, **kwargs: object) -> discord.Message | None:
    """Post to a guild channel if it exists and the bot may; a failure is logged, not raised."""
    if not isinstance(channel, discord.abc.Messageable):
        return None
    kwargs.setdefault("allowed_mentions", NO_PINGS)
    try:
        return await channel.send(**kwargs)  # type: ignore[call-overload, no-any-return]
    except discord.HTTPException as error:
        log.warning("could not post in channel %s: %s", getattr(channel, "id", "?"), error)
        return None
