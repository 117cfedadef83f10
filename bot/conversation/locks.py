"""Per-person locks; the implementation lives with the storage seam it fills."""

from bot.storage.locks import KeyedLocks

__all__ = ["KeyedLocks"]
