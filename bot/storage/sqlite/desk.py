"""The desk in SQLite (bot.storage.desk): a change and its audit row in one
IMMEDIATE transaction, with the messages and due rows it leaves."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.domain.effects import SEALED_REF
from bot.domain.records import HeldMessage, Report
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
from bot.storage.sqlite import queries
from bot.storage.sqlite.connection import (
    Connections,
    every,
    immediate,
    in_thread,
    parse_ts,
    translated,
    ts,
)

MAX_REFS = 500  # refs per query of desk states (SQLite allows 32,766 variables)


def audit_params(row: AuditRow) -> tuple[Any, ...]:
    """An audit row's values, in the order of the audit statements."""
    return (ts(report_time(row.at)), row.actor, row.action, row.target, row.outcome,
            int(row.sensitive))


_AUDIT = ("INSERT INTO audit (created_at, actor, action, target, outcome, sensitive)"
          " VALUES (?, ?, ?, ?, ?, ?)")

_PROMPT = ("INSERT INTO sessions (contact_id, step, data, updated_at) VALUES (?, ?, ?, ?)"
           " ON CONFLICT (contact_id) DO UPDATE SET step = excluded.step, data = excluded.data,"
           " updated_at = excluded.updated_at WHERE sessions.step IS NULL"
           " OR sessions.step IN (?, ?) OR sessions.updated_at < ?")


def _apply(change: DeskChange, keys: Keyed) -> Any:
    at = ts(report_time(change.at))

    def run(c: sqlite3.Connection) -> bool:
        row = c.execute("SELECT status, sensitive FROM reports WHERE ref = ?",
                        (change.ref,)).fetchone()
        if row is None or (change.expect is not None and row[0] != change.expect.value):
            return False
        ref = change.ref
        if not _alerted(c, change, at):
            return False
        if change.status is not None or change.public_reply is not None:
            c.execute("UPDATE reports SET status = COALESCE(?, status),"
                      " public_reply = COALESCE(?, public_reply), updated_at = ? WHERE ref = ?",
                      (None if change.status is None else change.status.value,
                       change.public_reply, at, ref))
        if change.assign:
            c.execute("UPDATE reports SET assignee = ? WHERE ref = ?", (change.assignee, ref))
        if change.partner is not None:
            c.execute("UPDATE reports SET partner = ? WHERE ref = ?", (change.partner, ref))
        c.executemany("DELETE FROM report_tags WHERE ref = ? AND tag = ?",
                      [(ref, t) for t in change.tags_remove])
        c.executemany("INSERT OR IGNORE INTO report_tags (ref, tag) VALUES (?, ?)",
                      [(ref, t) for t in change.tags_add])
        events = []
        if change.event is not None:
            events.append((ref, at, change.actor, change.action, change.event, 0))
        if change.note is not None:
            events.append((ref, at, change.actor, "note", change.note, 1))
        c.executemany("INSERT INTO report_events (ref, at, actor, action, detail, note)"
                      " VALUES (?, ?, ?, ?, ?, ?)", events)
        queued = ts(datetime.now(UTC))
        present = _present(c, {o.contact_id for o in change.outbound if o.contact_id}
                           | ({change.prompt.contact_id} if change.prompt else set()))
        c.executemany(
            "INSERT INTO outbox (created_at, contact_id, channel, address_sealed, kind,"
            " priority, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(queued, o.contact_id, o.channel, o.address_sealed, o.kind, o.priority,
              json.dumps(o.payload, ensure_ascii=False), queued) for o in change.outbound
             if o.contact_id is None or o.contact_id in present])
        c.executemany("DELETE FROM due WHERE kind = ? AND key = ?", list(change.cancel))
        c.executemany("INSERT INTO due (kind, key, payload, due_at) VALUES (?, ?, ?, ?)"
                      " ON CONFLICT (kind, key) DO NOTHING",
                      [(t.kind, t.key, json.dumps(t.payload, ensure_ascii=False),
                        ts(t.due_at)) for t in change.timers])
        if change.prompt is not None and change.prompt.contact_id in present:
            p = change.prompt
            data = {**p.data, SEALED_REF: keys.seal_reach(ref).decode("ascii")}
            c.execute(_PROMPT, (p.contact_id, p.step, json.dumps(data, ensure_ascii=False),
                                ts(session_time(p.updated_at)), *IDLE_STEPS,
                                ts(change.stale) if change.stale else ""))
        c.execute(_AUDIT, (at, change.actor, change.action, ref, "ok", int(row[1])))
        return True

    return run


