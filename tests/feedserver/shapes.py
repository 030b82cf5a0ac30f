"""Feeds shaped like the ones in the wild: RSS 0.91/2.0, RDF, Atom with xhtml, podcasts, and the
broken ones (no guids, duplicate links, relative links, odd encodings, bozo markup, entity bombs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    title: str
    link: str | None = None
    guid: str | None = None
    published: datetime | None = None
    summary: str = ""  # HTML
    author: str | None = None
    image: str | None = None


def _rfc822(moment: datetime | None) -> str:
    return format_datetime(moment, usegmt=True) if moment else ""


def rss20(items: Sequence[Item], *, title: str = "Course updates", link: str = "https://course.example/",
          cdata: bool = True, encoding: str | None = "utf-8", media: bool = True) -> str:
    """RSS 2.0; summaries in CDATA (as most blogs do) or escaped."""
    parts = []
    for item in items:
        fields = [f"<title>{escape(item.title)}</title>"]
        if item.link:
            fields.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            fields.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.published:
            fields.append(f"<pubDate>{_rfc822(item.published)}</pubDate>")
        if item.author:
            fields.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
        if item.summary:
            body = f"<![CDATA[{item.summary}]]>" if cdata else escape(item.summary)
            fields.append(f"<description>{body}</description>")
        if item.image and media:
            fields.append(f'<media:thumbnail url="{escape(item.image)}"/>')
        parts.append("<item>" + "".join(fields) + "</item>")
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    return (f'{prolog}\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>{escape(title)}</title>'
            f"<link>{escape(link)}</link><description>updates</description>{''.join(parts)}</channel></rss>")


def rss091(items: Sequence[Item], *, title: str = "Old school") -> str:
    """RSS 0.91 (Netscape DOCTYPE, no guids, no dates)."""
    parts = "".join(f"<item><title>{escape(i.title)}</title><link>{escape(i.link or '')}</link>"
                    f"<description>{escape(i.summary)}</description></item>" for i in items)
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
            f'<rss version="0.91"><channel><title>{escape(title)}</title><link>https://old.example/</link>'
            f"<description>old</description><language>en-us</language>{parts}</channel></rss>")


def rdf(items: Sequence[Item], *, title: str = "arXiv cs.LG") -> str:
    """RSS 1.0 / RDF, as paper listings still publish."""
    seq = "".join(f'<rdf:li rdf:resource="{escape(i.link or "")}"/>' for i in items)
    parts = "".join(
        f'<item rdf:about="{escape(i.link or "")}"><title>{escape(i.title)}</title><link>{escape(i.link or "")}</link>'
        f"<description>{escape(i.summary)}</description>"
        + (f"<dc:creator>{escape(i.author)}</dc:creator>" if i.author else "")
        + (f"<dc:date>{i.published.isoformat()}</dc:date>" if i.published else "")
        + "</item>" for i in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="https://arxiv.example/"><title>{escape(title)}</title>'
            f"<link>https://arxiv.example/</link><description>papers</description>"
            f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{parts}</rdf:RDF>")


def atom(items: Sequence[Item], *, title: str = "Release notes", base: str | None = None) -> str:
    """Atom 1.0 with xhtml content; ``base`` sets xml:base so relative links resolve against it."""
    parts = []
    for item in items:
        when = (item.published.isoformat() if item.published else "2026-01-01T00:00:00+00:00")
        fields = [f"<title>{escape(item.title)}</title>"]
        if item.guid:
            fields.append(f"<id>{escape(item.guid)}</id>")
        if item.link:
            fields.append(f'<link rel="alternate" href="{escape(item.link)}"/>')
        if item.published:
            fields.append(f"<published>{when}</published>")
        fields.append(f"<updated>{when}</updated>")
        if item.author:
            fields.append(f"<author><name>{escape(item.author)}</name></author>")
        if item.summary:
            fields.append(f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{item.summary}</div>'
                          "</content>")
        parts.append("<entry>" + "".join(fields) + "</entry>")
    base_attr = f' xml:base="{escape(base)}"' if base else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom"{base_attr}><title>{escape(title)}</title>'
            '<id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id><updated>2026-01-05T00:00:00Z</updated>'
            f'<link rel="alternate" href="https://releases.example/"/>{"".join(parts)}</feed>')


def podcast(items: Sequence[Item], *, title: str = "ML Podcast") -> str:
    """A podcast: iTunes tags, an audio enclosure, an episode image."""
    parts = "".join(
        f"<item><title>{escape(i.title)}</title><guid>{escape(i.guid or '')}</guid>"
        f"<pubDate>{_rfc822(i.published)}</pubDate><itunes:author>{escape(i.author or '')}</itunes:author>"
        f"<itunes:summary>{escape(i.summary)}</itunes:summary><itunes:duration>42:00</itunes:duration>"
        + (f'<itunes:image href="{escape(i.image)}"/>' if i.image else "")
        + f'<enclosure url="https://cdn.example/{escape(i.guid or "x")}.mp3" length="1000" type="audio/mpeg"/>'
        f"<link>{escape(i.link or '')}</link></item>" for i in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
            f"<channel><title>{escape(title)}</title><link>https://podcast.example/</link>"
            f"<itunes:author>ML People</itunes:author>{parts}</channel></rss>")


def html_page(*feeds: tuple[str, str]) -> str:
    """A web page linking to feeds with ``<link rel="alternate">``: (type, href) pairs."""
    links = "".join(f'<link rel="alternate" type="{kind}" title="feed" href="{href}">' for kind, href in feeds)
    return (f"<!DOCTYPE html><html><head><title>Course</title>{links}</head>"
            "<body><h1>Welcome</h1><p>Course page.</p></body></html>")


def entity_bomb(levels: int = 10) -> str:
    """Billion laughs: each entity expands to ten of the one before."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(entities) + "\n]>\n"
            f'<rss version="2.0"><channel><title>bomb &lol{levels - 1};</title><link>https://bomb.example/</link>'
            f"<item><title>boom &lol{levels - 1};</title><guid>b1</guid></item></channel></rss>")


