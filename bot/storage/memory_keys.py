"""A key rotation in the in-memory store (bot.storage.keys): contacts moved to
new pseudonyms, sealed values re-sealed. A mix-in of
:class:`~bot.storage.memory.MemoryStore`, whose tables it works on; apart from
it so that neither module grows past a screenful of concerns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from bot.domain.records import Contact, Session
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


class _Row(Protocol):
    """What a rotation touches of an outbox row."""

    contact_id: str | None
    address_sealed: bytes | None
    payload: dict[str, Any]


class _Timer(Protocol):
    """What a rotation touches of a due row."""

    payload: dict[str, Any]


class MemoryKeys(KeyStore):
    _contacts: dict[str, Contact]
    _sessions: dict[str, Session]
    _subs: dict[str, dict[str, str]]  # contact -> area -> month
    _reach: dict[str, bytes]  # report ref -> sealed reach link
    _outbox: Mapping[int, _Row]
    _mine: dict[str, list[int]]  # the outbox index by contact (MemoryDesk)

    @property
    def _due(self) -> Mapping[int, _Timer]:
        raise NotImplementedError  # MemoryStore's

    async def rekey_contact(self, old_id: str, new_id: str, person: str) -> bool:
        return self._move(old_id, new_id, person)

    def _move(self, old: str, new: str, person: str) -> bool:
        contact = self._contacts.pop(old, None)
        if contact is None:
            return False
        session, areas = self._sessions.pop(old, None), self._subs.pop(old, {})
        if new in self._contacts:  # merged: the stored contact and its session stay
            for area, at in areas.items():
                self._subs.setdefault(new, {}).setdefault(area, at)
            kept = self._contacts[new]
            if kept.reach_id is None:  # the old contact's reports still lead to them
                self._contacts[new] = replace(kept, reach_id=contact.reach_id)
        else:
            self._contacts[new] = replace(contact, id=new, person=person)
            if session is not None:
                self._sessions[new] = replace(session, contact_id=new)
            if areas:
                self._subs[new] = areas
        for q in self._outbox.values():
            if q.contact_id == old:
                q.contact_id = new
        self._mine[new] = self._mine.pop(old, [])  # its outbox index moves with it
        return True

    async def rekey_contacts(self, plan: Rekey, *, batch: int = 2000) -> int:
        moved = 0
        for contact in list(self._contacts.values()):  # in the order they were stored
            target = plan(SealedContact(contact.id, contact.person, contact.channel,
                                        contact.address_sealed))
            if target is not None and target != (contact.id, contact.person):
                moved += self._move(contact.id, *target)
        return moved

    def sealed_kinds(self) -> tuple[str, ...]:
        return (CONTACT_ADDRESS, OUTBOX_ADDRESS, OUTBOX_PAYLOAD, REPORT_REACH, TIMER_SEALED)

    async def reseal(self, kind: str, transform: Reseal, *, batch: int = 500) -> int:
        changed = 0
        if kind == CONTACT_ADDRESS:
            for cid, contact in list(self._contacts.items()):
                if (value := transform(contact.address_sealed)) is not None:
                    self._contacts[cid] = replace(contact, address_sealed=value)
                    changed += 1
        elif kind == OUTBOX_ADDRESS:
            for q in self._outbox.values():
                if q.address_sealed is not None and \
                        (value := transform(q.address_sealed)) is not None:
                    q.address_sealed = value
                    changed += 1
        elif kind in (TIMER_SEALED, OUTBOX_PAYLOAD):
            payloads = ([t.payload for t in self._due.values()] if kind == TIMER_SEALED
                        else [q.payload for q in self._outbox.values()])
            for payload in payloads:
                if "sealed" in payload and \
                        (value := transform(str(payload["sealed"]).encode())) is not None:
                    payload["sealed"] = value.decode("ascii")
                    changed += 1
        elif kind == REPORT_REACH:
            for ref, link in list(self._reach.items()):
                if (value := transform(link)) is not None:
                    self._reach[ref] = value
                    changed += 1
        else:
            raise StoreError(f"no sealed values of kind {kind!r}")
        return changed
