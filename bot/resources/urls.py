"""Resource URLs: one spelling per link, so the same page shared twice is recognised as a duplicate."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit

import idna

from bot.errors import InvalidInput

URL_MAX = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that only say where a click came from; they never change the page.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid", "ttclid",
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid",
})
TRACKING_PREFIXES = ("utm_",)
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_LABELS = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$")
# Characters left as they are when percent-encoding a path or query: RFC 3986 reserved and
# unreserved characters, plus "%" so existing escapes survive.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
TITLE_FROM_URL_MAX = 200


def normalise_url(text: str) -> str:
    """The canonical spelling of an http(s) link, or :class:`InvalidInput` saying what is wrong.

    Lower-case scheme and host, IDNA host, default port dropped, fragment and tracking parameters
    removed, non-ASCII path characters percent-encoded, and no trailing slash except the root.
    A link typed without a scheme (``example.org/page``) is taken as https.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInput("Give a link, such as `https://example.org/article`.")
    if len(raw) > URL_MAX:
        raise InvalidInput(f"That link is {len(raw)} characters; links up to {URL_MAX} characters are accepted.")
    if _SPACE_OR_CONTROL.search(raw):
        raise InvalidInput("A link cannot contain spaces or control characters; paste just the link.")
    if not _HAS_SCHEME.match(raw):
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput("That link cannot be read; check it (the port, or the brackets of an IPv6 "
                           "address) and paste it again.") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidInput("Only http:// and https:// links can be shared.")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("Links with a user name or password in them are not accepted; share the plain link.")
    host = _normalise_host(parts.hostname or "")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE).rstrip("/") or "/"
    query = _strip_tracking(quote(parts.query, safe=_QUERY_SAFE))
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    if len(url) > URL_MAX:
        raise InvalidInput(f"That link is {len(url)} characters once encoded; links up to {URL_MAX} are accepted.")
    return url


def _normalise_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        raise InvalidInput("That link has no host name; it should look like `https://example.org/page`.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise InvalidInput("The host name of that link is not a valid domain name.") from exc
    if len(host) > 253 or not _HOST_LABELS.match(host):
        raise InvalidInput("The host name of that link is not a valid domain name.")
    return host


def _strip_tracking(query: str) -> str:
    """Drop tracking parameters, keeping the others exactly as written and in order."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote(pair.split("=", 1)[0]).lower()
        if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)


def host_of(url: str) -> str:
    """The host of a normalised URL, without a ``www.`` prefix (what people call the site)."""
    host = urlsplit(url).netloc
    return host[4:] if host.startswith("www.") else host


def title_from_url(url: str) -> str:
    """A readable stand-in title when the page gives none: host and path, e.g. ``example.org/a/b``."""
    parts = urlsplit(url)
    host = host_of(url)
    path = unquote(parts.path, errors="replace")
    title = host if path in ("", "/") else host + path
    return title if len(title) <= TITLE_FROM_URL_MAX else title[: TITLE_FROM_URL_MAX - 1] + "…"
