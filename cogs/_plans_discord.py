"""Plans talking to Discord: the week card with its thread, catch-up cards, check-in calls, reminders.

``PlanMessenger`` is the :class:`bot.plans.jobs.Notifier` the weekly jobs call. Every message pings
nobody, except the grouped deadline reminder, which mentions exactly the members it reminds.
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord

from bot.claims import DeliveryFailed
from bot.clock import from_db
from bot.core import CohortBot
from bot.plans import posts, store
from bot.plans.jobs import Where
from bot.plans.posts import Posted
from bot.plans.store import Item, Plan, Unit
from bot.ui.render import NO_PINGS, cut, safe
from bot.ui.sending import DMS_CLOSED, mention_chunks
from cogs._plans_cards import catch_up_embed, checkin_call_text, deadline_text, week_embed, week_name
from cogs._plans_views import checkin_view, done_view

log = logging.getLogger("bot.plans")


class PlanMessenger:
    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot

    def _channel(self, plan: Plan, channel_id: int | None = None) -> discord.PartialMessageable:
        target = channel_id or plan.channel_id
        if target is None:
            raise DeliveryFailed(f"plan {plan.id} has no channel")
        return self.bot.get_partial_messageable(target, guild_id=plan.guild_id)

    async def week_card(self, plan: Plan, unit: Unit, items: list[Item]) -> Posted:
        """Post the week's card with its "Mark done" menu, then open its discussion thread."""
        view = done_view(unit, items) if items else discord.utils.MISSING
        try:
            message = await self._channel(plan).send(
                embed=week_embed(plan, unit, items, posted_at=self.bot.clock.now()), view=view,
                allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post the week card in <#{plan.channel_id}>: {error}") from error
        thread_id = None
        try:
            # 10080 minutes (a week) is the longest Discord lets a quiet thread stay open
            thread = await message.create_thread(name=week_name(unit), auto_archive_duration=10080,
                                                 reason=f"Study plan {plan.slug}, week {unit.number}")
            thread_id = thread.id
        except discord.HTTPException as error:  # the card stands; follow-ups go to the channel
            log.warning("plan %s: could not open the thread for week %s: %s", plan.id, unit.number, error)
        return Posted(message.channel.id, message.id, thread_id)

    async def refresh_cards(self, plan: Plan) -> None:
        """After a re-import, the weeks already posted show the items as they are now: their cards and
        "Mark done" menus are redrawn (a card Discord no longer has is left alone)."""
        for unit in await store.units(self.bot.db, plan.id):
            card = await posts.card_of_unit(self.bot.db, unit.id)
            if card is None or not card["channel_id"] or not card["message_id"]:
                continue
            items = await store.items(self.bot.db, plan.id, unit_id=unit.id)
            view = done_view(unit, items) if items else None
            try:
                await self.bot.get_partial_messageable(card["channel_id"], guild_id=plan.guild_id).get_partial_message(
                    card["message_id"]).edit(embed=week_embed(plan, unit, items, posted_at=from_db(card["sent_at"])),
                                             view=view, allowed_mentions=NO_PINGS)
            except discord.HTTPException as error:
                log.warning("plan %s: could not update the card of week %s: %s", plan.id, unit.number, error)

    async def catch_up(self, plan: Plan, units: list[Unit], items: list[Item]) -> Posted:
        try:
            message = await self._channel(plan).send(embed=catch_up_embed(plan, units, items),
                                                     allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post the catch-up card: {error}") from error
        return Posted(message.channel.id, message.id)

    async def checkin_call(self, plan: Plan, unit: Unit, where: Where) -> Posted:
        try:
            message = await self._channel(plan, where.target).send(
                content=checkin_call_text(plan, unit), view=checkin_view(unit), allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post the check-in call: {error}") from error
        return Posted(message.channel.id, message.id)

    async def deadline_in_thread(self, plan: Plan, unit: Unit, items: list[Item], due_at: datetime,
                                 user_ids: list[int], where: Where) -> Posted:
        """One message naming the items, mentioning exactly the members who have not done them (split
        only when the mentions do not fit in one message)."""
        channel = self._channel(plan, where.target)
        first: discord.Message | None = None
        try:
            for chunk in mention_chunks(user_ids):
                pings = " ".join(f"<@{user_id}>" for user_id in chunk)
                message = await channel.send(
                    content=deadline_text(plan, items, due_at, mentions=pings),
                    allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                                             users=[discord.Object(u) for u in chunk]))
                first = first or message
        except discord.HTTPException as error:
            raise DeliveryFailed(f"cannot post the deadline reminder: {error}") from error
        return Posted(first.channel.id if first else where.target, first.id if first else None)

    async def deadline_by_dm(self, plan: Plan, unit: Unit, items: list[Item], due_at: datetime,
                             user_id: int) -> bool:
        text = cut(f"{deadline_text(plan, items, due_at)}\n(Week {unit.number} · {safe(unit.title, 150)}; "
                   "`/plan remind dm:False` moves these reminders to the week's thread.)", 2000)
        try:
            dm = await self.bot.create_dm(discord.Object(user_id))
            await dm.send(content=text, allowed_mentions=NO_PINGS)
        except discord.Forbidden as error:
            level = logging.INFO if error.code == DMS_CLOSED else logging.WARNING
            log.log(level, "plan %s: DM to member %s refused (%s); reminding them in the thread", plan.id, user_id,
                    error)
            return False
        except discord.HTTPException as error:
            log.warning("plan %s: DM to member %s failed (%s); reminding them in the thread", plan.id, user_id, error)
            return False
        return True

    async def post_checkin(self, plan: Plan, where: Where, embed: discord.Embed, *,
                           replace: int | None = None) -> int | None:
        """A member's check-in card in the week's thread (editing their earlier one this week, if any);
        its message id, or None if Discord refused."""
        try:
            channel = self._channel(plan, where.target)
            if replace is not None:
                try:
                    await channel.get_partial_message(replace).edit(embed=embed, allowed_mentions=NO_PINGS)
                    return replace
                except discord.NotFound:
                    pass  # deleted since: post it anew
            message = await channel.send(embed=embed, allowed_mentions=NO_PINGS)
        except (discord.HTTPException, DeliveryFailed) as error:
            log.warning("plan %s: could not post a check-in: %s", plan.id, error)
            return None
        return message.id

    async def remove_checkin(self, plan: Plan, where: Where, message_id: int) -> None:
        """Take a public check-in card down (the member made this week's check-in private)."""
        try:
            await self._channel(plan, where.target).get_partial_message(message_id).delete()
        except (discord.HTTPException, DeliveryFailed) as error:
            log.info("plan %s: could not delete check-in card %s: %s", plan.id, message_id, error)
