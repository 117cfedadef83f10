"""The reporter's answer to "are you satisfied?", asked when staff close their
report (bot.desk.closing). The desk leaves the reporter at this step, with the
report's reference as its draft, when it queues the question (only if they
were not in the middle of something else); their next message answers it
while the session lasts. The answer is kept against the report, never the
person (:class:`~bot.domain.effects.RecordSatisfaction`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import IDLE, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.prompts import menu_hint
from bot.conversation.turn import Turn
from bot.domain.effects import RecordSatisfaction
from bot.i18n.catalogue import N_, _

STEP = "satisfaction.answer"
OPTIONS = (Option("yes", N_("Yes")), Option("partly", N_("Partly")), Option("no", N_("No")))
QUESTION = N_("Are you satisfied with how your report {ref} was handled?")


@dataclass(slots=True)
class SatisfactionDraft(Draft):
    """The report the question is about."""

    kind = "satisfaction"
    ref: str = ""

    def to_data(self) -> JSONData:
        return {"ref": self.ref}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(ref=str(data["ref"]))


def flow(mission: Mission) -> Flow:
    def prompt(turn: Turn) -> str:
        return _(QUESTION).format(ref=turn.draft_of(SatisfactionDraft).ref)

    async def answer(turn: Turn, picked: Option | None) -> str:
        ref = turn.draft_of(SatisfactionDraft).ref
        turn.forget()
        if picked is not None and ref:
            turn.effect(RecordSatisfaction(ref, picked.key))
            turn.say(_("Thank you for your answer."))
        turn.say(menu_hint())
        return IDLE

    return Flow("satisfaction", entries=(STEP,), drafts=(SatisfactionDraft,), steps=(
        Step(STEP, prompt, answer, (IDLE,), static(*OPTIONS)),
    ))
