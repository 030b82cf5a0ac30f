"""Identities, age, order and keyword/regex filters."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.feeds.entries import identify, identity_hash, newest, oldest_first, parse_filter, too_old, wanted
from bot.feeds.parse import FeedEntry

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def entry(position: int, *, guid: str | None = None, link: str | None = None, title: str = "t",
          published: datetime | None = None, summary: str = "") -> FeedEntry:
    return FeedEntry(position, guid, link, title, published, None, summary, None)


def test_identity_prefers_guid_then_link_then_title_and_date() -> None:
    entries = [entry(0, guid="g1", link="https://x/1"), entry(1, link="https://x/2"),
               entry(2, title="No link", published=NOW)]
    assert [i for i, _ in identify(entries)] == ["guid:g1", "link:https://x/2",
                                                 f"title:No link\x00{NOW.isoformat()}"]


def test_a_guid_repeated_within_one_fetch_is_not_trusted() -> None:
    entries = [entry(0, guid="same", link="https://x/1"), entry(1, guid="same", link="https://x/2"),
               entry(2, guid="other")]
    assert [i for i, _ in identify(entries)] == ["link:https://x/1", "link:https://x/2", "guid:other"]


def test_entries_identical_on_everything_count_once() -> None:
    twin = entry(0, guid="g", link="https://x/1", title="Same", published=NOW)
    assert len(identify([twin, entry(1, guid="g", link="https://x/1", title="Same", published=NOW)])) == 1


def test_identity_hash_is_stable_and_short() -> None:
    assert identity_hash("guid:abc") == identity_hash("guid:abc") != identity_hash("guid:abd")
    assert len(identity_hash("guid:abc")) == 32


def test_undated_entries_are_never_too_old() -> None:
    assert not too_old(entry(0), NOW, timedelta(days=7))
    assert too_old(entry(0, published=NOW - timedelta(days=8)), NOW, timedelta(days=7))
    assert not too_old(entry(0, published=NOW - timedelta(days=6)), NOW, timedelta(days=7))


def test_oldest_first_by_date_or_by_document_order_read_bottom_up() -> None:
    dated = [entry(0, guid="b", published=NOW), entry(1, guid="a", published=NOW - timedelta(hours=1))]
    assert [e.guid for e in oldest_first(dated)] == ["a", "b"]
    undated = [entry(0, guid="newest"), entry(1, guid="older"), entry(2, guid="oldest")]
    assert [e.guid for e in oldest_first(undated)] == ["oldest", "older", "newest"]
    assert [e.guid for e in newest(undated, 2)] == ["newest", "older"]


def test_keywords_match_title_or_summary_case_insensitively() -> None:
    include = parse_filter("Transformer, bandit")
    assert wanted(entry(0, title="New TRANSFORMERS course"), include, parse_filter(""))
    assert wanted(entry(0, title="x", summary="<p>multi-armed <b>Bandits</b></p>"), include, parse_filter(""))
    assert not wanted(entry(0, title="Cooking"), include, parse_filter(""))


def test_exclude_wins_over_include() -> None:
    assert not wanted(entry(0, title="Transformer webinar"), parse_filter("transformer"), parse_filter("webinar"))


def test_regex_filters_are_case_insensitive() -> None:
    include = parse_filter(r"/\bv\d+\.\d+\b/")
    assert wanted(entry(0, title="Release V2.1 is out"), include, parse_filter(""))
    assert not wanted(entry(0, title="Release notes"), include, parse_filter(""))


def test_catastrophic_patterns_run_in_linear_time() -> None:
    evil = parse_filter("/(a+)+$/")
    started = time.perf_counter()
    assert not evil.matches("a" * 100_000 + "b")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("text", "says"), [
    ("/(?=look)ahead/", "Look-arounds"),
    (r"/(a)\1/", "back-references"),
    ("/[unclosed/", "not a regex I can use"),
    ("//", "empty regex"),
    (" , ,", "no keywords"),
    ("x" * 201, "keep it to 200"),
])
def test_bad_filters_say_what_to_write_instead(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_filter(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=250), st.text(max_size=500))
def test_any_filter_text_is_accepted_or_refused_cleanly_and_matches_quickly(source: str, text: str) -> None:
    try:
        found = parse_filter(source)
    except InvalidInput as refused:
        assert refused.message
        return
    started = time.perf_counter()
    found.matches(text)
    assert time.perf_counter() - started < 0.1
