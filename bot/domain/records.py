"""What the store keeps and hands back: plain frozen records, no SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.effects import Effect
from moderation.anonymise import Redacted


class ReportStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    ACTIONED = "actioned"
    REFERRED = "referred"
    CLOSED = "closed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Contact:
    """A deliverable contact: the address is sealed (encrypted) at rest."""

    id: str
    person: str
    channel: str
    address_sealed: bytes
    language: str | None
    opted_out: bool
    created_at: datetime
    last_inbound_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    contact_id: str
    step: str | None
    data: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    contact: Contact
    session: Session | None


@dataclass(frozen=True, slots=True)
class NewReport:
    ref: str
    created_at: datetime
    channel: str
    language: str
    category: str
    area: str | None
    description: Redacted
    media: tuple[str, ...]
    contactable: bool
    contact_id: str | None
    reporter: str
    sensitive: bool

    def __post_init__(self) -> None:
        if not isinstance(self.description, Redacted):
            raise TypeError("a report description must be Redacted text")


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    ref: str
    created_at: datetime
    updated_at: datetime
    channel: str
    language: str
    category: str
    area: str | None
    description: str
    redactions: tuple[str, ...]
    media: tuple[str, ...]
    contactable: bool
    sensitive: bool
    status: ReportStatus
    public_reply: str | None


@dataclass(frozen=True, slots=True)
class Advisory:
    id: int
    created_at: datetime
    severity: str
    areas: tuple[str, ...]
    texts: dict[str, str]
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    """A message waiting in, or gone through, the durable outbox."""

    id: int
    contact_id: str | None
    channel: str
    address_sealed: bytes | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    last_inbound_at: datetime | None = None
    opted_out: bool = False


@dataclass(slots=True)
class TurnWrite:
    """Everything one handled message changes, committed atomically: the
    contact and session as the turn leaves them, its effects (applied by the
    store's unit of work) and the replies it queues."""

    contact: Contact
    session: Session | None
    inbound_key: tuple[str, str] | None = None
    effects: Sequence[Effect] = ()
    outbound: list[NewOutbound] = field(default_factory=list)
    at: datetime | None = None  # when the turn happened; the contact's last message if None
    keep_contact: bool = False  # the stored contact row is current: leave it as it is
    language: str = ""  # the turn's language, which its reports are filed in
    sensitive: frozenset[str] = frozenset()  # report categories filed as sensitive

    @property
    def moment(self) -> datetime:
        return self.at or self.contact.last_inbound_at


@dataclass(frozen=True, slots=True)
class NewOutbound:
    contact_id: str | None
    channel: str
    address_sealed: bytes
    kind: str
    payload: dict[str, Any]
    priority: int = 0


@dataclass(frozen=True, slots=True)
class NewTimer:
    """A due row a write leaves behind, in its transaction (see
    :class:`~bot.storage.ports.DueTimers`): idempotent per (kind, key), its
    payload never personal data in clear."""

    kind: str
    key: str
    payload: dict[str, Any] = field(repr=False)
    due_at: datetime
