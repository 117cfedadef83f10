"""The store contract, run against every backend (SQLite now; PostgreSQL joins
through the `store` fixture's params)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.records import Contact, NewOutbound, NewReport, ReportStatus, Session, TurnWrite
from bot.storage.ports import Store
from bot.storage.sqlite.store import SQLiteStore
from moderation.anonymise import restored

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend: Store = SQLiteStore(tmp_path / "contract.db")
    await backend.open()
    yield backend
    await backend.close()


def contact(n: int, **kw: object) -> Contact:
    base: dict[str, object] = dict(id=f"k1:c{n}", person=f"k1:p{n}", channel="sms",
                                   address_sealed=b"sealed-" + str(n).encode(), language="en",
                                   opted_out=False, created_at=NOW, last_inbound_at=NOW)
    base.update(kw)
    return Contact(**base)  # type: ignore[arg-type]


def report(ref: str, **kw: object) -> NewReport:
    base: dict[str, object] = dict(ref=ref, created_at=NOW, channel="sms", language="fr",
                                   category="threat", area="goma",
                                   description=restored("[phone] a appelé", ("phone",)),
                                   media=("photo",), contactable=True, contact_id="k1:c1",
                                   reporter="k1:p1", sensitive=False)
    base.update(kw)
    return NewReport(**base)  # type: ignore[arg-type]


async def test_schema_is_current(store: Store) -> None:
    assert await store.schema_version() >= 1
    assert await store.ping()


async def test_turn_round_trip(store: Store) -> None:
    assert await store.load("k1:c1") is None
    session = Session("k1:c1", "report.area", {"category": "threat", "n": 2}, NOW)
    await store.commit_turn(TurnWrite(contact=contact(1), session=session,
                                      inbound_key=("sms", "SM1"), subscribe=["goma", "beni"]))
    convo = await store.load("k1:c1")
    assert convo is not None
    assert convo.contact == contact(1)
    assert convo.session == session
    assert await store.inbound_seen("sms", "SM1")
    assert not await store.inbound_seen("telegram", "SM1")
    assert sorted(await store.subscriptions("k1:c1")) == ["beni", "goma"]
    later = NOW + timedelta(minutes=1)
    await store.commit_turn(TurnWrite(contact=contact(1, language="fr", last_inbound_at=later),
                                      session=None, unsubscribe=["goma"]))
    convo = await store.load("k1:c1")
    assert convo is not None and convo.session is None and convo.contact.language == "fr"
    assert convo.contact.created_at == NOW and convo.contact.last_inbound_at == later
    assert await store.subscriptions("k1:c1") == ["beni"]


async def test_reports(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      reports=[report("AAA222")]))
    await store.commit_turn(TurnWrite(contact=contact(2), session=None,
                                      reports=[report("BBB333", sensitive=True,
                                                      category="personnel_conduct")]))
    got = await store.report_by_ref("AAA222")
    assert got is not None
    assert (got.description, got.redactions, got.media) == ("[phone] a appelé", ("phone",),
                                                             ("photo",))
    assert got.status is ReportStatus.NEW and got.contactable
    assert await store.reference_exists("BBB333")
    assert [r.ref for r in await store.list_reports()] == ["AAA222"]
    assert {r.ref for r in await store.list_reports(include_sensitive=True)} == {"AAA222",
                                                                                 "BBB333"}
    assert await store.set_report_status("AAA222", ReportStatus.CLOSED, public_reply="Done",
                                         now=NOW)
    assert not await store.set_report_status("NOPE22", ReportStatus.CLOSED, public_reply=None,
                                             now=NOW)
    got = await store.report_by_ref("AAA222")
    assert got is not None and got.status is ReportStatus.CLOSED and got.public_reply == "Done"
    assert [r.ref for r in await store.list_reports(status=ReportStatus.NEW)] == []


async def test_advisories_latest_and_expiry(store: Store) -> None:
    await store.add_advisory(severity="info", areas=["goma", "beni"], texts={"en": "old"},
                             now=NOW - timedelta(hours=2))
    await store.add_advisory(severity="warning", areas=["goma"], texts={"en": "new"},
                             now=NOW - timedelta(hours=1), expires_at=NOW + timedelta(hours=1))
    latest = await store.latest_advisory("goma", NOW)
    assert latest is not None and latest.texts == {"en": "new"} and latest.areas == ("goma",)
    after = await store.latest_advisory("goma", NOW + timedelta(hours=2))
    assert after is not None and after.texts == {"en": "old"}
    beni = await store.latest_advisory("beni", NOW)
    assert beni is not None and beni.areas == ("beni", "goma")
    assert await store.latest_advisory("bunia", NOW) is None


async def test_a_deferred_send_keeps_its_reason_but_spends_no_try(store: Store) -> None:
    """``outbound_retry(counted=False)``: the channel was down."""
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": "long"})]))
    now = datetime.now(UTC)
    (first,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    await store.outbound_retry(first.id, error="channel down", at=now, counted=False)
    (again,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert again.attempts == 0
    await store.outbound_retry(again.id, error="channel down", at=now, parts_sent=2,
                               segments_sent=3, counted=False)
    (third,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert third.attempts == 0
    assert (third.payload["parts_sent"], third.payload["segments_sent"]) == (2, 3)
    await store.outbound_retry(third.id, error="HTTP 500", at=now)
    (fourth,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert fourth.attempts == 1


async def test_outbox_lifecycle(store: Store) -> None:
    out = [NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": f"m{i}"}, priority=i)
           for i in range(3)]
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=out))
    assert await store.outbox_depth() == 3
    now = datetime.now(UTC)
    due = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert [d.payload["text"] for d in due] == ["m2", "m1", "m0"]  # priority first
    assert due[0].last_inbound_at == NOW and not due[0].opted_out
    assert await store.claim_outbound(now, 10, now + timedelta(minutes=1)) == []  # leased
    first, second, third = due
    await store.outbound_sent(first.id, external_id="SMx", segments=2, now=NOW)
    await store.outbound_retry(second.id, error="HTTP 500", at=now + timedelta(minutes=5))
    assert await store.outbox_depth() == 2  # one to retry, one still leased
    # the lease of the third runs out (its sender died): it is claimed again
    again = await store.claim_outbound(now + timedelta(minutes=2), 10,
                                       now + timedelta(minutes=3))
    assert [d.id for d in again] == [third.id]
    await store.outbound_failed(third.id, error="21211 invalid number", now=NOW)
    later = await store.claim_outbound(now + timedelta(minutes=6), 10,
                                       now + timedelta(minutes=7))
    assert [(d.id, d.attempts) for d in later] == [(second.id, 1)]
    assert await store.delivery_status("sms", "SMx", "delivered", None)
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "telegram", b"sealed", "reply", {"text": "tg"})]))
    assert await store.claim_outbound(now + timedelta(minutes=8), 10,
                                      now + timedelta(minutes=9), channels=["whatsapp"]) == []
    assert await store.claim_outbound(now + timedelta(minutes=8), 10,
                                      now + timedelta(minutes=9), channels=[]) == []
    tg = await store.claim_outbound(now + timedelta(minutes=8), 10,
                                    now + timedelta(minutes=9), channels=["telegram"])
    assert [d.payload["text"] for d in tg] == ["tg"]
    assert not await store.delivery_status("sms", "SMnope", "delivered", None)
    await store.set_opted_out("k1:c1", True)
    convo = await store.load("k1:c1")
    assert convo is not None and convo.contact.opted_out


async def test_a_claim_mixes_expired_leases_and_due_messages_in_priority_order(
        store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": "urgent"}, priority=10)]))
    now = datetime.now(UTC)
    assert len(await store.claim_outbound(now, 10, now + timedelta(seconds=30))) == 1
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "sms", b"sealed", "advisory", {"text": f"a{i}"})
        for i in range(3)]))
    later = now + timedelta(minutes=1)  # the urgent one's lease has run out
    due = await store.claim_outbound(later, 2, later + timedelta(seconds=30))
    assert [d.payload["text"] for d in due] == ["urgent", "a0"]
    rest = await store.claim_outbound(later, 10, later + timedelta(seconds=30))
    assert [d.payload["text"] for d in rest] == ["a1", "a2"]


def test_a_claim_reads_the_queue_in_order_instead_of_sorting_it(tmp_path: Path) -> None:
    """An advisory to 100,000 people is 100,000 pending rows: a claim must read
    its next few from an index, not sort them all (which held the write lock
    for 56 ms a claim at that size)."""
    import sqlite3

    from bot.storage.sqlite.schema import MIGRATIONS
    from bot.storage.sqlite.store import claim_query

    conn = sqlite3.connect(tmp_path / "plan.db")
    for script in MIGRATIONS:
        conn.executescript(script)
    plan = conn.execute("EXPLAIN QUERY PLAN " + claim_query(1),
                        ["t", "sms", 5, "t", "sms", 5, 5]).fetchall()
    details = [str(row[3]) for row in plan]
    assert "SCAN outbox USING INDEX outbox_queue" in details, details
    assert any(d.startswith("SEARCH outbox USING INDEX outbox_leased") for d in details)
    assert not any(d.startswith("SCAN outbox") and "outbox_queue" not in d for d in details)
    conn.close()


def test_depth_and_status_callbacks_read_indexes(tmp_path: Path) -> None:
    """The outbox depth counts the two partial indexes and a status callback finds
    its message by the index of sent ones: neither scans the table."""
    import sqlite3

    from bot.storage.sqlite.schema import MIGRATIONS
    from bot.storage.sqlite.store import DELIVERY_QUERY, DEPTH_QUERY

    conn = sqlite3.connect(tmp_path / "plan.db")
    for script in MIGRATIONS:
        conn.executescript(script)
    depth = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + DEPTH_QUERY)]
    assert "SCAN outbox USING INDEX outbox_queue" in depth, depth
    assert "SCAN outbox USING INDEX outbox_leased" in depth, depth
    assert "SCAN outbox" not in depth, depth
    delivery = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + DELIVERY_QUERY,
                                               ["delivered", None, "sms", "SM1"])]
    assert delivery == ["SEARCH outbox USING INDEX outbox_external (channel=? AND external_id=?)"]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"
                                          " AND tbl_name = 'outbox'")}
    assert indexes == {"outbox_queue", "outbox_leased", "outbox_external"}
    conn.close()


async def test_erase_removes_contact_and_unlinks(store: Store) -> None:
    await store.commit_turn(TurnWrite(
        contact=contact(1), session=Session("k1:c1", "menu", {}, NOW), subscribe=["goma"],
        reports=[report("CCC444")],
        outbound=[NewOutbound("k1:c1", "sms", b"sealed", "advisory", {"text": "x"})]))
    await store.commit_turn(TurnWrite(
        contact=contact(1), session=None, erase=True,
        outbound=[NewOutbound(None, "sms", b"sealed", "reply", {"text": "bye"})]))
    assert await store.load("k1:c1") is None
    assert await store.subscriptions("k1:c1") == []
    got = await store.report_by_ref("CCC444")
    assert got is not None and not got.contactable
    now = datetime.now(UTC)
    due = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert [d.payload["text"] for d in due] == ["bye"]  # the pending advisory is cancelled


async def test_concurrent_turns_are_all_durable(store: Store) -> None:
    writes = [TurnWrite(contact=contact(i), session=Session(f"k1:c{i}", "menu", {"i": i}, NOW),
                        inbound_key=("sms", f"SM{i}")) for i in range(300)]
    await asyncio.gather(*(store.commit_turn(w) for w in writes))
    for i in (0, 150, 299):
        convo = await store.load(f"k1:c{i}")
        assert convo is not None and convo.session is not None
        assert convo.session.data == {"i": i}


async def test_turns_begun_together_each_get_their_own_answer(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "begin.db")
    await first.open()
    for i in (1, 2, 3):
        await first.commit_turn(TurnWrite(contact=contact(i), inbound_key=("sms", f"SM{i}"),
                                          session=Session(f"k1:c{i}", "menu", {"i": i}, NOW)))
    await first.close()
    store = SQLiteStore(tmp_path / "begin.db")  # nothing in memory: all from the file
    await store.open()
    replay, fresh, stranger, keyless, other_channel = await asyncio.gather(
        store.begin_turn("k1:c1", ("sms", "SM1")), store.begin_turn("k1:c2", ("sms", "SM9")),
        store.begin_turn("k1:c7", ("sms", "SM7")), store.begin_turn("k1:c3", None),
        store.begin_turn("k1:c8", ("whatsapp", "SM2")))
    assert replay == (True, None)
    assert fresh[0] is False and fresh[1] is not None and fresh[1].session is not None
    assert fresh[1].session.data == {"i": 2}
    assert stranger == (False, None)
    assert keyless[0] is False and keyless[1] is not None
    assert keyless[1].contact.id == "k1:c3"
    assert other_channel == (False, None)  # a message id counts per channel
    await store.close()


async def test_a_replay_is_caught_by_the_commit_and_changes_nothing(store: Store) -> None:
    session = Session("k1:c1", "report.area", {"category": "threat"}, NOW)
    assert await store.commit_turn(TurnWrite(contact=contact(1), session=session,
                                             inbound_key=("sms", "SM1")))
    seen, convo = await store.begin_turn("k1:c1", ("sms", "SM1"))
    assert seen or convo is not None  # either it says so now, or the commit will
    replay = TurnWrite(contact=contact(1, language="fr"),
                       session=Session("k1:c1", "menu", {}, NOW), inbound_key=("sms", "SM1"),
                       reports=[report("RPL111")], subscribe=["goma"],
                       outbound=[NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": "x"})])
    fresh = TurnWrite(contact=contact(2), session=None, inbound_key=("sms", "SM2"))
    stored = await asyncio.gather(store.commit_turn(replay), store.commit_turn(fresh))
    assert stored == [False, True]
    convo = await store.load("k1:c1")
    assert convo is not None and convo.session == session and convo.contact.language == "en"
    assert not await store.reference_exists("RPL111")
    assert await store.subscriptions("k1:c1") == []
    now = datetime.now(UTC)
    assert await store.claim_outbound(now, 10, now + timedelta(minutes=1)) == []
    assert (await store.begin_turn("k1:c1", ("sms", "SM3")))[1] == convo


async def test_what_a_turn_reads_first_follows_erase_and_opt_out(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      inbound_key=("sms", "SM1")))
    await store.commit_turn(TurnWrite(contact=contact(2), session=None,
                                      inbound_key=("sms", "SM2")))
    await store.set_opted_out("k1:c1", True)  # a send said so (STOP at Twilio, bot blocked)
    _seen, convo = await store.begin_turn("k1:c1", ("sms", "SM5"))
    assert convo is not None and convo.contact.opted_out
    await store.commit_turn(TurnWrite(contact=contact(2), session=None, erase=True,
                                      inbound_key=("sms", "SM6")))
    assert await store.begin_turn("k1:c2", ("sms", "SM7")) == (False, None)


async def test_the_memory_of_recent_conversations_is_bounded(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bounded.db", recent=2)
    await store.open()
    for i in (1, 2, 3):
        await store.commit_turn(TurnWrite(contact=contact(i), inbound_key=("sms", f"SM{i}"),
                                          session=Session(f"k1:c{i}", "menu", {"i": i}, NOW)))
    assert len(store._recent) == 2 and "k1:c1" not in store._recent
    _seen, convo = await store.begin_turn("k1:c1", None)  # read back from the file
    assert convo is not None and convo.session is not None and convo.session.data == {"i": 1}
    await store.close()


def test_the_replay_check_searches_its_index_instead_of_scanning(tmp_path: Path) -> None:
    """The duplicate check runs for every webhook: a full scan of a table that
    grows with every message would slow the bot down day by day."""
    import sqlite3

    from bot.storage.sqlite.schema import MIGRATIONS
    from bot.storage.sqlite.store import seen_query

    conn = sqlite3.connect(tmp_path / "plan.db")
    for script in MIGRATIONS:
        conn.executescript(script)
    plan = conn.execute("EXPLAIN QUERY PLAN " + seen_query(3), ["sms", "x"] * 3).fetchall()
    details = " | ".join(str(row[3]) for row in plan)
    assert "SEARCH s USING COVERING INDEX" in details, details
    assert "SCAN inbound_seen" not in details and "SCAN s" not in details, details
    conn.close()


async def test_one_bad_turn_does_not_sink_its_batch(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      reports=[report("DDD555")]))
    good = [TurnWrite(contact=contact(i), session=None, reports=[report(f"GOOD{i:02d}")])
            for i in range(2, 6)]
    bad = TurnWrite(contact=contact(9), session=None, reports=[report("DDD555")])
    results = await asyncio.gather(*(store.commit_turn(w) for w in [*good, bad]),
                                   return_exceptions=True)
    assert [isinstance(r, Exception) for r in results] == [False] * 4 + [True]
    assert "DDD555" not in str(results[-1])
    for i in range(2, 6):
        assert await store.reference_exists(f"GOOD{i:02d}")
    assert await store.load("k1:c9") is None


async def test_reopen_keeps_everything(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "reopen.db")
    await first.open()
    await first.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      reports=[report("EEE666")]))
    await first.close()
    second = SQLiteStore(tmp_path / "reopen.db")
    await second.open()
    assert await second.reference_exists("EEE666")
    await second.close()
