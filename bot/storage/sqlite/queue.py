"""The outbox in SQLite: claims under a lease, and the marks a send leaves."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.records import NewTimer, OutboundRecord
from bot.storage.ports import OutboxStore
from bot.storage.sqlite import queries
from bot.storage.sqlite.batch import timer_mark
from bot.storage.sqlite.connection import (
    Connections,
    immediate,
    in_thread,
    one,
    parse_ts,
    ts,
    versioned,
)

UNREADABLE = ("UPDATE outbox SET status = 'failed', address_sealed = NULL, lease_until = NULL,"
              " last_error = 'stored message unreadable' WHERE id = ?")


def _record(r: Any) -> OutboundRecord:
    return OutboundRecord(r[0], r[1], r[2], bytes(r[3]) if r[3] is not None else None, r[4],
                          json.loads(r[5]), r[6], parse_ts(r[7]) if r[7] else None, bool(r[8]))


class SQLiteOutbox(Connections, OutboxStore):
    async def claim_outbound(
        self, now: datetime, limit: int, lease_until: datetime,
        channels: Sequence[str] | None = None,
    ) -> list[OutboundRecord]:
        if channels is not None and not channels:
            return []
        names = list(channels) if channels is not None else []
        args: dict[str, Any] = {"now": ts(now), "limit": limit}
        args.update((f"c{n}", name) for n, name in enumerate(names))
        sql = queries.claim_query(None if channels is None else len(names))
        until = ts(lease_until)

        def claim(c: sqlite3.Connection) -> list[OutboundRecord]:
            rows = c.execute(sql, args).fetchall()
            records, unreadable = [], []
            for r in rows:
                try:
                    records.append(_record(r))
                except (ValueError, TypeError):  # one bad row must not stop every claim
                    unreadable.append((r[0],))
            if records:
                c.executemany("UPDATE outbox SET status = 'sending', lease_until = ?"
                              " WHERE id = ?", [(until, r.id) for r in records])
            if unreadable:
                c.executemany(UNREADABLE, unreadable)
            return records

        async with self._write_lock:  # IMMEDIATE: other processes may claim too
            version, claimed = await in_thread(self._w, versioned(immediate(claim)))
        self._version_seen(version)  # a message another process queued: it wrote
        return claimed

    async def renew_outbound(
        self, ids: Sequence[int], held_until: datetime, lease_until: datetime,
    ) -> set[int]:
        if not ids:
            return set()
        sql = queries.renew_query(len(ids))
        args = [ts(lease_until), *ids, ts(held_until)]

        def renew(c: sqlite3.Connection) -> list[Any]:
            return c.execute(sql, args).fetchall()

        async with self._write_lock:
            rows = await in_thread(self._w, immediate(renew))
        return {int(r[0]) for r in rows}

    async def set_opted_out(self, contact_id: str, opted_out: bool) -> None:
        await self._submit_mark("opted_out", (int(opted_out), contact_id))

    async def delivery_status(
        self, channel: str, external_id: str, status: str, error: str | None,
    ) -> bool:
        changed = await self._write(queries.DELIVERY_QUERY, (status, error, channel, external_id))
        return changed > 0

    async def outbound_sent(
        self, outbound_id: int, *, external_id: str | None, segments: int, now: datetime,
        timer: NewTimer | None = None,
    ) -> None:
        also = () if timer is None else (timer_mark(timer),)
        await self._submit_mark("sent", (external_id, segments, ts(now), outbound_id), also)

    async def outbound_retry(self, outbound_id: int, *, error: str, at: datetime,
                             parts_sent: int = 0, segments_sent: int = 0,
                             counted: bool = True) -> None:
        if parts_sent > 0:
            await self._submit_mark("retry_partial" if counted else "defer_partial",
                                    (error, ts(at), parts_sent, segments_sent, outbound_id))
        else:
            await self._submit_mark("retry" if counted else "defer", (error, ts(at), outbound_id))

    async def outbound_release(self, outbound_id: int) -> None:
        await self._submit_mark("release", (outbound_id,))

    async def outbound_failed(self, outbound_id: int, *, error: str, now: datetime) -> None:
        await self._submit_mark("failed", (error, ts(now), outbound_id))

    async def outbox_depth(self) -> int:
        row = await one(self._r, queries.DEPTH_QUERY)
        return int(row[0]) if row else 0
