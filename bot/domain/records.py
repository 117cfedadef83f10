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
    """A deliverable contact: the address is sealed (encrypted) at rest. Its id,
    pseudonym and address stay out of its repr (a traceback's locals).

    ``reach_id`` is random, made when the person first files a report they may
    be contacted about: what that report's sealed reach link leads to. It moves
    with the contact when a key rotation moves it, and dies with it on erase, so
    a person who erased their data and wrote again is not found by old links."""

    id: str = field(repr=False)
    person: str = field(repr=False)
    channel: str
    address_sealed: bytes = field(repr=False)
    language: str | None
    opted_out: bool
    created_at: datetime
    last_inbound_at: datetime
    reach_id: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Session:
    contact_id: str = field(repr=False)
    step: str | None
    data: dict[str, Any] = field(repr=False)  # the draft: resident text, redacted
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    contact: Contact
    session: Session | None


@dataclass(frozen=True, slots=True)
class NewReport:
    """A report as filed. It keeps nothing that joins its author: a contactable
    one keeps only ``reach``, its author's reach id (:class:`Contact`) sealed
    with the reach key (bot.privacy.links), which erasing their data destroys."""

    ref: str
    created_at: datetime
    channel: str
    language: str
    category: str
    area: str | None
    description: Redacted = field(repr=False)
    media: tuple[str, ...]
    contactable: bool
    reach: bytes | None = field(repr=False)
    sensitive: bool
    urgent: bool = False
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()  # what moderation's detectors found, by category

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
    description: str = field(repr=False)
    redactions: tuple[str, ...]
    media: tuple[str, ...]
    contactable: bool
    sensitive: bool
    status: ReportStatus
    public_reply: str | None = field(repr=False)
    urgent: bool = False
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """A message flood control held: its redacted text, nothing of its sender;
    exact copies are one row, ``copies`` of them, ``held_at`` the latest's."""

    held_at: datetime
    channel: str
    language: str
    text: str = field(repr=False)
    redactions: tuple[str, ...]
    media: tuple[str, ...] = ()
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()
    copies: int = 1


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
    """A message waiting in, or gone through, the durable outbox. Its payload is
    decoded in one place, :func:`bot.outbox.payload.message_of`."""

    id: int
    contact_id: str | None = field(repr=False)
    channel: str
    address_sealed: bytes | None = field(repr=False)
    kind: str
    payload: dict[str, Any] = field(repr=False)
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
    inbound_key: tuple[str, str] | None = None  # (channel, replay tag of the message id)
    effects: Sequence[Effect] = ()
    outbound: list[NewOutbound] = field(default_factory=list)
    at: datetime | None = None  # when the turn happened; the contact's last message if None
    keep_contact: bool = False  # the stored contact row is current: leave it as it is
    language: str = ""  # the turn's language, which its reports are filed in
    sensitive: frozenset[str] = frozenset()  # report categories filed as sensitive
    timers: Sequence[NewTimer] = ()  # due rows the turn leaves (deleting its inbound)

    @property
    def moment(self) -> datetime:
        return self.at or self.contact.last_inbound_at


@dataclass(frozen=True, slots=True)
class NewOutbound:
    contact_id: str | None = field(repr=False)
    channel: str
    address_sealed: bytes = field(repr=False)
    kind: str
    payload: dict[str, Any] = field(repr=False)
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
