"""Migration 7 on a database written by the code before it: what joined a report to its
sender is gone, the times are coarse, the replay table holds keyed tags, the outbox
has forgotten what went out; everything else carries on."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.effects import Erase
from bot.domain.records import OutboundRecord, TurnWrite
from bot.outbox.payload import message_of
from bot.privacy.links import StoreKeys
from bot.privacy.vault import reach_vault
from bot.storage.sqlite.schema import MIGRATIONS
from bot.storage.sqlite.store import SQLiteStore

KEYS = StoreKeys(reach=reach_vault("an-invented-key"), replay_key="an-invented-pseudonym-key")
SID = "SM" + "4b" * 16
MOMENT = "2026-11-20T12:03:45.123456+00:00"


def version_6(path: Path) -> None:
    """A database as schema 6 left it, with a turn's rows in it."""
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:6]:
            db.executescript(script)
        db.execute("INSERT INTO contacts VALUES ('k1:c1', 'k1:p1', 'sms', x'00', 'en', 0, ?, ?)",
                   (MOMENT, MOMENT))
        db.execute("INSERT INTO sessions VALUES ('k1:c1', 'menu', '{}', ?)", (MOMENT,))
        db.executemany("INSERT INTO subscriptions VALUES ('k1:c1', ?, ?)",
                       [("bunia", MOMENT), ("beni", "2026-11-20T12:04:00.000000+00:00")])
        db.execute("INSERT INTO inbound_seen VALUES ('sms', ?, ?)", (SID, MOMENT))
        db.execute("INSERT INTO reports (ref, created_at, updated_at, channel, language,"
                   " category, area, description, redactions, media, contactable, contact_id,"
                   " reporter, sensitive, status) VALUES ('OLD234', ?, ?, 'sms', 'en',"
                   " 'threat', 'goma', 'Shots near the bridge', '[]', '[]', 1, 'k1:c1',"
                   " 'k1:p1', 0, 'new')", (MOMENT, MOMENT))
        said = json.dumps({"text": "Its code is OLD234", "choices": [], "language": "en"})
        db.executemany(
            "INSERT INTO outbox (created_at, contact_id, channel, address_sealed, kind,"
            " payload, status, next_attempt_at) VALUES (?, 'k1:c1', 'sms', x'00', 'reply',"
            " ?, ?, ?)", [(MOMENT, said, "sent", MOMENT), (MOMENT, said, "pending", MOMENT)])
        db.execute("PRAGMA user_version = 6")


async def test_an_old_database_is_unlinked(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    version_6(path)
    store = SQLiteStore(path, keys=KEYS)
    await store.open()
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        with sqlite3.connect(path) as db:
            columns = {r[1] for r in db.execute("PRAGMA table_info(reports)")}
            assert {"reporter", "contact_id"} & columns == set() and "reach" in columns
            # a contact gets its reach id when it first files a report it may be reached for
            assert db.execute("SELECT reach_id FROM contacts").fetchall() == [(None,)]
            assert db.execute("SELECT created_at, updated_at, reach, contactable FROM reports"
                              ).fetchone() == ("2026-11-20T12:03:30.000000+00:00",) * 2 + (
                                  None, 0)  # its way back was the join
            assert db.execute("SELECT created_at, last_inbound_at FROM contacts").fetchone() == (
                "2026-11-20T12:03:00.000000+00:00",) * 2
            assert db.execute("SELECT updated_at FROM sessions").fetchone() == (
                "2026-11-20T12:04:00.000000+00:00",)
            assert db.execute("SELECT created_at FROM subscriptions").fetchall() == [
                ("2026-11",), ("2026-11",)]
            assert db.execute("SELECT external_id, seen_at FROM inbound_seen").fetchone() == (
                KEYS.replay_tag("sms", SID), "2026-11-20")
            sent, pending = db.execute("SELECT contact_id, address_sealed, payload FROM outbox"
                                       " ORDER BY id").fetchall()
        assert sent == (None, None, "{}")
        assert pending[0] == "k1:c1"
        waiting = OutboundRecord(2, pending[0], "sms", pending[1], "reply",
                                 json.loads(pending[2]), 0)
        assert message_of(waiting).text == "Its code is OLD234"  # still sent, then forgotten
        # the store carries on: the old replay key is recognised, order kept
        assert await store.begin_turn("k1:c1", ("sms", KEYS.replay_tag("sms", SID))) == (
            True, None)
        assert await store.subscriptions("k1:c1") == ["bunia", "beni"]
        assert await store.reporter_of("OLD234") is None  # its link was the join
        convo = await store.load("k1:c1")
        assert convo is not None
        later = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
        await store.commit_turn(TurnWrite(contact=convo.contact, session=None, at=later,
                                          effects=[Erase()]))
        assert await store.load("k1:c1") is None
        report = await store.report_by_ref("OLD234")
        assert report is not None and not report.contactable
        assert report.created_at == datetime(2026, 11, 20, 12, 3, 30, tzinfo=UTC)
    finally:
        await store.close()
