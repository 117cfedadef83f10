"""Advisories and their fan-out in the in-memory store (bot.storage.broadcast): a
mix-in of :class:`~bot.storage.memory.MemoryStore`, on its tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.records import Advisory, Contact
from bot.storage.broadcast import (
    ADVISORY_END,
    BROADCAST,
    AdvisoryRow,
    Batch,
    BroadcastStore,
    NewAdvisory,
    Recipient,
)
from bot.storage.memory_rows import _Queued, _Timer


class MemoryBroadcast(BroadcastStore):
    _contacts: dict[str, Contact]
    _subs: dict[str, dict[str, str]]
    _outbox: dict[int, _Queued]
    _advisories: list[Advisory]

    def _next_id(self, table: str) -> int:
        raise NotImplementedError  # MemoryStore's

    def _put(self, q: _Queued) -> None:
        raise NotImplementedError  # MemoryDesk's

    @property
    def _due(self) -> dict[int, _Timer]:
        raise NotImplementedError  # MemoryStore's

    def _broadcast_tables(self) -> None:
        self._adv_rows: dict[int, AdvisoryRow] = {}

    def _started(self) -> list[Advisory]:
        """Advisories residents may read: those whose fan-out began."""
        return [Advisory(a.id, a.created_at, a.severity, a.areas, a.texts, a.expires_at)
                for a in self._adv_rows.values() if a.status in ("sending", "sent")]

    def _schedule(self, kind: str, key: str, due_at: datetime, advisory_id: int) -> None:
        if not any((t.kind, t.key) == (kind, key) for t in self._due.values()):
            timer_id = max(self._due, default=0) + 1
            self._due[timer_id] = _Timer(timer_id, kind, key, {"id": advisory_id}, due_at)

    async def create_advisory(self, new: NewAdvisory, now: datetime) -> int:
        advisory_id = self._next_id("advisories")
        start = new.starts_at or now
        self._adv_rows[advisory_id] = AdvisoryRow(
            advisory_id, now, new.severity, tuple(sorted(set(new.areas))), dict(new.texts),
            tuple(new.channels), start, new.expires_at, "scheduled", new.created_by, "", 0)
        self._schedule(BROADCAST, str(advisory_id), start, advisory_id)
        if new.expires_at is not None:
            self._schedule(ADVISORY_END, str(advisory_id), new.expires_at, advisory_id)
        return advisory_id

    async def advisory(self, advisory_id: int, *, progress: bool = True) -> AdvisoryRow | None:
        row = self._adv_rows.get(advisory_id)
        if row is None or not progress:
            return row
        counts: dict[str, int] = {}
        for q in self._outbox.values():
            if q.broadcast != advisory_id:
                continue
            if q.status in ("pending", "sending"):
                key = "queued"
            elif q.status == "sent":
                key = "delivered" if q.delivery in ("delivered", "read") else "sent"
            elif q.status == "cancelled" or q.last_error == "expired":
                key = f"dropped:{q.last_error or 'cancelled'}"
            else:
                key = f"failed:{(q.last_error or 'error').split(' ')[0][:40]}"
            counts[key] = counts.get(key, 0) + 1
        return replace(row, progress=counts)

    async def advisories(self, *, limit: int = 50) -> list[AdvisoryRow]:
        return sorted(self._adv_rows.values(), key=lambda a: -a.id)[:limit]

    async def audience(self, areas: Sequence[str], channels: Sequence[str], *,
                       after: str = "", limit: int = 1000) -> list[Recipient]:
        wanted = set(areas)
        found = [Recipient(c.id, c.id, c.channel, c.address_sealed, c.language,
                           c.last_inbound_at)
                 for c in self._contacts.values()
                 if c.id > after and not c.opted_out
                 and (not channels or c.channel in channels)
                 and wanted & set(self._subs.get(c.id, {}))]
        found.sort(key=lambda r: r.order)
        return found[:limit]

    async def fan_out(self, advisory_id: int, batch: Batch) -> int | None:
        row = self._adv_rows.get(advisory_id)
        if row is None or row.cursor != batch.cursor or row.status not in ("scheduled",
                                                                            "sending"):
            return None
        found = await self.audience(batch.areas, batch.channels, after=batch.cursor,
                                    limit=batch.limit)
        if not found:
            return 0
        now = datetime.now(UTC)
        for r in found:
            payload = batch.payloads.get(r.language or "", batch.fallback)
            oid = self._next_id("outbox")
            self._put(_Queued(oid, now, r.contact_id, r.channel, r.address_sealed,
                              "advisory", batch.priority, dict(payload), now,
                              broadcast=advisory_id))
        self._adv_rows[advisory_id] = replace(row, cursor=found[-1].order,
                                              audience=row.audience + len(found),
                                              status="sending")
        return len(found)

    async def set_advisory_status(self, advisory_id: int, status: str, *,
                                  only_from: Sequence[str] = ()) -> bool:
        row = self._adv_rows.get(advisory_id)
        if row is None or (only_from and row.status not in only_from):
            return False
        self._adv_rows[advisory_id] = replace(row, status=status)
        return True

    async def drop_broadcast(self, advisory_id: int, status: str, reason: str) -> int:
        row = self._adv_rows.get(advisory_id)
        if row is None or row.status not in ("scheduled", "sending", "sent"):
            return 0
        self._adv_rows[advisory_id] = replace(row, status=status)
        dropped = 0
        for q in self._outbox.values():
            if q.broadcast == advisory_id and q.status == "pending":
                q.status, q.last_error, q.payload = "cancelled", reason, {}
                q.contact_id = q.address_sealed = None
                dropped += 1
        for timer_id in [t.id for t in self._due.values()
                         if t.kind in (BROADCAST, ADVISORY_END) and t.key == str(advisory_id)]:
            del self._due[timer_id]
        return dropped
