"""Feed handlers: the server's calendar.ics, one session's .ics, a member's calendar, resources.atom.

Calendars answer conditional requests: If-None-Match (a strong ETag, a hash of the body) wins over
If-Modified-Since, as RFC 9110 says.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

from aiohttp import web

from bot.sessions import ics, store
from bot.sessions.model import SessionNotFound
from bot.web import calendars
from bot.web.atom import resources_feed
from bot.web.context import CONTEXT
from bot.web.pages import PageNotFound, enabled_guild
from bot.web.queries import newest_resources
from bot.web.store import user_for_token

CALENDAR_TYPE = "text/calendar"
ATOM_FEED_SIZE = 50


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    return since.tzinfo is not None and last_modified <= since


def conditional(request: web.Request, feed: calendars.Feed, content_type: str, *, cache: str,
                filename: str | None = None) -> web.Response:
    headers = {"ETag": feed.etag, "Last-Modified": feed.last_modified_http, "Cache-Control": cache}
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, feed.etag)
    else:
        since = request.headers.get("If-Modified-Since")
        fresh = since is not None and _not_modified_since(since, feed.last_modified)
    if fresh:
        return web.Response(status=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return web.Response(body=feed.body, content_type=content_type, charset="utf-8", headers=headers)


async def guild_calendar(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    slug = request.match_info["slug"].lower()
    found = await calendars.enabled_with_changes(context.db, slug)
    if found is None:
        raise PageNotFound()
    guild_id, changes = found
    server = context.server(guild_id, slug)
    links = context.guild_links(slug)
    feed = await context.feeds.feed(context.db, guild_id, changes, context.clock.now(),
                                    name=f"{server.name} study sessions", page_url=links["sessions"])
    return conditional(request, feed, CALENDAR_TYPE, cache="public, max-age=300", filename=f"{slug}.ics")


async def session_calendar(request: web.Request) -> web.Response:
    """One session as its own event: what "add to calendar" downloads."""
    context, guild = await enabled_guild(request)
    raw = request.match_info["session"]
    if not raw.isdigit() or len(raw) > 12:
        raise PageNotFound()
    try:
        session = await store.get_session(context.db, guild.guild_id, int(raw))
    except SessionNotFound as error:
        raise PageNotFound() from error
    version = await context.db.fetchone(
        "SELECT s.created_at, v.sequence, v.changed_at FROM sessions s LEFT JOIN web_calendar_versions v "
        "ON v.kind = 'session' AND v.id = s.id WHERE s.id = ?", (session.id,))
    assert version is not None
    stamp = calendars.from_db(version["changed_at"] or version["created_at"])
    versions = {("session", session.id): ics.Version(version["sequence"] or 0, stamp)}
    links = context.guild_links(guild.slug)
    body = ics.build_calendar([session], {}, now=context.clock.now(), name=session.title, url=links["sessions"],
                              feed=ics.FeedOptions(versions, standalone=True))
    return conditional(request, calendars.make_feed(body, [stamp]), CALENDAR_TYPE, cache="public, max-age=300",
                       filename=f"session-{session.id}.ics")


async def personal_calendar(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    name = request.match_info["token"]
    user_id = await user_for_token(context.db, name.removesuffix(".ics")) if name.endswith(".ics") else None
    if user_id is None:
        raise PageNotFound()
    rows = await context.db.fetchall("SELECT guild_id, slug FROM web_guilds WHERE enabled = 1")
    slugs = {row["guild_id"]: row["slug"] for row in rows}
    guild_ids = await context.db.fetchall(
        "SELECT DISTINCT guild_id FROM sessions_rsvps WHERE user_id = ?", (user_id,))
    names = {}
    for row in guild_ids:
        info = context.servers(row["guild_id"])
        if info is not None:
            names[row["guild_id"]] = info.name
    urls = {gid: context.guild_links(slug)["sessions"] for gid, slug in slugs.items() if gid in names}
    feed = await calendars.personal_feed(context.db, user_id, context.clock.now(), server_names=names,
                                         sessions_url=urls)
    return conditional(request, feed, CALENDAR_TYPE, cache="private, max-age=300")


async def resources_atom(request: web.Request) -> web.Response:
    context, guild = await enabled_guild(request)
    server = context.server(guild.guild_id, guild.slug)
    links = context.guild_links(guild.slug)
    resources = await newest_resources(context.db, guild.guild_id, ATOM_FEED_SIZE)
    updated_at = await context.db.fetchval("SELECT updated_at FROM web_guilds WHERE guild_id = ?", (guild.guild_id,))
    body = resources_feed(resources, title=f"{server.name}: new in the library", feed_url=links["atom"],
                          page_url=links["library"], feed_id=links["home"], updated=calendars.from_db(updated_at))
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300"})
