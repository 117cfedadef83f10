"""The moderators' desk as the store keeps it: a report's assignee, partner, tags,
notes and timeline, the resident's satisfaction, and the audit trail.

Every desk action is one :meth:`DeskStore.desk_change`: the change, its timeline
event, the messages it queues to the reporter, its due rows and its audit row in
one transaction. Nothing here holds a resident's text: a note is staff's, an
event's detail a code (a status, a tag, a partner), the audit row names an
actor, an action and a reference.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.records import HeldMessage, NewOutbound, NewTimer, Report, ReportStatus, Session

IDLE_STEPS = ("menu", "menu.idle")  # bot.conversation.flow's MENU and IDLE

__all__ = ["IDLE_STEPS", "AlertState", "AuditRow", "DeskChange", "DeskEvent", "DeskQuery",
           "DeskState", "DeskStore"]


@dataclass(frozen=True, slots=True)
class DeskEvent:
    at: datetime
    actor: str
    action: str
    detail: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class DeskState:
    """What the desk added to a report."""

    assignee: str | None = None
    partner: str | None = None
    satisfaction: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[DeskEvent, ...] = ()
    timeline: tuple[DeskEvent, ...] = ()
    alert: AlertState | None = None  # an urgent report's alert, once raised


@dataclass(frozen=True, slots=True)
class AlertState:
    """An urgent report's alert: how far it went, who acknowledged it and after how
    long. ``raised_at`` is to the second while the alert's due row lives (that is
    where the instant is kept, until the alert is acknowledged or done), else as
    coarse as the report's own times."""

    round: int
    raised_at: datetime
    acked_by: str | None = None
    ack_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str  # "ok" | "denied"
    sensitive: bool  # its target is a sensitive report


@dataclass(frozen=True, slots=True)
class DeskQuery:
    status: ReportStatus | None = None
    category: str | None = None
    area: str | None = None
    assignee: str | None = None
    waiting: bool = False  # only reports still to be worked: new or in review
    urgent: bool = False  # only urgent reports (urgent ones come first in any case)
    include_sensitive: bool = False
    offset: int = 0
    limit: int = 10


@dataclass(frozen=True, slots=True)
class DeskChange:
    """One desk action on report ``ref``, applied with its audit row (actor,
    action, ref, "ok") atomically. Applied only when the report exists and, with
    ``expect``, has that status; otherwise nothing is written."""

    ref: str
    actor: str
    action: str
    at: datetime
    # ``outbound`` to a contact and ``prompt`` are written only while that
    # contact exists and has not opted out (checked in the transaction)
    expect: ReportStatus | None = None
    status: ReportStatus | None = None
    public_reply: str | None = None
    assign: bool = False  # set the assignee to ``assignee`` (None: nobody)
    assignee: str | None = None
    partner: str | None = None
    tags_add: tuple[str, ...] = ()
    tags_remove: tuple[str, ...] = ()
    note: str | None = field(default=None, repr=False)
    event: str | None = None  # the timeline event's detail; None: no event (a read)
    outbound: Sequence[NewOutbound] = ()
    timers: Sequence[NewTimer] = ()
    cancel: Sequence[tuple[str, str]] = ()  # (kind, key) of due rows to delete
    # a step to leave the reporter at (the satisfaction question), written only
    # over no session, one idle at the menu, or one last active before ``stale``;
    # the store adds the report's reference to its data, sealed (SEALED_REF):
    # nothing in clear joins a person to their report
    prompt: Session | None = field(default=None, repr=False)
    stale: datetime | None = None
    # an urgent alert's round (0: raised), written only when the alert is not
    # acknowledged and has gone no further; or its acknowledgement (by the actor,
    # after ``ack_seconds``), only when it is not yet acknowledged: else nothing
    alert_round: int | None = None
    ack_seconds: int | None = None


class DeskStore(ABC):
    @abstractmethod
    async def desk_state(self, ref: str) -> DeskState | None:
        """None when no report has that reference."""

    async def desk_states(self, refs: Sequence[str]) -> dict[str, DeskState]:
        """The states of the reports ``refs`` that exist (a page of the queue);
        backends may read them all at once."""
        found = {}
        for ref in refs:
            state = await self.desk_state(ref)
            if state is not None:
                found[ref] = state
        return found

    @abstractmethod
    async def desk_queue(self, query: DeskQuery) -> tuple[list[Report], int]:
        """Oldest first, the page asked for, and how many match in all."""

    @abstractmethod
    async def desk_change(self, change: DeskChange) -> bool:
        """False (nothing written) when the report is missing or not as expected
        (its alert included: see :class:`DeskChange`)."""

    @abstractmethod
    async def held_messages(self, *, offset: int = 0,
                            limit: int = 10) -> tuple[list[HeldMessage], int]:
        """Messages flood control held, the latest first, and how many in all."""

    @abstractmethod
    async def open_alerts(self, *, include_sensitive: bool = False) -> list[str]:
        """The references of urgent reports whose alert nobody acknowledged yet,
        the latest raised first."""

    @abstractmethod
    async def add_audit(self, row: AuditRow) -> None:
        """An audit row on its own (a read of many reports, a refused attempt)."""

    @abstractmethod
    async def audit_rows(self, *, since: datetime | None = None,
                         include_sensitive: bool = False) -> list[AuditRow]:
        """Oldest first."""

    @abstractmethod
    async def record_satisfaction(self, ref: str, answer: str, now: datetime) -> bool:
        """The resident's answer, kept against the report; False when no such report."""
