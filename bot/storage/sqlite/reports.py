"""Reports and the audience (subscriptions, advisories) in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.domain.records import Advisory, Report, ReportStatus
from bot.storage.coarse import report_time
from bot.storage.keyed import Keyed
from bot.storage.ports import AudienceStore, ReportStore
from bot.storage.sqlite import queries
from bot.storage.sqlite.connection import (
    Connections,
    every,
    immediate,
    in_thread,
    one,
    parse_ts,
    translated,
    ts,
)


class SQLiteReports(Connections, ReportStore):
    _keys: Keyed

    async def report_by_ref(self, ref: str) -> Report | None:
        def read(c: sqlite3.Connection) -> Report | None:
            row = c.execute(f"SELECT {queries.REPORT_COLUMNS} FROM reports WHERE ref = ?",
                            (ref,)).fetchone()
            return queries.report(row) if row else None

        return self._quick_read("reading a report", read)  # by its key: microseconds

    async def reference_exists(self, ref: str) -> bool:
        return await one(self._r, "SELECT 1 FROM reports WHERE ref = ?", (ref,)) is not None

    async def reporter_of(self, ref: str) -> str | None:
        row = await one(self._r, "SELECT reach FROM reports WHERE ref = ?", (ref,))
        reach_id = None if row is None or row[0] is None else self._keys.reach_of(bytes(row[0]))
        if reach_id is None:
            return None
        found = await one(self._r, "SELECT id FROM contacts WHERE reach_id = ?", (reach_id,))
        return None if found is None else str(found[0])

    async def list_reports(
        self, *, status: ReportStatus | None = None, category: str | None = None,
        include_sensitive: bool = False, limit: int = 100,
    ) -> list[Report]:
        where, args = ["1=1"], []
        if status is not None:
            where.append("status = ?")
            args.append(status.value)
        if category is not None:
            where.append("category = ?")
            args.append(category)
        if not include_sensitive:
            where.append("sensitive = 0")
        rows = await every(
            self._r, f"SELECT {queries.REPORT_COLUMNS} FROM reports WHERE {' AND '.join(where)}"
            " ORDER BY created_at DESC, id DESC LIMIT ?", (*args, limit))
        return [queries.report(r) for r in rows]

    async def set_report_status(
        self, ref: str, status: ReportStatus, *, public_reply: str | None, now: datetime,
    ) -> bool:
        changed = await self._write(
            "UPDATE reports SET status = ?, public_reply = COALESCE(?, public_reply),"
            " updated_at = ? WHERE ref = ?",
            (status.value, public_reply, ts(report_time(now)), ref))
        return changed > 0


class SQLiteAudience(Connections, AudienceStore):
    async def subscriptions(self, contact_id: str) -> list[str]:
        rows = await every(
            self._r, "SELECT area FROM subscriptions WHERE contact_id = ?"
            " ORDER BY rowid", (contact_id,))
        return [r[0] for r in rows]

    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None:
        row = await one(
            self._r,
            "SELECT a.id, a.created_at, a.severity, a.texts, a.expires_at FROM advisories a"
            " JOIN advisory_areas x ON x.advisory_id = a.id WHERE x.area = ?"
            " AND a.status IN ('sending', 'sent')"
            " AND (a.expires_at IS NULL OR a.expires_at > ?)"
            " ORDER BY a.created_at DESC, a.id DESC LIMIT 1",
            (area, ts(now)),
        )
        if row is None:
            return None
        areas = await every(self._r, "SELECT area FROM advisory_areas WHERE advisory_id = ?"
                            " ORDER BY area", (row[0],))
        return Advisory(row[0], parse_ts(row[1]), row[2], tuple(a[0] for a in areas),
                        json.loads(row[3]), parse_ts(row[4]) if row[4] else None)

    async def add_advisory(
        self, *, severity: str, areas: Sequence[str], texts: dict[str, str], now: datetime,
        expires_at: datetime | None = None,
    ) -> int:
        row = (ts(now), severity, json.dumps(texts, ensure_ascii=False),
               ts(expires_at) if expires_at else None)
        distinct = sorted(set(areas))

        def add(c: sqlite3.Connection) -> int:
            cursor = c.execute("INSERT INTO advisories (created_at, severity, texts, expires_at)"
                               " VALUES (?, ?, ?, ?)", row)
            advisory_id = int(cursor.lastrowid or 0)
            c.executemany("INSERT INTO advisory_areas (advisory_id, area) VALUES (?, ?)",
                          [(advisory_id, area) for area in distinct])
            return advisory_id

        async with self._write_lock:
            with translated("adding an advisory"):
                return await in_thread(self._w, immediate(add))