def bozo_feed() -> str:
    """Malformed: unclosed tags, a bare ampersand, an undefined entity. Still readable."""
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Broken & proud</title>'
            "<link>https://broken.example/</link>"
            "<item><title>First &nbsp; post</title><link>https://broken.example/1</link><guid>b-1</guid>"
            "<description><p>unclosed <b>bold</description></item>"
            "<item><title>Second post</title><link>https://broken.example/2</link><guid>b-2</guid></item>"
            "</channel>")


def reddit_post_html(text_html: str, author: str = "someone",
                     post: str = "https://www.reddit.com/r/x/comments/1a/") -> str:
    """The HTML of a Reddit self post as its feed carries it (markdown body between SC_OFF/SC_ON)."""
    return (f'<!-- SC_OFF --><div class="md">{text_html}</div><!-- SC_ON --> &#32; submitted by &#32; '
            f'<a href="https://www.reddit.com/user/{author}"> /u/{author} </a> <br/> '
            f'<span><a href="{post}">[link]</a></span> &#32; <span><a href="{post}">[comments]</a></span>')


def reddit(items: Sequence[Item], *, subreddit: str = "MachineLearning") -> str:
    """Reddit's Atom feed (``/r/<sub>/.rss``): ``content type="html"`` whose HTML is escaped twice,
    so the XML carries ``&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;``."""
    quoted = {'"': "&quot;"}
    parts = []
    for item in items:
        when = (item.published or datetime(2026, 1, 5)).isoformat()
        twice = escape(escape(item.summary, quoted), quoted)
        parts.append(
            f"<entry><author><name>/u/{escape(item.author or 'someone')}</name>"
            f"<uri>https://www.reddit.com/user/{escape(item.author or 'someone')}</uri></author>"
            f'<category term="{subreddit}" label="r/{subreddit}"/><content type="html">{twice}</content>'
            f"<id>{escape(item.guid or item.link or item.title)}</id>"
            f'<link href="{escape(item.link or "https://www.reddit.com/")}" /><updated>{when}</updated>'
            f"<published>{when}</published><title>{escape(item.title)}</title></entry>")
    return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:media="http://search.yahoo.com/mrss/">'
            f'<category term="{subreddit}" label="r/{subreddit}"/><updated>2026-01-05T11:00:00+00:00</updated>'
            f'<id>/r/{subreddit}/.rss</id><link rel="self" href="https://www.reddit.com/r/{subreddit}/.rss" '
            f'type="application/atom+xml" /><link rel="alternate" href="https://www.reddit.com/r/{subreddit}/" '
            f'type="text/html" /><subtitle>r/{subreddit}</subtitle><title>{subreddit}</title>{"".join(parts)}</feed>')
