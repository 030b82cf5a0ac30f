"""Import and export of the library as CSV or JSON.

Imports are streamed: bytes arrive in chunks, rows are parsed as soon as they are complete,
validated one by one and written in batches, so a 50,000-row or 10 MB file needs no more memory
than one batch. Each batch is one transaction: a row is written whole or not at all. Rows that
cannot be imported go to an error report (a CSV the caller provides) with the reason.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any, Literal

from bot import topics
from bot.clock import Clock, to_db
from bot.db import Database
from bot.errors import DomainError, InvalidInput
from bot.resources.library import CHECK_EVERY, ResourceDraft, draft_resource
from bot.resources.model import RESOURCE_COLUMNS, RESOURCE_FROM, Resource, clean_title, join_tags, resource_from_row
from bot.resources.urls import host_of, title_from_url

Format = Literal["csv", "json"]
IMPORT_COLUMNS = ("url", "topic", "title", "note", "level", "kind", "tags")
EXPORT_COLUMNS = (*IMPORT_COLUMNS, "votes", "shared_by", "shared_at", "curated", "id")
MAX_RECORD_CHARS = 64 * 1024  # one row; longer means a quote or bracket was never closed
IMPORT_BATCH = 500
YIELD_EVERY = 100  # rows validated between giving the event loop a turn
MAX_REPORTED_ERRORS = 20_000
EXPORT_PAGE = 1000


class ImportStopped(InvalidInput):
    """The file cannot be read any further; rows before this point were still imported."""


@dataclass(frozen=True)
class RawRow:
    """One row as found in the file: ``where`` is "line 3" or "item 3"; ``fields`` or ``problem`` is set."""

    where: str
    fields: dict[str, Any] | None
    problem: str | None = None


# Parsing ------------------------------------------------------------------------------------
class RowReader:
    """Incremental reader: feed text, get the rows completed so far.

    When the file turns out to be unreadable, the rows before that point are still returned and
    ``stopped`` says what is wrong; nothing more is read after that.
    """

    def __init__(self) -> None:
        self.stopped: ImportStopped | None = None

    def feed(self, text: str) -> list[RawRow]:
        return self._safely(self._feed, text)

    def finish(self) -> list[RawRow]:
        return self._safely(lambda _, rows: self._finish(rows), "")

    def _safely(self, step: Callable[[str, list[RawRow]], None], text: str) -> list[RawRow]:
        rows: list[RawRow] = []
        if self.stopped is None:
            try:
                step(text, rows)
            except ImportStopped as error:
                self.stopped = error
        return rows

    def _feed(self, text: str, rows: list[RawRow]) -> None:
        raise NotImplementedError

    def _finish(self, rows: list[RawRow]) -> None:
        raise NotImplementedError


class CsvRows(RowReader):
    """CSV with a header row naming the columns; quoted fields may span lines."""

    def __init__(self) -> None:
        super().__init__()
        self._partial = ""
        self._partial_quotes = 0
        self._line = 1  # line where the partial record starts
        self._header: list[str] | None = None

    def _feed(self, text: str, rows: list[RawRow]) -> None:
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            self._partial += piece if last else piece + "\n"
            self._partial_quotes += piece.count('"')
            # A record ends at a newline outside quotes; doubled quotes keep the count even.
            if not last and self._partial_quotes % 2 == 0:
                record, line = self._partial, self._line
                self._line += record.count("\n")
                self._partial, self._partial_quotes = "", 0
                self._record(line, record, rows)
        if len(self._partial) > MAX_RECORD_CHARS:
            raise ImportStopped(f"The row starting on line {self._line} never ends (a quote is not closed); "
                                "the file was read up to there.")

    def _finish(self, rows: list[RawRow]) -> None:
        if not self._partial.strip():
            return
        if self._partial_quotes % 2:
            raise ImportStopped(f"The row starting on line {self._line} has a quote that is never closed.")
        self._record(self._line, self._partial + "\n", rows)
        self._partial = ""

    def _record(self, line: int, record: str, rows: list[RawRow]) -> None:
        try:
            values = next(csv.reader([record]), [])
        except csv.Error as error:
            rows.append(RawRow(f"line {line}", None, f"cannot be read as CSV ({error})"))
            return
        if not any(value.strip() for value in values):
            return  # blank line
        if self._header is None:
            self._header = [name.strip().lower().lstrip("\ufeff") for name in values]
            if "url" not in self._header or "topic" not in self._header:
                raise ImportStopped("The first line of the CSV must name the columns, with at least `url` and "
                                    "`topic` (also title, note, level, kind, tags).")
        elif len(values) > len(self._header):
            rows.append(RawRow(f"line {line}", None, f"has {len(values)} values but the header names "
                                                     f"{len(self._header)} columns"))
        else:
            rows.append(RawRow(f"line {line}", dict(zip(self._header, values, strict=False))))


class JsonRows(RowReader):
    """A JSON list of objects (``[{…}, {…}]``) or JSON Lines (one object a line)."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = ""
        self._mode: Literal["array", "lines"] | None = None
        self._items = 0
        self._line = 1
        self._need_comma = False
        self._closed = False
        self._decoder = json.JSONDecoder()

    def _feed(self, text: str, rows: list[RawRow]) -> None:
        self._buffer += text
        self._drain(rows, final=False)

    def _finish(self, rows: list[RawRow]) -> None:
        self._drain(rows, final=True)
        if self._mode == "array" and not self._closed:
            raise ImportStopped(f"The JSON list is never closed with `]`; read up to item {self._items}.")

    def _drain(self, rows: list[RawRow], *, final: bool) -> None:
        if self._mode is None:
            start = self._buffer.lstrip().lstrip("\ufeff")
            if not start:
                return
            if start[0] not in "[{":
                raise ImportStopped("A JSON import is a list of objects, `[{\"url\": …, \"topic\": …}, …]`, or one "
                                    "object per line.")
            self._mode = "array" if start[0] == "[" else "lines"
            self._buffer = start[1:] if self._mode == "array" else start
        if self._mode == "array":
            self._drain_array(rows, final)
        else:
            self._drain_lines(rows, final)

    def _drain_array(self, rows: list[RawRow], final: bool) -> None:
        buffer, pos = self._buffer, 0
        try:
            while True:
                while pos < len(buffer) and buffer[pos] in " \t\r\n":
                    pos += 1
                if pos == len(buffer):
                    break
                char = buffer[pos]
                if self._closed:
                    raise ImportStopped("There is more text after the closing `]` of the JSON list.")
                if char == "]":
                    self._closed, pos = True, pos + 1
                    continue
                if char == ",":
                    if not self._need_comma:
                        raise ImportStopped(f"Unexpected comma after item {self._items}.")
                    self._need_comma, pos = False, pos + 1
                    continue
                if self._need_comma:
                    raise ImportStopped(f"Expected a comma after item {self._items}.")
                try:
                    value, end = self._decoder.raw_decode(buffer, pos)
                except json.JSONDecodeError as error:
                    if not final and len(buffer) - pos <= MAX_RECORD_CHARS:
                        break  # the item is not complete yet
                    if final and error.pos >= len(buffer.rstrip()):
                        raise ImportStopped(f"The file ends in the middle of item {self._items + 1}; the items "
                                            "before it were read.") from error
                    raise ImportStopped(f"Item {self._items + 1} is not valid JSON ({error.msg}); the file was "
                                        "read up to there.") from error
                if end == len(buffer) and not final and not isinstance(value, dict | list | str):
                    break  # a bare number may continue in the next chunk
                self._items += 1
                rows.append(_json_row(f"item {self._items}", value))
                self._need_comma, pos = True, end
        finally:
            self._buffer = buffer[pos:]

    def _drain_lines(self, rows: list[RawRow], final: bool) -> None:
        lines = self._buffer.split("\n")
        self._buffer = "" if final else lines.pop()
        for line in lines:
            where = f"line {self._line}"
            self._line += 1
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                rows.append(RawRow(where, None, f"is not valid JSON ({error.msg})"))
                continue
            rows.append(_json_row(where, value))
        if len(self._buffer) > MAX_RECORD_CHARS:
            raise ImportStopped(f"Line {self._line} is longer than {MAX_RECORD_CHARS // 1024} KB.")


