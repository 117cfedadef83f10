"""Advisories and their fan-out in SQLite (bot.storage.broadcast)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.storage.broadcast import (
    ADVISORY_END,
    BROADCAST,
    AdvisoryRow,
    Batch,
    BroadcastStore,
    NewAdvisory,
    Recipient,
)
from bot.storage.sqlite.connection import (
    Connections,
    every,
    immediate,
    in_thread,
    parse_ts,
    translated,
    ts,
)

_COLUMNS = ("id, created_at, severity, texts, channels, starts_at, expires_at, status,"
            " created_by, cursor, audience")
_FORGOTTEN = "'{}'"


def _row(r: Any, areas: Sequence[str], progress: dict[str, int] | None = None) -> AdvisoryRow:
    return AdvisoryRow(int(r[0]), parse_ts(r[1]), r[2], tuple(areas), json.loads(r[3]),
                       tuple(json.loads(r[4])), parse_ts(r[5]) if r[5] else None,
                       parse_ts(r[6]) if r[6] else None, r[7], r[8], str(r[9]), int(r[10]),
                       progress or {})


def _progress(c: sqlite3.Connection, advisory_id: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for status, delivery, error, n in c.execute(
            "SELECT status, delivery_status, last_error, count(*) FROM outbox"
            " WHERE broadcast = ? GROUP BY 1, 2, 3", (advisory_id,)):
        if status in ("pending", "sending"):
            key = "queued"
        elif status == "sent":
            key = "delivered" if delivery in ("delivered", "read") else "sent"
        elif status == "cancelled" or error == "expired":  # dropped, at send time too
            key = f"dropped:{error or 'cancelled'}"
        else:
            key = f"failed:{(error or 'error').split(' ')[0][:40]}"
        found[key] = found.get(key, 0) + int(n)
    return found


def audience_sql(areas: Sequence[str], channels: Sequence[str] = ()) -> tuple[str, list[str]]:
    """An audience's conditions on contacts ``c``, and their arguments: not opted
    out, on ``channels`` (all if none), subscribed to one of ``areas`` (to any area
    if none). Advisories' and polls' fan-outs share it."""
    only = (" AND c.channel IN (" + ", ".join("?" for _ in channels) + ")"
            if channels else "")
    within = (" AND s.area IN (" + ", ".join("?" for _ in areas) + ")") if areas else ""
    return (f" AND c.opted_out = 0{only} AND EXISTS (SELECT 1 FROM subscriptions s"
            f" WHERE s.contact_id = c.id{within})", [*channels, *areas])


class SQLiteBroadcast(Connections, BroadcastStore):
    async def create_advisory(self, new: NewAdvisory, now: datetime) -> int:
        start = new.starts_at or now

        def add(c: sqlite3.Connection) -> int:
            cursor = c.execute(
                "INSERT INTO advisories (created_at, severity, texts, expires_at, starts_at,"
                " channels, status, created_by) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?)",
                (ts(now), new.severity, json.dumps(new.texts, ensure_ascii=False),
                 ts(new.expires_at) if new.expires_at else None, ts(start),
                 json.dumps(list(new.channels)), new.created_by))
            advisory_id = int(cursor.lastrowid or 0)
            c.executemany("INSERT INTO advisory_areas (advisory_id, area) VALUES (?, ?)",
                          [(advisory_id, a) for a in sorted(set(new.areas))])
            timers = [(BROADCAST, str(advisory_id), json.dumps({"id": advisory_id}), ts(start))]
            if new.expires_at is not None:
                timers.append((ADVISORY_END, str(advisory_id), json.dumps({"id": advisory_id}),
                               ts(new.expires_at)))
            c.executemany("INSERT INTO due (kind, key, payload, due_at) VALUES (?, ?, ?, ?)"
                          " ON CONFLICT (kind, key) DO NOTHING", timers)
            return advisory_id

        async with self._write_lock:
            with translated("adding an advisory"):
                return await in_thread(self._w, immediate(add))

    async def advisory(self, advisory_id: int, *, progress: bool = True) -> AdvisoryRow | None:
        def read(c: sqlite3.Connection) -> AdvisoryRow | None:
            r = c.execute(f"SELECT {_COLUMNS} FROM advisories WHERE id = ?",
                          (advisory_id,)).fetchone()
            if r is None:
                return None
            areas = [a[0] for a in c.execute("SELECT area FROM advisory_areas WHERE"
                                              " advisory_id = ? ORDER BY area", (advisory_id,))]
            return _row(r, areas, _progress(c, advisory_id) if progress else None)

        with translated("reading an advisory"):
            return await in_thread(self._r, read)

    async def advisories(self, *, limit: int = 50) -> list[AdvisoryRow]:
        rows = await every(self._r, f"SELECT {_COLUMNS} FROM advisories"
                           " ORDER BY id DESC LIMIT ?", (limit,))
        areas: dict[int, list[str]] = {}
        for advisory_id, area in await every(self._r, "SELECT advisory_id, area FROM"
                                             " advisory_areas ORDER BY area"):
            areas.setdefault(int(advisory_id), []).append(area)
        with translated("reading advisories"):
            return [_row(r, areas.get(int(r[0]), [])) for r in rows]

    async def audience(self, areas: Sequence[str], channels: Sequence[str], *,
                       after: str = "", limit: int = 1000) -> list[Recipient]:
        audience, args = audience_sql(areas, channels)
        rows = await every(
            self._r,
            "SELECT c.id, c.id, c.channel, c.address_sealed, c.language, c.last_inbound_at"
            f" FROM contacts c WHERE c.id > ?{audience} ORDER BY c.id LIMIT ?",
            (after, *args, limit))
        with translated("reading an audience"):
            return [Recipient(str(r[0]), r[1], r[2], bytes(r[3]), r[4], parse_ts(r[5]))
                    for r in rows]

    async def fan_out(self, advisory_id: int, batch: Batch) -> int | None:
        """One statement does the batch: each row's payload is chosen by its
        contact's language in SQL (an advisory has one payload per language), so
        no row passes through Python (docs/performance.md, "Advisories")."""
        queued = ts(datetime.now(UTC))
        audience, args = audience_sql(batch.areas, batch.channels)
        cases = " ".join("WHEN ? THEN ?" for _ in batch.payloads)
        case_args = [v for lang, p in batch.payloads.items()
                     for v in (lang, json.dumps(p, ensure_ascii=False))]
        fallback = json.dumps(batch.fallback, ensure_ascii=False)

        def write(c: sqlite3.Connection) -> int | None:
            row = c.execute("SELECT status, cursor FROM advisories WHERE id = ?",
                            (advisory_id,)).fetchone()
            if row is None or row[0] not in ("scheduled", "sending") or row[1] != batch.cursor:
                return None
            last = c.execute(f"SELECT max(o) FROM (SELECT c.id AS o FROM contacts c"
                             f" WHERE c.id > ?{audience} ORDER BY c.id LIMIT ?)",
                             (batch.cursor, *args, batch.limit)).fetchone()[0]
            if last is None:
                return 0
            count = c.execute(
                "INSERT INTO outbox (created_at, contact_id, channel, address_sealed, kind,"
                " priority, payload, next_attempt_at, broadcast) SELECT ?, c.id, c.channel,"
                f" c.address_sealed, 'advisory', ?, CASE c.language {cases} ELSE ? END, ?, ?"
                f" FROM contacts c WHERE c.id > ? AND c.id <= ?{audience}",
                (queued, batch.priority, *case_args, fallback, queued, advisory_id,
                 batch.cursor, last, *args)).rowcount
            c.execute("UPDATE advisories SET cursor = ?, audience = audience + ?,"
                      " status = 'sending' WHERE id = ?", (last, count, advisory_id))
            return int(count)

        def unsynced(c: sqlite3.Connection) -> int | None:
            # A batch need not reach the disk before the next: its cursor commits
            # with it, so a batch lost in a crash is queued again, never twice. The
            # next durable commit (any turn's) syncs it with its own.
            c.execute("PRAGMA synchronous = NORMAL")
            try:
                return immediate(write)(c)
            finally:
                c.execute("PRAGMA synchronous = FULL")

        async with self._write_lock:
            with translated("fanning out an advisory"):
                done: int | None = await in_thread(self._w, unsynced)
                return done

    async def set_advisory_status(self, advisory_id: int, status: str, *,
                                  only_from: Sequence[str] = ()) -> bool:
        where = (" AND status IN (" + ", ".join("?" for _ in only_from) + ")"
                 if only_from else "")
        return await self._write(f"UPDATE advisories SET status = ? WHERE id = ?{where}",
                                 (status, advisory_id, *only_from)) > 0

    async def drop_broadcast(self, advisory_id: int, status: str, reason: str) -> int:
        def write(c: sqlite3.Connection) -> int:
            ended = c.execute("UPDATE advisories SET status = ? WHERE id = ?"
                              " AND status IN ('scheduled', 'sending', 'sent')",
                              (status, advisory_id)).rowcount
            if not ended:
                return 0
            dropped = c.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = ?, payload ="
                f" {_FORGOTTEN}, contact_id = NULL, address_sealed = NULL"
                " WHERE broadcast = ? AND status = 'pending'", (reason, advisory_id)).rowcount
            c.execute("DELETE FROM due WHERE kind IN (?, ?) AND key = ?",
                      (BROADCAST, ADVISORY_END, str(advisory_id)))
            return int(dropped)

        async with self._write_lock:
            with translated("ending a broadcast"):
                dropped: int = await in_thread(self._w, immediate(write))
                return dropped
