"""Feed bytes → entries. feedparser does the reading (every RSS/Atom dialect, encodings, bozo
feeds); this module turns its loose dictionaries into frozen values and refuses what is not a feed.

Parsing is CPU work, so :func:`parse_feed` runs it in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import yarl
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString

from bot.feeds.problems import NotAFeed

# A summary that is just a URL is ordinary in feeds, not a mistaken file name.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/feed+xml")
MAX_ALTERNATES = 10
# Never shown, not even their text. feedparser's own sanitiser is off (we emit markdown, not HTML)
# and it would keep the fallback text inside an <iframe>.
DROPPED_TAGS = ("script", "style", "iframe", "frame", "frameset", "noscript", "object", "embed", "applet",
                "form", "input", "button", "select", "textarea", "template", "svg", "math", "canvas",
                "head", "title", "meta", "link", "img", "picture", "video", "audio", "source")
TITLE_MAX = 1000
FEED_TITLE_MAX = 300
SHOWN_URL_MAX = 200  # in messages: a 2,000-character URL would push a refusal past Discord's limit

# Markup that still shows once a fragment was parsed as HTML, i.e. the feed escaped it twice (Reddit
# does): a comment, a common element's closing tag, a void element, or an entity. A literal "<" as in
# "a < b" or "List<int>" is none of these, so it stays text.
_HTML_IN_TEXT = re.compile(
    r"<!--|</(?:a|abbr|b|blockquote|br|code|dd|del|div|dl|dt|em|figcaption|figure|h[1-6]|i|ins|li|mark|ol|p|pre|"
    r"q|s|small|span|strong|sub|sup|table|tbody|td|th|thead|tr|u|ul)\s*>|<(?:br|hr|img|wbr)\b[^<>]*>|"
    r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});", re.IGNORECASE)
_LITERAL_ELEMENTS = frozenset({"code", "pre", "kbd", "samp"})  # their text is meant as written
MAX_DECODES = 3  # escaped twice is common, three times happens; more would be a parser loop

# An internal DTD subset that declares entities is how "billion laughs" bombs are built. Feeds have
# no honest use for one, so it is removed before any parser sees it (expat also caps amplification;
# this keeps the slower fallback parser out of it too).
_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class FeedEntry:
    """One entry as the feed gave it; ``position`` 0 is the first in the document."""

    position: int
    guid: str | None
    link: str | None
    title: str
    published: datetime | None
    author: str | None
    summary_html: str
    image_url: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    site_url: str | None
    entries: tuple[FeedEntry, ...]
    malformed: bool  # feedparser's "bozo": read anyway, with its forgiving parser


async def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse in a worker thread so the event loop keeps running."""
    return await asyncio.to_thread(parse_feed_bytes, body, url=url, content_type=content_type)


