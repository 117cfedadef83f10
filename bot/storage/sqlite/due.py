"""Timers as due rows in SQLite (the ``due`` table, migration 6).

A row's ``due_at`` is when it is due next: its time while it waits, the end of
its lease once claimed. A claim is one IMMEDIATE transaction (several workers
on one file may claim), and a lease that runs out makes the row due again
without any sweep.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.storage.ports import DueTimer, DueTimers
from bot.storage.sqlite.connection import Connections, immediate, in_thread, translated, ts


def _claim_query(kinds: int | None) -> str:
    only = "" if kinds is None else f" AND kind IN ({', '.join(['?'] * kinds)})"
    return ("SELECT id, kind, key, payload, attempts FROM due INDEXED BY due_next"
            f" WHERE due_at <= ?{only} ORDER BY due_at, id LIMIT ?")


class SQLiteDueTimers(Connections, DueTimers):
    async def schedule(self, kind: str, key: str, payload: dict[str, Any],
                       due_at: datetime) -> int:
        row = (kind, key, json.dumps(payload, ensure_ascii=False), ts(due_at))

        def add(c: sqlite3.Connection) -> int:
            c.execute("INSERT INTO due (kind, key, payload, due_at) VALUES (?, ?, ?, ?)"
                      " ON CONFLICT (kind, key) DO NOTHING", row)
            found = c.execute("SELECT id FROM due WHERE kind = ? AND key = ?",
                              (kind, key)).fetchone()
            return int(found[0])

        async with self._write_lock:
            with translated("scheduling a timer"):
                return await in_thread(self._w, immediate(add))

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime,
                        kinds: Sequence[str] | None = None) -> list[DueTimer]:
        if kinds is not None and not kinds:
            return []
        names = list(kinds) if kinds is not None else []
        sql = _claim_query(None if kinds is None else len(names))
        args: list[Any] = [ts(now), *names, limit]
        until = ts(lease_until)

        def claim(c: sqlite3.Connection) -> list[Any]:
            rows = c.execute(sql, args).fetchall()
            c.executemany("UPDATE due SET due_at = ? WHERE id = ?", [(until, r[0]) for r in rows])
            return rows

        async with self._write_lock:
            rows = await in_thread(self._w, immediate(claim))
        with translated("reading a timer"):
            return [DueTimer(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    async def timer_done(self, timer_id: int, *, again_at: datetime | None = None) -> None:
        if again_at is None:
            await self._write("DELETE FROM due WHERE id = ?", (timer_id,))
        else:
            await self._write("UPDATE due SET due_at = ?, attempts = 0, last_error = NULL"
                              " WHERE id = ?", (ts(again_at), timer_id))

    async def timer_retry(self, timer_id: int, *, at: datetime, error: str) -> None:
        await self._write("UPDATE due SET due_at = ?, attempts = attempts + 1, last_error = ?"
                          " WHERE id = ?", (ts(at), error, timer_id))

    async def cancel_timer(self, kind: str, key: str) -> bool:
        return await self._write("DELETE FROM due WHERE kind = ? AND key = ?", (kind, key)) > 0
