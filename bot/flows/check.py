"""Check a report by its code: status and any public answer."""

from __future__ import annotations

import re

from bot.conversation.flow import IDLE, Option, Step
from bot.conversation.turn import Turn, menu_hint
from bot.domain.records import ReportStatus
from bot.flows.mission import Mission
from bot.flows.report import REF_ALPHABET, REF_LENGTH
from bot.i18n.catalogue import N_, _, format_when

STATUS = {
    ReportStatus.NEW: N_("received, not yet reviewed"),
    ReportStatus.IN_REVIEW: N_("being reviewed"),
    ReportStatus.ACTIONED: N_("action taken"),
    ReportStatus.REFERRED: N_("passed to a partner who can help"),
    ReportStatus.CLOSED: N_("closed"),
    ReportStatus.REJECTED: N_("closed without action"),
}
MAX_TRIES = 3
_NOT_REF = re.compile(r"[^0-9A-Z]")


def normalise_ref(text: str) -> str | None:
    """A typed code in canonical form, or None if it cannot be one."""
    ref = _NOT_REF.sub("", text.upper())
    if len(ref) != REF_LENGTH or any(ch not in REF_ALPHABET for ch in ref):
        return None
    return ref


def steps(mission: Mission) -> list[Step]:
    async def check(turn: Turn, picked: Option | None) -> str:
        ref = normalise_ref(turn.message.text)
        report = await turn.lookups.report_by_ref(ref) if ref else None
        if report is None:
            # never echo what was typed: it may be personal data
            tries = int(turn.data.get("check_tries", 0)) + 1
            if tries >= MAX_TRIES:
                turn.data.pop("check_tries", None)
                turn.say(_("No report has that code.") + " " + menu_hint())
                return IDLE
            turn.data["check_tries"] = tries
            turn.say(_("No report has that code. Check it and send it again.") + " " + menu_hint())
            return "check.retry"
        turn.data.pop("check_tries", None)
        when = format_when(report.created_at, mission.timezone)
        turn.say(_("Report {ref} of {date}: {status}.").format(
            ref=report.ref, date=when, status=_(STATUS[report.status])))
        if report.public_reply:
            turn.say(_("Answer: {reply}").format(reply=report.public_reply))
        turn.say(menu_hint())
        return IDLE

    return [
        Step("check", lambda t: _("Send the code of your report (6 letters and digits)."),
             check, (IDLE, "check.retry")),
        Step("check.retry", lambda t: "", check, (IDLE, "check.retry")),
    ]
