"""The fake Discord REST API (``/api/v10``) served with aiohttp.

Every request is recorded (:class:`RecordedRequest`), JSON bodies and multipart
``payload_json`` parts are checked by ``validation.RequestValidator`` (answered
with Discord's 400/50035 body on errors), and unimplemented routes answer a
recorded ``404: Not Found`` so tests notice.

Responses use ``Content-Type: application/json`` exactly: discord.py treats
anything else (even ``; charset=utf-8``) as plain text.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from .state import (
    ANNOUNCEMENT,
    PERMISSION_BITS,
    SETTABLE_FLAGS,
    STAGE,
    TEXT,
    THREAD_TYPES,
    VIEW_CHANNEL,
    VOICE,
    ApiError,
    FakeChannel,
    FakeMember,
    FakeRole,
    FakeThread,
    Guild,
    Overwrite,
    SentMessage,
    Upload,
    message_fields,
    parse_time,
    utcnow,
)

if TYPE_CHECKING:  # pragma: no cover
    from .core import StandIn

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
#: Discord rejects timeouts longer than this.
MAX_TIMEOUT = dt.timedelta(days=28)


# ---------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One REST request made by the bot and what the stand-in answered."""

    method: str
    path: str  # after /api/v10, percent-decoded
    query: dict[str, str]
    json: Any = None  # JSON body, or the multipart payload_json
    files: list[Upload] = field(default_factory=list)
    reason: str | None = None  # X-Audit-Log-Reason
    status: int | None = None
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.path} -> {self.status}>"

    def matches(self, method: str | None = None, path: str | None = None) -> bool:
        """``path`` is a regex matched against the whole path; ``*`` is a shortcut for one segment."""
        if method is not None and self.method != method.upper():
            return False
        if path is not None:
            pattern = path if "*" not in path or path.startswith("^") else path.replace("*", "[^/]+")
            if not re.fullmatch(pattern, self.path):
                return False
        return True


@dataclass
class ValidationFailure:
    """A request answered with HTTP 400 (``errors`` are the validator's messages, if any)."""

    request: RecordedRequest
    errors: list[str]
    body: dict[str, Any]

    def __str__(self) -> str:
        details = "; ".join(self.errors) or json.dumps(self.body)
        return f"{self.request.method} {self.request.path}: {details}"


# ---------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------


