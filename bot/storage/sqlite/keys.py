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
from typing import Any

from bot.domain.records import Conversation
from bot.storage.keys import CONTACT_ADDRESS, OUTBOX_ADDRESS, KeyStore, Rekey, Reseal, SealedContact
from bot.storage.ports import StoreError
from bot.storage.sqlite.connection import Connections, immediate, in_thread

# kind -> (table, its key column, the sealed column, a key below every row's)
SEALED: dict[str, tuple[str, str, str, str | int]] = {
    CONTACT_ADDRESS: ("contacts", "id", "address_sealed", ""),
    OUTBOX_ADDRESS: ("outbox", "id", "address_sealed", 0),
}

# A contact moves to its new id (_MOVE), or into the contact stored there, whose
# row and session stay (_MERGE); its messages and report links follow (_FOLLOW).
_FOLLOW = (
    "UPDATE outbox SET contact_id = :new WHERE contact_id = :old",
    "UPDATE reports SET contact_id = :new WHERE contact_id = :old",
)
_MOVE = (
    "UPDATE contacts SET id = :new, person = :person WHERE id = :old",
    "UPDATE sessions SET contact_id = :new WHERE contact_id = :old",
    "UPDATE subscriptions SET contact_id = :new WHERE contact_id = :old",
)
_MERGE = (
    "DELETE FROM contacts WHERE id = :old",
    "DELETE FROM sessions WHERE contact_id = :old",
    "INSERT OR IGNORE INTO subscriptions (contact_id, area, created_at)"
    " SELECT :new, area, created_at FROM subscriptions WHERE contact_id = :old",
    "DELETE FROM subscriptions WHERE contact_id = :old",
)
_PERSON = "UPDATE reports SET reporter = :person WHERE reporter = :was"


def _move(c: sqlite3.Connection, old: str, new: str, person: str) -> bool:
    """Move one contact inside the caller's transaction; False if ``old`` is not stored."""
    row = c.execute("SELECT person FROM contacts WHERE id = ?", (old,)).fetchone()
    if row is None:
        return False
    names = {"old": old, "new": new, "person": person, "was": row[0]}
    if old == new:
        c.execute("UPDATE contacts SET person = :person WHERE id = :old", names)
    else:
        merge = c.execute("SELECT 1 FROM contacts WHERE id = ?", (new,)).fetchone() is not None
        for statement in (*(_MERGE if merge else _MOVE), *_FOLLOW):
            c.execute(statement, names)
    if row[0] != person:
        c.execute(_PERSON, names)
    return True


class SQLiteKeys(Connections, KeyStore):
    _recent: OrderedDict[str, Conversation]  # the store's memory of recent conversations

    async def rekey_contact(self, old_id: str, new_id: str, person: str) -> bool:
        def move(c: sqlite3.Connection) -> bool:
            return _move(c, old_id, new_id, person)

        async with self._write_lock:
            moved = await in_thread(self._w, immediate(move))
        self._recent.pop(old_id, None)
        self._recent.pop(new_id, None)
        return moved

    async def rekey_contacts(self, plan: Rekey, *, batch: int = 500) -> int:
        after, moved = "", 0
        while True:
            def page(c: sqlite3.Connection, after: str = after
                     ) -> tuple[str | None, list[tuple[str, str]]]:
                rows = c.execute("SELECT id, person, channel, address_sealed FROM contacts"
                                 " WHERE id > ? ORDER BY id LIMIT ?", (after, batch)).fetchall()
                done = []
                for row in rows:
                    contact = SealedContact(row[0], row[1], row[2], bytes(row[3]))
                    target = plan(contact)
                    if target is not None and target != (contact.id, contact.person) \
                            and _move(c, contact.id, *target):
                        done.append((contact.id, target[0]))
                return (rows[-1][0] if len(rows) == batch else None), done

            async with self._write_lock:
                last, done = await in_thread(self._w, immediate(page))
            for old, new in done:
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
        table, key, column, after = SEALED[kind]
        read = (f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL"
                f" AND {key} > ? ORDER BY {key} LIMIT ?")
        write = f"UPDATE {table} SET {column} = ? WHERE {key} = ?"
        changed = 0
        while True:
            def page(c: sqlite3.Connection, after: str | int = after) -> tuple[Any, int]:
                rows = c.execute(read, (after, batch)).fetchall()
                new = [(value, row[0]) for row in rows
                       if (value := transform(bytes(row[1]))) is not None]
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
