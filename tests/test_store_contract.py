"""The store contract, run against every backend (memory and SQLite; PostgreSQL
joins through the `store` fixture's params). What only SQLite does (query
plans, settings, group reads, its memory of recent conversations) is checked
in tests/test_sqlite_*.py; the contract of timers and of retention, on the same
backends, in tests/test_due_contract.py and tests/test_retention_contract.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain.effects import Erase, OptOut, SetLanguage, SubmitReport, Subscribe, Unsubscribe
from bot.domain.records import Contact, NewOutbound, ReportStatus, Session, TurnWrite
from bot.storage import store_for
from bot.storage.ports import Store
from bot.storage.sqlite.store import SQLiteStore
from moderation.anonymise import restored

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend = (store_for("memory://") if request.param == "memory"
               else SQLiteStore(tmp_path / "contract.db"))
    await backend.open()
    yield backend
    await backend.close()


def contact(n: int, **kw: object) -> Contact:
    base: dict[str, object] = dict(id=f"k1:c{n}", person=f"k1:p{n}", channel="sms",
                                   address_sealed=b"sealed-" + str(n).encode(), language="en",
                                   opted_out=False, created_at=NOW, last_inbound_at=NOW)
    base.update(kw)
    return Contact(**base)  # type: ignore[arg-type]


def report(ref: str, **kw: object) -> SubmitReport:
    base: dict[str, object] = dict(ref=ref, category="threat", area="goma",
                                   description=restored("[phone] a appelé", ("phone",)),
                                   media=("photo",), contactable=True)
    base.update(kw)
    return SubmitReport(**base)  # type: ignore[arg-type]


async def test_schema_is_current(store: Store) -> None:
    assert await store.schema_version() >= 1
    assert await store.ping()


async def test_turn_round_trip(store: Store) -> None:
    assert await store.load("k1:c1") is None
    session = Session("k1:c1", "report.area", {"category": "threat", "n": 2}, NOW)
    await store.commit_turn(TurnWrite(contact=contact(1), session=session,
                                      inbound_key=("sms", "SM1"),
                                      effects=[Subscribe("goma"), Subscribe("beni")]))
    convo = await store.load("k1:c1")
    assert convo is not None
    assert convo.contact == contact(1)
    assert convo.session == replace(session, updated_at=NOW + MINUTE)  # the next minute
    assert await store.inbound_seen("sms", "SM1")
    assert not await store.inbound_seen("telegram", "SM1")
    assert sorted(await store.subscriptions("k1:c1")) == ["beni", "goma"]
    later = NOW + timedelta(minutes=1)
    await store.commit_turn(TurnWrite(contact=contact(1, language="fr", last_inbound_at=later),
                                      session=None, effects=[Unsubscribe("goma")]))
    convo = await store.load("k1:c1")
    assert convo is not None and convo.session is None and convo.contact.language == "fr"
    assert convo.contact.created_at == NOW and convo.contact.last_inbound_at == later
    assert await store.subscriptions("k1:c1") == ["beni"]


async def test_reports(store: Store) -> None:
    sensitive = frozenset({"personnel_conduct"})
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, language="fr",
                                      effects=[report("AAA222")], sensitive=sensitive))
    await store.commit_turn(TurnWrite(contact=contact(2), session=None, language="fr",
                                      effects=[report("BBB333", category="personnel_conduct")],
                                      sensitive=sensitive))
    got = await store.report_by_ref("AAA222")
    assert got is not None
    assert (got.description, got.redactions, got.media) == ("[phone] a appelé", ("phone",),
                                                             ("photo",))
    assert got.status is ReportStatus.NEW and got.contactable
    # the middle of its minute: no other table keeps that instant
    assert (got.language, got.channel, got.created_at) == ("fr", "sms",
                                                           NOW + timedelta(seconds=30))
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
    for i in range(3):  # to three people (one person's leave one at a time: below)
        await store.commit_turn(TurnWrite(contact=contact(1 + i), session=None, outbound=[
            NewOutbound(f"k1:c{1 + i}", "sms", b"sealed", "reply", {"text": f"m{i}"},
                        priority=i)]))
    assert await store.outbox_depth() == 3
    now = datetime.now(UTC)
    due = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert [d.payload["text"] for d in due] == ["m2", "m1", "m0"]  # priority first
    assert all(d.last_inbound_at == NOW and not d.opted_out for d in due)
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
    await store.commit_turn(TurnWrite(contact=contact(5, channel="telegram"), session=None,
                                      outbound=[NewOutbound("k1:c5", "telegram", b"sealed",
                                                            "reply", {"text": "tg"})]))
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
    for i in range(3):  # to others: the urgent one holds back none of them
        await store.commit_turn(TurnWrite(contact=contact(2 + i), session=None, outbound=[
            NewOutbound(f"k1:c{2 + i}", "sms", b"sealed", "advisory", {"text": f"a{i}"})]))
    later = now + timedelta(minutes=1)  # the urgent one's lease has run out
    due = await store.claim_outbound(later, 2, later + timedelta(seconds=30))
    assert [d.payload["text"] for d in due] == ["urgent", "a0"]
    rest = await store.claim_outbound(later, 10, later + timedelta(seconds=30))
    assert [d.payload["text"] for d in rest] == ["a1", "a2"]


async def test_erase_removes_contact_and_unlinks(store: Store) -> None:
    await store.commit_turn(TurnWrite(
        contact=contact(1), session=Session("k1:c1", "menu", {}, NOW),
        effects=[Subscribe("goma"), report("CCC444")],
        outbound=[NewOutbound("k1:c1", "sms", b"sealed", "advisory", {"text": "x"})]))
    await store.commit_turn(TurnWrite(
        contact=contact(1), session=None, effects=[Erase()],
        outbound=[NewOutbound(None, "sms", b"sealed", "reply", {"text": "bye"})]))
    assert await store.load("k1:c1") is None
    assert await store.subscriptions("k1:c1") == []
    got = await store.report_by_ref("CCC444")
    assert got is not None and not got.contactable
    assert await store.reporter_of("CCC444") is None  # the reach link is destroyed
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


async def test_a_replay_is_caught_by_the_commit_and_changes_nothing(store: Store) -> None:
    session = Session("k1:c1", "report.area", {"category": "threat"}, NOW)
    assert await store.commit_turn(TurnWrite(contact=contact(1), session=session,
                                             inbound_key=("sms", "SM1")))
    seen, convo = await store.begin_turn("k1:c1", ("sms", "SM1"))
    assert seen or convo is not None  # either it says so now, or the commit will
    replay = TurnWrite(contact=contact(1, language="fr"),
                       session=Session("k1:c1", "menu", {}, NOW), inbound_key=("sms", "SM1"),
                       effects=[report("RPL111"), Subscribe("goma")],
                       outbound=[NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": "x"})])
    fresh = TurnWrite(contact=contact(2), session=None, inbound_key=("sms", "SM2"))
    stored = await asyncio.gather(store.commit_turn(replay), store.commit_turn(fresh))
    assert stored == [False, True]
    convo = await store.load("k1:c1")
    assert convo is not None and convo.contact.language == "en"
    assert convo.session == replace(session, updated_at=NOW + MINUTE)
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
    await store.commit_turn(TurnWrite(contact=contact(2), session=None, effects=[Erase()],
                                      inbound_key=("sms", "SM6")))
    assert await store.begin_turn("k1:c2", ("sms", "SM7")) == (False, None)


async def test_one_bad_turn_does_not_sink_its_batch(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      effects=[report("DDD555")]))
    good = [TurnWrite(contact=contact(i), session=None, effects=[report(f"GOOD{i:02d}")])
            for i in range(2, 6)]
    bad = TurnWrite(contact=contact(9), session=None, effects=[report("DDD555")])
    results = await asyncio.gather(*(store.commit_turn(w) for w in [*good, bad]),
                                   return_exceptions=True)
    assert [isinstance(r, Exception) for r in results] == [False] * 4 + [True]
    assert "DDD555" not in str(results[-1])
    for i in range(2, 6):
        assert await store.reference_exists(f"GOOD{i:02d}")
    assert await store.load("k1:c9") is None


async def test_a_change_of_language_or_opt_out_rewrites_a_kept_contact(store: Store) -> None:
    """``keep_contact`` leaves the stored row alone, unless an effect changed it."""
    await store.commit_turn(TurnWrite(contact=contact(1), session=None))
    later = NOW + timedelta(seconds=65)
    await store.commit_turn(TurnWrite(contact=contact(1, last_inbound_at=later), session=None,
                                      keep_contact=True, at=later))
    convo = await store.load("k1:c1")
    assert convo is not None and convo.contact.last_inbound_at == NOW
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, keep_contact=True,
                                      at=later, effects=[SetLanguage("sw"), OptOut()]))
    convo = await store.load("k1:c1")
    assert convo is not None
    assert (convo.contact.language, convo.contact.opted_out) == ("sw", True)
    assert convo.contact.last_inbound_at == NOW + MINUTE  # to the minute, rounded down
    assert (await store.begin_turn("k1:c1", None))[1] == convo


async def test_schema_version_is_the_backends_newest(store: Store) -> None:
    from bot.storage.sqlite.schema import MIGRATIONS

    expected = len(MIGRATIONS) if isinstance(store, SQLiteStore) else 1
    assert await store.schema_version() == expected


async def test_session_data_is_kept_as_json_in_utc(store: Store) -> None:
    """What a session holds comes back as the store keeps it, not as it was handed in:
    JSON (a tuple becomes a list, a number key a string), the time in UTC; and a later
    change to the object handed in changes nothing stored."""
    data: dict[object, object] = {"media": ("photo",), 3: "three"}
    eastern = NOW.astimezone(timezone(timedelta(hours=3)))
    session = Session("k1:c1", "report.area", data, eastern)  # type: ignore[arg-type]
    await store.commit_turn(TurnWrite(contact=contact(1), session=session))
    data["media"] = ("changed",)
    convo = await store.load("k1:c1")
    assert convo is not None and convo.session is not None
    assert convo.session.data == {"media": ["photo"], "3": "three"}
    assert convo.session.updated_at == NOW + MINUTE
    assert convo.session.updated_at.utcoffset() == timedelta(0)


async def test_an_empty_answer_or_error_replaces_the_old_one(store: Store) -> None:
    """``None`` keeps what is stored; an empty string is a value (SQL's COALESCE)."""
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, effects=[report("CCC444")]))
    await store.set_report_status("CCC444", ReportStatus.IN_REVIEW, public_reply="Done", now=NOW)
    await store.set_report_status("CCC444", ReportStatus.CLOSED, public_reply=None, now=NOW)
    got = await store.report_by_ref("CCC444")
    assert got is not None and got.public_reply == "Done"
    await store.set_report_status("CCC444", ReportStatus.CLOSED, public_reply="", now=NOW)
    got = await store.report_by_ref("CCC444")
    assert got is not None and got.public_reply == ""


