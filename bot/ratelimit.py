"""Token buckets shared by all sends of one process: rates are respected, not
discovered through 429s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from bot.channel import Throttle


class _Bucket:
    __slots__ = ("burst", "per_second", "stamp", "tokens")

    def __init__(self, per_second: float, burst: float) -> None:
        self.per_second, self.burst = per_second, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def wait_for(self, cost: float, now: float) -> float:
        """Take ``cost`` tokens (may go negative: a reservation); seconds to wait."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        self.tokens -= cost
        return 0.0 if self.tokens >= 0 else -self.tokens / self.per_second


class RateLimiter:
    """``await limiter.acquire(throttles)`` returns when every bucket allows the send.

    Reservations are made at once, in call order, so concurrent senders are
    spaced evenly instead of racing. Idle per-chat buckets are dropped.
    """

    def __init__(self, max_buckets: int = 100_000) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._max = max_buckets

    async def acquire(self, throttles: Sequence[Throttle]) -> float:
        now = time.monotonic()
        wait = 0.0
        for t in throttles:
            bucket = self._buckets.get(t.key)
            if bucket is None:
                if len(self._buckets) >= self._max:
                    self._prune(now)
                bucket = self._buckets[t.key] = _Bucket(t.per_second, max(t.burst, t.cost))
            wait = max(wait, bucket.wait_for(t.cost, now))
        if wait > 0:
            await asyncio.sleep(wait)
        return wait

    def pause(self, key: str, seconds: float) -> None:
        """A 429 said wait: empty that bucket for ``seconds``."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(bucket.tokens, -seconds * bucket.per_second)
            bucket.stamp = time.monotonic()

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.stamp) * b.per_second >= b.burst]
        for key in full:
            del self._buckets[key]
