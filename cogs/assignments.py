"""/assignment: organisers create and close assignments; everyone lists and reads them."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_config, topics
from bot.core import CohortBot
from bot.reviews import report, rounds, store
from bot.reviews.model import (
    DEFAULT_REVIEW_DAYS,
    DEFAULT_REVIEWERS,
    REVIEW_DAYS_MAX,
    REVIEWERS_MAX,
    Status,
    parse_rubric,
)
from bot.sessions import members
from bot.sessions.timeparse import parse_when
from bot.text import counted
from bot.ui.autocomplete import topic_autocomplete
from bot.ui.checks import guild_member, require_organiser
from bot.ui.render import COLOUR, FIELD_VALUE, NO_PINGS, cut, safe, when
from cogs._reviews_discord import absent_members
from cogs._reviews_ui import STATUS_TEXT, assignment_autocomplete, assignment_embed, link, reviews_cog

LIST_MAX = 20
LOADS_SHOWN = 20


@app_commands.guild_only()
class Assignments(commands.GroupCog, group_name="assignment"):
    """Assignments with peer review."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        super().__init__()

    async def _organiser(self, interaction: discord.Interaction) -> discord.Member:
        member = guild_member(interaction)
        config = await guild_config.get_config(self.bot.db, member.guild.id)
        return require_organiser(interaction, config.organizer_role_id)

    @app_commands.command(name="create")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.describe(
        title="What the assignment is called", due="When it is due: next friday 18:00, 2026-12-03 18:00",
        review_days=f"Days reviewers have to write their reviews (default {DEFAULT_REVIEW_DAYS})",
        reviewers=f"Reviewers per submission (default {DEFAULT_REVIEWERS})",
        rubric="Up to 5 criteria separated by ; (default: Problem framing; Design choices; Evaluation; Clarity)",
        topic="The topic it belongs to (its channel gets the card)",
        reveal_reviewers="Show authors who reviewed them (default: anonymous)",
        late="Accept late submissions, marked late (default: yes)")
    async def create(self, interaction: discord.Interaction, title: str, due: str,
                     review_days: app_commands.Range[int, 1, REVIEW_DAYS_MAX] = DEFAULT_REVIEW_DAYS,
                     reviewers: app_commands.Range[int, 1, REVIEWERS_MAX] = DEFAULT_REVIEWERS,
                     rubric: str | None = None, topic: str | None = None, reveal_reviewers: bool = False,
                     late: bool = True) -> None:
        """Create an assignment with peer review (organisers)."""
        member = await self._organiser(interaction)
        zone = await members.resolve_timezone(self.bot.db, member.guild.id, member.id, None)
        due_at = parse_when(due, zone, self.bot.clock.now())
        criteria = parse_rubric(rubric)
        found_topic = await topics.get_topic(self.bot.db, member.guild.id, topic) if topic else None
        channel_id = (found_topic.channel_id if found_topic else None) or interaction.channel_id
        assignment = await store.create_assignment(
            self.bot.db, self.bot.clock, guild_id=member.guild.id, title=title, due_at=due_at,
            review_days=review_days, reviewers=reviewers, rubric=criteria,
            topic_id=found_topic.id if found_topic else None, reveal_reviewers=reveal_reviewers, accept_late=late,
            created_by=member.id, channel_id=channel_id)
        await reviews_cog(interaction).jobs.sync(assignment.id)  # posts the card now, draws at the due time
        await interaction.response.send_message(
            f"Created **{safe(assignment.title, 200)}** (#{assignment.id}), due {when(due_at, 'F')} (read as "
            f"{zone}). Its card and thread go to <#{channel_id}>; reviewers are drawn at the due time, or with "
            "`/assignment close`.", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """List the server's assignments."""
        member = guild_member(interaction)
        found = await store.list_assignments(self.bot.db, member.guild.id, limit=LIST_MAX + 1)
        embed = discord.Embed(title="Assignments", colour=COLOUR)
        if not found:
            embed.description = "No assignments yet. Organisers create them with `/assignment create`."
        lines = [f"**#{a.id}** {safe(a.title, 100)} · due {when(a.due_at, 'f')} · {STATUS_TEXT[a.status]}"
                 for a in found[:LIST_MAX]]
        if lines:
            embed.description = cut("\n".join(lines), 4000)
        if len(found) > LIST_MAX:
            embed.set_footer(text=f"The {LIST_MAX} most recent; type in the assignment option to find others.")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show")
    @app_commands.autocomplete(assignment=assignment_autocomplete)
    @app_commands.describe(assignment="The assignment")
    async def show(self, interaction: discord.Interaction, assignment: str) -> None:
        """Show an assignment: due time, reviews, rubric, and your submission."""
        member = guild_member(interaction)
        found = await store.find_assignment(self.bot.db, member.guild.id, assignment)
        embed = assignment_embed(found, submissions=len(await store.submissions(self.bot.db, found.id)),
                                 has_reviewers=await store.has_reviewers(self.bot.db, found.id))
        mine = await store.submission_of(self.bot.db, found.id, member.id)
        embed.add_field(name="Your submission", value=link(mine.url, 1000) + (" · late" if mine.late else "")
                        if mine else "none yet: `/submit`", inline=False)
        todo = [r for r in await store.reviews_by(self.bot.db, found.id, member.id) if not r.done]
        if todo:
            embed.add_field(name="Your reviews to write", value=f"{len(todo)}: the buttons are in your DMs")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="status")
    @app_commands.autocomplete(assignment=assignment_autocomplete)
    @app_commands.describe(assignment="The assignment")
    async def status(self, interaction: discord.Interaction, assignment: str) -> None:
        """Who submitted, who was late, reviews done and pending per reviewer, as a CSV too (organisers)."""
        member = await self._organiser(interaction)
        found = await store.find_assignment(self.bot.db, member.guild.id, assignment)
        found_report = await report.status_report(self.bot.db, found)
        embed = discord.Embed(title=safe(f"Status: {found.title}", 256), colour=COLOUR)
        embed.add_field(name="Submitted", value=str(len(found_report.submissions)))
        embed.add_field(name="Late", value=str(found_report.late))
        embed.add_field(name="Reviews", value=f"{found_report.reviews_done} done · "
                        f"{len(found_report.reviews) - found_report.reviews_done} pending")
        if found.shortfall:
            embed.add_field(name="Missing reviewers", value=f"{counted(found.shortfall, 'place')}: volunteers take "
                            f"them with `/review volunteer assignment:{found.id}`", inline=False)
        names = {m.id: m.display_name for m in member.guild.members}
        loads = found_report.loads()
        lines = [f"{reviewer_label(load.user_id, names)}: {load.done} done · {load.pending} pending"
                 for load in loads[:LOADS_SHOWN]]
        if len(loads) > LOADS_SHOWN:
            lines.append(f"… +{len(loads) - LOADS_SHOWN} more in the CSV")
        embed.add_field(name="Per reviewer", value=cut("\n".join(lines), FIELD_VALUE) or "no reviewers yet",
                        inline=False)
        footer = f"Status: {STATUS_TEXT[found.status]}"
        if found.seed is not None:
            footer += f" · draw seed {found.seed}"
        embed.set_footer(text=footer)
        data = report.report_csv(found_report, names).encode("utf-8")
        file = discord.File(io.BytesIO(data), filename=f"assignment-{found.id}-status.csv")
        await interaction.response.send_message(embed=embed, file=file, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="close")
    @app_commands.autocomplete(assignment=assignment_autocomplete)
    @app_commands.describe(assignment="The assignment")
    async def close(self, interaction: discord.Interaction, assignment: str) -> None:
        """Draw the reviewers now, or, once reviewing, close the round (organisers)."""
        member = await self._organiser(interaction)
        found = await store.find_assignment(self.bot.db, member.guild.id, assignment)
        people = {s.user_id for s in await store.submissions(self.bot.db, found.id)}
        people |= set(await store.volunteers(self.bot.db, found.id))
        outcome = await rounds.close(self.bot.db, self.bot.clock, found,
                                     absent=absent_members(member.guild, people))
        closed = outcome.assignment
        cog = reviews_cog(interaction)
        await cog.jobs.sync(found.id)
        await cog.messenger.refresh_card(closed)
        name = f"**{safe(closed.title, 200)}**"
        if isinstance(outcome, rounds.RoundClosed):
            text = f"The review round of {name} is closed: no more reviews or submissions."
            if outcome.pending:
                text += f" {counted(outcome.pending, 'review')} still unwritten will not come."
            text += " Authors who had not heard yet get their results now."
        elif not outcome.submissions:
            text = (f"Nobody submitted to {name}, so there are no reviewers to draw. " + (
                "It takes no late work, so it is now closed." if closed.status is Status.CLOSED else
                "Late submissions are still taken and reviewed by each other and by volunteers; run "
                "`/assignment close` again to end it."))
        else:
            made, drawn = counted(outcome.submissions, "submission"), counted(len(outcome.draw.pairs), "review")
            due = when(closed.review_ends_at, "F") if closed.review_ends_at else "soon"
            text = (f"Reviewers for {name} are drawn: {made}, {drawn} (seed {closed.seed}). Reviewers are told now; "
                    f"reviews are due {due}. "
                    + ("Later submissions are still taken, marked late, and get reviewers at once. "
                       if closed.accept_late else "No more submissions are taken. ")
                    + "Run `/assignment close` again to end the round (late reviews count until then).")
            if outcome.set_aside:
                text += (f"\n{counted(outcome.set_aside, 'submission')} by members who left the server "
                         f"{'was' if outcome.set_aside == 1 else 'were'} set aside.")
            if outcome.draw.missing:
                text += (f"\n**Shortfall:** {counted(outcome.draw.missing, 'review place')} could not be filled with "
                         f"{counted(outcome.submissions, 'submitter')}; volunteers and organisers can take them with "
                         f"`/review volunteer assignment:{closed.id}`.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


def reviewer_label(user_id: int | None, members: dict[int, str]) -> str:
    """A reviewer as organisers read them: a mention, marked when they have left the server."""
    if user_id is None:
        return "a forgotten member"
    return f"<@{user_id}>" if user_id in members else f"<@{user_id}> (left the server)"


async def setup(bot: CohortBot) -> None:
    await bot.add_cog(Assignments(bot))
