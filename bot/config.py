"""Process settings: read once from ``.env`` and the environment, validated, then passed in.

The environment wins over ``.env``. Every bad value stops the start with one line that names the
variable and the fix. The token is never part of any message or ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

DISCORD_API_URL = "https://discord.com/api/v10"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

NO_TOKEN_HELP = """\
DISCORD_TOKEN is not set, so Cohort cannot log in to Discord.

To get a token:
  1. Open https://discord.com/developers/applications and create (or pick) an application.
  2. Go to Bot -> Reset Token, and copy the token.
  3. Copy .env.example to .env and put the token after DISCORD_TOKEN=
     (or export DISCORD_TOKEN in your shell).
  4. Run `make run` again.

The README explains the permissions and privileged intents to turn on, and the invite link."""


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the process is configured with. Built once, passed to whoever needs it."""

    token: str = field(repr=False)
    database_path: Path
    guild_id: int | None = None
    log_level: str = "INFO"
    api_url: str | None = None
    gateway_url: str | None = None
    message_content_intent: bool = True
    feed_urls: tuple[str, ...] = ()
    feed_poll_seconds: int = 600
    allow_private_urls: bool = False
    contact_url: str = "https://github.com/cohort-bot/cohort"
    # The web companion. ``web_port`` None is off (WEB_PORT=0); 0 binds any free port, which only
    # tests use (the bound port is then ``bot.web.port``). Built by hand, Settings start with it off.
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    public_url: str | None = None
    web_trust_proxy: bool = False

    @property
    def user_agent(self) -> str:
        from bot import __version__

        return f"CohortBot/{__version__} (+{self.contact_url})"

    def web_base_url(self, bound_port: int | None = None) -> str:
        """Where people reach the web companion: PUBLIC_URL, else the address it listens on."""
        if self.public_url:
            return self.public_url
        host = f"[{self.web_host}]" if ":" in self.web_host else self.web_host
        port = bound_port or self.web_port
        return f"http://{host}:{port}" if port else f"http://{host}"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv_path: str | os.PathLike[str] | None = ".env",
    require_token: bool = True,
) -> Settings:
    """Read ``.env`` then the environment (which wins), validate, and return the settings."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    raw = {k: v.strip() for k, v in values.items()}

    token = raw.get("DISCORD_TOKEN", "")
    if require_token and not token:
        raise ConfigError(NO_TOKEN_HELP)
    if token and any(ch.isspace() for ch in token):
        raise ConfigError("DISCORD_TOKEN: contains spaces; paste the token exactly as the portal shows it")

    return Settings(
        token=token,
        database_path=_database_path(raw.get("DATABASE_PATH") or "data/cohort.db"),
        guild_id=_optional_snowflake(raw, "DISCORD_GUILD_ID"),
        log_level=_log_level(raw.get("LOG_LEVEL") or "INFO"),
        api_url=_optional_url(raw, "DISCORD_API_URL", ("http", "https")),
        gateway_url=_optional_url(raw, "DISCORD_GATEWAY_URL", ("ws", "wss")),
        message_content_intent=_flag(raw, "MESSAGE_CONTENT_INTENT", default=True),
        feed_urls=_feed_urls(raw.get("FEED_URLS", "")),
        feed_poll_seconds=_positive_int(raw, "FEED_POLL_SECONDS", default=600),
        allow_private_urls=_flag(raw, "FEED_ALLOW_PRIVATE", default=False),
        contact_url=_optional_url(raw, "BOT_CONTACT_URL", ("http", "https"))
        or "https://github.com/cohort-bot/cohort",
        web_host=_web_host(raw.get("WEB_HOST") or "127.0.0.1"),
        web_port=_web_port(raw.get("WEB_PORT", "")),
        public_url=_public_url(raw),
        web_trust_proxy=_flag(raw, "WEB_TRUST_PROXY", default=False),
    )


def _database_path(value: str) -> Path:
    path = Path(value).expanduser()
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"DATABASE_PATH: directory {parent} does not exist; create it or pick another path")
    if path.is_dir():
        raise ConfigError(f"DATABASE_PATH: {path} is a directory; give a file path such as {path}/cohort.db")
    return path


def _optional_snowflake(raw: Mapping[str, str], name: str) -> int | None:
    value = raw.get(name, "")
    if not value:
        return None
    if not value.isdigit() or not 15 <= len(value) <= 20:
        raise ConfigError(f"{name}: {value!r} is not a Discord id; right-click the server -> Copy Server ID")
    return int(value)


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: {value!r} is not a level; use one of {', '.join(LOG_LEVELS)}")
    return level


def _optional_url(raw: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = raw.get(name, "")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name}: {value!r} is not a URL; it must start with {wanted}")
    return value.rstrip("/")


def _flag(raw: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = raw.get(name, "").lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: {value!r} is not a switch; use 1 or 0")


def _positive_int(raw: Mapping[str, str], name: str, *, default: int) -> int:
    value = raw.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name}: {value!r} is not a whole number of seconds; use 1 or more, e.g. 600")
    return int(value)


def _feed_urls(value: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in value.split(",") if u.strip())
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"FEED_URLS: {url!r} is not an http(s) URL; separate URLs with commas")
    return urls


def _web_host(value: str) -> str:
    if any(ch.isspace() or ch in "/@" for ch in value) or "://" in value:
        raise ConfigError(f"WEB_HOST: {value!r} is not an address to listen on; use e.g. 127.0.0.1 or 0.0.0.0")
    return value


def _web_port(value: str) -> int | None:
    if not value:
        return 8080
    if not value.isdigit() or int(value) > 65535:
        raise ConfigError(f"WEB_PORT: {value!r} is not a port; use 1-65535, or 0 to turn the web companion off")
    return int(value) or None


def _public_url(raw: Mapping[str, str]) -> str | None:
    url = _optional_url(raw, "PUBLIC_URL", ("http", "https"))
    if url is not None and (urlsplit(url).query or urlsplit(url).fragment):
        raise ConfigError(f"PUBLIC_URL: {url!r} has a query or fragment; give just the address, e.g. "
                          "https://cohort.example.org")
    return url
