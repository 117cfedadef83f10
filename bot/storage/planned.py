"""Ports planned for later capabilities; no backend implements them yet.

They are here so that the shape of the store is decided before the code that
needs it: each joins :class:`bot.storage.ports.Store` (and the contract test
suite) when its capability lands. A change a turn makes to one of them is an
effect in bot/domain/effects.py and a :class:`~bot.domain.effects.TurnChanges`
method, as for every other change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class PollStore(Protocol):
    """Polls sent to an audience, and the answers residents give. Answering is
    a turn's effect (``AnswerPoll``), so only the reads are here."""

    async def poll_results(self, poll_id: int) -> dict[str, int]: ...


class AuditLog(Protocol):
    """What staff did (a report's status, an advisory sent), append-only."""

    async def audit(self, actor: str, action: str, subject: str, now: datetime) -> None: ...


class StaffStore(Protocol):
    """Staff accounts and what each may see (sensitive reports, areas)."""

    async def staff_member(self, staff_id: str) -> dict[str, Any] | None: ...


class DueTimers(Protocol):
    """Timers as due rows, claimed from the store like the outbox, so that any
    worker can run them and none is lost when a process stops.

    Planned for alert escalation (a report unanswered for an hour pages the
    next person), scheduled advisories, referral clocks (a referred report
    must be acknowledged in time) and retention (rows erased when their time
    is up). Each is a row with a ``kind``, a due time and a payload; a worker
    claims the due ones under a lease (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL), runs them and marks them done; a lease that runs out makes
    the row due again. No process keeps a sleeping task for a timer.
    """

    async def schedule(self, kind: str, due_at: datetime, payload: dict[str, Any]) -> int: ...

    async def claim_due(self, kind: str, now: datetime, limit: int, lease_until: datetime
                        ) -> list[tuple[int, dict[str, Any]]]: ...

    async def timer_done(self, timer_id: int) -> None: ...
