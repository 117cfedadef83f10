"""The store contract of unlinkability (issue 11), on every backend of the store
contract: a report leads back to its author only through its reach link, which erase
destroys; a message gone through forgets what it said and to whom; stored times are
coarse; subscriptions keep their order without a time."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.effects import Erase, Subscribe, Unsubscribe
from bot.domain.records import NewOutbound, ReportStatus, Session, TurnWrite
from bot.storage.ports import Store
from bot.storage.sqlite.store import SQLiteStore
from tests.test_store_contract import MINUTE, contact, report
from tests.test_store_contract import store as store  # the contract's backends


def kept_outbox(store: Store) -> list[dict[str, Any]]:
    """What the backend keeps of each outbox row (read behind its back)."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store._path) as raw:
            rows = raw.execute("SELECT id, contact_id, address_sealed, payload, status, segments"
                               " FROM outbox ORDER BY id").fetchall()
        return [dict(id=r[0], contact_id=r[1], address_sealed=r[2], payload=r[3], status=r[4],
                     segments=r[5]) for r in rows]
    from bot.storage.memory import MemoryStore

    assert isinstance(store, MemoryStore)
    return [dict(id=q.id, contact_id=q.contact_id, address_sealed=q.address_sealed,
                 payload="{}" if not q.payload else str(q.payload), status=q.status,
                 segments=q.segments) for q in store._outbox.values()]


async def test_only_a_contactable_report_leads_back_to_its_author(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, effects=[
        report("AAA222"), report("AAA333")]))
    await store.commit_turn(TurnWrite(contact=contact(2), session=None, effects=[
        report("BBB222", contactable=False)]))
    await store.commit_turn(TurnWrite(contact=contact(3), session=None, effects=[
        report("CCC222")]))
    assert await store.reporter_of("AAA222") == await store.reporter_of("AAA333") == "k1:c1"
    assert await store.reporter_of("BBB222") is None  # said "No": nothing kept
    assert await store.reporter_of("NOPE22") is None
    await store.commit_turn(TurnWrite(contact=contact(3), session=None, effects=[Erase()]))
    assert await store.reporter_of("CCC222") is None
    assert await store.reporter_of("AAA222") == "k1:c1"  # someone else's erase: kept
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, effects=[Erase()]))
    for ref in ("AAA222", "AAA333"):
        assert await store.reporter_of(ref) is None
        got = await store.report_by_ref(ref)
        assert got is not None and not got.contactable
    # writing again makes a new contact, which no old report leads to
    await store.commit_turn(TurnWrite(contact=contact(1), session=None))
    assert await store.reporter_of("AAA222") is None


async def test_a_message_gone_through_forgets_what_it_said_and_to_whom(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "sms", b"sealed", "reply", {"sealed": f"said {i}"})
        for i in range(3)]))
    now = datetime.now(UTC)
    (sent,) = await store.claim_outbound(now, 10, now + MINUTE)  # one a person at a time
    await store.outbound_sent(sent.id, external_id="SMx", segments=2, now=now)
    (failed,) = await store.claim_outbound(now, 10, now + MINUTE)
    await store.outbound_failed(failed.id, error="21211", now=now)
    (waiting,) = await store.claim_outbound(now, 10, now + MINUTE)
    await store.outbound_release(waiting.id)
    kept = {row["id"]: row for row in kept_outbox(store)}
    for gone in (sent, failed):
        row = kept[gone.id]
        assert (row["contact_id"], row["address_sealed"], row["payload"]) == (None, None, "{}")
    assert (kept[sent.id]["status"], kept[sent.id]["segments"]) == ("sent", 2)
    assert kept[failed.id]["status"] == "failed"
    assert kept[waiting.id]["contact_id"] == "k1:c1" and "said 2" in kept[waiting.id]["payload"]
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, effects=[Erase()]))
    row = kept_outbox(store)[-1]
    assert (row["status"], row["contact_id"], row["payload"]) == ("cancelled", None, "{}")


async def test_stored_times_are_coarse(store: Store) -> None:
    moment = datetime(2026, 11, 20, 12, 3, 45, 123456, tzinfo=UTC)
    minute = datetime(2026, 11, 20, 12, 3, tzinfo=UTC)
    await store.commit_turn(TurnWrite(
        contact=contact(1, created_at=moment, last_inbound_at=moment), at=moment,
        session=Session("k1:c1", "menu", {}, moment), effects=[report("TTT222")]))
    convo = await store.load("k1:c1")
    assert convo is not None and convo.session is not None
    assert convo.contact.created_at == convo.contact.last_inbound_at == minute
    assert convo.session.updated_at == minute + MINUTE
    got = await store.report_by_ref("TTT222")
    assert got is not None and got.created_at == got.updated_at == minute + timedelta(seconds=30)
    later = moment + timedelta(minutes=7)
    await store.set_report_status("TTT222", ReportStatus.IN_REVIEW, public_reply=None, now=later)
    got = await store.report_by_ref("TTT222")
    assert got is not None and got.updated_at == minute + timedelta(minutes=7, seconds=30)


async def test_subscriptions_keep_their_order_without_a_time(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      effects=[Subscribe("bunia"), Subscribe("goma")]))
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      effects=[Unsubscribe("bunia"), Subscribe("beni")]))
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      effects=[Subscribe("bunia"), Subscribe("goma")]))
    assert await store.subscriptions("k1:c1") == ["goma", "beni", "bunia"]


def test_an_alerts_instant_is_never_a_coarse_times_instant() -> None:
    """An urgent alert keeps its second, but never a whole or a half minute: those are
    the instants of contacts and sessions (:00) and reports (:30), so a report raised
    at 10:04:00 does not equal its author's new contact row's 10:04 (the attacker's
    join, tests/test_unlinkable.py, found exactly that)."""
    from bot.storage.coarse import alert_time, contact_time, report_time, session_time

    for second in range(60):
        moment = datetime(2026, 12, 4, 10, 4, second, 500_000, tzinfo=UTC)
        raised = alert_time(moment)
        assert raised not in (contact_time(moment), session_time(moment), report_time(moment))
        assert raised.microsecond == 0 and abs((raised - moment).total_seconds()) < 1.5
