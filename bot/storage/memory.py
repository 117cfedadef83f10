"""The in-memory store: every port, no SQL, nothing kept past the process.

For tests, benchmarks (the ceiling storage could reach) and demos
(``storage.url = "memory://"``). A commit applies all of a turn or none of
it: everything is checked before anything changes, and nothing awaits in
between, so no other turn sees half of one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from bot.domain.effects import SubmitReport
from bot.domain.records import (
    Advisory,
    Contact,
    Conversation,
    HeldMessage,
    NewReport,
    NewTimer,
    OutboundRecord,
    Report,
    Session,
    TurnWrite,
)
from bot.storage.changes import TurnChangeSet
from bot.storage.coarse import subscription_month
from bot.storage.desk import AuditRow, DeskState
from bot.storage.keyed import Keyed, random_keys
from bot.storage.locks import KeyedLocks
from bot.storage.memory_broadcast import MemoryBroadcast
from bot.storage.memory_desk import MemoryDesk
from bot.storage.memory_keys import MemoryKeys
from bot.storage.memory_polls import MemoryPolls
from bot.storage.memory_reports import MemoryReports
from bot.storage.memory_rows import _Queued, _Timer
from bot.storage.ports import PENDING_CAP, DueTimer, Retention, Store, StoreError
from bot.storage.seams import ConversationLocks

_Key = tuple[str, str]


class _MemoryChanges(TurnChangeSet):
    """A turn's effects, gathered to be applied together."""

    def __init__(self, write: TurnWrite, keys: Keyed) -> None:
        super().__init__(write, keys)
        self.subscribed: list[tuple[str, bool]] = []  # (area, subscribe or not), in order
        self.reports: list[NewReport] = []

    def subscribe(self, area: str) -> None:
        self.subscribed.append((area, True))

    def unsubscribe(self, area: str) -> None:
        self.subscribed.append((area, False))

    def submit_report(self, report: SubmitReport) -> None:
        self.reports.append(self.new_report(report))


