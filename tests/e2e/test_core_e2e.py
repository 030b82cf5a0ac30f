"""The bot core through the stand-in: login, command sync, /about, errors, and the process itself."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bot.core import CohortBot

ADMIN_GROUPS = {"config": 32}  # Manage Server = 1 << 5


def synced_commands(standin: Any) -> list[dict[str, Any]]:
    puts = standin.requests_to("PUT", "/applications/*/commands")
    assert puts, "the bot did not sync its commands"
    return puts[-1].json


def walk_options(command: dict[str, Any]):
    for option in command.get("options", []):
        yield option
        yield from walk_options(option)


async def test_login_syncs_every_command_with_short_descriptions(standin: Any, bot: CohortBot) -> None:
    commands = {c["name"]: c for c in synced_commands(standin)}
    assert {"topic", "config", "about"} <= set(commands)
    for command in commands.values():
        assert 1 <= len(command["description"]) <= 100, command["name"]
        for option in walk_options(command):
            assert 1 <= len(option["description"]) <= 100, (command["name"], option["name"])
    topic_subcommands = {o["name"]: o for o in commands["topic"]["options"]}
    assert set(topic_subcommands) == {"list", "join", "leave", "add", "edit", "remove"}
    join_topic = topic_subcommands["join"]["options"][0]
    assert join_topic["type"] == 3 and join_topic["autocomplete"] is True
    add_options = {o["name"]: o["type"] for o in topic_subcommands["add"]["options"]}
    assert add_options == {"slug": 3, "name": 3, "description": 3, "channel": 7, "role": 8}
    for name, permissions in ADMIN_GROUPS.items():
        assert int(commands[name]["default_member_permissions"]) == permissions
    assert commands["topic"].get("default_member_permissions") is None  # members use it too
    assert commands["config"]["contexts"] == [0]  # guild only
    standin.assert_clean()


async def test_about_reports_version_and_counts(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("about", user=standin.alice)
    assert reply.ephemeral
    assert "0.1.0" in reply.text and "3 topics" in reply.text and "Gateway latency" in reply.text
    standin.assert_clean()


async def test_a_restarted_bot_keeps_its_data_and_reconnects(standin: Any, bot_runner: Any) -> None:
    first = await bot_runner.start()
    await standin.slash("topic add", user=standin.admin, slug="rl", name="RL", description="Agents")
    second = await bot_runner.restart(first)
    reply = await standin.slash("topic list", user=standin.alice)
    assert "RL (rl)" in reply.text
    assert second.is_ready()


async def test_a_gateway_resume_keeps_the_configured_gateway(standin: Any, bot: CohortBot) -> None:
    assert await standin.reconnect("op7") == "RESUMED"
    assert str(bot.ws.gateway).startswith(standin.gateway_url)
    reply = await standin.slash("about", user=standin.bob)
    assert reply.ephemeral


def bot_env(standin: Any, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "FEED_"))}
    env.update(standin.env)
    env.update({"DATABASE_PATH": str(tmp_path / "cohort.db"), "FEED_ALLOW_PRIVATE": "1", "LOG_LEVEL": "INFO"})
    env.update(extra)
    return env


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_process_reaches_ready_and_exits_zero_on_sigterm(standin: Any, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=bot_env(standin, tmp_path), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await standin.wait_until_connected(timeout=20)
        await standin.wait_for_request(method="PUT", path="/applications/*/commands", timeout=5)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=15)
    log = out.decode()
    assert process.returncode == 0, log
    assert "stopped cleanly" in log
    assert standin.token not in log


async def test_no_token_explains_how_to_get_one_quickly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    started = asyncio.get_running_loop().time()
    code, _, err = await run_cli(env=env, cwd=tmp_path)
    assert code != 0
    assert "DISCORD_TOKEN" in err and "developers" in err and ".env.example" in err
    assert asyncio.get_running_loop().time() - started < 5  # interpreter start included


async def test_cli_check_summarises_and_flags_problems(standin: Any, bot_runner: Any, tmp_path: Path) -> None:
    bot = await bot_runner.start()
    await bot_runner.stop(bot)
    env = bot_env(standin, tmp_path)
    code, out, _ = await run_cli("check", env=env, cwd=tmp_path)
    assert code == 0, out
    assert "DISCORD_TOKEN: set" in out and "guilds: 1" in out and out.strip().endswith("ok")
    assert standin.token not in out
    env.pop("DISCORD_TOKEN")
    code, out, _ = await run_cli("check", env=env, cwd=tmp_path)
    assert code == 1 and "problem: DISCORD_TOKEN" in out


async def test_cli_backup_and_migrate(tmp_path: Path, standin: Any) -> None:
    env = bot_env(standin, tmp_path)
    code, out, _ = await run_cli("db", "migrate", env=env, cwd=tmp_path)
    assert code == 0 and "001_core" in out
    code, out, _ = await run_cli("db", "backup", str(tmp_path / "copy.db"), env=env, cwd=tmp_path)
    assert code == 0 and (tmp_path / "copy.db").stat().st_size > 0
    code, _, err = await run_cli("db", "backup", str(tmp_path / "copy.db"), env=env, cwd=tmp_path)
    assert code == 1 and "exists" in err


async def test_bad_setting_stops_the_start_with_one_line(tmp_path: Path, standin: Any) -> None:
    code, _, err = await run_cli(env=bot_env(standin, tmp_path, DATABASE_PATH="/no/such/dir/x.db"), cwd=tmp_path)
    assert code == 2
    assert err.strip() == "DATABASE_PATH: directory /no/such/dir does not exist; create it or pick another path"


async def test_a_refused_privileged_intent_names_the_portal_toggle(standin: Any, tmp_path: Path) -> None:
    standin.gateway.disallowed_intents = 1 << 15  # MESSAGE_CONTENT not enabled in the portal
    code, out, err = await run_cli(env=bot_env(standin, tmp_path), cwd=tmp_path)
    assert code == 1
    assert "Privileged Gateway Intents" in out + err and "MESSAGE CONTENT INTENT" in out + err
    standin.gateway.disallowed_intents = 0


async def test_without_message_content_the_bot_does_not_ask_for_it(standin: Any, bot_runner: Any) -> None:
    standin.gateway.disallowed_intents = 1 << 15
    bot = await bot_runner.start(message_content_intent=False)
    assert not bot.intents.message_content
    assert bot.is_ready()


async def test_cli_sync_puts_the_commands_and_exits(standin: Any, tmp_path: Path) -> None:
    code, out, err = await run_cli("sync", env=bot_env(standin, tmp_path), cwd=tmp_path)
    assert code == 0, out + err
    assert {c["name"] for c in synced_commands(standin)} >= {"topic", "config", "about"}
    assert not standin.gateway.identify_count  # it never connected to the gateway


async def test_with_a_guild_id_commands_sync_to_that_guild(standin: Any, bot_runner: Any) -> None:
    await bot_runner.start(guild_id=standin.guild_id)
    puts = standin.requests_to("PUT", f"/applications/*/guilds/{standin.guild_id}/commands")
    assert puts and {c["name"] for c in puts[-1].json} >= {"topic", "config", "about"}
    assert not standin.requests_to("PUT", "/applications/*/commands")
