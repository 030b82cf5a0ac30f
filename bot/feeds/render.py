"""Entry HTML → Discord markdown, short, and unable to ping anyone.

markdownify does the conversion (escaping Discord's markdown in the text as it goes), from a soup
that no longer holds what must never be shown (scripts, styles, frames, forms; see ``html_soup``).
The result is cut at a sentence or a word, and markup the cut left open is closed off, so a cut
never breaks the rest of the embed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from markdownify import MarkdownConverter

from bot.feeds.parse import FeedEntry, html_soup

SUMMARY_MAX = 400
ELLIPSIS = "…"

_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]{17,20})")
_SENTENCE_END = re.compile(r"[.!?…][)\]\"'”’]*(?=\s)")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_OPEN_LINK = re.compile(r"(?<!\\)\[[^\]\n]*(\]\([^)\s]*)?$")
# Discord's markdown, escaped in text: inline markers anywhere, block markers at a line's start.
_INLINE_MARKUP = re.compile(r"([\\*_~|`\[\]])")
_LINE_START_MARKUP = re.compile(r"(^|\n)([ \t]*)(>|#|-(?=[ #])|\+(?= )|\d+\.(?= ))")


@dataclass(frozen=True)
class Announcement:
    """What gets posted for one entry. ``summary`` is final markdown; the other texts are raw and
    are escaped by whoever shows them (the embed, the CLI's JSON)."""

    feed_title: str
    title: str
    link: str | None
    author: str | None
    published: datetime | None
    summary: str
    image_url: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Announcement:
        published = data.get("published")
        return cls(feed_title=data["feed_title"], title=data["title"], link=data.get("link"),
                   author=data.get("author"), published=datetime.fromisoformat(published) if published else None,
                   summary=data.get("summary", ""), image_url=data.get("image_url"))


def announce(feed_title: str, entry: FeedEntry) -> Announcement:
    return Announcement(feed_title=feed_title, title=entry.title or "(untitled)", link=entry.link,
                        author=entry.author, published=entry.published,
                        summary=summary_markdown(entry.summary_html), image_url=entry.image_url)


class DiscordMarkdown(MarkdownConverter):
    """markdownify tuned to what Discord shows: no headings or images, only http(s) links."""

    def escape(self, text: str, parent_tags: set[str]) -> str:
        """Escape what Discord would read as markup; nothing else (no stray backslashes)."""
        if not text:
            return ""
        text = _INLINE_MARKUP.sub(r"\\\1", text)
        return _LINE_START_MARKUP.sub(_escape_line_start, text)

    def convert_hN(self, n: int, el: Any, text: str, parent_tags: set[str]) -> str:
        text = text.strip()
        return f"\n\n**{text}**\n\n" if text else ""

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return ""

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        href = str(el.get("href") or "")
        if not href.startswith(("http://", "https://")):
            return text
        return super().convert_a(el, text, parent_tags)  # type: ignore[misc, no-any-return]


def _escape_line_start(match: re.Match[str]) -> str:
    start, indent, marker = match.groups()
    escaped = f"{marker[:-1]}\\." if marker.endswith(".") else f"\\{marker}"  # "1\. " but "\# "
    return f"{start}{indent}{escaped}"


_CONVERTER = DiscordMarkdown(heading_style="atx", bullets="-")


def summary_markdown(html: str, limit: int = SUMMARY_MAX) -> str:
    """The summary as Discord markdown: scripts and friends dropped, mentions defused, ≤ ``limit``."""
    if not html or not html.strip():
        return ""
    markdown = _CONVERTER.convert_soup(html_soup(html))
    markdown = markdown.replace("\r", "").replace("\x00", "")
    markdown = _TRAILING_SPACES.sub("\n", markdown)
    markdown = _BLANK_LINES.sub("\n\n", markdown).strip()
    return cut_markdown(neutralise_mentions(markdown), limit)


def neutralise_mentions(text: str) -> str:
    """``@everyone``, ``@here`` and ``<@&id>`` shown as text that pings no one (as discord.py does)."""
    return _MENTION.sub("@\u200b\\1", text)


def cut_markdown(text: str, limit: int = SUMMARY_MAX) -> str:
    """Cut to ≤ ``limit`` at the end of a sentence (or else a word), closing nothing half-open."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS) - 1
    window = text[:room]
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(text[: room + 1])]
    if sentence_ends and sentence_ends[-1] >= room // 2:
        cut = window[: sentence_ends[-1]]
    else:
        space = max(window.rfind(" "), window.rfind("\n"))
        cut = window[:space] if space >= room // 2 else window
    cut = _close_open_markup(cut).rstrip()
    return f"{cut} {ELLIPSIS}" if cut else ELLIPSIS


def _close_open_markup(text: str) -> str:
    """Drop a link or emphasis the cut left open, rather than let it swallow what follows."""
    text = _OPEN_LINK.sub("", text)
    for marker in ("```", "`", "**", "~~", "||", "*"):
        positions = _unescaped(text, marker)
        if len(positions) % 2:
            text = text[: positions[-1]] + text[positions[-1] + len(marker):]
    return text.rstrip("\\")


def _unescaped(text: str, marker: str) -> list[int]:
    """Where ``marker`` starts, not backslash-escaped and not part of a longer marker counted before."""
    found = []
    index = text.find(marker)
    while index != -1:
        escaped = index > 0 and text[index - 1] == "\\"
        doubled = marker in ("*", "`") and (text[index: index + 2] == marker * 2 or
                                            (index > 0 and text[index - 1] == marker))
        if not escaped and not doubled:
            found.append(index)
        index = text.find(marker, index + len(marker))
    return found
