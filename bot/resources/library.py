"""The library itself: share, show, list, vote, save, edit, remove and restore resources."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from bot import guild_config
from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed
from bot.participation import ParticipationRecorder
from bot.resources.model import (
    RESOURCE_COLUMNS,
    RESOURCE_FROM,
    DuplicateResource,
    Resource,
    ResourceNotFound,
    clean_note,
    clean_title,
    join_tags,
    parse_kind,
    parse_level,
    parse_tags,
    resource_from_row,
)
from bot.resources.urls import host_of, normalise_url, title_from_url

PER_PAGE = 10
CHECK_EVERY = timedelta(days=7)
POLICY_KEY = "resources.add_policy"
MEMBER_ROLE_KEY = "gate.member_role"
POLICIES = ("everyone", "members")
Sort = Literal["top", "new"]
CLEAR = "-"  # typed as a note or tags in /resource edit, it clears the field


@dataclass(frozen=True)
class ResourceDraft:
    """A resource's fields, validated, before it is stored; ``title`` None means "read it from the page"."""

    url: str
    title: str | None
    note: str = ""
    level: str | None = None
    kind: str | None = None
    tags: tuple[str, ...] = ()

    def with_title(self, fetched: str | None) -> ResourceDraft:
        """The draft with a title read from the page; one that cleans to nothing counts as none."""
        try:
            return replace(self, title=clean_title(fetched) if fetched else None)
        except InvalidInput:
            return replace(self, title=None)


def draft_resource(*, url: str, title: str | None = None, note: str | None = None, level: str | None = None,
                   kind: str | None = None, tags: str | None = None) -> ResourceDraft:
    """Validate what someone typed; raises :class:`InvalidInput` naming the first bad field."""
    return ResourceDraft(
        url=normalise_url(url),
        title=clean_title(title) if title is not None else None,
        note=clean_note(note) if note else "",
        level=parse_level(level) if level else None,
        kind=parse_kind(kind) if kind else None,
        tags=parse_tags(tags) if tags else (),
    )


@dataclass(frozen=True)
class Page:
    """One page of a list: ``page`` is 0-based and already inside ``0 .. pages-1``."""

    items: list[Resource]
    page: int
    pages: int
    total: int


def _page_bounds(page: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return min(max(page, 0), pages - 1), pages


# Reading -------------------------------------------------------------------------------------
async def get_resource(db: Database, guild_id: int, resource_id: int, *, include_removed: bool = False) -> Resource:
    row = await db.fetchone(f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM} WHERE r.guild_id = ? AND r.id = ?",
                            (guild_id, resource_id))
    if row is None or (row["removed_at"] is not None and not include_removed):
        raise ResourceNotFound(resource_id)
    return resource_from_row(row)


async def find_by_url(db: Database, guild_id: int, url: str) -> Resource | None:
    """The resource (removed or not) with this normalised URL, if the guild has it."""
    row = await db.fetchone(f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM} WHERE r.guild_id = ? AND r.url = ?",
                            (guild_id, url))
    return None if row is None else resource_from_row(row)


async def _resources_by_ids(db: Database, ids: list[int]) -> list[Resource]:
    """Resources in the order of ``ids``."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM} WHERE r.id IN ({marks})", ids)
    by_id = {row["id"]: resource_from_row(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def list_resources(db: Database, guild_id: int, topic_id: int, *, sort: Sort = "top",
                         level: str | None = None, kind: str | None = None, page: int = 0,
                         per_page: int = PER_PAGE) -> Page:
    """One page of a topic's live resources, best or newest first, optionally one level and kind."""
    filters = ["guild_id = ?", "topic_id = ?"]
    params: list[object] = [guild_id, topic_id]
    if level is not None:
        filters.append("level = ?")
        params.append(parse_level(level))
    if kind is not None:
        filters.append("kind = ?")
        params.append(parse_kind(kind))
    where = " AND ".join(filters)
    # The total comes from the per-list counts the triggers keep, not from counting rows.
    total = int(await db.fetchval(f"SELECT IFNULL(SUM(live), 0) FROM resources_counts WHERE {where}", params))
    page, pages = _page_bounds(page, total, per_page)
    order = "votes DESC, id DESC" if sort == "top" else "id DESC"
    # The skipping happens in the subquery, on the covering index; full rows are read for the page only.
    rows = await db.fetchall(
        f"SELECT {RESOURCE_COLUMNS} FROM (SELECT id, votes FROM resources WHERE {where} AND removed_at IS NULL "
        f"ORDER BY {order} LIMIT ? OFFSET ?) AS page JOIN resources AS r ON r.id = page.id "
        f"LEFT JOIN topics AS t ON t.id = r.topic_id ORDER BY {'r.votes DESC, ' if sort == 'top' else ''}r.id DESC",
        [*params, per_page, page * per_page])
    return Page([resource_from_row(row) for row in rows], page, pages, total)


