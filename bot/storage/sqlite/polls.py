"""Polls in SQLite (bot.storage.polls): their rows, their fan-out (one
INSERT ... SELECT a batch, as an advisory's), and their answers."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from bot.storage.coarse import session_time
from bot.storage.desk import IDLE_STEPS
from bot.storage.polls import POLL_SEND, POLL_STEP, Answer, NewPoll, PollBatch, PollRow, PollStore
from bot.storage.sqlite.broadcast import audience_sql
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

_COLUMNS = ("id, created_at, question, options, areas, closes_at, status, created_by,"
            " cursor, audience")


def _row(r: Any) -> PollRow:
    return PollRow(int(r[0]), parse_ts(r[1]), json.loads(r[2]),
                   tuple(json.loads(r[3])), tuple(json.loads(r[4])),
                   parse_ts(r[5]) if r[5] else None, r[6], r[7], str(r[8]), int(r[9]))


class SQLitePolls(Connections, PollStore):
    async def create_poll(self, new: NewPoll, now: datetime) -> int:
        def add(c: sqlite3.Connection) -> int:
            cursor = c.execute(
                "INSERT INTO polls (created_at, created_by, question, options, areas, closes_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (ts(now), new.created_by, json.dumps(new.question, ensure_ascii=False),
                 json.dumps(list(new.options), ensure_ascii=False),
                 json.dumps(sorted(set(new.areas))),
                 ts(new.closes_at) if new.closes_at else None))
            return int(cursor.lastrowid or 0)

        async with self._write_lock:
            with translated("adding a poll"):
                return await in_thread(self._w, immediate(add))

    async def poll(self, poll_id: int) -> PollRow | None:
        row = await one(self._r, f"SELECT {_COLUMNS} FROM polls WHERE id = ?", (poll_id,))
        with translated("reading a poll"):
            return _row(row) if row else None

    async def polls(self, *, limit: int = 50) -> list[PollRow]:
        rows = await every(self._r, f"SELECT {_COLUMNS} FROM polls ORDER BY id DESC LIMIT ?",
                           (limit,))
        with translated("reading polls"):
            return [_row(r) for r in rows]

    async def open_polls(self, now: datetime) -> list[PollRow]:
        rows = await every(self._r, f"SELECT {_COLUMNS} FROM polls WHERE status IN"
                           " ('sending', 'open') AND (closes_at IS NULL OR closes_at > ?)"
                           " ORDER BY id DESC", (ts(now),))
        with translated("reading polls"):
            return [_row(r) for r in rows]

    async def start_poll(self, poll_id: int, now: datetime) -> bool:
        def start(c: sqlite3.Connection) -> bool:
            if not c.execute("UPDATE polls SET status = 'sending' WHERE id = ?"
                             " AND status = 'draft'", (poll_id,)).rowcount:
                return False
            c.execute("INSERT INTO due (kind, key, payload, due_at) VALUES (?, ?, ?, ?)"
                      " ON CONFLICT (kind, key) DO NOTHING",
                      (POLL_SEND, str(poll_id), json.dumps({"id": poll_id}), ts(now)))
            return True

        async with self._write_lock:
            with translated("sending a poll"):
                done: bool = await in_thread(self._w, immediate(start))
                return done

    async def fan_out_poll(self, poll_id: int, batch: PollBatch, now: datetime) -> int | None:
        queued = ts(datetime.now(UTC))
        audience, args = audience_sql(batch.areas)
        cases = " ".join("WHEN ? THEN ?" for _ in batch.payloads)
        case_args = [v for lang, p in batch.payloads.items()
                     for v in (lang, json.dumps(p, ensure_ascii=False))]
        fallback = json.dumps(batch.fallback, ensure_ascii=False)
        data = json.dumps({"draft": "poll", "poll": poll_id})  # bot.flows.poll.PollDraft

        def write(c: sqlite3.Connection) -> int | None:
            row = c.execute("SELECT status, cursor FROM polls WHERE id = ?",
                            (poll_id,)).fetchone()
            if row is None or row[0] != "sending" or row[1] != batch.cursor:
                return None
            last = c.execute(f"SELECT max(o) FROM (SELECT c.id AS o FROM contacts c"
                             f" WHERE c.id > ?{audience} ORDER BY c.id LIMIT ?)",
                             (batch.cursor, *args, batch.limit)).fetchone()[0]
            if last is None:
                return 0
            span = f" FROM contacts c WHERE c.id > ? AND c.id <= ?{audience}"
            count = c.execute(
                "INSERT INTO outbox (created_at, contact_id, channel, address_sealed, kind,"
                " priority, payload, next_attempt_at) SELECT ?, c.id, c.channel,"
                f" c.address_sealed, 'poll', 0, CASE c.language {cases} ELSE ? END, ?{span}",
                (queued, *case_args, fallback, queued, batch.cursor, last, *args)).rowcount
            # who sits idle at the menu is left at the question: a number answers it
            c.execute(
                "INSERT INTO sessions (contact_id, step, data, updated_at) SELECT c.id, ?, ?,"
                f" ?{span} ON CONFLICT (contact_id) DO UPDATE SET step = excluded.step,"
                " data = excluded.data, updated_at = excluded.updated_at"
                " WHERE sessions.step IS NULL OR sessions.step IN (?, ?)",
                (POLL_STEP, data, ts(session_time(now)), batch.cursor, last, *args,
                 *IDLE_STEPS))
            c.execute("UPDATE polls SET cursor = ?, audience = audience + ? WHERE id = ?",
                      (last, count, poll_id))
            return int(count)

        async with self._write_lock:
            with translated("fanning out a poll"):
                done: int | None = await in_thread(self._w, immediate(write))
        if done:
            self._others_wrote()  # sessions changed under any remembered conversation
        return done

    async def set_poll_status(self, poll_id: int, status: str, *,
                              only_from: tuple[str, ...] = ()) -> bool:
        where = (" AND status IN (" + ", ".join("?" for _ in only_from) + ")"
                 if only_from else "")
        return await self._write(f"UPDATE polls SET status = ? WHERE id = ?{where}",
                                 (status, poll_id, *only_from)) > 0

    async def answers(self, poll_id: int) -> list[Answer]:
        rows = await every(self._r, "SELECT a.option, a.area, a.language, a.channel,"
                           " p.age_band, p.gender FROM poll_answers a LEFT JOIN profiles p"
                           " ON p.contact_id = a.contact_id WHERE a.poll_id = ?", (poll_id,))
        return [Answer(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def profile(self, contact_id: str) -> tuple[str, str] | None:
        row = await one(self._r, "SELECT age_band, gender FROM profiles WHERE contact_id = ?",
                        (contact_id,))
        return None if row is None else (str(row[0]), str(row[1]))

    async def answer_of(self, poll_id: int, contact_id: str) -> int | None:
        row = await one(self._r, "SELECT option FROM poll_answers WHERE poll_id = ? AND"
                        " contact_id = ?", (poll_id, contact_id))
        return None if row is None else int(row[0])
