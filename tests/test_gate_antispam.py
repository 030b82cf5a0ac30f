"""The newcomer anti-spam rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.gate.antispam import (
    MENTION_TIMEOUT,
    MessageFacts,
    count_links,
    has_invite,
    judge,
    may_break_a_rule,
    only_newcomer,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def facts(content: str = "", *, mentions: int = 0, moderator: bool = False, newcomer: bool = True,
          joined_hours_ago: float = 1) -> MessageFacts:
    return MessageFacts(content=content, mentions=mentions, author_is_moderator=moderator,
                        author_only_newcomer=newcomer, author_joined_at=NOW - timedelta(hours=joined_hours_ago),
                        sent_at=NOW)


def rule(f: MessageFacts) -> str | None:
    verdict = judge(f, max_links=3, max_mentions=5)
    return None if verdict is None else verdict.rule


def test_invite_from_a_new_newcomer_is_spam() -> None:
    assert rule(facts("come to discord.gg/abc123")) == "invite"
    assert rule(facts("https://discord.com/invite/xyz")) == "invite"


def test_more_than_three_links_from_a_new_newcomer_is_spam() -> None:
    three = " ".join(f"https://e{i}.org" for i in range(3))
    assert rule(facts(three)) is None
    assert rule(facts(three + " http://e9.org/x")) == "links"


def test_the_link_rules_end_after_24_hours_and_apply_only_to_newcomer_only_members() -> None:
    assert rule(facts("discord.gg/abc", joined_hours_ago=25)) is None
    assert rule(facts("discord.gg/abc", newcomer=False)) is None


def test_five_mentions_from_anyone_but_a_moderator_times_out() -> None:
    verdict = judge(facts(mentions=5, newcomer=False, joined_hours_ago=9000), max_links=3, max_mentions=5)
    assert verdict is not None and verdict.rule == "mentions" and verdict.timeout == MENTION_TIMEOUT
    assert rule(facts(mentions=4, newcomer=False)) is None
    assert rule(facts(mentions=12, moderator=True, newcomer=False)) is None


def test_links_and_invites_are_counted() -> None:
    assert count_links("a https://x.org b http://y.org/p?q=1 c <https://z.org>") == 3
    assert has_invite("DISCORD.GG/Foo") and not has_invite("discord.com/channels/1/2")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000), st.integers(min_value=0, max_value=60))
def test_judging_any_text_is_total_and_moderators_are_never_timed_out(content: str, mentions: int) -> None:
    verdict = judge(facts(content, mentions=mentions, moderator=True), max_links=3, max_mentions=5)
    assert verdict is None or verdict.timeout is None


def test_only_newcomer_means_the_newcomer_role_and_no_other() -> None:
    assert only_newcomer({11}, 11)
    assert not only_newcomer({11, 12}, 11)
    assert not only_newcomer({12}, 11)
    assert not only_newcomer(set(), 11)


def test_a_message_is_looked_at_only_with_enough_mentions_or_from_a_newcomer_only_member() -> None:
    assert not may_break_a_rule(mentions=4, only_newcomer=False, max_mentions=5)
    assert may_break_a_rule(mentions=5, only_newcomer=False, max_mentions=5)
    assert may_break_a_rule(mentions=0, only_newcomer=True, max_mentions=5)


@given(st.integers(0, 60), st.booleans(), st.integers(2, 50), st.booleans(), st.booleans())
def test_a_message_skipped_by_the_quick_check_breaks_no_rule(mentions: int, newcomer: bool, max_mentions: int,
                                                             moderator: bool, invite: bool) -> None:
    message = facts("discord.gg/abc " * invite + "https://a.org " * 9, mentions=mentions, moderator=moderator,
                    newcomer=newcomer)
    if not may_break_a_rule(mentions=mentions, only_newcomer=newcomer, max_mentions=max_mentions):
        assert judge(message, max_links=3, max_mentions=max_mentions) is None
