"""The feed server: static feeds with ETag/Last-Modified, redirects, errors, tricklers, giants."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: Mapping[str, str]


@dataclass
class FeedServer:
    """``await server.start()``, register paths, point the bot at ``server.url(path)``."""

    hosts: tuple[str, ...] = ("127.0.0.1",)
    delay: float = 0.0  # seconds before each answer, as real hosts take
    requests: list[Recorded] = field(default_factory=list)
    sent: dict[str, list[int]] = field(default_factory=dict)  # bytes streamed by giant() paths
    _routes: dict[str, Handler] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        first = web.TCPSite(self._runner, self.hosts[0], 0)
        await first.start()
        self.port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for host in self.hosts[1:]:
            await web.TCPSite(self._runner, host, self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.hosts[0]}:{self.port}{path}"

    def requests_for(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Recorded(request.method, request.path, dict(request.headers)))
        if self.delay:
            await asyncio.sleep(self.delay)
        handler = self._routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such feed")
        return await handler(request)

    # What a path answers ------------------------------------------------------------------------
    def feed(self, path: str, body: bytes | str, *, content_type: str = "application/rss+xml; charset=utf-8",
             etag: bool = True, last_modified: str | None = "Mon, 05 Jan 2026 10:00:00 GMT",
             headers: Mapping[str, str] | None = None, gzip: bool = False) -> None:
        """Serve ``body``; answer 304 to a matching If-None-Match / If-Modified-Since."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        tag = f'"{hashlib.sha1(data).hexdigest()[:16]}"' if etag else None

        async def handle(request: web.Request) -> web.StreamResponse:
            extra = dict(headers or {})
            if tag:
                extra["ETag"] = tag
            if last_modified:
                extra["Last-Modified"] = last_modified
            if (tag and request.headers.get("If-None-Match") == tag) or (
                    not tag and last_modified and request.headers.get("If-Modified-Since") == last_modified):
                return web.Response(status=304, headers=extra)
            response = web.Response(body=data, headers={**extra, "Content-Type": content_type})
            if gzip:
                response.enable_compression(web.ContentCoding.gzip)
            return response

        self._routes[path] = handle

    def status(self, path: str, status: int, *, headers: Mapping[str, str] | None = None, text: str = "") -> None:
        async def handle(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers=dict(headers or {}), text=text)

        self._routes[path] = handle

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.status(path, status, headers={"Location": location})

    def page(self, path: str, html: str) -> None:
        self.feed(path, html, content_type="text/html; charset=utf-8", etag=False, last_modified=None)

    def trickle(self, path: str, body: bytes, *, chunk: int = 16, every: float = 0.2) -> None:
        """Send ``chunk`` bytes every ``every`` seconds: a server that never quite finishes."""

        async def handle(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            await response.prepare(request)
            for start in range(0, len(body), chunk):
                await response.write(body[start:start + chunk])
                await asyncio.sleep(every)
            await response.write_eof()
            return response

        self._routes[path] = handle

    def giant(self, path: str, size: int, *, declare_length: bool = False) -> None:
        """Stream ``size`` bytes of a never-ending feed, counting how much was actually sent."""
        sent = self.sent.setdefault(path, [0])
        block = b"<item><title>x</title></item>" * 2000

        async def handle(request: web.Request) -> web.StreamResponse:
            headers = {"Content-Type": "application/rss+xml"}
            if declare_length:
                headers["Content-Length"] = str(size)
            response = web.StreamResponse(headers=headers)
            await response.prepare(request)
            await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>')
            while sent[0] < size:
                piece = block[: size - sent[0]]
                await response.write(piece)
                sent[0] += len(piece)
            await response.write_eof()
            return response

        self._routes[path] = handle

    def handler(self, path: str, handle: Handler) -> None:
        self._routes[path] = handle