def _json_row(where: str, value: Any) -> RawRow:
    if not isinstance(value, dict):
        return RawRow(where, None, "is not an object with url, topic, … fields")
    return RawRow(where, {str(key).strip().lower(): item for key, item in value.items()})


# Validation ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportRow:
    where: str
    draft: ResourceDraft
    topic_id: int


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if name == "tags" and isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return ", ".join(value)
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text")
    return value if value.strip() else None


def validate_row(row: RawRow, topic_ids: dict[str, int]) -> ImportRow:
    """Turn a parsed row into something to store, or raise :class:`DomainError` saying what is wrong."""
    if row.fields is None:
        raise InvalidInput(row.problem or "cannot be read")
    url = _text(row.fields, "url")
    topic = _text(row.fields, "topic")
    if url is None:
        raise InvalidInput("has no url")
    if topic is None:
        raise InvalidInput("has no topic")
    topic_id = topic_ids.get(topics.normalise_slug(topic)) or topic_ids.get(topic.strip().casefold())
    if topic_id is None:
        raise InvalidInput(f"topic `{topic.strip()[:40]}` does not exist here (`/topic list` shows the topics)")
    draft = draft_resource(url=url, title=_text(row.fields, "title"), note=_text(row.fields, "note"),
                           level=_text(row.fields, "level"), kind=_text(row.fields, "kind"),
                           tags=_text(row.fields, "tags"))
    return ImportRow(row.where, draft, topic_id)


