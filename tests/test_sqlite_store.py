"""What only the SQLite backend does: group reads, its memory of recent
conversations (one writer only), reopening a file, errors as StoreError."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.domain.records import ReportStatus, Session, TurnWrite
from bot.storage.ports import StoreError
from bot.storage.sqlite.store import SQLiteStore
from tests.test_store_contract import NOW, contact, report


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


async def test_reopen_keeps_everything(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "reopen.db")
    await first.open()
    await first.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      effects=[report("EEE666")]))
    await first.close()
    second = SQLiteStore(tmp_path / "reopen.db")
    await second.open()
    assert await second.reference_exists("EEE666")
    await second.close()


async def test_a_shared_file_keeps_no_conversations_in_memory(tmp_path: Path) -> None:
    """Several writers: what this process committed may be stale at the next
    turn, so every turn reads the file (and the replay check runs up front)."""
    store = SQLiteStore(tmp_path / "shared.db", shared=True)
    await store.open()
    await store.commit_turn(TurnWrite(contact=contact(1), inbound_key=("sms", "SM1"),
                                      session=Session("k1:c1", "menu", {}, NOW)))
    assert len(store._recent) == 0
    other = sqlite3.connect(tmp_path / "shared.db")
    other.execute("UPDATE contacts SET language = 'sw'")  # another worker's turn
    other.commit()
    other.close()
    assert await store.begin_turn("k1:c1", ("sms", "SM1")) == (True, None)
    _seen, convo = await store.begin_turn("k1:c1", ("sms", "SM2"))
    assert convo is not None and convo.contact.language == "sw"
    await store.close()


async def test_another_processs_write_is_seen_after_the_next_write_transaction(
        tmp_path: Path) -> None:
    """One writer keeps what it committed in memory; another process (the CLI closing
    a report) changes a session. The next claim of the outbox (a write transaction,
    as the service makes to send what that change queued) sees the file moved, and
    the turn after it reads the file, not the memory."""
    store = SQLiteStore(tmp_path / "one.db")
    await store.open()
    await store.commit_turn(TurnWrite(contact=contact(1), inbound_key=("sms", "SM1"),
                                      session=Session("k1:c1", "menu", {}, NOW)))
    assert "k1:c1" in store._recent
    await store.claim_outbound(NOW, 10, NOW)  # nothing moved yet: the memory stays
    assert "k1:c1" in store._recent
    other = sqlite3.connect(tmp_path / "one.db")
    other.execute("UPDATE sessions SET step = 'satisfaction.answer'")
    other.commit()
    other.close()
    await store.claim_outbound(NOW, 10, NOW)
    _seen, convo = await store.begin_turn("k1:c1", ("sms", "SM2"))
    assert convo is not None and convo.session is not None
    assert convo.session.step == "satisfaction.answer"
    await store.close()


async def test_database_errors_reach_callers_as_store_errors(tmp_path: Path) -> None:
    """Callers catch StoreError alone; the message names the failure, not the data."""
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database, but secret-ish text " * 200)
    with pytest.raises(StoreError) as opening:
        await SQLiteStore(broken).open()
    assert "secret" not in str(opening.value)
    store = SQLiteStore(tmp_path / "ok.db")
    await store.open()
    await store.commit_turn(TurnWrite(contact=contact(1), session=None,
                                      effects=[report("FFF777")]))
    await store._w.execute("PRAGMA query_only = 1")  # every write now fails
    with pytest.raises(StoreError, match=r"failed \(SQLITE_READONLY\)$") as writing:
        await store.set_report_status("FFF777", ReportStatus.CLOSED, public_reply="x", now=NOW)
    with pytest.raises(StoreError):
        await store.commit_turn(TurnWrite(contact=contact(2), session=None))
    assert "FFF777" not in str(writing.value)  # names the failure, never the data
    await store.close()


async def test_a_row_that_no_longer_decodes_is_a_store_error_not_a_hang(tmp_path: Path) -> None:
    """A damaged session row fails the turns that read it, with StoreError, at once:
    before, the group read died on it and its waiters waited for ever."""
    path = tmp_path / "damaged.db"
    store = SQLiteStore(path)
    await store.open()
    await store.commit_turn(TurnWrite(contact=contact(1), session=Session(
        "k1:c1", "menu", {"ok": True}, NOW)))
    await store.close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE sessions SET data = 'not json' WHERE contact_id = 'k1:c1'")
    store = SQLiteStore(path)
    await store.open()
    try:
        with pytest.raises(StoreError):
            await asyncio.wait_for(store.begin_turn("k1:c1", ("sms", "SM9")), 5)
        with pytest.raises(StoreError):
            await store.load("k1:c1")
        assert (await asyncio.wait_for(store.begin_turn("k1:c2", None), 5)) == (False, None)
    finally:
        await store.close()
