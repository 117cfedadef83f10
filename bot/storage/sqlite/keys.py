"""A key rotation in SQLite: contacts moved to new pseudonyms, sealed values re-sealed.

Each move and each batch is one write transaction on the writer (BEGIN
IMMEDIATE), so a person is never half moved and another process (a running
``sauti serve``) waits at most one batch. The caller's plan runs inside the
transaction, on the connection's thread: what it decides is written against
the rows it saw.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.domain.records import Conversation
from bot.storage.keys import (
    CONTACT_ADDRESS,
    OUTBOX_ADDRESS,
    OUTBOX_PAYLOAD,
    REPORT_REACH,
    TIMER_SEALED,
    KeyStore,
    Rekey,
    Reseal,
    SealedContact,
)
from bot.storage.ports import StoreError
from bot.storage.sqlite.connection import Connections, immediate, in_thread, one


@dataclass(frozen=True, slots=True)
class _Sealed:
    """Where the sealed values of one kind are: ``value`` reads one (an SQL
    expression), ``assign`` writes it; rows are read in ``key`` order from above
    ``start``; ``text`` when the value is kept as text, not a blob."""

    table: str
    value: str
    assign: str
    key: str = "id"
    start: str | int = 0
    text: bool = False


SEALED = {
    CONTACT_ADDRESS: _Sealed("contacts", "address_sealed", "address_sealed = ?", start=""),
    OUTBOX_ADDRESS: _Sealed("outbox", "address_sealed", "address_sealed = ?"),
    OUTBOX_PAYLOAD: _Sealed("outbox", "json_extract(payload, '$.sealed')",
                            "payload = json_set(payload, '$.sealed', ?)", text=True),
    REPORT_REACH: _Sealed("reports", "reach", "reach = ?"),
    TIMER_SEALED: _Sealed("due", "json_extract(payload, '$.sealed')",
                          "payload = json_set(payload, '$.sealed', ?)", text=True),
}

# A contact moves to its new id, or into the contact stored there (merged: that
# one's row and session stay); its messages follow, and its reach id (which its
# reports' sealed links lead to) moves with its row, untouched. Moves are
# made for a whole batch at once, from a temporary table of (old id, new id,
# new person, old person): a table without an index on contact_id (outbox) is
# read once per batch, not once per contact.
_MOVES = ("CREATE TEMP TABLE IF NOT EXISTS rekey"
          " (old TEXT PRIMARY KEY, new TEXT, person TEXT, was TEXT)")


def _remap(table: str, column: str, key: str = "old", value: str = "new") -> str:
    return (f"UPDATE {table} SET {column} = (SELECT {value} FROM temp.rekey WHERE {key} ="
            f" {table}.{column}) WHERE {column} IN (SELECT {key} FROM temp.rekey)")


_MOVE = (
    "UPDATE contacts SET person = (SELECT person FROM temp.rekey WHERE old = contacts.id),"
    " id = (SELECT new FROM temp.rekey WHERE old = contacts.id)"
    " WHERE id IN (SELECT old FROM temp.rekey)",
    _remap("sessions", "contact_id"),
    _remap("subscriptions", "contact_id"),
    _remap("outbox", "contact_id"),
)
_MOVE_ONE = (  # the same for one contact: a scan finding one id costs less than the join
    "UPDATE contacts SET id = :new, person = :person WHERE id = :old",
    "UPDATE sessions SET contact_id = :new WHERE contact_id = :old",
    "UPDATE subscriptions SET contact_id = :new WHERE contact_id = :old",
    "UPDATE outbox SET contact_id = :new WHERE contact_id = :old",
)
_MERGE = (
    "DELETE FROM contacts WHERE id = :old",
    "DELETE FROM sessions WHERE contact_id = :old",
    "INSERT OR IGNORE INTO subscriptions (contact_id, area, created_at)"
    " SELECT :new, area, created_at FROM subscriptions WHERE contact_id = :old",
    "DELETE FROM subscriptions WHERE contact_id = :old",
    "UPDATE outbox SET contact_id = :new WHERE contact_id = :old",
)
_Move = tuple[str, str, str, str]  # old id, new id, new person, old person


def _apply(c: sqlite3.Connection, moves: list[_Move]) -> None:
    """Make ``moves`` (of stored contacts, in the order they were stored) inside the caller's
    transaction, as if one after the other: all at once when none lands on a
    stored contact or on another's id, which is what a rotation makes."""
    olds = {move[0] for move in moves}
    news = {move[1] for move in moves}
    if len(moves) < 2 or len(news) < len(moves) or news & olds or any(
            c.execute("SELECT 1 FROM contacts WHERE id = ?", (new,)).fetchone()
            for new in news):
        for move in moves:
            _one(c, *move)
        return
    c.execute(_MOVES)
    c.execute("DELETE FROM temp.rekey")
    c.executemany("INSERT INTO temp.rekey VALUES (?, ?, ?, ?)", moves)
    for statement in _MOVE:
        c.execute(statement)
    c.execute("DELETE FROM temp.rekey")


