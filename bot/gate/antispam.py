"""Newcomer anti-spam rules, as pure functions of what a message is and who sent it.

* A member who holds only the newcomer role, in their first 24 hours, may not post an invite link
  or more than ``max_links`` links: the message is deleted and logged.
* Anyone who is not a moderator may not mention ``max_mentions`` or more users and roles at once: the
  message is deleted and the author is timed out for 10 minutes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import re2

NEWCOMER_WINDOW = timedelta(hours=24)
MENTION_TIMEOUT = timedelta(minutes=10)

# Linear-time patterns (RE2): message text is attacker-controlled.
_LINK = re2.compile(r"(?i)\bhttps?://[^\s<>]+")
_INVITE = re2.compile(
    r"(?i)(?:discord(?:app)?\.com/invite|discord\.(?:gg|io|me|li)|dsc\.gg|invite\.gg)/[a-z0-9-]+"
)


@dataclass(frozen=True)
class MessageFacts:
    """What the rules look at; the cog fills this from a Discord message."""

    content: str
    mentions: int                  # distinct users plus distinct roles mentioned
    author_is_moderator: bool
    author_only_newcomer: bool     # holds the newcomer role and no other
    author_joined_at: datetime | None
    sent_at: datetime


@dataclass(frozen=True)
class Verdict:
    rule: str                      # "mentions", "invite" or "links"
    detail: str                    # for the mod log
    timeout: timedelta | None      # how long to time the author out, if at all


def count_links(content: str) -> int:
    return len(_LINK.findall(content))


def has_invite(content: str) -> bool:
    return _INVITE.search(content) is not None


def in_first_day(joined_at: datetime | None, now: datetime) -> bool:
    return joined_at is not None and now - joined_at < NEWCOMER_WINDOW


def only_newcomer(role_ids: Collection[int], newcomer_role_id: int) -> bool:
    """Holds the newcomer role and no other (``role_ids`` leaves out @everyone)."""
    return len(role_ids) == 1 and newcomer_role_id in role_ids


def may_break_a_rule(*, mentions: int, only_newcomer: bool, max_mentions: int) -> bool:
    """False for the common message that no rule can catch, decided before its text is looked at."""
    return mentions >= max_mentions or only_newcomer


def judge(facts: MessageFacts, *, max_links: int, max_mentions: int) -> Verdict | None:
    """The rule the message breaks (the mention rule first: it also times out), or None."""
    if not facts.author_is_moderator and facts.mentions >= max_mentions:
        return Verdict("mentions", f"{facts.mentions} user/role mentions (limit {max_mentions - 1})",
                       MENTION_TIMEOUT)
    if facts.author_only_newcomer and in_first_day(facts.author_joined_at, facts.sent_at) and facts.content:
        if has_invite(facts.content):
            return Verdict("invite", "an invite link from a newcomer in their first 24 hours", None)
        links = count_links(facts.content)
        if links > max_links:
            return Verdict("links", f"{links} links from a newcomer in their first 24 hours (limit {max_links})",
                           None)
    return None