async def test_an_advisory_names_each_area_once(store: Store) -> None:
    await store.add_advisory(severity="info", areas=["goma", "beni", "goma"],
                             texts={"en": "twice"}, now=NOW)
    latest = await store.latest_advisory("goma", NOW)
    assert latest is not None and latest.areas == ("beni", "goma")


async def test_reports_filter_by_category_and_limit(store: Store) -> None:
    for n, (ref, category) in enumerate([("DDD222", "threat"), ("DDD333", "displacement"),
                                         ("DDD444", "threat")]):
        await store.commit_turn(TurnWrite(contact=contact(n), session=None,
                                          at=NOW + timedelta(minutes=n),
                                          effects=[report(ref, category=category)]))
    threats = await store.list_reports(category="threat")
    assert [r.ref for r in threats] == ["DDD444", "DDD222"]  # newest first
    assert [r.ref for r in await store.list_reports(limit=1)] == ["DDD444"]


async def test_a_released_claim_is_due_again_untried(store: Store) -> None:
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, outbound=[
        NewOutbound("k1:c1", "sms", b"sealed", "reply", {"text": "back"})]))
    now = datetime.now(UTC)
    (claimed,) = await store.claim_outbound(now, 10, now + timedelta(hours=1))
    await store.outbound_release(claimed.id)
    (again,) = await store.claim_outbound(now, 10, now + timedelta(hours=1))
    assert again.id == claimed.id and again.attempts == 0


