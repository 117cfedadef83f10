"""The embedded store: SQLite in WAL mode through aiosqlite.

Writes of whole turns are group-committed: turns that arrive while a commit is
under way wait for the next one, which applies them all in one transaction.
That keeps ``synchronous=FULL`` (a turn is on disk before it is acknowledged)
and still serves thousands of turns a second. Reads use a second connection,
which sees only committed data.

The conversations this process committed last are also kept in memory (a
bounded, least-recently-used table, written through after each commit), so a
returning person's turn starts without a trip to the database; the replay
check that such a turn skips is made by the commit itself, inside its
transaction. Other processes write to the file too (``sauti reports update``
closing a report leaves its reporter at the satisfaction question): every write
transaction here reads the file's data version, which moves only when another
connection commits, and the memory is dropped when it has moved; a turn that
would start from memory looks first if no write has looked for half a second.
A change another process makes is so seen by every turn that starts after
this process next claims or commits, or half a second after it. Several
``sauti serve`` writing conversations to one file need ``shared=True``, which
switches the memory off.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.records import Conversation, TurnWrite
from bot.storage.desk import AuditRow, DeskChange
from bot.storage.keyed import Keyed, random_keys
from bot.storage.locks import KeyedLocks
from bot.storage.ports import Retention, Store, StoreError
from bot.storage.seams import ConversationLocks
from bot.storage.sqlite import queries
from bot.storage.sqlite.batch import REACH_OF, BatchSQL, Mark, SQLiteTurnChanges, TurnRows
from bot.storage.sqlite.broadcast import SQLiteBroadcast
from bot.storage.sqlite.connection import (
    WAL_CHECKPOINT_PAGES,
    immediate,
    in_thread,
    one,
    rollback,
    sqlite_path,
    translated,
    versioned,
)
from bot.storage.sqlite.desk import SQLiteDesk, audit_params
from bot.storage.sqlite.due import SQLiteDueTimers
from bot.storage.sqlite.keys import SQLiteKeys
from bot.storage.sqlite.polls import SQLitePolls
from bot.storage.sqlite.queue import SQLiteOutbox
from bot.storage.sqlite.reports import SQLiteAudience, SQLiteReports
from bot.storage.sqlite.retention import SQLiteRetention

__all__ = ["WAL_CHECKPOINT_PAGES", "SQLiteStore", "sqlite_path"]
log = logging.getLogger(__name__)
MAX_BATCH = 512
RECENT_CONVERSATIONS = 10_000  # about 1 kB each
#: a remembered conversation is used without a look at the file's data version
#: only this long after the last look (every write transaction looks)
FRESH_SECONDS = 0.5
JOIN_PASSES = 3
_Begun = tuple[bool, Conversation | None]
_Item = TurnRows | Mark


class SQLiteStore(SQLiteReports, SQLiteDesk, SQLiteAudience, SQLiteOutbox, SQLiteDueTimers,
                  SQLiteRetention, SQLiteKeys, SQLiteBroadcast, SQLitePolls, Store):
    """``keys``: the config's (bot.privacy.links); random ones that die with the
    process when not given (tests), which no reach link or replay tag outlives."""

    def __init__(self, path: str | Path, *, recent: int = RECENT_CONVERSATIONS,
                 shared: bool = False, keys: Keyed | None = None) -> None:
        super().__init__(path)
        self._keys = keys or random_keys()
        self._recent: OrderedDict[str, Conversation] = OrderedDict()
        self._recent_max = 0 if shared else recent
        self._locks = KeyedLocks()
        self._pending: list[tuple[_Item, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._asks: list[tuple[str, tuple[str, str] | None, asyncio.Future[_Begun]]] = []
        self._asker: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return "SQLiteStore()"

    @property
    def locks(self) -> ConversationLocks:
        return self._locks

    async def open(self) -> None:
        await self._connect()

    async def _upgrade(self, conn: aiosqlite.Connection) -> None:
        """The keyed SQL functions first, on the writer: migration 7 re-keys the
        replay table with one, erasing opens reach links with the other."""
        keys = self._keys

        def reach_of(link: bytes | None) -> str | None:
            return None if link is None else keys.reach_of(bytes(link))

        def replay_tag(channel: str, external_id: str) -> str:
            return keys.replay_tag(str(channel), str(external_id))

        await conn.create_function(REACH_OF, 1, reach_of, deterministic=True)
        await conn.create_function("sauti_replay_tag", 2, replay_tag, deterministic=True)
        await super()._upgrade(conn)

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        await self._disconnect()

    async def add_audit(self, row: AuditRow) -> None:
        """A read or a refusal at the desk rides the next group commit, with the
        turns under way (a moderator's /queue costs no transaction of its own)."""
        await self._submit_mark("audit", audit_params(row))

    async def desk_change(self, change: DeskChange) -> bool:
        """As every backend; a reporter left at a step forgets their remembered
        conversation (its session is the one just written)."""
        if change.prompt is not None:
            self._recent.pop(change.prompt.contact_id, None)
        done = await super().desk_change(change)
        if change.prompt is not None:
            self._recent.pop(change.prompt.contact_id, None)
        return done

    def _others_wrote(self) -> None:
        """Another process committed (a desk change from the CLI, an operator):
        what is remembered may be stale, so it is read again."""
        self._recent.clear()

    async def purge(self, now: datetime, retention: Retention) -> dict[str, int]:
        """As every backend purges; the conversations remembered here are
        forgotten too (some may hold a session just purged)."""
        removed = await super().purge(now, retention)
        self._recent.clear()
        return removed

    # conversations -------------------------------------------------------
    async def load(self, contact_id: str) -> Conversation | None:
        row = await one(self._r, queries.LOAD, (contact_id,))
        with translated("reading a conversation"):
            return queries.conversation(row)

    async def inbound_seen(self, channel: str, external_id: str) -> bool:
        row = await one(self._r, "SELECT 1 FROM inbound_seen WHERE channel = ? AND"
                        " external_id = ?", (channel, external_id))
        return row is not None

    async def begin_turn(
        self, contact_id: str, inbound_key: tuple[str, str] | None
    ) -> tuple[bool, Conversation | None]:
        """From memory for a conversation committed here lately (its replay check
        is then the commit's). Otherwise a group read: turns that start while a
        read is under way are answered together by the next one (two queries
        for the lot), as commits are."""
        if self._recent and time.monotonic() - self._version_seen_at > FRESH_SECONDS:
            await self._look_for_others()  # idle lately: has another process written?
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
            except Exception as exc:  # every waiter hears of it, none waits forever
                error = exc if isinstance(exc, StoreError) else StoreError(
                    f"reading conversations failed ({type(exc).__name__})")
                for _c, _k, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            conversations, seen = found
            for contact_id, key, future in batch:
                if not future.done():
                    future.set_result((True, None) if key in seen
                                      else (False, conversations.get(contact_id)))

    async def _read_many(self, contact_ids: list[str], keys: list[tuple[str, str]]
                         ) -> tuple[dict[str, Conversation], set[tuple[str, str]]]:
        conversations_sql = queries.conversations_query(len(contact_ids))
        seen_sql = queries.seen_query(len(keys))
        seen_args = [part for key in keys for part in key]

        def read(c: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            rows = c.execute(conversations_sql, contact_ids).fetchall()
            return rows, c.execute(seen_sql, seen_args).fetchall() if keys else []

        rows, found = await in_thread(self._r, read)
        with translated("reading conversations"):
            conversations = {c.contact.id: c for c in map(queries.conversation, rows)
                             if c is not None}
        return conversations, {(str(r[0]), str(r[1])) for r in found}

    async def commit_turn(self, write: TurnWrite) -> bool:
        changes = SQLiteTurnChanges(write, self._keys)
        changes.apply()
        return await self._submit(changes.rows())

    async def _submit_mark(self, statement: str, params: tuple[Any, ...],
                           also: tuple[Mark, ...] = ()) -> None:
        await self._submit(Mark(statement, params, also))

    async def _submit(self, item: _Item) -> bool:
        """Queue rows for the next group commit and wait until they are on disk
        (False: a turn whose inbound was stored already, so nothing was)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        return await future

    async def _flush_loop(self) -> None:
        while self._pending:
            await self._let_others_join()
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            async with self._write_lock:
                try:
                    replayed = await self._apply([item for item, _future in batch])
                except Exception:  # one bad turn must not sink its batch: try each
                    await self._rollback_quietly()
                    await self._apply_one_by_one(batch)
                    await self._after_erase(batch)
                    continue
                await self._after_erase(batch)
            for item, future in batch:
                self._settle(item, future, replayed)

    async def _after_erase(self, batch: list[tuple[_Item, asyncio.Future[bool]]]) -> None:
        """An erase is gone from the file before its turn is answered: the log
        that still holds the erased rows' pages is emptied (write lock held)."""
        if not any(_erases(item) for item, _future in batch):
            return
        try:
            await self._empty_log("an erase")
        except StoreError as exc:  # the erase is committed; the next checkpoint empties it
            log.error("checkpoint after an erase failed: %s", exc)

    async def _let_others_join(self) -> None:
        """Before a commit, let turns that are about to ask join it: a loop pass
        at a time while more keep coming, a few at most. Fewer, fuller commits
        cost less per turn: each is a trip and an fsync."""
        for _ in range(JOIN_PASSES):
            before = len(self._pending)
            await asyncio.sleep(0)
            if len(self._pending) == before:
                return

    async def _apply_one_by_one(self, batch: list[tuple[_Item, asyncio.Future[bool]]]
                                ) -> None:
        for item, future in batch:
            try:
                replayed = await self._apply([item])
            except Exception as exc:
                await self._rollback_quietly()
                turn = isinstance(item, TurnRows)  # a mark's caller, the outbox, tells it
                error = exc if isinstance(exc, StoreError) else StoreError(
                    f"the {'turn' if turn else 'mark'} could not be stored"
                    f" ({type(exc).__name__})")
                if turn:
                    log.error("a turn could not be stored: %s", error)
                self._forget(item)
                if not future.done():
                    future.set_exception(error)
            else:
                self._settle(item, future, replayed)

    async def _rollback_quietly(self) -> None:
        try:
            await rollback(self._w)
        except StoreError as exc:
            log.error("rollback failed: %s", exc)

    def _settle(self, item: _Item, future: asyncio.Future[bool],
                replayed: set[tuple[str, str]]) -> None:
        """After a commit: bring the memory up to date, then wake the waiter."""
        stored = True
        if isinstance(item, TurnRows):
            stored = item.inbound_key not in replayed
            if stored and item.after is None:
                self._recent.pop(item.contact_id, None)
            elif stored and item.after is not None:
                self._remember(item.after)
        else:
            self._forget(item)
        if not future.done():
            future.set_result(stored)

    def _remember(self, conversation: Conversation) -> None:
        if self._recent_max <= 0:
            return
        recent = self._recent
        recent[conversation.contact.id] = conversation
        recent.move_to_end(conversation.contact.id)
        while len(recent) > self._recent_max:
            recent.popitem(last=False)

    def _forget(self, item: _Item) -> None:
        """Drop what a write may have made stale (a send's opt-out, a failed turn)."""
        if isinstance(item, TurnRows):
            self._recent.pop(item.contact_id, None)
        elif item.statement == "opted_out":
            self._recent.pop(str(item.params[1]), None)

    async def _apply(self, items: list[_Item]) -> set[tuple[str, str]]:
        """Commit ``items`` in one transaction; returns the inbound keys found
        stored already, whose turns were left out (a replay is a no-op)."""
        statements = _statements(items)
        keys = [i.inbound_key for i in items
                if isinstance(i, TurnRows) and i.inbound_key is not None]
        seen_sql, seen_args = queries.seen_query(len(keys)), [part for key in keys for part in key]

        def commit(c: sqlite3.Connection) -> set[tuple[str, str]]:
            replayed = set()
            if keys:
                replayed = {(str(r[0]), str(r[1]))
                            for r in c.execute(seen_sql, seen_args).fetchall()}
            todo = statements if not replayed else _statements(items, replayed)
            for statement, rows in todo:
                c.executemany(statement, rows)
            return replayed

        version, replayed = await in_thread(self._w, versioned(immediate(commit)))
        self._version_seen(version)  # before the turns' conversations are remembered
        return replayed


def _erases(item: _Item) -> bool:
    return isinstance(item, TurnRows) and any(m.statement == "erase_contact"
                                              for m in item.marks)


def _statements(items: list[_Item], replayed: set[tuple[str, str]] | None = None
                ) -> list[tuple[str, list[Any]]]:
    """The statements that apply ``items``, leaving out the turns of replayed inbounds."""
    sql = BatchSQL()
    for item in items:
        if not (replayed and isinstance(item, TurnRows) and item.inbound_key in replayed):
            sql.add(item)
    return sql.statements()
