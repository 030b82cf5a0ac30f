"""The fake Discord Gateway: a websocket discord.py connects to.

Supports HELLO / IDENTIFY / READY + GUILD_CREATE, heartbeats, RESUME with
replay of missed events, RECONNECT (op 7), INVALID_SESSION (op 9), member chunk
requests (op 8), ``compress=zlib-stream`` (plus ``zstd-stream`` when a zstd
module is importable) and uncompressed JSON.

Events are filtered by the IDENTIFY intents like Discord does (e.g. no
GUILD_MEMBER_ADD without GUILD_MEMBERS, empty message content without
MESSAGE_CONTENT); filtered events are kept in :attr:`Gateway.filtered`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:  # pragma: no cover
    from .core import StandIn

log = logging.getLogger(__name__)

# Opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MODERATION = 1 << 2
GUILD_VOICE_STATES = 1 << 7
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
DIRECT_MESSAGE_TYPING = 1 << 14
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16

#: Events that need one intent regardless of guild/DM context.
EVENT_INTENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "CHANNEL_PINS_UPDATE",
            "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "THREAD_MEMBER_UPDATE",
            "STAGE_INSTANCE_CREATE", "STAGE_INSTANCE_UPDATE", "STAGE_INSTANCE_DELETE",
        ],
        GUILDS,
    ),
    **dict.fromkeys(
        ["GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE"], GUILD_MEMBERS
    ),
    **dict.fromkeys(["GUILD_BAN_ADD", "GUILD_BAN_REMOVE", "GUILD_AUDIT_LOG_ENTRY_CREATE"], GUILD_MODERATION),
    "VOICE_STATE_UPDATE": GUILD_VOICE_STATES,
    "PRESENCE_UPDATE": GUILD_PRESENCES,
    **dict.fromkeys(
        [
            "GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_UPDATE", "GUILD_SCHEDULED_EVENT_DELETE",
            "GUILD_SCHEDULED_EVENT_USER_ADD", "GUILD_SCHEDULED_EVENT_USER_REMOVE",
        ],
        GUILD_SCHEDULED_EVENTS,
    ),
}
#: Events whose intent depends on guild (first) vs DM (second) context.
CONTEXT_INTENTS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(
        ["MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"], (GUILD_MESSAGES, DIRECT_MESSAGES)
    ),
    **dict.fromkeys(
        [
            "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE", "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI",
        ],
        (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    ),
    "TYPING_START": (GUILD_MESSAGE_TYPING, DIRECT_MESSAGE_TYPING),
}
CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


def apply_intents(event: str, data: Any, intents: int, bot_id: int) -> Any | None:
    """Return the payload the bot would receive for ``event`` (None = not sent)."""
    needed = EVENT_INTENTS.get(event)
    if needed is None and event in CONTEXT_INTENTS:
        guild_intent, dm_intent = CONTEXT_INTENTS[event]
        needed = guild_intent if isinstance(data, dict) and data.get("guild_id") else dm_intent
    if needed is not None and not intents & needed:
        # Discord always tells a bot about changes to its own member and its own thread membership.
        if not _about_the_bot(event, data, bot_id):
            return None
    if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & MESSAGE_CONTENT:
        data = _strip_content(data, bot_id)
    return data


def _about_the_bot(event: str, data: Any, bot_id: int) -> bool:
    if event == "GUILD_MEMBER_UPDATE":
        return str((data.get("user") or {}).get("id")) == str(bot_id)
    if event == "THREAD_MEMBERS_UPDATE":
        added = {str(m.get("user_id")) for m in data.get("added_members") or ()}
        return str(bot_id) in added | {str(i) for i in data.get("removed_member_ids") or ()}
    return False


def _strip_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """Without MESSAGE_CONTENT, guild messages arrive without content unless they
    are the bot's own or mention the bot."""
    if not data.get("guild_id"):
        return data
    if str((data.get("author") or {}).get("id")) == str(bot_id):
        return data
    if any(str(m.get("id")) == str(bot_id) for m in data.get("mentions") or ()):
        return data
    data = dict(data)
    data.update(copy.deepcopy(CONTENT_FIELDS))
    data.pop("poll", None)
    return data


@dataclass
class Frame:
    """One gateway payload; ``direction`` is ``"to_bot"`` or ``"from_bot"``."""

    direction: str
    op: int
    t: str | None
    s: int | None
    d: Any
    at: float = field(default_factory=time.monotonic)


