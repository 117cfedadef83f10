"""The desk in the in-memory store (bot.storage.desk): a mix-in of
:class:`~bot.storage.memory.MemoryStore`, whose tables it works on. A change is
checked before anything moves and nothing awaits in between, so it applies
whole or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.domain.effects import SEALED_REF
from bot.domain.records import Contact, HeldMessage, NewOutbound, Report, ReportStatus, Session
from bot.storage.changes import URGENT_ALERT
from bot.storage.coarse import report_time, session_time
from bot.storage.desk import (
    IDLE_STEPS,
    AlertState,
    AuditRow,
    DeskChange,
    DeskEvent,
    DeskQuery,
    DeskState,
    DeskStore,
)
from bot.storage.keyed import Keyed
from bot.storage.memory_rows import _Queued, _Timer

WAITING = (ReportStatus.NEW, ReportStatus.IN_REVIEW)


class MemoryDesk(DeskStore):
    _reports: dict[str, Report]
    _outbox: dict[int, _Queued]
    _sessions: dict[str, Session]
    _contacts: dict[str, Contact]
    _keys: Keyed
    _desk_rows: dict[str, DeskState]
    _audit_rows: list[AuditRow]
    _held: dict[tuple[str, str], HeldMessage]
    _mine: dict[str, list[int]]  # contact -> its outbox rows' ids, oldest first

    def _next_id(self, table: str) -> int:
        raise NotImplementedError  # MemoryStore's

    @property
    def _due(self) -> dict[int, _Timer]:
        raise NotImplementedError  # MemoryStore's

    def _desk(self) -> dict[str, DeskState]:
        return self._desk_rows

    def _audit(self) -> list[AuditRow]:
        return self._audit_rows

    def _enqueue(self, o: NewOutbound) -> None:
        oid = self._next_id("outbox")
        now = datetime.now(UTC)
        self._put(_Queued(oid, now, o.contact_id, o.channel, o.address_sealed, o.kind,
                          o.priority, dict(o.payload), now))

    def _put(self, q: _Queued) -> None:
        """A new outbox row, indexed by its contact (as SQLite's outbox_person)."""
        self._outbox[q.id] = q
        if q.contact_id is not None:
            self._mine.setdefault(q.contact_id, []).append(q.id)

    def _open_of(self, contact_id: str) -> list[_Queued]:
        """The contact's pending and leased rows (those gone through leave the index)."""
        rows = [q for i in self._mine.get(contact_id, ()) if (q := self._outbox.get(i))
                and q.contact_id == contact_id and q.status in ("pending", "sending")]
        self._mine[contact_id] = [q.id for q in rows]
        return rows

    async def desk_state(self, ref: str) -> DeskState | None:
        if ref not in self._reports:
            return None
        state = self._desk().get(ref, DeskState())
        if state.alert is not None:  # to the second while its due row lives
            raised = next((t.payload.get("raised") for t in self._due.values()
                           if (t.kind, t.key) == (URGENT_ALERT, ref)), None)
            if raised:
                state = replace(state, alert=replace(
                    state.alert, raised_at=datetime.fromisoformat(str(raised))))
        return state

    async def held_messages(self, *, offset: int = 0,
                            limit: int = 10) -> tuple[list[HeldMessage], int]:
        rows = list(reversed(self._held.values()))  # the latest held last in the dict
        rows.sort(key=lambda h: h.held_at, reverse=True)
        return rows[offset:offset + limit], len(rows)

    async def open_alerts(self, *, include_sensitive: bool = False) -> list[str]:
        found = [(s.alert.raised_at, ref) for ref, s in self._desk().items()
                 if s.alert is not None and s.alert.acked_by is None and ref in self._reports
                 and (include_sensitive or not self._reports[ref].sensitive)]
        return [ref for _at, ref in sorted(found, reverse=True)]

    def _alerted(self, change: DeskChange, state: DeskState, at: datetime) -> DeskState | None:
        """``state`` with the change's alert round or acknowledgement; None when
        it does not apply (see DeskChange)."""
        alert = state.alert
        if change.alert_round == 0:
            return None if alert is not None else replace(state, alert=AlertState(0, at))
        if change.alert_round is not None:
            if alert is None or alert.acked_by is not None or alert.round >= change.alert_round:
                return None
            return replace(state, alert=replace(alert, round=change.alert_round))
        if change.ack_seconds is not None:
            if alert is None or alert.acked_by is not None:
                return None
            return replace(state, alert=replace(alert, acked_by=change.actor,
                                                ack_seconds=change.ack_seconds))
        return state

    async def desk_queue(self, query: DeskQuery) -> tuple[list[Report], int]:
        desk = self._desk()
        found = [r for r in self._reports.values()
                 if (query.status is None or r.status is query.status)
                 and (not query.waiting or r.status in WAITING)
                 and (query.category is None or r.category == query.category)
                 and (query.area is None or r.area == query.area)
                 and (query.assignee is None
                      or desk.get(r.ref, DeskState()).assignee == query.assignee)
                 and (not query.urgent or r.urgent)
                 and (query.include_sensitive or not r.sensitive)]
        found.sort(key=lambda r: (not r.urgent, r.created_at, r.id))
        return found[query.offset:query.offset + query.limit], len(found)

    async def desk_change(self, change: DeskChange) -> bool:
        report = self._reports.get(change.ref)
        if report is None or (change.expect is not None and report.status is not change.expect):
            return False
        at = report_time(change.at)
        alerted = self._alerted(change, self._desk().get(change.ref, DeskState()), at)
        if alerted is None:
            return False
        state = alerted
        if change.status is not None or change.public_reply is not None:
            self._reports[change.ref] = replace(
                report, updated_at=at, status=change.status or report.status,
                public_reply=change.public_reply or report.public_reply)
        tags = [t for t in state.tags if t not in change.tags_remove]
        tags += [t for t in dict.fromkeys(change.tags_add) if t not in tags]
        notes = state.notes
        if change.note is not None:
            notes += (DeskEvent(at, change.actor, "note", change.note),)
        timeline = state.timeline
        if change.event is not None:
            timeline += (DeskEvent(at, change.actor, change.action, change.event),)
        self._desk()[change.ref] = replace(
            state, assignee=change.assignee if change.assign else state.assignee,
            partner=change.partner or state.partner, tags=tuple(sorted(tags)),
            notes=notes, timeline=timeline)
        for o in change.outbound:
            if o.contact_id is None or self._present(o.contact_id):
                self._enqueue(o)
        for kind, key in change.cancel:
            for t in [t for t in self._due.values() if (t.kind, t.key) == (kind, key)]:
                del self._due[t.id]
        for timer in change.timers:
            if not any((t.kind, t.key) == (timer.kind, timer.key) for t in self._due.values()):
                timer_id = max(self._due, default=0) + 1
                payload: dict[str, Any] = dict(timer.payload)
                self._due[timer_id] = _Timer(timer_id, timer.kind, timer.key, payload,
                                             timer.due_at)
        prompt = change.prompt
        if prompt is not None and self._present(prompt.contact_id):
            held = self._sessions.get(prompt.contact_id)
            if (held is None or held.step is None or held.step in IDLE_STEPS
                    or (change.stale is not None and held.updated_at < change.stale)):
                sealed = self._keys.seal_reach(change.ref).decode("ascii")
                self._sessions[prompt.contact_id] = replace(
                    prompt, data={**prompt.data, SEALED_REF: sealed},
                    updated_at=session_time(prompt.updated_at))
        self._audit().append(AuditRow(at, change.actor, change.action, change.ref, "ok",
                                      report.sensitive))
        return True

    def _present(self, contact_id: str) -> bool:
        contact = self._contacts.get(contact_id)
        return contact is not None and not contact.opted_out

    async def add_audit(self, row: AuditRow) -> None:
        self._audit().append(replace(row, at=report_time(row.at)))

    async def audit_rows(self, *, since: datetime | None = None,
                         include_sensitive: bool = False) -> list[AuditRow]:
        return [r for r in self._audit()
                if (since is None or r.at >= since) and (include_sensitive or not r.sensitive)]

    async def record_satisfaction(self, ref: str, answer: str, now: datetime) -> bool:
        return self._satisfied(ref, answer)

    def _satisfied(self, ref: str, answer: str) -> bool:
        if ref not in self._reports:
            return False
        self._desk()[ref] = replace(self._desk().get(ref, DeskState()), satisfaction=answer)
        return True

    def _purge_desk(self, records: datetime, reports: list[str]) -> dict[str, int]:
        """The desk rows of purged reports go with them; audit rows as old as records."""
        for ref in reports:
            self._desk().pop(ref, None)
        audit = self._audit()
        kept = [r for r in audit if r.at >= records]
        gone = len(audit) - len(kept)
        audit[:] = kept
        return {"audit": gone}
