"""Reading feeds shaped like the ones in the wild, served by a real local HTTP server."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from bot.feeds.entries import identify
from bot.feeds.problems import NotAFeed
from bot.feeds.reader import FeedReader
from bot.feeds.render import summary_markdown
from tests.feedserver import FeedServer
from tests.feedserver.shapes import Item, atom, bozo_feed, entity_bomb, html_page, podcast, rdf, rss091, rss20

JAN5 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def items(count: int = 3) -> list[Item]:
    return [Item(title=f"Lecture {n}", link=f"https://course.example/l/{n}", guid=f"lec-{n}",
                 published=JAN5.replace(hour=n), summary=f"<p>Notes for lecture {n}.</p>", author="Prof. Ng",
                 image=f"https://course.example/l/{n}.png") for n in range(1, count + 1)]


async def read(server: FeedServer, reader: FeedReader, path: str):
    result = await reader.read(server.url(path))
    assert result.feed is not None
    return result.feed


async def test_rss20_entries_have_every_field(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/rss", rss20(items()))
    feed = await read(feed_server, reader, "/rss")
    assert feed.title == "Course updates" and feed.site_url == "https://course.example/"
    first = feed.entries[0]
    assert (first.guid, first.link, first.title) == ("lec-1", "https://course.example/l/1", "Lecture 1")
    assert first.published == JAN5.replace(hour=1)
    assert first.author == "Prof. Ng"
    assert first.image_url == "https://course.example/l/1.png"
    assert summary_markdown(first.summary_html) == "Notes for lecture 1."


async def test_rss091_without_guids_or_dates_is_read(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/091", rss091([Item("Old one", link="https://old.example/1", summary="hello"),
                                     Item("Old two", link="https://old.example/2")]),
                     content_type="text/xml")
    feed = await read(feed_server, reader, "/091")
    assert [e.title for e in feed.entries] == ["Old one", "Old two"]
    assert all(e.published is None and e.guid is None for e in feed.entries)
    assert [identity for identity, _ in identify(feed.entries)] == ["link:https://old.example/1",
                                                                     "link:https://old.example/2"]


async def test_rss10_rdf_paper_listing_is_read(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/rdf", rdf(items(2)), content_type="application/rdf+xml")
    feed = await read(feed_server, reader, "/rdf")
    assert feed.title == "arXiv cs.LG"
    assert [e.link for e in feed.entries] == ["https://course.example/l/1", "https://course.example/l/2"]
    assert feed.entries[1].published == JAN5.replace(hour=2)
    assert feed.entries[1].author == "Prof. Ng"


async def test_atom_xhtml_content_and_relative_links(feed_server: FeedServer, reader: FeedReader) -> None:
    entry = Item("v2.0 released", link="/releases/v2", guid="tag:releases.example,2026:v2", published=JAN5,
                 summary='<p>Big <b>release</b>. See <a href="notes/v2.html">the notes</a>.</p>')
    feed_server.feed("/atom", atom([entry], base="https://releases.example/"), content_type="application/atom+xml")
    feed = await read(feed_server, reader, "/atom")
    only = feed.entries[0]
    assert only.link == "https://releases.example/releases/v2"
    assert only.guid == "tag:releases.example,2026:v2"
    assert summary_markdown(only.summary_html) == \
        "Big **release**. See [the notes](https://releases.example/notes/v2.html)."


async def test_relative_links_resolve_against_the_feed_url(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/blog/feed.xml", rss20([Item("Post", link="/posts/1", guid="p1", published=JAN5)]))
    feed = await read(feed_server, reader, "/blog/feed.xml")
    assert feed.entries[0].link == feed_server.url("/posts/1")


async def test_podcast_with_itunes_tags(feed_server: FeedServer, reader: FeedReader) -> None:
    episode = Item("Ep. 7: online learning", link="https://podcast.example/7", guid="ep7", published=JAN5,
                   summary="We talk about bandits.", author="Host Person", image="https://podcast.example/7.jpg")
    feed_server.feed("/pod", podcast([episode]))
    feed = await read(feed_server, reader, "/pod")
    only = feed.entries[0]
    assert only.author == "Host Person"
    assert only.image_url == "https://podcast.example/7.jpg"  # the episode art, not the mp3 enclosure
    assert "bandits" in summary_markdown(only.summary_html)


async def test_entries_without_guids_and_with_duplicate_links_get_distinct_identities(
        feed_server: FeedServer, reader: FeedReader) -> None:
    shared = "https://course.example/news"
    feed_server.feed("/dups", rss20([Item("Week 1", link=shared, published=JAN5.replace(hour=1)),
                                     Item("Week 2", link=shared, published=JAN5.replace(hour=2)),
                                     Item("Syllabus", link="https://course.example/syllabus")]))
    feed = await read(feed_server, reader, "/dups")
    identities = [identity for identity, _ in identify(feed.entries)]
    assert len(set(identities)) == 3
    assert identities[2] == "link:https://course.example/syllabus"
    assert identities[0].startswith("title:Week 1")  # the shared link is not trusted


@pytest.mark.parametrize(("encoding", "title", "in_prolog"), [
    ("iso-8859-2", "Zażółć gęślą jaźń", True),
    ("iso-8859-2", "Zażółć gęślą jaźń", False),
    ("gb2312", "机器学习课程更新", True),
    ("gb2312", "机器学习课程更新", False),
])
async def test_encodings_from_the_prolog_or_only_the_http_header(
        feed_server: FeedServer, reader: FeedReader, encoding: str, title: str, in_prolog: bool) -> None:
    text = rss20([Item(title, link="https://course.example/x", guid="x", summary=f"<p>{title}</p>")],
                 title=title, encoding=encoding if in_prolog else None)
    content_type = "application/rss+xml" if in_prolog else f"application/rss+xml; charset={encoding}"
    feed_server.feed("/enc", text.encode(encoding), content_type=content_type)
    feed = await read(feed_server, reader, "/enc")
    assert feed.title == title
    assert feed.entries[0].title == title
    assert summary_markdown(feed.entries[0].summary_html) == title


async def test_scripts_and_iframes_in_cdata_summaries_never_reach_the_post(
        feed_server: FeedServer, reader: FeedReader) -> None:
    html = ('<p>Read this.</p><script>alert("pwned")</script><iframe src="https://evil.example/">frame</iframe>'
            '<style>p { color: red }</style><p>Then <a href="javascript:alert(1)">this</a>.</p>')
    feed_server.feed("/xss", rss20([Item("Safe", link="https://course.example/s", guid="s", summary=html)]))
    feed = await read(feed_server, reader, "/xss")
    summary = summary_markdown(feed.entries[0].summary_html)
    assert summary == "Read this.\n\nThen this."


async def test_malformed_feed_is_read_leniently(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/bozo", bozo_feed())
    feed = await read(feed_server, reader, "/bozo")
    assert feed.malformed
    assert [e.title for e in feed.entries] == ["First post", "Second post"]
    # Its forgiving parser reads a permalink guid as a URL, relative to the feed.
    assert [e.guid for e in feed.entries] == [feed_server.url("/b-1"), feed_server.url("/b-2")]


async def test_entity_expansion_bomb_is_not_expanded(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/bomb", entity_bomb())
    started = time.perf_counter()
    feed = await read(feed_server, reader, "/bomb")
    assert time.perf_counter() - started < 1.0
    assert len(feed.title) < 100
    assert all(len(e.title) < 100 for e in feed.entries)


async def test_html_page_offers_the_feeds_it_links_to(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.page("/course", html_page(("application/rss+xml", "/feed.xml"),
                                          ("application/atom+xml", "https://course.example/atom"),
                                          ("text/css", "/style.css")))
    with pytest.raises(NotAFeed) as caught:
        await reader.read(feed_server.url("/course"))
    assert caught.value.alternates == (feed_server.url("/feed.xml"), "https://course.example/atom")
    assert caught.value.permanent


async def test_html_page_without_feeds_says_so(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.page("/plain", "<!doctype html><html><body>hi</body></html>")
    with pytest.raises(NotAFeed) as caught:
        await reader.read(feed_server.url("/plain"))
    assert caught.value.alternates == ()
    assert "links to no RSS or Atom feed" in caught.value.message


async def test_json_is_not_a_feed(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/api", '{"items": []}', content_type="application/json")
    with pytest.raises(NotAFeed, match="application/json"):
        await reader.read(feed_server.url("/api"))


async def test_gzip_bodies_are_decoded(feed_server: FeedServer, reader: FeedReader) -> None:
    feed_server.feed("/gz", rss20(items(20)), gzip=True)
    feed = await read(feed_server, reader, "/gz")
    assert len(feed.entries) == 20
    assert "gzip" in feed_server.requests_for("/gz")[0].headers["Accept-Encoding"]


async def test_links_with_spaces_are_percent_encoded_so_discord_accepts_them(feed_server: FeedServer,
                                                                            reader: FeedReader) -> None:
    spaced = Item("Spaced", link="https://course.example/a b", guid="s", image="https://course.example/i m.png")
    feed_server.feed("/spaces", rss20([spaced], link="https://course.example/c d"))
    feed = await read(feed_server, reader, "/spaces")
    assert feed.site_url == "https://course.example/c%20d"
    assert (feed.entries[0].link, feed.entries[0].image_url) == ("https://course.example/a%20b",
                                                                 "https://course.example/i%20m.png")
