"""What the desk's CLI commands share: one line for a desk error, times in the
mission's timezone, a report view and an audit entry as JSON, a private file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.desk.api import AuditEntry, DeskError, Event, ReportView
from bot.domain.records import ReportStatus


def zone(config: Config) -> ZoneInfo:
    return ZoneInfo(config.bot.timezone)


def local(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz)


def stamp(at: datetime, tz: ZoneInfo) -> str:
    """``2026-12-02 14:05 CAT``: minutes, in the mission's timezone."""
    return f"{local(at, tz):%Y-%m-%d %H:%M %Z}"


def _allowed(detail: dict[str, Any]) -> str:
    allowed = detail.get("allowed") or ()
    return ", ".join(str(a) for a in allowed) or "none"


def error_line(exc: DeskError) -> str:
    """What is wrong and what would work, in one line (codes and names only)."""
    d = exc.detail
    match exc.kind:
        case "unknown_ref":
            return f"no report {d.get('ref', '')!r}"
        case "bad_status":
            return f"unknown status {d.get('status', '')!r} (statuses: {_allowed(d)})"
        case "bad_transition":
            return (f"a report {d.get('status')} cannot move to {d.get('wanted')} "
                    f"(next: {_allowed(d)})")
        case "unknown_partner":
            return f"unknown partner {d.get('partner', '')!r} (partners: {_allowed(d)})"
        case "unknown_staff":
            return f"unknown staff member {d.get('staff', '')!r} (staff: {_allowed(d)})"
        case "unknown_category":
            return f"unknown category {d.get('category', '')!r} (categories: {_allowed(d)})"
        case "unknown_area":
            return f"unknown area {d.get('area', '')!r} (areas: {_allowed(d)})"
        case "forbidden":
            return (f"{d.get('action', 'this')} needs the role {d.get('role')!r} "
                    "(act as someone who has it with --as NAME)")
        case "empty":
            return f"nothing given for {d.get('field', 'the text')}"
    return exc.kind  # pragma: no cover - every kind is matched above


def exit_code(exc: DeskError) -> int:
    """A refusal is a failure (1); anything else is bad input (2)."""
    return 1 if exc.kind == "forbidden" else 2


def event_json(e: Event, tz: ZoneInfo) -> dict[str, str]:
    return {"at": local(e.at, tz).isoformat(), "actor": e.actor, "action": e.action,
            "detail": e.detail}


def view_json(v: ReportView, tz: ZoneInfo) -> dict[str, Any]:
    r = v.report
    return {
        "ref": r.ref, "created_at": local(r.created_at, tz).isoformat(),
        "updated_at": local(r.updated_at, tz).isoformat(), "channel": r.channel,
        "language": r.language, "category": r.category, "area": r.area,
        "description": r.description, "redactions": list(r.redactions),
        "media": list(r.media), "contactable": r.contactable, "sensitive": r.sensitive,
        "status": r.status.value, "public_reply": r.public_reply,
        "assignee": v.assignee, "tags": list(v.tags), "partner": v.partner,
        "urgent": v.urgent, "satisfaction": v.satisfaction,
        "notes": [event_json(n, tz) for n in v.notes],
        "timeline": [event_json(e, tz) for e in v.timeline],
    }


def audit_json(a: AuditEntry, tz: ZoneInfo) -> dict[str, str]:
    return {"at": local(a.at, tz).isoformat(), "actor": a.actor, "action": a.action,
            "target": a.target, "outcome": a.outcome}


def audit_line(a: AuditEntry, tz: ZoneInfo) -> str:
    return f"{stamp(a.at, tz)}  {a.actor:<14} {a.action:<10} {a.target or '-':<8} {a.outcome}"


@contextmanager
def private_file(path: str) -> Iterator[IO[str]]:
    """``path`` written afresh, readable by its owner only (it holds reports)."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file already there keeps its mode otherwise
    with open(fd, "w", encoding="utf-8", newline="") as out:
        yield out


def check_filters(config: Config, *, status: str | None = None, category: str | None = None,
                  area: str | None = None) -> None:
    """Bad input the config alone tells (before any database is opened): the same
    one line as the desk's own :class:`DeskError`."""
    statuses = tuple(s.value for s in ReportStatus)
    if status is not None and status.strip().lower() not in statuses:
        raise DeskError("bad_status", status=status[:20], allowed=statuses)
    categories = tuple(c.code for c in config.categories)
    if category is not None and category not in categories:
        raise DeskError("unknown_category", category=category[:40], allowed=categories)
    areas = tuple(a.code for a in config.areas)
    if area is not None and area not in areas:
        raise DeskError("unknown_area", area=area[:40], allowed=areas)
