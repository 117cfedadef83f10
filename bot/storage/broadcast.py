"""Advisories as the store keeps them, and their fan-out into the outbox.

An advisory is one row (its texts per language, areas, severity, channels, when
it starts and ends) and a due row (kind ``broadcast``) that turns it into
outbox rows, a batch at a time, from a cursor over the contacts kept in the
same transaction as the batch's rows: a fan-out interrupted anywhere resumes
where it stopped and nobody gets a second copy. Its outbox rows carry its id,
so that cancelling or expiring it drops what has not gone, and its progress is
counted from them. Nothing here is personal: an advisory is staff's public
message; its audience is counted, never listed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "ADVISORY_END",
    "BROADCAST",
    "AdvisoryRow",
    "Batch",
    "BroadcastStore",
    "NewAdvisory",
    "Recipient",
]

BROADCAST = "broadcast"  # the due row that fans an advisory out (key: its id)
ADVISORY_END = "advisory_end"  # the due row at its expiry (key: its id)


@dataclass(frozen=True, slots=True)
class NewAdvisory:
    severity: str
    areas: tuple[str, ...]
    texts: dict[str, str]
    channels: tuple[str, ...] = ()  # none: every channel
    starts_at: datetime | None = None  # None: now
    expires_at: datetime | None = None
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class AdvisoryRow:
    id: int
    created_at: datetime
    severity: str
    areas: tuple[str, ...]
    texts: dict[str, str]
    channels: tuple[str, ...]
    starts_at: datetime | None
    expires_at: datetime | None
    status: str
    created_by: str
    cursor: str  # the last contact (by id) fanned out to
    audience: int  # outbox rows queued so far
    progress: dict[str, int] = field(default_factory=dict)  # outbox rows by outcome


@dataclass(frozen=True, slots=True)
class Batch:
    """One step of a fan-out: what each language's residents get, and where."""

    cursor: str
    limit: int
    payloads: Mapping[str, dict[str, Any]] = field(repr=False)  # language -> payload
    fallback: dict[str, Any] = field(repr=False)  # every other language's, and none
    priority: int = 0
    areas: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Recipient:
    """One contact of an advisory's audience, as the fan-out needs it."""

    order: str  # the contact's id: the fan-out's order
    contact_id: str = field(repr=False)
    channel: str
    address_sealed: bytes = field(repr=False)
    language: str | None
    last_inbound_at: datetime


class BroadcastStore(ABC):
    @abstractmethod
    async def create_advisory(self, new: NewAdvisory, now: datetime) -> int:
        """The advisory, its areas and its due rows (fan-out at its start, the end
        at its expiry) in one transaction; its id."""

    @abstractmethod
    async def advisory(self, advisory_id: int, *, progress: bool = True) -> AdvisoryRow | None:
        """With its progress (unless ``progress`` is False): outbox rows counted by
        outcome (queued, sent, delivered, failed:<reason>, dropped:<reason>)."""

    @abstractmethod
    async def advisories(self, *, limit: int = 50) -> list[AdvisoryRow]:
        """The latest first, without progress."""

    @abstractmethod
    async def audience(self, areas: Sequence[str], channels: Sequence[str], *,
                       after: str = "", limit: int = 1000) -> list[Recipient]:
        """Contacts subscribed to any of ``areas`` (on ``channels``, every channel
        if empty), not opted out, after the cursor ``after``, in id order."""

    @abstractmethod
    async def fan_out(self, advisory_id: int, batch: Batch) -> int | None:
        """Queue the next ``batch.limit`` of the advisory's audience after the
        cursor ``batch.cursor`` and move the cursor past them, in one transaction;
        how many were queued (0: the audience is done). None, and nothing
        written, when the cursor is no longer ``batch.cursor`` (another worker did
        this batch) or the advisory stopped. Each row's payload is the one of its
        contact's language, else ``batch.fallback``."""

    @abstractmethod
    async def set_advisory_status(self, advisory_id: int, status: str, *,
                                  only_from: Sequence[str] = ()) -> bool:
        """Set its status (from one of ``only_from`` when given)."""

    @abstractmethod
    async def drop_broadcast(self, advisory_id: int, status: str, reason: str) -> int:
        """End the advisory with ``status`` (cancelled, expired): its messages not
        sent yet are dropped with ``reason``, its due rows deleted; how many were
        dropped. An advisory already ended keeps its status (0)."""