def _alerted(c: sqlite3.Connection, change: DeskChange, at: str) -> bool:
    """The change's alert round or acknowledgement, if it has one: whether it applied."""
    if change.alert_round == 0:
        return c.execute("INSERT INTO alerts (ref, raised_at, round) VALUES (?, ?, 0)"
                         " ON CONFLICT (ref) DO NOTHING", (change.ref, at)).rowcount > 0
    if change.alert_round is not None:
        return c.execute("UPDATE alerts SET round = ? WHERE ref = ? AND acked_at IS NULL"
                         " AND round < ?", (change.alert_round, change.ref,
                                            change.alert_round)).rowcount > 0
    if change.ack_seconds is not None:
        return c.execute("UPDATE alerts SET acked_at = ?, acked_by = ?, ack_seconds = ?"
                         " WHERE ref = ? AND acked_at IS NULL",
                         (at, change.actor, change.ack_seconds, change.ref)).rowcount > 0
    return True


_ALERTS = ("SELECT a.ref, a.round, a.raised_at, a.acked_by, a.ack_seconds,"
           " json_extract(d.payload, '$.raised') FROM alerts a LEFT JOIN due d"
           f" ON d.kind = '{URGENT_ALERT}' AND d.key = a.ref WHERE a.ref IN ")


def _present(c: sqlite3.Connection, ids: set[str]) -> set[str]:
    """Those of ``ids`` whose contact exists and has not opted out."""
    return {i for i in ids if c.execute("SELECT 1 FROM contacts WHERE id = ? AND opted_out = 0",
                                        (i,)).fetchone()}


def _state(row: Any, tags: list[Any], events: list[Any], alert: Any) -> DeskState:
    timeline = [(DeskEvent(parse_ts(e[0]), e[1], e[2], e[3]), bool(e[4])) for e in events]
    return DeskState(row[1], row[2], row[3], tuple(t[0] for t in tags),
                     tuple(e for e, note in timeline if note),
                     tuple(e for e, note in timeline if not note),
                     None if alert is None else AlertState(
                         alert[1], parse_ts(alert[5] or alert[2]), alert[3], alert[4]))


def _states(c: sqlite3.Connection, wanted: list[str]) -> dict[str, DeskState]:
    marks = ", ".join("?" * len(wanted))
    rows = c.execute("SELECT ref, assignee, partner, satisfaction FROM reports"
                     f" WHERE ref IN ({marks})", wanted).fetchall()
    tags: dict[str, list[Any]] = {r[0]: [] for r in rows}
    events: dict[str, list[Any]] = {r[0]: [] for r in rows}
    for ref, tag in c.execute(f"SELECT ref, tag FROM report_tags WHERE ref IN ({marks})"
                              " ORDER BY ref, tag", wanted):
        tags[ref].append((tag,))
    for e in c.execute("SELECT ref, at, actor, action, detail, note FROM report_events"
                       f" WHERE ref IN ({marks}) ORDER BY id", wanted):
        events[e[0]].append(e[1:])
    alerts = {a[0]: a for a in c.execute(f"{_ALERTS}({marks})", wanted)}
    return {r[0]: _state(r, tags[r[0]], events[r[0]], alerts.get(r[0])) for r in rows}


