"""The store, by concern: what every backend (memory, SQLite, PostgreSQL) does.

A consumer depends on the port it uses (the dispatcher on :class:`OutboxStore`,
flows on :class:`~bot.conversation.turn.Lookups`, which
:class:`ConversationStore` with :class:`ReportStore` and :class:`AudienceStore`
satisfy); a backend implements :class:`Store`, which is all of them. One class
per backend, not one object per port: a turn's transaction spans
conversations, reports, subscriptions and the outbox, so the ports share one
connection (pool) and one unit of work, and ``store.<method>`` keeps working.

One contract test suite (tests/test_store_contract.py) runs against each
backend. Free text is accepted only as :class:`~moderation.anonymise.Redacted`.
Backends raise only :class:`StoreError`. Ports planned for later capabilities,
and the seams for what only one process can hold, are in bot.storage.planned
and bot.storage.seams.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.records import (
    Advisory,
    Conversation,
    NewTimer,
    OutboundRecord,
    Report,
    ReportStatus,
    TurnWrite,
)
from bot.storage.broadcast import BroadcastStore
from bot.storage.desk import DeskStore
from bot.storage.keys import KeyStore
from bot.storage.polls import PollStore
from bot.storage.seams import ConversationLocks

__all__ = ["AudienceStore", "ConversationStore", "DueTimer", "DueTimers", "OutboxStore",
           "ReportStore", "Retention", "RetentionStore", "Store", "StoreBusy", "StoreError"]


class StoreError(Exception):
    """The store could not do what was asked; the message never holds the data
    that was read or written."""


class StoreBusy(StoreError):
    """Another writer holds the database (locked, busy): worth trying again."""


class ConversationStore(ABC):
    """A person's conversation: read at the start of a turn, written at its end."""

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
        """Apply everything one turn changed (its effects through the backend's
        :class:`~bot.domain.effects.TurnChanges`), atomically and durably. False,
        and nothing applied, when the turn's inbound was stored already: a replay
        that ``begin_turn`` did not catch is caught here, in the same transaction."""

    @property
    @abstractmethod
    def locks(self) -> ConversationLocks:
        """The per-person lock a turn holds from ``begin_turn`` to ``commit_turn``."""


class ReportStore(ABC):
    """Reports residents filed (through a turn's effects) and staff review."""

    @abstractmethod
    async def report_by_ref(self, ref: str) -> Report | None: ...

    @abstractmethod
    async def reference_exists(self, ref: str) -> bool: ...

    @abstractmethod
    async def reporter_of(self, ref: str) -> str | None:
        """The contact id of the author of report ``ref``, opened from its sealed
        reach link: None when they did not agree to be contacted, erased their
        data since, or there is no such report. The only way from a report to a
        person, and it takes the config's key."""

    @abstractmethod
    async def list_reports(
        self, *, status: ReportStatus | None = None, category: str | None = None,
        include_sensitive: bool = False, limit: int = 100,
    ) -> list[Report]:
        """Newest first; sensitive categories only when asked."""

    @abstractmethod
    async def set_report_status(
        self, ref: str, status: ReportStatus, *, public_reply: str | None, now: datetime,
    ) -> bool:
        """False when no report has that reference."""


class AudienceStore(ABC):
    """Who listens to which area, and the advisories sent to areas."""

    @abstractmethod
    async def subscriptions(self, contact_id: str) -> list[str]:
        """Areas in the order they were subscribed to."""

    @abstractmethod
    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None:
        """The newest advisory for ``area`` that has not expired at ``now``."""

    @abstractmethod
    async def add_advisory(
        self, *, severity: str, areas: Sequence[str], texts: dict[str, str], now: datetime,
        expires_at: datetime | None = None,
    ) -> int: ...


PENDING_CAP = 20  # replies waiting for one contact, at most (OutboxStore)


