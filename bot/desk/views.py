"""A report as the desk shows it: the report and what the desk added."""

from __future__ import annotations

from bot.desk.api import Event, ReportView
from bot.domain.records import Report
from bot.storage.desk import DeskEvent, DeskState


def _event(e: DeskEvent) -> Event:
    return Event(e.at, e.actor, e.action, e.detail)


def view_of(report: Report, state: DeskState | None) -> ReportView:
    s = state or DeskState()
    return ReportView(report=report, assignee=s.assignee, tags=s.tags,
                      notes=tuple(_event(n) for n in s.notes),
                      timeline=tuple(_event(e) for e in s.timeline),
                      partner=s.partner, urgent=report.urgent, satisfaction=s.satisfaction)
