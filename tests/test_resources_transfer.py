"""Import and export: streamed parsing, per-row errors, batches, bounded memory, round trips."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterable

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import topics
from bot.clock import FakeClock
from bot.db import Database
from bot.resources import library, transfer
from bot.resources.download import Download as _Download
from tests.local_http import serve

GUILD, OTHER_GUILD, ADMIN = 111, 222, 9


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def run_import(db: Database, clock: FakeClock, data: bytes, file_format: transfer.Format, *,
                     guild: int = GUILD, chunk: int = 64 * 1024, batch_size: int = transfer.IMPORT_BATCH,
                     progress: list[transfer.ImportProgress] | None = None
                     ) -> tuple[transfer.ImportProgress, list[list[str]]]:
    report = io.StringIO()
    errors = transfer.ErrorReport(report)

    async def on_progress(state: transfer.ImportProgress) -> None:
        if progress is not None:
            progress.append(transfer.ImportProgress(**vars(state)))

    result = await transfer.import_resources(db, clock, guild_id=guild, author_id=ADMIN, chunks=chunks_of(data, chunk),
                                             file_format=file_format, errors=errors, on_progress=on_progress,
                                             batch_size=batch_size)
    rows = list(csv.reader(io.StringIO(report.getvalue())))
    assert rows[0] == ["where", "url", "error"]
    return result, rows[1:]


@pytest.fixture(autouse=True)
async def seeded_topics(db: Database, clock: FakeClock) -> None:
    for guild in (GUILD, OTHER_GUILD):
        await topics.seed_topics(db, clock, guild)


async def stored_urls(db: Database, guild: int = GUILD) -> list[str]:
    return [row[0] for row in await db.fetchall("SELECT url FROM resources WHERE guild_id = ? ORDER BY id", (guild,))]


CSV_FILE = (
    "\ufeffURL,Topic,title,note,level,kind,tags,extra\r\n"
    "https://example.org/a?utm_source=x,mlops,First,,beginner,paper,\"drift, mlops\",ignored\r\n"
    "https://example.org/b,MLOps,Second,\"a note\r\nover two lines, with \"\"quotes\"\"\",,,,\r\n"
    "ftp://example.org/c,mlops,Bad scheme,,,,,\r\n"
    "https://example.org/d,no-such-topic,Bad topic,,,,,\r\n"
    "\r\n"
    "https://example.org/e,mlops,Bad level,,expert,,,\r\n"
    "https://example.org/a,mlops,Duplicate of the first,,,,,\r\n"
    "https://example.org/f,online-learning,,,,,,\r\n"
)


async def test_a_csv_import_stores_valid_rows_and_reports_the_rest(db: Database, clock: FakeClock) -> None:
    result, errors = await run_import(db, clock, CSV_FILE.encode(), "csv")
    assert (result.rows, result.imported, result.failed, result.stopped) == (7, 3, 4, None)
    assert await stored_urls(db) == ["https://example.org/a", "https://example.org/b", "https://example.org/f"]
    assert sorted((where, url) for where, url, _ in errors) == [
        ("line 5", "ftp://example.org/c"), ("line 6", "https://example.org/d"), ("line 8", "https://example.org/e"),
        ("line 9", "https://example.org/a")]
    reasons = [reason for *_, reason in sorted(errors)]
    assert "Only http" in reasons[0] and "does not exist" in reasons[1] and "not a level" in reasons[2]
    assert "the same link as line 2" in reasons[3]
    second = await library.find_by_url(db, GUILD, "https://example.org/b")
    assert second is not None and second.note == 'a note\nover two lines, with "quotes"'
    first = await library.find_by_url(db, GUILD, "https://example.org/a")
    assert first is not None and (first.tags, first.level, first.kind) == (("drift", "mlops"), "beginner", "paper")
    untitled = await library.find_by_url(db, GUILD, "https://example.org/f")
    assert untitled is not None and untitled.title == "example.org/f" and untitled.author_id == ADMIN


async def test_links_already_in_the_library_are_reported_not_written(db: Database, clock: FakeClock) -> None:
    await run_import(db, clock, CSV_FILE.encode(), "csv")
    result, errors = await run_import(db, clock, CSV_FILE.encode(), "csv")
    assert result.imported == 0
    assert ["line 2", "https://example.org/a", "already in the library as #1"] in errors
    assert len(await stored_urls(db)) == 3


@given(cut_points=st.lists(st.integers(min_value=1, max_value=len(CSV_FILE.encode()) - 1), max_size=12))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_chunk_boundaries_do_not_change_a_csv_import(cut_points: list[int]) -> None:
    data = CSV_FILE.encode()
    pieces = [data[a:b] for a, b in zip([0, *sorted(cut_points)], [*sorted(cut_points), len(data)], strict=True)]
    parser = transfer.CsvRows()
    decoder = codecs.getincrementaldecoder("utf-8-sig")()  # as the import decodes
    rows = []
    for piece in pieces:  # also splits the BOM, multi-byte characters and \r\n pairs
        rows += parser.feed(decoder.decode(piece))
    rows += parser.finish()
    whole = transfer.CsvRows()
    expected = whole.feed(CSV_FILE) + whole.finish()
    assert rows == expected


JSON_ITEMS = [
    {"url": "https://example.org/j1", "topic": "mlops", "title": "J one", "tags": ["a", "b"]},
    {"url": "https://example.org/j2", "topic": "mlops", "title": 5},
    "not an object",
    {"URL": "https://example.org/j3", "Topic": "online-learning", "level": "advanced", "kind": "book"},
    {"topic": "mlops"},
]


@pytest.mark.parametrize("chunk", [3, 64 * 1024])
async def test_a_json_list_import(db: Database, clock: FakeClock, chunk: int) -> None:
    data = json.dumps(JSON_ITEMS, indent=2).encode()
    result, errors = await run_import(db, clock, data, "json", chunk=chunk)
    assert (result.imported, result.failed, result.stopped) == (2, 3, None)
    assert await stored_urls(db) == ["https://example.org/j1", "https://example.org/j3"]
    assert [(where, reason) for where, _, reason in errors] == [
        ("item 2", "title must be text"), ("item 3", "is not an object with url, topic, … fields"),
        ("item 5", "has no url")]


async def test_a_json_lines_import_reports_bad_lines(db: Database, clock: FakeClock) -> None:
    lines = [json.dumps(JSON_ITEMS[0]), "{broken", "", json.dumps(JSON_ITEMS[3])]
    result, errors = await run_import(db, clock, "\n".join(lines).encode(), "json", chunk=5)
    assert (result.imported, result.failed) == (2, 1)
    assert errors[0][0] == "line 2" and "not valid JSON" in errors[0][2]


@pytest.mark.parametrize(("data", "file_format", "complaint"), [
    (b'[{"url": "https://example.org/x", "topic": "mlops"}, {"url": ', "json", "ends in the middle of item 2"),
    (b'[{"url": "https://example.org/x", "topic": "mlops"}] trailing', "json", "after the closing"),
    (b'[{"url": "https://example.org/x", "topic": "mlops"} {"url": 1}]', "json", "Expected a comma"),
    (b"url,topic\nhttps://example.org/x,mlops\nhttps://example.org/y,\"mlops\n", "csv", "never closed"),
    (b"url,topic\nhttps://example.org/x,mlops\nhttps://example.org/\xff,mlops\n", "csv", "not UTF-8"),
])
async def test_a_broken_file_stops_with_a_reason_after_importing_what_came_before(
        db: Database, clock: FakeClock, data: bytes, file_format: transfer.Format, complaint: str) -> None:
    result, _ = await run_import(db, clock, data, file_format, chunk=16)
    assert result.stopped is not None and complaint in result.stopped
    assert await stored_urls(db) == ["https://example.org/x"]


async def test_a_csv_without_the_needed_columns_is_refused(db: Database, clock: FakeClock) -> None:
    result, _ = await run_import(db, clock, b"link,subject\nhttps://example.org/x,mlops\n", "csv")
    assert result.stopped is not None and "`url`" in result.stopped and result.imported == 0


async def test_progress_is_reported_per_batch_and_batches_are_whole(db: Database, clock: FakeClock) -> None:
    lines = ["url,topic"] + [f"https://example.org/p{i},mlops" for i in range(10)]
    progress: list[transfer.ImportProgress] = []
    result, _ = await run_import(db, clock, "\n".join(lines).encode(), "csv", batch_size=4, progress=progress)
    assert [p.imported for p in progress] == [4, 8, 10]
    assert progress[-1].done and result.imported == 10


async def test_a_failing_batch_writes_none_of_its_rows(db: Database, clock: FakeClock,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = db.executemany

    async def fail_on_second_batch(sql: str, rows: Iterable[object]) -> int:
        nonlocal calls
        if sql.startswith("INSERT INTO resources"):
            calls += 1
            if calls == 2:
                rows = list(rows)
                await original(sql, rows[:1])  # part of the batch reaches the database…
                raise RuntimeError("disk full")  # …then the write fails
        return await original(sql, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "executemany", fail_on_second_batch)
    lines = ["url,topic"] + [f"https://example.org/p{i},mlops" for i in range(8)]
    with pytest.raises(RuntimeError):
        await run_import(db, clock, "\n".join(lines).encode(), "csv", batch_size=4)
    assert len(await stored_urls(db)) == 4  # the first batch; nothing of the failed one


def test_the_format_is_recognised() -> None:
    assert transfer.detect_format("x.CSV", b"[") == "csv"
    assert transfer.detect_format("x.jsonl", b"url") == "json"
    assert transfer.detect_format("upload", b"\xef\xbb\xbf  [{") == "json"
    assert transfer.detect_format("upload", b"url,topic") == "csv"


async def test_fifty_thousand_rows_import_in_bounded_memory_without_blocking(db: Database, clock: FakeClock) -> None:
    rows = 50_000

    async def generated() -> AsyncIterator[bytes]:
        yield b"url,topic,title,note,tags\n"
        for start in range(0, rows, 1000):
            yield "".join(f"https://example.org/r/{i},mlops,Resource {i},A note about {i},tag{i % 50}\n"
                          for i in range(start, start + 1000)).encode()

    lags: list[float] = []

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    async def trace_the_last_rows(state: transfer.ImportProgress) -> None:
        # Memory is traced over the last 10,000 rows only (tracing all would triple the run time):
        # an importer that kept rows, or the file, would grow by several MB over them.
        if state.imported >= rows - 10_000 and not tracemalloc.is_tracing():
            tracemalloc.start()

    ticking = asyncio.create_task(ticker())
    try:
        result = await transfer.import_resources(db, clock, guild_id=GUILD, author_id=ADMIN, chunks=generated(),
                                                 file_format="csv", errors=transfer.ErrorReport(io.StringIO()),
                                                 on_progress=trace_the_last_rows)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        ticking.cancel()
    assert result.imported == rows
    assert await library.count_resources(db, GUILD) == rows
    assert current < 1024 * 1024 and peak < 3 * 1024 * 1024, f"grew to {current / 1e6:.1f} MB, peak {peak / 1e6:.1f}"
    assert max(lags) < 0.25, f"the event loop stalled for {max(lags) * 1000:.0f} ms"


async def test_an_export_imports_back_as_the_same_library(db: Database, clock: FakeClock) -> None:
    await run_import(db, clock, CSV_FILE.encode(), "csv")
    csv_out, json_out = io.StringIO(), io.StringIO()
    count = await transfer.export_library(db, GUILD, csv_out=csv_out, json_out=json_out)
    assert count == 3
    exported = json.loads(json_out.getvalue())
    assert [item["url"] for item in exported] == await stored_urls(db)
    assert exported[0]["tags"] == "drift, mlops" and exported[0]["topic"] == "mlops"

    await topics.seed_topics(db, clock, 333)
    for data, file_format, guild in ((csv_out.getvalue(), "csv", OTHER_GUILD), (json_out.getvalue(), "json", 333)):
        result, errors = await run_import(db, clock, data.encode(), file_format, guild=guild)  # type: ignore[arg-type]
        assert (result.imported, errors) == (3, [])
        assert await fields_of_library(db, guild) == await fields_of_library(db, GUILD)


async def fields_of_library(db: Database, guild: int) -> list[tuple[object, ...]]:
    found = [await library.find_by_url(db, guild, url) for url in await stored_urls(db, guild)]
    return [(r.url, r.title, r.note, r.tags, r.level, r.kind, r.topic_slug) for r in found if r is not None]


async def test_an_export_can_be_one_topic(db: Database, clock: FakeClock) -> None:
    await run_import(db, clock, CSV_FILE.encode(), "csv")
    topic = await topics.get_topic(db, GUILD, "online-learning")
    csv_out, json_out = io.StringIO(), io.StringIO()
    assert await transfer.export_library(db, GUILD, csv_out=csv_out, json_out=json_out, topic_id=topic.id) == 1
    (row,) = csv.DictReader(io.StringIO(csv_out.getvalue()))
    assert row["url"] == "https://example.org/f"


# Downloading the file -------------------------------------------------------------------------
async def test_a_download_that_breaks_off_stops_the_import_and_keeps_the_rows_before(db: Database,
                                                                                      clock: FakeClock) -> None:
    rows = "".join(f"https://example.org/cut/{i},mlops\n" for i in range(3000)).encode()
    sent = b"url,topic\n" + rows[: len(rows) // 2]
    sent = sent[: sent.rindex(b"\n") + 1]  # whole rows only, then the connection drops

    async def file(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(sent) * 2)})
        await response.prepare(request)
        await response.write(sent)
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_get("/file.csv", file)
    async with serve(app) as base_url, aiohttp.ClientSession() as session:
        async with _Download(session, f"{base_url}/file.csv", 10**8) as (chunks, _):
            result = await transfer.import_resources(db, clock, guild_id=GUILD, author_id=ADMIN, chunks=chunks,
                                                     file_format="csv", errors=transfer.ErrorReport(io.StringIO()))
    assert result.stopped is not None and "broke off" in result.stopped
    assert result.imported == sent.count(b"\n") - 1 == len(await stored_urls(db))
