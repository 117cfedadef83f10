"""The embedded store: SQLite in WAL mode through aiosqlite.

Writes of whole turns are group-committed: turns that arrive while a commit is
under way wait for the next one, which applies them all in one transaction.
That keeps ``synchronous=FULL`` (a turn is on disk before it is acknowledged)
and still serves thousands of turns a second. Reads use a second connection,
which sees only committed data.

The conversations this process committed last are also kept in memory (a
bounded, least-recently-used table, written through after each commit), so a
returning person's turn starts without a trip to the database. That is sound
because one ``sauti serve`` is the only writer of conversations to its file;
the replay check that such a turn skips is made by the commit itself, inside
its transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.domain.records import (
    Advisory,
    Contact,
    Conversation,
    OutboundRecord,
    Report,
    ReportStatus,
    Session,
    TurnWrite,
)
from bot.storage.ports import Store, StoreError
from bot.storage.sqlite.batch import BatchSQL, Mark, ts
from bot.storage.sqlite.schema import MIGRATIONS

log = logging.getLogger(__name__)
MAX_BATCH = 512
RECENT_CONVERSATIONS = 10_000  # about 1 kB each
JOIN_PASSES = 3
# The write-ahead log is copied into the database every this many pages (SQLite's
# default is 1,000), by the commit that crosses the line, while later commits wait.
# On a grown database (160,000 messages) a message cost about 10% less CPU and
# bench/inbound.py's rate rose by 10-25%: a page written again and again (an
# index's upper levels, the open sessions, the outbox's tail) is copied once per
# checkpoint instead of ten times, and the database file is synced a tenth as
# often, so the server no longer idles on those syncs. The price: a log of up to
# 40 MB, and the commit that runs the copy waits longer (p99 36 ms against 21-26
# on a grown database; unchanged on a new one).
WAL_CHECKPOINT_PAGES = 10_000
T = TypeVar("T")


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sqlite_path(url: str) -> Path:
    """``sqlite:///data/x.db`` is relative, ``sqlite:////var/x.db`` absolute."""
    rest = url.removeprefix("sqlite://")
    if not rest.startswith("/") or rest == "/":
        raise ValueError("sqlite url must look like sqlite:///relative/path.db")
    return Path(rest[1:])


