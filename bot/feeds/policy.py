"""Every limit and timing of the feed feature, in one frozen value built from the settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from bot.config import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class FeedPolicy:
    user_agent: str
    allow_private: bool
    poll_interval: timedelta = timedelta(seconds=600)
    timeout_seconds: float = 15.0
    max_bytes: int = 5 * MB
    max_redirects: int = 5
    per_host: int = 2
    concurrent_fetches: int = 32
    max_entry_age: timedelta = timedelta(days=7)
    posts_per_poll: int = 5
    max_failures: int = 10
    backoff_base: timedelta = timedelta(minutes=5)
    backoff_cap: timedelta = timedelta(hours=6)
    # A server may ask for a longer pause (max-age, Retry-After); beyond a day it is more likely a
    # misconfiguration than a wish, and a feed that is never checked again helps nobody.
    longest_server_pause: timedelta = timedelta(hours=24)
    forget_after: timedelta = timedelta(days=90)
    delivery_attempts: int = 5

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> FeedPolicy:
        base = cls(user_agent=settings.user_agent, allow_private=settings.allow_private_urls,
                   poll_interval=timedelta(seconds=settings.feed_poll_seconds))
        return replace(base, **overrides)

    def backoff(self, failures: int) -> timedelta:
        """The pause after ``failures`` consecutive failures: 5 min, 10, 20, … up to 6 h."""
        steps = max(failures - 1, 0)
        if steps >= 16:  # 5 min × 2^16 is far past the cap; avoid a huge multiplication
            return self.backoff_cap
        return min(self.backoff_base * (2 ** steps), self.backoff_cap)

