"""Fake Discord world state: users, the guild (roles, channels, members), messages.

Everything here is plain, synchronous data plus Discord's rules (permission
computation, role hierarchy) and the JSON shapes Discord sends.  Nothing in this
module talks to the network; ``server.py``/``gateway.py`` turn it into REST
responses and gateway events.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import discord

DISCORD_EPOCH_MS = 1420070400000

#: Permission bits, looked up by name from discord.py's flag table.
PERMISSION_BITS: dict[str, int] = dict(discord.Permissions.VALID_FLAGS)
ALL_PERMISSIONS: int = discord.Permissions.all().value
ADMINISTRATOR = PERMISSION_BITS["administrator"]
VIEW_CHANNEL = PERMISSION_BITS["view_channel"]
READ_MESSAGE_HISTORY = PERMISSION_BITS["read_message_history"]
MANAGE_THREADS = PERMISSION_BITS["manage_threads"]

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types)
TEXT, DM, VOICE, CATEGORY, ANNOUNCEMENT, STAGE, FORUM = 0, 1, 2, 4, 5, 13, 15
ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 10, 11, 12
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
CHANNEL_TYPES = {
    "text": TEXT,
    "dm": DM,
    "voice": VOICE,
    "category": CATEGORY,
    "announcement": ANNOUNCEMENT,
    "news": ANNOUNCEMENT,
    "stage": STAGE,
    "forum": FORUM,
    "announcement_thread": ANNOUNCEMENT_THREAD,
    "public_thread": PUBLIC_THREAD,
    "private_thread": PRIVATE_THREAD,
}

#: The first message of a thread started from a message (not counted in ``message_count``).
THREAD_STARTER_MESSAGE = 21
EPHEMERAL_FLAG = 1 << 6
LOADING_FLAG = 1 << 7

PermissionsLike = int | discord.Permissions | str | Iterable[str] | None


def permission_value(value: PermissionsLike) -> int:
    """Turn an int, a ``discord.Permissions`` or permission name(s) into an int.

    >>> permission_value(["kick_members", "manage_roles"]) == (2 | 1 << 28)
    True
    """
    if value is None:
        return 0
    if isinstance(value, discord.Permissions):
        return value.value
    if isinstance(value, int):
        return value
    names = [value] if isinstance(value, str) else list(value)
    bits = 0
    for name in names:
        try:
            bits |= PERMISSION_BITS[name]
        except KeyError:
            raise ValueError(f"unknown permission name {name!r}") from None
    return bits


def iso(moment: dt.datetime | None) -> str | None:
    """Discord's ISO8601 timestamp format (or None)."""
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


class SnowflakeFactory:
    """Generates increasing snowflakes whose timestamp part is 'now'."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(now, self._last + 1)
        return self._last


class ApiError(Exception):
    """An error answered to the bot as Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    # Common Discord errors ------------------------------------------------

    @classmethod
    def unknown(cls, what: str) -> ApiError:
        codes = {
            "Channel": 10003,
            "Guild": 10004,
            "Member": 10007,
            "Ban": 10026,
            "Message": 10008,
            "Role": 10011,
            "User": 10013,
            "Webhook": 10015,
            "interaction": 10062,
            "Guild Scheduled Event": 10070,
            "application command": 10063,
        }
        return cls(404, codes[what], f"Unknown {what}")

    @classmethod
    def missing_permissions(cls) -> ApiError:
        return cls(403, 50013, "Missing Permissions")

    @classmethod
    def missing_access(cls) -> ApiError:
        return cls(403, 50001, "Missing Access")

    @classmethod
    def form(cls, errors: dict) -> ApiError:
        return cls(400, 50035, "Invalid Form Body", errors)

    @classmethod
    def field(cls, path: str, code: str, message: str) -> ApiError:
        """A 50035 error for one (dotted) field path, e.g. ``entity_metadata.location``."""
        tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
        for part in reversed(path.split(".")):
            tree = {part: tree}
        return cls.form(tree)


# ---------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class FakeUser:
    """A Discord user. ``dms_open=False`` makes DMs answer 403/50007."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    @property
    def name(self) -> str:
        return self.username

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "banner": None,
            "accent_color": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }


@dataclass(eq=False)
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(eq=False)
class Overwrite:
    """A channel permission overwrite; ``type`` 0 = role, 1 = member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(eq=False)
