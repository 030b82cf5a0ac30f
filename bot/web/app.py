"""The aiohttp application: routes, the request guard, one not-found page, and errors that say little."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from importlib import resources
from pathlib import Path

from aiohttp import web

from bot.web import feeds, pages
from bot.web.access_log import redact
from bot.web.context import CONTEXT, WebContext
from bot.web.guard import Handler, LoopShare, RateLimiter, add_security_headers, guard_middleware

log = logging.getLogger("bot.web")
STATIC_DIR = Path(str(resources.files("bot.web") / "static"))
ERROR_TEXT = {
    404: ("Page not found", "There is nothing here. The link may be mistyped, or the page was turned off."),
    405: ("Not allowed", "Only GET and HEAD are served here."),
    414: ("Address too long", "The address is too long."),
    429: ("Slow down", "Too many requests from your address; wait a little and try again."),
    500: ("Something went wrong", "The page could not be made. Please try again later."),
}


def css_version(static_dir: Path) -> str:
    return hashlib.sha256((static_dir / "cohort.css").read_bytes()).hexdigest()[:12]


def build_app(context: WebContext, *, limiter: RateLimiter | None = None, trust_proxy: bool = False,
              loop_share: LoopShare | None = None, static_dir: Path = STATIC_DIR) -> web.Application:
    """The whole site. ``limiter`` None turns the per-client rate limit off; ``loop_share`` bounds the
    event loop time all web handlers together may take (see :class:`LoopShare`; None: a default one).

    Static files are served from ``static_dir`` without following symlinks out of it.
    """
    context.templates.globals["css_version"] = css_version(static_dir)

    def error_page(status: int, detail: str | None = None) -> web.Response:
        title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
        body = context.templates.get_template("error.html").render(
            root=context.root, title=title, text=detail or text, status=status)
        return web.Response(status=status, text=body, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    share = loop_share or LoopShare()

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            async with share.turn():
                return await handler(request)
        except web.HTTPNotFound:
            return error_page(404)  # unknown, turned off and mistyped all look exactly the same
        except web.HTTPMethodNotAllowed:
            return error_page(405)
        except web.HTTPException:
            raise
        except asyncio.CancelledError:
            raise
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("web error %s on %s %s", error_id, request.method, redact(request.path))
            return error_page(500, f"The page could not be made (error {error_id}). Please try again later.")

    app = web.Application(middlewares=[guard_middleware(limiter, trust_proxy=trust_proxy,
                                                        plain_error=error_page), errors],
                          client_max_size=1024)
    app[CONTEXT] = context
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/", index)
    app.router.add_get("/g/{slug}", pages.home)
    app.router.add_get("/g/{slug}/library", pages.library)
    app.router.add_get("/g/{slug}/sessions", pages.sessions)
    app.router.add_get("/g/{slug}/sessions/{session}.ics", feeds.session_calendar)
    app.router.add_get("/g/{slug}/plans/{plan}", pages.plan)
    app.router.add_get("/g/{slug}/calendar.ics", feeds.guild_calendar)
    app.router.add_get("/g/{slug}/resources.atom", feeds.resources_atom)
    app.router.add_get("/c/{token}", feeds.personal_calendar)
    app.router.add_static("/static/", static_dir, follow_symlinks=False, show_index=False)
    return app


async def index(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    return pages.html(context, "index.html", title="Cohort")