async def saved_resources(db: Database, guild_id: int, user_id: int, *, page: int = 0,
                          per_page: int = PER_PAGE) -> Page:
    """What a member saved (and is still in the library), most recently saved first."""
    live = ("FROM resources_saves AS s JOIN resources AS r ON r.id = s.resource_id "
            "WHERE s.guild_id = ? AND s.user_id = ? AND r.removed_at IS NULL")
    total = int(await db.fetchval(f"SELECT COUNT(*) {live}", (guild_id, user_id)))
    page, pages = _page_bounds(page, total, per_page)
    ids = [row[0] for row in await db.fetchall(
        f"SELECT r.id {live} ORDER BY s.saved_at DESC, r.id DESC LIMIT ? OFFSET ?",
        (guild_id, user_id, per_page, page * per_page))]
    return Page(await _resources_by_ids(db, ids), page, pages, total)


async def broken_resources(db: Database, guild_id: int, *, page: int = 0, per_page: int = PER_PAGE) -> Page:
    """Live resources whose link failed two or more checks in a row."""
    where = "guild_id = ? AND removed_at IS NULL AND failed_checks >= 2"
    total = int(await db.fetchval(f"SELECT COUNT(*) FROM resources WHERE {where}", (guild_id,)))
    page, pages = _page_bounds(page, total, per_page)
    ids = [row[0] for row in await db.fetchall(
        f"SELECT id FROM resources WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
        (guild_id, per_page, page * per_page))]
    return Page(await _resources_by_ids(db, ids), page, pages, total)


# Who may do what ----------------------------------------------------------------------------
async def add_policy(db: Database, guild_id: int) -> str:
    return await guild_config.get_setting(db, guild_id, POLICY_KEY) or "everyone"


async def set_add_policy(db: Database, guild_id: int, policy: str) -> str:
    policy = policy.strip().lower()
    if policy not in POLICIES:
        raise InvalidInput(f"The policy is one of: {', '.join(POLICIES)}.")
    await guild_config.set_setting(db, guild_id, POLICY_KEY, policy)
    return policy


async def member_role_id(db: Database, guild_id: int) -> int | None:
    """The gate's member role, if the gate has one configured."""
    value = await guild_config.get_setting(db, guild_id, MEMBER_ROLE_KEY)
    return int(value) if value and value.isdigit() else None


async def ensure_may_add(db: Database, guild_id: int, *, role_ids: Collection[int], moderator: bool) -> None:
    """Raise :class:`NotAllowed` when the guild lets only members share and this person is not one."""
    if moderator or await add_policy(db, guild_id) == "everyone":
        return
    role_id = await member_role_id(db, guild_id)
    if role_id is None:
        raise NotAllowed("Only members may share resources here, but no member role is set up yet; "
                         "ask a moderator to share it, or an admin to set `/resource policy`.")
    if role_id not in role_ids:
        raise NotAllowed(f"Only members (the <@&{role_id}> role) may share resources here.")


def ensure_may_change(resource: Resource, user_id: int, *, moderator: bool) -> None:
    if moderator or (resource.author_id is not None and resource.author_id == user_id):
        return
    raise NotAllowed(f"Only the person who shared #{resource.id}, or someone with **Manage Messages**, "
                     "can change or remove it.")


# Writing ------------------------------------------------------------------------------------
async def add_resource(db: Database, clock: Clock, *, guild_id: int, author_id: int | None, topic_id: int,
                       draft: ResourceDraft, curated: bool = False) -> Resource:
    """Store a resource; raises :class:`DuplicateResource` (writing nothing) if the link is known."""
    now = clock.now()
    title = draft.title or clean_title(title_from_url(draft.url))
    async with db.transaction():
        existing = await find_by_url(db, guild_id, draft.url)
        if existing is not None:
            raise DuplicateResource(existing)
        resource_id, _ = await db.execute(
            "INSERT INTO resources (guild_id, url, host, title, note, level, kind, tags, topic_id, author_id, "
            "curated, created_at, next_check_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, draft.url, host_of(draft.url), title, draft.note, draft.level, draft.kind,
             join_tags(draft.tags), topic_id, author_id, int(curated), to_db(now), to_db(now + CHECK_EVERY)),
        )
    assert resource_id is not None
    return await get_resource(db, guild_id, resource_id)


