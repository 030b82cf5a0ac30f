"""The newest resources as an Atom 1.0 feed (RFC 4287), written with ElementTree so it is always well formed."""

from __future__ import annotations

import re
from datetime import datetime
from xml.etree import ElementTree as ET

from bot.resources.model import Resource

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot hold at all; member-written text is stripped of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = _text(text)
    return element


def resources_feed(resources: list[Resource], *, title: str, feed_url: str, page_url: str, feed_id: str,
                   updated: datetime) -> bytes:
    """``resources`` newest first; ``updated`` is used when there are none (the feed must say when)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "title", title)
    _sub(feed, "id", feed_id)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    newest = max((r.created_at for r in resources), default=updated)
    _sub(feed, "updated", newest.isoformat(timespec="seconds"))
    author = _sub(feed, "author")
    _sub(author, "name", title)
    _sub(feed, "generator", "Cohort")
    for resource in resources:
        entry = _sub(feed, "entry")
        _sub(entry, "title", resource.title)
        _sub(entry, "id", f"{feed_id}:resource:{resource.id}")
        _sub(entry, "link", rel="alternate", href=resource.url)
        _sub(entry, "updated", resource.created_at.isoformat(timespec="seconds"))
        _sub(entry, "published", resource.created_at.isoformat(timespec="seconds"))
        if resource.topic_name:
            _sub(entry, "category", term=resource.topic_slug or resource.topic_name, label=_text(resource.topic_name))
        for tag in resource.tags:
            _sub(entry, "category", term=tag)
        summary = resource.note or f"Shared from {resource.host}"
        _sub(entry, "summary", summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
