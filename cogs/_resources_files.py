"""/resource export and /resource import on Discord: files on disk (never the whole library in memory),
progress edits, an error report, and one export per member every 30 seconds.

A helper of ``cogs/resources.py``: it imports nothing from the cog. Parsing and storing is ``bot.resources.transfer``.
"""

from __future__ import annotations

import io
import tempfile
import time
from typing import cast

import discord
from discord import app_commands

from bot import topics
from bot.core import CohortBot
from bot.errors import InvalidInput
from bot.resources import transfer
from bot.resources.download import Download
from bot.text import counted
from bot.ui.render import NO_PINGS, cut, safe

IMPORT_MAX_BYTES = 25 * 1024 * 1024
IMPORT_PROGRESS_EVERY = 1.0  # seconds between progress edits
EXPORT_COOLDOWN = 30.0  # seconds between one member's exports


class LibraryFiles:
    """Export and import of a guild's library."""

    def __init__(self, bot: CohortBot) -> None:
        self.bot = bot
        # (guild, member) → their export cooldown; only throttling, so it need not survive a restart.
        self.export_cooldowns: dict[tuple[int, int], app_commands.Cooldown] = {}

    async def export(self, interaction: discord.Interaction, member: discord.Member, topic: str | None) -> None:
        """Send the library (or one topic) as CSV and JSON."""
        found = await topics.get_topic(self.bot.db, member.guild.id, topic) if topic else None
        topic_id = found.id if found else None
        self.spend_export_cooldown(member)
        await interaction.response.defer(thinking=True, ephemeral=True)
        # Written to temporary files, not memory: a big library is tens of megabytes.
        with text_tempfile() as csv_file, text_tempfile() as json_file:
            count = await transfer.export_library(self.bot.db, member.guild.id, csv_out=csv_file, json_out=json_file,
                                                  topic_id=topic_id)
            csv_file.flush()
            json_file.flush()
            if csv_file.tell() + json_file.tell() > member.guild.filesize_limit:
                raise InvalidInput("The export is larger than this server's upload limit; export one topic at a "
                                   "time with `topic:`.")
            name = f"resources-{found.slug if found else 'all'}"
            files = [discord.File(rewound(csv_file), filename=f"{name}.csv"),
                     discord.File(rewound(json_file), filename=f"{name}.json")]
            await interaction.followup.send(f"{counted(count, 'resource')}, as CSV and as JSON.", files=files,
                                            ephemeral=True, allowed_mentions=NO_PINGS)

    async def import_(self, interaction: discord.Interaction, member: discord.Member,
                      file: discord.Attachment) -> int:
        """Import a CSV or JSON file, showing progress; returns how many resources were added."""
        if file.size > IMPORT_MAX_BYTES:
            raise InvalidInput(f"That file is {file.size // (1024 * 1024)} MB; import files up to "
                               f"{IMPORT_MAX_BYTES // (1024 * 1024)} MB (split it into several).")
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.edit_original_response(content=f"Importing {code(file.filename)}: starting…")
        # The first batch is shown at once (so even a fast import shows how it goes), then at most
        # one edit a second.
        last_edit: float | None = None

        async def progress(state: transfer.ImportProgress) -> None:
            nonlocal last_edit
            if state.done or (last_edit is not None and time.monotonic() - last_edit < IMPORT_PROGRESS_EVERY):
                return
            last_edit = time.monotonic()
            percent = min(100, state.bytes_read * 100 // max(file.size, 1))
            await interaction.edit_original_response(
                content=f"Importing {code(file.filename)}: {percent}% read, {state.imported} imported, "
                        f"{state.failed} rows with problems…")

        with text_tempfile() as report_file:
            errors = transfer.ErrorReport(report_file)
            async with self.download(file) as (chunks, first_bytes):
                file_format = transfer.detect_format(file.filename, first_bytes)
                result = await transfer.import_resources(
                    self.bot.db, self.bot.clock, guild_id=member.guild.id, author_id=member.id, chunks=chunks,
                    file_format=file_format, errors=errors, on_progress=progress)
            report_file.flush()
            summary = (f"Import of {code(file.filename)} finished: {result.imported} imported, "
                       f"{result.failed} of {result.rows} rows not imported.")
            if result.stopped:
                summary += f"\n**Stopped early:** {safe(result.stopped, 500)}"
            attachments: list[discord.File] = []
            if errors.count:
                summary += " The attached report says why for each row."
                attachments.append(discord.File(rewound(report_file), filename="import-errors.csv"))
            await interaction.edit_original_response(content=summary, attachments=attachments)
        return result.imported

    def spend_export_cooldown(self, member: discord.Member) -> None:
        """One export per member every 30 s (each reads the whole library). Counted only once the export
        is sure to run, so a mistyped topic does not make the corrected command wait."""
        self.export_cooldowns = {key: c for key, c in self.export_cooldowns.items() if c.get_tokens() < c.rate}
        cooldown = self.export_cooldowns.setdefault((member.guild.id, member.id),
                                                    app_commands.Cooldown(1, EXPORT_COOLDOWN))
        retry_after = cooldown.update_rate_limit()
        if retry_after:
            raise app_commands.CommandOnCooldown(cooldown, retry_after)

    def download(self, attachment: discord.Attachment) -> Download:
        return Download(self.bot.http_session, attachment.url, IMPORT_MAX_BYTES)


def code(text: str) -> str:
    """Text shown as inline code: markdown and mentions do not render there, so only backticks matter."""
    return "`" + cut(text.replace("`", "'"), 100) + "`"


def text_tempfile() -> io.TextIOWrapper:
    """A UTF-8 text file on disk that disappears when closed (for reports and exports)."""
    return cast(io.TextIOWrapper, tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))


def rewound(text_file: io.TextIOWrapper) -> io.BufferedIOBase:
    """The bytes under a text file, from the start, for an upload."""
    text_file.flush()
    binary = cast(io.BufferedIOBase, text_file.buffer)
    binary.seek(0)
    return binary
