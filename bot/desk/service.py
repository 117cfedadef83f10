"""The desk: what moderators do with reports, checked, applied and audited.

Every action is one store call (:meth:`~bot.storage.desk.DeskStore.desk_change`)
that writes the change, its timeline event, the messages that close the loop
with the reporter, its due rows and its audit row in one transaction. Role
"moderator" is needed for every report action; "sensitive" as well for a
report of a sensitive category, which without it is unknown (as a missing
one). Errors are :class:`~bot.desk.api.DeskError`: a kind and codes, never
a resident's text.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.config.model import Config
from bot.desk import closing
from bot.desk.api import (
    TRANSITIONS,
    Acked,
    Actor,
    AuditEntry,
    Desk,
    DeskError,
    HeldPage,
    Page,
    ReportView,
)
from bot.desk.views import view_of
from bot.domain.records import NewOutbound, Report, ReportStatus
from bot.privacy.vault import AddressVault
from bot.storage.changes import REFERRAL, URGENT_ALERT
from bot.storage.desk import AuditRow, DeskChange, DeskQuery
from bot.storage.ports import Store

Clock = Callable[[], datetime]
AuditSink = Callable[[AuditRow], None]
MODERATOR = "moderator"
SENSITIVE = "sensitive"
MAX_TEXT = 2000
MAX_PAGE = 50
_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_LOOP_CLOSING = (ReportStatus.ACTIONED, ReportStatus.REFERRED, ReportStatus.CLOSED)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DeskService:
    """The :class:`~bot.desk.api.Desk` over a store. ``on_outbound``: called
    when a change queued messages (the dispatcher's wake-up)."""

    def __init__(self, store: Store, config: Config, vault: AddressVault, *,
                 clock: Clock = _utc_now, on_outbound: Callable[[], None] | None = None
                 ) -> None:
        self._store = store
        self._vault = vault
        self._clock = clock
        self._on_outbound = on_outbound
        self._partners = {p.code: p.name for p in config.partners}
        self._staff = tuple(s.name for s in config.staff)
        self._categories = tuple(c.code for c in config.categories)
        self._areas = tuple(a.code for a in config.areas)
        self._sensitive = frozenset(config.moderation.sensitive_categories)
        self._session = timedelta(minutes=config.bot.session_timeout_minutes)
        self._sink: AuditSink | None = None

    def audited_by(self, sink: AuditSink) -> DeskService:
        """This desk with its reads and refusals audited through ``sink`` instead
        of a write of their own: chat hands them to the turn that answers, so the
        audit row and the answer are stored in one transaction. Changes keep
        their audit row in their own transaction."""
        other = copy.copy(self)
        other._sink = sink
        return other

    # reads -----------------------------------------------------------------
    async def queue(self, actor: Actor, *, status: str | None = None,
                    category: str | None = None, area: str | None = None,
                    urgent: bool = False, mine: bool = False, waiting: bool = False,
                    offset: int = 0, limit: int = 10) -> Page:
        await self._require(actor, "queue")
        wanted = self._status(status) if status is not None else None
        if category is not None and category not in self._categories:
            raise DeskError("unknown_category", category=category, allowed=self._categories)
        if area is not None and area not in self._areas:
            raise DeskError("unknown_area", area=area, allowed=self._areas)
        query = DeskQuery(status=wanted, category=category, area=area,
                          assignee=actor.name if mine else None,
                          waiting=waiting and wanted is None, urgent=urgent,
                          include_sensitive=actor.may(SENSITIVE),
                          offset=max(0, offset), limit=max(1, min(limit, MAX_PAGE)))
        reports, total = await self._store.desk_queue(query)
        await self._audit(actor, "queue")
        return Page(await self._views(reports), total, query.offset)

    async def show(self, actor: Actor, ref: str) -> ReportView:
        report = await self._report(actor, ref, "show")
        view = await self._view(report)
        await self._record(AuditRow(self._clock(), actor.name, "show", report.ref, "ok",
                                    self.is_sensitive(report)))
        return view

    async def export_reports(self, actor: Actor) -> list[ReportView]:
        await self._require(actor, "export")
        views: list[ReportView] = []
        offset = 0
        while True:
            reports, total = await self._store.desk_queue(DeskQuery(
                include_sensitive=actor.may(SENSITIVE), offset=offset, limit=500))
            views += await self._views(reports)
            offset += len(reports)
            if not reports or offset >= total:
                break
        await self._audit(actor, "export")
        return views

    async def audit(self, actor: Actor, since: datetime | None = None) -> list[AuditEntry]:
        await self._require(actor, "audit")
        rows = await self._store.audit_rows(since=since,
                                            include_sensitive=actor.may(SENSITIVE))
        await self._audit(actor, "audit")
        return [AuditEntry(r.at, r.actor, r.action, r.target,
                           "denied" if r.outcome == "denied" else "ok") for r in rows]

    def partners(self) -> Mapping[str, str]:
        return dict(self._partners)

    # changes ---------------------------------------------------------------
    async def take(self, actor: Actor, ref: str) -> ReportView:
        report = await self._report(actor, ref, "take")
        moved = ReportStatus.IN_REVIEW if report.status is ReportStatus.NEW else None
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "take", self._clock(), expect=report.status, status=moved,
            assign=True, assignee=actor.name, event=actor.name))

    async def assign(self, actor: Actor, ref: str, staff_name: str) -> ReportView:
        report = await self._report(actor, ref, "assign")
        name = next((s for s in self._staff if s.casefold() == staff_name.strip().casefold()),
                    None)
        if name is None:
            raise DeskError("unknown_staff", staff=staff_name.strip()[:40],
                            allowed=self._staff)
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "assign", self._clock(), assign=True, assignee=name,
            event=name))

    async def set_status(self, actor: Actor, ref: str, status: str) -> ReportView:
        report = await self._report(actor, ref, "status")
        wanted = self._status(status)
        self._check_move(report, wanted)
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "status", self._clock(), expect=report.status,
            status=wanted, event=wanted.value), moved=wanted)

    async def tag(self, actor: Actor, ref: str, add: Sequence[str],
                  remove: Sequence[str] = ()) -> ReportView:
        report = await self._report(actor, ref, "tag")
        adding, removing = _tags(add), _tags(remove)
        if not adding and not removing:
            raise DeskError("empty", field="tags")
        detail = " ".join([*(f"+{t}" for t in adding), *(f"-{t}" for t in removing)])
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "tag", self._clock(), tags_add=adding,
            tags_remove=removing, event=detail))

    async def note(self, actor: Actor, ref: str, text: str) -> ReportView:
        report = await self._report(actor, ref, "note")
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "note", self._clock(), note=_text(text), event=""))

    async def answer(self, actor: Actor, ref: str, text: str) -> ReportView:
        report = await self._report(actor, ref, "answer")
        reply = _text(text)
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "answer", self._clock(), public_reply=reply, event=""),
            answer=reply)

    async def refer(self, actor: Actor, ref: str, partner_code: str) -> ReportView:
        report = await self._report(actor, ref, "refer")
        code = partner_code.strip().lower()
        if code not in self._partners:
            raise DeskError("unknown_partner", partner=code[:40],
                            allowed=tuple(self._partners))
        self._check_move(report, ReportStatus.REFERRED)
        return await self._apply(report, DeskChange(
            report.ref, actor.name, "refer", self._clock(), expect=report.status,
            status=ReportStatus.REFERRED, partner=code, event=code),
            moved=ReportStatus.REFERRED)

    async def held(self, actor: Actor, *, offset: int = 0, limit: int = 10) -> HeldPage:
        await self._require(actor, "held")
        start = max(0, offset)
        rows, total = await self._store.held_messages(offset=start,
                                                      limit=max(1, min(limit, MAX_PAGE)))
        await self._audit(actor, "held")
        return HeldPage(tuple(rows), total, start)

    async def ack(self, actor: Actor, ref: str | None = None) -> Acked:
        if ref is None:
            await self._require(actor, "ack")
            waiting = await self._store.open_alerts(include_sensitive=actor.may(SENSITIVE))
            if not waiting:
                raise DeskError("no_alert")
            ref = waiting[0]
        report = await self._report(actor, ref, "ack")
        state = await self._store.desk_state(report.ref)
        alert = state.alert if state is not None else None
        if alert is None:
            raise DeskError("no_alert", ref=report.ref)
        if alert.acked_by is None:
            now = self._clock()
            seconds = max(0, round((now - alert.raised_at).total_seconds()))
            if await self._change(DeskChange(
                    report.ref, actor.name, "ack", now, event=str(seconds),
                    ack_seconds=seconds, cancel=((URGENT_ALERT, report.ref),))):
                return Acked(report.ref, actor.name, seconds)
            state = await self._store.desk_state(report.ref)  # someone was quicker
            alert = state.alert if state is not None else None
        if alert is None or alert.acked_by is None:
            raise DeskError("no_alert", ref=report.ref)
        return Acked(report.ref, alert.acked_by, alert.ack_seconds or 0, before=True)

    async def denied(self, actor_name: str, action: str) -> None:
        await self._record(AuditRow(self._clock(), actor_name or "resident", action[:40], "",
                                    "denied", False))

    # the steps every action shares -----------------------------------------
    async def _require(self, actor: Actor, action: str) -> None:
        if not actor.may(MODERATOR):
            await self.denied(actor.name, action)
            raise DeskError("forbidden", role=MODERATOR, action=action)

    async def _report(self, actor: Actor, ref: str, action: str) -> Report:
        await self._require(actor, action)
        wanted = ref.strip().upper()
        report = await self._store.report_by_ref(wanted) if wanted else None
        if report is None:
            raise DeskError("unknown_ref", ref=wanted[:20])
        if self.is_sensitive(report) and not actor.may(SENSITIVE):
            await self._record(AuditRow(self._clock(), actor.name, action, report.ref,
                                        "denied", True))
            raise DeskError("unknown_ref", ref=wanted[:20])  # as a missing one
        return report

    def is_sensitive(self, report: Report) -> bool:
        return report.sensitive or report.category in self._sensitive

    def _status(self, status: str) -> ReportStatus:
        try:
            return ReportStatus(status.strip().lower())
        except ValueError:
            raise DeskError("bad_status", status=status.strip()[:20],
                            allowed=tuple(s.value for s in ReportStatus)) from None

    @staticmethod
    def _check_move(report: Report, wanted: ReportStatus) -> None:
        allowed = TRANSITIONS[report.status.value]
        if wanted.value not in allowed:
            raise DeskError("bad_transition", status=report.status.value,
                            wanted=wanted.value, allowed=allowed)

    async def _apply(self, report: Report, change: DeskChange, *,
                     moved: ReportStatus | None = None, answer: str | None = None
                     ) -> ReportView:
        closes = moved if moved in _LOOP_CLOSING else None
        if answer is not None or closes is not None:
            contact_id = await self._store.reporter_of(report.ref)
            convo = await self._store.load(contact_id) if contact_id else None
            messages = closing.texts(report, answer=answer, moved=closes)
            contact = convo.contact if convo else None
            out = closing.queued(contact, messages, self._vault)
            change = _with_outbound(change, out)
            if out and contact is not None and closes is ReportStatus.CLOSED:
                change = replace(change, prompt=closing.question_step(
                    contact, report.ref, change.at), stale=change.at - self._session)
        if closes is not None:
            change = _with_cancel(change, report.ref)
        # No lock on the reporter: the actor may be them (a staff member who filed a
        # report), in a turn of their own. The store queues to the reporter only if
        # they are still there and not opted out, in the change's transaction.
        if not await self._change(change):
            fresh = await self._store.report_by_ref(report.ref)
            if fresh is None:
                raise DeskError("unknown_ref", ref=report.ref)
            raise DeskError("bad_transition", status=fresh.status.value,
                            wanted=(change.status or fresh.status).value,
                            allowed=TRANSITIONS[fresh.status.value])
        if change.outbound and self._on_outbound is not None:
            self._on_outbound()
        fresh = await self._store.report_by_ref(report.ref)
        return await self._view(fresh or report)

    async def _change(self, change: DeskChange) -> bool:
        return await self._store.desk_change(change)

    async def _audit(self, actor: Actor, action: str) -> None:
        await self._record(AuditRow(self._clock(), actor.name, action, "", "ok", False))

    async def _record(self, row: AuditRow) -> None:
        if self._sink is not None:
            self._sink(row)
        else:
            await self._store.add_audit(row)

    async def _views(self, reports: Sequence[Report]) -> tuple[ReportView, ...]:
        states = await self._store.desk_states([r.ref for r in reports])
        return tuple(view_of(r, states.get(r.ref)) for r in reports)

    async def _view(self, report: Report) -> ReportView:
        return view_of(report, await self._store.desk_state(report.ref))


def _with_outbound(change: DeskChange, out: list[NewOutbound]) -> DeskChange:
    return replace(change, outbound=(*change.outbound, *out))


def _with_cancel(change: DeskChange, ref: str) -> DeskChange:
    """A report referred, actioned or closed stops its referral clock."""
    return replace(change, cancel=(*change.cancel, (REFERRAL, ref)))


def _tags(tags: Sequence[str]) -> tuple[str, ...]:
    cleaned = [t.strip().lstrip("#").lower() for t in tags]
    return tuple(dict.fromkeys(t for t in cleaned if _TAG.match(t)))


def _text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise DeskError("empty", field="text")
    return cleaned[:MAX_TEXT]


if TYPE_CHECKING:  # the service is the shared API's Desk (mypy checks it here)
    _IS_A_DESK: type[Desk] = DeskService
