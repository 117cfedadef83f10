"""Check a report by its code: status and any public answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import MENU, Flow, Option, Step
from bot.conversation.mission import Mission
from bot.conversation.prompts import menu_hint
from bot.conversation.turn import Turn
from bot.domain.records import ReportStatus
from bot.flows.report import REF_ALPHABET, REF_LENGTH
from bot.i18n.catalogue import N_, _
from bot.i18n.formatting import format_when

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


@dataclass(slots=True)
class CheckDraft(Draft):
    """Codes tried so far that matched no report."""

    kind = "check"
    tries: int = 0

    def to_data(self) -> JSONData:
        return {"tries": self.tries}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(tries=int(data["tries"]))


def flow(mission: Mission) -> Flow:
    async def check(turn: Turn, picked: Option | None) -> str:
        ref = normalise_ref(turn.message.text)
        report = await turn.lookups.report_by_ref(ref) if ref else None
        if report is None:
            # never echo what was typed: it may be personal data
            draft = turn.draft_of(CheckDraft)
            draft.tries += 1
            if draft.tries >= MAX_TRIES:
                turn.forget()
                turn.say(_("No report has that code."))
                return MENU
            turn.say(_("No report has that code. Check it and send it again.") + " " + menu_hint())
            return "check.retry"
        turn.forget()
        when = format_when(report.created_at, mission.timezone)
        turn.say(_("Report {ref} of {date}: {status}.").format(
            ref=report.ref, date=when, status=_(STATUS[report.status])))
        if report.public_reply:
            turn.say(_("Answer: {reply}").format(reply=report.public_reply))
        return MENU

    return Flow("check", entries=("check",), drafts=(CheckDraft,), steps=(
        Step("check", lambda t: _("Send the code of your report (6 letters and digits)."),
             check, (MENU, "check.retry")),
        Step("check.retry", lambda t: "", check, (MENU, "check.retry")),
    ))
