"""Threads: Discord's thread rules, the THREAD_* gateway events and the thread REST routes.

Threads live in ``Guild.threads`` (``FakeThread``, a ``FakeChannel`` with a parent,
owner, metadata and members); channel routes (messages, edits, GET/PATCH/DELETE
``/channels/{id}``) work on them too.  The rules follow Discord:

- creating: Create Public Threads (types 10/11) or Create Private Threads (12) in the parent,
  types that fit the parent (announcement -> 10 only, text -> 11/12), one thread per message
  (400/160004); a thread without ``type`` is private, as in API v9/v10;
- seeing: a thread has its parent's permissions; a private thread is invisible (403/50001) to
  non-members without Manage Threads;
- sending: Send Messages in Threads (not Send Messages); an archived thread is unarchived by a
  message unless locked (400/50083 then, for non-moderators);
- members: adding needs Send Messages in Threads, for a private thread membership (or Manage
  Threads), and when it is not ``invitable`` its owner or Manage Threads; the added member must
  see the parent (403/50001); removing needs Manage Threads or ownership of a private thread.

Events reach the bot only for threads it can see: THREAD_CREATE (``newly_created``, ``member``
when the bot is in it), THREAD_UPDATE, THREAD_DELETE, THREAD_MEMBERS_UPDATE (other members'
changes need the GUILD_MEMBERS intent; the bot's own always arrive) and THREAD_MEMBER_UPDATE
when the bot joins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .state import (
    ANNOUNCEMENT,
    ANNOUNCEMENT_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    THREAD_STARTER_MESSAGE,
    VIEW_CHANNEL,
    ApiError,
    FakeChannel,
    FakeMember,
    FakeThread,
    Guild,
    SentMessage,
    ThreadMember,
    utcnow,
)

if TYPE_CHECKING:  # pragma: no cover
    from .core import StandIn
    from .server import ApiCall, RestApi

#: auto_archive_duration values Discord accepts (minutes).
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
#: Message flag set on a message a thread was started from.
HAS_THREAD = 1 << 5
#: Message type of the "started a thread" system message in the parent of a public thread.
THREAD_CREATED = 18


def thread_archived() -> ApiError:
    return ApiError(400, 50083, "Thread is archived")


def wrong_channel_type() -> ApiError:
    return ApiError(400, 50024, "Cannot execute action on this channel type")


class Threads:
    """Thread state changes (with their gateway events) and the thread REST handlers."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.world = standin.world

    # -- rules ---------------------------------------------------------------------

    @staticmethod
    def can_view(guild: Guild, member: FakeMember, channel: FakeChannel) -> bool:
        return bool(guild.permissions_in(member, channel) & VIEW_CHANNEL)

    def check_create(self, guild: Guild, actor: FakeMember, parent: FakeChannel, kind: int, *,
                     from_message: bool) -> None:
        """Raise Discord's error if ``actor`` may not start a thread of ``kind`` in ``parent``."""
        if not self.can_view(guild, actor, parent):
            raise ApiError.missing_access()
        allowed = {ANNOUNCEMENT: {ANNOUNCEMENT_THREAD}, TEXT: {PUBLIC_THREAD, PRIVATE_THREAD}}.get(parent.type, set())
        if kind not in allowed or (from_message and kind == PRIVATE_THREAD):
            raise wrong_channel_type()
        needed = "create_private_threads" if kind == PRIVATE_THREAD else "create_public_threads"
        if not guild.has(actor, needed, parent):
            raise ApiError.missing_permissions()
        if from_message and not guild.has(actor, "read_message_history", parent):
            raise ApiError.missing_permissions()

    def check_send(self, guild: Guild, actor: FakeMember, thread: FakeThread) -> None:
        """Send Messages in Threads; archived/locked rules."""
        if not guild.has(actor, "send_messages_in_threads", thread):
            raise ApiError.missing_permissions()
        moderator = guild.has(actor, "manage_threads", thread)
        if thread.locked and not moderator:
            raise thread_archived() if thread.archived else ApiError.missing_permissions()

    def check_add(self, guild: Guild, actor: FakeMember, thread: FakeThread, target: FakeMember) -> None:
        """May ``actor`` add ``target`` to ``thread``?"""
        if not self.can_view(guild, actor, thread):
            raise ApiError.missing_access()
        if thread.archived:
            raise thread_archived()
        if not guild.has(actor, "send_messages_in_threads", thread):
            raise ApiError.missing_permissions()
        moderator = guild.has(actor, "manage_threads", thread)
        if thread.is_private and not thread.invitable and not moderator and actor.id != thread.owner_id:
            raise ApiError.missing_permissions()
        if not self.can_view(guild, target, guild.channel(thread.parent)):
            raise ApiError.missing_access()

    def check_remove(self, guild: Guild, actor: FakeMember, thread: FakeThread, target_id: int) -> None:
        if not self.can_view(guild, actor, thread):
            raise ApiError.missing_access()
        if thread.archived:
            raise thread_archived()
        if target_id != actor.id and not guild.has(actor, "manage_threads", thread) and not (
            thread.is_private and actor.id == thread.owner_id
        ):
            raise ApiError.missing_permissions()
        if target_id not in thread.members:
            raise ApiError.unknown("Member")

    # -- state changes (each dispatches what Discord sends) ------------------------

    async def create(
        self,
        guild: Guild,
        parent: FakeChannel,
        creator: FakeMember,
        name: str,
        *,
        kind: int,
        auto_archive_duration: int = 1440,
        invitable: bool = True,
        rate_limit_per_user: int = 0,
        starter: SentMessage | None = None,
    ) -> FakeThread:
        """Create a thread (rules already checked) and dispatch its events."""
        if starter is not None and starter.payload.get("thread") is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        if auto_archive_duration not in ARCHIVE_DURATIONS:
            raise ApiError.field("auto_archive_duration", "BASE_TYPE_CHOICES",
                                 f"Value must be one of {ARCHIVE_DURATIONS}.")
        if not 1 <= len(name) <= 100:
            raise ApiError.field("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        thread = FakeThread(
            id=starter.id if starter is not None else self.world.ids(),  # a message's thread shares its id
            name=name,
            type=kind,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=creator.id,
            invitable=invitable if kind == PRIVATE_THREAD else True,
            auto_archive_duration=auto_archive_duration,
            rate_limit_per_user=rate_limit_per_user,
            starter_message_id=starter.id if starter is not None else None,
        )
        thread.members[creator.id] = ThreadMember(creator.id)
        guild.threads[thread.id] = thread
        await self.dispatch_thread("THREAD_CREATE", guild, thread, newly_created=True)
        await self.members_changed(guild, thread, added=[creator.id])
        if starter is not None:
            starter.payload["thread"] = thread.to_dict()
            starter.payload["flags"] = starter.flags | HAS_THREAD
            await self.standin.dispatch("MESSAGE_UPDATE", self.world.gateway_message(starter))
            reference = {"type": 0, "message_id": str(starter.id), "channel_id": str(parent.id),
                         "guild_id": str(guild.id)}
            await self._system_message(thread, creator, THREAD_STARTER_MESSAGE, "", {
                "message_reference": reference, "referenced_message": dict(starter.payload)})
        elif kind != PRIVATE_THREAD:
            reference = {"type": 0, "channel_id": str(thread.id), "guild_id": str(guild.id)}
            await self._system_message(parent, creator, THREAD_CREATED, name, {"message_reference": reference})
        return thread

    async def add_member(self, guild: Guild, thread: FakeThread, member: FakeMember) -> bool:
        """Add ``member`` (rules already checked); False if already in the thread."""
        if member.id in thread.members:
            return False
        bot_id = self.standin.bot_user_id
        could_see = self.bot_can_view(guild, thread)
        thread.members[member.id] = ThreadMember(member.id)
        if member.id == bot_id:
            if not could_see:  # a private thread the bot could not see: it arrives as THREAD_CREATE
                await self.dispatch_thread("THREAD_CREATE", guild, thread)
            else:
                await self.standin.dispatch("THREAD_MEMBER_UPDATE",
                                            {**thread.member_dict(bot_id), "guild_id": str(guild.id)})
        await self.members_changed(guild, thread, added=[member.id])
        return True

    async def remove_member(self, guild: Guild, thread: FakeThread, user_id: int) -> None:
        if thread.members.pop(user_id, None) is not None:
            await self.members_changed(guild, thread, removed=[user_id], force=user_id == self.standin.bot_user_id)

    async def update(self, guild: Guild, thread: FakeThread, **changes: Any) -> None:
        """Change thread fields (name, archived, locked, ...) and dispatch THREAD_UPDATE."""
        if changes.get("archived") and not thread.archived:
            thread.archive_timestamp = utcnow()
        elif changes.get("archived") is False and thread.archived:
            thread.archive_timestamp = utcnow()
        for key, value in changes.items():
            setattr(thread, key, value)
        await self.dispatch_thread("THREAD_UPDATE", guild, thread)

    async def delete(self, guild: Guild, thread: FakeThread) -> None:
        visible = self.bot_can_view(guild, thread)
        del guild.threads[thread.id]
        if visible:
            await self.standin.dispatch("THREAD_DELETE", {"id": str(thread.id), "guild_id": str(guild.id),
                                                          "parent_id": str(thread.parent_id), "type": thread.type})

    async def before_message(self, guild: Guild, thread: FakeThread, author: FakeMember) -> None:
        """Sending unarchives the thread and makes the author a member, as on Discord."""
        if thread.archived:
            await self.update(guild, thread, archived=False)
        if author.id not in thread.members:
            await self.add_member(guild, thread, author)

    # -- events -----------------------------------------------------------------------

    def bot_can_view(self, guild: Guild, thread: FakeThread) -> bool:
        bot = guild.members.get(self.standin.bot_user_id)
        return bot is not None and self.can_view(guild, bot, thread)

    async def dispatch_thread(self, event: str, guild: Guild, thread: FakeThread, *,
                              newly_created: bool = False) -> None:
        """THREAD_CREATE/UPDATE, only if the bot can see the thread."""
        if not self.bot_can_view(guild, thread):
            return
        data = guild.thread_for(thread, self.standin.bot_user_id)
        if "member" in data:
            data["member"] = thread.member_dict(self.standin.bot_user_id)
        if newly_created:
            data["newly_created"] = True
        await self.standin.dispatch(event, data)

    async def members_changed(self, guild: Guild, thread: FakeThread, *, added: Sequence[int] = (),
                              removed: Sequence[int] = (), force: bool = False) -> None:
        """THREAD_MEMBERS_UPDATE (the gateway drops it without GUILD_MEMBERS unless it is about the bot)."""
        if not (force or self.bot_can_view(guild, thread)):
            return
        data: dict[str, Any] = {"id": str(thread.id), "guild_id": str(guild.id),
                                "member_count": min(len(thread.members), 50)}
        if added:
            data["added_members"] = [
                {**thread.member_dict(user_id), "member": guild.members[user_id].to_dict(), "presence": None}
                for user_id in added
            ]
        if removed:
            data["removed_member_ids"] = [str(user_id) for user_id in removed]
        await self.standin.dispatch("THREAD_MEMBERS_UPDATE", data)

    async def _system_message(self, channel: FakeChannel, author: FakeMember, message_type: int, content: str,
                              extra: dict[str, Any]) -> None:
        message = self.world.create_message(channel, author.user, content=content, message_type=message_type,
                                            extra=extra)
        await self.standin.dispatch("MESSAGE_CREATE", self.world.gateway_message(message))

    # -- REST -------------------------------------------------------------------------

    def register(self, api: RestApi) -> None:
        add = api.router.add
        self.api = api
        add("POST", "/channels/{channel}/messages/{message}/threads", self.rest_start_from_message)
        add("POST", "/channels/{channel}/threads", self.rest_start)
        add("GET", "/channels/{channel}/thread-members", self.rest_list_members)
        add("GET", "/channels/{channel}/thread-members/{user}", self.rest_get_member)
        add("PUT", "/channels/{channel}/thread-members/{user}", self.rest_add_member)
        add("DELETE", "/channels/{channel}/thread-members/{user}", self.rest_remove_member)
        add("GET", "/guilds/{guild}/threads/active", self.rest_active)

    def _thread(self, call: ApiCall) -> tuple[Guild, FakeThread]:
        channel = self.api.channel(call)
        if not isinstance(channel, FakeThread):
            raise wrong_channel_type()
        guild = self.world.guild_of(channel)
        assert guild is not None
        return guild, channel

    def _guild_parent(self, call: ApiCall) -> tuple[Guild, FakeChannel]:
        parent = self.api.channel(call)
        guild = self.world.guild_of(parent)
        if guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        return guild, parent

    def _response(self, guild: Guild, thread: FakeThread) -> dict[str, Any]:
        data = guild.thread_for(thread, self.standin.bot_user_id)
        if "member" in data:
            data["member"] = thread.member_dict(self.standin.bot_user_id)
        return data

    async def rest_start_from_message(self, call: ApiCall) -> Any:
        guild, parent = self._guild_parent(call)
        starter = self.api.visible_message(call, parent)
        kind = ANNOUNCEMENT_THREAD if parent.type == ANNOUNCEMENT else PUBLIC_THREAD
        bot = self.standin.bot_member
        self.check_create(guild, bot, parent, kind, from_message=True)
        body = call.json
        thread = await self.create(
            guild, parent, bot, body.get("name") or "",
            kind=kind,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            starter=starter,
        )
        return self._response(guild, thread)

    async def rest_start(self, call: ApiCall) -> Any:
        guild, parent = self._guild_parent(call)
        body = call.json
        if "message" in body:  # forum/media posts: not modelled
            raise wrong_channel_type()
        kind = int(body.get("type") or PRIVATE_THREAD)  # Discord's v9/v10 default
        bot = self.standin.bot_member
        self.check_create(guild, bot, parent, kind, from_message=False)
        invitable = body.get("invitable")
        thread = await self.create(
            guild, parent, bot, body.get("name") or "",
            kind=kind,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            invitable=True if invitable is None else bool(invitable),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        return self._response(guild, thread)

    def _members_intent_enabled(self) -> None:
        from .gateway import GUILD_MEMBERS

        if self.standin.gateway.disallowed_intents & GUILD_MEMBERS:
            raise ApiError.missing_access()  # this route needs the privileged members intent

    def _member_payload(self, guild: Guild, thread: FakeThread, user_id: int, with_member: bool) -> dict[str, Any]:
        data = thread.member_dict(user_id)
        if with_member and user_id in guild.members:
            data["member"] = guild.members[user_id].to_dict()
        return data

    async def rest_list_members(self, call: ApiCall) -> Any:
        guild, thread = self._thread(call)
        self._members_intent_enabled()
        with_member = call.query.get("with_member", "false").lower() in ("1", "true")
        ids = sorted(thread.members)
        if with_member:  # paginated only with members, as on Discord
            ids = [i for i in ids if i > int(call.query.get("after") or 0)][: int(call.query.get("limit") or 100)]
        return [self._member_payload(guild, thread, i, with_member) for i in ids]

    async def rest_get_member(self, call: ApiCall) -> Any:
        guild, thread = self._thread(call)
        user_id = self._user_id(call)
        if user_id not in thread.members:
            raise ApiError.unknown("Member")
        with_member = call.query.get("with_member", "false").lower() in ("1", "true")
        return self._member_payload(guild, thread, user_id, with_member)

    def _user_id(self, call: ApiCall) -> int:
        raw = call.params["user"]
        return self.standin.bot_user_id if raw == "@me" else call.snowflake("user", "User")

    async def rest_add_member(self, call: ApiCall) -> Any:
        guild, thread = self._thread(call)
        bot = self.standin.bot_member
        user_id = self._user_id(call)
        self.world.user(user_id)  # 10013 for unknown users
        target = guild.member(user_id)
        if target is bot:
            if thread.archived:
                raise thread_archived()
            if not guild.has(bot, "send_messages_in_threads", thread):
                raise ApiError.missing_permissions()
        else:
            self.check_add(guild, bot, thread, target)
        await self.add_member(guild, thread, target)

    async def rest_remove_member(self, call: ApiCall) -> Any:
        guild, thread = self._thread(call)
        user_id = self._user_id(call)
        self.check_remove(guild, self.standin.bot_member, thread, user_id)
        await self.remove_member(guild, thread, user_id)

    async def rest_active(self, call: ApiCall) -> Any:
        guild = self.api.guild(call)
        bot = self.standin.bot_member
        visible = [t for t in guild.threads.values() if not t.archived and self.can_view(guild, bot, t)]
        return {
            "threads": [t.to_dict() for t in visible],
            "members": [t.member_dict(bot.id) for t in visible if bot.id in t.members],
            "has_more": False,
        }

    async def rest_edit(self, call: ApiCall, guild: Guild, thread: FakeThread) -> Any:
        """PATCH /channels/{thread}: name, archived, locked, auto_archive_duration, invitable, slow mode."""
        bot = self.standin.bot_member
        body = call.json
        moderator = guild.has(bot, "manage_threads", thread)
        owner = bot.id == thread.owner_id
        changes: dict[str, Any] = {}
        for key in ("name", "archived", "locked", "auto_archive_duration", "invitable", "rate_limit_per_user"):
            if key in body and body[key] is not None and body[key] != getattr(thread, key):
                changes[key] = body[key]
        if thread.archived and changes.get("archived") is not False:
            raise thread_archived()
        if changes.get("archived") is False and thread.locked and not moderator:
            raise thread_archived()
        if {"locked", "invitable", "rate_limit_per_user"} & set(changes) and not moderator:
            raise ApiError.missing_permissions()
        if {"name", "auto_archive_duration"} & set(changes) and not (moderator or owner):
            raise ApiError.missing_permissions()
        if changes.get("archived") and not (moderator or owner):
            raise ApiError.missing_permissions()
        if "invitable" in changes and not thread.is_private:
            raise ApiError.field("invitable", "BASE_TYPE_BAD_VALUE", "Only private threads can be invitable.")
        await self.update(guild, thread, **changes)
        return self._response(guild, thread)

    async def rest_delete(self, call: ApiCall, guild: Guild, thread: FakeThread) -> Any:
        if not guild.has(self.standin.bot_member, "manage_threads", thread):
            raise ApiError.missing_permissions()
        data = thread.to_dict()
        await self.delete(guild, thread)
        return data


__all__ = ["ARCHIVE_DURATIONS", "HAS_THREAD", "Threads"]
