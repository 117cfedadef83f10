"""Seams for what only one process can hold.

Each has an in-process implementation, sound while one process is the only
writer; a backend shared by several workers (PostgreSQL) replaces it:

- :class:`ConversationLocks`, the per-person lock a turn holds from reading
  its conversation to committing it. In process: :class:`bot.storage.locks.KeyedLocks`.
  Shared: ``pg_advisory_xact_lock(hashtext(contact_id))`` in the turn's
  transaction, held until it commits.
- The recent-conversation cache: a detail of the SQLite backend
  (``SQLiteStore(recent=...)``), valid only while its process is the only
  writer; ``SQLiteStore(shared=True)`` switches it off, and every turn then
  reads its conversation and replay check from the database.
- :class:`RateBuckets`, per-channel send budgets. Today bot/outbox/ratelimit.py
  keeps them in process; several dispatchers would share one budget through
  the store (a row per bucket, taken ``FOR UPDATE``) or a shared cache.
- Sleeping timer tasks: replaced by due rows, see
  :class:`bot.storage.planned.DueTimers`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class ConversationLocks(Protocol):
    """``async with locks(contact_id)``: one turn of a person at a time, in
    arrival order; different people concurrently."""

    def __call__(self, key: str) -> AbstractAsyncContextManager[None]: ...


class RateBuckets(Protocol):
    """Send budgets the outbox draws on before each send (planned port)."""

    async def take(self, bucket: str, cost: float) -> float:
        """Take ``cost`` tokens from ``bucket``; the seconds to wait before
        sending (0 when the budget allows it now)."""
        ...
