"""The HTML pages of a server: home, library, sessions and study plans. Read-only, no JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import topics
from bot.errors import NotFound
from bot.web import plans, queries
from bot.web.context import CONTEXT, WebContext
from bot.web.store import WebGuild, find_enabled

QUERY_MAX = 200  # characters of a search kept; the whole query string is capped at 512 anyway


class PageNotFound(web.HTTPNotFound):
    """Raised for anything that is not there; rendered as one identical page (see ``app.not_found``)."""


async def enabled_guild(request: web.Request) -> tuple[WebContext, WebGuild]:
    context = request.app[CONTEXT]
    found = await find_enabled(context.db, request.match_info["slug"])
    if found is None:
        raise PageNotFound()
    return context, found


def html(context: WebContext, template: str, **values: Any) -> web.Response:
    body = context.templates.get_template(template).render(root=context.root, **values)
    return web.Response(text=body, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


def _common(context: WebContext, guild: WebGuild, current: str, title: str) -> dict[str, Any]:
    server = context.server(guild.guild_id, guild.slug)
    return {"server": server, "slug": guild.slug, "links": context.guild_links(guild.slug), "current": current,
            "title": title}


async def home(request: web.Request) -> web.Response:
    context, guild = await enabled_guild(request)
    now = context.clock.now()
    zone = await queries.server_timezone(context.db, guild.guild_id)
    return html(context, "home.html", **_common(context, guild, "home", "Home"), zone=zone,
                topics=await queries.guild_topics(context.db, guild.guild_id),
                upcoming=await queries.upcoming_sessions(context.db, guild.guild_id, now),
                plans=await plans.plan_views(context.db, guild.guild_id, server_zone=zone, now=now),
                newest=await queries.newest_resources(context.db, guild.guild_id, queries.NEWEST_ON_HOME),
                days=queries.UPCOMING_DAYS)


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and len(text) <= 4 else 1


async def library(request: web.Request) -> web.Response:
    context, guild = await enabled_guild(request)
    query = request.query.get("q", "").strip()[:QUERY_MAX]
    sort: queries.Sort = "new" if request.query.get("sort") == "new" else "top"
    all_topics = await queries.guild_topics(context.db, guild.guild_id)
    topic = None
    wanted = request.query.get("topic", "").strip()
    problem = None
    if wanted:
        try:
            topic = await topics.get_topic(context.db, guild.guild_id, wanted[:60])
        except NotFound:
            problem = "There is no such topic here; showing every topic instead."
    page = await queries.library_page(context.db, guild.guild_id, query=query, topic=topic, sort=sort,
                                      page=_page_number(request.query.get("page", "1")))
    zone = await queries.server_timezone(context.db, guild.guild_id)
    return html(context, "library.html", **_common(context, guild, "library", "Library"), zone=zone,
                result=page, topics=all_topics, problem=problem or page.problem, per_page=queries.PER_PAGE)


async def sessions(request: web.Request) -> web.Response:
    context, guild = await enabled_guild(request)
    now = context.clock.now()
    zone = await queries.server_timezone(context.db, guild.guild_id)
    return html(context, "sessions.html", **_common(context, guild, "sessions", "Sessions"), zone=zone,
                upcoming=await queries.upcoming_sessions(context.db, guild.guild_id, now, days=366,
                                                         include_cancelled=True),
                recent=await queries.recent_sessions(context.db, guild.guild_id, now), past_days=queries.PAST_DAYS)


async def plan(request: web.Request) -> web.Response:
    context, guild = await enabled_guild(request)
    zone = await queries.server_timezone(context.db, guild.guild_id)
    view = await plans.plan_view(context.db, guild.guild_id, request.match_info["plan"][:60],
                                 server_zone=zone, now=context.clock.now())
    if view is None:
        raise PageNotFound()
    return html(context, "plan.html", **_common(context, guild, "plans", view.title), zone=zone, plan=view)
