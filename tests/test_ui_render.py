"""safe(): whatever users typed comes out escaped exactly as discord.py escapes it, and cut."""

from __future__ import annotations

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ui.render import clean, cut, safe

# Markdown and mention material, mixed with any text, so the quick path and the escaping path both run.
PIECES = st.sampled_from(["_", "\\", "~", "|", "*", "`", ">", ">>> ", "[", "](", ")", "#", "## ", "-", " - ", "1. ",
                          "\n", "@", "@everyone", "@here", "<@123456789012345678>", "@&123456789012345678",
                          "https://example.org/a_b*c", "<https://x.example/_y_>", "\x00", "plain words", " "])
TEXT = st.one_of(st.text(max_size=200),
                 st.builds("".join, st.lists(st.one_of(PIECES, st.text(max_size=10)), max_size=12)))


def reference(text: str | None, limit: int) -> str:
    """What safe() did before its quick path: both discord.py escapes on every text."""
    if not text:
        return ""
    return cut(discord.utils.escape_mentions(discord.utils.escape_markdown(clean(text))), limit)


@settings(max_examples=500, deadline=None)
@given(TEXT, st.integers(min_value=2, max_value=300))
def test_safe_escapes_exactly_as_discord_py_does(text: str, limit: int) -> None:
    assert safe(text, limit) == reference(text, limit)


def test_plain_text_is_left_alone_and_markup_is_escaped() -> None:
    assert safe("Machine learning in the browser", 100) == "Machine learning in the browser"
    assert safe("**bold** @everyone", 100) == "\\*\\*bold\\*\\* @\u200beveryone"
    assert safe("- list item", 100) == "\\- list item"
    assert safe(None) == ""
