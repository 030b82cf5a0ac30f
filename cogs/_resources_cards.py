"""What resources look like on Discord: the card, list entries and list pages, and vote/save replies.

A helper of ``cogs/resources.py``: pure rendering (values in, embeds and text out).
"""

from __future__ import annotations

import discord

from bot import resources
from bot.resources.model import Resource
from bot.text import counted
from bot.ui import paging
from bot.ui.render import COLOUR, COLOUR_WARN, cut, safe, when

EMBED_TOTAL = 6000
LINK_IN_LIST_MAX = 200  # longer URLs are not linked in lists (they would crowd out the 6,000-character budget)


def markdown_link(text: str, url: str) -> str:
    """``[text](url)`` that neither part can break out of.

    Square brackets in the text become round ones: a title such as ``x](https://elsewhere) [y``
    would otherwise end the link early and point its words at another site. Round brackets in the
    URL are percent-encoded for the same reason.
    """
    label = text.replace("[", "(").replace("]", ")")
    return f"[{label}]({url.replace('(', '%28').replace(')', '%29')})"


def sharer(resource: Resource) -> str:
    if resource.author_id is not None:
        return f"<@{resource.author_id}>"
    # No author: the starter library, or a member who asked to be forgotten (/privacy forget).
    return "the curated starter library" if resource.curated else "a former member"


def resource_card(resource: Resource) -> discord.Embed:
    """The card: title linked, topic, level, kind, tags, note, who shared it and the votes."""
    embed = discord.Embed(title=safe(resource.title, 256), url=resource.url, colour=COLOUR,
                          description=safe(resource.note, 1500) or None)
    embed.add_field(name="Topic", value=safe(resource.topic_name, 200) or "none")
    if resource.level:  # unset level and kind are left out, as in lists, rather than shown as "any"
        embed.add_field(name="Level", value=resource.level)
    if resource.kind:
        embed.add_field(name="Kind", value=resource.kind)
    if resource.tags:
        embed.add_field(name="Tags", value=safe(", ".join(resource.tags), 400))
    embed.add_field(name="Shared by", value=f"{sharer(resource)}, {when(resource.created_at, 'D')}")
    embed.add_field(name="Votes", value=str(resource.votes))
    if resource.broken:
        embed.colour = COLOUR_WARN
        embed.add_field(name="Link", value=f"failing ({safe(resource.last_check_result, 100)}) for "
                                           f"{resource.failed_checks} weekly checks", inline=False)
    # Footers show no markdown and ping nobody, so nothing is escaped there.
    flags = (" · curated" if resource.curated else "") + (" · removed" if resource.removed else "")
    embed.set_footer(text=f"#{resource.id} · {cut(resource.host, 100)}{flags}")
    return embed

def list_entry(resource: Resource) -> tuple[str, str]:
    """A resource as one embed field of a list: ``(name, value)``; ten of them stay under 5,000 characters."""
    title = safe(resource.title, 100)
    link = markdown_link(title, resource.url) if len(resource.url) <= LINK_IN_LIST_MAX else f"**{title}**"
    details = [d for d in (resource.level, resource.kind, safe(", ".join(resource.tags), 60)) if d]
    details.append(f"by {sharer(resource)}")
    if resource.broken:
        details.append(f"link failing ({safe(resource.last_check_result, 40)})")
    return f"#{resource.id} · ▲ {resource.votes}", f"{link}\n{' · '.join(details)}"


def list_embed(title: str, items: list[Resource], empty: str, footer: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR)
    if not items:
        embed.description = empty
    for resource in items:
        name, value = list_entry(resource)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    while len(embed) > EMBED_TOTAL and len(embed.fields) > 1:  # a safety net; entries are sized to fit
        embed.remove_field(-1)
    return embed


def page_embed(title: str, page: resources.Page, empty: str) -> discord.Embed:
    return list_embed(title, page.items, empty, paging.page_footer(page.page, page.pages, page.total, "resources"))


def vote_message(toggled: resources.Toggled) -> str:
    res = toggled.resource
    if toggled.on:
        return (f"You upvoted #{res.id} **{safe(res.title, 100)}**; it has {counted(res.votes, 'vote')}. "
                "Press again to take it back.")
    return f"Vote taken back from #{res.id} **{safe(res.title, 100)}**; it has {counted(res.votes, 'vote')}."


def save_message(toggled: resources.Toggled) -> str:
    res = toggled.resource
    if toggled.on:
        return f"Saved #{res.id} **{safe(res.title, 100)}**; `/resource saved` lists what you saved."
    return f"Took #{res.id} **{safe(res.title, 100)}** off your saved list."
