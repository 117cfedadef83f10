"""A clock a test moves by hand, for the outbox (bot.outbox.clock.Clock).

Its sleepers wake when the test moves time past their deadline, so a minute
of rates, leases and backoff takes milliseconds. It starts at the real time
(rows the store queues are stamped with it) and only goes forward. Give its
``monotonic`` to a fake server's token bucket to share its time::

    clock = ManualClock()
    fake = FakeTwilio(clock=clock.monotonic)
    app = await App.open(config, clock=clock)
    await clock.run_until(lambda: len(fake.messages) == 80)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.outbox.clock import Clock

__all__ = ["ManualClock"]


class ManualClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime.now(UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._order), future))
        await future

    @property
    def elapsed(self) -> float:
        """Seconds moved since the start."""
        return self._elapsed

    def next_wake(self) -> float | None:
        """Seconds until the next sleeper wakes (None: nobody sleeps)."""
        while self._sleepers and self._sleepers[0][2].done():  # cancelled sleeps
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] - self._elapsed if self._sleepers else None

    def advance(self, seconds: float) -> None:
        """Move time forward; the sleepers due by then wake (in deadline order)."""
        self._elapsed += seconds
        while self._sleepers and self._sleepers[0][0] <= self._elapsed + 1e-9:
            _deadline, _n, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def settle(self, real: float = 0.003) -> None:
        """Let what was woken run (real work: HTTP on 127.0.0.1, SQLite commits)."""
        await asyncio.sleep(real)

    async def run_until(self, done: Callable[[], bool], *, most: float = 3600.0,
                        step: float = 1.0, real: float = 0.003,
                        every: Callable[[], None] | None = None,
                        busy: Callable[[], bool] | None = None) -> None:
        """Move time on, to the next wake-up (a millisecond at least) but at most
        ``step`` at a time, letting the woken run in between, until ``done()``;
        fails after ``most`` seconds of clock time. ``every`` runs before each
        move; while ``busy()`` (real work under way, say a send), time waits."""
        end = self._elapsed + most
        while not done():
            if self._elapsed >= end:
                raise TimeoutError(f"not done after {most:g} s of clock time")
            await self.settle(real)
            while busy is not None and busy():
                await self.settle(real)
            if done():
                return
            if every is not None:
                every()
            wake = self.next_wake()
            self.advance(step if wake is None else max(0.001, min(step, wake)))
