"""Configuration: .env then the environment, one clear line per bad value, the token never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.secret-token-value-xyz"


def settings(env: dict[str, str], tmp_path: Path, dotenv: str | None = None):
    path = tmp_path / ".env"
    if dotenv is not None:
        path.write_text(dotenv)
    env = {"DATABASE_PATH": str(tmp_path / "c.db"), **env}
    return load_settings(env, dotenv_path=path)


def test_missing_token_explains_where_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        settings({}, tmp_path)
    text = str(error.value)
    assert "DISCORD_TOKEN" in text and "developer" in text and "Bot" in text and ".env.example" in text


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    loaded = settings({"DISCORD_TOKEN": TOKEN, "LOG_LEVEL": "debug"}, tmp_path,
                      dotenv="DISCORD_TOKEN=from-file\nLOG_LEVEL=ERROR\nFEED_POLL_SECONDS=30\n")
    assert loaded.token == TOKEN
    assert loaded.log_level == "DEBUG"
    assert loaded.feed_poll_seconds == 30


def test_defaults(tmp_path: Path) -> None:
    loaded = load_settings({"DISCORD_TOKEN": TOKEN}, dotenv_path=None)
    assert loaded.database_path == Path("data/cohort.db")
    assert loaded.guild_id is None and loaded.api_url is None and loaded.message_content_intent
    assert loaded.feed_poll_seconds == 600 and not loaded.allow_private_urls


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DATABASE_PATH", "/no/such/dir/c.db", "DATABASE_PATH: directory /no/such/dir does not exist"),
    ("DISCORD_GUILD_ID", "abc", "DISCORD_GUILD_ID:"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL:"),
    ("DISCORD_API_URL", "discord.com", "DISCORD_API_URL:"),
    ("DISCORD_GATEWAY_URL", "http://x", "DISCORD_GATEWAY_URL:"),
    ("MESSAGE_CONTENT_INTENT", "maybe", "MESSAGE_CONTENT_INTENT:"),
    ("FEED_POLL_SECONDS", "0", "FEED_POLL_SECONDS:"),
    ("FEED_URLS", "https://ok.example/feed, not a url", "FEED_URLS:"),
])
def test_each_bad_value_names_the_variable_in_one_line(tmp_path: Path, name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings({"DISCORD_TOKEN": TOKEN, name: value}, tmp_path)
    message = str(error.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert TOKEN not in message


def test_token_is_not_in_repr(tmp_path: Path) -> None:
    loaded = settings({"DISCORD_TOKEN": TOKEN}, tmp_path)
    assert TOKEN not in repr(loaded)


def test_user_agent_names_the_bot_and_contact(tmp_path: Path) -> None:
    loaded = settings({"DISCORD_TOKEN": TOKEN, "BOT_CONTACT_URL": "https://example.org/cohort"}, tmp_path)
    assert loaded.user_agent.startswith("CohortBot/") and "https://example.org/cohort" in loaded.user_agent
