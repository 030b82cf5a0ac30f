"""Sending on Discord, shared by the features that post on their own (sessions, study plans)."""

from __future__ import annotations

DMS_CLOSED = 50007  # Discord's error code for "Cannot send messages to this user" (DMs closed or blocked)
MENTIONS_PER_MESSAGE = 40  # 40 mentions of ≤ 23 characters plus ≤ 1000 of text stay inside 2000 characters


def mention_chunks(user_ids: list[int]) -> list[list[int]]:
    """Split the members to mention into groups that each fit in one message with its text."""
    return [user_ids[i:i + MENTIONS_PER_MESSAGE] for i in range(0, len(user_ids), MENTIONS_PER_MESSAGE)]
