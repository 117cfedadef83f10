"""The store contract of timers (due rows), on every backend of the store contract."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.ports import Store
from tests.test_store_contract import NOW
from tests.test_store_contract import store as store  # the contract's backends


async def test_a_timer_is_scheduled_once_per_kind_and_key(store: Store) -> None:
    first = await store.schedule("escalate", "A1", {"level": 1}, NOW)
    assert await store.schedule("escalate", "A1", {"level": 9}, NOW - timedelta(days=1)) == first
    other = await store.schedule("escalate", "A2", {}, NOW + timedelta(minutes=5))
    assert other != first
    assert await store.schedule("referral", "A1", {}, NOW) not in (first, other)
    assert await store.claim_due(NOW - timedelta(seconds=1), 10, NOW + timedelta(minutes=1),
                                 ["escalate"]) == []
    (due,) = await store.claim_due(NOW, 10, NOW + timedelta(minutes=1), ["escalate"])
    assert (due.id, due.kind, due.key, due.payload, due.attempts) == (
        first, "escalate", "A1", {"level": 1}, 0)  # the second schedule changed nothing


async def test_a_claimed_timer_is_leased_then_due_again_when_its_lease_runs_out(
        store: Store) -> None:
    first = await store.schedule("escalate", "A1", {}, NOW)
    second = await store.schedule("escalate", "A2", {}, NOW + timedelta(seconds=1))
    later = NOW + timedelta(seconds=2)
    assert [t.id for t in await store.claim_due(later, 1, later + timedelta(minutes=1))] == [
        first]  # the oldest due first, no more than asked
    assert [t.id for t in await store.claim_due(later, 10, later + timedelta(minutes=1))] == [
        second]
    assert await store.claim_due(later, 10, later + timedelta(minutes=1)) == []  # both leased
    # scheduling a leased timer again leaves it leased
    assert await store.schedule("escalate", "A1", {}, later) == first
    assert await store.claim_due(later, 10, later + timedelta(minutes=1)) == []
    expired = later + timedelta(minutes=1)  # the worker died: its leases ran out
    again = await store.claim_due(expired, 10, expired + timedelta(minutes=1))
    assert [t.id for t in again] == [first, second]


async def test_a_claim_takes_only_the_kinds_asked_for(store: Store) -> None:
    await store.schedule("escalate", "A1", {}, NOW)
    referral = await store.schedule("referral", "R1", {}, NOW)
    assert await store.claim_due(NOW, 10, NOW + timedelta(minutes=1), []) == []
    assert [t.id for t in await store.claim_due(NOW, 10, NOW + timedelta(minutes=1),
                                                ["referral", "other"])] == [referral]
    assert [t.kind for t in await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))] == [
        "escalate"]


async def test_a_timer_done_is_gone_and_a_recurring_one_is_due_again(store: Store) -> None:
    once = await store.schedule("escalate", "A1", {"x": 1}, NOW)
    daily = await store.schedule("purge", "daily", {}, NOW)
    claimed = await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))
    assert {t.id for t in claimed} == {once, daily}
    await store.timer_retry(daily, at=NOW, error="StoreBusy")
    await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))
    await store.timer_done(once)
    tomorrow = NOW + timedelta(days=1)
    await store.timer_done(daily, again_at=tomorrow)
    assert await store.claim_due(tomorrow - timedelta(seconds=1), 10, tomorrow) == []
    (recurring,) = await store.claim_due(tomorrow, 10, tomorrow + timedelta(minutes=1))
    assert (recurring.id, recurring.attempts) == (daily, 0)  # its failed try forgotten
    # the one that ran is deleted: scheduling its key again makes a new timer
    assert await store.schedule("escalate", "A1", {"x": 2}, tomorrow) not in (once, daily)


async def test_a_failed_timer_counts_its_try_and_waits(store: Store) -> None:
    timer = await store.schedule("delete", "m1", {"sealed": "token"}, NOW)
    await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))
    retry_at = NOW + timedelta(seconds=30)
    await store.timer_retry(timer, at=retry_at, error="HTTP 503")
    assert await store.claim_due(retry_at - timedelta(seconds=1), 10, retry_at) == []
    (again,) = await store.claim_due(retry_at, 10, retry_at + timedelta(minutes=1))
    assert (again.id, again.attempts, again.payload) == (timer, 1, {"sealed": "token"})
    await store.timer_retry(timer, at=retry_at, error="HTTP 503")
    (third,) = await store.claim_due(retry_at, 10, retry_at + timedelta(minutes=1))
    assert third.attempts == 2


async def test_a_cancelled_timer_never_runs(store: Store) -> None:
    await store.schedule("escalate", "A1", {}, NOW)
    kept = await store.schedule("escalate", "A2", {}, NOW)
    assert await store.cancel_timer("escalate", "A1")
    assert not await store.cancel_timer("escalate", "A1")
    assert not await store.cancel_timer("referral", "A2")
    assert [t.id for t in await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))] == [kept]


async def test_a_timer_payload_is_kept_as_json(store: Store) -> None:
    payload: dict[str, object] = {"ids": ("a", "b"), "n": 1}
    await store.schedule("job", "k", payload, NOW)
    payload["n"] = 2
    (timer,) = await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))
    assert timer.payload == {"ids": ["a", "b"], "n": 1}
