"""Per-person locks: order within a key, concurrency across keys, no leftovers."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.locks import KeyedLocks


async def test_one_key_runs_in_arrival_order_and_other_keys_do_not_wait() -> None:
    locks = KeyedLocks()
    events: list[str] = []
    release_first = asyncio.Event()

    async def turn(key: str, name: str, hold: asyncio.Event | None = None) -> None:
        async with locks(key):
            events.append(f"start {name}")
            if hold is not None:
                await hold.wait()
            events.append(f"end {name}")

    first = asyncio.create_task(turn("amani", "a1", release_first))
    second = asyncio.create_task(turn("amani", "a2"))
    other = asyncio.create_task(turn("baraka", "b1"))
    await other  # a different person is not held up by amani's open turn
    assert events == ["start a1", "start b1", "end b1"]
    release_first.set()
    await asyncio.gather(first, second)
    assert events[3:] == ["end a1", "start a2", "end a2"]
    assert len(locks) == 0


async def test_an_error_or_a_cancel_leaves_nothing_behind() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks("k"):
            raise RuntimeError("boom")
    assert len(locks) == 0

    gate = asyncio.Event()

    async def holder() -> None:
        async with locks("k"):
            await gate.wait()

    async def waiter() -> None:
        async with locks("k"):
            pass

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    waiting.cancel()  # cancelled while waiting for the lock
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.set()
    await held
    assert len(locks) == 0
    async with locks("k"):  # and the key still works
        assert len(locks) == 1