async def queued(store: Store, n: int, texts: list[str], *, priority: int = 0) -> None:
    await store.commit_turn(TurnWrite(contact=contact(n), session=None, outbound=[
        NewOutbound(f"k1:c{n}", "sms", b"sealed", "reply", {"text": t}, priority=priority)
        for t in texts]))


async def texts(store: Store, at: datetime, limit: int = 10) -> list[str]:
    claimed = await store.claim_outbound(at, limit, at + timedelta(hours=1))
    return [str(d.payload["text"]) for d in claimed]


async def test_a_person_waits_for_their_message_that_backs_off(store: Store) -> None:
    """A message that failed and waits to be tried again holds back its person's
    later ones, while it waits and once it is due (it leaves first); nobody
    else's. Failing on the old claim, which handed out "p1-b" during the backoff."""
    await queued(store, 1, ["p1-a", "p1-b"])
    await queued(store, 2, ["p2-a"])
    now = datetime.now(UTC)
    first = await store.claim_outbound(now, 1, now + timedelta(minutes=1))
    assert [d.payload["text"] for d in first] == ["p1-a"]
    await store.outbound_retry(first[0].id, error="twilio 20500: server error 500",
                               at=now + timedelta(minutes=5))
    (other,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert other.payload["text"] == "p2-a"  # p1-b waits behind p1-a's backoff
    await store.outbound_sent(other.id, external_id="SM2", segments=1, now=NOW)
    await queued(store, 1, ["p1-c"], priority=10)  # not even a reply overtakes it
    assert await texts(store, now + timedelta(minutes=2)) == []
    assert await texts(store, now + timedelta(minutes=6)) == ["p1-a"]  # due: it goes first


async def test_a_person_waits_for_their_leased_message(store: Store) -> None:
    """A message being sent, or whose sender died with it, holds back its person's
    later ones until it is marked; its lease running out makes it due itself."""
    await queued(store, 1, ["p1-a"])
    start = datetime.now(UTC)
    (a,) = await store.claim_outbound(start, 10, start + timedelta(minutes=1))
    assert a.payload["text"] == "p1-a"
    await queued(store, 1, ["p1-b", "p1-c"])
    await queued(store, 2, ["p2-a"])
    now = datetime.now(UTC)
    assert await texts(store, now) == ["p2-a"]
    (again,) = await store.claim_outbound(now + timedelta(minutes=2), 10,
                                          now + timedelta(minutes=3))  # its lease ran out
    assert again.id == a.id
    (held,) = await store.claim_outbound(now + timedelta(minutes=4), 10,
                                         now + timedelta(minutes=5))  # ran out again
    assert held.payload["text"] == "p1-a"
    await store.outbound_sent(held.id, external_id="SM1", segments=1, now=NOW)
    assert await texts(store, now + timedelta(minutes=4)) == ["p1-b"]  # one at a time


async def test_a_deferred_or_released_message_keeps_its_place(store: Store) -> None:
    """A message deferred without a try (its channel down) holds its person's later
    ones back as a retried one does, even a reply; one given back untried (a stop)
    holds nothing back, and may be overtaken by a later one of higher priority."""
    await queued(store, 1, ["p1-a", "p1-b"])
    now = datetime.now(UTC)
    (a,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    await store.outbound_retry(a.id, error="twilio: transport ClientConnectorError", at=now,
                               counted=False)
    await queued(store, 1, ["p1-reply"], priority=10)
    assert await texts(store, datetime.now(UTC)) == ["p1-a"]  # due again, and alone
    await store.outbound_sent(a.id, external_id="SM1", segments=1, now=NOW)
    later = datetime.now(UTC)
    (b,) = await store.claim_outbound(later, 10, later + timedelta(minutes=1))
    assert b.payload["text"] == "p1-reply"  # never tried: the reply overtakes p1-b
    await store.outbound_release(b.id)  # given back untried (a stop): it keeps its place
    assert await texts(store, datetime.now(UTC)) == ["p1-reply"]


async def test_a_lease_is_renewed_only_by_its_holder(store: Store) -> None:
    for n, text in enumerate("abc", start=1):
        await queued(store, n, [text])
    now = datetime.now(UTC)
    lease = now + timedelta(minutes=1)
    a, b, c = await store.claim_outbound(now, 10, lease)
    longer = now + timedelta(minutes=10)
    assert await store.renew_outbound([a.id, b.id], lease, longer) == {a.id, b.id}
    # a's and b's leases now end later: at minute 2 only c is claimed again
    (again,) = await store.claim_outbound(now + timedelta(minutes=2), 10,
                                          now + timedelta(minutes=3))
    assert again.id == c.id
    # c was claimed again with another lease: the old holder cannot renew it
    assert await store.renew_outbound([c.id], lease, longer) == set()
    assert await store.renew_outbound([c.id], now + timedelta(minutes=3), longer) == {c.id}
    # nor a message marked since, nor under a lease it does not hold
    await store.outbound_sent(a.id, external_id="SM1", segments=1, now=NOW)
    assert await store.renew_outbound([a.id, b.id], longer, longer + timedelta(minutes=1)) \
        == {b.id}
    assert await store.renew_outbound([b.id], lease, longer) == set()
    assert await store.renew_outbound([], lease, longer) == set()

