"""``StandIn``: a local Discord (REST + Gateway) for end-to-end tests.

See ``tests/standin/README.md`` for the guided tour.  This module wires the
pieces together and offers the test-facing API: the predefined guild, helpers to
change it (each dispatching the gateway event Discord would send), user actions
and recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import discord
import yarl
from aiohttp import web

from .gateway import Frame, Gateway
from .interactions import CommandRegistry, InteractionHub, Reply
from .server import API_PREFIX, RecordedRequest, RestApi, ValidationFailure
from .state import (
    CHANNEL_TYPES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    VOICE,
    ApiError,
    FakeChannel,
    FakeMember,
    FakeRole,
    FakeThread,
    FakeUser,
    Guild,
    Overwrite,
    PermissionsLike,
    SentMessage,
    SnowflakeFactory,
    World,
    permission_value,
    user_id_of,
    utcnow,
)
from .threads import Threads

#: The permissions of Discord's default @everyone role (minus a few rarely relevant ones).
EVERYONE_PERMISSIONS = permission_value([
    "view_channel", "create_instant_invite", "change_nickname", "send_messages", "send_messages_in_threads",
    "create_public_threads", "create_private_threads", "embed_links", "attach_files", "add_reactions",
    "use_external_emojis", "use_external_stickers", "read_message_history", "use_application_commands",
    "connect", "speak", "stream", "use_voice_activation", "request_to_speak", "send_voice_messages",
    "send_polls", "use_embedded_activities",
])
#: The permissions Cohort's README asks for in the invite link (permissions=19095693159426): the
#: earlier 18700556168194 plus Manage Threads, Create Public/Private Threads, Send Messages in Threads.
BOT_PERMISSIONS = 19095693159426
ADMIN_PERMISSIONS = permission_value([
    "manage_guild", "manage_roles", "manage_channels", "manage_messages", "kick_members", "ban_members",
    "moderate_members", "manage_events", "create_events", "manage_nicknames", "view_audit_log",
    "manage_threads", "mention_everyone",
])
MODERATOR_PERMISSIONS = permission_value(["manage_messages", "manage_events", "kick_members", "moderate_members"])
#: GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED | COMMAND_BADGE
#: Message types a bot's sends produce: default, reply, chat input command, context menu command.
USER_MESSAGE_TYPES = (0, 19, 20, 23)
APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)
_UNSET: Any = object()


class _CallableVoiceChannel(FakeChannel):
    """The predefined voice channel. Calling it is ``StandIn.set_voice``, so both
    ``standin.voice`` (the channel) and ``await standin.voice(user, channel)`` work."""

    standin: StandIn

    def __call__(self, user: Any, channel: Any, **kwargs: Any) -> Awaitable[None]:
        return self.standin.set_voice(user, channel, **kwargs)


class StandIn:
    """A fake Discord: REST under ``/api/v10`` and a Gateway websocket on 127.0.0.1.

    Usage::

        standin = StandIn()
        await standin.start()
        ... point discord.py at standin.api_url / standin.gateway_url, log in with standin.token ...
        reply = await standin.slash("topic join", user=standin.alice, topic="mlops")
        await standin.stop()
    """

    def __init__(self, *, guild_name: str = "Cohort Test Guild", bot_name: str = "Cohort") -> None:
        self.ids = SnowflakeFactory()
        self.token = f"standin.{self.ids()}.token"
        self.world = World(self.ids)
        #: Every REST request, in arrival order.
        self.requests: list[RecordedRequest] = []
        #: Every gateway payload, both directions (``Frame.direction`` "to_bot"/"from_bot").
        self.frames: list[Frame] = []
        #: Requests answered with HTTP 400 (invalid bodies and Discord's other 400s).
        self.validation_failures: list[ValidationFailure] = []
        #: Requests to routes the stand-in does not implement (answered 404).
        self.unhandled: list[RecordedRequest] = []
        #: "METHOD path" of requests whose route the validator does not know (bodies not checked).
        self.unvalidated: list[str] = []
        #: Tracebacks of stand-in bugs (answered with HTTP 418 so discord.py does not retry).
        self.internal_errors: list[str] = []
        #: Awaited with each request after it was handled and recorded, before the bot gets the
        #: response: a test can hold one back (e.g. to kill the bot between "sent" and "committed").
        self.response_hooks: list[Callable[[RecordedRequest], Awaitable[None]]] = []
        #: Seconds an interaction helper waits for the bot's (complete) answer.
        self.reply_timeout = 5.0
        #: Seconds a deferred update (type 6) may stay without edit/followup before the reply returns.
        self.deferred_update_grace = 0.5
        #: Pause after a reply so the bot finishes handling its HTTP response (e.g. stores a view).
        self.settle_delay = 0.02
        #: ``app_permissions`` sent for interactions in DMs.
        self.dm_app_permissions = permission_value(["view_channel", "send_messages", "embed_links",
                                                    "attach_files", "read_message_history", "add_reactions"])
        self.commands = CommandRegistry(self)
        self.interactions = InteractionHub(self)
        self.gateway = Gateway(self)
        self.thread_api = Threads(self)
        self.rest = RestApi(self)
        self._requests_changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._build_world(guild_name, bot_name)

    # ------------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a random free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        app.router.add_get("/attachments/{channel}/{file}/{name}", self._serve_file)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.world.cdn_base = self.base_url

    async def stop(self) -> None:
        """Close the gateway connections and the server (stop the bot first)."""
        for pending in self.interactions.pending.values():
            if pending.grace is not None:
                pending.grace.cancel()
        if self._runner is not None:
            await self.gateway.close_all()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the stand-in is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """For ``discord.http.Route.BASE`` / ``DISCORD_API_URL``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """For ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``DISCORD_GATEWAY_URL``."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/resume"

    @property
    def env(self) -> dict[str, str]:
        return {"DISCORD_API_URL": self.api_url, "DISCORD_GATEWAY_URL": self.gateway_url, "DISCORD_TOKEN": self.token}

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's class-level endpoints at the stand-in; restored on exit."""
        old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # ------------------------------------------------------------------------
    # The predefined world
    # ------------------------------------------------------------------------

    def _build_world(self, guild_name: str, bot_name: str) -> None:
        ids, world = self.ids, self.world
        self.application_id = ids()
        self.bot_user = self._user(bot_name, bot=True)
        self.bot_user_id = self.bot_user.id
        owner = self._user("owner", "Olive Owner")
        self.guild = guild = Guild(ids(), guild_name, owner.id)
        world.guilds[guild.id] = guild
        self.guild_id = guild.id
        guild.roles[guild.id] = FakeRole(guild.id, "@everyone", EVERYONE_PERMISSIONS, 0)
        self.everyone_role = guild.everyone
        self.moderator_role = FakeRole(ids(), "Moderator", MODERATOR_PERMISSIONS, 1, color=0x3498DB, hoist=True)
        self.admin_role = FakeRole(ids(), "Admin", ADMIN_PERMISSIONS, 2, color=0xE74C3C, hoist=True)
        self.bot_role = FakeRole(ids(), bot_name, BOT_PERMISSIONS, 3, managed=True, bot_id=self.bot_user_id)
        for role in (self.moderator_role, self.admin_role, self.bot_role):
            guild.roles[role.id] = role

        self.general = self._channel("general", TEXT, 0, topic="General chat")
        self.announcements = self._channel("announcements", TEXT, 1, topic="News")
        staff_only = permission_value(["view_channel", "send_messages", "read_message_history"])
        self.mod_log = self._channel("mod-log", TEXT, 2, overwrites=[
            Overwrite(guild.id, 0, deny=permission_value("view_channel")),
            Overwrite(self.moderator_role.id, 0, allow=staff_only),
            Overwrite(self.admin_role.id, 0, allow=staff_only),
            Overwrite(self.bot_role.id, 0, allow=staff_only),
        ])
        self.voice = _CallableVoiceChannel(self.ids(), "Study Room", VOICE, guild_id=guild.id, position=3)
        self.voice.standin = self
        guild.channels[self.voice.id] = self.voice
        guild.system_channel_id = self.general.id

        joined = utcnow() - dt.timedelta(days=30)
        self.bot_member = self._member(self.bot_user, [self.bot_role.id], joined)
        self.owner = self._member(owner, [], joined - dt.timedelta(days=300))
        self.admin = self._member(self._user("admin", "Ada Admin"), [self.admin_role.id], joined)
        self.moderator = self._member(self._user("moderator", "Max Moderator"), [self.moderator_role.id], joined)
        self.alice = self._member(self._user("alice", "Alice"), [], joined)
        self.bob = self._member(self._user("bob", "Bob"), [], joined)
        self.carol = self._member(self._user("carol", "Carol"), [], joined)

    def _user(self, username: str, global_name: str | None = None, *, bot: bool = False,
              dms_open: bool = True) -> FakeUser:
        user = FakeUser(self.ids(), username, global_name, bot=bot, dms_open=dms_open)
        self.world.users[user.id] = user
        return user

    def _member(self, user: FakeUser, roles: list[int], joined_at: dt.datetime, **extra: Any) -> FakeMember:
        member = FakeMember(user, list(roles), joined_at=joined_at, **extra)
        self.guild.members[user.id] = member
        return member

    def _channel(self, name: str, kind: int, position: int, **extra: Any) -> FakeChannel:
        channel = FakeChannel(self.ids(), name, kind, guild_id=self.guild.id, position=position, **extra)
        self.guild.channels[channel.id] = channel
        return channel

    # Payloads the gateway and REST handlers send --------------------------------

    def ready_payload(self, session_id: str) -> dict[str, Any]:
        user = self.bot_user.to_dict()
        user.update(verified=True, mfa_enabled=False, email=None, flags=0)
        return {
            "v": 10,
            "user": user,
            "user_settings": {},
            "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in self.world.guilds],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": APPLICATION_FLAGS},
            "auth": {},
            "_trace": ["standin-gateway"],
        }

    def guild_create_payload(self, *, include_all_members: bool) -> dict[str, Any]:
        return self.guild.to_gateway_dict(bot_id=self.bot_user_id, include_all_members=include_all_members)

    def application_payload(self) -> dict[str, Any]:
        owner = self.world.users[self.guild.owner_id]
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": owner.to_dict(),
            "team": None,
            "flags": APPLICATION_FLAGS,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self.world.guilds),
            "integration_types_config": {"0": {}},
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(BOT_PERMISSIONS)},
            "bot": self.bot_user.to_dict(),
        }

    # ------------------------------------------------------------------------
    # Gateway
    # ------------------------------------------------------------------------

    async def dispatch(self, event: str, data: Any) -> bool:
        """Send any gateway event (e.g. ``"TYPING_START"``); False if not delivered (see Gateway.dispatch)."""
        return await self.gateway.dispatch(event, data)

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Wait until a bot has identified and received READY + GUILD_CREATE."""
        await self.gateway.wait_for(lambda: self.gateway.connected, timeout)

    async def reconnect(self, how: str = "op7", *, code: int = 4000, timeout: float = 5.0) -> str:
        """Make the bot reconnect and wait until it is back.

        ``how="op7"`` sends RECONNECT, ``"close"`` closes the socket with ``code``,
        ``"invalidate"`` sends a non-resumable INVALID_SESSION.  Returns ``"RESUMED"``
        or ``"READY"`` (the bot identified anew).
        """
        resumes, identifies = self.gateway.resume_count, self.gateway.identify_count
        if how == "op7":
            await self.gateway.send_reconnect()
        elif how == "close":
            await self.gateway.drop(code)
        elif how == "invalidate":
            await self.gateway.invalidate_session(resumable=False)
        else:
            raise ValueError(f"unknown reconnect method {how!r}")
        await self.gateway.wait_for(
            lambda: self.gateway.connected
            and (self.gateway.resume_count > resumes or self.gateway.identify_count > identifies),
            timeout,
        )
        return "RESUMED" if self.gateway.resume_count > resumes else "READY"

    def events_sent(self, event: str) -> list[Any]:
        """Payloads of ``event`` dispatched to the bot (replays on RESUME included)."""
        return [f.d for f in self.frames if f.direction == "to_bot" and f.t == event]

    # ------------------------------------------------------------------------
    # Changing the guild (each dispatches the event Discord would send)
    # ------------------------------------------------------------------------

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False,
                 dms_open: bool = True) -> FakeUser:
        """A user who is not (yet) a guild member."""
        return self._user(username, global_name, bot=bot, dms_open=dms_open)

    async def add_member(
        self,
        user: str | FakeUser,
        *,
        roles: tuple[Any, ...] | list[Any] = (),
        pending: bool = False,
        nick: str | None = None,
        global_name: str | None = None,
        bot: bool = False,
        dms_open: bool = True,
        joined_at: dt.datetime | None = None,
    ) -> FakeMember:
        """Add a member (GUILD_MEMBER_ADD). ``pending=True``: membership screening not passed yet."""
        fake_user = user if isinstance(user, FakeUser) else self._user(user, global_name, bot=bot, dms_open=dms_open)
        if fake_user.id in self.guild.members:
            raise ValueError(f"{fake_user.username} is already a member")
        member = self._member(fake_user, [self._role(r).id for r in roles], joined_at or utcnow(),
                              pending=pending, nick=nick)
        await self.dispatch("GUILD_MEMBER_ADD", {"guild_id": str(self.guild_id), **member.to_dict()})
        return member

    async def update_member(
        self,
        member: Any,
        *,
        roles: Any = _UNSET,
        nick: Any = _UNSET,
        pending: Any = _UNSET,
        timed_out_until: Any = _UNSET,
    ) -> FakeMember:
        """Change a member as if done in Discord's UI (GUILD_MEMBER_UPDATE)."""
        fake = self.member(member)
        if roles is not _UNSET:
            fake.roles = [self._role(r).id for r in roles]
        if nick is not _UNSET:
            fake.nick = nick
        if pending is not _UNSET:
            fake.pending = pending
        if timed_out_until is not _UNSET:
            fake.communication_disabled_until = timed_out_until
        await self.dispatch("GUILD_MEMBER_UPDATE", {"guild_id": str(self.guild_id), **fake.to_dict()})
        return fake

    async def give_roles(self, member: Any, *roles: Any) -> FakeMember:
        fake = self.member(member)
        return await self.update_member(fake, roles=[*fake.roles, *(self._role(r).id for r in roles)])

    async def remove_member(self, member: Any) -> None:
        """The member leaves (or is kicked): GUILD_MEMBER_REMOVE."""
        fake = self.member(member)
        if fake.id in self.guild.voice_states:
            await self.set_voice_state(fake, None)
        for thread in self.guild.threads.values():
            if fake.id in thread.members:
                await self.thread_api.remove_member(self.guild, thread, fake.id)
        del self.guild.members[fake.id]
        await self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(self.guild_id), "user": fake.user.to_dict()})

    def set_dms_open(self, user: Any, open: bool) -> None:
        """Closed DMs make the bot's DM sends fail with 403 / code 50007."""
        self.world.user(user_id_of(user)).dms_open = open

    async def add_role(
        self,
        name: str,
        *,
        permissions: PermissionsLike = 0,
        position: int | None = None,
        above: Any = None,
        below: Any = None,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        managed: bool = False,
    ) -> FakeRole:
        """Create a role (GUILD_ROLE_CREATE). Placed just above @everyone unless
        ``position``, ``above=role`` or ``below=role`` says otherwise; roles at or
        above that position move up one, as in Discord."""
        if above is not None:
            position = self._role(above).position + 1
        elif below is not None:
            position = self._role(below).position
        role = FakeRole(self.ids(), name, permission_value(permissions), 0, color=color, hoist=hoist,
                        mentionable=mentionable, managed=managed)
        await self.insert_role(role, position or 1)
        return role

    async def set_role_permissions(self, role: Any, permissions: PermissionsLike) -> FakeRole:
        fake = self._role(role)
        fake.permissions = permission_value(permissions)
        await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": fake.to_dict()})
        return fake

    async def move_role(self, role: Any, *, position: int | None = None, above: Any = None,
                        below: Any = None) -> FakeRole:
        """Move a role in the hierarchy (GUILD_ROLE_UPDATE for every role that moved)."""
        fake = self._role(role)
        others = [r for r in self.guild.ordered_roles() if r is not fake]
        if above is not None:
            position = others.index(self._role(above)) + 2
        elif below is not None:
            position = others.index(self._role(below)) + 1
        if position is None:
            raise ValueError("give position=, above= or below=")
        for moved in self.guild.move_role(fake.id, position):
            await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": moved.to_dict()})
        return fake

    async def add_channel(
        self,
        name: str,
        *,
        type: str | int = "text",
        parent: Any = None,
        topic: str | None = None,
        position: int | None = None,
        overwrites: dict[Any, tuple[PermissionsLike, PermissionsLike]] | None = None,
    ) -> FakeChannel:
        """Create a channel (CHANNEL_CREATE). ``overwrites={role_or_member: (allow, deny)}``."""
        kind = CHANNEL_TYPES[type] if isinstance(type, str) else type
        channel = self._channel(
            name, kind, len(self.guild.channels) if position is None else position,
            parent_id=self.channel(parent).id if parent is not None else None,
            topic=topic,
            overwrites=[self._overwrite(t, allow, deny) for t, (allow, deny) in (overwrites or {}).items()],
        )
        await self.dispatch("CHANNEL_CREATE", channel.to_dict())
        return channel

    async def set_overwrite(self, channel: Any, target: Any, *, allow: PermissionsLike = 0,
                            deny: PermissionsLike = 0) -> FakeChannel:
        """Set one permission overwrite on a channel (CHANNEL_UPDATE)."""
        fake = self.channel(channel)
        overwrite = self._overwrite(target, allow, deny)
        fake.overwrites = [o for o in fake.overwrites if o.id != overwrite.id] + [overwrite]
        await self.dispatch("CHANNEL_UPDATE", fake.to_dict())
        return fake

    # Threads ---------------------------------------------------------------------------

    async def create_thread(
        self,
        parent: Any,
        name: str,
        *,
        by: Any,
        private: bool = False,
        message: Any = None,
        invitable: bool = True,
        auto_archive_duration: int = 1440,
    ) -> FakeThread:
        """``by`` starts a thread in ``parent`` (from ``message`` if given), with Discord's permission
        checks (``PermissionError`` on refusal) and events (THREAD_CREATE, THREAD_MEMBERS_UPDATE,
        the system messages)."""
        parent_channel = self.channel(parent)
        creator = self.member(by)
        kind = PRIVATE_THREAD if private else PUBLIC_THREAD
        if parent_channel.type == 5 and not private:
            kind = 10
        starter = self.interactions._message(message) if message is not None else None
        try:
            self.thread_api.check_create(self.guild, creator, parent_channel, kind, from_message=starter is not None)
            return await self.thread_api.create(self.guild, parent_channel, creator, name, kind=kind,
                                                auto_archive_duration=auto_archive_duration,
                                                invitable=invitable, starter=starter)
        except ApiError as exc:
            raise PermissionError(f"{creator.name} cannot start a thread in #{parent_channel.name}: "
                                  f"{exc.code} {exc.message}") from None

    async def add_thread_member(self, thread: Any, user: Any, *, by: Any = None) -> bool:
        """Add ``user`` to a thread (THREAD_MEMBERS_UPDATE; THREAD_CREATE if it is the bot joining a private
        thread it could not see). With ``by=`` Discord's rules for who may add whom apply
        (``PermissionError``). False if already a member."""
        fake = self.thread(thread)
        target = self.member(user)
        if by is not None:
            try:
                self.thread_api.check_add(self.guild, self.member(by), fake, target)
            except ApiError as exc:
                raise PermissionError(f"{self.member(by).name} cannot add {target.name}: {exc.message}") from None
        return await self.thread_api.add_member(self.guild, fake, target)

    async def remove_thread_member(self, thread: Any, user: Any) -> None:
        """``user`` leaves (or is removed from) the thread: THREAD_MEMBERS_UPDATE."""
        await self.thread_api.remove_member(self.guild, self.thread(thread), user_id_of(user))

    async def update_thread(self, thread: Any, *, name: Any = _UNSET, archived: Any = _UNSET, locked: Any = _UNSET,
                            invitable: Any = _UNSET, auto_archive_duration: Any = _UNSET) -> FakeThread:
        """Change a thread as a moderator would in Discord's UI (THREAD_UPDATE)."""
        fake = self.thread(thread)
        changes = {k: v for k, v in {"name": name, "archived": archived, "locked": locked, "invitable": invitable,
                                     "auto_archive_duration": auto_archive_duration}.items() if v is not _UNSET}
        await self.thread_api.update(self.guild, fake, **changes)
        return fake

    async def delete_thread(self, thread: Any) -> None:
        """Delete a thread (THREAD_DELETE)."""
        await self.thread_api.delete(self.guild, self.thread(thread))

    # Used by the REST handlers too ---------------------------------------------------

    async def insert_role(self, role: FakeRole, position: int) -> None:
        moved = self.guild.insert_role(role, position)
        await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": role.to_dict()})
        for other in moved:
            await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": other.to_dict()})

    async def delete_role(self, role: FakeRole) -> None:
        moved = self.guild.remove_role(role.id)
        await self.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(self.guild_id), "role_id": str(role.id)})
        for other in moved:
            await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": other.to_dict()})

    async def set_voice_state(self, member: FakeMember, channel: FakeChannel | None, *,
                              self_mute: bool = False, self_deaf: bool = False) -> None:
        state = {
            "guild_id": str(self.guild_id),
            "channel_id": str(channel.id) if channel else None,
            "user_id": str(member.id),
            "member": member.to_dict(),
            "session_id": f"voice-{member.id}",
            "deaf": member.deaf,
            "mute": member.mute,
            "self_deaf": self_deaf,
            "self_mute": self_mute,
            "self_stream": False,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        if channel is None:
            self.guild.voice_states.pop(member.id, None)
        else:
            self.guild.voice_states[member.id] = state
        await self.dispatch("VOICE_STATE_UPDATE", state)

    async def delete_stored_message(self, message: SentMessage) -> None:
        message.deleted = True
        thread = self.guild.threads.get(message.channel_id)
        if thread is not None and not message.ephemeral and message.payload.get("type") != 21:
            thread.message_count = max(thread.message_count - 1, 0)
        if not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.payload.get("guild_id"):
                data["guild_id"] = message.payload["guild_id"]
            await self.dispatch("MESSAGE_DELETE", data)

    # ------------------------------------------------------------------------
    # Users doing things
    # ------------------------------------------------------------------------

    async def slash(self, command: str, *, user: Any, channel: Any = None, options: dict[str, Any] | None = None,
                    timeout: float | None = None, **kwargs: Any) -> Reply:
        """Invoke ``/command`` ("group sub" for subcommands) and return the bot's reply.

        Options are keyword arguments (or ``options={...}`` for names like ``user``
        or ``channel``); their types come from the command tree the bot synced.
        """
        return await self.interactions.slash(command, user=user, channel=channel, options=options,
                                             timeout=timeout, **kwargs)

    async def autocomplete(self, command: str, *, focused: str, user: Any, channel: Any = None,
                           options: dict[str, Any] | None = None, timeout: float | None = None,
                           **kwargs: Any) -> list[dict[str, Any]]:
        """Type into option ``focused`` of ``/command``; returns the bot's choices."""
        return await self.interactions.autocomplete(command, focused=focused, user=user, channel=channel,
                                                    options=options, timeout=timeout, **kwargs)

    async def click(self, message: Any, custom_id: str, *, user: Any, values: list[Any] | None = None,
                    timeout: float | None = None) -> Reply:
        """Click a button (or pick ``values`` in a select menu) on a message or Reply."""
        return await self.interactions.click(message, custom_id, user=user, values=values, timeout=timeout)

    async def submit_modal(self, custom_id: str, values: dict[str, Any] | None = None, *, user: Any,
                           message: Any = None, channel: Any = None, timeout: float | None = None) -> Reply:
        """Submit a modal the bot opened, with ``{field_custom_id: value}``."""
        return await self.interactions.submit_modal(custom_id, values, user=user, message=message,
                                                    channel=channel, timeout=timeout)

    async def send_message(self, channel: Any, user: Any, content: str = "", *,
                           embeds: list[dict[str, Any]] | None = None, reply_to: Any = None) -> SentMessage:
        """``user`` posts a message (MESSAGE_CREATE). Needs Send Messages in guild channels, Send
        Messages in Threads in threads (posting joins the thread and unarchives it, as on Discord)."""
        fake_channel = self.channel(channel)
        author = self.world.user(user_id_of(user))
        if isinstance(fake_channel, FakeThread):
            member = self.member(author.id)
            try:
                self.thread_api.check_send(self.guild, member, fake_channel)
            except ApiError as exc:
                raise PermissionError(f"{author.username} cannot send messages in thread {fake_channel.name!r}: "
                                      f"{exc.message}") from None
            await self.thread_api.before_message(self.guild, fake_channel, member)
        elif not fake_channel.is_dm:
            member = self.member(author.id)
            if not self.guild.has(member, "send_messages", fake_channel):
                raise PermissionError(f"{author.username} cannot send messages in #{fake_channel.name}")
        extra: dict[str, Any] = {}
        message_type = 0
        if reply_to is not None:
            target = self.interactions._message(reply_to)
            message_type = 19
            extra = {
                "message_reference": {"type": 0, "message_id": str(target.id), "channel_id": str(target.channel_id),
                                      "guild_id": str(fake_channel.guild_id) if fake_channel.guild_id else None},
                "referenced_message": dict(target.payload),
            }
        message = self.world.create_message(fake_channel, author, content=content, embeds=embeds,
                                            message_type=message_type, extra=extra)
        await self.dispatch("MESSAGE_CREATE", self.world.gateway_message(message))
        return message

    async def set_voice(self, user: Any, channel: Any, *, self_mute: bool = False, self_deaf: bool = False) -> None:
        """``user`` joins/moves to a voice channel, or leaves with ``None`` (VOICE_STATE_UPDATE).

        Also reachable as ``await standin.voice(user, channel)``: ``standin.voice`` is the
        predefined voice channel, and calling it calls this method.
        """
        member = self.member(user)
        target = self.channel(channel) if channel is not None else None
        await self.set_voice_state(member, target, self_mute=self_mute, self_deaf=self_deaf)

    # ------------------------------------------------------------------------
    # Lookups and recordings
    # ------------------------------------------------------------------------

    def member(self, user: Any) -> FakeMember:
        if isinstance(user, FakeMember):
            return user
        try:
            return self.guild.members[user_id_of(user)]
        except KeyError:
            raise LookupError(f"{user!r} is not a guild member") from None

    def channel(self, channel: Any) -> FakeChannel:
        if isinstance(channel, FakeChannel):
            return channel
        return self.world.channel(int(getattr(channel, "id", channel)))

    def role(self, role: Any) -> FakeRole:
        return self._role(role)

    def thread(self, thread: Any) -> FakeThread:
        """A thread by ``FakeThread``, discord.py object or id."""
        if isinstance(thread, FakeThread):
            return thread
        found = self.guild.threads.get(int(getattr(thread, "id", thread)))
        if found is None:
            raise LookupError(f"no thread {thread!r}")
        return found

    def threads(self, parent: Any = None, *, include_archived: bool = True) -> list[FakeThread]:
        """Threads (oldest first), optionally only those of ``parent``."""
        parent_id = self.channel(parent).id if parent is not None else None
        return [
            t for t in sorted(self.guild.threads.values(), key=lambda t: t.id)
            if (parent_id is None or t.parent_id == parent_id) and (include_archived or not t.archived)
        ]

    def thread_members(self, thread: Any) -> list[FakeMember]:
        """The guild members in a thread, in the order they joined."""
        fake = self.thread(thread)
        return [self.guild.members[user_id] for user_id in fake.members if user_id in self.guild.members]

    def _role(self, role: Any) -> FakeRole:
        if isinstance(role, FakeRole):
            return role
        if isinstance(role, str):
            found = [r for r in self.guild.roles.values() if r.name == role]
            if len(found) != 1:
                raise LookupError(f"{len(found)} roles named {role!r}")
            return found[0]
        return self.guild.role(int(getattr(role, "id", role)))

    def _overwrite(self, target: Any, allow: PermissionsLike, deny: PermissionsLike) -> Overwrite:
        if isinstance(target, FakeRole):
            kind, target_id = 0, target.id
        elif isinstance(target, FakeMember | FakeUser):
            kind, target_id = 1, target.id
        else:
            target_id = int(getattr(target, "id", target))
            kind = 0 if target_id in self.guild.roles else 1
        return Overwrite(target_id, kind, permission_value(allow), permission_value(deny))

    def dm_channel(self, user: Any) -> FakeChannel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        return self.world.dm_channel(self.world.user(user_id_of(user)))

    def messages_in(self, channel: Any, *, include_ephemeral: bool = False,
                    include_system: bool = False) -> list[SentMessage]:
        """Messages the bot created in ``channel`` or a thread (oldest first, edits applied, deleted ones
        left out). System messages Discord adds for threads ("started a thread", the thread's starter
        message) only with ``include_system=True``."""
        channel_id = self.channel(channel).id
        return [
            m for m in sorted(self.world.messages.values(), key=lambda m: m.id)
            if m.channel_id == channel_id and m.author_id == self.bot_user_id and not m.deleted
            and (include_ephemeral or not m.ephemeral)
            and (include_system or m.payload.get("type") in USER_MESSAGE_TYPES)
        ]

    def dms_to(self, user: Any) -> list[SentMessage]:
        """DMs the bot sent to ``user``."""
        channel = self.world.dm_channels.get(user_id_of(user))
        return [] if channel is None else self.messages_in(channel)

    def message(self, message_id: int) -> SentMessage:
        return self.world.messages[message_id]

    def requests_to(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests by method and path pattern (``*`` = one path segment, or a regex)."""
        return [r for r in self.requests if r.matches(method, path)]

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        timeout: float = 2.0,
        new: bool = False,
    ) -> RecordedRequest:
        """Wait for a completed request matching ``method``/``path`` and ``predicate``.

        Requests already recorded count too unless ``new=True``.
        """
        start = len(self.requests) if new else 0

        def find() -> RecordedRequest | None:
            for request in self.requests[start:]:
                if request.status is not None and request.matches(method, path) and (
                    predicate is None or predicate(request)
                ):
                    return request
            return None

        async with self._requests_changed:
            try:
                await asyncio.wait_for(self._requests_changed.wait_for(lambda: find() is not None), timeout)
            except TimeoutError:
                seen = "\n  ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests[start:][-15:])
                raise AssertionError(f"no matching request within {timeout}s; recent requests:\n  {seen}") from None
        found = find()
        assert found is not None
        return found

    async def request_recorded(self) -> None:
        async with self._requests_changed:
            self._requests_changed.notify_all()

    def problems(self) -> list[str]:
        """400s, unimplemented routes and stand-in errors, as readable lines."""
        lines = [f"400 {failure}" for failure in self.validation_failures]
        lines += [f"unimplemented route {r.method} {r.path}" for r in self.unhandled]
        lines += [f"stand-in error: {e}" for e in self.internal_errors]
        return lines

    def assert_clean(self) -> None:
        """Fail if the bot sent an invalid body, used an unimplemented route, or hit a stand-in bug."""
        problems = self.problems()
        if problems:
            raise AssertionError("stand-in problems:\n" + "\n".join(problems))

    async def _serve_file(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(int(request.match_info["file"]))
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.data, content_type=stored.content_type or "application/octet-stream")


__all__ = ["StandIn"]