async def edit_resource(db: Database, *, guild_id: int, resource_id: int, user_id: int, moderator: bool,
                        title: str | None = None, note: str | None = None, level: str | None = None,
                        kind: str | None = None, tags: str | None = None, topic_id: int | None = None) -> Resource:
    """Change the given fields (``-`` as note or tags clears it); the sharer or a moderator only."""
    resource = await get_resource(db, guild_id, resource_id)
    ensure_may_change(resource, user_id, moderator=moderator)
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = clean_title(title)
    if note is not None:
        changes["note"] = "" if note.strip() == CLEAR else clean_note(note)
    if level is not None:
        changes["level"] = parse_level(level)
    if kind is not None:
        changes["kind"] = parse_kind(kind)
    if tags is not None:
        changes["tags"] = "" if tags.strip() == CLEAR else join_tags(parse_tags(tags))
    if topic_id is not None:
        changes["topic_id"] = topic_id
    if not changes:
        raise InvalidInput("Nothing to change: give at least one of title, note, level, kind, tags or topic.")
    assignments = ", ".join(f"{column} = ?" for column in changes)
    await db.execute(f"UPDATE resources SET {assignments} WHERE id = ? AND guild_id = ?",
                     (*changes.values(), resource.id, guild_id))
    return await get_resource(db, guild_id, resource.id)


async def remove_resource(db: Database, clock: Clock, *, guild_id: int, resource_id: int, user_id: int,
                          moderator: bool) -> Resource:
    """Soft removal: hidden from lists and search, kept for ``restore``."""
    resource = await get_resource(db, guild_id, resource_id)
    ensure_may_change(resource, user_id, moderator=moderator)
    await db.execute("UPDATE resources SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL",
                     (to_db(clock.now()), user_id, resource.id))
    return await get_resource(db, guild_id, resource.id, include_removed=True)


async def restore_resource(db: Database, *, guild_id: int, resource_id: int) -> Resource:
    resource = await get_resource(db, guild_id, resource_id, include_removed=True)
    if not resource.removed:
        raise InvalidInput(f"#{resource.id} is not removed; nothing to restore.")
    await db.execute("UPDATE resources SET removed_at = NULL, removed_by = NULL WHERE id = ?", (resource.id,))
    return await get_resource(db, guild_id, resource.id)


@dataclass(frozen=True)
class Toggled:
    """The resource after a vote or save was toggled; ``on`` says which way it went."""

    resource: Resource
    on: bool


async def toggle_upvote(db: Database, clock: Clock, *, guild_id: int, resource_id: int, user_id: int) -> Toggled:
    """One vote per member: the first press adds it, the next removes it. Nobody votes for their own."""
    async with db.transaction():
        resource = await get_resource(db, guild_id, resource_id)
        if resource.author_id == user_id:
            raise NotAllowed("You shared this one, so you cannot upvote it; upvote what others shared.")
        _, removed = await db.execute("DELETE FROM resources_votes WHERE resource_id = ? AND user_id = ?",
                                      (resource.id, user_id))
        if not removed:
            await db.execute("INSERT INTO resources_votes (guild_id, resource_id, user_id, voted_at) "
                             "VALUES (?, ?, ?, ?)", (guild_id, resource.id, user_id, to_db(clock.now())))
        await db.execute("UPDATE resources SET votes = votes + ? WHERE id = ?", (-1 if removed else 1, resource.id))
    return Toggled(await get_resource(db, guild_id, resource.id), on=not removed)


async def vote(db: Database, clock: Clock, participation: ParticipationRecorder, *, guild_id: int, resource_id: int,
               user_id: int) -> Toggled:
    """Toggle a member's upvote; the sharer's participation counts it (a vote taken back counts -1)."""
    toggled = await toggle_upvote(db, clock, guild_id=guild_id, resource_id=resource_id, user_id=user_id)
    if toggled.resource.author_id is not None:
        participation.record(guild_id, toggled.resource.author_id, upvotes_received=1 if toggled.on else -1)
    return toggled


async def toggle_save(db: Database, clock: Clock, *, guild_id: int, resource_id: int, user_id: int) -> Toggled:
    """Save a resource to your list, or take it off if it was saved."""
    async with db.transaction():
        resource = await get_resource(db, guild_id, resource_id)
        _, removed = await db.execute(
            "DELETE FROM resources_saves WHERE guild_id = ? AND user_id = ? AND resource_id = ?",
            (guild_id, user_id, resource.id))
        if not removed:
            await db.execute("INSERT INTO resources_saves (guild_id, user_id, resource_id, saved_at) "
                             "VALUES (?, ?, ?, ?)", (guild_id, user_id, resource.id, to_db(clock.now())))
    return Toggled(resource, on=not removed)


async def count_resources(db: Database, guild_id: int, *, include_removed: bool = False) -> int:
    extra = "" if include_removed else " AND removed_at IS NULL"
    return int(await db.fetchval(f"SELECT COUNT(*) FROM resources WHERE guild_id = ?{extra}", (guild_id,)))