class FakeChannel:
    id: int
    name: str
    type: int = TEXT
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    recipients: list[FakeUser] = field(default_factory=list)
    last_message_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    def overwrite_for(self, target_id: int) -> Overwrite | None:
        return next((o for o in self.overwrites if o.id == target_id), None)

    def to_dict(self) -> dict[str, Any]:
        last = str(self.last_message_id) if self.last_message_id else None
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": last,
                "flags": 0,
                "recipients": [u.to_dict() for u in self.recipients],
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.to_dict() for o in self.overwrites],
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "nsfw": self.nsfw,
            "flags": 0,
        }
        if self.type in (TEXT, ANNOUNCEMENT, FORUM):
            data.update(topic=self.topic, last_message_id=last, rate_limit_per_user=0)
        if self.type in (VOICE, STAGE):
            data.update(bitrate=64000, user_limit=0, rtc_region=None, video_quality_mode=1, last_message_id=last)
            data["rate_limit_per_user"] = 0
        return data


@dataclass(eq=False)
class ThreadMember:
    """One user's membership of a thread."""

    user_id: int
    joined_at: dt.datetime = field(default_factory=utcnow)
    flags: int = 0

    def to_dict(self, thread_id: int, *, with_ids: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"join_timestamp": iso(self.joined_at), "flags": self.flags}
        if with_ids:  # GUILD_CREATE's per-thread ``member`` omits them
            data = {"id": str(thread_id), "user_id": str(self.user_id), **data}
        return data


@dataclass(eq=False)
class FakeThread(FakeChannel):
    """A thread (type 10/11/12): a channel with a parent, an owner, metadata and members.

    Threads have no overwrites of their own: permissions come from the parent
    (see ``Guild.permissions_in``).
    """

    owner_id: int = 0
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    rate_limit_per_user: int = 0
    created: dt.datetime = field(default_factory=utcnow)
    archive_timestamp: dt.datetime | None = None
    #: Thread members by user id.
    members: dict[int, ThreadMember] = field(default_factory=dict)
    message_count: int = 0
    total_message_sent: int = 0
    #: The message the thread was started from (its id is the thread's id), if any.
    starter_message_id: int | None = None

    @property
    def is_private(self) -> bool:
        return self.type == PRIVATE_THREAD

    @property
    def parent(self) -> int:
        assert self.parent_id is not None
        return self.parent_id

    def member_dict(self, user_id: int) -> dict[str, Any]:
        return self.members[user_id].to_dict(self.id)

    def to_dict(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "archived": self.archived,
            "archive_timestamp": iso(self.archive_timestamp or self.created),
            "auto_archive_duration": self.auto_archive_duration,
            "locked": self.locked,
            "create_timestamp": iso(self.created),
        }
        if self.is_private:
            metadata["invitable"] = self.invitable
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "parent_id": str(self.parent_id),
            "owner_id": str(self.owner_id),
            "name": self.name,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "last_pin_timestamp": None,
            "rate_limit_per_user": self.rate_limit_per_user,
            "flags": 0,
            "message_count": self.message_count,
            "total_message_sent": self.total_message_sent,
            "member_count": min(len(self.members), 50),  # Discord stops counting at 50
            "thread_metadata": metadata,
        }


@dataclass(eq=False)
class FakeMember:
    """A guild member; attribute access mirrors discord.py (``.id``, ``.mention``)."""

    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: dt.datetime = field(default_factory=utcnow)
    pending: bool = False
    communication_disabled_until: dt.datetime | None = None
    deaf: bool = False
    mute: bool = False

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def display_name(self) -> str:
        return self.nick or self.user.global_name or self.user.username

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def dms_open(self) -> bool:
        return self.user.dms_open

    def is_timed_out(self) -> bool:
        until = self.communication_disabled_until
        return until is not None and until > utcnow()

    def to_dict(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": self.deaf,
            "mute": self.mute,
            "flags": 0,
            "pending": self.pending,
            "communication_disabled_until": iso(self.communication_disabled_until),
        }
        if with_user:
            data["user"] = self.user.to_dict()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


UserLike = FakeUser | FakeMember | int | Any


def user_id_of(user: UserLike) -> int:
    """Accepts FakeUser/FakeMember/discord objects (anything with ``.id``) or an int."""
    return user if isinstance(user, int) else int(user.id)


# ---------------------------------------------------------------------------
# Guild
# ---------------------------------------------------------------------------


