"""The timer runner: runs the store's due rows by kind, as the outbox dispatcher
sends the store's messages.

A timer is a row (:class:`bot.storage.ports.DueTimers`), never a sleeping task:
any worker claims what is due under a lease, runs its kind's handler and marks
it. A handler returns None (done: the row goes) or when it is due again (a
recurring job); raises :class:`Abandon` to drop a timer that cannot succeed;
any other exception is a failed try, run again later with backoff. A worker
that dies mid-run leaves the lease to run out, and the timer runs again: a
handler must be safe to run twice.

The clock is injected, so that tests move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.storage.ports import DueTimer, DueTimers, StoreError

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Handler = Callable[[DueTimer, datetime], Awaitable[datetime | None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Abandon(Exception):  # a word to the runner, not an error of its own
    """Raised by a handler: this timer cannot succeed, drop it. The reason is
    logged: a kind of failure, never data."""


@dataclass(frozen=True, slots=True)
class _Standing:
    """A timer that must exist (a daily job): scheduled once the store answers."""

    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)


class TimerRunner:
    def __init__(self, store: DueTimers, *, clock: Clock = utc_now,
                 lease: timedelta = timedelta(minutes=15), batch: int = 8,
                 retry_base: timedelta = timedelta(seconds=30),
                 retry_max: timedelta = timedelta(hours=1), idle_wait: float = 30.0) -> None:
        self._store = store
        self._clock = clock
        self._lease = lease
        self._batch = batch
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._idle_wait = idle_wait
        self._handlers: dict[str, Handler] = {}
        self._standing: list[_Standing] = []
        self._scheduled = False
        self._wake = asyncio.Event()
        self._stopping = False
        self._failed_claims = 0  # of the store's current spell of failures

    def register(self, kind: str, handler: Handler) -> None:
        """Run timers of ``kind`` with ``handler``; this runner claims no other kind."""
        if kind in self._handlers:
            raise ValueError(f"timer kind {kind!r} registered twice")
        self._handlers[kind] = handler

    def keep(self, kind: str, key: str, payload: dict[str, Any] | None = None) -> None:
        """Make sure a timer of ``kind`` and ``key`` exists, due at once if it did
        not (scheduling is idempotent: one that exists keeps its time)."""
        self._standing.append(_Standing(kind, key, dict(payload or {})))

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    @property
    def store_up(self) -> bool:
        """False while the store fails this runner's claims."""
        return self._failed_claims == 0

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; timers running now finish."""
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        """Claim what is due now and run it; how many ran. A store error from the
        claim is raised (:meth:`run` waits and tries again)."""
        now = self._clock()
        if not self._scheduled:
            for s in self._standing:
                await self._store.schedule(s.kind, s.key, s.payload, now)
            self._scheduled = True
        if not self._handlers:
            return 0
        claimed = await self._store.claim_due(now, self._batch, now + self._lease, self.kinds)
        if claimed:
            await asyncio.gather(*(self._run(timer, now) for timer in claimed))
        return len(claimed)

    async def run(self) -> None:
        """Run timers until :meth:`stop`; a store that fails is waited for, with
        backoff, and logged once per spell."""
        while not self._stopping:
            self._wake.clear()
            try:
                ran = await self.run_once()
            except Exception as exc:  # the runner outlives any failure
                self._claim_failed(exc)
                wait = min(self._idle_wait, 2.0 ** min(self._failed_claims, 10) / 4)
            else:
                self._claim_worked()
                if ran >= self._batch:
                    continue  # more may be due
                wait = self._idle_wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _claim_failed(self, exc: Exception) -> None:
        self._failed_claims += 1
        if self._failed_claims == 1:
            log.error("timers: the store failed (%s); trying again until it answers",
                      _reason(exc))

    def _claim_worked(self) -> None:
        if self._failed_claims:
            log.warning("timers: the store answers again after %d failed tries",
                        self._failed_claims)
            self._failed_claims = 0

    async def _run(self, timer: DueTimer, now: datetime) -> None:
        handler = self._handlers[timer.kind]
        try:
            again = await handler(timer, now)
        except Abandon as exc:
            log.warning("timer %s #%d abandoned: %s", timer.kind, timer.id, exc)
            await self._mark(self._store.timer_done(timer.id), timer)
        except Exception as exc:  # a failed try: run again later
            delay = self._backoff(timer.attempts)
            log.warning("timer %s #%d failed (%s), try %d, next in %.0fs", timer.kind, timer.id,
                        _reason(exc), timer.attempts + 1, delay.total_seconds())
            await self._mark(self._store.timer_retry(timer.id, at=now + delay,
                                                     error=_reason(exc)), timer)
        else:
            await self._mark(self._store.timer_done(timer.id, again_at=again), timer)

    async def _mark(self, marking: Awaitable[None], timer: DueTimer) -> None:
        """A mark the store could not keep is left to the lease: the timer runs again."""
        try:
            await marking
        except StoreError as exc:
            log.error("timer %s #%d could not be marked (%s); it runs again after its lease",
                      timer.kind, timer.id, exc)

    def _backoff(self, attempts: int) -> timedelta:
        """Doubling from ``retry_base`` up to ``retry_max``, with jitter."""
        longest = min(self._retry_max, self._retry_base * (1 << min(attempts, 30)))
        return longest * random.uniform(0.5, 1.0)


def _reason(exc: Exception) -> str:
    """What a log line may say of a failure: a store error's own message (which
    never holds data, by the store's contract), else only its type."""
    return str(exc) if isinstance(exc, StoreError) else type(exc).__name__