class MemoryStore(MemoryReports, MemoryDesk, MemoryKeys, MemoryBroadcast, MemoryPolls,
                  Store):
    """``keys``: random ones by default, which die with the store, as its data does."""

    def __init__(self, *, keys: Keyed | None = None) -> None:
        self._keys = keys or random_keys()
        self._locks = KeyedLocks()
        self._contacts: dict[str, Contact] = {}
        self._sessions: dict[str, Session] = {}
        self._subs: dict[str, dict[str, str]] = {}  # contact -> area -> month, in order
        self._seen: dict[_Key, str] = {}  # (channel, replay tag) -> day
        self._reports: dict[str, Report] = {}
        self._reach: dict[str, bytes] = {}  # ref -> sealed reach link
        self._held: dict[tuple[str, str], HeldMessage] = {}  # (channel, text) -> row
        self._advisories: list[Advisory] = []
        self._mine: dict[str, list[int]] = {}
        self._broadcast_tables()
        self._poll_tables()
        self._outbox: dict[int, _Queued] = {}
        self._desk_rows: dict[str, DeskState] = {}  # ref -> what the desk added
        self._audit_rows: list[AuditRow] = []

    def __repr__(self) -> str:
        return "MemoryStore()"

    @property
    def locks(self) -> ConversationLocks:
        return self._locks

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def schema_version(self) -> int:
        return 1

    async def ping(self) -> bool:
        return True

    # conversations -------------------------------------------------------
    async def load(self, contact_id: str) -> Conversation | None:
        contact = self._contacts.get(contact_id)
        if contact is None:
            return None
        return Conversation(contact, self._sessions.get(contact_id))

    async def inbound_seen(self, channel: str, external_id: str) -> bool:
        return (channel, external_id) in self._seen

    async def commit_turn(self, write: TurnWrite) -> bool:
        if write.inbound_key is not None and write.inbound_key in self._seen:
            return False
        changes = _MemoryChanges(write, self._keys)
        changes.apply()
        refs = [r.ref for r in changes.reports]
        if len(set(refs)) < len(refs) or any(ref in self._reports for ref in refs):
            raise StoreError("the turn could not be stored (report reference taken)")
        cid, at = write.contact.id, write.moment
        if write.inbound_key is not None:
            self._seen[write.inbound_key] = changes.replay_day
        for timer in changes.timers():
            await self.schedule(timer.kind, timer.key, timer.payload, timer.due_at)
        if changes.erased:
            self._erase(cid)
        else:
            contact = changes.contact_row()
            if contact is not None:
                stored = self._contacts.get(cid)
                self._contacts[cid] = contact if stored is None else replace(
                    stored, language=contact.language, opted_out=contact.opted_out,
                    last_inbound_at=contact.last_inbound_at,
                    reach_id=contact.reach_id or stored.reach_id)
            s = changes.session_row()
            if s is None:
                self._sessions.pop(cid, None)
            else:  # kept as SQLite keeps it: JSON data
                self._sessions[cid] = replace(s, data=json.loads(json.dumps(s.data)))
            areas = self._subs.setdefault(cid, {})
            for area, on in changes.subscribed:
                if on:
                    areas.setdefault(area, subscription_month(at))
                else:
                    areas.pop(area, None)
        for r in changes.reports:
            self._file(r)
        for ref, answer in changes.satisfaction:
            self._satisfied(ref, answer)
        self._audit_rows += [AuditRow(changes.audit_time(), a.actor, a.action, a.target,
                                      a.outcome, a.sensitive) for a in changes.audits]
        self._answered(changes)
        for h in changes.held:
            kept = self._held.pop((h.channel, h.text), None)
            self._held[(h.channel, h.text)] = h if kept is None else replace(
                kept, held_at=h.held_at, copies=kept.copies + 1)
        for o in changes.outbound():
            if o.contact_id is None or len(self._open_of(o.contact_id)) < PENDING_CAP:
                self._enqueue(o)
        return True

    def _erase(self, cid: str) -> None:
        stored = self._contacts.pop(cid, None)
        reach_id = None if stored is None else stored.reach_id
        self._sessions.pop(cid, None)
        self._subs.pop(cid, None)
        self._forget_answers(cid)
        for q in self._outbox.values():
            if q.contact_id == cid:
                q.contact_id, q.address_sealed, q.payload = None, None, {}
                if q.status == "pending":
                    q.status = "cancelled"
        for ref in [ref for ref, link in self._reach.items()
                    if reach_id is not None and self._keys.reach_of(link) == reach_id]:
            del self._reach[ref]
            self._reports[ref] = replace(self._reports[ref], contactable=False)

    # audience -------------------------------------------------------------
    async def subscriptions(self, contact_id: str) -> list[str]:
        return list(self._subs.get(contact_id, {}))

    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None:
        live = [a for a in (*self._advisories, *self._started()) if area in a.areas
                and (a.expires_at is None or a.expires_at > now)]
        return max(live, key=lambda a: (a.created_at, a.id), default=None)

    async def add_advisory(
        self, *, severity: str, areas: Sequence[str], texts: dict[str, str], now: datetime,
        expires_at: datetime | None = None,
    ) -> int:
        advisory = Advisory(self._next_id("advisories"), now, severity, tuple(sorted(set(areas))),
                            dict(texts), expires_at)
        self._advisories.append(advisory)
        return advisory.id

    # outbox ---------------------------------------------------------------
    async def claim_outbound(
        self, now: datetime, limit: int, lease_until: datetime,
        channels: Sequence[str] | None = None,
    ) -> list[OutboundRecord]:
        due = [q for q in self._outbox.values()
               if (channels is None or q.channel in channels)
               and ((q.status == "pending" and q.next_attempt_at <= now)
                    or (q.status == "sending" and q.lease_until is not None
                        and q.lease_until <= now))
               and not self._held_back(q, now)]
        due.sort(key=lambda q: (-q.priority, q.id))
        claimed = []
        for q in due[:limit]:
            q.status, q.lease_until = "sending", lease_until
            contact = self._contacts.get(q.contact_id) if q.contact_id else None
            claimed.append(OutboundRecord(
                q.id, q.contact_id, q.channel, q.address_sealed, q.kind,
                dict(q.payload), q.attempts,
                contact.last_inbound_at if contact else None,
                contact.opted_out if contact else False))
        return claimed

    def _held_back(self, q: _Queued, now: datetime) -> bool:
        """Whether another open message of ``q``'s contact goes first (SQLite's
        claim_query, in Python): one at a time per contact, in claim order."""
        if q.contact_id is None:
            return False
        untried = q.status == "pending" and q.last_error is None
        return any(
            (b.status == "sending" and ((b.lease_until is not None and b.lease_until > now)
                                        or b.id < q.id))
            or (b.status == "pending" and b.id < q.id
                and (b.next_attempt_at > now or b.last_error is not None))
            or (untried and b.status == "pending" and b.next_attempt_at <= now
                and (b.priority, -b.id) > (q.priority, -q.id))
            for b in self._open_of(q.contact_id) if b.id != q.id)

    async def renew_outbound(
        self, ids: Sequence[int], held_until: datetime, lease_until: datetime,
    ) -> set[int]:
        renewed = set()
        for oid in ids:
            q = self._outbox.get(oid)
            if q is not None and q.status == "sending" and q.lease_until == held_until:
                q.lease_until = lease_until
                renewed.add(oid)
        return renewed

    async def set_opted_out(self, contact_id: str, opted_out: bool) -> None:
        contact = self._contacts.get(contact_id)
        if contact is not None:
            self._contacts[contact_id] = replace(contact, opted_out=opted_out)

    async def delivery_status(
        self, channel: str, external_id: str, status: str, error: str | None,
    ) -> bool:
        found = False
        for q in self._outbox.values():
            if q.channel == channel and q.external_id == external_id:
                q.delivery, found = status, True
                if error is not None:
                    q.last_error = error
        return found

    async def outbound_sent(
        self, outbound_id: int, *, external_id: str | None, segments: int, now: datetime,
        timer: NewTimer | None = None,
    ) -> None:
        q = self._outbox.get(outbound_id)
        if q is None:
            return
        if timer is not None:
            await self.schedule(timer.kind, timer.key, timer.payload, timer.due_at)
        q.status, q.address_sealed, q.lease_until = "sent", None, None
        q.contact_id, q.payload = None, {}  # what it said, and to whom, is forgotten
        q.external_id, q.segments, q.sent_at, q.attempts = (external_id, segments, now,
                                                             q.attempts + 1)

    async def outbound_retry(self, outbound_id: int, *, error: str, at: datetime,
                             parts_sent: int = 0, segments_sent: int = 0,
                             counted: bool = True) -> None:
        q = self._outbox.get(outbound_id)
        if q is None:
            return
        q.status, q.lease_until, q.last_error, q.next_attempt_at = "pending", None, error, at
        q.attempts += int(counted)
        if parts_sent > 0:
            q.payload.update(parts_sent=parts_sent, segments_sent=segments_sent)

    async def outbound_release(self, outbound_id: int) -> None:
        q = self._outbox.get(outbound_id)
        if q is None:
            return
        if q.status == "sending":
            q.status, q.lease_until = "pending", None

    async def outbound_failed(self, outbound_id: int, *, error: str, now: datetime) -> None:
        q = self._outbox.get(outbound_id)
        if q is None:
            return
        q.status, q.address_sealed, q.lease_until = "failed", None, None
        q.contact_id, q.payload = None, {}
        q.last_error, q.attempts, q.sent_at = error, q.attempts + 1, now

    async def outbox_depth(self) -> int:
        return sum(q.status in ("pending", "sending") for q in self._outbox.values())
    # timers ---------------------------------------------------------------
    @cached_property
    def _due(self) -> dict[int, _Timer]:
        return {}

    async def schedule(self, kind: str, key: str, payload: dict[str, Any],
                       due_at: datetime) -> int:
        for t in self._due.values():
            if (t.kind, t.key) == (kind, key):
                return t.id
        timer_id = max(self._due, default=0) + 1
        self._due[timer_id] = _Timer(timer_id, kind, key, json.loads(json.dumps(payload)),
                                     due_at)
        return timer_id

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime,
                        kinds: Sequence[str] | None = None) -> list[DueTimer]:
        due = sorted((t for t in self._due.values()
                      if t.due_at <= now and (kinds is None or t.kind in kinds)),
                     key=lambda t: (t.due_at, t.id))[:limit]
        for t in due:
            t.due_at = lease_until
        return [DueTimer(t.id, t.kind, t.key, json.loads(json.dumps(t.payload)), t.attempts)
                for t in due]

    async def timer_done(self, timer_id: int, *, again_at: datetime | None = None) -> None:
        timer = self._due.get(timer_id)
        if timer is None:
            return
        if again_at is None:
            del self._due[timer_id]
        else:
            timer.due_at, timer.attempts, timer.last_error = again_at, 0, None

    async def timer_retry(self, timer_id: int, *, at: datetime, error: str) -> None:
        timer = self._due.get(timer_id)
        if timer is not None:
            timer.due_at, timer.attempts, timer.last_error = at, timer.attempts + 1, error

    async def cancel_timer(self, kind: str, key: str) -> bool:
        for t in list(self._due.values()):
            if (t.kind, t.key) == (kind, key):
                del self._due[t.id]
                return True
        return False

    # retention ------------------------------------------------------------
    @cached_property
    def _ids(self) -> dict[str, itertools.count[int]]:
        """Row ids, each given once (once rows are purged, their count is an id
        that a kept row holds)."""
        return {"outbox": itertools.count(1), "reports": itertools.count(1),
                "advisories": itertools.count(1), "polls": itertools.count(1)}

    def _next_id(self, table: str) -> int:
        return next(self._ids[table])

    async def purge(self, now: datetime, retention: Retention) -> dict[str, int]:
        records = now - retention.records
        # replay keys are judged by their day, as SQLite keeps them
        replay_day = (now - retention.replay_keys).astimezone(UTC).date()
        idle = now - retention.sessions
        reports = [ref for ref, r in self._reports.items() if r.updated_at < records]
        for ref in reports:
            del self._reports[ref]
            self._reach.pop(ref, None)
        outbox = [q.id for q in self._outbox.values()
                  if q.status in ("sent", "failed", "cancelled") and q.created_at < records]
        for oid in outbox:
            del self._outbox[oid]
        keys = [k for k, day in self._seen.items() if day < replay_day.isoformat()]
        for k in keys:
            del self._seen[k]
        sessions = [s for s in self._sessions.values() if s.updated_at < idle]
        for s in sessions:
            del self._sessions[s.contact_id]
        return {"reports": len(reports), "outbox": len(outbox), "replay_keys": len(keys),
                "sessions": len(sessions), "drafts": sum("draft" in s.data for s in sessions),
                "held": self._purge_held(records), **self._purge_desk(records, reports)}

    def _purge_held(self, records: datetime) -> int:
        old = [k for k, h in self._held.items() if h.held_at < records]
        for k in old:
            del self._held[k]
        return len(old)
