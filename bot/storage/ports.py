"""The store contract: what every backend (SQLite, PostgreSQL) must do.

One contract test suite (tests/test_store_contract.py) runs against each.
Free text is accepted only as :class:`~moderation.anonymise.Redacted`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from bot.domain.records import (
    Advisory,
    Conversation,
    OutboundRecord,
    Report,
    ReportStatus,
    TurnWrite,
)


class StoreError(Exception):
    """A write failed; the message never holds the data that was written."""


class Store(ABC):
    """Async persistence. Methods are safe to call concurrently."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def ping(self) -> bool: ...

    # conversations
    @abstractmethod
    async def load(self, contact_id: str) -> Conversation | None: ...

    @abstractmethod
    async def inbound_seen(self, channel: str, external_id: str) -> bool: ...

    async def begin_turn(
        self, contact_id: str, inbound_key: tuple[str, str] | None
    ) -> tuple[bool, Conversation | None]:
        """Whether the inbound is known to be stored already, and the
        conversation: what a turn reads first. Backends may answer both in one
        round trip. False is not a promise that the inbound is new:
        :meth:`commit_turn` has the last word."""
        if inbound_key is not None and await self.inbound_seen(*inbound_key):
            return True, None
        return False, await self.load(contact_id)

    @abstractmethod
    async def commit_turn(self, write: TurnWrite) -> bool:
        """Apply everything one turn changed, atomically and durably. False, and
        nothing applied, when the turn's inbound was stored already: a replay
        that ``begin_turn`` did not catch is caught here, in the same transaction."""

    # lookups for flows
    @abstractmethod
    async def report_by_ref(self, ref: str) -> Report | None: ...

    @abstractmethod
    async def reference_exists(self, ref: str) -> bool: ...

    @abstractmethod
    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None: ...

    @abstractmethod
    async def subscriptions(self, contact_id: str) -> list[str]: ...

    # reports
    @abstractmethod
    async def list_reports(
        self, *, status: ReportStatus | None = None, category: str | None = None,
        include_sensitive: bool = False, limit: int = 100,
    ) -> list[Report]: ...

    @abstractmethod
    async def set_report_status(
        self, ref: str, status: ReportStatus, *, public_reply: str | None, now: datetime,
    ) -> bool: ...

    # advisories
    @abstractmethod
    async def add_advisory(
        self, *, severity: str, areas: Sequence[str], texts: dict[str, str], now: datetime,
        expires_at: datetime | None = None,
    ) -> int: ...

    # outbox
    @abstractmethod
    async def claim_outbound(
        self, now: datetime, limit: int, lease_until: datetime,
        channels: Sequence[str] | None = None,
    ) -> list[OutboundRecord]:
        """Take up to ``limit`` messages due now (or whose lease ran out), in
        priority then queue order, and lease them until ``lease_until``; only
        for ``channels`` when given (a process sends only on what it runs)."""

    @abstractmethod
    async def set_opted_out(self, contact_id: str, opted_out: bool) -> None: ...

    @abstractmethod
    async def delivery_status(
        self, channel: str, external_id: str, status: str, error: str | None,
    ) -> bool:
        """Record a delivery callback; False when no sent message has that id."""

    @abstractmethod
    async def outbound_sent(
        self, outbound_id: int, *, external_id: str | None, segments: int, now: datetime,
    ) -> None:
        """Mark sent; the sealed address is dropped from the record."""

    @abstractmethod
    async def outbound_retry(self, outbound_id: int, *, error: str, at: datetime,
                             parts_sent: int = 0, segments_sent: int = 0,
                             counted: bool = True) -> None:
        """Back to the queue, due again at ``at``. ``parts_sent`` > 0: that many
        parts of a long text went out (billed ``segments_sent``); they are kept
        in the payload so that the next try sends only the rest. ``counted``
        False: the try does not count towards the message's tries (its channel
        was down; the error is still kept)."""

    @abstractmethod
    async def outbound_release(self, outbound_id: int) -> None:
        """Give back a claimed message that was never tried (shutdown): due at once,
        its tries not counted."""

    @abstractmethod
    async def outbound_failed(self, outbound_id: int, *, error: str, now: datetime) -> None: ...

    @abstractmethod
    async def outbox_depth(self) -> int: ...
