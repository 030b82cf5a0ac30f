"""What the gate shows: its settings, the review card, decision logs, the inactivity report and prunes.

A helper of ``cogs/gate.py``: pure rendering (values in, embeds out); it imports nothing from the cog.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.gate.applications import Application, Question
from bot.gate.config import GateConfig
from bot.gate.inactivity import InactiveMember, InactivityReport, Prune
from bot.gate.scoring import account_age
from bot.text import counted
from bot.ui.render import (
    COLOUR,
    COLOUR_BAD,
    COLOUR_OK,
    COLOUR_WARN,
    EMBED_DESCRIPTION,
    FIELD_VALUE,
    cut,
    safe,
    when,
)

EMBED_TOTAL = 6000
REPORT_PER_PAGE = 15
PRUNE_LIST_SHOWN = 60


# Settings --------------------------------------------------------------------------------------
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
