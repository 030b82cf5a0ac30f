"""A real HTTP server on 127.0.0.1 that serves feeds shaped like the ones in the wild.

Tests (and the benchmark) register what each path answers; the server records every request so a
test can check the headers the bot sent (conditional GET, User-Agent, …).
"""

from tests.feedserver.server import FeedServer, Recorded

__all__ = ["FeedServer", "Recorded"]
