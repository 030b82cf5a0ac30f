"""The web's flood controls, on fake clocks: per-client rate limit and the web's share of the loop."""

from __future__ import annotations

from bot.web.access_log import redact
from bot.web.guard import LoopShare, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_allows_sixty_a_minute_per_client() -> None:
    clock = Clock()
    limiter = RateLimiter(monotonic=clock)
    assert [limiter.check("a") for _ in range(60)] == [0] * 60
    assert limiter.check("a") == 1 and limiter.check("b") == 0
    clock.now += 0.5
    assert limiter.check("a") == 1  # half a request refilled is not a request
    clock.now += 0.5
    assert limiter.check("a") == 0
    clock.now += 3600
    assert [limiter.check("a") for _ in range(61)][-2:] == [0, 1]  # the bucket holds 60, never more


def test_rate_limit_forgets_the_oldest_clients_first() -> None:
    limiter = RateLimiter(monotonic=Clock(), max_clients=3)
    for _ in range(60):
        limiter.check("a")
    for client in ("b", "c", "d"):
        limiter.check(client)
    assert limiter.check("a") == 0  # "a" was forgotten, and starts afresh


async def test_loop_share_makes_the_next_request_wait_once_the_budget_is_spent() -> None:
    clock = Clock()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    share = LoopShare(share=0.2, burst=0.2, clock=clock, sleep=sleep)
    for _ in range(4):  # 4 x 50 ms of work: the burst covers them
        async with share.turn():
            clock.now += 0.05
    assert waits == []
    async with share.turn():
        clock.now += 0.1
    async with share.turn():
        pass
    # 300 ms of work spent the 200 ms burst and the 60 ms refilled meanwhile (20 % of 300 ms):
    # 40 ms in debt, which takes 0.2 s to refill at 20 %.
    assert len(waits) == 1 and abs(waits[0] - 0.2) < 1e-9
    clock.now += 10
    async with share.turn():
        clock.now += 0.01
    assert len(waits) == 1  # idle time refilled it (up to the burst)


def test_the_access_log_never_holds_a_calendar_token() -> None:
    assert redact("/c/AbCdEf0123456789_-xyzXYZ0123456789abcdefghi.ics") == "/c/[token].ics"
    assert redact("/c/whatever") == "/c/[token].ics"
    assert redact("/g/demo/library") == "/g/demo/library"
