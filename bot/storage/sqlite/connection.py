"""The SQLite backend's two connections (a writer, a reader) and the few
helpers every query goes through, which turn sqlite3 and OS errors into
:class:`~bot.storage.ports.StoreError`.

Deleted means gone from the file: every connection runs with
``secure_delete`` (SQLite overwrites what a delete or an update frees with
zeros), the write-ahead log is emptied (checkpoint TRUNCATE) after an erase
and a purge, so no copy of the old pages stays in it, and the database, its
log and its directory are the owner's alone (0600, 0700 when created here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.ports import StoreBusy, StoreError
from bot.storage.sqlite.schema import MIGRATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")
# The write-ahead log is copied into the database every this many pages (SQLite's
# default is 1,000), by the commit that crosses the line: a page written again and
# again (an index's upper levels, the open sessions, the outbox's tail) is copied
# once per checkpoint instead of ten times, and the file is synced a tenth as
# often. The price is a longer log and a slower commit now and then; figures in
# docs/performance.md, "Storage".
WAL_CHECKPOINT_PAGES = 10_000
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
# Every connection's settings: a freed cell or page is overwritten with zeros
# (erased and purged rows leave no copy in free space); waits for a lock held
# by another process (a backup, an operator's sqlite3) up to 5 s.
CONNECTION_PRAGMAS = ("secure_delete=ON", "busy_timeout=5000")
#: the loop's own reader (see :meth:`Connections._quick_read`) waits this long at
#: most for a lock, where the others wait 5 s: it holds up every conversation
QUICK_PRAGMAS = ("query_only=ON", "busy_timeout=200")
WRITER_PRAGMAS = ("journal_mode=WAL", "synchronous=FULL",
                  f"wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
OWNER_ONLY = 0o600


def ts(moment: datetime) -> str:
    """A moment as stored: ISO 8601 in UTC, to the microsecond (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sqlite_path(url: str) -> Path:
    """``sqlite:///data/x.db`` is relative, ``sqlite:////var/x.db`` absolute."""
    rest = url.removeprefix("sqlite://")
    if not rest.startswith("/") or rest == "/":
        raise ValueError("sqlite url must look like sqlite:///relative/path.db")
    return Path(rest[1:])


def store_error(exc: BaseException, doing: str) -> StoreError:
    """What the callers see of a failure: its kind, never the rows involved."""
    name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
    kind = StoreBusy if name in _BUSY or "locked" in str(exc) else StoreError
    return kind(f"{doing} failed ({name})")


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """SQLite's, the disk's and a stored row's failures (a value that no longer
    decodes) as :class:`StoreError`: the only error a backend raises."""
    try:
        yield
    except (sqlite3.Error, OSError, ValueError, TypeError, KeyError) as exc:
        raise store_error(exc, doing) from None


class Connections:
    """Opens the writer and the reader and brings the schema up to date."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._quick: sqlite3.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._data_version: int | None = None
        self._version_seen_at = float("-inf")  # time.monotonic() of the last look

    # Writes by other connections (a CLI's desk change, another worker, an
    # operator's sqlite3 session): the writer's ``PRAGMA data_version`` moves only
    # when another connection commits. Write transactions read it in their own
    # trip (:func:`versioned`) and hand it to :meth:`_version_seen`; a store that
    # remembers what it read overrides :meth:`_others_wrote` to forget it.
    def _version_seen(self, version: int) -> None:
        before, self._data_version = self._data_version, version
        self._version_seen_at = time.monotonic()
        if before is not None and version != before:
            self._others_wrote()

    def _others_wrote(self) -> None:
        """Another connection committed since this store last looked."""

    async def _look_for_others(self) -> None:
        """One trip to read the writer's data version now."""
        version = await in_thread(self._w, _data_version)
        self._version_seen(version)

    async def _connect(self) -> None:
        """Open both connections; if either fails, close what was opened (a
        connection left open keeps its thread, and the process, alive)."""
        try:
            await self._open_connections()
        except BaseException:
            with contextlib.suppress(StoreError):
                await self._disconnect()
            raise

    async def _open_connections(self) -> None:
        with translated("opening the database"):
            private_file(self._path)
            self._writer = await aiosqlite.connect(self._path, isolation_level=None)
            for pragma in (*CONNECTION_PRAGMAS, *WRITER_PRAGMAS):
                await self._writer.execute(f"PRAGMA {pragma}")
            await self._upgrade(self._writer)
            self._reader = await aiosqlite.connect(self._path, isolation_level=None)
            for pragma in CONNECTION_PRAGMAS:
                await self._reader.execute(f"PRAGMA {pragma}")
            self._quick = sqlite3.connect(self._path, isolation_level=None)
            for pragma in QUICK_PRAGMAS:
                self._quick.execute(f"PRAGMA {pragma}")

    async def _disconnect(self) -> None:
        with translated("closing the database"):
            if self._quick is not None:
                self._quick.close()
            for conn in (self._reader, self._writer):
                if conn is not None:
                    await conn.close()
        self._reader = self._writer = self._quick = None

    def _quick_read(self, doing: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a small read (a few rows found by key or a short index range) on
        the event loop's own thread, without a trip to a connection's thread.

        A trip is a hand-off to the thread and back, and under load the answer
        waits for the loop to come round to it several times: a moderator's
        read waited 30 to 60 ms for a query that takes 50 µs (docs/performance.md,
        "The staff round"). So the desk's bounded reads run here, where they hold
        up the loop for their own few microseconds only. Nothing unbounded (an
        export, a scan) belongs here."""
        conn = self._quick
        if conn is None:
            raise StoreError("store is not open")
        with translated(doing):
            conn.execute("BEGIN")  # its queries see one snapshot
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StoreError("store is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise StoreError("store is not open")
        return self._reader

    async def _upgrade(self, conn: aiosqlite.Connection) -> None:
        row = await one(conn, "PRAGMA user_version")
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise StoreError(f"database schema {version} is newer than this code knows")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("database schema upgraded to version %d", number)

    async def schema_version(self) -> int:
        row = await one(self._r, "PRAGMA user_version")
        return int(row[0]) if row else 0

    async def ping(self) -> bool:
        return await one(self._r, "SELECT 1") is not None

    async def _empty_log(self, after: str) -> None:
        """Copy the write-ahead log into the database and truncate it to nothing,
        so that the pages an erase or a purge replaced leave no copy there. The
        caller holds the write lock. A reader still on an old snapshot can keep
        it from finishing: that is logged, and the next checkpoint completes it."""
        with translated("a checkpoint"):
            row = await one(self._w, "PRAGMA wal_checkpoint(TRUNCATE)")
        if row is not None and row[0]:
            log.warning("the write-ahead log could not be emptied after %s (a reader was"
                        " busy); the next checkpoint will", after)

    async def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        """One statement on the writer, alone; the rows it changed."""
        async with self._write_lock:
            with translated("a write"):
                cursor = await self._w.execute(sql, args)
                return cursor.rowcount

    @abstractmethod
    async def _submit_mark(self, statement: str, params: tuple[Any, ...],
                           also: tuple[Any, ...] = ()) -> None:
        """Queue a small update (and ``also`` the marks to store with it) for the
        next group commit and wait until it is on disk."""


def private_file(path: Path) -> None:
    """Make ``path`` a file only its owner may read and write, its directory (when
    created here) only the owner's too, before SQLite opens it: SQLite gives the
    log and shared-memory files (-wal, -shm) the database file's own mode. A file
    left readable by others (an older version made it so) is closed to them."""
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(name.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                name.chmod(mode & 0o700)
            except PermissionError:  # not ours: say so, and open it all the same
                log.warning("%s is open to others (mode %o) and not ours to close", name.name,
                            mode)
            else:
                log.warning("%s was open to others (mode %o): now %o", name.name, mode,
                            mode & 0o700)


async def in_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn`` with the connection's sqlite3 handle on its own thread, in one trip.

    Each aiosqlite call is a trip (a hand-off to the connection's thread, and a
    wake-up of the event loop with the answer); a group commit as one function
    costs one trip instead of one per statement. aiosqlite has no public call
    for this, so it uses ``Connection._execute`` and ``_conn``: pyproject pins
    aiosqlite below 0.23, and every store test goes through here.
    """
    with translated("a query"):
        raw = conn._conn
        result: T = await conn._execute(fn, raw)  # type: ignore[no-untyped-call]
        return result


def _data_version(c: sqlite3.Connection) -> int:
    return int(c.execute("PRAGMA data_version").fetchone()[0])


def versioned(body: Callable[[sqlite3.Connection], T]
              ) -> Callable[[sqlite3.Connection], tuple[int, T]]:
    """``body``, and the connection's data version read in the same trip before it
    (see :meth:`Connections._version_seen`)."""

    def run(c: sqlite3.Connection) -> tuple[int, T]:
        return _data_version(c), body(c)

    return run


def immediate(body: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
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


async def one(conn: aiosqlite.Connection, sql: str, args: tuple[Any, ...] = ()) -> Any:
    """The first row, in one trip to the connection's thread (a cursor costs three)."""
    for row in await every(conn, sql, args):
        return row
    return None


async def every(conn: aiosqlite.Connection, sql: str, args: tuple[Any, ...] = ()
                ) -> list[Any]:
    with translated("a query"):
        return list(await conn.execute_fetchall(sql, args))


async def rollback(conn: aiosqlite.Connection) -> None:
    with translated("a rollback"):
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
