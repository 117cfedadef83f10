"""Retention in SQLite: each kind of row deleted when its time is up, in small
transactions (turns keep committing in between), then the write-ahead log
emptied so that nothing purged stays in the file (``secure_delete`` has zeroed
what the deletes freed; see bot.storage.sqlite.connection).

Every table is either under a rule here or named in :data:`KEPT` with the
reason it outlives retention; a test holds the schema to that, so a new table
cannot be forgotten.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bot.storage.ports import Retention, RetentionStore
from bot.storage.sqlite.connection import Connections, immediate, in_thread, one, ts

CHUNK = 2_000  # rows per transaction: a purge never holds the writer for long


@dataclass(frozen=True, slots=True)
class Rule:
    """Rows of ``table`` for which ``where`` holds (its one ``?`` is the cutoff:
    ``now`` less the retention's ``horizon``) are deleted and counted as ``kind``;
    ``also`` counts a subset of them under a second name."""

    kind: str
    table: str
    where: str
    horizon: Literal["records", "replay_keys", "sessions"]
    to_the_day: bool = False  # times kept to the day: a day goes once all of it is past
    optional: bool = False  # the table arrives with a later capability
    also: tuple[str, str] | None = None  # (name, SQL condition) counted among the deleted

    def cutoff(self, now: datetime, retention: Retention) -> str:
        moment = now - getattr(retention, self.horizon)
        # A day's date sorts before every time of that day, and after the days
        # before it: "seen_at < date" keeps a row until its whole day is past.
        return moment.astimezone(UTC).date().isoformat() if self.to_the_day else ts(moment)


# A report's history (its tags and events) goes with it: a trigger deletes it
# with the report row (migration 8), so no rule of its own.
RULES: tuple[Rule, ...] = (
    Rule("reports", "reports", "updated_at < ?", "records"),
    Rule("outbox", "outbox", "status IN ('sent', 'failed', 'cancelled') AND created_at < ?",
         "records"),
    Rule("audit", "audit", "created_at < ?", "records"),
    Rule("held", "held", "held_at < ?", "records"),
    Rule("replay_keys", "inbound_seen", "seen_at < ?", "replay_keys", to_the_day=True),
    Rule("sessions", "sessions", "updated_at < ?", "sessions",
         also=("drafts", "json_extract(data, '$.draft') IS NOT NULL")),
)

# Tables retention leaves alone, and why.
KEPT: dict[str, str] = {
    "contacts": "the sealed address, needed to answer and to send advisories; deleted on"
                " erase-my-data",
    "subscriptions": "what a person asked to hear about, until they leave or erase",
    "advisories": "staff's public messages, no personal data",
    "advisory_areas": "the areas of those advisories",
    "due": "timers: each row is deleted when its job has run",
    "report_tags": "a report's tags: deleted with their report (trigger reports_history_gone)",
    "report_events": "a report's timeline and notes: deleted with their report (trigger"
                     " reports_history_gone)",
    "polls": "staff's questions, no personal data",
    "profiles": "an age band and a gender a resident chose to give: deleted on"
                " erase-my-data",
    "poll_answers": "one answer a person and poll, against their pseudonym: deleted on"
                    " erase-my-data",
    "alerts": "an urgent report's alert and its acknowledgement: deleted with their report"
              " (trigger reports_alert_gone)",
}


class SQLiteRetention(Connections, RetentionStore):
    purge_chunk = CHUNK

    async def purge(self, now: datetime, retention: Retention) -> dict[str, int]:
        removed: dict[str, int] = {}
        for rule in RULES:
            if rule.optional and not await self._has_table(rule.table):
                continue
            removed[rule.kind] = 0
            if rule.also is not None:
                removed[rule.also[0]] = 0
            cutoff = rule.cutoff(now, retention)
            while True:
                async with self._write_lock:
                    gone, also = await in_thread(self._w, immediate(
                        _delete(rule, cutoff, self.purge_chunk)))
                removed[rule.kind] += gone
                if rule.also is not None:
                    removed[rule.also[0]] += also
                if gone < self.purge_chunk:
                    break
        async with self._write_lock:
            await self._empty_log("a purge")
        return removed

    async def _has_table(self, name: str) -> bool:
        found = await one(self._r, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                          " AND name = ?", (name,))
        return found is not None


def _delete(rule: Rule, cutoff: str, size: int
            ) -> Callable[[sqlite3.Connection], tuple[int, int]]:
    """One transaction's worth of ``rule``: up to ``size`` rows deleted;
    how many, and how many of them met ``rule.also``."""
    also = f", {rule.also[1]}" if rule.also is not None else ", 0"
    select = f"SELECT rowid{also} FROM {rule.table} WHERE {rule.where} LIMIT {int(size)}"
    delete = f"DELETE FROM {rule.table} WHERE rowid = ?"

    def run(c: sqlite3.Connection) -> tuple[int, int]:
        rows = c.execute(select, (cutoff,)).fetchall()
        c.executemany(delete, [(r[0],) for r in rows])
        return len(rows), sum(bool(r[1]) for r in rows)

    return run
