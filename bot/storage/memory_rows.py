"""The in-memory store's mutable rows: an outbox message and a due timer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class _Queued:
    """An outbox row."""

    id: int
    created_at: datetime
    contact_id: str | None
    channel: str
    address_sealed: bytes | None
    kind: str
    priority: int
    payload: dict[str, Any]
    next_attempt_at: datetime
    status: str = "pending"
    attempts: int = 0
    lease_until: datetime | None = None
    last_error: str | None = None
    external_id: str | None = None
    segments: int | None = None
    sent_at: datetime | None = None
    delivery: str | None = None
    broadcast: int | None = None  # the advisory it is part of


@dataclass(slots=True)
class _Timer:
    """A due row."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int = 0
    last_error: str | None = None