class Guild:
    """One fake guild with Discord's permission and hierarchy rules."""

    def __init__(self, guild_id: int, name: str, owner_id: int) -> None:
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        self.created = utcnow()
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        #: Threads (active and archived) by id; not in ``channels``, as Discord lists them apart.
        self.threads: dict[int, FakeThread] = {}
        self.members: dict[int, FakeMember] = {}
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.voice_states: dict[int, dict[str, Any]] = {}
        self.bans: dict[int, str | None] = {}
        self.system_channel_id: int | None = None

    # -- lookups -----------------------------------------------------------

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def role(self, role_id: int) -> FakeRole:
        try:
            return self.roles[role_id]
        except KeyError:
            raise ApiError.unknown("Role") from None

    def channel(self, channel_id: int) -> FakeChannel:
        """A channel or a thread."""
        found = self.channels.get(channel_id) or self.threads.get(channel_id)
        if found is None:
            raise ApiError.unknown("Channel")
        return found

    def member(self, user_id: int) -> FakeMember:
        try:
            return self.members[user_id]
        except KeyError:
            raise ApiError.unknown("Member") from None

    def sorted_roles(self) -> list[FakeRole]:
        return sorted(self.roles.values(), key=lambda r: (r.position, r.id))

    # -- role positions ----------------------------------------------------

    def ordered_roles(self) -> list[FakeRole]:
        """Roles other than @everyone, lowest first."""
        return [r for r in self.sorted_roles() if r.id != self.id]

    def insert_role(self, role: FakeRole, position: int) -> list[FakeRole]:
        """Insert ``role`` at ``position`` (>= 1); roles at/above it move up one.

        Returns the other roles whose position changed (for GUILD_ROLE_UPDATE events).
        """
        self.roles[role.id] = role
        ordered = [r for r in self.ordered_roles() if r is not role]
        ordered.insert(min(max(position, 1), len(ordered) + 1) - 1, role)
        return [r for r in self._renumber(ordered) if r is not role]

    def move_role(self, role_id: int, position: int) -> list[FakeRole]:
        """Move a role to ``position`` (counted without the role itself); returns the roles that moved."""
        role = self.roles[role_id]
        ordered = [r for r in self.ordered_roles() if r is not role]
        ordered.insert(min(max(position, 1), len(ordered) + 1) - 1, role)
        return self._renumber(ordered)

    def remove_role(self, role_id: int) -> list[FakeRole]:
        """Delete a role (members lose it); returns the roles that moved down."""
        del self.roles[role_id]
        for member in self.members.values():
            if role_id in member.roles:
                member.roles.remove(role_id)
        return self._renumber(self.ordered_roles())

    @staticmethod
    def _renumber(ordered: list[FakeRole]) -> list[FakeRole]:
        moved = []
        for position, role in enumerate(ordered, start=1):
            if role.position != position:
                role.position = position
                moved.append(role)
        return moved

    # -- permissions (https://discord.com/developers/docs/topics/permissions) --

    def base_permissions(self, member: FakeMember) -> int:
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.everyone.permissions
        for role_id in member.roles:
            role = self.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if member.is_timed_out():
            perms &= VIEW_CHANNEL | READ_MESSAGE_HISTORY
        return perms

    def permissions_in(self, member: FakeMember, channel: FakeChannel | None) -> int:
        """Effective permissions of ``member`` in ``channel`` (overwrites applied).

        A thread has the permissions of its parent, except that a private thread is
        invisible (0) to non-members without Manage Threads.
        """
        if isinstance(channel, FakeThread):
            perms = self.permissions_in(member, self.channels.get(channel.parent))
            if channel.is_private and member.id not in channel.members and not perms & MANAGE_THREADS:
                return 0
            return perms
        base = self.base_permissions(member)
        if channel is None or base == ALL_PERMISSIONS:
            return base
        perms = base
        everyone = channel.overwrite_for(self.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for overwrite in channel.overwrites:
            if overwrite.type == 0 and overwrite.id in member.roles:
                allow |= overwrite.allow
                deny |= overwrite.deny
        perms = (perms & ~deny) | allow
        own = channel.overwrite_for(member.id)
        if own is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        if member.is_timed_out():
            perms &= VIEW_CHANNEL | READ_MESSAGE_HISTORY
        if not perms & VIEW_CHANNEL:
            return 0
        return perms

    def has(self, member: FakeMember, permission: str, channel: FakeChannel | None = None) -> bool:
        return bool(self.permissions_in(member, channel) & PERMISSION_BITS[permission])

    def top_position(self, member: FakeMember) -> int:
        positions = [self.roles[r].position for r in member.roles if r in self.roles]
        return max(positions, default=0)

    def outranks(self, actor: FakeMember, target: FakeMember) -> bool:
        """Whether ``actor`` may moderate ``target`` (owner rules + role hierarchy)."""
        if target.id == self.owner_id:
            return False
        if actor.id == self.owner_id:
            return True
        return self.top_position(actor) > self.top_position(target)

    def can_manage_role(self, actor: FakeMember, role: FakeRole) -> bool:
        """MANAGE_ROLES and a top role strictly above ``role`` (owner bypasses)."""
        if role.id == self.id or role.managed:
            return False
        if not self.has(actor, "manage_roles"):
            return False
        return actor.id == self.owner_id or self.top_position(actor) > role.position

    # -- payloads ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The guild object (as returned by GET /guilds/{id})."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in self.sorted_roles()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.system_channel_id) if self.system_channel_id else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }

    def thread_for(self, thread: FakeThread, user_id: int) -> dict[str, Any]:
        """A thread as sent to ``user_id``: with its ``member`` object when they are in it."""
        data = thread.to_dict()
        if user_id in thread.members:
            data["member"] = thread.members[user_id].to_dict(thread.id, with_ids=False)
        return data

    def to_gateway_dict(self, *, bot_id: int, include_all_members: bool) -> dict[str, Any]:
        """The GUILD_CREATE payload.

        Without the GUILD_MEMBERS intent Discord only sends the bot itself and
        members in voice channels; ``member_count`` is always the real total.
        """
        members = [
            m
            for m in self.members.values()
            if include_all_members or m.id == bot_id or m.id in self.voice_states
        ]
        data = self.to_dict()
        data.update(
            joined_at=iso(self.members[bot_id].joined_at) if bot_id in self.members else iso(self.created),
            large=len(self.members) >= 250,
            unavailable=False,
            member_count=len(self.members),
            members=[m.to_dict() for m in members],
            channels=[
                {k: v for k, v in c.to_dict().items() if k != "guild_id"}
                for c in sorted(self.channels.values(), key=lambda c: (c.position, c.id))
            ],
            voice_states=[
                {k: v for k, v in vs.items() if k not in ("guild_id", "member")} for vs in self.voice_states.values()
            ],
            threads=[  # the active threads the bot can see
                self.thread_for(t, bot_id) for t in self.threads.values()
                if not t.archived and bot_id in self.members
                and self.permissions_in(self.members[bot_id], t) & VIEW_CHANNEL
            ],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=list(self.scheduled_events.values()),
            soundboard_sounds=[],
        )
        return data


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------


@dataclass
class Upload:
    """A file part of a multipart request (``field`` is e.g. ``files[0]``)."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None

    @property
    def index(self) -> int | None:
        match = re.fullmatch(r"files\[(\d+)\]", self.field)
        return int(match.group(1)) if match else None


@dataclass
class StoredFile:
    """Bytes of an uploaded attachment (served by the stand-in's fake CDN)."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None

    @property
    def name(self) -> str:
        return self.filename

    @property
    def size(self) -> int:
        return len(self.data)


def walk_components(components: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield every component, recursing into rows, containers, sections and labels."""
    for component in components or ():
        yield component
        yield from walk_components(component.get("components") or ())
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def flatten_text(content: str | None, embeds: Iterable[dict[str, Any]], components: Iterable[dict[str, Any]]) -> str:
    """Content + all embed text + text-display components, newline separated."""
    parts = [content or ""]
    for embed in embeds or ():
        parts.append((embed.get("author") or {}).get("name") or "")
        parts.append(embed.get("title") or "")
        parts.append(embed.get("description") or "")
        for embed_field in embed.get("fields") or ():
            parts.append(embed_field.get("name") or "")
            parts.append(embed_field.get("value") or "")
        parts.append((embed.get("footer") or {}).get("text") or "")
    for component in walk_components(components):
        if component.get("type") == 10:  # text display (components v2)
            parts.append(component.get("content") or "")
    return "\n".join(p for p in parts if p)


class MessageView:
    """Read access to a Discord message object held in ``payload`` (shared by messages and replies)."""

    payload: dict[str, Any]

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.payload.get("components") or []

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL_FLAG)

    @property
    def text(self) -> str:
        """Content, embed texts and text-display components flattened (for ``in`` checks)."""
        return flatten_text(self.content, self.embeds, self.components)

    @property
    def component_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]


class SentMessage(MessageView):
    """A message stored by the stand-in, with edits applied.

    ``payload`` is the current Discord message object; ``history`` holds the
    previous versions (oldest first).
    """

    def __init__(self, payload: dict[str, Any], files: dict[int, StoredFile]) -> None:
        self.payload = payload
        self.history: list[dict[str, Any]] = []
        self.deleted = False
        self._files = files

    def __repr__(self) -> str:
        return f"<SentMessage id={self.id} channel={self.channel_id} author={self.author_id} text={self.text[:60]!r}>"

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.payload["author"]["id"])

    @property
    def attachments(self) -> list[StoredFile]:
        return [self._files[int(a["id"])] for a in self.payload.get("attachments") or () if int(a["id"]) in self._files]

    @property
    def files(self) -> list[StoredFile]:
        return self.attachments

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        return next((c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None)

    def apply_edit(self, changes: dict[str, Any]) -> None:
        self.history.append(copy.deepcopy(self.payload))
        self.payload.update(changes)
        self.payload["edited_timestamp"] = iso(utcnow())


MENTION_USER = re.compile(r"<@!?(\d+)>")
MENTION_ROLE = re.compile(r"<@&(\d+)>")


class World:
    """All fake Discord state of one stand-in: users, the guild, DMs, messages, files."""

    def __init__(self, ids: SnowflakeFactory) -> None:
        self.ids = ids
        self.users: dict[int, FakeUser] = {}
        self.guilds: dict[int, Guild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}  # by recipient user id
        self.messages: dict[int, SentMessage] = {}
        self.files: dict[int, StoredFile] = {}
        self.cdn_base = ""  # set by the server: http://127.0.0.1:PORT

    # -- lookups -----------------------------------------------------------

    def user(self, user_id: int) -> FakeUser:
        try:
            return self.users[user_id]
        except KeyError:
            raise ApiError.unknown("User") from None

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ApiError.unknown("Guild") from None

    def channel(self, channel_id: int) -> FakeChannel:
        for guild in self.guilds.values():
            found = guild.channels.get(channel_id) or guild.threads.get(channel_id)
            if found is not None:
                return found
        for channel in self.dm_channels.values():
            if channel.id == channel_id:
                return channel
        raise ApiError.unknown("Channel")

    def guild_of(self, channel: FakeChannel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def message(self, message_id: int, channel_id: int | None = None) -> SentMessage:
        message = self.messages.get(message_id)
        if message is None or message.deleted or (channel_id is not None and message.channel_id != channel_id):
            raise ApiError.unknown("Message")
        return message

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = FakeChannel(id=self.ids(), name="", type=DM, recipients=[user])
            self.dm_channels[user.id] = channel
        return channel

    # -- messages ----------------------------------------------------------

    def store_file(self, filename: str, data: bytes, content_type: str | None = None) -> StoredFile:
        stored = StoredFile(self.ids(), filename, data, content_type)
        self.files[stored.id] = stored
        return stored

    def file_url(self, channel_id: int, stored: StoredFile) -> str:
        return f"{self.cdn_base}/attachments/{channel_id}/{stored.id}/{quote(stored.filename)}"

    def attachment_payload(self, channel_id: int, stored: StoredFile, **extra: Any) -> dict[str, Any]:
        url = self.file_url(channel_id, stored)
        data = {
            "id": str(stored.id),
            "filename": stored.filename,
            "size": stored.size,
            "url": url,
            "proxy_url": url,
            "content_type": stored.content_type,
        }
        data.update({k: v for k, v in extra.items() if v is not None})
        return data

    def attachments_for(
        self,
        channel_id: int,
        body: dict[str, Any],
        uploads: list[Upload],
        existing: Iterable[dict[str, Any]] = (),
    ) -> list[dict[str, Any]] | None:
        """Resolve a message body's ``attachments`` + uploaded ``files[n]`` parts.

        Entries referring to existing attachment ids are kept; entries whose id is
        an upload index describe that upload.  Returns None when the body leaves
        attachments unchanged (edit without ``attachments`` and without files).
        """
        by_index = {u.index: u for u in uploads if u.index is not None}
        kept = {a["id"]: a for a in existing}
        if "attachments" not in body and not uploads:
            return None
        result: list[dict[str, Any]] = [] if "attachments" in body else list(kept.values())
        used: set[int] = set()
        for entry in body.get("attachments") or ():
            entry_id = str(entry.get("id"))
            if entry_id in kept:
                result.append(kept[entry_id])
                continue
            upload = by_index.get(int(entry_id)) if entry_id.isdigit() else None
            if upload is None:
                raise ApiError.field("attachments", "ATTACHMENT_NOT_FOUND", f"Unknown attachment {entry_id}")
            used.add(int(entry_id))
            stored = self.store_file(entry.get("filename") or upload.filename, upload.data, upload.content_type)
            result.append(self.attachment_payload(channel_id, stored, description=entry.get("description")))
        for index, upload in sorted(by_index.items()):
            if index not in used:
                stored = self.store_file(upload.filename, upload.data, upload.content_type)
                result.append(self.attachment_payload(channel_id, stored))
        return result

    def mentions(self, content: str, guild: Guild | None) -> tuple[list[dict], list[str]]:
        users = []
        for match in dict.fromkeys(MENTION_USER.findall(content or "")):
            user = self.users.get(int(match))
            if user is None:
                continue
            data = user.to_dict()
            if guild is not None and user.id in guild.members:
                data["member"] = guild.members[user.id].to_dict(with_user=False)
            users.append(data)
        roles = [r for r in dict.fromkeys(MENTION_ROLE.findall(content or "")) if guild and int(r) in guild.roles]
        return users, roles

    def create_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        *,
        content: str = "",
        embeds: list[dict] | None = None,
        components: list[dict] | None = None,
        attachments: list[dict] | None = None,
        flags: int = 0,
        message_type: int = 0,
        extra: dict[str, Any] | None = None,
    ) -> SentMessage:
        """Store a new message and return it (no events are dispatched here)."""
        guild = self.guild_of(channel)
        mentions, mention_roles = self.mentions(content, guild)
        message_id = self.ids()
        payload: dict[str, Any] = {
            "id": str(message_id),
            "type": message_type,
            "channel_id": str(channel.id),
            "author": author.to_dict(),
            "content": content or "",
            "timestamp": iso(utcnow()),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in (content or ""),
            "mentions": mentions,
            "mention_roles": mention_roles,
            "mention_channels": [],
            "attachments": attachments or [],
            "embeds": [normalise_embed(e) for e in embeds or []],
            "reactions": [],
            "pinned": False,
            "flags": flags,
            "components": copy.deepcopy(components or []),
            "sticker_items": [],
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
        if extra:
            payload.update(extra)
        message = SentMessage(payload, self.files)
        self.messages[message_id] = message
        if not flags & EPHEMERAL_FLAG:
            channel.last_message_id = message_id
            if isinstance(channel, FakeThread) and message_type != THREAD_STARTER_MESSAGE:
                channel.message_count += 1
                channel.total_message_sent += 1
        return message

    def gateway_message(self, message: SentMessage) -> dict[str, Any]:
        """MESSAGE_CREATE/UPDATE payload: the message plus ``member`` for guild messages."""
        data = copy.deepcopy(message.payload)
        guild_id = data.get("guild_id")
        if guild_id:
            member = self.guilds[int(guild_id)].members.get(message.author_id)
            if member is not None:
                data["member"] = member.to_dict(with_user=False)
        return data


#: Message flags a bot may set when sending (suppress embeds/notifications, components v2, ...).
SETTABLE_FLAGS = (1 << 2) | (1 << 12) | (1 << 13) | (1 << 15)


def message_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The message fields present in a create/edit body, normalised like Discord."""
    changes: dict[str, Any] = {}
    if "content" in body:
        changes["content"] = body["content"] or ""
    if "embeds" in body:
        changes["embeds"] = [normalise_embed(e) for e in body["embeds"] or []]
    if "components" in body:
        changes["components"] = copy.deepcopy(body["components"] or [])
    if "poll" in body and body["poll"] is not None:
        changes["poll"] = copy.deepcopy(body["poll"])
    return changes


def normalise_embed(embed: dict[str, Any]) -> dict[str, Any]:
    """Discord echoes embeds with ``type: rich`` filled in."""
    embed = copy.deepcopy(embed)
    embed.setdefault("type", "rich")
    return embed
