"""The desk's store contract (bot.storage.desk), on every backend: a change and
its audit row together or not at all, the queue's order and filters, tags,
notes and the timeline, the audit trail without sensitive rows unless asked,
history gone with its report."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.effects import SEALED_REF, RecordSatisfaction, SubmitReport
from bot.domain.records import Contact, NewOutbound, NewTimer, ReportStatus, Session, TurnWrite
from bot.storage import store_for
from bot.storage.desk import AuditRow, DeskChange, DeskQuery
from bot.storage.ports import Retention, Store, StoreError
from bot.storage.sqlite.store import SQLiteStore
from moderation.anonymise import restored

NOW = datetime(2026, 11, 20, 12, 0, 10, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend = (store_for("memory://") if request.param == "memory"
               else SQLiteStore(tmp_path / "desk.db"))
    await backend.open()
    yield backend
    await backend.close()


def contact(n: int) -> Contact:
    return Contact(id=f"k1:c{n}", person=f"k1:p{n}", channel="sms",
                   address_sealed=b"sealed", language="fr", opted_out=False,
                   created_at=NOW, last_inbound_at=NOW)


async def file(store: Store, n: int, ref: str, category: str = "threat",
               area: str = "goma", at: datetime = NOW) -> None:
    await store.commit_turn(TurnWrite(
        contact=contact(n), session=None, at=at, sensitive=frozenset({"personnel_conduct"}),
        effects=[SubmitReport(ref=ref, category=category, area=area,
                              description=restored("texte", ()), media=(),
                              contactable=True)]))


async def test_queue_is_oldest_first_filtered_and_counted(store: Store) -> None:
    await file(store, 1, "B2", at=NOW + timedelta(minutes=5))
    await file(store, 2, "A1", area="beni")
    await file(store, 3, "C3", category="personnel_conduct", at=NOW + timedelta(minutes=9))
    page, total = await store.desk_queue(DeskQuery())
    assert [r.ref for r in page] == ["A1", "B2"] and total == 2
    page, total = await store.desk_queue(DeskQuery(include_sensitive=True, offset=1, limit=1))
    assert [r.ref for r in page] == ["B2"] and total == 3
    page, total = await store.desk_queue(DeskQuery(area="beni"))
    assert [r.ref for r in page] == ["A1"] and total == 1
    assert await store.desk_change(DeskChange("B2", "amina", "take", NOW, assign=True,
                                              assignee="amina", status=ReportStatus.IN_REVIEW,
                                              event="in_review"))
    page, _ = await store.desk_queue(DeskQuery(assignee="amina"))
    assert [r.ref for r in page] == ["B2"]
    page, _ = await store.desk_queue(DeskQuery(status=ReportStatus.NEW))
    assert [r.ref for r in page] == ["A1"]
    assert await store.desk_change(DeskChange("B2", "amina", "status", NOW,
                                              status=ReportStatus.REJECTED, event="rejected"))
    page, total = await store.desk_queue(DeskQuery(waiting=True))  # new or in review
    assert [r.ref for r in page] == ["A1"] and total == 1


async def test_change_with_its_audit_row_and_history(store: Store) -> None:
    await file(store, 1, "R1")
    assert await store.desk_state("NOPE") is None
    assert not await store.desk_change(DeskChange("NOPE", "amina", "tag", NOW, event="x"))
    # expected status not met: nothing at all is written, audit included
    assert not await store.desk_change(DeskChange(
        "R1", "amina", "status", NOW, expect=ReportStatus.IN_REVIEW,
        status=ReportStatus.CLOSED, event="closed"))
    assert await store.audit_rows() == []
    assert (await store.report_by_ref("R1")).status is ReportStatus.NEW  # type: ignore[union-attr]
    out = NewOutbound("k1:c1", "sms", b"sealed", "desk", {"text": "réponse"})
    timer = NewTimer("referral", "R1", {"ref": "R1"}, NOW + timedelta(hours=24))
    assert await store.desk_change(DeskChange(
        "R1", "amina", "tag", NOW, tags_add=("water", "urgent", "water"), event="+water"))
    assert await store.desk_change(DeskChange(
        "R1", "amina", "refer", NOW + timedelta(minutes=1), status=ReportStatus.REFERRED,
        partner="unhcr", public_reply="Transmis", tags_remove=("urgent",),
        note="called them", event="unhcr", outbound=[out], timers=[timer]))
    state = await store.desk_state("R1")
    assert state is not None
    assert state.tags == ("water",) and state.partner == "unhcr" and state.assignee is None
    assert [(e.action, e.detail) for e in state.timeline] == [("tag", "+water"),
                                                              ("refer", "unhcr")]
    assert [(n.actor, n.detail) for n in state.notes] == [("amina", "called them")]
    r = await store.report_by_ref("R1")
    assert r is not None and r.status is ReportStatus.REFERRED and r.public_reply == "Transmis"
    rows = await store.audit_rows()
    assert [(a.actor, a.action, a.target, a.outcome) for a in rows] == [
        ("amina", "tag", "R1", "ok"), ("amina", "refer", "R1", "ok")]
    later = datetime.now(UTC) + timedelta(minutes=1)  # queued at the real time
    queued = await store.claim_outbound(later, 10, later + timedelta(minutes=1))
    assert [q.payload for q in queued] == [{"text": "réponse"}]
    due = await store.claim_due(NOW + timedelta(hours=25), 10, NOW + timedelta(hours=26))
    assert [(d.kind, d.key) for d in due] == [("referral", "R1")]
    assert await store.desk_change(DeskChange("R1", "amina", "status", NOW,
                                              cancel=[("referral", "R1")], event="closed",
                                              status=ReportStatus.CLOSED))
    assert not await store.cancel_timer("referral", "R1")  # gone with the change
    assert await store.record_satisfaction("R1", "partly", NOW)
    assert not await store.record_satisfaction("NOPE", "yes", NOW)
    assert (await store.desk_state("R1")).satisfaction == "partly"  # type: ignore[union-attr]


async def test_a_read_is_audited_without_an_event(store: Store) -> None:
    await file(store, 1, "R1")
    assert await store.desk_change(DeskChange("R1", "amina", "show", NOW))
    state = await store.desk_state("R1")
    assert state is not None and state.timeline == () and state.notes == ()
    assert [a.action for a in await store.audit_rows()] == ["show"]


async def test_audit_hides_sensitive_targets_unless_asked(store: Store) -> None:
    await file(store, 1, "S1", category="personnel_conduct")
    await file(store, 2, "P1")
    assert await store.desk_change(DeskChange("S1", "zawadi", "show", NOW))
    assert await store.desk_change(DeskChange("P1", "zawadi", "show", NOW))
    await store.add_audit(AuditRow(NOW + timedelta(minutes=3), "resident", "queue", "",
                                   "denied", False))
    assert [a.target for a in await store.audit_rows()] == ["P1", ""]
    assert [a.target for a in await store.audit_rows(include_sensitive=True)] == [
        "S1", "P1", ""]
    since = await store.audit_rows(since=NOW + timedelta(minutes=2))
    assert [(a.actor, a.outcome) for a in since] == [("resident", "denied")]


async def test_history_and_audit_go_with_retention(store: Store) -> None:
    old = NOW - timedelta(days=400)
    await file(store, 1, "OLD", at=old)
    await file(store, 2, "NEW")
    assert await store.desk_change(DeskChange("OLD", "amina", "note", old, note="x",
                                              tags_add=("t",), event=""))
    assert await store.desk_change(DeskChange("NEW", "amina", "note", NOW, note="y",
                                              event=""))
    removed = await store.purge(NOW, Retention(records=timedelta(days=365),
                                               replay_keys=timedelta(days=2),
                                               sessions=timedelta(minutes=30)))
    assert removed["reports"] == 1 and removed["audit"] == 1
    assert await store.desk_state("OLD") is None
    await file(store, 3, "OLD")  # a new report taking the reference has no old history
    state = await store.desk_state("OLD")
    assert state is not None and state.tags == () and state.notes == ()
    assert [a.target for a in await store.audit_rows()] == ["NEW"]


async def test_sqlite_change_and_audit_row_are_one_transaction(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "atomic.db")
    await store.open()
    try:
        await file(store, 1, "R1")
        raw = sqlite3.connect(tmp_path / "atomic.db")
        raw.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN"
                    " SELECT RAISE(ABORT, 'audit down'); END")
        raw.commit()
        out = NewOutbound("k1:c1", "sms", b"sealed", "answer", {"text": "x"})
        with pytest.raises(StoreError):
            await store.desk_change(DeskChange(
                "R1", "amina", "answer", NOW, status=ReportStatus.IN_REVIEW,
                public_reply="x", tags_add=("t",), note="n", event="", outbound=[out]))
        r = await store.report_by_ref("R1")
        assert r is not None and r.status is ReportStatus.NEW and r.public_reply is None
        state = await store.desk_state("R1")
        assert state is not None and state.tags == () and state.notes == ()
        assert await store.outbox_depth() == 0
        raw.execute("DROP TRIGGER no_audit")
        raw.commit()
        assert await store.desk_change(DeskChange("R1", "amina", "show", NOW))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE audit SET actor = 'someone else'")
        raw.close()
        assert [a.actor for a in await store.audit_rows()] == ["amina"]
    finally:
        await store.close()


async def test_a_prompt_never_overwrites_a_conversation_under_way(store: Store) -> None:
    await file(store, 1, "R1")
    for n in (2, 3, 4):
        await store.commit_turn(TurnWrite(contact=contact(n), session=None, at=NOW))
    await store.commit_turn(TurnWrite(contact=contact(2), at=NOW, session=Session(
        "k1:c2", "menu.idle", {}, NOW)))
    await store.commit_turn(TurnWrite(contact=contact(3), at=NOW, session=Session(
        "k1:c3", "report.area", {"draft": "report"}, NOW)))
    await store.commit_turn(TurnWrite(contact=contact(4), at=NOW - timedelta(hours=2),
                                      session=Session("k1:c4", "report.area",
                                                      {"draft": "report"},
                                                      NOW - timedelta(hours=2))))
    later = NOW + timedelta(minutes=5)
    for n in (1, 2, 3, 4):  # 1: no session yet; 2 idle; 3 busy; 4 busy but stale
        assert await store.desk_change(DeskChange(
            "R1", "amina", "status", later, event="closed",
            prompt=Session(f"k1:c{n}", "satisfaction.answer", {"draft": "satisfaction"},
                           later),
            stale=later - timedelta(minutes=30)))
    steps = {}
    for n in (1, 2, 3, 4):
        convo = await store.load(f"k1:c{n}")
        assert convo is not None and convo.session is not None
        steps[n] = convo.session.step
    assert steps == {1: "satisfaction.answer", 2: "satisfaction.answer", 3: "report.area",
                     4: "satisfaction.answer"}
    convo = await store.load("k1:c1")
    assert convo is not None and convo.session is not None
    data = convo.session.data
    assert set(data) == {"draft", SEALED_REF} and data["draft"] == "satisfaction"
    # the reference is sealed: no join in clear (a quoted "R1" cannot be part of a
    # base64 token, which may hold R1 by chance)
    assert '"R1"' not in json.dumps(data)
    assert convo.session.updated_at == NOW.replace(second=0) + timedelta(minutes=6)
    # the turn answering hands the sealed reference back: kept against the report
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, at=later,
                                      effects=[RecordSatisfaction(data[SEALED_REF], "no")]))
    state = await store.desk_state("R1")
    assert state is not None and state.satisfaction == "no"


async def test_a_forged_sealed_reference_records_nothing(store: Store) -> None:
    await file(store, 1, "R1")
    await store.commit_turn(TurnWrite(contact=contact(1), session=None, at=NOW,
                                      effects=[RecordSatisfaction("R1", "no"),
                                               RecordSatisfaction("é", "yes")]))
    state = await store.desk_state("R1")
    assert state is not None and state.satisfaction is None


async def test_nothing_is_queued_to_a_contact_gone_or_opted_out(store: Store) -> None:
    await file(store, 1, "R1")
    await store.commit_turn(TurnWrite(contact=replace(contact(2), opted_out=True),
                                      session=None, at=NOW))
    to = [NewOutbound(cid, "sms", b"sealed", "answer", {"text": cid})
          for cid in ("k1:c1", "k1:c2", "k1:c9")]  # there; opted out; gone (erased)
    prompts = [Session(cid, "satisfaction.answer", {}, NOW) for cid in ("k1:c2", "k1:c9")]
    for prompt in prompts:
        assert await store.desk_change(DeskChange("R1", "amina", "status", NOW, event="x",
                                                  outbound=to, prompt=prompt))
        to = []
    later = datetime.now(UTC) + timedelta(minutes=1)
    queued = await store.claim_outbound(later, 10, later + timedelta(minutes=1))
    assert [q.payload for q in queued] == [{"text": "k1:c1"}]
    assert await store.load("k1:c9") is None
    convo = await store.load("k1:c2")
    assert convo is not None and convo.session is None


async def test_a_pages_states_are_read_together(store: Store) -> None:
    await file(store, 1, "S1")
    await file(store, 2, "S2")
    assert await store.desk_change(DeskChange("S2", "amina", "tag", NOW, tags_add=("water",),
                                              event="+water"))
    states = await store.desk_states(["S1", "NOPE", "S2", "S1"])
    assert set(states) == {"S1", "S2"}
    assert states["S2"].tags == ("water",) and states["S1"].tags == ()
    assert states["S2"] == await store.desk_state("S2")
    assert await store.desk_states([]) == {}
