"""The store's part in a key rotation (bot.storage.keys), run against every
backend like tests/test_store_contract.py: contacts moved to new pseudonyms
with everything that is theirs, and sealed values re-sealed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.effects import Erase, SubmitReport, Subscribe
from bot.domain.records import Contact, NewOutbound, Session, TurnWrite
from bot.storage import store_for
from bot.storage.keys import (
    CONTACT_ADDRESS,
    OUTBOX_ADDRESS,
    OUTBOX_PAYLOAD,
    REPORT_REACH,
    TIMER_SEALED,
    SealedContact,
)
from bot.storage.ports import Store
from bot.storage.sqlite.store import SQLiteStore
from moderation.anonymise import restored

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend = (store_for("memory://") if request.param == "memory"
               else SQLiteStore(tmp_path / "keys.db"))
    await backend.open()
    yield backend
    await backend.close()


def contact(cid: str, person: str = "k1:p1", **kw: object) -> Contact:
    base: dict[str, object] = dict(id=cid, person=person, channel="sms",
                                   address_sealed=b"sealed-" + cid.encode(), language="fr",
                                   opted_out=False, created_at=NOW, last_inbound_at=NOW)
    base.update(kw)
    return Contact(**base)  # type: ignore[arg-type]


def reply(cid: str | None, text: str) -> NewOutbound:
    return NewOutbound(cid, "sms", b"sealed-out-" + text.encode(), "reply", {"text": text})


async def a_conversation(store: Store, cid: str = "k1:old") -> None:
    """A contact with a session, two subscriptions, a contactable report and a
    pending reply (begin_turn first, so SQLite remembers it as a turn would)."""
    await store.begin_turn(cid, None)
    await store.commit_turn(TurnWrite(
        contact=contact(cid), session=Session(cid, "report.area", {"category": "threat"}, NOW),
        effects=[Subscribe("goma"), Subscribe("beni"),
                 SubmitReport(ref="KEY234", category="threat", area="goma",
                              description=restored("a report"), media=(), contactable=True)],
        outbound=[reply(cid, "pending")]))


async def test_a_contact_moves_with_everything_that_is_theirs(store: Store) -> None:
    await a_conversation(store)
    assert await store.rekey_contact("k1:old", "k2:new", "k2:p1")
    assert await store.load("k1:old") is None
    assert await store.begin_turn("k1:old", None) == (False, None)  # nothing remembered
    seen, moved = await store.begin_turn("k2:new", None)
    assert not seen and moved is not None
    assert (moved.contact.id, moved.contact.person, moved.contact.language) == \
        ("k2:new", "k2:p1", "fr")
    assert moved.contact.address_sealed == b"sealed-k1:old"  # re-sealing is another job
    assert moved.session is not None and moved.session.step == "report.area"
    assert moved.session.contact_id == "k2:new"
    assert await store.subscriptions("k2:new") == ["goma", "beni"]  # in their order
    assert await store.subscriptions("k1:old") == []
    now = datetime.now(UTC)
    (pending,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert pending.contact_id == "k2:new" and pending.last_inbound_at == NOW
    # the report's link followed: it leads to the new contact, and erasing that unlinks it
    assert await store.reporter_of("KEY234") == "k2:new"
    await store.commit_turn(TurnWrite(contact=moved.contact, session=None, effects=[Erase()]))
    stored = await store.report_by_ref("KEY234")
    assert stored is not None and not stored.contactable
    assert await store.reporter_of("KEY234") is None


async def test_moving_a_contact_that_is_not_stored_changes_nothing(store: Store) -> None:
    await a_conversation(store)
    assert not await store.rekey_contact("k1:nobody", "k2:new", "k2:p1")
    assert await store.load("k2:new") is None
    assert await store.load("k1:old") is not None
    assert await store.subscriptions("k1:old") == ["goma", "beni"]


async def test_moving_onto_a_stored_contact_merges_into_it(store: Store) -> None:
    await a_conversation(store)
    await store.commit_turn(TurnWrite(
        contact=contact("k2:new", "k2:p1", language="en"),
        session=Session("k2:new", "menu", {}, NOW + timedelta(hours=1)),
        effects=[Subscribe("bunia"), Subscribe("goma")]))
    assert await store.rekey_contact("k1:old", "k2:new", "k2:p1")
    assert await store.load("k1:old") is None
    merged = await store.load("k2:new")
    assert merged is not None and merged.contact.language == "en"  # the newer one stays
    assert merged.session is not None and merged.session.step == "menu"
    assert sorted(await store.subscriptions("k2:new")) == ["beni", "bunia", "goma"]
    now = datetime.now(UTC)
    (pending,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert pending.contact_id == "k2:new"
    assert await store.reporter_of("KEY234") == "k2:new"  # the old one's report leads on


async def test_rekey_contacts_follows_the_plan_in_batches(store: Store) -> None:
    for n in range(5):
        await store.commit_turn(TurnWrite(contact=contact(f"k1:c{n}", f"k1:p{n}"),
                                          session=None, effects=[Subscribe("goma")]))
    seen: list[SealedContact] = []

    def plan(c: SealedContact) -> tuple[str, str] | None:
        seen.append(c)
        if c.id.startswith("k2:"):
            return (c.id, c.person)  # already current: the same id and person
        n = c.id.removeprefix("k1:c")
        return None if n == "3" else (f"k2:c{n}", f"k2:p{n}")

    assert await store.rekey_contacts(plan, batch=2) == 4
    assert [c.id for c in seen] == [f"k1:c{n}" for n in range(5)]  # each once, moved or not
    assert all(c.address_sealed == b"sealed-" + c.id.encode() and c.channel == "sms"
               for c in seen if c.id.startswith("k1:"))
    for n in (0, 1, 2, 4):
        moved = await store.load(f"k2:c{n}")
        assert moved is not None and moved.contact.person == f"k2:p{n}"
        assert await store.subscriptions(f"k2:c{n}") == ["goma"]
        assert await store.load(f"k1:c{n}") is None
    assert await store.load("k1:c3") is not None  # the plan left it
    seen.clear()
    assert await store.rekey_contacts(plan) == 0  # nothing left to move
    assert sorted(c.id for c in seen) == ["k1:c3", "k2:c0", "k2:c1", "k2:c2", "k2:c4"]


async def test_reseal_replaces_every_sealed_value_of_a_kind(store: Store) -> None:
    assert set(store.sealed_kinds()) >= {CONTACT_ADDRESS, OUTBOX_ADDRESS, TIMER_SEALED}
    for n in range(5):
        await store.commit_turn(TurnWrite(contact=contact(f"k1:c{n}"), session=None,
                                          outbound=[reply(f"k1:c{n}", f"m{n}")]))
    now = datetime.now(UTC)
    sent, *_ = await store.claim_outbound(now, 1, now + timedelta(minutes=1))
    await store.outbound_sent(sent.id, external_id="SM1", segments=1, now=now)  # seal dropped
    given: list[bytes] = []

    def transform(value: bytes) -> bytes | None:
        given.append(value)
        return None if value.endswith(b"c4") else b"new-" + value

    assert await store.reseal(CONTACT_ADDRESS, transform, batch=2) == 4
    assert sorted(given) == sorted(b"sealed-k1:c" + str(n).encode() for n in range(5))
    for n in range(4):
        convo = await store.load(f"k1:c{n}")
        assert convo is not None and convo.contact.address_sealed == b"new-sealed-k1:c%d" % n
    kept = await store.load("k1:c4")
    assert kept is not None and kept.contact.address_sealed == b"sealed-k1:c4"

    given.clear()
    assert await store.reseal(OUTBOX_ADDRESS, lambda v: given.append(v) or b"re-" + v,
                              batch=3) == 4  # the sent one has no seal left
    assert len(given) == 4
    rest = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert sorted(r.address_sealed or b"" for r in rest) == \
        sorted(b"re-sealed-out-m%d" % n for n in range(5) if n != int(sent.payload["text"][1]))


async def test_a_resealed_contact_is_what_the_next_turn_reads(store: Store) -> None:
    """SQLite remembers recent conversations: re-sealing must not leave it the old seal,
    which the next reply would copy into the outbox."""
    await a_conversation(store)
    await store.reseal(CONTACT_ADDRESS, lambda v: b"new-" + v)
    _, convo = await store.begin_turn("k1:old", None)
    assert convo is not None and convo.contact.address_sealed == b"new-sealed-k1:old"


async def test_reseal_of_an_unknown_kind_is_a_store_error(store: Store) -> None:
    from bot.storage.ports import StoreError

    with pytest.raises(StoreError):
        await store.reseal("no_such_kind", lambda v: None)


async def test_moves_onto_ids_of_the_same_batch_are_made_one_after_the_other(
        store: Store) -> None:
    """A plan no rotation makes (a contact's new id is another's old one) still gives
    what moving them in id order gives, on every backend: merged, nothing lost."""
    await store.commit_turn(TurnWrite(contact=contact("k1:a", "k1:pa"), session=None,
                                      effects=[Subscribe("goma")]))
    await store.commit_turn(TurnWrite(contact=contact("k1:b", "k1:pb"), session=None,
                                      effects=[Subscribe("beni")],
                                      outbound=[reply("k1:b", "for b")]))
    targets = {"k1:a": ("k1:b", "k2:pb"), "k1:b": ("k2:b", "k2:pb")}
    assert await store.rekey_contacts(lambda c: targets.get(c.id)) == 2
    assert await store.load("k1:a") is None and await store.load("k1:b") is None
    moved = await store.load("k2:b")
    assert moved is not None and moved.contact.person == "k2:pb"
    assert await store.subscriptions("k2:b") == ["beni", "goma"]
    now = datetime.now(UTC)
    (pending,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
    assert pending.contact_id == "k2:b"


async def test_reseal_replaces_the_sealed_value_of_a_timers_payload(store: Store) -> None:
    await store.schedule("provider.forget", "h1", {"channel": "sms", "sealed": "tok-1",
                                                   "since": "2026-11-20T12:00"}, NOW)
    await store.schedule("provider.forget", "h2", {"channel": "sms", "sealed": "tok-2"}, NOW)
    await store.schedule("retention.purge", "daily", {}, NOW)  # nothing sealed
    given: list[bytes] = []

    def transform(value: bytes) -> bytes | None:
        given.append(value)
        return None if value == b"tok-2" else b"new-" + value

    assert await store.reseal(TIMER_SEALED, transform, batch=1) == 1
    assert sorted(given) == [b"tok-1", b"tok-2"]
    due = {t.key: t.payload for t in await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))}
    assert due == {"h1": {"channel": "sms", "sealed": "new-tok-1", "since": "2026-11-20T12:00"},
                   "h2": {"channel": "sms", "sealed": "tok-2"}, "daily": {}}


async def test_reseal_replaces_waiting_messages_and_reach_links(store: Store) -> None:
    """What a waiting message says (payload["sealed"]) and a report's reach link are
    sealed values too; a sent message and a report nobody may follow keep none."""
    await store.commit_turn(TurnWrite(
        contact=contact("k1:c1"), session=None,
        effects=[SubmitReport("RCH222", "threat", "goma", restored("a"), (), True),
                 SubmitReport("RCH333", "threat", "goma", restored("b"), (), False)],
        outbound=[NewOutbound("k1:c1", "sms", b"s", "reply", {"sealed": f"said-{n}"})
                  for n in range(3)]))
    now = datetime.now(UTC)
    sent, *_ = await store.claim_outbound(now, 1, now + timedelta(minutes=1))
    await store.outbound_sent(sent.id, external_id="SM1", segments=1, now=now)
    given: list[bytes] = []
    assert await store.reseal(OUTBOX_PAYLOAD, lambda v: given.append(v) or b"new-" + v,
                              batch=1) == 2
    assert sorted(given) == [b"said-1", b"said-2"]
    rest = []
    for _n in range(2):  # one message of a person at a time
        (row,) = await store.claim_outbound(now, 10, now + timedelta(minutes=1))
        await store.outbound_sent(row.id, external_id=None, segments=1, now=now)
        rest.append(row)
    assert sorted(r.payload["sealed"] for r in rest) == ["new-said-1", "new-said-2"]
    given.clear()
    assert await store.reseal(REPORT_REACH, lambda v: given.append(v) or None) == 0
    # the contactable one's (a store's ephemeral keys seal with Fernet)
    assert len(given) == 1 and given[0].startswith(b"gAAAAA")
