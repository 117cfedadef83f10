"""The timer runner (bot.timers) over a real store: handlers by kind, recurring
jobs, failed tries with backoff, abandoned timers, a store that fails for a
while; time moves by an injected clock, never by waiting for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.storage.memory import MemoryStore
from bot.storage.ports import DueTimer, DueTimers, StoreBusy
from bot.storage.sqlite.store import SQLiteStore
from bot.timers import Abandon, TimerRunner

T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


class ManualClock:
    """A clock the test moves."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recorder:
    """A handler that keeps what it ran (kind, key, when) and answers as told."""

    def __init__(self, again: timedelta | None = None) -> None:
        self.ran: list[tuple[str, str, datetime]] = []
        self.again = again
        self.fail_with: list[Exception] = []
        self.called = asyncio.Event()

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        self.ran.append((timer.kind, timer.key, now))
        self.called.set()
        if self.fail_with:
            raise self.fail_with.pop(0)
        return None if self.again is None else now + self.again


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "timers.db")
    await backend.open()
    yield backend
    await backend.close()


async def test_each_kind_runs_with_its_handler_when_due(store: SQLiteStore) -> None:
    clock = ManualClock()
    runner = TimerRunner(store, clock=clock)
    escalate, referral = Recorder(), Recorder()
    runner.register("escalate", escalate)
    runner.register("referral", referral)
    await store.schedule("escalate", "A1", {}, T0 + timedelta(minutes=10))
    await store.schedule("referral", "R1", {}, T0 + timedelta(hours=24))
    await store.schedule("unknown", "U1", {}, T0)  # no handler here: left for another worker
    assert await runner.run_once() == 0
    clock.advance(minutes=10)
    assert await runner.run_once() == 1
    assert escalate.ran == [("escalate", "A1", T0 + timedelta(minutes=10))]
    assert await runner.run_once() == 0  # done: deleted, not run again
    clock.advance(hours=24)
    assert await runner.run_once() == 1
    assert [key for _k, key, _at in referral.ran] == ["R1"]
    assert await store.cancel_timer("unknown", "U1")  # it was never claimed, nor dropped
    with pytest.raises(ValueError, match="twice"):
        runner.register("escalate", Recorder())


async def test_a_standing_job_is_scheduled_once_and_reschedules_itself(
        store: SQLiteStore) -> None:
    clock = ManualClock()
    daily = Recorder(again=timedelta(days=1))
    runner = TimerRunner(store, clock=clock)
    runner.register("purge", daily)
    runner.keep("purge", "daily")
    assert await runner.run_once() == 1  # a new store: due at once
    for hours in (1, 22):
        clock.advance(hours=hours)
        assert await runner.run_once() == 0
    clock.advance(hours=1)
    assert await runner.run_once() == 1
    # a second worker (or a restart) keeps the same timer, at its own time
    other = TimerRunner(store, clock=clock)
    other.register("purge", daily)
    other.keep("purge", "daily")
    assert await other.run_once() == 0
    clock.advance(days=1)
    assert await other.run_once() + await runner.run_once() == 1
    assert [at for _k, _key, at in daily.ran] == [T0, T0 + timedelta(days=1),
                                                  T0 + timedelta(days=2)]


async def test_a_failed_try_waits_longer_each_time_and_abandon_drops_the_timer(
        store: SQLiteStore, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    job = Recorder()
    runner = TimerRunner(store, clock=clock, retry_base=timedelta(seconds=40),
                         retry_max=timedelta(minutes=10))
    runner.register("delete", job)
    await store.schedule("delete", "m1", {}, T0)
    job.fail_with = [RuntimeError("+243810000999 refused"), RuntimeError("again"),
                     Abandon("the provider says the message is gone")]
    assert await runner.run_once() == 1  # the first try fails
    waits = []
    for tries in (2, 3):  # find when it is due again, a second at a time
        waited = 0
        while await runner.run_once() == 0:
            clock.advance(seconds=1)
            waited += 1
        assert len(job.ran) == tries
        waits.append(waited)
    # never before half the backoff, always by its full value: 40 s, then 80 s
    assert 20 <= waits[0] <= 40 and 40 <= waits[1] <= 80
    assert len(job.ran) == 3  # the third try abandoned it
    clock.advance(days=1)
    assert await runner.run_once() == 0
    assert await store.schedule("delete", "m1", {}, clock.now) > 0  # gone: a new one
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "abandoned" in logged
    assert "+243810000999" not in logged  # a failure's message may hold data: never logged


class FlakyTimers(DueTimers):
    """The memory store's timers behind a switch that makes every call fail as a
    locked database does (the runner's view of a store that is down)."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreBusy("claiming timers failed (SQLITE_BUSY)")

    async def schedule(self, kind: str, key: str, payload: dict[str, Any],
                       due_at: datetime) -> int:
        self._check()
        return await self.inner.schedule(kind, key, payload, due_at)

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime,
                        kinds: Sequence[str] | None = None) -> list[DueTimer]:
        self._check()
        return await self.inner.claim_due(now, limit, lease_until, kinds)

    async def timer_done(self, timer_id: int, *, again_at: datetime | None = None) -> None:
        self._check()
        await self.inner.timer_done(timer_id, again_at=again_at)

    async def timer_retry(self, timer_id: int, *, at: datetime, error: str) -> None:
        self._check()
        await self.inner.timer_retry(timer_id, at=at, error=error)

    async def cancel_timer(self, kind: str, key: str) -> bool:
        self._check()
        return await self.inner.cancel_timer(kind, key)


async def test_the_loop_outlives_a_store_that_fails_and_logs_the_spell_once(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    flaky = FlakyTimers()
    flaky.down = True
    clock = ManualClock()
    job = Recorder()
    runner = TimerRunner(flaky, clock=clock, idle_wait=0.01)
    runner.register("escalate", job)
    runner.keep("escalate", "A1")
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(500):  # let it fail a few times (its backoff starts at 0.25 s)
            if "failed" in caplog.text and not runner.store_up:
                break
            await asyncio.sleep(0.01)
        assert not runner.store_up and not task.done()
        flaky.down = False
        await asyncio.wait_for(job.called.wait(), 10)
        assert runner.store_up
    finally:
        runner.stop()
        await asyncio.wait_for(task, 5)
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.timers.runner"]
    assert sum("the store failed" in m for m in messages) == 1
    assert sum("answers again" in m for m in messages) == 1


async def test_a_mark_the_store_cannot_keep_leaves_the_timer_to_its_lease() -> None:
    """The job ran but its "done" could not be written: it runs again once its
    lease is out (jobs are safe to run twice), it is not lost."""
    flaky = FlakyTimers()
    clock = ManualClock()
    job = Recorder()
    runner = TimerRunner(flaky, clock=clock, lease=timedelta(minutes=5))
    runner.register("escalate", job)
    await flaky.schedule("escalate", "A1", {}, T0)
    original = flaky.inner.claim_due

    async def claim_then_fail(now: datetime, limit: int, lease_until: datetime,
                              kinds: Sequence[str] | None = None) -> list[DueTimer]:
        claimed = await original(now, limit, lease_until, kinds)
        flaky.down = bool(claimed)  # the store fails just after the claim
        return claimed

    flaky.inner.claim_due = claim_then_fail  # type: ignore[method-assign]
    assert await runner.run_once() == 1
    flaky.down = False
    clock.advance(minutes=4)
    assert await runner.run_once() == 0  # still leased
    clock.advance(minutes=1)
    assert await runner.run_once() == 1
    assert len(job.ran) == 2
