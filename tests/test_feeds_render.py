"""HTML → Discord markdown: kept short, cut at a sentence or word, and never pinging anyone."""

from __future__ import annotations

import html
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.feeds.parse import looks_escaped
from bot.feeds.render import SUMMARY_MAX, cut_markdown, neutralise_mentions, summary_markdown


def test_formatting_becomes_discord_markdown() -> None:
    html = ("<h2>Week 3</h2><p>Read <b>chapter 4</b> and <i>skim</i> chapter 5.</p>"
            '<ul><li>Quiz</li><li>Lab</li></ul><p>Slides: <a href="https://course.example/s.pdf">PDF</a></p>')
    assert summary_markdown(html) == ("**Week 3**\n\nRead **chapter 4** and *skim* chapter 5.\n\n- Quiz\n- Lab\n\n"
                                      "Slides: [PDF](https://course.example/s.pdf)")


def test_text_that_looks_like_markdown_is_escaped() -> None:
    html = "<p>2*3*4 is a_b ~~no~~ ||no|| `no` [no](https://x.example) # no</p><p>> no</p><p>1. no</p>"
    assert summary_markdown(html) == (r"2\*3\*4 is a\_b \~\~no\~\~ \|\|no\|\| \`no\` \[no\](https://x.example) # no"
                                      "\n\n\\> no\n\n1\\. no")


def test_scripts_styles_frames_and_images_are_dropped_with_their_text() -> None:
    html = ('<p>Hi.</p><script>steal()</script><style>.x{}</style><iframe>frame text</iframe>'
            '<noscript>enable js</noscript><img src="https://x.example/i.png" alt="alt text"><form>f</form>')
    assert summary_markdown(html) == "Hi."


def test_only_web_links_survive() -> None:
    html = '<a href="javascript:alert(1)">a</a> <a href="data:text/html,x">b</a> <a href="https://ok.example/">c</a>'
    assert summary_markdown(html) == "a b [c](https://ok.example/)"


def test_mentions_in_text_ping_no_one() -> None:
    html = "<p>@everyone look, @here too, and &lt;@&amp;123456789012345678&gt; and &lt;@123456789012345678&gt;</p>"
    summary = summary_markdown(html)
    assert "@everyone" not in summary and "@here" not in summary
    assert not re.search(r"<@[&!]?\d", summary)
    assert summary.startswith("@\u200beveryone look")


def test_long_text_is_cut_at_a_sentence() -> None:
    sentence = "Online learning updates the model one example at a time. "
    summary = summary_markdown(f"<p>{sentence * 20}</p>")
    assert len(summary) <= SUMMARY_MAX
    assert summary.endswith("a time. …")


def test_long_text_without_sentences_is_cut_at_a_word() -> None:
    summary = summary_markdown("<p>" + "gradient " * 100 + "</p>")
    assert len(summary) <= SUMMARY_MAX
    assert summary.endswith("gradient …")


def test_a_cut_never_leaves_half_a_link_or_open_bold() -> None:
    text = "intro " * 50 + "**bold words that go on and on " + "[a link](https://example.org/" + "x" * 200 + ")"
    cut = cut_markdown(text, 400)
    assert len(cut) <= 400
    assert "](" not in cut and "[a link" not in cut
    assert cut.count("**") % 2 == 0


def test_short_text_is_kept_whole() -> None:
    assert cut_markdown("Short.", 400) == "Short."


def test_neutralise_mentions_matches_discord_py() -> None:
    import discord

    text = "@everyone @here <@&123456789012345678> <@!123456789012345678> a@b.c"
    assert neutralise_mentions(text) == discord.utils.escape_mentions(text)


MARKERS = ("**", "~~", "||", "```")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*"ab .!?*_~|`[]()#>\n@", "https://x.y/", "**", "everyone ", "word "]),
                max_size=400).map("".join),
       st.integers(min_value=20, max_value=600))
def test_cut_markdown_stays_within_the_limit_and_balanced(text: str, limit: int) -> None:
    cut = cut_markdown(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith("…")
        for marker in MARKERS:
            assert _count_unescaped(cut, marker) % 2 == 0, marker


def _count_unescaped(text: str, marker: str) -> int:
    from bot.feeds.render import _unescaped

    return len(_unescaped(text, marker))


@settings(max_examples=75, deadline=None)
@given(st.text(max_size=3000))
def test_any_html_becomes_a_short_summary_that_pings_no_one(html: str) -> None:
    summary = summary_markdown(html)
    assert len(summary) <= SUMMARY_MAX
    assert "\x00" not in summary
    assert not re.search(r"@(everyone|here)", summary)
    assert not re.search(r"<@[&!]?\d{17,20}>", summary)


# Feeds that escape their HTML twice (Reddit) ------------------------------------------------------
RAW_MARKUP = re.compile(r"<!--|-->|</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&(#?[A-Za-z0-9]+);")


def test_html_escaped_twice_is_converted_again() -> None:
    once = ('<!-- SC_OFF --><div class="md"><p>Hey Reddit! Read <b>this</b> &amp; that.</p></div><!-- SC_ON -->'
            ' &#32; submitted by &#32; <a href="https://www.reddit.com/user/someone"> /u/someone </a>')
    summary = summary_markdown(html.escape(once))
    assert summary == "Hey Reddit! Read **this** & that.\n\n submitted by  [/u/someone](https://www.reddit.com/user/someone)"
    assert RAW_MARKUP.search(summary) is None


def test_html_escaped_three_times_is_converted_too() -> None:
    once = '<p>Deep <i>down</i>.</p><!-- hidden -->'
    assert summary_markdown(html.escape(html.escape(once))) == "Deep *down*."


def test_a_literal_less_than_survives_in_plain_and_escaped_feeds() -> None:
    once = "<p>Use a &lt; b when sorting; <code>List&lt;int&gt;</code> keeps its type.</p>"
    expected = "Use a < b when sorting; `List<int>` keeps its type."
    assert summary_markdown(once) == expected
    assert summary_markdown(html.escape(once)) == expected
    assert summary_markdown("Use a &lt; b when sorting, and List&lt;int&gt;") == "Use a < b when sorting, and List<int>"


def test_code_keeps_markup_it_shows_as_written() -> None:
    once = "<p>Write</p><pre><code>&lt;div&gt;hi&lt;/div&gt; &amp;amp;</code></pre>"
    assert "<div>hi</div> &amp;" in summary_markdown(once)


# Text as people write it, with the characters HTML cares about; "looks like HTML" on its own is
# ambiguous (a text about entities), so that is left out.
markup_prone_text = st.text(alphabet=st.sampled_from(list("ab <>&;/!-=\"'#x1"))
                            | st.characters(exclude_categories=("Cs",)), max_size=80)


@given(markup_prone_text)
@settings(max_examples=300, deadline=None)
def test_escaping_once_more_changes_nothing(text: str) -> None:
    assume(not looks_escaped(text))
    once = f"<p>{html.escape(text)}</p>"
    assert summary_markdown(html.escape(once)) == summary_markdown(once)


@given(markup_prone_text)
@settings(max_examples=300, deadline=None)
def test_no_markup_reaches_discord_from_a_twice_escaped_post(text: str) -> None:
    assume(not looks_escaped(text) and RAW_MARKUP.search(text) is None)
    post = f'<!-- SC_OFF --><div class="md"><p>{html.escape(text)}</p></div><!-- SC_ON --> &#32; submitted'
    assert RAW_MARKUP.search(summary_markdown(html.escape(post), limit=10_000)) is None