# Import -------------------------------------------------------------------------------------
@dataclass
class ImportProgress:
    """Where an import is; ``stopped`` says why it ended early, if it did."""

    bytes_read: int = 0
    rows: int = 0
    imported: int = 0
    failed: int = 0
    stopped: str | None = None
    done: bool = False


class ErrorReport:
    """The per-row error report, written as CSV to a file the caller owns (so memory stays flat)."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out)
        self._writer.writerow(["where", "url", "error"])
        self.count = 0

    def add(self, where: str, url: object, problem: str) -> None:
        self.count += 1
        if self.count <= MAX_REPORTED_ERRORS:
            self._writer.writerow([where, str(url or "")[:300], problem])
        elif self.count == MAX_REPORTED_ERRORS + 1:
            self._writer.writerow(["…", "", f"more than {MAX_REPORTED_ERRORS} rows failed; the rest are not listed"])


def detect_format(filename: str, first_bytes: bytes) -> Format:
    name = filename.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    return "json" if first_bytes.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") else "csv"


ProgressCallback = Callable[[ImportProgress], Awaitable[None]]


async def import_resources(db: Database, clock: Clock, *, guild_id: int, author_id: int,
                           chunks: AsyncIterable[bytes], file_format: Format, errors: ErrorReport,
                           on_progress: ProgressCallback | None = None,
                           batch_size: int = IMPORT_BATCH) -> ImportProgress:
    """Read, validate and store rows as they arrive; returns the final progress.

    Titles are never fetched during an import (thousands of requests); a row without a title gets
    its host and path. Imported rows are not posted to topic channels.
    """
    topic_ids: dict[str, int] = {}
    for topic in await topics.list_topics(db, guild_id):
        topic_ids.setdefault(topic.name.casefold(), topic.id)
        topic_ids[topic.slug] = topic.id
    parser: RowReader = CsvRows() if file_format == "csv" else JsonRows()
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    progress = ImportProgress()
    pending: list[ImportRow] = []

    async def take(rows: list[RawRow]) -> None:
        for row in rows:
            progress.rows += 1
            try:
                pending.append(validate_row(row, topic_ids))
            except DomainError as error:
                progress.failed += 1
                errors.add(row.where, (row.fields or {}).get("url"), error.message)
            if len(pending) >= batch_size:
                await flush()
            elif progress.rows % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # validation is CPU work: let everything else run in between

    async def flush() -> None:
        batch = pending[:]
        pending.clear()
        if batch:
            await _write_batch(db, clock, guild_id, author_id, batch, errors, progress)
        if on_progress is not None:
            await on_progress(progress)

    try:
        async for chunk in chunks:
            progress.bytes_read += len(chunk)
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                offset = progress.bytes_read - len(chunk) + error.start
                raise ImportStopped(f"The file is not UTF-8 text (near byte {offset}); save it as UTF-8 and "
                                    "import again.") from error
            await take(parser.feed(text))
            if parser.stopped:
                raise parser.stopped
        await take(parser.feed(decoder.decode(b"", final=True)))
        await take(parser.finish())
        if parser.stopped:
            raise parser.stopped
    except ImportStopped as error:
        progress.stopped = error.message
    except UnicodeDecodeError:  # a character cut off by the end of the file
        progress.stopped = "The file is not UTF-8 text (it ends in the middle of a character)."
    progress.done = True
    await flush()
    return progress


async def _write_batch(db: Database, clock: Clock, guild_id: int, author_id: int, batch: list[ImportRow],
                       errors: ErrorReport, progress: ImportProgress) -> None:
    """Store one batch in one transaction; links already in the library are reported, not written."""
    now = clock.now()
    async with db.transaction():
        marks = ",".join("?" * len(batch))
        known = {row["url"]: row["id"] for row in await db.fetchall(
            f"SELECT url, id FROM resources WHERE guild_id = ? AND url IN ({marks})",
            [guild_id, *(item.draft.url for item in batch)])}
        first_seen: dict[str, str] = {}
        fresh = []
        for item in batch:
            url = item.draft.url
            if url in known:
                errors.add(item.where, url, f"already in the library as #{known[url]}")
            elif url in first_seen:
                errors.add(item.where, url, f"the same link as {first_seen[url]}")
            else:
                first_seen[url] = item.where
                fresh.append(item)
        await db.executemany(
            "INSERT INTO resources (guild_id, url, host, title, note, level, kind, tags, topic_id, author_id, "
            "created_at, next_check_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(guild_id, item.draft.url, host_of(item.draft.url),
              item.draft.title or clean_title(title_from_url(item.draft.url)), item.draft.note, item.draft.level,
              item.draft.kind, join_tags(item.draft.tags), item.topic_id, author_id, to_db(now),
              to_db(now + CHECK_EVERY)) for item in fresh],
        )
    progress.imported += len(fresh)
    progress.failed += len(batch) - len(fresh)


# Export -------------------------------------------------------------------------------------
async def iter_library(db: Database, guild_id: int, topic_id: int | None = None) -> AsyncIterator[Resource]:
    """Every live resource of the guild (or one topic), oldest first, read a page at a time."""
    last_id = 0
    topic_filter = " AND r.topic_id = ?" if topic_id is not None else ""
    while True:
        params: list[object] = [guild_id, last_id]
        if topic_id is not None:
            params.append(topic_id)
        rows = await db.fetchall(
            f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM} WHERE r.guild_id = ? AND r.removed_at IS NULL "
            f"AND r.id > ?{topic_filter} ORDER BY r.id LIMIT {EXPORT_PAGE}", params)
        if not rows:
            return
        for row in rows:
            yield resource_from_row(row)
        last_id = rows[-1]["id"]


def export_record(resource: Resource) -> dict[str, Any]:
    """A resource as an export row; the first seven fields are exactly what an import reads."""
    return {
        "url": resource.url, "topic": resource.topic_slug or "", "title": resource.title, "note": resource.note,
        "level": resource.level or "", "kind": resource.kind or "", "tags": ", ".join(resource.tags),
        "votes": resource.votes, "shared_by": str(resource.author_id or ""),
        "shared_at": to_db(resource.created_at), "curated": resource.curated, "id": resource.id,
    }


async def export_library(db: Database, guild_id: int, *, csv_out: IO[str], json_out: IO[str],
                         topic_id: int | None = None) -> int:
    """Write the library as CSV and as a JSON list in one pass; returns how many resources were written.

    Rows are read a page at a time; each page is encoded and written in a worker thread, so a big
    library keeps the event loop free for everyone else's commands.
    """
    writer = csv.DictWriter(csv_out, fieldnames=EXPORT_COLUMNS)
    count = 0

    def write(records: list[dict[str, Any]], first: int) -> None:
        for index, record in enumerate(records, start=first):
            writer.writerow(record)
            json_out.write(("\n" if index == 0 else ",\n") + json.dumps(record, ensure_ascii=False))

    await asyncio.to_thread(lambda: (writer.writeheader(), json_out.write("[")))
    page: list[dict[str, Any]] = []
    async for resource in iter_library(db, guild_id, topic_id):
        page.append(export_record(resource))
        if len(page) == EXPORT_PAGE:
            await asyncio.to_thread(write, page, count)
            count += len(page)
            page = []
    await asyncio.to_thread(write, page, count)
    count += len(page)
    json_out.write("\n]\n")
    return count
