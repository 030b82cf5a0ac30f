"""A page's title, read from its ``og:title`` or ``<title>``, for resources shared without one."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import aiohttp

from bot import net
from bot.resources.model import TITLE_MAX

TITLE_TIMEOUT = 2.0
TITLE_MAX_BYTES = 512 * 1024
_FEED_CHUNK = 16 * 1024
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class _TitleParser(HTMLParser):
    """Collects og:title (preferred) and <title>; ``done`` once the head is over."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.og_title: str | None = None
        self.title_parts: list[str] = []
        self._in_title = False
        self._title_seen = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return  # a <title> in the body is not the page's title
        if tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").lower()
            if key in ("og:title", "twitter:title") and values.get("content", "").strip() and self.og_title is None:
                self.og_title = values["content"]
        elif tag == "title" and not self._title_seen:
            self._in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._title_seen = True
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done:
            self.title_parts.append(data)

    @property
    def best(self) -> str | None:
        for candidate in (self.og_title, "".join(self.title_parts)):
            text = _SPACES.sub(" ", candidate or "").strip()
            if text:
                return text
        return None


def _charset(content_type: str, body: bytes) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    found = _CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else "utf-8"


def title_from_html(body: bytes, content_type: str = "text/html") -> str | None:
    """The page's title from the start of its HTML, or None if it has none."""
    try:
        text = body.decode(_charset(content_type, body), errors="replace")
    except (LookupError, UnicodeError):  # a charset Python does not know, or one that cannot decode leniently
        text = body.decode("utf-8", errors="replace")
    parser = _TitleParser()
    # Feed in pieces and stop at the end of <head>: the rest of a big page is never parsed.
    for start in range(0, len(text), _FEED_CHUNK):
        try:
            parser.feed(text[start:start + _FEED_CHUNK])
        except AssertionError:  # html.parser's answer to some broken markup ("<![" then junk): keep what was read
            break
        if parser.done:
            break
    title = parser.best
    if title is None:
        return None
    title = "".join(ch for ch in title if ch.isprintable() or ch == " ").strip()
    return (title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…") or None


async def fetch_title(session: aiohttp.ClientSession, url: str, *, allow_private: bool) -> str | None:
    """The page's title, or None if it cannot be read (any failure: slow, not HTML, no title, refused)."""
    try:
        result = await net.fetch(session, url, allow_private=allow_private, max_bytes=TITLE_MAX_BYTES,
                                 timeout=TITLE_TIMEOUT, truncate=True,
                                 headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"})
    except (net.FetchError, net.UnsafeURL):
        return None
    content_type = result.headers.get("content-type", "text/html")
    if not 200 <= result.status < 300 or not content_type.lower().startswith(_HTML_TYPES):
        return None
    return title_from_html(result.body, content_type)
