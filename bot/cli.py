"""``python -m bot [run|sync|check|db migrate|db backup PATH|feed preview URL]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.db import Database, DatabaseError, MigrationError, latest_version, migrate
from bot.db.migrate import schema_version


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Cohort, a Discord bot for learners.")
    parser.add_argument("--version", action="version", version=f"cohort {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("sync", help="sync slash commands with Discord and exit")
    commands.add_parser("check", help="validate the configuration and the database, print a summary")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("migrate", help="apply pending migrations")
    backup = db_commands.add_parser("backup", help="copy the database safely, even while the bot runs")
    backup.add_argument("path", type=Path, help="where to write the copy")

    feed = commands.add_parser("feed", help="feed tools")
    feed_commands = feed.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    preview = feed_commands.add_parser("preview", help="print what the bot would announce for a feed")
    preview.add_argument("url")
    preview.add_argument("--json", action="store_true", help="print JSON instead of text")
    preview.add_argument("--limit", type=int, default=10, help="how many entries (default 10)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings(require_token=command in ("run", "sync"))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from bot.logs import setup_logging

    if command in ("run", "sync"):
        setup_logging(settings.log_level, settings.token)
    try:
        from bot.runner import event_loop_factory

        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(_dispatch(command, args, settings))
    except (DatabaseError, MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _dispatch(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if command == "run":
        from bot.runner import run

        return await run(settings)
    if command == "sync":
        from bot.runner import sync_only

        return await sync_only(settings)
    if command == "check":
        return await check(settings)
    if command == "db" and args.db_command == "migrate":
        return await db_migrate(settings)
    if command == "db" and args.db_command == "backup":
        return await db_backup(settings, args.path)
    if command == "feed" and args.feed_command == "preview":
        from bot.feeds.cli import preview_command

        return await preview_command(settings, args.url, as_json=args.json, limit=args.limit)
    raise AssertionError(f"unhandled command {command}")


async def db_migrate(settings: Settings) -> int:
    db = await Database.open(settings.database_path)
    try:
        applied = await migrate(db)
    finally:
        await db.close()
    print(f"applied: {', '.join(applied)}" if applied else "the database is up to date")
    return 0


async def db_backup(settings: Settings, target: Path) -> int:
    if not settings.database_path.exists():
        print(f"error: there is no database at {settings.database_path} to back up", file=sys.stderr)
        return 1
    if target.exists():
        print(f"error: {target} exists; pick a new file name", file=sys.stderr)
        return 1
    if not target.parent.is_dir():
        print(f"error: directory {target.parent} does not exist", file=sys.stderr)
        return 1
    db = await Database.open(settings.database_path)
    try:
        await db.backup(target)
    finally:
        await db.close()
    print(f"backed up {settings.database_path} to {target} ({target.stat().st_size} bytes)")
    return 0


async def check(settings: Settings) -> int:
    """Print a summary of the configuration and database; non-zero when something needs fixing."""
    problems: list[str] = []
    lines = [f"cohort {__version__}"]
    if settings.token:
        lines.append("DISCORD_TOKEN: set")
    else:
        problems.append("DISCORD_TOKEN: not set; see .env.example and the README to get one")
    lines.append(f"DISCORD_GUILD_ID: {settings.guild_id or 'not set (commands sync globally)'}")
    lines.append(f"DISCORD_API_URL: {settings.api_url or 'Discord'}")
    lines.append(f"MESSAGE_CONTENT_INTENT: {'on' if settings.message_content_intent else 'off'}")
    lines.append(f"FEED_URLS: {len(settings.feed_urls)}; FEED_POLL_SECONDS: {settings.feed_poll_seconds}")
    latest = latest_version()
    if not settings.database_path.exists():
        lines.append(f"DATABASE_PATH: {settings.database_path} (not created yet; made on first run)")
    else:
        db = await Database.open(settings.database_path)
        try:
            version = await schema_version(db)
            integrity = await db.fetchval("PRAGMA quick_check")
            guild_count = await db.fetchval("SELECT COUNT(*) FROM guilds") if version else 0
        finally:
            await db.close()
        lines.append(f"DATABASE_PATH: {settings.database_path} ({settings.database_path.stat().st_size} bytes)")
        lines.append(f"schema: version {version} of {latest}; guilds: {guild_count}")
        if version > latest:
            problems.append(f"database: schema version {version} is newer than this code ({latest})")
        if integrity != "ok":
            problems.append(f"database: integrity check failed: {integrity}")
    for line in lines:
        print(line)
    for problem in problems:
        print(f"problem: {problem}")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0
