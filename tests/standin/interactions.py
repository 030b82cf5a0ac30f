"""Interactions: synced commands, users invoking them, and the bot's responses.

A user action (``slash``, ``autocomplete``, ``click``, ``submit_modal``) builds the
INTERACTION_CREATE payload Discord would send, dispatches it and waits for the
bot's answer, which arrives over REST:

- ``POST /interactions/{id}/{token}/callback?with_response=1`` (answered with an
  InteractionCallbackResponse: ``interaction`` + ``resource`` incl. ``message``),
- ``POST /webhooks/{app}/{token}`` (followups; the first one after a deferral
  fills the "thinking" message, as on Discord),
- ``GET/PATCH/DELETE /webhooks/{app}/{token}/messages/{id|@original}``.

The action returns a :class:`Reply` once the answer is complete: immediately for
message/update/modal/autocomplete responses, after the followup or edit for a
deferred response (type 5), and for a deferred update (type 6) after the next
edit/followup or ``StandIn.deferred_update_grace`` seconds, whichever is first.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .state import (
    EPHEMERAL_FLAG,
    LOADING_FLAG,
    SETTABLE_FLAGS,
    VIEW_CHANNEL,
    ApiError,
    FakeChannel,
    FakeMember,
    FakeRole,
    FakeThread,
    FakeUser,
    MessageView,
    SentMessage,
    StoredFile,
    message_fields,
    walk_components,
)

if TYPE_CHECKING:  # pragma: no cover
    from .core import StandIn
    from .server import ApiCall

# Interaction types
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
# Callback (response) types
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
ALLOWED_RESPONSES = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}
# Option types
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
)
# Component types
BUTTON, STRING_SELECT, TEXT_INPUT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 2, 3, 4, 5, 6, 7, 8
LABEL = 18
ENTITY_SELECTS = {USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT}
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_TOKEN_IN_PATH = re.compile(r"^/(?:interactions|webhooks)/\d+/([^/]+)")


class InteractionTimeout(AssertionError):
    """The bot did not (completely) answer an interaction in time."""


class InteractionRejected(AssertionError):
    """The stand-in answered the bot's interaction response with an error (e.g. 400)."""


# ---------------------------------------------------------------------------
# Synced commands
# ---------------------------------------------------------------------------


