"""Reports in the in-memory store: what residents filed, and the sealed reach links
that lead back to those who agreed to be contacted. A mix-in of
:class:`~bot.storage.memory.MemoryStore`, whose tables it works on."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.records import Contact, NewReport, Report, ReportStatus
from bot.storage.coarse import report_time
from bot.storage.keyed import Keyed
from bot.storage.ports import ReportStore


class MemoryReports(ReportStore):
    _keys: Keyed
    _contacts: dict[str, Contact]
    _reports: dict[str, Report]
    _reach: dict[str, bytes]  # ref -> sealed reach link

    def _next_id(self, table: str) -> int:
        raise NotImplementedError  # MemoryStore's

    def _file(self, r: NewReport) -> None:
        self._reports[r.ref] = Report(
            self._next_id("reports"), r.ref, r.created_at, r.created_at, r.channel, r.language,
            r.category, r.area, r.description.text, tuple(r.description.kinds), r.media,
            r.contactable, r.sensitive, ReportStatus.NEW, None, r.urgent, r.abusive,
            r.abuse_score, r.cues)
        if r.reach is not None:
            self._reach[r.ref] = r.reach

    async def report_by_ref(self, ref: str) -> Report | None:
        return self._reports.get(ref)

    async def reference_exists(self, ref: str) -> bool:
        return ref in self._reports

    async def reporter_of(self, ref: str) -> str | None:
        link = self._reach.get(ref)
        reach_id = None if link is None else self._keys.reach_of(link)
        return next((c.id for c in self._contacts.values()
                     if reach_id is not None and c.reach_id == reach_id), None)

    async def list_reports(
        self, *, status: ReportStatus | None = None, category: str | None = None,
        include_sensitive: bool = False, limit: int = 100,
    ) -> list[Report]:
        found = [r for r in self._reports.values()
                 if (status is None or r.status is status)
                 and (category is None or r.category == category)
                 and (include_sensitive or not r.sensitive)]
        found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return found[:limit]

    async def set_report_status(
        self, ref: str, status: ReportStatus, *, public_reply: str | None, now: datetime,
    ) -> bool:
        report = self._reports.get(ref)
        if report is None:
            return False
        self._reports[ref] = replace(report, status=status, updated_at=report_time(now),
                                     public_reply=report.public_reply if public_reply is None
                                     else public_reply)
        return True