@dataclass
class ApiCall:
    """What a route handler gets: path params, query, body, uploads."""

    record: RecordedRequest
    params: dict[str, str]
    after_response: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return self.record.json if self.record.json is not None else {}

    @property
    def query(self) -> dict[str, str]:
        return self.record.query

    @property
    def files(self) -> list[Upload]:
        return self.record.files

    def snowflake(self, name: str, unknown: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError.unknown(unknown) from None


Handler = Callable[[ApiCall], Awaitable[Any]]


class Router:
    """A tiny ``{param}`` path router; first match wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []

    def add(self, method: str, template: str, handler: Handler, *, public: bool = False) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method, re.compile(f"^{regex}$"), handler, public))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], bool] | None:
        for route_method, regex, handler, public in self._routes:
            found = regex.match(path)
            if found and route_method == method:
                return handler, found.groupdict(), public
        return None


def json_response(status: int, body: Any) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=204)
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def _load_validation() -> Any:
    """The sibling ``validation`` module, if it exists yet."""
    try:
        from . import validation
    except ImportError:
        return None
    return validation


# ---------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------


class RestApi:
    """Route handlers for the REST endpoints a bot typically uses."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.world = standin.world
        self.router = Router()
        self._validation = _load_validation()
        self._validator = self._validation.RequestValidator() if self._validation else None
        self._register()

    @property
    def has_validator(self) -> bool:
        return self._validator is not None

    def _register(self) -> None:
        add = self.router.add
        hub = self.standin.interactions
        # users, application, gateway
        add("GET", "/users/@me", self.get_me)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/users/{user}", self.get_user)
        add("GET", "/oauth2/applications/@me", self.get_application)
        add("GET", "/applications/@me", self.get_application)
        add("GET", "/gateway", self.get_gateway)
        add("GET", "/gateway/bot", self.get_gateway_bot)
        # application commands
        for prefix in ("/applications/{app}", "/applications/{app}/guilds/{guild}"):
            add("GET", prefix + "/commands", self.get_commands)
            add("PUT", prefix + "/commands", self.put_commands)
            add("POST", prefix + "/commands", self.post_command)
        # channels & messages
        add("GET", "/channels/{channel}", self.get_channel)
        add("PATCH", "/channels/{channel}", self.edit_channel)
        add("DELETE", "/channels/{channel}", self.delete_channel)
        add("PUT", "/channels/{channel}/permissions/{target}", self.put_overwrite)
        add("DELETE", "/channels/{channel}/permissions/{target}", self.delete_overwrite)
        add("POST", "/channels/{channel}/typing", self.typing)
        add("GET", "/channels/{channel}/messages", self.list_messages)
        add("POST", "/channels/{channel}/messages", self.create_message)
        add("POST", "/channels/{channel}/messages/bulk-delete", self.bulk_delete)
        add("GET", "/channels/{channel}/messages/{message}", self.get_message)
        add("PATCH", "/channels/{channel}/messages/{message}", self.edit_message)
        add("DELETE", "/channels/{channel}/messages/{message}", self.delete_message)
        add("PUT", "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", self.add_reaction)
        add("DELETE", "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", self.remove_reaction)
        # guild
        add("GET", "/guilds/{guild}", self.get_guild)
        add("GET", "/guilds/{guild}/channels", self.list_channels)
        add("POST", "/guilds/{guild}/channels", self.create_channel)
        add("GET", "/guilds/{guild}/roles", self.list_roles)
        add("POST", "/guilds/{guild}/roles", self.create_role)
        add("PATCH", "/guilds/{guild}/roles/{role}", self.edit_role)
        add("DELETE", "/guilds/{guild}/roles/{role}", self.delete_role)
        add("GET", "/guilds/{guild}/members", self.list_members)
        add("GET", "/guilds/{guild}/members/search", self.search_members)
        add("GET", "/guilds/{guild}/members/{user}", self.get_member)
        add("PATCH", "/guilds/{guild}/members/{user}", self.edit_member)
        add("DELETE", "/guilds/{guild}/members/{user}", self.kick_member)
        add("PUT", "/guilds/{guild}/members/{user}/roles/{role}", self.add_member_role)
        add("DELETE", "/guilds/{guild}/members/{user}/roles/{role}", self.remove_member_role)
        add("GET", "/guilds/{guild}/bans/{user}", self.get_ban)
        add("PUT", "/guilds/{guild}/bans/{user}", self.ban_member)
        add("DELETE", "/guilds/{guild}/bans/{user}", self.unban_member)
        add("GET", "/guilds/{guild}/scheduled-events", self.list_events)
        add("POST", "/guilds/{guild}/scheduled-events", self.create_event)
        add("GET", "/guilds/{guild}/scheduled-events/{event}", self.get_event)
        add("PATCH", "/guilds/{guild}/scheduled-events/{event}", self.edit_event)
        add("DELETE", "/guilds/{guild}/scheduled-events/{event}", self.delete_event)
        # threads (tests/standin/threads.py)
        self.standin.thread_api.register(self)
        # interactions & webhooks (authenticated by the token in the URL)
        add("POST", "/interactions/{interaction}/{token}/callback", hub.handle_callback, public=True)
        add("POST", "/webhooks/{app}/{token}", hub.handle_followup, public=True)
        add("GET", "/webhooks/{app}/{token}/messages/{message}", hub.handle_get_message, public=True)
        add("PATCH", "/webhooks/{app}/{token}/messages/{message}", hub.handle_edit_message, public=True)
        add("DELETE", "/webhooks/{app}/{token}/messages/{message}", hub.handle_delete_message, public=True)

    # -- request plumbing ---------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        standin = self.standin
        path = request.path[len(API_PREFIX):] or "/"
        reason = request.headers.get("X-Audit-Log-Reason")
        record = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            reason=unquote(reason) if reason else None,
        )
        standin.requests.append(record)
        call: ApiCall | None = None
        errors: list[str] = []
        try:
            record.json, record.files = await _read_body(request)
            match = self.router.match(request.method, path)
            if match is None:
                standin.unhandled.append(record)
                log.warning("stand-in: unimplemented route %s %s", request.method, path)
                raise ApiError(404, 0, "404: Not Found")
            handler, params, public = match
            if not public and request.headers.get("Authorization") != f"Bot {standin.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            self._validate(request.method, path, record.json, request.content_type == "multipart/form-data")
            call = ApiCall(record, params)
            status, body = 200, await handler(call)
            if body is None:
                status = 204
        except ApiError as exc:
            status, body = exc.status, exc.body()
            errors = getattr(exc, "messages", [])
        except Exception as exc:  # a stand-in bug: answer a non-retried status, never 5xx
            standin.internal_errors.append(f"{request.method} {path}: {traceback.format_exc()}")
            log.exception("stand-in: internal error handling %s %s", request.method, path)
            status, body = 418, {"message": f"stand-in internal error: {exc!r}", "code": 0}
        record.status, record.response = status, body
        if status == 400:
            standin.validation_failures.append(ValidationFailure(record, errors, body))
        if status >= 400:
            standin.interactions.on_rejected(path, status, body)
        await standin.request_recorded()
        for hook in list(standin.response_hooks):
            await hook(record)
        response = json_response(status, body)
        if call is not None and call.after_response and status < 300:
            await response.prepare(request)
            await response.write_eof()
            for callback in call.after_response:
                await callback()
        return response

    def _validate(self, method: str, path: str, body: Any, multipart: bool) -> None:
        """Run the shared validator; raises Discord's 400/50035 on errors.

        Routes the validator does not know are recorded in ``StandIn.unvalidated``.
        """
        if self._validator is None:
            return
        content_type = "multipart/form-data" if multipart else None
        try:
            errors = list(self._validator.validate(method, path, body, content_type=content_type))
        except Exception:
            self.standin.internal_errors.append(f"validator crashed on {method} {path}: {traceback.format_exc()}")
            log.exception("stand-in: validator crashed on %s %s", method, path)
            return
        if any(str(e).startswith("unknown route") for e in errors):
            self.standin.unvalidated.append(f"{method} {path}")
            errors = [e for e in errors if not str(e).startswith("unknown route")]
        if errors:
            raise _ValidationError(self._validation.format_discord_error(errors), errors)

    # -- helpers ------------------------------------------------------------

    @property
    def bot(self) -> FakeMember:
        return self.standin.bot_member

    def guild(self, call: ApiCall) -> Guild:
        guild = self.world.guild(call.snowflake("guild", "Guild"))
        if self.bot.id not in guild.members:
            raise ApiError.unknown("Guild")
        return guild

    def channel(self, call: ApiCall) -> FakeChannel:
        channel = self.world.channel(call.snowflake("channel", "Channel"))
        guild = self.world.guild_of(channel)
        if guild is not None and not guild.permissions_in(self.bot, channel) & VIEW_CHANNEL:
            raise ApiError.missing_access()
        return channel

    def require(self, guild: Guild, permission: str, channel: FakeChannel | None = None) -> None:
        if not guild.has(self.bot, permission, channel):
            raise ApiError.missing_permissions()

    def target_member(self, call: ApiCall, guild: Guild) -> FakeMember:
        raw = call.params["user"]
        return self.bot if raw == "@me" else guild.member(call.snowflake("user", "Member"))

    async def dispatch(self, event: str, data: Any) -> None:
        await self.standin.dispatch(event, data)

    async def member_updated(self, guild: Guild, member: FakeMember) -> None:
        await self.dispatch("GUILD_MEMBER_UPDATE", {"guild_id": str(guild.id), **member.to_dict()})

    # -- users / application / gateway ----------------------------------------

    async def get_me(self, call: ApiCall) -> Any:
        data = self.standin.bot_user.to_dict()
        data.update(verified=True, mfa_enabled=False, locale="en-US", email=None)
        return data

    async def get_user(self, call: ApiCall) -> Any:
        return self.world.user(call.snowflake("user", "User")).to_dict()

    async def get_application(self, call: ApiCall) -> Any:
        return self.standin.application_payload()

    async def get_gateway(self, call: ApiCall) -> Any:
        return {"url": self.standin.gateway_url}

    async def get_gateway_bot(self, call: ApiCall) -> Any:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return {"url": self.standin.gateway_url, "shards": 1, "session_start_limit": limit}

    async def create_dm(self, call: ApiCall) -> Any:
        try:
            user = self.world.user(int(call.json.get("recipient_id")))
        except (ApiError, TypeError, ValueError):
            raise ApiError(400, 50033, "Invalid Recipient(s)") from None
        return self.world.dm_channel(user).to_dict()

    # -- application commands ---------------------------------------------------

    def _command_scope(self, call: ApiCall) -> int | None:
        if call.params["app"] != str(self.standin.application_id):
            raise ApiError(403, 50001, "Missing Access")
        if "guild" in call.params:
            return self.guild(call).id
        return None

    async def get_commands(self, call: ApiCall) -> Any:
        return self.standin.commands.synced(self._command_scope(call))

    async def put_commands(self, call: ApiCall) -> Any:
        if not isinstance(call.record.json, list):
            raise ApiError.field("_root", "BASE_TYPE_ARRAY", "Must be an array.")
        return self.standin.commands.overwrite(self._command_scope(call), call.record.json)

    async def post_command(self, call: ApiCall) -> Any:
        return self.standin.commands.upsert(self._command_scope(call), call.json)

    # -- channels ---------------------------------------------------------------

    async def get_channel(self, call: ApiCall) -> Any:
        return self.channel(call).to_dict()

    async def edit_channel(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        if isinstance(channel, FakeThread):
            return await self.standin.thread_api.rest_edit(call, guild, channel)
        self.require(guild, "manage_channels", channel)
        body = call.json
        for key in ("name", "topic", "nsfw", "position"):
            if key in body:
                setattr(channel, key, body[key])
        if "parent_id" in body:
            channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        if "permission_overwrites" in body:
            channel.overwrites = [_overwrite(o) for o in body["permission_overwrites"] or []]
        await self.dispatch("CHANNEL_UPDATE", channel.to_dict())
        return channel.to_dict()

    async def delete_channel(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            return channel.to_dict()  # closing a DM
        if isinstance(channel, FakeThread):
            return await self.standin.thread_api.rest_delete(call, guild, channel)
        self.require(guild, "manage_channels", channel)
        del guild.channels[channel.id]
        for thread in [t for t in guild.threads.values() if t.parent_id == channel.id]:
            del guild.threads[thread.id]  # discord.py drops them on CHANNEL_DELETE
        await self.dispatch("CHANNEL_DELETE", channel.to_dict())
        return channel.to_dict()

    async def put_overwrite(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        self.require(guild, "manage_roles", channel)
        target = call.snowflake("target", "Role")
        body = call.json
        overwrite = _overwrite({"id": target, **body})
        channel.overwrites = [o for o in channel.overwrites if o.id != target] + [overwrite]
        await self.dispatch("CHANNEL_UPDATE", channel.to_dict())

    async def delete_overwrite(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        self.require(guild, "manage_roles", channel)
        target = call.snowflake("target", "Role")
        channel.overwrites = [o for o in channel.overwrites if o.id != target]
        await self.dispatch("CHANNEL_UPDATE", channel.to_dict())

    async def typing(self, call: ApiCall) -> Any:
        self.channel(call)
        return None

    # -- messages ---------------------------------------------------------------

    def _require_send(self, channel: FakeChannel, call: ApiCall) -> None:
        if channel.is_dm:
            if not channel.recipients[0].dms_open:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        if channel.type not in (TEXT, ANNOUNCEMENT, VOICE, STAGE, *THREAD_TYPES):
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        guild = self.world.guild_of(channel)
        assert guild is not None
        if isinstance(channel, FakeThread):
            self.standin.thread_api.check_send(guild, self.bot, channel)  # Send Messages in Threads
        else:
            self.require(guild, "send_messages", channel)
        if call.files:
            self.require(guild, "attach_files", channel)

    def writable(self, channel: FakeChannel) -> None:
        """Messages in an archived thread cannot be edited or deleted."""
        if isinstance(channel, FakeThread) and channel.archived:
            raise ApiError(400, 50083, "Thread is archived")

    def visible_message(self, call: ApiCall, channel: FakeChannel) -> SentMessage:
        message = self.world.message(call.snowflake("message", "Message"), channel.id)
        if message.ephemeral:
            raise ApiError.unknown("Message")  # ephemeral messages are not reachable via channel routes
        return message

    async def list_messages(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        messages = [
            m
            for m in self.world.messages.values()
            if m.channel_id == channel.id and not m.deleted and not m.ephemeral
        ]
        messages.sort(key=lambda m: m.id, reverse=True)
        if "before" in call.query:
            messages = [m for m in messages if m.id < int(call.query["before"])]
        if "after" in call.query:
            messages = [m for m in messages if m.id > int(call.query["after"])]
        limit = int(call.query.get("limit", 50))
        return [copy.deepcopy(m.payload) for m in messages[:limit]]

    async def get_message(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        return copy.deepcopy(self.visible_message(call, channel).payload)

    async def create_message(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        self._require_send(channel, call)
        body = call.json
        fields = message_fields(body)
        attachments = self.world.attachments_for(channel.id, body, call.files) or []
        if not (fields.get("content") or fields.get("embeds") or fields.get("components") or attachments
                or body.get("sticker_ids") or fields.get("poll")):
            raise ApiError(400, 50006, "Cannot send an empty message")
        extra: dict[str, Any] = {}
        message_type = 0
        reference = body.get("message_reference")
        if reference and reference.get("message_id"):
            message_type, extra = self._reply_reference(channel, reference)
        if body.get("nonce") is not None:
            extra["nonce"] = body["nonce"]
        if isinstance(channel, FakeThread):
            guild = self.world.guild_of(channel)
            assert guild is not None
            await self.standin.thread_api.before_message(guild, channel, self.bot)
        message = self.world.create_message(
            channel,
            self.standin.bot_user,
            content=fields.get("content", ""),
            embeds=fields.get("embeds"),
            components=fields.get("components"),
            attachments=attachments,
            flags=int(body.get("flags") or 0) & SETTABLE_FLAGS,
            message_type=message_type,
            extra={**extra, **({"poll": fields["poll"]} if "poll" in fields else {})},
        )
        await self.dispatch("MESSAGE_CREATE", self.world.gateway_message(message))
        return copy.deepcopy(message.payload)

    def _reply_reference(self, channel: FakeChannel, reference: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        referenced = self.world.messages.get(int(reference["message_id"]))
        if referenced is None or referenced.deleted or referenced.ephemeral:
            if reference.get("fail_if_not_exists", True):
                raise ApiError.field("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
            return 0, {}
        ref = {
            "type": 0,
            "message_id": str(referenced.id),
            "channel_id": str(referenced.channel_id),
            "guild_id": str(channel.guild_id) if channel.guild_id else None,
        }
        return 19, {"message_reference": ref, "referenced_message": copy.deepcopy(referenced.payload)}

    async def edit_message(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        message = self.visible_message(call, channel)
        self.writable(channel)
        body = call.json
        changes = message_fields(body)
        if message.author_id != self.standin.bot_user_id:
            if set(changes) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        attachments = self.world.attachments_for(channel.id, body, call.files, message.payload.get("attachments") or [])
        if attachments is not None:
            changes["attachments"] = attachments
        if "flags" in body and body["flags"] is not None:
            changes["flags"] = (message.flags & ~SETTABLE_FLAGS) | (int(body["flags"]) & SETTABLE_FLAGS)
        message.apply_edit(changes)
        await self.dispatch("MESSAGE_UPDATE", self.world.gateway_message(message))

        async def completes_deferred_update() -> None:
            self.standin.interactions.on_message_edited(message)

        call.after_response.append(completes_deferred_update)
        return copy.deepcopy(message.payload)

    async def delete_message(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        message = self.visible_message(call, channel)
        self.writable(channel)
        guild = self.world.guild_of(channel)
        if message.author_id != self.standin.bot_user_id:
            if guild is None:
                raise ApiError(403, 50003, "Cannot execute action on a DM channel")
            self.require(guild, "manage_messages", channel)
        await self.standin.delete_stored_message(message)

    async def bulk_delete(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        self.require(guild, "manage_messages", channel)
        for raw_id in call.json.get("messages") or []:
            message = self.world.messages.get(int(raw_id))
            if message is not None and message.channel_id == channel.id and not message.deleted:
                await self.standin.delete_stored_message(message)

    async def add_reaction(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        message = self.visible_message(call, channel)
        emoji = _emoji(call.params["emoji"])
        reactions = message.payload.setdefault("reactions", [])
        existing = next((r for r in reactions if r["emoji"] == emoji), None)
        if existing is None:
            details = {"burst": 0, "normal": 1}
            reactions.append({"emoji": emoji, "count": 1, "me": True, "burst_colors": [], "count_details": details})
        elif not existing["me"]:
            existing.update(me=True, count=existing["count"] + 1)
        event = {"user_id": str(self.bot.id), "channel_id": str(channel.id), "message_id": str(message.id),
                 "emoji": emoji, "burst": False, "type": 0}
        if channel.guild_id:
            event.update(guild_id=str(channel.guild_id), member=self.bot.to_dict())
        await self.dispatch("MESSAGE_REACTION_ADD", event)

    async def remove_reaction(self, call: ApiCall) -> Any:
        channel = self.channel(call)
        message = self.visible_message(call, channel)
        emoji = _emoji(call.params["emoji"])
        for reaction in list(message.payload.get("reactions") or []):
            if reaction["emoji"] == emoji and reaction["me"]:
                reaction.update(me=False, count=reaction["count"] - 1)
                if reaction["count"] <= 0:
                    message.payload["reactions"].remove(reaction)

    # -- guild --------------------------------------------------------------------

    async def get_guild(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        data = guild.to_dict()
        if call.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return data

    async def list_channels(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        return [c.to_dict() for c in sorted(guild.channels.values(), key=lambda c: (c.position, c.id))]

    async def create_channel(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "manage_channels")
        body = call.json
        parent = body.get("parent_id")
        channel = FakeChannel(
            id=self.world.ids(),
            name=body.get("name") or "channel",
            type=int(body.get("type") or TEXT),
            guild_id=guild.id,
            position=int(body.get("position") or len(guild.channels)),
            parent_id=int(parent) if parent else None,
            topic=body.get("topic"),
            nsfw=bool(body.get("nsfw")),
            overwrites=[_overwrite(o) for o in body.get("permission_overwrites") or []],
        )
        if channel.parent_id is not None and guild.channels.get(channel.parent_id, None) is None:
            raise ApiError.field("parent_id", "CHANNEL_PARENT_INVALID", "Category does not exist")
        guild.channels[channel.id] = channel
        await self.dispatch("CHANNEL_CREATE", channel.to_dict())
        return channel.to_dict()

    async def list_roles(self, call: ApiCall) -> Any:
        return [r.to_dict() for r in self.guild(call).sorted_roles()]

    async def create_role(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "manage_roles")
        body = call.json
        permissions = int(body.get("permissions") or 0)
        if permissions & ~guild.base_permissions(self.bot):
            raise ApiError.missing_permissions()  # cannot grant permissions the bot lacks
        role = FakeRole(
            id=self.world.ids(),
            name=body.get("name") or "new role",
            permissions=permissions,
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
        )
        await self.standin.insert_role(role, 1)
        return role.to_dict()

    async def edit_role(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        role = guild.role(call.snowflake("role", "Role"))
        if role.id == guild.id:
            self.require(guild, "manage_roles")
        elif not guild.can_manage_role(self.bot, role):
            raise ApiError.missing_permissions()
        body = call.json
        if "permissions" in body and body["permissions"] is not None:
            permissions = int(body["permissions"])
            if permissions & ~guild.base_permissions(self.bot) & ~role.permissions:
                raise ApiError.missing_permissions()
            role.permissions = permissions
        for key in ("name", "hoist", "mentionable"):
            if key in body and body[key] is not None:
                setattr(role, key, body[key])
        if "color" in body:
            role.color = int(body["color"] or 0)
        await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_dict()})
        return role.to_dict()

    async def delete_role(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        role = guild.role(call.snowflake("role", "Role"))
        if not guild.can_manage_role(self.bot, role):
            raise ApiError.missing_permissions()
        await self.standin.delete_role(role)

    # -- members ------------------------------------------------------------------

    async def list_members(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        after = int(call.query.get("after", 0))
        limit = int(call.query.get("limit", 1))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.to_dict() for m in members[:limit]]

    async def search_members(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        query = call.query.get("query", "").lower()
        limit = int(call.query.get("limit", 1))
        found = [
            m for m in guild.members.values()
            if m.name.lower().startswith(query) or (m.nick or "").lower().startswith(query)
        ]
        return [m.to_dict() for m in found[:limit]]

    async def get_member(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        return self.target_member(call, guild).to_dict()

    async def edit_member(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        member = self.target_member(call, guild)
        body = call.json
        if "nick" in body:
            self._check_nick(guild, member)
            member.nick = body["nick"] or None
        if "roles" in body and body["roles"] is not None:
            self._set_roles(guild, member, [int(r) for r in body["roles"]])
        if "communication_disabled_until" in body:
            self._set_timeout(guild, member, body["communication_disabled_until"])
        for key, permission in (("mute", "mute_members"), ("deaf", "deafen_members")):
            if key in body and body[key] is not None:
                self.require(guild, permission)
                if member.id not in guild.voice_states:
                    raise ApiError(400, 40032, "Target user is not connected to voice.")
                setattr(member, key, bool(body[key]))
        if "channel_id" in body:
            self.require(guild, "move_members")
            if member.id not in guild.voice_states:
                raise ApiError(400, 40032, "Target user is not connected to voice.")
            target = guild.channel(int(body["channel_id"])) if body["channel_id"] else None
            await self.standin.set_voice_state(member, target)
        await self.member_updated(guild, member)
        return member.to_dict()

    def _check_nick(self, guild: Guild, member: FakeMember) -> None:
        if member is self.bot:
            self.require(guild, "change_nickname")
            return
        self.require(guild, "manage_nicknames")
        if not guild.outranks(self.bot, member):
            raise ApiError.missing_permissions()

    def _set_roles(self, guild: Guild, member: FakeMember, role_ids: list[int]) -> None:
        self.require(guild, "manage_roles")
        wanted = {guild.role(r).id for r in role_ids}
        current = set(member.roles)
        for role_id in wanted ^ current:
            if not guild.can_manage_role(self.bot, guild.roles[role_id]):
                raise ApiError.missing_permissions()
        member.roles = [r for r in member.roles if r in wanted] + [r for r in role_ids if r not in current]

    def _set_timeout(self, guild: Guild, member: FakeMember, raw: str | None) -> None:
        self.require(guild, "moderate_members")
        if member.id == guild.owner_id or guild.base_permissions(member) & PERMISSION_BITS["administrator"]:
            raise ApiError.missing_permissions()
        if not guild.outranks(self.bot, member):
            raise ApiError.missing_permissions()
        until = parse_time(raw)
        if until is not None and until > utcnow() + MAX_TIMEOUT:
            raise ApiError.field(
                "communication_disabled_until",
                "BASE_TYPE_BAD_TIME",
                "Timeout duration cannot be longer than 28 days.",
            )
        member.communication_disabled_until = until

    async def kick_member(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        member = self.target_member(call, guild)
        self.require(guild, "kick_members")
        if not guild.outranks(self.bot, member):
            raise ApiError.missing_permissions()
        await self.standin.remove_member(member)

    async def add_member_role(self, call: ApiCall) -> Any:
        await self._change_member_role(call, add=True)

    async def remove_member_role(self, call: ApiCall) -> Any:
        await self._change_member_role(call, add=False)

    async def _change_member_role(self, call: ApiCall, *, add: bool) -> None:
        guild = self.guild(call)
        member = self.target_member(call, guild)
        role = guild.role(call.snowflake("role", "Role"))
        if not guild.can_manage_role(self.bot, role):
            raise ApiError.missing_permissions()
        if add and role.id not in member.roles:
            member.roles.append(role.id)
        elif not add and role.id in member.roles:
            member.roles.remove(role.id)
        else:
            return
        await self.member_updated(guild, member)

    async def get_ban(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "ban_members")
        user_id = call.snowflake("user", "User")
        if user_id not in guild.bans:
            raise ApiError.unknown("Ban")
        return {"reason": guild.bans[user_id], "user": self.world.user(user_id).to_dict()}

    async def ban_member(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "ban_members")
        user = self.world.user(call.snowflake("user", "User"))
        member = guild.members.get(user.id)
        if member is not None and not guild.outranks(self.bot, member):
            raise ApiError.missing_permissions()
        guild.bans[user.id] = call.record.reason
        await self.dispatch("GUILD_BAN_ADD", {"guild_id": str(guild.id), "user": user.to_dict()})
        if member is not None:
            await self.standin.remove_member(member)

    async def unban_member(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "ban_members")
        user_id = call.snowflake("user", "User")
        if guild.bans.pop(user_id, "missing") == "missing":
            raise ApiError.unknown("Ban")
        await self.dispatch("GUILD_BAN_REMOVE", {"guild_id": str(guild.id), "user": self.world.user(user_id).to_dict()})

    # -- scheduled events -------------------------------------------------------------

    def event(self, call: ApiCall, guild: Guild) -> dict[str, Any]:
        try:
            return guild.scheduled_events[call.snowflake("event", "Guild Scheduled Event")]
        except KeyError:
            raise ApiError.unknown("Guild Scheduled Event") from None

    async def list_events(self, call: ApiCall) -> Any:
        return list(self.guild(call).scheduled_events.values())

    async def get_event(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        return self.event(call, guild)

    async def create_event(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        body = call.json
        if not (guild.has(self.bot, "create_events") or guild.has(self.bot, "manage_events")):
            raise ApiError.missing_permissions()
        event = {
            "id": str(self.world.ids()),
            "guild_id": str(guild.id),
            "channel_id": None,
            "creator_id": str(self.bot.id),
            "creator": self.standin.bot_user.to_dict(),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        if body.get("channel_id"):
            event["channel_id"] = str(body["channel_id"])
        self._check_event(guild, event, creating=True)
        guild.scheduled_events[int(event["id"])] = event
        await self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        return event

    async def edit_event(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "manage_events")
        event = self.event(call, guild)
        body = call.json
        updated = dict(event)
        for key in ("name", "description", "scheduled_start_time", "scheduled_end_time", "privacy_level",
                    "entity_type", "entity_metadata", "recurrence_rule"):
            if key in body:
                updated[key] = body[key]
        if "channel_id" in body:
            updated["channel_id"] = str(body["channel_id"]) if body["channel_id"] else None
        if "status" in body:
            allowed = {1: {2, 4}, 2: {3}}.get(int(event["status"]), set())
            if int(body["status"]) not in allowed and int(body["status"]) != int(event["status"]):
                raise ApiError.field("status", "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                                     "Invalid status transition.")
            updated["status"] = int(body["status"])
        self._check_event(guild, updated, creating="scheduled_start_time" in body)
        event.clear()
        event.update(updated)
        await self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return event

    async def delete_event(self, call: ApiCall) -> Any:
        guild = self.guild(call)
        self.require(guild, "manage_events")
        event = self.event(call, guild)
        del guild.scheduled_events[int(event["id"])]
        await self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)

    def _check_event(self, guild: Guild, event: dict[str, Any], *, creating: bool) -> None:
        """Discord's cross-field rules for scheduled events."""
        required = "BASE_TYPE_REQUIRED", "This field is required"
        start, end = parse_time(event["scheduled_start_time"]), parse_time(event["scheduled_end_time"])
        if start is None:
            raise ApiError.field("scheduled_start_time", *required)
        if creating and start < utcnow():
            raise ApiError.field("scheduled_start_time", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                                 "Cannot schedule event in the past.")
        if end is not None and end <= start:
            raise ApiError.field("scheduled_end_time", "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                                 "Cannot schedule event to end before starting.")
        if event["entity_type"] == 3:  # external
            if not (event.get("entity_metadata") or {}).get("location"):
                raise ApiError.field("entity_metadata.location", *required)
            if end is None:
                raise ApiError.field("scheduled_end_time", *required)
            if event.get("channel_id"):
                raise ApiError.field("channel_id", "BASE_TYPE_BAD_VALUE", "External events cannot have a channel.")
        elif event["entity_type"] in (1, 2):  # stage / voice
            if not event.get("channel_id"):
                raise ApiError.field("channel_id", *required)
            channel = guild.channels.get(int(event["channel_id"]))
            wanted = STAGE if event["entity_type"] == 1 else VOICE
            if channel is None or channel.type != wanted:
                raise ApiError.field("channel_id", "CHANNEL_TYPE_INVALID", "Invalid channel type.")
        else:
            raise ApiError.field("entity_type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")


class _ValidationError(ApiError):
    """The validator's 400 (body from ``format_discord_error``) plus its raw messages."""

    def __init__(self, body: dict[str, Any], messages: list[str]) -> None:
        super().__init__(400, int(body.get("code", 50035)), body.get("message", "Invalid Form Body"))
        self._body = body
        self.messages = messages

    def body(self) -> dict[str, Any]:
        return self._body


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON body, or multipart ``payload_json`` + ``files[n]`` parts."""
    if request.content_type == "multipart/form-data":
        payload: Any = None
        uploads: list[Upload] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: not something discord.py sends
            data = await part.read()
            if part.name == "payload_json":
                payload = json.loads(data.decode())
            elif part.filename is not None:
                uploads.append(Upload(part.name or "", part.filename, bytes(data), part.headers.get("Content-Type")))
            else:
                payload = payload or {}
                payload[part.name] = data.decode()
        return payload, uploads
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def _overwrite(data: dict[str, Any]) -> Overwrite:
    return Overwrite(
        id=int(data["id"]),
        type=int(data.get("type", 0)),
        allow=int(data.get("allow") or 0),
        deny=int(data.get("deny") or 0),
    )


def _emoji(raw: str) -> dict[str, Any]:
    name, _, emoji_id = unquote(raw).partition(":")
    return {"id": emoji_id or None, "name": name}

