"""What feeds look like on Discord: entries as posted, the queued posts' messages, problems as replies,
and each feed's health and destination in /feed list.

A helper of ``cogs/feeds.py``: pure rendering; it imports nothing from the cog.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.errors import DomainError, InvalidInput
from bot.feeds.problems import FeedProblem
from bot.feeds.render import Announcement
from bot.feeds.store import Feed, OutboxItem
from bot.topics import Topic
from bot.ui.render import (
    COLOUR,
    COLOUR_BAD,
    COLOUR_WARN,
    CONTENT,
    EMBED_TITLE,
    FIELD_VALUE,
    NO_PINGS,
    clean,
    cut,
    safe,
    when,
)

FOOTER_USED = 256  # of the 2048 allowed: keeps 3 previews and a summary well inside 6000 per message


def as_reply(problem: FeedProblem) -> DomainError:
    """A fetch problem as a whole reply: its reason (a clause, also shown in /feed list) and what to do."""
    if problem.message.endswith("."):  # already a whole sentence that says what to do
        return problem
    advice = ("Check the URL: it should open as RSS or Atom in a browser." if problem.permanent
              else "Try again in a few minutes.")
    return InvalidInput(f"I could not read that feed: {problem.message}. {advice}")


def plain(text: str | None, limit: int) -> str:
    """For places Discord shows without markdown (author, footer): no NULs, no mentions, cut."""
    return cut(discord.utils.escape_mentions(clean(text or "")), limit)


def entry_embed(announcement: Announcement, *, test: bool = False) -> discord.Embed:
    """An entry as posted: linked title, author, date, short summary, feed name, picture."""
    embed = discord.Embed(title=safe(announcement.title, EMBED_TITLE) or "(untitled)", url=announcement.link,
                          description=announcement.summary or None, colour=COLOUR_WARN if test else COLOUR,
                          timestamp=announcement.published)
    if announcement.author:
        embed.set_author(name=plain(announcement.author, 256))
    footer = plain(announcement.feed_title, FOOTER_USED)
    embed.set_footer(text=f"Test post · {footer}" if test else footer)
    if announcement.image_url:
        embed.set_image(url=announcement.image_url)
    return embed


def code(text: str, limit: int) -> str:
    """Inline code that stays one whole span: backticks become look-alikes, line breaks spaces."""
    return f"`{cut(' '.join(clean(text).replace('`', 'ˋ').split()), limit)}`"


def role_pings(role_id: int | None) -> discord.AllowedMentions:
    """Nobody, except the feed's mention role when it has one."""
    if role_id is None:
        return NO_PINGS
    return discord.AllowedMentions(everyone=False, users=False, replied_user=False, roles=[discord.Object(role_id)])


def outbox_message(item: OutboxItem) -> dict[str, Any]:
    """The ``send`` arguments for a queued post."""
    payload = item.payload
    if item.kind == "entry":
        content = f"<@&{item.mention_role_id}>" if item.mention_role_id else None
        return {"content": content, "embed": entry_embed(Announcement.from_json(payload)),
                "allowed_mentions": role_pings(item.mention_role_id)}
    if item.kind == "more":
        content = f"… and {payload['count']} more new entries from **{safe(payload['feed_title'], 200)}**"
        site = str(payload.get("site_url") or "")
        if site and len(content) + len(site) + 4 <= CONTENT:
            content += f": <{site}>"
        return {"content": content, "allowed_mentions": NO_PINGS}
    embed = discord.Embed(title="Feed disabled", colour=COLOUR_BAD,
                          description=f"**{safe(payload['feed_title'], 200)}** (feed #{item.feed_id}) is no longer "
                                      f"checked.\n**Why:** {safe(payload['reason'], 600)}\n\nFix the cause, then "
                                      f"`/feed resume id:{item.feed_id}`; or `/feed remove id:{item.feed_id}`.")
    embed.add_field(name="URL", value=safe(payload["url"], FIELD_VALUE))
    return {"embed": embed, "allowed_mentions": NO_PINGS}

def health(feed: Feed, waiting: bool) -> str:
    if feed.status == "paused":
        return "⏸️ Paused"
    if feed.status == "disabled":
        return f"⛔ Disabled: {safe(feed.disabled_reason, 300)}"
    if feed.failures and feed.failing_since:
        return (f"⚠️ Failing since {when(feed.failing_since, 'R')} ({feed.failures} in a row): "
                f"{safe(feed.last_error, 300)}")
    if waiting:
        return "⏳ Waiting for a channel: give the feed one, or set `/config channel announcements`"
    return "✅ OK" + (f" ({safe(feed.last_error, 200)})" if feed.last_error else "")


def where(feed: Feed, topic: Topic | None) -> str:
    if feed.channel_id:
        return f"<#{feed.channel_id}>"
    if topic is not None and topic.channel_id:
        return f"<#{topic.channel_id}> (topic {safe(topic.name, 60)})"
    return "the announcements channel"


def feed_summary(feed: Feed, topic: Topic | None, *, waiting: bool) -> str:
    """A feed as one field of /feed list: health, destination, filters, last entry, next check, URL."""
    lines = [health(feed, waiting), f"→ {where(feed, topic)}"]
    extras = []
    if feed.include_filter:
        extras.append(f"include {code(feed.include_filter, 80)}")
    if feed.exclude_filter:
        extras.append(f"exclude {code(feed.exclude_filter, 80)}")
    if feed.mention_role_id:
        extras.append(f"mentions <@&{feed.mention_role_id}>")
    if extras:
        lines.append(" · ".join(extras))
    if feed.last_entry_title and feed.last_entry_at:
        lines.append(f"Last new entry: {safe(feed.last_entry_title, 150)} ({when(feed.last_entry_at, 'R')})")
    else:
        lines.append("Last new entry: none yet")
    if feed.status == "active":
        lines.append(f"Next check: {when(feed.next_check_at, 'R')}")
    lines.append(f"<{cut(feed.url, 300)}>")
    return cut("\n".join(lines), FIELD_VALUE)
