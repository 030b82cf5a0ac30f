"""Full-text search over title, note, tags and host (SQLite FTS5, bm25 ranking).

Whatever people type is turned into an FTS5 query that cannot be a syntax error: only its words
(runs of letters and digits) are kept, each quoted as an FTS5 string, so ``OR``, ``NEAR``, ``*``,
``-``, quotes, colons and brackets never act as operators; the last word is a prefix, so results
appear while a word is still being typed. When no resource has every word, any word will do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.db import Database
from bot.errors import InvalidInput
from bot.resources.model import RESOURCE_COLUMNS, RESOURCE_FROM, Resource, resource_from_row

RESULTS = 10
_WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 16
PREFIX_MIN = 2
STOP_WORDS = frozenset("""
    a about an and are as at be but by can do does for from had has have how i if in into is it its
    near not of on or than that the their then there these this those to vs was we what when where which
    who why will with you your
""".split())
# Column weights for bm25, in the index's column order: title, note, tags, host.
WEIGHTS = (10.0, 3.0, 6.0, 2.0)
# bm25 is computed for at most this many matches: the newest ones. bm25 costs ~1.5 µs per match on
# top of a scan of each word's whole list (for its idf), so ranking every match of a word found in
# tens of thousands of resources would take 10-20 ms at 100,000 resources. A query matching fewer
# resources than this is ranked exactly; a broader one gets the best of its newest matches.
RANK_POOL = 300


@dataclass(frozen=True)
class SearchQuery:
    """The words searched for, and the two FTS5 expressions built from them."""

    words: tuple[str, ...]
    all_words: str  # every word must appear
    any_word: str  # at least one word, each as a prefix; the fallback when no resource has them all


def build_query(text: str) -> SearchQuery | None:
    """The FTS5 expressions for what was typed, or None when it holds no letter or digit at all.

    Words are runs of letters and digits, as the index's tokenizer sees them: ``title:feature``
    searches ``title`` and ``feature``, and ``node.js`` searches ``node`` and ``js``. Stop words
    ("the", "of", "or") are left out when other words remain: almost every resource has them, so they
    say nothing about relevance yet would cost a scan of most of the index. A last word of one
    letter is taken as it is, not as the start of every word beginning with it.
    """
    words: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(text):
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
        if len(words) == MAX_WORDS:
            break
    if not words:
        return None
    words = [word for word in words if word.casefold() not in STOP_WORDS] or words
    quoted = [f'"{word}"' for word in words]  # a word holds no quote, so quoting is all FTS5 needs
    prefixes = [f"{q}*" if len(word) >= PREFIX_MIN else q for q, word in zip(quoted, words, strict=True)]
    # All words, the last one as a prefix; failing that, any word, each as a prefix (the most lenient).
    return SearchQuery(tuple(words), " ".join([*quoted[:-1], prefixes[-1]]), " OR ".join(prefixes))


async def search_resources(db: Database, guild_id: int, text: str, *, topic_id: int | None = None,
                           limit: int = RESULTS, offset: int = 0) -> list[Resource]:
    """The best matches, best first (``offset`` skips that many, for pages). Raises :class:`InvalidInput`
    only when nothing searchable was typed."""
    query = build_query(text)
    if query is None:
        raise InvalidInput("Search for at least one word or number; punctuation and emoji on their own are not "
                           "indexed.")
    found = await _ranked(db, guild_id, query.all_words, topic_id, limit, offset)
    if not found and len(query.words) > 1 and (offset == 0 or not await _ranked(db, guild_id, query.all_words,
                                                                                  topic_id, 1, 0)):
        found = await _ranked(db, guild_id, query.any_word, topic_id, limit, offset)
    return found


async def _ranked(db: Database, guild_id: int, match: str, topic_id: int | None, limit: int,
                  offset: int = 0) -> list[Resource]:
    # Innermost: the newest RANK_POOL live matches in the guild, each scored by bm25 (the guild and
    # removal filter reads the small resources_live index, not the wide rows). Then the best
    # ``limit`` of them by score (after ``offset``), and only those are read in full: joining every
    # pooled match before sorting would read and sort ~300 whole rows per search to keep 10.
    topic_filter = "AND c.topic_id = ?" if topic_id is not None else ""
    params: list[object] = [*WEIGHTS, match, guild_id]
    if topic_id is not None:
        params.append(topic_id)
    params += [RANK_POOL, limit, offset]
    rows = await db.fetchall(
        f"""SELECT {RESOURCE_COLUMNS}
            FROM (SELECT hit_id, score
                  FROM (SELECT resources_fts.rowid AS hit_id, bm25(resources_fts, ?, ?, ?, ?) AS score
                        FROM resources_fts JOIN resources AS c INDEXED BY resources_live
                             ON c.id = resources_fts.rowid
                        WHERE resources_fts MATCH ? AND c.guild_id = ? AND c.removed_at IS NULL {topic_filter}
                        ORDER BY resources_fts.rowid DESC LIMIT ?)
                  ORDER BY score, hit_id DESC LIMIT ? OFFSET ?) AS best
            JOIN resources AS r ON r.id = best.hit_id LEFT JOIN topics AS t ON t.id = r.topic_id
            ORDER BY best.score, r.id DESC""",
        params,
    )
    return [resource_from_row(row) for row in rows]


async def search_with_like(db: Database, guild_id: int, text: str, *, limit: int = RESULTS) -> list[Resource]:
    """The naive baseline the benchmark compares against: ``LIKE '%text%'`` over the same fields."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await db.fetchall(
        f"""SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM}
            WHERE r.guild_id = ? AND r.removed_at IS NULL
              AND (r.title LIKE ? ESCAPE '\\' OR r.note LIKE ? ESCAPE '\\' OR r.tags LIKE ? ESCAPE '\\'
                   OR r.host LIKE ? ESCAPE '\\')
            ORDER BY r.votes DESC, r.id DESC LIMIT ?""",
        (guild_id, pattern, pattern, pattern, pattern, limit),
    )
    return [resource_from_row(row) for row in rows]
