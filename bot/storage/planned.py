"""Ports planned for later capabilities; no backend implements them yet.

They are here so that the shape of the store is decided before the code that
needs it: each joins :class:`bot.storage.ports.Store` (and the contract test
suite) when its capability lands. A change a turn makes to one of them is an
effect in bot/domain/effects.py and a :class:`~bot.domain.effects.TurnChanges`
method, as for every other change. (Timers, planned here first, are a real
port now: :class:`bot.storage.ports.DueTimers`.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class PollStore(Protocol):
    """Polls sent to an audience, and the answers residents give. Answering is
    a turn's effect (``AnswerPoll``), so only the reads are here."""

    async def poll_results(self, poll_id: int) -> dict[str, int]: ...


class AuditLog(Protocol):
    """What staff did (a report's status, an advisory sent), append-only; rows
    older than ``privacy.retention_days`` are purged (the ``audit`` rule in
    bot/storage/sqlite/retention.py waits for its table)."""

    async def audit(self, actor: str, action: str, subject: str, now: datetime) -> None: ...


class StaffStore(Protocol):
    """Staff accounts and what each may see (sensitive reports, areas)."""

    async def staff_member(self, staff_id: str) -> dict[str, Any] | None: ...