class CommandRegistry:
    """Application commands the bot synced, per scope (None = global), with stable ids."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self._scopes: dict[int | None, dict[tuple[str, int], dict[str, Any]]] = {}
        self._changed = asyncio.Event()

    def synced(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The commands synced for a guild (or globally with None), as echoed to the bot."""
        return [copy.deepcopy(c) for c in self._scopes.get(guild_id, {}).values()]

    def overwrite(self, guild_id: int | None, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        old = self._scopes.get(guild_id, {})
        new: dict[tuple[str, int], dict[str, Any]] = {}
        for body in bodies:
            key = (body["name"], int(body.get("type") or 1))
            new[key] = self._echo(guild_id, body, old.get(key))
        self._scopes[guild_id] = new
        self._notify()
        return self.synced(guild_id)

    def upsert(self, guild_id: int | None, body: dict[str, Any]) -> dict[str, Any]:
        scope = self._scopes.setdefault(guild_id, {})
        key = (body["name"], int(body.get("type") or 1))
        scope[key] = self._echo(guild_id, body, scope.get(key))
        self._notify()
        return copy.deepcopy(scope[key])

    def find(self, name: str, guild_id: int | None, command_type: int = 1) -> tuple[dict[str, Any], int | None] | None:
        """The command as the user's client would see it: guild commands first, then global."""
        for scope in ([guild_id] if guild_id is not None else []) + [None]:
            command = self._scopes.get(scope, {}).get((name, command_type))
            if command is not None:
                return command, scope
        return None

    def names(self) -> list[str]:
        return sorted({name for scope in self._scopes.values() for name, _ in scope})

    async def wait_for(self, name: str, guild_id: int | None, command_type: int, timeout: float) -> None:
        """Wait until the bot has synced command ``name`` (visible from ``guild_id``)."""

        async def synced() -> None:
            while self.find(name, guild_id, command_type) is None:
                await self._changed.wait()

        await asyncio.wait_for(synced(), timeout)

    def _echo(self, guild_id: int | None, body: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        command = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "contexts": None,
            "integration_types": [0],
            "nsfw": False,
            "name_localizations": None,
            "description_localizations": None,
            **copy.deepcopy(body),
        }
        command["id"] = previous["id"] if previous else str(self.standin.ids())
        command["application_id"] = str(self.standin.application_id)
        command["version"] = str(self.standin.ids())
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


# ---------------------------------------------------------------------------
# Replies
# ---------------------------------------------------------------------------


@dataclass
class ModalSpec:
    """A modal the bot opened (callback type 9)."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """The fillable components (text inputs, selects), in order."""
        return [c for c in walk_components(self.components) if "custom_id" in c and c.get("type") != BUTTON]

    @property
    def field_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.inputs]

    def field(self, custom_id: str) -> dict[str, Any]:
        for component in self.inputs:
            if component["custom_id"] == custom_id:
                return component
        raise KeyError(f"modal {self.custom_id!r} has no field {custom_id!r} (fields: {self.field_ids})")


class Reply(MessageView):
    """The bot's answer to one interaction.

    Message fields (``content``, ``embeds`` ...) are a snapshot taken when the
    reply completed; ``message`` is the live stored message (later edits applied),
    ``followups`` grows as the bot sends more followup messages.
    """

    def __init__(
        self,
        *,
        type: int,
        raw: dict[str, Any],
        interaction_id: int,
        message: SentMessage | None = None,
        modal: ModalSpec | None = None,
        choices: list[dict[str, Any]] | None = None,
        deferred: bool = False,
        followups: list[SentMessage] | None = None,
        followup_signal: asyncio.Event | None = None,
    ) -> None:
        self.type = type
        self.raw = raw
        self.interaction_id = interaction_id
        self.message = message
        self.modal = modal
        self.choices = choices
        self.deferred = deferred
        self.followups: list[SentMessage] = followups if followups is not None else []
        self.payload: dict[str, Any] = copy.deepcopy(message.payload) if message is not None else {}
        self._files = message.attachments if message is not None else []
        self._followup_signal = followup_signal or asyncio.Event()

    def __repr__(self) -> str:
        what = f"modal={self.modal.custom_id!r}" if self.modal else f"text={self.text[:60]!r}"
        return f"<Reply type={self.type} ephemeral={self.ephemeral} {what}>"

    @property
    def attachments(self) -> list[StoredFile]:
        """Uploaded files (``.filename``/``.name``, ``.data`` bytes, ``.content_type``)."""
        return list(self._files)

    @property
    def files(self) -> list[StoredFile]:
        return self.attachments

    @property
    def message_id(self) -> int | None:
        return int(self.payload["id"]) if self.payload else None

    async def next_followup(self, timeout: float = 2.0) -> SentMessage:
        """Wait for the next followup message (after those already in ``followups``)."""
        seen = len(self.followups)

        async def wait() -> SentMessage:
            while len(self.followups) <= seen:
                self._followup_signal.clear()
                await self._followup_signal.wait()
            return self.followups[seen]

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise InteractionTimeout(f"no followup message within {timeout}s") from None


# ---------------------------------------------------------------------------
# Pending interactions
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class Pending:
    """One interaction from dispatch until its tokens are no longer needed."""

    id: int
    token: str
    kind: int
    user: FakeUser
    channel: FakeChannel
    name: str | None = None
    origin: SentMessage | None = None  # message holding the component (clicks, modals opened by clicks)
    response_type: int | None = None
    response_body: dict[str, Any] | None = None
    original: SentMessage | None = None  # what @original refers to
    followups: list[SentMessage] = field(default_factory=list)
    followup_signal: asyncio.Event = field(default_factory=asyncio.Event)
    future: asyncio.Future[Reply] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    grace: asyncio.TimerHandle | None = None

    def resolve(self, reply: Reply) -> None:
        if not self.future.done():
            self.future.set_result(reply)
        if self.grace is not None:
            self.grace.cancel()

    def reject(self, error: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(error)
            self.future.exception()  # mark retrieved: the waiter may already have given up


@dataclass
class OpenedModal:
    spec: ModalSpec
    opened_by: Pending


class Upload:
    """A file a user attaches to an ATTACHMENT option: ``Upload("a.png", b"...")``."""

    def __init__(self, filename: str, data: bytes, content_type: str | None = None) -> None:
        self.filename = filename
        self.data = data
        self.content_type = content_type


# ---------------------------------------------------------------------------
# The hub
# ---------------------------------------------------------------------------


class InteractionHub:
    """Builds interactions for user actions and handles the bot's REST answers."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.world = standin.world
        self.pending: dict[str, Pending] = {}
        self.modals: dict[str, OpenedModal] = {}

    # -- user actions ---------------------------------------------------------

    async def slash(
        self,
        command: str,
        *,
        user: Any,
        channel: Any = None,
        options: dict[str, Any] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Reply:
        member, where = self._actor(user, channel)
        spec, scope, path = await self._command(command, where, timeout)
        leaf = self._leaf(spec, path, command)
        values = {**(options or {}), **kwargs}
        resolved = _Resolved(self, member, where)
        built = self._options(leaf, values, resolved, command, focused=None)
        data = self._command_data(spec, scope, path, built, resolved)
        pending = self._new(APPLICATION_COMMAND, member, where, name=command)
        return await self._run(pending, data, timeout)

    async def autocomplete(
        self,
        command: str,
        *,
        focused: str,
        user: Any,
        channel: Any = None,
        options: dict[str, Any] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        member, where = self._actor(user, channel)
        spec, scope, path = await self._command(command, where, timeout)
        leaf = self._leaf(spec, path, command)
        values = {**(options or {}), **kwargs}
        values.setdefault(focused, "")
        resolved = _Resolved(self, member, where)
        built = self._options(leaf, values, resolved, command, focused=focused)
        data = self._command_data(spec, scope, path, built, resolved)
        pending = self._new(AUTOCOMPLETE, member, where, name=command)
        reply = await self._run(pending, data, timeout)
        return reply.choices or []

    async def click(
        self,
        message: Any,
        custom_id: str,
        *,
        user: Any,
        values: list[Any] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        stored = self._message(message)
        channel = self.world.channel(stored.channel_id)
        member, where = self._actor(user, channel)
        self._check_visible(stored, member)
        component = stored.find_component(custom_id)
        if component is None:
            raise LookupError(f"message {stored.id} has no component {custom_id!r} (has: {stored.component_ids})")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component.get("id") is not None:
            data["id"] = component["id"]
        if component["type"] != BUTTON:
            resolved = _Resolved(self, member, where)
            data["values"] = self._select_values(component, values, resolved)
            if resolved:
                data["resolved"] = resolved.to_dict()
        elif values is not None:
            raise ValueError("values= is only for select menus")
        pending = self._new(MESSAGE_COMPONENT, member, where, origin=stored)
        return await self._run(pending, data, timeout, message=stored)

    async def submit_modal(
        self,
        custom_id: str,
        values: dict[str, Any] | None = None,
        *,
        user: Any,
        message: Any = None,
        channel: Any = None,
        timeout: float | None = None,
    ) -> Reply:
        opened = self.modals.get(custom_id)
        if opened is None:
            raise LookupError(f"the bot never opened a modal {custom_id!r} (open: {sorted(self.modals)})")
        origin = self._message(message) if message is not None else opened.opened_by.origin
        member, where = self._actor(user, channel or opened.opened_by.channel)
        resolved = _Resolved(self, member, where)
        components = self._modal_components(opened.spec, dict(values or {}), resolved)
        data: dict[str, Any] = {"custom_id": custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved.to_dict()
        del self.modals[custom_id]
        pending = self._new(MODAL_SUBMIT, member, where, origin=origin)
        return await self._run(pending, data, timeout, message=origin)

    # -- REST handlers (called by server.RestApi) ----------------------------------

    async def handle_callback(self, call: ApiCall) -> Any:
        pending = self.pending.get(call.params["token"])
        if pending is None or str(pending.id) != call.params["interaction"]:
            raise ApiError.unknown("interaction")
        if pending.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = call.json
        response_type = int(body.get("type") or 0)
        data = body.get("data") or {}
        allowed = set(ALLOWED_RESPONSES[pending.kind])
        if pending.origin is None:
            allowed -= {DEFERRED_UPDATE, UPDATE_MESSAGE}
        if response_type not in allowed:
            raise ApiError.field("type", "INTERACTION_RESPONSE_TYPE_INVALID",
                                 f"Response type {response_type} is not valid for interaction type {pending.kind}.")
        message: SentMessage | None = None
        if response_type == CHANNEL_MESSAGE:
            message = await self._create_response(pending, data, call)
        elif response_type == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING_FLAG | (int(data.get("flags") or 0) & EPHEMERAL_FLAG)
            message = await self._create_response(pending, {"flags": flags}, call, loading=True)
        elif response_type == UPDATE_MESSAGE:
            assert pending.origin is not None
            message = await self._edit(pending.origin, data, call)
        elif response_type == MODAL:
            components = copy.deepcopy(data.get("components") or [])
            spec = ModalSpec(data.get("custom_id", ""), data.get("title", ""), components)
            self.modals[spec.custom_id] = OpenedModal(spec, pending)
        pending.response_type = response_type
        pending.response_body = body
        pending.original = message or pending.origin
        interaction: dict[str, Any] = {"id": str(pending.id), "type": pending.kind}
        resource: dict[str, Any] = {"type": response_type}
        if message is not None:
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=bool(message.flags & LOADING_FLAG),
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = copy.deepcopy(message.payload)
        call.after_response.append(lambda: self._after_callback(pending))
        if call.query.get("with_response", "false").lower() not in ("1", "true"):
            return None  # 204, as Discord answers without ?with_response
        return {"interaction": interaction, "resource": resource}

    async def handle_followup(self, call: ApiCall) -> Any:
        pending = self._pending_webhook(call)
        if pending.response_type in (None, MODAL, AUTOCOMPLETE_RESULT):
            raise ApiError.unknown("Webhook")
        body = call.json
        original = pending.original
        if original is not None and original.flags & LOADING_FLAG:
            message = await self._fill_loading(original, body, call)  # first followup replaces "thinking"
        else:
            flags = int(body.get("flags") or 0) & (SETTABLE_FLAGS | EPHEMERAL_FLAG)
            message = await self._create_response(pending, {**body, "flags": flags}, call)
            pending.followups.append(message)
            pending.followup_signal.set()
        call.after_response.append(lambda: self._after_update(pending))
        wait = call.query.get("wait", "false").lower() in ("1", "true")
        return copy.deepcopy(message.payload) if wait else None

    async def handle_get_message(self, call: ApiCall) -> Any:
        pending = self._pending_webhook(call)
        return copy.deepcopy(self._webhook_message(pending, call.params["message"]).payload)

    async def handle_edit_message(self, call: ApiCall) -> Any:
        pending = self._pending_webhook(call)
        message = self._webhook_message(pending, call.params["message"])
        if message.flags & LOADING_FLAG:
            message = await self._fill_loading(message, call.json, call)
        else:
            message = await self._edit(message, call.json, call)
        call.after_response.append(lambda: self._after_update(pending))
        return copy.deepcopy(message.payload)

    async def handle_delete_message(self, call: ApiCall) -> Any:
        pending = self._pending_webhook(call)
        message = self._webhook_message(pending, call.params["message"])
        await self.standin.delete_stored_message(message)

    def on_rejected(self, path: str, status: int, body: Any) -> None:
        """A failed callback/followup/edit fails the waiting user action right away."""
        match = _TOKEN_IN_PATH.match(path)
        pending = self.pending.get(match.group(1)) if match else None
        if pending is not None and not pending.future.done():
            pending.reject(InteractionRejected(
                f"the bot's interaction answer was rejected with HTTP {status}: {json.dumps(body)}"
            ))

    def on_message_edited(self, message: SentMessage) -> None:
        """A channel-route edit of a component's message completes a deferred update."""
        for pending in self.pending.values():
            if pending.response_type == DEFERRED_UPDATE and pending.origin is message:
                self._resolve_with_message(pending, message)

    # -- responses ---------------------------------------------------------------

    async def _create_response(
        self, pending: Pending, data: dict[str, Any], call: ApiCall, *, loading: bool = False
    ) -> SentMessage:
        fields = message_fields(data)
        attachments = self.world.attachments_for(pending.channel.id, data, call.files) or []
        if not loading and not (fields.get("content") or fields.get("embeds") or fields.get("components")
                                or attachments or fields.get("poll")):
            raise ApiError(400, 50006, "Cannot send an empty message")
        flags = int(data.get("flags") or 0) & (SETTABLE_FLAGS | EPHEMERAL_FLAG | LOADING_FLAG)
        metadata: dict[str, Any] = {
            "id": str(pending.id),
            "type": pending.kind,
            "user": pending.user.to_dict(),
            "authorizing_integration_owners": self._owners(pending.channel),
        }
        if pending.kind == APPLICATION_COMMAND and pending.name:
            metadata["name"] = pending.name
        if pending.origin is not None:
            metadata["interacted_message_id"] = str(pending.origin.id)
        extra = {
            "webhook_id": str(self.standin.application_id),
            "application_id": str(self.standin.application_id),
            "interaction_metadata": metadata,
        }
        if "poll" in fields:
            extra["poll"] = fields["poll"]
        message = self.world.create_message(
            pending.channel,
            self.standin.bot_user,
            content=fields.get("content", ""),
            embeds=fields.get("embeds"),
            components=fields.get("components"),
            attachments=attachments,
            flags=flags,
            message_type=20 if pending.kind == APPLICATION_COMMAND else 0,
            extra=extra,
        )
        if not message.ephemeral:
            await self.standin.dispatch("MESSAGE_CREATE", self.world.gateway_message(message))
        return message

    async def _edit(self, message: SentMessage, data: dict[str, Any], call: ApiCall) -> SentMessage:
        changes = message_fields(data)
        attachments = self.world.attachments_for(
            message.channel_id, data, call.files, message.payload.get("attachments") or []
        )
        if attachments is not None:
            changes["attachments"] = attachments
        if data.get("flags") is not None:
            changes["flags"] = (message.flags & ~SETTABLE_FLAGS) | (int(data["flags"]) & SETTABLE_FLAGS)
        message.apply_edit(changes)
        if not message.ephemeral:
            await self.standin.dispatch("MESSAGE_UPDATE", self.world.gateway_message(message))
        return message

    async def _fill_loading(self, message: SentMessage, data: dict[str, Any], call: ApiCall) -> SentMessage:
        changes = message_fields(data)
        attachments = self.world.attachments_for(message.channel_id, data, call.files) or []
        if not (changes.get("content") or changes.get("embeds") or changes.get("components") or attachments):
            raise ApiError(400, 50006, "Cannot send an empty message")
        changes["attachments"] = attachments
        keep = message.flags & EPHEMERAL_FLAG
        changes["flags"] = keep | (int(data.get("flags") or 0) & SETTABLE_FLAGS)
        message.payload.update(changes)
        if not message.ephemeral:
            await self.standin.dispatch("MESSAGE_UPDATE", self.world.gateway_message(message))
        return message

    async def _after_callback(self, pending: Pending) -> None:
        response_type = pending.response_type
        body = pending.response_body or {}
        if response_type == MODAL:
            data = body.get("data") or {}
            spec = self.modals[data.get("custom_id", "")].spec
            pending.resolve(self._reply(pending, None, modal=spec))
        elif response_type == AUTOCOMPLETE_RESULT:
            choices = copy.deepcopy((body.get("data") or {}).get("choices") or [])
            pending.resolve(self._reply(pending, None, choices=choices))
        elif response_type in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            pending.resolve(self._reply(pending, pending.original))
        elif response_type == DEFERRED_UPDATE:
            loop = asyncio.get_running_loop()
            pending.grace = loop.call_later(
                self.standin.deferred_update_grace, lambda: pending.resolve(self._reply(pending, None, deferred=True))
            )

    async def _after_update(self, pending: Pending) -> None:
        if pending.response_type == DEFERRED_CHANNEL_MESSAGE and pending.original is not None:
            if not pending.original.flags & LOADING_FLAG:
                self._resolve_with_message(pending, pending.original)
        elif pending.response_type == DEFERRED_UPDATE:
            message = pending.followups[-1] if pending.followups else pending.original
            self._resolve_with_message(pending, message)

    def _resolve_with_message(self, pending: Pending, message: SentMessage | None) -> None:
        pending.resolve(self._reply(pending, message, deferred=True))

    def _reply(self, pending: Pending, message: SentMessage | None, **extra: Any) -> Reply:
        return Reply(
            type=pending.response_type or 0,
            raw=pending.response_body or {},
            interaction_id=pending.id,
            message=message,
            followups=pending.followups,
            followup_signal=pending.followup_signal,
            **extra,
        )

    def _pending_webhook(self, call: ApiCall) -> Pending:
        pending = self.pending.get(call.params["token"])
        if pending is None or call.params["app"] != str(self.standin.application_id):
            raise ApiError.unknown("Webhook")
        return pending

    def _webhook_message(self, pending: Pending, raw_id: str) -> SentMessage:
        if raw_id == "@original":
            message = pending.original
        else:
            candidates = [pending.original, *pending.followups]
            message = next((m for m in candidates if m is not None and str(m.id) == raw_id), None)
        if message is None or message.deleted:
            raise ApiError.unknown("Message")
        return message

    # -- building interactions ---------------------------------------------------------

    def _new(self, kind: int, user: FakeUser, channel: FakeChannel, *, name: str | None = None,
             origin: SentMessage | None = None) -> Pending:
        pending = Pending(
            id=self.standin.ids(),
            token=f"standin-{secrets.token_urlsafe(24)}",
            kind=kind,
            user=user,
            channel=channel,
            name=name,
            origin=origin,
        )
        self.pending[pending.token] = pending
        return pending

    async def _run(self, pending: Pending, data: dict[str, Any], timeout: float | None,
                   message: SentMessage | None = None) -> Reply:
        if self.standin.gateway.session is None:  # while it reconnects, the event is replayed on RESUME
            raise RuntimeError("no bot is connected to the stand-in (did it log in and receive READY?)")
        payload = self._payload(pending, data, message)
        await self.standin.dispatch("INTERACTION_CREATE", payload)
        limit = self.standin.reply_timeout if timeout is None else timeout
        try:
            reply = await asyncio.wait_for(asyncio.shield(pending.future), limit)
        except TimeoutError:
            raise InteractionTimeout(self._timeout_message(pending, limit)) from None
        await asyncio.sleep(self.standin.settle_delay)  # let the bot finish processing its HTTP response
        return reply

    def _timeout_message(self, pending: Pending, limit: float) -> str:
        what = {APPLICATION_COMMAND: f"/{pending.name}", MESSAGE_COMPONENT: "component click",
                AUTOCOMPLETE: f"autocomplete for /{pending.name}", MODAL_SUBMIT: "modal submit"}[pending.kind]
        if pending.response_type is None:
            state = "never answered (no interaction callback)"
        else:
            state = f"answered with callback type {pending.response_type} but sent no followup/edit"
        errors = "".join(f"\n  stand-in: {e.splitlines()[0]}" for e in self.standin.internal_errors)
        return f"the bot {state} for {what} within {limit}s{errors}"

    def _payload(self, pending: Pending, data: dict[str, Any], message: SentMessage | None) -> dict[str, Any]:
        channel = pending.channel
        guild = self.world.guild_of(channel)
        bot = self.standin.bot_member
        payload: dict[str, Any] = {
            "id": str(pending.id),
            "application_id": str(self.standin.application_id),
            "type": pending.kind,
            "data": data,
            "token": pending.token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": self._owners(channel),
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
        }
        if guild is not None:
            member = guild.member(pending.user.id)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member.to_dict(permissions=guild.permissions_in(member, channel)),
                channel={**channel.to_dict(), "permissions": str(guild.permissions_in(member, channel))},
                app_permissions=str(guild.permissions_in(bot, channel)),
                context=0,
            )
        else:
            payload.update(
                user=pending.user.to_dict(),
                channel=channel.to_dict(),
                app_permissions=str(self.standin.dm_app_permissions),
                context=1,
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message.payload)
        return payload

    def _owners(self, channel: FakeChannel) -> dict[str, str]:
        return {"0": str(channel.guild_id)} if channel.guild_id else {"0": "0"}

    def _actor(self, user: Any, channel: Any) -> tuple[FakeUser, FakeChannel]:
        """The invoking user and the channel the interaction happens in."""
        if isinstance(user, FakeMember):
            fake_user = user.user
        elif isinstance(user, FakeUser):
            fake_user = user
        else:
            found = self.world.users.get(int(getattr(user, "id", user)))
            if found is None:
                raise LookupError(f"unknown user {user!r}")
            fake_user = found
        if channel is None:
            where = self.standin.general
        elif isinstance(channel, FakeChannel):
            where = channel
        else:
            where = self.world.channel(int(getattr(channel, "id", channel)))
        guild = self.world.guild_of(where)
        if guild is not None and fake_user.id not in guild.members:
            raise LookupError(f"{fake_user.username} is not a member of the guild")
        if isinstance(where, FakeThread) and guild is not None and not guild.permissions_in(
            guild.members[fake_user.id], where
        ) & VIEW_CHANNEL:
            raise PermissionError(f"{fake_user.username} cannot see thread {where.name!r}")
        return fake_user, where

    def _message(self, message: Any) -> SentMessage:
        if isinstance(message, Reply):
            if message.message is None:
                raise ValueError(f"{message!r} has no message")
            return message.message
        if isinstance(message, SentMessage):
            return message
        raw_id: Any = message.get("id") if isinstance(message, dict) else getattr(message, "id", message)
        message_id = int(raw_id)
        stored = self.world.messages.get(message_id)
        if stored is None or stored.deleted:
            raise LookupError(f"unknown message {message_id}")
        return stored

    def _check_visible(self, message: SentMessage, user: FakeUser) -> None:
        if message.ephemeral:
            owner = (message.payload.get("interaction_metadata") or {}).get("user", {}).get("id")
            if owner is not None and owner != str(user.id):
                raise PermissionError(f"{user.username} cannot see ephemeral message {message.id}")

    # -- commands ---------------------------------------------------------------------

    async def _command(
        self, command: str, channel: FakeChannel, timeout: float | None
    ) -> tuple[dict[str, Any], int | None, list[str]]:
        path = command.split()
        if not path:
            raise ValueError("empty command name")
        guild_id = channel.guild_id
        found = self.standin.commands.find(path[0], guild_id)
        if found is None:
            try:
                await self.standin.commands.wait_for(path[0], guild_id, 1, min(timeout or 2.0, 2.0))
            except TimeoutError:
                known = self.standin.commands.names()
                raise LookupError(f"the bot has not synced a command /{path[0]} (synced: {known})") from None
            found = self.standin.commands.find(path[0], guild_id)
            assert found is not None
        spec, scope = found
        return spec, scope, path

    def _leaf(self, spec: dict[str, Any], path: list[str], command: str) -> dict[str, Any]:
        node = spec
        for name in path[1:]:
            children = [o for o in node.get("options") or [] if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            match = next((o for o in children if o["name"] == name), None)
            if match is None:
                raise LookupError(f"/{command}: no subcommand {name!r} (has: {[o['name'] for o in children]})")
            node = match
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in node.get("options") or []):
            raise LookupError(f"/{command} is a group; name a subcommand")
        return node

    def _command_data(self, spec: dict[str, Any], scope: int | None, path: list[str],
                      options: list[dict[str, Any]], resolved: _Resolved) -> dict[str, Any]:
        nested = options
        node = spec
        chain = []
        for name in path[1:]:
            node = next(o for o in node["options"] if o["name"] == name)
            chain.append(node)
        for node in reversed(chain):
            nested = [{"type": node["type"], "name": node["name"], "options": nested}]
        data: dict[str, Any] = {"id": spec["id"], "name": spec["name"], "type": 1, "options": nested}
        if scope is not None:
            data["guild_id"] = str(scope)
        if resolved:
            data["resolved"] = resolved.to_dict()
        return data

    def _options(self, leaf: dict[str, Any], values: dict[str, Any], resolved: _Resolved, command: str,
                 focused: str | None) -> list[dict[str, Any]]:
        specs = {o["name"]: o for o in leaf.get("options") or []}
        unknown = set(values) - set(specs)
        if unknown:
            raise TypeError(f"/{command} has no option(s) {sorted(unknown)} (options: {sorted(specs)})")
        if focused is None:
            missing = [n for n, o in specs.items() if o.get("required") and n not in values]
            if missing:
                raise TypeError(f"/{command} is missing required option(s) {missing}")
        elif focused not in specs:
            raise TypeError(f"/{command} has no option {focused!r} to focus")
        built = []
        for name, spec in specs.items():  # Discord sends them in declaration order
            if name not in values:
                continue
            if name == focused:
                built.append({"type": spec["type"], "name": name, "value": str(values[name]), "focused": True})
                continue
            value = _option_value(spec, values[name], resolved, command, check=focused is None)
            built.append({"type": spec["type"], "name": name, "value": value})
        return built

    # -- components and modals -------------------------------------------------------------

    def _select_values(self, component: dict[str, Any], values: list[Any] | None, resolved: _Resolved) -> list[str]:
        if values is None:
            raise ValueError(f"select {component['custom_id']!r} needs values=[...]")
        values = list(values)
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"select {component['custom_id']!r} takes {low}..{high} values, got {len(values)}")
        kind = component["type"]
        if kind == STRING_SELECT:
            allowed = [o["value"] for o in component.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"select {component['custom_id']!r} has no option(s) {bad} (options: {allowed})")
            return [str(v) for v in values]
        if kind in ENTITY_SELECTS:
            option_type = {USER_SELECT: USER, ROLE_SELECT: ROLE, MENTIONABLE_SELECT: MENTIONABLE,
                           CHANNEL_SELECT: CHANNEL}[kind]
            spec = {"name": component["custom_id"], "type": option_type,
                    "channel_types": component.get("channel_types")}
            return [_option_value(spec, v, resolved, "select", check=True) for v in values]
        raise ValueError(f"component {component['custom_id']!r} (type {kind}) is not clickable")

    def _modal_components(self, spec: ModalSpec, values: dict[str, Any], resolved: _Resolved) -> list[dict[str, Any]]:
        unknown = set(values) - set(spec.field_ids)
        if unknown:
            raise KeyError(f"modal {spec.custom_id!r} has no field(s) {sorted(unknown)} (fields: {spec.field_ids})")

        def submitted(component: dict[str, Any]) -> dict[str, Any] | None:
            kind = component.get("type")
            if kind == 1:
                children = [c for c in (submitted(x) for x in component.get("components") or []) if c]
                return {"type": 1, "components": children} if children else None
            if kind == LABEL:
                child = submitted(component["component"])
                return {"type": LABEL, "id": component.get("id"), "component": child} if child else None
            if "custom_id" not in component:
                return None
            custom_id = component["custom_id"]
            entry: dict[str, Any] = {"type": kind, "custom_id": custom_id}
            if component.get("id") is not None:
                entry["id"] = component["id"]
            if kind == TEXT_INPUT:
                entry["value"] = _text_input_value(component, values.get(custom_id))
            else:
                given = values.get(custom_id, [])
                chosen = list(given) if isinstance(given, list | tuple) else [given]
                if component.get("required", True) and not chosen and kind != BUTTON:
                    raise ValueError(f"modal field {custom_id!r} is required")
                entry["values"] = self._select_values(component, chosen, resolved) if chosen else []
            return entry

        return [c for c in (submitted(x) for x in spec.components) if c]


def _text_input_value(component: dict[str, Any], value: Any) -> str:
    text = (component.get("value") or "") if value is None else str(value)
    custom_id = component["custom_id"]
    if component.get("required", True) and not text:
        raise ValueError(f"modal field {custom_id!r} is required")
    if text:
        low, high = component.get("min_length", 0), component.get("max_length", 4000)
        if not low <= len(text) <= high:
            raise ValueError(f"modal field {custom_id!r} takes {low}..{high} characters, got {len(text)}")
    return text


class _Resolved:
    """Collects the ``resolved`` data of one interaction."""

    def __init__(self, hub: InteractionHub, user: FakeUser, channel: FakeChannel) -> None:
        self.hub = hub
        self.world = hub.world
        self.invoker = user
        self.guild = self.world.guild_of(channel)
        self.users: dict[str, Any] = {}
        self.members: dict[str, Any] = {}
        self.roles: dict[str, Any] = {}
        self.channels: dict[str, Any] = {}
        self.attachments: dict[str, Any] = {}
        self.channel = channel

    def __bool__(self) -> bool:
        return any((self.users, self.roles, self.channels, self.attachments))

    def to_dict(self) -> dict[str, Any]:
        parts = {"users": self.users, "members": self.members, "roles": self.roles,
                 "channels": self.channels, "attachments": self.attachments}
        return {k: v for k, v in parts.items() if v}

    def add_user(self, value: Any) -> str:
        user = value.user if isinstance(value, FakeMember) else value
        if not isinstance(user, FakeUser):
            user = self.world.user(int(getattr(value, "id", value)))
        self.users[str(user.id)] = user.to_dict()
        if self.guild is not None and user.id in self.guild.members:
            member = self.guild.members[user.id]
            perms = self.guild.permissions_in(member, self.channel)
            self.members[str(user.id)] = member.to_dict(with_user=False, permissions=perms)
        return str(user.id)

    def add_role(self, value: Any) -> str:
        if self.guild is None:
            raise ValueError("roles can only be used in a guild")
        role = value if isinstance(value, FakeRole) else self.guild.role(int(getattr(value, "id", value)))
        self.roles[str(role.id)] = role.to_dict()
        return str(role.id)

    def add_channel(self, value: Any, channel_types: list[int] | None) -> str:
        channel = value if isinstance(value, FakeChannel) else self.world.channel(int(getattr(value, "id", value)))
        if channel_types and channel.type not in channel_types:
            raise ValueError(f"channel #{channel.name} (type {channel.type}) is not one of {channel_types}")
        data = channel.to_dict()
        perms = 0
        if self.guild is not None:
            perms = self.guild.permissions_in(self.guild.members[self.invoker.id], channel)
        data["permissions"] = str(perms)
        self.channels[str(channel.id)] = data
        return str(channel.id)

    def add_attachment(self, value: Any) -> str:
        if isinstance(value, StoredFile):
            stored = value
        else:
            if isinstance(value, Path):
                upload = Upload(value.name, value.read_bytes())
            elif isinstance(value, tuple):
                upload = Upload(*value)
            elif isinstance(value, Upload):
                upload = value
            else:
                raise TypeError("attachments are Upload(name, data), (name, data[, content_type]) or a Path")
            stored = self.world.store_file(upload.filename, upload.data, upload.content_type)
        self.attachments[str(stored.id)] = self.world.attachment_payload(self.channel.id, stored, ephemeral=True)
        return str(stored.id)


def _option_value(spec: dict[str, Any], value: Any, resolved: _Resolved, command: str, *, check: bool) -> Any:
    """Convert a Python value into the option value Discord sends (checking Discord's UI limits)."""
    kind, name = spec["type"], spec["name"]
    where = f"/{command} option {name!r}"
    if kind == STRING:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise TypeError(f"{where} is a string, got {value!r}")
        value = str(value)
        if check:
            low, high = spec.get("min_length", 0), spec.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise ValueError(f"{where} takes {low}..{high} characters, got {len(value)}")
    elif kind in (INTEGER, NUMBER):
        wrong_number = kind == INTEGER and isinstance(value, float)
        if isinstance(value, bool) or not isinstance(value, int | float) or wrong_number:
            raise TypeError(f"{where} is {'an integer' if kind == INTEGER else 'a number'}, got {value!r}")
        if check and (("min_value" in spec and value < spec["min_value"])
                      or ("max_value" in spec and value > spec["max_value"])):
            raise ValueError(f"{where} must be within {spec.get('min_value')}..{spec.get('max_value')}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise TypeError(f"{where} is a boolean, got {value!r}")
    elif kind == USER:
        return resolved.add_user(value)
    elif kind == ROLE:
        return resolved.add_role(value)
    elif kind == CHANNEL:
        return resolved.add_channel(value, spec.get("channel_types"))
    elif kind == MENTIONABLE:
        return resolved.add_role(value) if isinstance(value, FakeRole) else resolved.add_user(value)
    elif kind == ATTACHMENT:
        return resolved.add_attachment(value)
    if check and spec.get("choices"):
        allowed = [c["value"] for c in spec["choices"]]
        if value not in allowed:
            raise ValueError(f"{where} must be one of {allowed}, got {value!r}")
    return value


__all__ = [
    "CommandRegistry",
    "InteractionHub",
    "InteractionRejected",
    "InteractionTimeout",
    "ModalSpec",
    "Reply",
    "Upload",
]
