"""Answering sessions on Discord (the command, the card's buttons, the waitlist offer) and telling
members about what changed. Capacity, the waitlist and promotions are decided in ``bot.sessions.rsvp``.

A helper of ``cogs/sessions.py``: it imports nothing from the cog.
"""

from __future__ import annotations

import logging

import discord

from bot.claims import DeliveryFailed
from bot.core import CohortBot
from bot.sessions import rsvp, store
from bot.sessions.model import RsvpResult, RsvpStatus, Session, SessionFull
from bot.ui.checks import guild_member
from bot.ui.render import NO_PINGS, safe
from bot.ui.render import when as timestamp
from cogs._sessions_cards import waitlist_view
from cogs._sessions_discord import SessionMessenger

log = logging.getLogger("bot.sessions")
ANSWER_TEXT = {RsvpStatus.GOING: "You are going", RsvpStatus.MAYBE: "You might come",
               RsvpStatus.NO: "You can't come", RsvpStatus.WAITLIST: "You are on the waitlist"}


class SessionAnswers:
    """Members' answers and the notices that follow changes."""

    def __init__(self, bot: CohortBot, messenger: SessionMessenger) -> None:
        self.bot = bot
        self.messenger = messenger

    async def answer(self, interaction: discord.Interaction, session_id: int, status: RsvpStatus) -> None:
        """``/session rsvp``: answer, or be offered the waitlist when the session is full."""
        member = guild_member(interaction)
        session = await store.get_session(self.bot.db, member.guild.id, session_id)
        try:
            result = await rsvp.answer(self.bot.db, self.bot.clock, session, member.id, status)
        except SessionFull as full:
            await self.offer_waitlist(interaction, full)
            return
        await interaction.response.send_message(self.answer_text(result), ephemeral=True, allowed_mentions=NO_PINGS)
        await self.after_answer(result, refresh_card=True)

    async def answer_from_button(self, interaction: discord.Interaction, session_id: int, answer: str) -> None:
        """A Going/Maybe/Can't button on a card, or "Join the waitlist" on the offer."""
        member = guild_member(interaction)
        session = await store.get_session(self.bot.db, member.guild.id, session_id)
        status = RsvpStatus(answer)
        try:
            result = await rsvp.answer(self.bot.db, self.bot.clock, session, member.id, status,
                                       join_waitlist=status is RsvpStatus.WAITLIST)
        except SessionFull as full:
            await self.offer_waitlist(interaction, full)
            return
        if status is RsvpStatus.WAITLIST:  # clicked in the ephemeral offer: answer there, update the card
            await interaction.response.edit_message(content=self.answer_text(result), view=None)
            await self.after_answer(result, refresh_card=True)
            return
        embed, view = await self.messenger.render(result.session)
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_PINGS)
        await interaction.followup.send(self.answer_text(result), ephemeral=True, allowed_mentions=NO_PINGS)
        await self.after_answer(result, refresh_card=False)

    @staticmethod
    async def offer_waitlist(interaction: discord.Interaction, full: SessionFull) -> None:
        """Not an error to hide: the reply offers the waitlist (or says where in line the member is)."""
        view = waitlist_view(full.session.id) if full.position is None else discord.utils.MISSING
        await interaction.response.send_message(full.message, view=view, ephemeral=True, allowed_mentions=NO_PINGS)

    def answer_text(self, result: RsvpResult) -> str:
        title = safe(result.session.title, 100)
        if result.status is RsvpStatus.WAITLIST:
            return f"{ANSWER_TEXT[result.status]} for **{title}**: number {result.waitlist_position} in line."
        prefix = ANSWER_TEXT[result.status] if result.changed else f"No change: {ANSWER_TEXT[result.status].lower()}"
        return f"{prefix} to **{title}** ({timestamp(result.session.starts_at, 'F')})."

    async def after_answer(self, result: RsvpResult, *, refresh_card: bool) -> None:
        if refresh_card and result.changed:
            await self.messenger.refresh_card(result.session)
        await self.tell_promoted(result.session, result.promoted)

    async def tell_promoted(self, session: Session, promoted: tuple[int, ...]) -> None:
        if not promoted:
            return
        text = (f"🎉 A place freed up: you are now going to **{safe(session.title, 100)}** "
                f"({timestamp(session.starts_at, 'F')}, session #{session.id}).")
        await self.tell(session, list(promoted), text)

    async def tell(self, session: Session, user_ids: list[int], text: str) -> bool:
        """Tell members about a change; the change stands even if Discord refuses the notice."""
        try:
            await self.messenger.notify(session, user_ids, text)
        except DeliveryFailed as error:
            log.warning("session %s: could not tell members: %s", session.id, error)
            return False
        return True
