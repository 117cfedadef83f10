"""Time as the outbox reads it and waits for it.

The dispatcher, its rate limiter and its leases ask one :class:`Clock`: the
wall time (aware, for the store's due times and leases), a monotonic time (for
rates and spells) and a sleep. Tests pass one they move by hand, so an hour of
backoff or a lease running out takes no real time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

__all__ = ["Clock", "nap"]


class Clock:
    """The system's time."""

    def now(self) -> datetime:
        """The wall time, aware (UTC)."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def nap(clock: Clock, seconds: float, *events: asyncio.Event) -> None:
    """Sleep ``seconds`` on ``clock``, or less if one of ``events`` is set."""
    if any(event.is_set() for event in events):
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait([sleeper, *waiters], return_when=asyncio.FIRST_COMPLETED)
    finally:
        pending = [task for task in (sleeper, *waiters) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:  # a cancellation of ours still goes through
            await asyncio.wait(pending)