class Connection:
    """One websocket connection, with its own (optional) compression stream."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None, record: Callable[[Frame], None]) -> None:
        self.ws = ws
        self.compress = compress
        self._record = record
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd = _zstd_compressor() if compress == "zstd-stream" else None
        self.session: Session | None = None

    @property
    def open(self) -> bool:
        return not self.ws.closed

    async def send(self, payload: dict[str, Any]) -> bool:
        """Send one payload; returns False if the socket is gone."""
        async with self._lock:
            if self.ws.closed:
                return False
            self._record(Frame("to_bot", payload["op"], payload.get("t"), payload.get("s"), payload.get("d")))
            raw = json.dumps(payload, separators=(",", ":"))
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(raw.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                elif self._zstd is not None:
                    await self.ws.send_bytes(self._zstd(raw.encode()))
                else:
                    await self.ws.send_str(raw)
            except (ConnectionError, RuntimeError):
                return False
            return True

    async def close(self, code: int, message: str = "") -> None:
        await self.ws.close(code=code, message=message.encode())


def _zstd_compressor() -> Callable[[bytes], bytes] | None:
    """A streaming zstd compressor flushing one block per message, if available."""
    try:
        import zstandard  # type: ignore
    except ImportError:
        try:
            from compression import zstd  # type: ignore
        except ImportError:
            return None  # fall back to plain text frames, which discord.py also accepts
        stdlib = zstd.ZstdCompressor()
        return lambda data: stdlib.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
    obj = zstandard.ZstdCompressor().compressobj()
    return lambda data: obj.compress(data) + obj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


@dataclass
class Session:
    """A gateway session: survives disconnects so the bot can RESUME it."""

    id: str
    intents: int
    seq: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Gateway:
    """Websocket endpoint plus the event dispatcher used by the rest of the stand-in."""

    heartbeat_interval_ms = 41250

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.sessions: dict[str, Session] = {}
        self.session: Session | None = None  # the most recently identified one
        self.connections: set[Connection] = set()
        self.filtered: list[Frame] = []
        self.identify_count = 0
        self.resume_count = 0
        # Privileged intents the application has NOT enabled in the portal; asking for one of
        # them is refused with close code 4014, as Discord does.
        self.disallowed_intents = 0
        self._changed = asyncio.Condition()

    # -- public API ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        session = self.session
        return session is not None and session.connection is not None and session.connection.open

    @property
    def intents(self) -> int:
        return self.session.intents if self.session else 0

    async def dispatch(self, event: str, data: Any) -> bool:
        """Send a DISPATCH event to the bot.

        Returns False if it was not sent: no bot has identified yet (the state
        will be part of its GUILD_CREATE anyway) or its intents exclude it.
        While the bot is disconnected, events are queued and replayed on RESUME.
        """
        session = self.session
        if session is None:
            return False
        payload = apply_intents(event, data, session.intents, self.standin.bot_user_id)
        if payload is None:
            self.filtered.append(Frame("filtered", DISPATCH, event, None, data))
            log.debug("stand-in: %s not sent (intents %s)", event, session.intents)
            return False
        async with session.lock:
            await self._send_dispatch(session, event, payload)
        return True

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT; discord.py closes the socket and RESUMEs."""
        await self._current_connection().send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def drop(self, code: int = 4000) -> None:
        """Close the websocket from the server side (4000 is resumable)."""
        await self._current_connection().close(code, "stand-in drop")

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (discord.py re-IDENTIFYs when not resumable)."""
        connection = self._current_connection()
        if not resumable and connection.session is not None:
            self.sessions.pop(connection.session.id, None)
        await connection.send({"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def close_all(self) -> None:
        for connection in list(self.connections):
            await connection.close(1001, "stand-in stopping")

    # -- websocket handler --------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(ws, request.query.get("compress"), self.standin.frames.append)
        self.connections.add(connection)
        try:
            if request.query.get("encoding", "json") != "json":
                await connection.close(4002, "Only JSON encoding is supported by the stand-in")
                return ws
            hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["standin-gateway"]}
            await connection.send({"op": HELLO, "d": hello, "s": None, "t": None})
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    raw = message.data
                elif message.type is WSMsgType.BINARY:
                    raw = message.data.decode()
                else:
                    break
                try:
                    payload = json.loads(raw)
                except ValueError:
                    await connection.close(4002, "Error while decoding payload")
                    break
                self.standin.frames.append(
                    Frame("from_bot", payload.get("op"), payload.get("t"), payload.get("s"), payload.get("d"))
                )
                await self._on_payload(connection, payload)
        finally:
            self.connections.discard(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
            await self._notify()
        return ws

    async def _on_payload(self, connection: Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            await connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            await self._resume(connection, data or {})
        elif op == REQUEST_MEMBERS:
            await self._request_members(data or {})
        elif op in (PRESENCE, VOICE_STATE):
            pass  # recorded in frames; nothing to answer
        else:
            await connection.close(4001, "Unknown opcode")

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.standin.token:
            await connection.close(4004, "Authentication failed")
            return
        if connection.session is not None:
            await connection.close(4005, "Already authenticated")
            return
        if int(data.get("intents") or 0) & self.disallowed_intents:
            await connection.close(4014, "Disallowed intent(s).")
            return
        session = Session(id=secrets.token_hex(16), intents=int(data.get("intents") or 0))
        self.sessions[session.id] = session
        self.session = session
        self.identify_count += 1
        async with session.lock:
            session.connection = connection
            connection.session = session
            await self._send_dispatch(session, "READY", self.standin.ready_payload(session.id))
            await self._send_dispatch(
                session,
                "GUILD_CREATE",
                self.standin.guild_create_payload(include_all_members=bool(session.intents & GUILD_MEMBERS)),
            )
        await self._notify()

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id") or "")
        if session is None or data.get("token") != self.standin.token:
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        last_seq = int(data.get("seq") or 0)
        async with session.lock:
            session.connection = connection
            connection.session = session
            self.session = session
            for frame in session.history:
                if frame["s"] > last_seq:
                    await connection.send(frame)
            await self._send_dispatch(session, "RESUMED", {"_trace": ["standin-gateway"]})
        self.resume_count += 1
        await self._notify()

    async def _request_members(self, data: dict[str, Any]) -> None:
        guild = self.standin.world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            query = data["query"].lower()
            members = [m for m in members if m.name.lower().startswith(query)]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.to_dict() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- internals ------------------------------------------------------------

    async def _send_dispatch(self, session: Session, event: str, data: Any) -> None:
        """Assign the next sequence number, remember it for RESUME and send it (lock held)."""
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.history.append(frame)
        if session.connection is not None:
            await session.connection.send(frame)

    def _current_connection(self) -> Connection:
        if self.session is None or self.session.connection is None:
            raise RuntimeError("no bot is connected to the stand-in gateway")
        return self.session.connection

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