class SQLiteStore(Store):
    def __init__(self, path: str | Path, *, recent: int = RECENT_CONVERSATIONS) -> None:
        self._path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._recent: OrderedDict[str, Conversation] = OrderedDict()
        self._recent_max = recent
        self._pending: list[tuple[TurnWrite | Mark, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()
        self._asks: list[tuple[str, tuple[str, str] | None, asyncio.Future[_Begun]]] = []
        self._asker: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return "SQLiteStore()"

    async def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await aiosqlite.connect(self._path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000",
                       f"wal_autocheckpoint={WAL_CHECKPOINT_PAGES}"):
            await self._writer.execute(f"PRAGMA {pragma}")
        await self._upgrade(self._writer)
        self._reader = await aiosqlite.connect(self._path, isolation_level=None)
        await self._reader.execute("PRAGMA busy_timeout=5000")

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def _upgrade(self, conn: aiosqlite.Connection) -> None:
        row = await _one(conn, "PRAGMA user_version")
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise RuntimeError(f"database schema {version} is newer than this code knows")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("database schema upgraded to version %d", number)

    async def schema_version(self) -> int:
        row = await _one(self._r, "PRAGMA user_version")
        return int(row[0]) if row else 0

    async def ping(self) -> bool:
        return await _one(self._r, "SELECT 1") is not None

    # conversations -------------------------------------------------------
    async def load(self, contact_id: str) -> Conversation | None:
        return _conversation(await _one(self._r, _LOAD, (contact_id,)))

    async def begin_turn(
        self, contact_id: str, inbound_key: tuple[str, str] | None
    ) -> tuple[bool, Conversation | None]:
        """From memory for a conversation committed here lately (its replay check
        is then the commit's). Otherwise a group read: turns that start while a
        read is under way are answered together by the next one (two queries
        for the lot), as commits are."""
        recent = self._recent.get(contact_id)
        if recent is not None:
            self._recent.move_to_end(contact_id)
            return False, recent
        future: asyncio.Future[_Begun] = asyncio.get_running_loop().create_future()
        self._asks.append((contact_id, inbound_key, future))
        if self._asker is None or self._asker.done():
            self._asker = asyncio.create_task(self._answer_asks())
        return await future

    async def _answer_asks(self) -> None:
        while self._asks:
            batch, self._asks = self._asks[:MAX_BATCH], self._asks[MAX_BATCH:]
            try:
                found = await self._read_many([c for c, _k, _f in batch],
                                              [k for _c, k, _f in batch if k is not None])
            except Exception as exc:
                for _c, _k, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            conversations, seen = found
            for contact_id, key, future in batch:
                if not future.done():
                    future.set_result((True, None) if key in seen
                                      else (False, conversations.get(contact_id)))

    async def _read_many(self, contact_ids: list[str], keys: list[tuple[str, str]]
                         ) -> tuple[dict[str, Conversation], set[tuple[str, str]]]:
        marks = ", ".join("?" for _ in contact_ids)
        conversations_sql = f"SELECT {_CONVERSATION.replace('c.id = ?', f'c.id IN ({marks})')}"
        seen_sql = seen_query(len(keys))
        seen_args = [part for key in keys for part in key]

        def read(c: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            rows = c.execute(conversations_sql, contact_ids).fetchall()
            return rows, c.execute(seen_sql, seen_args).fetchall() if keys else []

        rows, found = await _in_thread(self._r, read)
        conversations = {c.contact.id: c for c in map(_conversation, rows) if c is not None}
        return conversations, {(str(r[0]), str(r[1])) for r in found}

    async def inbound_seen(self, channel: str, external_id: str) -> bool:
        row = await _one(self._r, "SELECT 1 FROM inbound_seen WHERE channel = ? AND"
                         " external_id = ?", (channel, external_id))
        return row is not None

    async def commit_turn(self, write: TurnWrite) -> bool:
        return await self._submit(write)

    async def _submit(self, write: TurnWrite | Mark) -> bool:
        """Queue a write for the next group commit and wait until it is on disk
        (False: a turn whose inbound was stored already, so nothing was)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        return await future

    async def _flush_loop(self) -> None:
        while self._pending:
            await self._let_others_join()
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            async with self._write_lock:
                try:
                    replayed = await self._apply([write for write, _future in batch])
                except Exception:
                    await _rollback(self._w)
                    await self._apply_one_by_one(batch)
                    continue
            for write, future in batch:
                self._settle(write, future, replayed)

    async def _let_others_join(self) -> None:
        """Before a commit, let turns that are about to ask join it: a loop pass
        at a time while more keep coming, a few at most (microseconds each).
        Fewer, fuller commits cost less per turn: each is a trip and an fsync."""
        for _ in range(JOIN_PASSES):
            before = len(self._pending)
            await asyncio.sleep(0)
            if len(self._pending) == before:
                return

    async def _apply_one_by_one(
        self, batch: list[tuple[TurnWrite | Mark, asyncio.Future[bool]]]
    ) -> None:
        for write, future in batch:
            try:
                replayed = await self._apply([write])
            except Exception as exc:
                await _rollback(self._w)
                log.error("a turn could not be stored: %s", type(exc).__name__)
                self._forget(write)
                if not future.done():
                    future.set_exception(StoreError("the turn could not be stored"))
            else:
                self._settle(write, future, replayed)

    def _settle(self, write: TurnWrite | Mark, future: asyncio.Future[bool],
                replayed: set[tuple[str, str]]) -> None:
        """After a commit: bring the memory up to date, then wake the waiter."""
        stored = True
        if isinstance(write, TurnWrite):
            stored = write.inbound_key not in replayed
            if stored and write.erase:
                self._recent.pop(write.contact.id, None)
            elif stored:
                self._remember(Conversation(write.contact, write.session))
        else:
            self._forget(write)
        if not future.done():
            future.set_result(stored)

    def _remember(self, conversation: Conversation) -> None:
        recent = self._recent
        recent[conversation.contact.id] = conversation
        recent.move_to_end(conversation.contact.id)
        while len(recent) > self._recent_max:
            recent.popitem(last=False)

    def _forget(self, write: TurnWrite | Mark) -> None:
        """Drop what a write may have made stale (a send's opt-out, a failed turn)."""
        if isinstance(write, TurnWrite):
            self._recent.pop(write.contact.id, None)
        elif write.statement == "opted_out":
            self._recent.pop(str(write.params[1]), None)

    async def _apply(self, writes: list[TurnWrite | Mark]) -> set[tuple[str, str]]:
        """Commit ``writes`` in one transaction; returns the inbound keys found
        stored already, whose turns were left out (a replay is a no-op)."""
        statements = _statements(writes)
        keys = [w.inbound_key for w in writes
                if isinstance(w, TurnWrite) and w.inbound_key is not None]
        seen_sql, seen_args = seen_query(len(keys)), [part for key in keys for part in key]

        def commit(c: sqlite3.Connection) -> set[tuple[str, str]]:
            replayed = set()
            if keys:
                replayed = {(str(r[0]), str(r[1]))
                            for r in c.execute(seen_sql, seen_args).fetchall()}
            todo = statements if not replayed else _statements(writes, replayed)
            for statement, rows in todo:
                c.executemany(statement, rows)
            return replayed

        return await _in_thread(self._w, _immediate(commit))

    # lookups ------------------------------------------------------------------
    async def report_by_ref(self, ref: str) -> Report | None:
        row = await _one(self._r, f"SELECT {_REPORT_COLUMNS} FROM reports WHERE ref = ?", (ref,))
        return _report(row) if row else None

    async def reference_exists(self, ref: str) -> bool:
        return await _one(self._r, "SELECT 1 FROM reports WHERE ref = ?", (ref,)) is not None

    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None:
        row = await _one(
            self._r,
            "SELECT a.id, a.created_at, a.severity, a.texts, a.expires_at FROM advisories a"
            " JOIN advisory_areas x ON x.advisory_id = a.id WHERE x.area = ?"
            " AND (a.expires_at IS NULL OR a.expires_at > ?)"
            " ORDER BY a.created_at DESC, a.id DESC LIMIT 1",
            (area, ts(now)),
        )
        if row is None:
            return None
        areas = await self._r.execute_fetchall(
            "SELECT area FROM advisory_areas WHERE advisory_id = ? ORDER BY area", (row[0],))
        return Advisory(row[0], parse_ts(row[1]), row[2], tuple(a[0] for a in areas),
                        json.loads(row[3]), parse_ts(row[4]) if row[4] else None)

    async def subscriptions(self, contact_id: str) -> list[str]:
        rows = await self._r.execute_fetchall(
            "SELECT area FROM subscriptions WHERE contact_id = ? ORDER BY created_at, area",
            (contact_id,))
        return [r[0] for r in rows]

    # reports --------------------------------------------------------------
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
        rows = await self._r.execute_fetchall(
            f"SELECT {_REPORT_COLUMNS} FROM reports WHERE {' AND '.join(where)}"
            " ORDER BY created_at DESC, id DESC LIMIT ?", (*args, limit))
        return [_report(r) for r in rows]

    async def set_report_status(
        self, ref: str, status: ReportStatus, *, public_reply: str | None, now: datetime,
    ) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(
                "UPDATE reports SET status = ?, public_reply = COALESCE(?, public_reply),"
                " updated_at = ? WHERE ref = ?", (status.value, public_reply, ts(now), ref))
            return cursor.rowcount > 0

    # advisories -----------------------------------------------------------
    async def add_advisory(
        self, *, severity: str, areas: Sequence[str], texts: dict[str, str], now: datetime,
        expires_at: datetime | None = None,
    ) -> int:
        async with self._write_lock:
            conn = self._w
            await conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = await conn.execute(
                    "INSERT INTO advisories (created_at, severity, texts, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    (ts(now), severity, json.dumps(texts, ensure_ascii=False),
                     ts(expires_at) if expires_at else None))
                advisory_id = int(cursor.lastrowid or 0)
                await conn.executemany(
                    "INSERT INTO advisory_areas (advisory_id, area) VALUES (?, ?)",
                    [(advisory_id, area) for area in areas])
                await conn.execute("COMMIT")
            except BaseException:
                await _rollback(conn)
                raise
            return advisory_id

    # outbox ---------------------------------------------------------------
    async def claim_outbound(
        self, now: datetime, limit: int, lease_until: datetime,
        channels: Sequence[str] | None = None,
    ) -> list[OutboundRecord]:
        if channels is not None and not channels:
            return []
        names = list(channels) if channels is not None else []
        args: list[Any] = [ts(now), *names, limit, ts(now), *names, limit, limit]
        sql, until = claim_query(None if channels is None else len(names)), ts(lease_until)

        def claim(c: sqlite3.Connection) -> list[Any]:
            rows = c.execute(sql, args).fetchall()
            if rows:
                c.executemany("UPDATE outbox SET status = 'sending', lease_until = ?"
                              " WHERE id = ?", [(until, r[0]) for r in rows])
            return rows

        async with self._write_lock:  # IMMEDIATE: other processes may claim too
            rows = await _in_thread(self._w, _immediate(claim))
        return [OutboundRecord(r[0], r[1], r[2], bytes(r[3]) if r[3] is not None else None,
                               r[4], json.loads(r[5]), r[6],
                               parse_ts(r[7]) if r[7] else None, bool(r[8])) for r in rows]

    async def set_opted_out(self, contact_id: str, opted_out: bool) -> None:
        await self._submit(Mark("opted_out", (int(opted_out), contact_id)))

    async def delivery_status(
        self, channel: str, external_id: str, status: str, error: str | None,
    ) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(DELIVERY_QUERY, (status, error, channel, external_id))
            return cursor.rowcount > 0

    async def outbound_sent(
        self, outbound_id: int, *, external_id: str | None, segments: int, now: datetime,
    ) -> None:
        await self._submit(Mark("sent", (external_id, segments, ts(now), outbound_id)))

    async def outbound_retry(self, outbound_id: int, *, error: str, at: datetime,
                             parts_sent: int = 0, segments_sent: int = 0,
                             counted: bool = True) -> None:
        if parts_sent > 0:
            await self._submit(Mark("retry_partial" if counted else "defer_partial",
                                    (error, ts(at), parts_sent, segments_sent, outbound_id)))
        else:
            await self._submit(Mark("retry" if counted else "defer",
                                    (error, ts(at), outbound_id)))

    async def outbound_release(self, outbound_id: int) -> None:
        await self._submit(Mark("release", (outbound_id,)))

    async def outbound_failed(self, outbound_id: int, *, error: str, now: datetime) -> None:
        await self._submit(Mark("failed", (error, ts(now), outbound_id)))

    async def outbox_depth(self) -> int:
        row = await _one(self._r, DEPTH_QUERY)
        return int(row[0]) if row else 0


_CONVERSATION = ("c.id, c.person, c.channel, c.address_sealed, c.language, c.opted_out,"
                 " c.created_at, c.last_inbound_at, s.step, s.data, s.updated_at"
                 " FROM contacts c LEFT JOIN sessions s ON s.contact_id = c.id WHERE c.id = ?")
_LOAD = f"SELECT {_CONVERSATION}"
_Begun = tuple[bool, Conversation | None]


# Counted from the two partial indexes (pending, sending), not the table.
DEPTH_QUERY = ("SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending')"
               " + (SELECT COUNT(*) FROM outbox WHERE status = 'sending')")
DELIVERY_QUERY = ("UPDATE outbox SET delivery_status = ?, last_error = COALESCE(?, last_error)"
                  " WHERE channel = ? AND external_id = ?")


def claim_query(channels: int | None) -> str:
    """The next ``limit`` messages due, in priority then queue order: pending ones
    read in order from the ``outbox_queue`` index (not every pending row sorted),
    and those whose lease ran out (their sender died mid-send)."""
    only = "" if channels is None else f" AND channel IN ({', '.join(['?'] * channels)})"
    return (
        "SELECT o.id, o.contact_id, o.channel, o.address_sealed, o.kind, o.payload,"
        " o.attempts, c.last_inbound_at, COALESCE(c.opted_out, 0) FROM ("
        " SELECT id FROM (SELECT id FROM outbox INDEXED BY outbox_queue"
        f" WHERE status = 'pending' AND next_attempt_at <= ?{only}"
        " ORDER BY priority DESC, id LIMIT ?)"
        " UNION ALL"
        " SELECT id FROM (SELECT id FROM outbox INDEXED BY outbox_leased"
        f" WHERE status = 'sending' AND lease_until <= ?{only}"
        " ORDER BY priority DESC, id LIMIT ?)"
        ") AS due JOIN outbox o ON o.id = due.id LEFT JOIN contacts c ON c.id = o.contact_id"
        " ORDER BY o.priority DESC, o.id LIMIT ?")


def _statements(writes: list[TurnWrite | Mark], replayed: set[tuple[str, str]] | None = None
                ) -> list[tuple[str, list[Any]]]:
    """The statements that apply ``writes``, leaving out the turns of replayed inbounds."""
    sql = BatchSQL()
    for write in writes:
        if not (replayed and isinstance(write, TurnWrite) and write.inbound_key in replayed):
            sql.add(write)
    return [(statement, rows) for statement, rows in sql.statements() if rows]


def seen_query(pairs: int) -> str:
    """Which of ``pairs`` (channel, external id) were handled already.

    A join, not "(channel, external_id) IN (VALUES ...)": SQLite answers that
    form by scanning the whole table, which grows with every message."""
    return ("SELECT s.channel, s.external_id FROM (VALUES "
            + ", ".join("(?, ?)" for _ in range(pairs)) + ") v JOIN inbound_seen s"
            " ON s.channel = v.column1 AND s.external_id = v.column2")


def _conversation(row: Any) -> Conversation | None:
    if row is None or row[0] is None:
        return None
    contact = Contact(row[0], row[1], row[2], bytes(row[3]), row[4], bool(row[5]),
                      parse_ts(row[6]), parse_ts(row[7]))
    session = None
    if row[10] is not None:
        session = Session(row[0], row[8], json.loads(row[9]), parse_ts(row[10]))
    return Conversation(contact, session)


_REPORT_COLUMNS = ("id, ref, created_at, updated_at, channel, language, category, area,"
                   " description, redactions, media, contactable, sensitive, status, public_reply")


def _report(row: Any) -> Report:
    return Report(row[0], row[1], parse_ts(row[2]), parse_ts(row[3]), row[4], row[5], row[6],
                  row[7], row[8], tuple(json.loads(row[9])), tuple(json.loads(row[10])),
                  bool(row[11]), bool(row[12]), ReportStatus(row[13]), row[14])


async def _in_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn`` with the connection's sqlite3 handle on its own thread, in one trip.

    Each aiosqlite call is a trip: a hand-off to the connection's thread, and a
    wake-up of the event loop with the answer. A group commit made of calls
    costs a trip per statement; as one function it costs one, which is what
    lets a busy loop keep up. aiosqlite has no public call for this, so it uses
    ``Connection._execute`` and ``_conn``: pyproject pins aiosqlite below 0.23,
    and every store test goes through here.
    """
    raw = conn._conn
    result: T = await conn._execute(fn, raw)  # type: ignore[no-untyped-call]
    return result


def _immediate(body: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
    """``body`` as one write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back
    if it raises), to run on the connection's thread in one trip."""

    def run(c: sqlite3.Connection) -> T:
        c.execute("BEGIN IMMEDIATE")
        try:
            result = body(c)
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return result

    return run


async def _one(conn: aiosqlite.Connection, sql: str, args: tuple[Any, ...] = ()) -> Any:
    """The first row, in one trip to the connection's thread (a cursor costs three)."""
    for row in await conn.execute_fetchall(sql, args):
        return row
    return None


async def _rollback(conn: aiosqlite.Connection) -> None:
    if conn.in_transaction:
        await conn.execute("ROLLBACK")
