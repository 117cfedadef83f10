"""The reporter's answer to "are you satisfied?", asked when staff close their
report (bot.desk.closing). The desk leaves the reporter at this step when it
queues the question (only if they were not in the middle of something else);
their next message answers it, for up to a week (``WAITS``: a reporter on SMS
may read it days later). The step's draft holds
the report's reference sealed by the store (nothing in clear joins a person to
a report), handed back in the effect, and the answer is kept against the
report, never the person (:class:`~bot.domain.effects.RecordSatisfaction`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Self

from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import MENU, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.turn import Turn
from bot.domain.effects import SEALED_REF, RecordSatisfaction
from bot.i18n.catalogue import N_, _

STEP = "satisfaction.answer"
WAITS = timedelta(days=7)
OPTIONS = (Option("yes", N_("Yes")), Option("partly", N_("Partly")), Option("no", N_("No")))
QUESTION = N_("Are you satisfied with how your report {ref} was handled?")
ASKED_AGAIN = N_("Are you satisfied with how your report was handled?")


@dataclass(slots=True)
class SatisfactionDraft(Draft):
    """The report the question is about, as the store sealed its reference."""

    kind = "satisfaction"
    sealed_ref: str = field(default="", repr=False)

    def to_data(self) -> JSONData:
        return {SEALED_REF: self.sealed_ref}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(sealed_ref=str(data.get(SEALED_REF, "")))


def flow(mission: Mission) -> Flow:
    def prompt(turn: Turn) -> str:
        return _(ASKED_AGAIN)

    async def answer(turn: Turn, picked: Option | None) -> str:
        sealed = turn.draft_of(SatisfactionDraft).sealed_ref
        turn.forget()
        if picked is not None and sealed:
            turn.effect(RecordSatisfaction(sealed, picked.key))
            turn.say(_("Thank you for your answer."))
        return MENU

    return Flow("satisfaction", entries=(STEP,), drafts=(SatisfactionDraft,), steps=(
        Step(STEP, prompt, answer, (MENU,), static(*OPTIONS), lasts=WAITS),
    ))
