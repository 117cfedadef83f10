"""Storage backends behind one contract (:class:`bot.storage.ports.Store`)."""

from __future__ import annotations

from bot.storage.ports import Store


class UnsupportedStore(Exception):
    """The storage url names a backend this build cannot open."""


def store_for(url: str) -> Store:
    """The store a ``storage.url`` names (not yet opened): ``sqlite:///path.db``,
    or ``memory://`` (nothing kept past the process: tests, benchmarks, demos)."""
    if url.startswith("sqlite://"):
        from bot.storage.sqlite.store import SQLiteStore, sqlite_path

        return SQLiteStore(sqlite_path(url))
    if url == "memory://":
        from bot.storage.memory import MemoryStore

        return MemoryStore()
    raise UnsupportedStore("storage.url: only sqlite:// and memory:// are supported"
                           " by this version")
