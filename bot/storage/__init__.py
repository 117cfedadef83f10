"""Storage backends behind one contract (:class:`bot.storage.base.Store`)."""

from __future__ import annotations

from bot.storage.ports import Store


class UnsupportedStore(Exception):
    """The storage url names a backend this build cannot open."""


def store_for(url: str) -> Store:
    """The store a ``storage.url`` names (not yet opened)."""
    if url.startswith("sqlite://"):
        from bot.storage.sqlite.store import SQLiteStore, sqlite_path

        return SQLiteStore(sqlite_path(url))
    raise UnsupportedStore("storage.url: only sqlite:// is supported by this version")
