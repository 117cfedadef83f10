"""What the desk says in chat: report lines, one report, errors as one line.

Everything goes through gettext in the staff member's language (the router
has entered it). Status, category, area and partner stay codes: they are what
the commands take.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.desk.api import Acked, DeskError, Event, HeldPage, Page, ReportView
from bot.desk.commands import HELP_ORDER, USAGE, allowed
from bot.i18n.catalogue import N_, _
from moderation.screening import ABUSE_CUE


def age(since: datetime, now: datetime) -> str:
    """A short age: 45m, 5h, 3d."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return _("{n}m").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n}h").format(n=seconds // 3600)
    return _("{n}d").format(n=seconds // 86400)


HELD_EXCERPT = 80


def queue_line(view: ReportView, now: datetime) -> str:
    r = view.report
    mark = ("! " if view.urgent else "") + ("? " if r.abusive else "")
    return " · ".join((f"{mark}{r.ref}", r.category, r.area or "-",
                       age(r.created_at, now), r.language))


def queue_page(page: Page, now: datetime, again: str) -> list[str]:
    """The lines of one page and, when there is more, how to see it
    (``again``: the command that gives the next page, without its number)."""
    if not page.items:
        if page.offset:
            return [_("No more reports.")]
        return [_("No reports waiting.")]
    lines = [queue_line(v, now) for v in page.items]
    shown = page.offset + len(page.items)
    lines.append(_("{first}-{last} of {total}.").format(
        first=page.offset + 1, last=shown, total=page.total))
    if shown < page.total:
        size = len(page.items)
        lines.append(_("Next: {command}").format(
            command=f"{again} {page.offset // max(size, 1) + 2}"))
    return lines


def held_page(page: HeldPage, now: datetime, again: str) -> list[str]:
    """Held messages, one line each: copies, channel, language, age, text."""
    if not page.items:
        return [_("No more messages.") if page.offset else _("No messages held.")]
    lines = []
    for h in page.items:
        text = h.text if len(h.text) <= HELD_EXCERPT else h.text[:HELD_EXCERPT].rstrip() + "…"
        if h.media:
            text = " ".join([text, *(f"[{m}]" for m in h.media)]).strip()
        mark = "? " if h.abusive else ""
        lines.append(" · ".join((f"{mark}{h.copies}×", h.channel, h.language,
                                 age(h.held_at, now))) + f": {text}")
    shown = page.offset + len(page.items)
    lines.append(_("{first}-{last} of {total}.").format(
        first=page.offset + 1, last=shown, total=page.total))
    if shown < page.total:
        lines.append(_("Next: {command}").format(
            command=f"{again} {page.offset // max(len(page.items), 1) + 2}"))
    return lines


def _event(e: Event) -> str:
    when = e.at.strftime("%Y-%m-%d %H:%M")
    return f"{when} {e.actor}: {e.action}" + (f" {e.detail}" if e.detail else "")


def report_parts(view: ReportView, partners: Mapping[str, str]) -> list[str]:
    """One report as parts (the channel's renderer splits long ones)."""
    r = view.report
    head = [_("Report {ref}").format(ref=r.ref),
            _("Status: {status}").format(status=view.status),
            _("Category: {category} · area: {area} · language: {language}").format(
                category=r.category, area=r.area or "-", language=r.language)]
    urgent = [c for c in r.cues if not c.startswith(ABUSE_CUE)]
    abuse = [c.removeprefix(ABUSE_CUE) for c in r.cues if c.startswith(ABUSE_CUE)]
    if r.urgent:
        head.append(_("URGENT: {cues}").format(cues=", ".join(urgent) or "-"))
    if r.abusive:
        head.append(_("Possible abuse (score {score}): {cues}").format(
            score=f"{r.abuse_score:.2f}", cues=", ".join(abuse) or "-"))
    if view.assignee:
        head.append(_("Assigned to {name}").format(name=view.assignee))
    if view.tags:
        head.append(_("Tags: {tags}").format(tags=" ".join(view.tags)))
    if view.partner:
        head.append(_("Referred to {partner}").format(
            partner=partners.get(view.partner, view.partner)))
    if view.satisfaction:
        head.append(_("Satisfied: {answer}").format(answer=view.satisfaction))
    parts = ["\n".join(head), r.description]
    if r.public_reply:
        parts.append(_("Answer: {text}").format(text=r.public_reply))
    if view.notes:
        parts.append("\n".join([_("Notes:"), *(_event(n) for n in view.notes)]))
    if view.timeline:
        parts.append("\n".join([_("Timeline:"), *(_event(e) for e in view.timeline)]))
    return parts


def changed(view: ReportView) -> str:
    """The answer to a change: the report's ref and where it is now."""
    line = _("{ref}: {status}").format(ref=view.ref, status=view.status)
    if view.assignee:
        line += " · " + _("assigned to {name}").format(name=view.assignee)
    return line


def acked(done: Acked) -> str:
    """The answer to /ack."""
    minutes, seconds = divmod(done.seconds, 60)
    took = (_("{m} min {s} s").format(m=minutes, s=seconds) if minutes
            else _("{s} s").format(s=seconds))
    if done.before:
        return _("{name} acknowledged {ref} already, after {took}.").format(
            name=done.by, ref=done.ref, took=took)
    return _("Acknowledged {ref} after {took}. Escalation stopped.").format(
        ref=done.ref, took=took)


def usage(name: str) -> str:
    synopsis, what = USAGE[name]
    return _("Use {synopsis} ({what}).").format(synopsis=synopsis, what=_(what))


def help_lines(roles: frozenset[str]) -> list[str]:
    lines = [_("Staff commands:")]
    for name in HELP_ORDER:
        if allowed(roles, name):
            synopsis, what = USAGE[name]
            lines.append(f"{synopsis}: {_(what)}")
    return lines


def _listed(values: object) -> str:
    if isinstance(values, (list, tuple, frozenset, set)):
        return ", ".join(str(v) for v in values) or "-"
    return str(values)


# A value the desk did not know, and what it does know: (msgid, detail key).
_UNKNOWN = {
    "bad_status": (N_("No status {value}. Statuses: {allowed}."), "status"),
    "unknown_partner": (N_("No partner {value}. Partners: {allowed}."), "partner"),
    "unknown_staff": (N_("No staff member {value}. Staff: {allowed}."), "staff"),
    "unknown_category": (N_("No category {value}. Categories: {allowed}."), "category"),
    "unknown_area": (N_("No area {value}. Areas: {allowed}."), "area"),
}


def error_line(error: DeskError, command: str) -> str:
    """One line: what is wrong and what would work."""
    d = error.detail
    allowed_ = _listed(d.get("allowed", ()))
    kind = error.kind
    if kind == "unknown_ref":
        return _("No report {ref}. /queue lists them.").format(ref=d.get("ref", ""))
    if kind == "bad_transition":
        if not d.get("allowed"):
            return _("The report is {status}: its status cannot change.").format(
                status=d.get("status", ""))
        return _("The report is {status}: it can go to {allowed}.").format(
            status=d.get("status", ""), allowed=allowed_)
    if kind == "no_alert":
        if d.get("ref"):
            return _("Report {ref} has no urgent alert waiting.").format(ref=d["ref"])
        return _("No urgent alert is waiting to be acknowledged.")
    if kind in _UNKNOWN:
        msgid, key = _UNKNOWN[kind]
        return _(msgid).format(value=d.get(key, ""), allowed=allowed_)
    return usage(command) if command in USAGE else _("That did not work.")


