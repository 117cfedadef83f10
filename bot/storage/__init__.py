"""Storage backends behind one contract (:class:`bot.storage.ports.Store`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.ports import Store

if TYPE_CHECKING:
    from bot.storage.keyed import Keyed


class UnsupportedStore(Exception):
    """The storage url names a backend this build cannot open."""


def store_for(url: str, *, keys: Keyed | None = None) -> Store:
    """The store a ``storage.url`` names (not yet opened): ``sqlite:///path.db``,
    or ``memory://`` (nothing kept past the process: tests, benchmarks, demos).
    ``keys``: the config's (bot.app.store_keys); without them, random keys that
    die with the process (a test's store)."""
    if url.startswith("sqlite://"):
        from bot.storage.sqlite.store import SQLiteStore, sqlite_path

        return SQLiteStore(sqlite_path(url), keys=keys)
    if url == "memory://":
        from bot.storage.memory import MemoryStore

        return MemoryStore(keys=keys)
    raise UnsupportedStore("storage.url: only sqlite:// and memory:// are supported"
                           " by this version")
