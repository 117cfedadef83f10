"""The store contract of retention (purge), on every backend of the store contract."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.domain.effects import Erase, Subscribe
from bot.domain.records import NewOutbound, ReportStatus, Session, TurnWrite
from bot.storage.ports import Retention, Store
from tests.test_store_contract import contact, report
from tests.test_store_contract import store as store  # the contract's backends


async def test_purge_deletes_what_is_past_its_time_and_nothing_else(store: Store) -> None:
    """Reports by their last change, finished outbox rows, replay keys by their
    day, idle sessions with their drafts; pending messages, contacts and
    subscriptions stay. Outbox rows are stamped by the store's own clock, so
    the purge's ``now`` is over a year ahead of it."""
    now = datetime.combine((datetime.now(UTC) + timedelta(days=400)).date(), time(12), UTC)
    old, recent = now - timedelta(days=500), now - timedelta(days=10)
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, at=old,
                                      effects=[report("OLD222"), Subscribe("goma")]))
    await store.commit_turn(TurnWrite(contact=contact(2), session=None, at=old,
                                      effects=[report("OLD333")]))
    await store.set_report_status("OLD333", ReportStatus.IN_REVIEW, public_reply=None,
                                  now=recent)  # staff still work on it
    await store.commit_turn(TurnWrite(contact=contact(3), session=None, at=recent,
                                      effects=[report("NEW444")]))
    await store.commit_turn(TurnWrite(contact=contact(3), session=None,
                                      at=now - timedelta(days=400), effects=[report("MID555")]))
    # the outbox: one sent, one failed, one pending, one cancelled by an erase
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": t}) for t in "abc"]))
    await store.commit_turn(TurnWrite(contact=contact(9), session=None, outbound=[
        NewOutbound("k1:c9", "sms", b"sealed", "advisory", {"text": "cancelled"})]))
    await store.commit_turn(TurnWrite(contact=contact(9), session=None, effects=[Erase()]))
    (first,) = await store.claim_outbound(now, 2, now + timedelta(minutes=1))  # one at a time
    await store.outbound_sent(first.id, external_id="SM1", segments=1, now=old)
    (second,) = await store.claim_outbound(now, 2, now + timedelta(minutes=1))
    await store.outbound_failed(second.id, error="21211", now=old)
    # replay keys: a whole day past the window, within the window's day, recent
    for n, (key, seen) in enumerate([("SMold", now - timedelta(days=3)),
                                     ("SMedge", now - timedelta(days=2, hours=1)),
                                     ("SMnew", now - timedelta(days=1))], start=4):
        await store.commit_turn(TurnWrite(contact=contact(n), session=None, at=seen,
                                          inbound_key=("sms", key)))
    # sessions: idle with a draft, idle at the menu, active
    for n, (step, data, at) in enumerate([
            ("report.area", {"draft": "report", "description": "x"}, now - timedelta(hours=2)),
            ("menu", {}, now - timedelta(hours=3)),
            ("report.area", {"draft": "report"}, now - timedelta(minutes=10))], start=10):
        await store.commit_turn(TurnWrite(contact=contact(n), at=at,
                                          session=Session(f"k1:c{n}", step, data, at)))
    year_and_a_bit = Retention(records=timedelta(days=450), replay_keys=timedelta(days=2),
                               sessions=timedelta(minutes=30))
    assert await store.purge(now, year_and_a_bit) == {
        "reports": 1, "outbox": 0, "replay_keys": 1, "sessions": 2, "drafts": 1, "audit": 0,
        "held": 0}
    assert await store.reference_exists("MID555")  # 400 days old: kept 450
    year = Retention(records=timedelta(days=365), replay_keys=timedelta(days=2),
                     sessions=timedelta(minutes=30))
    assert await store.purge(now, year) == {
        "reports": 1, "outbox": 3, "replay_keys": 0, "sessions": 0, "drafts": 0, "audit": 0,
        "held": 0}
    assert not await store.reference_exists("OLD222")
    assert not await store.reference_exists("MID555")
    assert await store.reference_exists("OLD333") and await store.reference_exists("NEW444")
    assert [r.ref for r in await store.list_reports()] == ["NEW444", "OLD333"]
    pending = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert [p.payload["text"] for p in pending] == ["c"]
    assert not await store.inbound_seen("sms", "SMold")
    assert await store.inbound_seen("sms", "SMedge") and await store.inbound_seen("sms", "SMnew")
    for n, session_kept in ((10, False), (11, False), (12, True)):
        convo = await store.load(f"k1:c{n}")
        assert convo is not None  # the contact stays, only its session goes
        assert (convo.session is not None) is session_kept
    assert await store.subscriptions("k1:c1") == ["goma"]
    assert await store.purge(now, year) == {
        "reports": 0, "outbox": 0, "replay_keys": 0, "sessions": 0, "drafts": 0, "audit": 0,
        "held": 0}
    # rows added after a purge take ids no kept row holds
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, at=now,
                                      effects=[report("NEW555"), report("NEW666")],
                                      outbound=[NewOutbound(f"k1:c{n}", "sms", b"sealed", "reply",
                                                            {"text": t})
                                                for n, t in ((2, "d"), (3, "e"))]))  # others'
    ids = [r.id for r in await store.list_reports()]
    assert len(set(ids)) == len(ids) == 4
    later = now + timedelta(minutes=2)  # the lease of "c" has run out
    queue = await store.claim_outbound(later, 10, later + timedelta(minutes=1))
    assert [q.payload["text"] for q in queue] == ["c", "d", "e"]
