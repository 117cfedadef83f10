"""Fair claims, on every backend: one person's backlog never delays anyone
else's replies (a claim takes one message per contact, in claim order), and a
contact has at most PENDING_CAP replies waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.records import NewOutbound, TurnWrite
from bot.storage.ports import PENDING_CAP, Store
from tests.test_store_contract import contact, store

__all__ = ["store"]  # the fixture, every backend


def reply(n: int, text: str, priority: int = 10) -> NewOutbound:
    return NewOutbound(f"k1:c{n}", "sms", b"sealed", "reply", {"text": text}, priority=priority)


async def queue(store: Store, n: int, *texts: str, priority: int = 10) -> None:
    for text in texts:
        await store.commit_turn(TurnWrite(contact=contact(n), session=None,
                                          outbound=[reply(n, text, priority)]))


async def claim(store: Store, limit: int = 50) -> list[str]:
    now = datetime.now(UTC)
    return [str(r.payload["text"]) for r in
            await store.claim_outbound(now, limit, now + timedelta(seconds=30))]


async def sent(store: Store, texts: list[str]) -> None:
    now = datetime.now(UTC)
    leased = await store.claim_outbound(now + timedelta(minutes=5), 100,
                                        now + timedelta(minutes=6))
    for r in leased:
        if r.payload.get("text") in texts:
            await store.outbound_sent(r.id, external_id=None, segments=1, now=now)
        else:
            await store.outbound_release(r.id)


async def test_a_flooding_contact_takes_one_place_in_a_claim(store: Store) -> None:
    await queue(store, 1, *(f"flood-{i}" for i in range(12)))
    await queue(store, 2, "to-two")
    await queue(store, 3, "to-three")
    first = await claim(store, limit=3)
    assert first == ["flood-0", "to-two", "to-three"]
    assert await claim(store) == []  # each contact's next waits for the one in flight
    await sent(store, first)
    assert await claim(store) == ["flood-1"]


async def test_a_reply_still_overtakes_a_broadcast_of_the_same_contact(store: Store) -> None:
    await queue(store, 1, "advisory", priority=0)
    await queue(store, 1, "reply", priority=10)
    assert await claim(store) == ["reply"]
    await sent(store, ["reply"])
    assert await claim(store) == ["advisory"]


async def test_a_contact_has_at_most_the_cap_of_replies_waiting(store: Store) -> None:
    await queue(store, 1, *(f"r{i}" for i in range(PENDING_CAP + 5)))
    await queue(store, 2, "other")
    assert await store.outbox_depth() == PENDING_CAP + 1
    head = await claim(store)
    assert head == ["r0", "other"]
    await sent(store, ["r0"])
    await queue(store, 1, "room")  # one left: room for one more
    assert await store.outbox_depth() == PENDING_CAP + 1  # r1..r19, "refused", "other"
    await queue(store, 1, "over")
    assert await store.outbox_depth() == PENDING_CAP + 1  # the cap again: not queued


async def test_a_backlog_of_one_person_never_delays_anothers_reply(tmp_path: Path) -> None:
    """Through the real dispatcher: 20 replies wait for one person (a flood's
    worth, the cap) when another person's one reply is queued; the second
    person's reply leaves second, not twenty-first (the claim used to hand out
    the whole backlog first, and the other reply waited behind it)."""
    from bot.app import App
    from tests.conftest import make_config
    from tests.test_outbox import SlowChannel
    from tests.test_outbox import queue as enqueue

    app = await App.open(make_config(tmp_path, outbox={"concurrency": 4}))
    channel = SlowChannel(per_second=200.0)
    app.add_channel(channel)
    try:
        await enqueue(app, [("+243810000901", f"flood-{i}") for i in range(PENDING_CAP)])
        await enqueue(app, [("+243810000902", "your reply")])
        await app.dispatcher.drain()
    finally:
        await app.close()
    order = [text for _address, text, _at in channel.sent]
    assert len(order) == PENDING_CAP + 1
    assert order.index("your reply") <= 1, order
    assert [t for t in order if t.startswith("flood")] == [f"flood-{i}"
                                                           for i in range(PENDING_CAP)]