def _one(c: sqlite3.Connection, old: str, new: str, person: str, was: str) -> None:
    names = {"old": old, "new": new, "person": person, "was": was}
    if old == new:
        c.execute("UPDATE contacts SET person = :person WHERE id = :old", names)
    elif c.execute("SELECT 1 FROM contacts WHERE id = ?", (new,)).fetchone():
        row = c.execute("SELECT reach_id FROM contacts WHERE id = ?", (old,)).fetchone()
        for statement in _MERGE:
            c.execute(statement, names)
        if row is not None and row[0] is not None:  # its reports still lead to the person
            c.execute("UPDATE contacts SET reach_id = ? WHERE id = ? AND reach_id IS NULL",
                      (row[0], new))
    else:
        for statement in _MOVE_ONE:
            c.execute(statement, names)


class SQLiteKeys(Connections, KeyStore):
    _recent: OrderedDict[str, Conversation]  # the store's memory of recent conversations

    async def rekey_contact(self, old_id: str, new_id: str, person: str) -> bool:
        # most calls, during a rotation, are for someone new: asked without the write lock
        if await one(self._r, "SELECT 1 FROM contacts WHERE id = ?", (old_id,)) is None:
            return False

        def move(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT person FROM contacts WHERE id = ?", (old_id,)).fetchone()
            if row is not None:
                _apply(c, [(old_id, new_id, person, row[0])])
            return row is not None

        async with self._write_lock:
            moved = await in_thread(self._w, immediate(move))
        self._recent.pop(old_id, None)
        self._recent.pop(new_id, None)
        return moved

    async def rekey_contacts(self, plan: Rekey, *, batch: int = 2000) -> int:
        # by rowid, which a move keeps: a contact moved is not read again
        after, moved = 0, 0
        while True:
            def page(c: sqlite3.Connection, after: int = after
                     ) -> tuple[int | None, list[_Move]]:
                rows = c.execute("SELECT rowid, id, person, channel, address_sealed FROM contacts"
                                 " WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                 (after, batch)).fetchall()
                done = []
                for row in rows:
                    contact = SealedContact(row[1], row[2], row[3], bytes(row[4]))
                    target = plan(contact)
                    if target is not None and target != (contact.id, contact.person):
                        done.append((contact.id, *target, contact.person))
                _apply(c, done)
                return (int(rows[-1][0]) if len(rows) == batch else None), done

            async with self._write_lock:
                last, done = await in_thread(self._w, immediate(page))
            for old, new, _person, _was in done:
                self._recent.pop(old, None)
                self._recent.pop(new, None)
            moved += len(done)
            if last is None:
                return moved
            after = last

    def sealed_kinds(self) -> tuple[str, ...]:
        return tuple(SEALED)

    async def reseal(self, kind: str, transform: Reseal, *, batch: int = 500) -> int:
        if kind not in SEALED:
            raise StoreError(f"no sealed values of kind {kind!r}")
        where = SEALED[kind]
        read = (f"SELECT {where.key}, {where.value} FROM {where.table} WHERE {where.value}"
                f" IS NOT NULL AND {where.key} > ? ORDER BY {where.key} LIMIT ?")
        write = f"UPDATE {where.table} SET {where.assign} WHERE {where.key} = ?"
        after, changed = where.start, 0

        def fresh(value: Any) -> str | bytes | None:
            sealed = transform(str(value).encode() if where.text else bytes(value))
            return sealed.decode("ascii") if where.text and sealed is not None else sealed

        while True:
            def page(c: sqlite3.Connection, after: str | int = after) -> tuple[Any, int]:
                rows = c.execute(read, (after, batch)).fetchall()
                new = [(value, row[0]) for row in rows if (value := fresh(row[1])) is not None]
                c.executemany(write, new)
                return (rows[-1][0] if len(rows) == batch else None), len(new)

            async with self._write_lock:
                last, count = await in_thread(self._w, immediate(page))
            changed += count
            if kind == CONTACT_ADDRESS and count:
                self._recent.clear()  # conversations remembered with the old seal
            if last is None:
                return changed
            after = last
