"""Jinja2 templates (autoescape on) and the small formatting helpers they use."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from bot.sessions.model import Session


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,  # every template, whatever its name: member-written text is always escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=False,
    )
    env.filters["time"] = time_tag
    env.filters["day"] = day_tag
    env.filters["duration"] = duration_text
    env.filters["safe_url"] = safe_url
    env.globals["google_calendar_url"] = google_calendar_url
    return env


def _zone_label(moment: datetime) -> str:
    abbreviation = moment.tzname() or ""
    zone = str(moment.tzinfo)
    return zone if abbreviation in ("", zone) or abbreviation.startswith(("+", "-")) else f"{zone}, {abbreviation}"


def time_tag(moment: datetime | None, zone: str) -> Markup:
    """``<time datetime="2026-12-08T18:00:00+01:00">Tue 8 Dec 2026, 18:00 (Europe/Berlin, CET)</time>``."""
    if moment is None:
        return Markup("")
    local = moment.astimezone(ZoneInfo(zone))
    text = f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({_zone_label(local)})"
    return Markup('<time datetime="{}">{}</time>').format(local.isoformat(timespec="minutes"), text)


def day_tag(moment: datetime | None, zone: str) -> Markup:
    """A date only: ``<time datetime="2026-12-07">Mon 7 Dec</time>``."""
    if moment is None:
        return Markup("")
    local = moment.astimezone(ZoneInfo(zone))
    text = f"{local:%a} {local.day} {local:%b %Y}"
    return Markup('<time datetime="{}">{}</time>').format(local.date().isoformat(), text)


def duration_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are ever put in an ``href``; anything else (``javascript:``) is dropped."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def webcal(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("webcal", parts.netloc, parts.path, parts.query, ""))


def google_calendar_url(session: Session, details_url: str) -> str:
    """Google Calendar's "add this event" page, filled in (phones rarely open .ics downloads)."""
    fmt = "%Y%m%dT%H%M%SZ"
    query = urlencode({
        "action": "TEMPLATE",
        "text": session.title,
        "dates": f"{session.starts_at:{fmt}}/{session.ends_at:{fmt}}",
        "details": f"{session.description}\n\n{details_url}".strip()[:1500],
        "ctz": session.timezone,
    })
    return f"https://calendar.google.com/calendar/render?{query}"
