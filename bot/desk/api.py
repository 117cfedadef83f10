"""The desk's shared vocabulary: who acts, what they see, what can go wrong.

Chat (bot/desk/chat.py) and the CLI (bot/cli/) both act through
:class:`Desk` (implemented by :class:`bot.desk.service.DeskService`, built by the
App as ``app.desk``). Nothing here holds resident text in an error: a
:class:`DeskError` carries a ``kind`` and a ``detail`` of codes and names the
caller turns into one line (what is wrong, what would work).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from bot.config.model import Role
from bot.domain.records import HeldMessage, Report
from bot.storage.desk import AuditRow

ALL_ROLES: frozenset[str] = frozenset(("staff", "moderator", "sensitive"))

ErrorKind = Literal["unknown_ref", "bad_status", "bad_transition", "unknown_partner",
                    "unknown_staff", "unknown_category", "unknown_area", "forbidden", "empty",
                    "no_alert"]

Outcome = Literal["ok", "denied"]

#: Allowed next statuses (the same status again is a bad transition).
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "new": ("in_review",),
    "in_review": ("actioned", "referred", "rejected"),
    "actioned": ("closed",),
    "referred": ("closed",),
    "rejected": ("closed",),
    "closed": (),
}

#: The answers to the satisfaction question asked after a report is closed.
SATISFACTION: tuple[str, ...] = ("yes", "partly", "no")


@dataclass(frozen=True)
class Actor:
    """Who acts at the desk: a staff member's configured name and roles."""

    name: str
    roles: frozenset[str] = frozenset()

    @classmethod
    def operator(cls) -> Actor:
        """The CLI's default actor: every role but "sensitive"."""
        return cls("operator", ALL_ROLES - {"sensitive"})

    def may(self, role: Role | str) -> bool:
        return role in self.roles


class DeskError(Exception):
    """What went wrong, as a kind and values for the message (never resident text).

    ``detail`` keys by kind (all optional, values are codes/names):
      unknown_ref: ref; bad_status: status, allowed (tuple of statuses);
      bad_transition: status (current), wanted, allowed (tuple);
      unknown_partner: partner, allowed (tuple of codes);
      unknown_staff: staff, allowed (tuple of names);
      unknown_category: category, allowed; unknown_area: area, allowed;
      forbidden: role (the one missing), action; empty: field ("text", "tags");
      no_alert: ref (when one was named: it has no alert waiting).
    A sensitive report asked for without the "sensitive" role raises
    unknown_ref, exactly as a missing one.
    """

    def __init__(self, kind: ErrorKind, **detail: Any) -> None:
        super().__init__(kind)
        self.kind: ErrorKind = kind
        self.detail: dict[str, Any] = detail

    def __repr__(self) -> str:
        return f"DeskError({self.kind!r}, {self.detail!r})"


@dataclass(frozen=True)
class Event:
    """One line of a report's timeline (or one note): never a resident's text."""

    at: datetime
    actor: str
    action: str
    detail: str = field(default="", repr=False)


@dataclass(frozen=True)
class ReportView:
    report: Report
    assignee: str | None
    tags: tuple[str, ...]
    notes: tuple[Event, ...]
    timeline: tuple[Event, ...]
    partner: str | None
    urgent: bool = False  # moderation found urgent risk: first in every queue
    satisfaction: str | None = None

    @property
    def ref(self) -> str:
        return self.report.ref

    @property
    def status(self) -> str:
        return str(self.report.status)


@dataclass(frozen=True)
class Page:
    items: tuple[ReportView, ...]
    total: int
    offset: int


@dataclass(frozen=True)
class HeldPage:
    """Messages flood control held (bot.conversation.flood), the latest first."""

    items: tuple[HeldMessage, ...]
    total: int
    offset: int


@dataclass(frozen=True)
class Acked:
    """An urgent alert acknowledged: by whom, after how many seconds; ``before``
    when someone else had acknowledged it already."""

    ref: str
    by: str
    seconds: int
    before: bool = False


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str  # a report ref, "" when none
    outcome: Outcome


class Desk(Protocol):
    """The desk as chat and the CLI use it. Every read and change is audited in
    the same transaction as the change; role "moderator" is needed for every
    report action, "sensitive" as well for sensitive reports."""

    async def queue(self, actor: Actor, *, status: str | None = None,
                    category: str | None = None, area: str | None = None,
                    urgent: bool = False, mine: bool = False, waiting: bool = False,
                    offset: int = 0, limit: int = 10) -> Page:
        """Urgent first, then oldest first; ``waiting``: only those new or in review
        (unless a status is asked for)."""
        ...

    async def show(self, actor: Actor, ref: str) -> ReportView: ...

    async def take(self, actor: Actor, ref: str) -> ReportView:
        """Assign to the actor; a new report moves to in_review."""
        ...

    async def assign(self, actor: Actor, ref: str, staff_name: str) -> ReportView: ...

    async def set_status(self, actor: Actor, ref: str, status: str) -> ReportView: ...

    async def tag(self, actor: Actor, ref: str, add: Sequence[str],
                  remove: Sequence[str] = ()) -> ReportView: ...

    async def note(self, actor: Actor, ref: str, text: str) -> ReportView: ...

    async def answer(self, actor: Actor, ref: str, text: str) -> ReportView:
        """The public answer, queued to a contactable reporter."""
        ...

    async def refer(self, actor: Actor, ref: str, partner_code: str) -> ReportView:
        """Refer to a partner: status referred."""
        ...

    async def held(self, actor: Actor, *, offset: int = 0, limit: int = 10) -> HeldPage:
        """Messages flood control held: redacted, unlinked, exact copies counted."""
        ...

    async def ack(self, actor: Actor, ref: str | None = None) -> Acked:
        """Acknowledge the urgent alert of ``ref`` (None: the latest one waiting
        that the actor may see); its escalation stops."""
        ...

    async def denied(self, actor_name: str, action: str) -> None:
        """Audit a refused attempt (a resident is actor "resident", no address)."""
        ...

    async def audit(self, actor: Actor, since: datetime | None = None) -> list[AuditEntry]:
        """Rows on sensitive targets are absent without the "sensitive" role."""
        ...

    async def export_reports(self, actor: Actor) -> list[ReportView]: ...

    def partners(self) -> Mapping[str, str]:
        """Partner code -> name, as configured."""
        ...

    def audited_by(self, sink: Callable[[AuditRow], None]) -> Desk:
        """This desk with reads and refusals audited through ``sink`` (chat: the
        turn that answers them) instead of a write of their own."""
        ...