class SQLiteDesk(Connections, DeskStore):
    _keys: Keyed

    async def desk_state(self, ref: str) -> DeskState | None:
        return (await self.desk_states([ref])).get(ref)

    async def desk_states(self, refs: Sequence[str]) -> dict[str, DeskState]:
        wanted = list(dict.fromkeys(refs))

        def read(c: sqlite3.Connection) -> dict[str, DeskState]:
            found: dict[str, DeskState] = {}
            for start in range(0, len(wanted), MAX_REFS):
                found |= _states(c, wanted[start:start + MAX_REFS])
            return found

        if not wanted:
            return {}
        return self._quick_read("reading a report's desk", read)  # three queries a page

    async def desk_queue(self, query: DeskQuery) -> tuple[list[Report], int]:
        where, args = ["1=1"], []
        for column, value in (("status", query.status and query.status.value),
                              ("category", query.category), ("area", query.area),
                              ("assignee", query.assignee)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if query.waiting:
            where.append("status IN ('new', 'in_review')")
        if query.urgent:
            where.append("urgent = 1")
        if not query.include_sensitive:
            where.append("sensitive = 0")
        matching = " AND ".join(where)

        def read(c: sqlite3.Connection) -> tuple[list[Report], int]:
            total = c.execute(f"SELECT count(*) FROM reports WHERE {matching}", args).fetchone()
            rows = c.execute(f"SELECT {queries.REPORT_COLUMNS} FROM reports WHERE {matching}"
                             " ORDER BY urgent DESC, created_at, id LIMIT ? OFFSET ?",
                             (*args, query.limit, query.offset)).fetchall()
            return [queries.report(r) for r in rows], int(total[0])

        return self._quick_read("reading the queue", read)  # a page, and a count by index

    async def desk_change(self, change: DeskChange) -> bool:
        async with self._write_lock:
            with translated("a desk change"):
                done: bool = await in_thread(self._w, immediate(_apply(change, self._keys)))
                return done

    async def held_messages(self, *, offset: int = 0,
                            limit: int = 10) -> tuple[list[HeldMessage], int]:
        def read(c: sqlite3.Connection) -> tuple[list[HeldMessage], int]:
            total = c.execute("SELECT count(*) FROM held").fetchone()
            rows = c.execute("SELECT held_at, channel, language, text, redactions, media,"
                             " abusive, abuse_score, cues, copies FROM held"
                             " ORDER BY held_at DESC, id DESC LIMIT ? OFFSET ?",
                             (limit, offset)).fetchall()
            return [HeldMessage(parse_ts(r[0]), r[1], r[2], r[3], tuple(json.loads(r[4])),
                                tuple(json.loads(r[5])), bool(r[6]), float(r[7]),
                                tuple(json.loads(r[8])), int(r[9])) for r in rows], int(total[0])

        return self._quick_read("reading held messages", read)

    async def open_alerts(self, *, include_sensitive: bool = False) -> list[str]:
        only = "" if include_sensitive else " AND r.sensitive = 0"
        rows = await every(self._r, "SELECT a.ref FROM alerts a JOIN reports r ON r.ref = a.ref"
                           f" WHERE a.acked_at IS NULL{only} ORDER BY a.raised_at DESC,"
                           " a.rowid DESC", ())
        return [str(r[0]) for r in rows]

    async def add_audit(self, row: AuditRow) -> None:
        await self._write(_AUDIT, audit_params(row))

    async def audit_rows(self, *, since: datetime | None = None,
                         include_sensitive: bool = False) -> list[AuditRow]:
        where, args = ["1=1"], []
        if since is not None:
            where.append("created_at >= ?")
            args.append(ts(since))
        if not include_sensitive:
            where.append("sensitive = 0")
        rows = await every(self._r, "SELECT created_at, actor, action, target, outcome,"
                           f" sensitive FROM audit WHERE {' AND '.join(where)} ORDER BY id",
                           tuple(args))
        with translated("reading the audit trail"):
            return [AuditRow(parse_ts(r[0]), r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    async def record_satisfaction(self, ref: str, answer: str, now: datetime) -> bool:
        return await self._write("UPDATE reports SET satisfaction = ? WHERE ref = ?",
                                 (answer, ref)) > 0
