"""The in-process per-person lock (the :class:`~bot.storage.seams.ConversationLocks`
seam): one lock per conversation, taken before its state is loaded."""

from __future__ import annotations

import asyncio
from types import TracebackType


class KeyedLocks:
    """``async with locks(key)``: turns of one person run one at a time, in order;
    different people run concurrently. Entries vanish when unused."""

    __slots__ = ("_locks",)

    def __init__(self) -> None:
        self._locks: dict[str, _Entry] = {}

    def __call__(self, key: str) -> _Held:
        return _Held(self._locks, key)

    def __len__(self) -> int:
        return len(self._locks)


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _Held:
    """One use of a key's lock (a plain class: this runs for every message)."""

    __slots__ = ("_entry", "_key", "_locks")

    def __init__(self, locks: dict[str, _Entry], key: str) -> None:
        self._locks, self._key = locks, key

    async def __aenter__(self) -> None:
        entry = self._locks.get(self._key)
        if entry is None:
            entry = self._locks[self._key] = _Entry()
        entry.users += 1
        self._entry = entry
        try:
            await entry.lock.acquire()
        except BaseException:  # cancelled while waiting: this use is over
            self._leave()
            raise

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._entry.lock.release()
        self._leave()

    def _leave(self) -> None:
        entry = self._entry
        entry.users -= 1
        if entry.users == 0:
            del self._locks[self._key]
