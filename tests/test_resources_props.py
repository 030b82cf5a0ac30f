"""Property tests: whatever people type as a link, a title, a note, tags or a search, nothing breaks."""

from __future__ import annotations

import itertools
import re
import sqlite3
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot import topics
from bot.clock import FakeClock
from bot.db import Database
from bot.db.migrate import load_migrations, split_statements
from bot.errors import InvalidInput
from bot.resources import library, search
from bot.resources.model import NOTE_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX, clean_note, clean_title, parse_tags
from bot.resources.urls import DEFAULT_PORTS, URL_MAX, normalise_url

GUILD = 111
# Everything Discord can carry in a string option: any code point but lone surrogates.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
NASTY = st.sampled_from(["", " ", "x", "x" * 6000, "@everyone", "@here", "<@&123456789012345678>",
                         "<@123456789012345678>", "\u202eevil\u202c", "\u200f", "a\x00b", "**b** __u__ ~~s~~ `c`",
                         "||spoiler||", "> quote", "# heading", "[link](https://evil.example)", "🚀🔥", "\r\n\t",
                         '"', "*", "NEAR(", "OR", "-", ")(", "title:x", "ﷺ", "e\u0301"])
TEXT = st.one_of(NASTY, ANY_TEXT, st.builds("".join, st.lists(st.one_of(NASTY, ANY_TEXT), max_size=4)))
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CC = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# URLs ---------------------------------------------------------------------------------------
@st.composite
def typed_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https", ""]))
    host = draw(st.sampled_from(["example.org", "Example.ORG", "www.example.org", "bücher.example", "127.0.0.1",
                                 "[::1]", "a-b.example.co.uk", "xn--bcher-kva.example"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = draw(st.lists(st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                                               exclude_characters="/?#"), max_size=8), max_size=4))
    params = draw(st.lists(st.tuples(st.sampled_from(["id", "utm_source", "UTM_Campaign", "fbclid", "gclid", "q",
                                                      "page", "mc_eid"]),
                                     st.text(st.characters(min_codepoint=48, max_codepoint=122,
                                                           exclude_characters="#&"), max_size=5)), max_size=4))
    fragment = draw(st.sampled_from(["", "#top", "#/route"]))
    slash = draw(st.sampled_from(["", "/"]))
    query = "&".join(f"{k}={v}" for k, v in params)
    prefix = f"{scheme}://" if scheme else ""
    return f"{prefix}{host}{port}/{'/'.join(path)}{slash}" + (f"?{query}" if query else "") + fragment


@given(url=typed_urls())
@SETTINGS
def test_normalised_urls_are_canonical(url: str) -> None:
    try:
        normal = normalise_url(url)
    except InvalidInput:
        return
    assert normalise_url(normal) == normal  # idempotent: one spelling per link
    assert normal.startswith(("http://", "https://")) and "#" not in normal and len(normal) <= URL_MAX
    assert not re.search(r"[?&](utm_[^=&]*|fbclid|gclid|mc_eid)=", normal, re.IGNORECASE)
    parts = urlsplit(normal)
    assert parts.port != DEFAULT_PORTS[parts.scheme]  # the default port is never spelled out
    assert normal.isascii() and not CC.search(normal) and " " not in normal
    host = normal.split("/")[2]
    assert host == host.lower()


@given(text=TEXT)
@SETTINGS
def test_any_text_as_a_link_is_a_link_or_a_clear_refusal(text: str) -> None:
    try:
        normal = normalise_url(text)
    except InvalidInput as refused:
        assert refused.message
    else:
        assert normalise_url(normal) == normal


# Free text ----------------------------------------------------------------------------------
@given(text=TEXT)
@SETTINGS
def test_titles_notes_and_tags_are_clean_or_refused(text: str) -> None:
    for clean, limit in ((clean_title, TITLE_MAX), (clean_note, NOTE_MAX)):
        try:
            cleaned = clean(text)
        except InvalidInput as refused:
            assert refused.message and "`" not in refused.message.replace("`/", "")
            continue
        assert len(cleaned) <= limit and "\x00" not in cleaned
        assert not CC.search(cleaned.replace("\n", "")) and cleaned == cleaned.strip()
    try:
        tags = parse_tags(text)
    except InvalidInput as refused:
        assert refused.message.count("`") % 2 == 0  # the echo of a bad tag cannot break the formatting
    else:
        assert len(tags) <= TAGS_MAX and all(0 < len(t) <= TAG_MAX and "," not in t and t == t.lower()
                                             for t in tags)
        assert parse_tags(", ".join(tags)) == tags


# Search -------------------------------------------------------------------------------------
def fts_connection() -> sqlite3.Connection:
    """The real schema in memory, to run generated queries against FTS5 itself."""
    connection = sqlite3.connect(":memory:")
    for migration in load_migrations():
        for statement in split_statements(migration.sql):
            connection.execute(statement)
    connection.execute("INSERT INTO resources (guild_id, url, host, title, created_at, next_check_at) "
                       "VALUES (1, 'https://example.org/', 'example.org', 'hello world', 'x', 'x')")
    return connection


@given(text=TEXT)
@SETTINGS
def test_no_typed_text_makes_an_fts_error(text: str) -> None:
    query = search.build_query(text)
    if query is None:
        assert not any(ch.isalnum() for ch in text)
        return
    connection = fts_connection()
    for expression in (query.all_words, query.any_word):
        connection.execute("SELECT rowid FROM resources_fts WHERE resources_fts MATCH ?", (expression,)).fetchall()


SEPARATORS = st.sampled_from([" ", "  ", " OR ", " AND ", " NOT ", ' "', '" ', " * ", "*", " (", ") ", " -", ":",
                              "^", " NEAR(", ", ", "🚀", ".", "/", "\t", '"', "+", " AND NOT "])
WORDS = st.lists(st.text(st.characters(categories=("Ll", "Lu", "Nd")), min_size=1, max_size=8), min_size=1,
                 max_size=4)


@given(words=WORDS, separators=st.lists(SEPARATORS, min_size=5, max_size=5), cut=st.integers(0, 3))
@SETTINGS
async def test_a_resource_is_found_by_its_words_whatever_surrounds_them(
        db: Database, clock: FakeClock, words: list[str], separators: list[str], cut: int) -> None:
    assume(all(w.casefold().isalnum() for w in words))
    if not await topics.list_topics(db, GUILD):
        await topics.seed_topics(db, clock, GUILD)
    topic = await topics.get_topic(db, GUILD, "mlops")
    url = "https://example.org/words"
    stored = await library.add_resource(db, clock, guild_id=GUILD, author_id=1, topic_id=topic.id,
                                        draft=library.draft_resource(url=url, title=" ".join(words)))
    # The last word may still be being typed (two letters at least: one letter is taken as a word).
    last = words[-1][: max(search.PREFIX_MIN, len(words[-1]) - cut)]
    typed = "".join(itertools.chain.from_iterable(zip(separators, [*words[:-1], last], strict=False)))
    try:
        found = await search.search_resources(db, GUILD, typed + separators[-1])
        assert [r.id for r in found] == [stored.id], typed
    finally:
        await db.execute("DELETE FROM resources")  # the next example starts from an empty library


@given(text=TEXT)
@SETTINGS
async def test_any_search_text_answers_or_refuses_clearly(db: Database, text: str) -> None:
    try:
        await search.search_resources(db, GUILD, text)
    except InvalidInput as refused:
        assert "at least one word" in refused.message


@pytest.mark.parametrize("length", [1, 1000, 6000])
async def test_long_searches_are_fine(db: Database, length: int) -> None:
    assert await search.search_resources(db, GUILD, ("ab " * length)[:length]) == []
