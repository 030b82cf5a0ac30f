"""Web companion settings: defaults, WEB_PORT=0 turns it off, bad values stop the start with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from tests.test_config import TOKEN


def load(**env: str) -> Settings:
    return load_settings({"DISCORD_TOKEN": TOKEN, **env}, dotenv_path=None)


def test_defaults_listen_on_localhost_8080() -> None:
    settings = load()
    assert (settings.web_host, settings.web_port, settings.public_url, settings.web_trust_proxy) == (
        "127.0.0.1", 8080, None, False)
    assert settings.web_base_url() == "http://127.0.0.1:8080"


def test_port_zero_turns_it_off_and_public_url_wins_for_links() -> None:
    assert load(WEB_PORT="0").web_port is None
    settings = load(WEB_HOST="0.0.0.0", WEB_PORT="9000", PUBLIC_URL="https://cohort.example.org/",
                    WEB_TRUST_PROXY="1")
    assert settings.web_port == 9000 and settings.web_trust_proxy
    assert settings.web_base_url(9000) == "https://cohort.example.org"


def test_settings_built_by_hand_start_with_the_companion_off() -> None:
    settings = Settings(token="t", database_path=Path("x.db"))
    assert settings.web_port is None  # tests opt in with web_port=0: any free port


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("WEB_PORT", "eighty", "WEB_PORT: 'eighty' is not a port"),
    ("WEB_PORT", "70000", "WEB_PORT:"),
    ("WEB_PORT", "-1", "WEB_PORT:"),
    ("WEB_HOST", "http://localhost", "WEB_HOST:"),
    ("WEB_HOST", "local host", "WEB_HOST:"),
    ("PUBLIC_URL", "cohort.example.org", "PUBLIC_URL: 'cohort.example.org' is not a URL"),
    ("PUBLIC_URL", "ftp://cohort.example.org", "PUBLIC_URL:"),
    ("PUBLIC_URL", "https://cohort.example.org/?x=1", "PUBLIC_URL:"),
    ("WEB_TRUST_PROXY", "perhaps", "WEB_TRUST_PROXY:"),
])
def test_bad_values_are_one_line(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(**{name: value})
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)
