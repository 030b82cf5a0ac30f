"""Why a feed could not be read, in words an admin can act on."""

from __future__ import annotations

from bot.errors import InvalidInput

MESSAGE_MAX = 1000


class FeedProblem(InvalidInput):
    """Fetching or reading a feed failed.

    ``permanent`` problems (gone, not a feed, too large) disable a feed at once; the others are
    retried with back-off. ``retry_after`` is the server's own wish, in seconds, when it gave one.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        # Messages quote URLs and hosts; this keeps any of them well inside a 2,000-character reply.
        super().__init__(message if len(message) <= MESSAGE_MAX else f"{message[:MESSAGE_MAX - 1]}…")
        self.permanent = permanent
        self.retry_after = retry_after


class NotAFeed(FeedProblem):
    """The URL answered, but with something that is not RSS or Atom; ``alternates`` are feeds it links to."""

    def __init__(self, message: str, alternates: tuple[str, ...] = ()) -> None:
        super().__init__(message, permanent=True)
        self.alternates = alternates
