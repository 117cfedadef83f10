"""Token buckets shared by all sends of one process: rates are respected, not
discovered through 429s."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.outbox.clock import Clock
from bot.transport.channel import Throttle

SLACK_SECONDS = 0.02
"""A bucket holds at least this much sending time: at high rates a timer that
wakes a millisecond late would otherwise lose that millisecond's share for good.
At 1/s or 30/s it is less than one message, so nothing changes there."""


class _Bucket:
    __slots__ = ("burst", "clock", "lock", "per_second", "stamp", "tokens")

    def __init__(self, per_second: float, burst: float, clock: Clock) -> None:
        self.per_second, self.burst, self.clock = per_second, burst, clock
        self.tokens, self.stamp = burst, clock.monotonic()
        self.lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now

    async def take(self, cost: float) -> float:
        """Wait until ``cost`` tokens are there (a cost above the bucket size runs
        into debt once the bucket is full), take them; returns seconds waited.

        Takers queue on a lock, and each checks the bucket when its turn comes,
        so a stalled event loop never releases a burst of pre-booked sends."""
        waited = 0.0
        async with self.lock:
            need = min(cost, self.burst)
            while True:
                self._refill()
                if self.tokens >= need - 1e-9:  # not a spin on a rounding error
                    self.tokens -= cost
                    return waited
                delay = (need - self.tokens) / self.per_second
                await self.clock.sleep(delay)
                waited += delay

    def full(self) -> bool:
        self._refill()
        return not self.lock.locked() and self.tokens >= self.burst


class RateLimiter:
    """``await limiter.acquire(throttles)`` returns when every bucket allows the send.

    Buckets are taken most specific first (a chat's own, then the sender-wide
    one), so a send waiting for one slow chat does not hold up everyone else.
    Idle buckets are dropped when there are too many.
    """

    def __init__(self, max_buckets: int = 100_000, *, clock: Clock | None = None) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._max = max_buckets
        self._clock = clock or Clock()

    async def acquire(self, throttles: Sequence[Throttle]) -> float:
        waited = 0.0
        for t in reversed(throttles):
            bucket = self._buckets.get(t.key)
            if bucket is None:
                if len(self._buckets) >= self._max:
                    self._prune()
                size = max(t.burst, t.per_second * SLACK_SECONDS)
                bucket = self._buckets[t.key] = _Bucket(t.per_second, size, self._clock)
            waited += await bucket.take(t.cost)
        return waited

    def pause(self, key: str, seconds: float) -> None:
        """A 429 said wait: empty that bucket for ``seconds``."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket._refill()
            bucket.tokens = min(bucket.tokens, -seconds * bucket.per_second)

    def _prune(self) -> None:
        for key in [k for k, b in self._buckets.items() if b.full()]:
            del self._buckets[key]