def parse_feed_bytes(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Read RSS 0.9x/1.0/2.0 or Atom; raise :class:`NotAFeed` (with discovered feed links) otherwise.

    ``content_type`` is the HTTP header, whose charset counts when the XML prolog names none.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A BytesIO, never raw bytes: feedparser would treat a body that looks like a URL or a path as one.
    result = feedparser.parse(io.BytesIO(defuse(body)), response_headers=headers, sanitize_html=False)
    entries = result.get("entries") or []
    if not result.get("version") and not entries:
        raise not_a_feed(body, url, content_type)
    channel = result.get("feed") or {}
    return ParsedFeed(
        title=(_title(channel) or urlsplit(url).hostname or url)[:FEED_TITLE_MAX],
        site_url=_absolute(channel.get("link"), url),
        entries=tuple(_entry(position, raw, url) for position, raw in enumerate(entries)),
        malformed=bool(result.get("bozo")),
    )


def defuse(body: bytes) -> bytes:
    """Drop an internal DTD subset that declares entities (see ``_INTERNAL_SUBSET``)."""
    root = _ROOT_ELEMENT.search(body)
    head_end = root.start() if root else len(body)
    head = body[:head_end]
    if b"<!ENTITY" not in head.upper():
        return body
    return _INTERNAL_SUBSET.sub(b"", head) + body[head_end:]


def not_a_feed(body: bytes, url: str, content_type: str | None) -> NotAFeed:
    """Explain what came back instead of a feed; for an HTML page, offer the feeds it links to."""
    # In angle brackets: Discord shows it as a link, without a preview and without reading markup in it.
    shown = f"<{url}>" if len(url) <= SHOWN_URL_MAX else f"<{url[:SHOWN_URL_MAX - 1]}…>"
    if looks_like_html(body, content_type):
        alternates = discover_feed_links(body, url)
        if alternates:
            return NotAFeed(f"{shown} is a web page, not a feed; it links to {len(alternates)} feed(s).",
                            alternates)
        return NotAFeed(f"{shown} is a web page, not a feed, and it links to no RSS or Atom feed. "
                        "Look for an RSS or Atom link on the site and use that URL.")
    kind = (content_type or "unknown").split(";")[0].strip()
    return NotAFeed(f"{shown} is not an RSS or Atom feed (it sent {kind}). Check the URL of the feed itself.")


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    start = body[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


def discover_feed_links(body: bytes, url: str) -> tuple[str, ...]:
    """The RSS/Atom ``<link rel="alternate">`` URLs of an HTML page, absolute, in page order."""
    soup = BeautifulSoup(body[:2_000_000], "html.parser")
    base_tag = soup.find("base", href=True)
    base = urljoin(url, str(base_tag["href"])) if base_tag else url
    found: list[str] = []
    for link in soup.find_all("link", href=True):
        rel: Any = link.get("rel") or []
        rels = rel if isinstance(rel, list) else str(rel).split()
        kind = str(link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in [r.lower() for r in rels] and kind in FEED_TYPES:
            absolute = _absolute(str(link["href"]), base)
            if absolute and absolute not in found:
                found.append(absolute)
    return tuple(found[:MAX_ALTERNATES])


def html_soup(html: str) -> BeautifulSoup:
    """An HTML fragment without the tags in ``DROPPED_TAGS`` (and their contents).

    Text that still looks like HTML after parsing (the feed escaped its markup twice) is parsed
    again, up to ``MAX_DECODES`` times, so no tag, comment or entity is left over as text.
    """
    soup = _soup(html)
    for _ in range(MAX_DECODES - 1):
        escaped = [text for text in soup.find_all(string=looks_escaped)
                   if type(text) is NavigableString and not _is_literal(text)]
        if not escaped:
            break
        for text in escaped:
            text.replace_with(*_soup(str(text)).contents)
    return soup


def _soup(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    return soup


def _is_literal(text: NavigableString) -> bool:
    return any(parent.name in _LITERAL_ELEMENTS for parent in text.parents)


def looks_escaped(text: str | None) -> bool:
    """Whether ``text`` still holds markup or entities meant to be read as HTML."""
    return text is not None and _HTML_IN_TEXT.search(text) is not None


def plain_text(html: str) -> str:
    """The words of an HTML fragment (for titles given as HTML, and keyword filters)."""
    if not html or ("<" not in html and "&" not in html):
        return " ".join(html.split())
    return " ".join(html_soup(html).get_text(" ").split())


def _entry(position: int, raw: Any, base_url: str) -> FeedEntry:
    return FeedEntry(
        position=position,
        guid=_text(raw.get("id")) or None,
        link=_absolute(raw.get("link"), base_url),
        title=_title(raw),
        published=_published(raw),
        author=_author(raw),
        summary_html=_summary_html(raw),
        image_url=_image(raw, base_url),
    )


def _text(value: Any) -> str:
    """Whitespace-collapsed text, or ``""``."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())


def _title(raw: Any) -> str:
    title = raw.get("title")
    detail = raw.get("title_detail") or {}
    if isinstance(title, str) and (("html" in str(detail.get("type", "")) and "<" in title) or looks_escaped(title)):
        title = plain_text(title)
    return _text(title)[:TITLE_MAX]


def _author(raw: Any) -> str | None:
    detail = raw.get("author_detail") or {}
    name = _text(detail.get("name")) or _text(raw.get("author"))
    return name[:TITLE_MAX] or None


def _published(raw: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = raw.get(key)
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _summary_html(raw: Any) -> str:
    summary = raw.get("summary")
    if isinstance(summary, str) and summary.strip():
        return summary
    for content in raw.get("content") or []:
        value = content.get("value")
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _image(raw: Any, base_url: str) -> str | None:
    """The entry's picture: media thumbnail or content, an image enclosure, or the iTunes image."""
    candidates: list[Any] = [m.get("url") for m in raw.get("media_thumbnail") or []]
    candidates += [m.get("url") for m in raw.get("media_content") or []
                   if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")]
    candidates += [link.get("href") for link in raw.get("links") or []
                   if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/")]
    image = raw.get("image")
    if isinstance(image, dict):
        candidates.append(image.get("href"))
    for candidate in candidates:
        url = _absolute(candidate, base_url)
        if url:
            return url
    return None


def _absolute(value: Any, base_url: str) -> str | None:
    """An absolute http(s) URL, percent-encoded as Discord accepts it in an embed (no spaces), or
    None (``javascript:`` and friends are dropped)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        url = str(yarl.URL(urljoin(base_url, value.strip())))
    except ValueError:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname and len(url) <= 2000 else None