class OutboxStore(ABC):
    """The durable outbox: rows claimed under a lease, so any worker can send them.

    One person's messages leave one at a time, in queue order: a claim never
    hands out a message while another of the same contact is leased (being
    sent), an earlier one's lease ran out (its sender died: it goes again
    first) or an earlier one was tried already and waits to be tried again (its
    backoff, or its turn). A message never tried may be overtaken by a later
    one of higher priority (a reply before a broadcast queued earlier). So a
    claim takes at most one message per contact, and a person with a backlog
    never delays anyone else's replies. A contact has at most
    :data:`PENDING_CAP` replies waiting: a turn's reply beyond it is not queued."""

    @abstractmethod
    async def claim_outbound(
        self, now: datetime, limit: int, lease_until: datetime,
        channels: Sequence[str] | None = None,
    ) -> list[OutboundRecord]:
        """Take up to ``limit`` messages due now (or whose lease ran out), in
        priority then queue order, and lease them until ``lease_until``; only
        for ``channels`` when given (a process sends only on what it runs).
        A message behind an earlier one of its contact's (see above) waits."""

    @abstractmethod
    async def renew_outbound(
        self, ids: Sequence[int], held_until: datetime, lease_until: datetime,
    ) -> set[int]:
        """Extend to ``lease_until`` the lease of those of ``ids`` still leased
        until ``held_until``: the caller's own lease, even if it ran out, as long
        as nobody claimed the row again since (that claim set another end) and it
        was not marked. Returns the ids renewed."""

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
        timer: NewTimer | None = None,
    ) -> None:
        """Mark sent; the sealed address is dropped from the record. ``timer``: a
        due row stored with the mark, atomically (deleting the sent message at
        the provider later)."""

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
    async def outbound_failed(self, outbound_id: int, *, error: str, now: datetime) -> None:
        """Given up: the sealed address is dropped from the record."""

    @abstractmethod
    async def outbox_depth(self) -> int:
        """Messages waiting or being sent."""


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A due row, as a claim hands it to the worker that runs it."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int  # failed tries so far (:meth:`DueTimers.timer_retry`)


class DueTimers(ABC):
    """Timers as due rows, claimed from the store like the outbox's messages, so
    that any worker can run them and none is lost when a process stops: the
    daily purge now; alert escalation, scheduled advisories and referral clocks
    later. A worker claims the due ones under a lease (``FOR UPDATE SKIP LOCKED``
    on PostgreSQL), runs them and marks them done; a lease that runs out makes
    the row due again, so a job must be safe to run twice. No process keeps a
    sleeping task for a timer (bot.timers runs them).

    A payload is plain JSON kept in clear, for as long as the row lives: it
    never holds personal data. A job that needs a secret value (a provider's
    message id, which with the provider's credentials gives back a number and a
    text) keeps it sealed (:class:`~bot.privacy.vault.AddressVault`), and its
    ``key`` is a keyed hash or an opaque id, never the value itself.
    """

    @abstractmethod
    async def schedule(self, kind: str, key: str, payload: dict[str, Any],
                       due_at: datetime) -> int:
        """Add a timer due at ``due_at``; its id. Idempotent per (kind, key):
        while a timer of that kind and key exists (due, leased or failing) it is
        left as it is and its id returned, so every start of every worker may
        schedule what must exist."""

    @abstractmethod
    async def claim_due(self, now: datetime, limit: int, lease_until: datetime,
                        kinds: Sequence[str] | None = None) -> list[DueTimer]:
        """Take up to ``limit`` timers due at ``now`` (or whose lease ran out),
        oldest due first, and lease them until ``lease_until``; only of
        ``kinds`` when given (a worker claims only what it can run)."""

    @abstractmethod
    async def timer_done(self, timer_id: int, *, again_at: datetime | None = None) -> None:
        """The timer ran: it is deleted, payload and all; or, with ``again_at``
        (a recurring job), due again then, its failed tries forgotten."""

    @abstractmethod
    async def timer_retry(self, timer_id: int, *, at: datetime, error: str) -> None:
        """The timer failed: due again at ``at``, one more failed try, ``error``
        kept (a kind, never data)."""

    @abstractmethod
    async def cancel_timer(self, kind: str, key: str) -> bool:
        """Delete the timer of that kind and key (an alert acknowledged in time);
        False when there is none."""


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of row is kept (bot.timers.retention builds it from config)."""

    records: timedelta  # privacy.retention_days: reports, finished outbox rows, audit
    replay_keys: timedelta  # inbound_seen: longer than any provider redelivers
    sessions: timedelta  # a conversation idle this long has timed out: its draft with it


class RetentionStore(ABC):
    """Retention applied: what is past its time is deleted, and gone from the file."""

    @abstractmethod
    async def purge(self, now: datetime, retention: Retention) -> dict[str, int]:
        """Delete, at ``now``: reports (with their history) last changed longer
        than ``retention.records`` ago, sent, failed and cancelled outbox rows
        (and audit rows) as old; replay keys older than ``retention.replay_keys``;
        sessions idle longer than ``retention.sessions``, with their drafts.
        Returns how many of each kind went (``reports``, ``outbox``,
        ``replay_keys``, ``sessions``, ``drafts``: the sessions that held one;
        ``audit`` where the backend keeps it; ``held``: messages flood control
        held, as old as records). Pending messages, contacts,
        subscriptions, advisories and timers are not touched."""


class Store(ConversationStore, ReportStore, AudienceStore, OutboxStore, DueTimers,
            RetentionStore, KeyStore, DeskStore, BroadcastStore, PollStore):
    """A backend: every port, over one connection (pool). Methods are safe to
    call concurrently."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def ping(self) -> bool: ...
