"""Answering a poll: a resident left at its question by its message (or who
picks it from the menu) answers with a number, an option's text or a button.
One answer per person and poll, changeable until it closes (the options stay
their choice until they send something else); an answer after it closed is
told so and changes nothing."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self
from weakref import WeakKeyDictionary

from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import MENU, Flow, Option, Step
from bot.conversation.mission import Mission
from bot.conversation.turn import Turn
from bot.domain.effects import AnswerPoll
from bot.i18n.catalogue import _, current_language
from bot.i18n.keywords import Keyword, shown
from bot.storage.polls import POLL_STEP, PollRow

__all__ = ["ANSWERED", "PICK", "POLL_STEP", "PollDraft", "answerable", "flow", "localised",
           "question_text"]

ANSWERED = "poll.answered"
PICK = "poll.pick"
WAITS = timedelta(days=7)  # a poll's question waits for its answer as long as this


@dataclass(slots=True)
class PollDraft(Draft):
    kind = "poll"
    poll_id: int = 0
    question: dict[str, str] = field(default_factory=dict)  # when picked from the menu

    def to_data(self) -> JSONData:
        return {"poll": self.poll_id, "question": self.question}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(int(data["poll"]), {str(k): str(v)
                                       for k, v in dict(data.get("question", {})).items()})


# per store: (when read, its open polls), a few seconds' worth, so that showing the
# menu costs no read of its own; a poll sent elsewhere shows within that
_OPEN: WeakKeyDictionary[object, tuple[float, list[PollRow]]] = WeakKeyDictionary()
OPEN_SECONDS = 5.0


async def answerable(turn: Turn) -> list[PollRow]:
    """Open polls this person may answer: their audience's areas (any if none)
    meet the person's subscriptions. The open ones are read at most every few
    seconds per process; the person's subscriptions only when one is open."""
    seen = _OPEN.get(turn.lookups)
    if seen is None or time.monotonic() - seen[0] > OPEN_SECONDS:
        seen = _OPEN[turn.lookups] = (time.monotonic(),
                                      await turn.lookups.open_polls(turn.message.received_at))
    polls = [p for p in seen[1] if is_open(p, turn.message.received_at)]
    if not polls:
        return []
    mine = set(await turn.lookups.subscriptions(turn.contact_id))
    return [p for p in polls if not p.areas or mine & set(p.areas)]


def localised(texts: Mapping[str, str], lang: str, default: str) -> str:
    return texts.get(lang) or texts.get(default) or next(iter(texts.values()), "")


def question_text(poll: PollRow, lang: str, default: str) -> str:
    """The question and its numbered options, in ``lang`` (else the default's)."""
    lines = [localised(poll.question, lang, default)]
    lines += [f"{n}. {localised(o, lang, default)}" for n, o in enumerate(poll.options, 1)]
    return "\n".join(lines)


def is_open(poll: PollRow, now: datetime) -> bool:
    return poll.status in ("sending", "open") and (poll.closes_at is None
                                                    or now < poll.closes_at)


def flow(mission: Mission) -> Flow:
    async def current(turn: Turn) -> PollRow | None:
        draft = turn.draft_of(PollDraft)
        return await turn.lookups.poll(draft.poll_id) if draft.poll_id else None

    async def options(turn: Turn) -> Sequence[Option]:
        poll = await current(turn)
        if poll is None:
            return ()
        lang = current_language()
        return [Option(str(n), localised(o, lang, mission.default_language), translate=False)
                for n, o in enumerate(poll.options, 1)]

    def prompt(turn: Turn) -> str:
        question = turn.draft_of(PollDraft).question
        if question:  # picked from the menu: ask it (its options follow, numbered)
            return localised(question, current_language(), mission.default_language)
        return _("Reply with the number of your answer.")

    async def pick_options(turn: Turn) -> Sequence[Option]:
        lang = current_language()
        return [Option(str(p.id), localised(p.question, lang, mission.default_language),
                       translate=False) for p in await answerable(turn)]

    async def pick(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        poll = await turn.lookups.poll(int(picked.key))
        if poll is None:
            return MENU
        turn.draft = PollDraft(poll.id, dict(poll.question))
        return POLL_STEP

    async def answer(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        poll = await current(turn)
        if poll is None or not is_open(poll, turn.message.received_at):
            turn.forget()
            turn.say(_("This poll is closed: your answer was not counted. Thank you."))
            return MENU
        before = await turn.lookups.answer_of(poll.id, turn.contact_id)
        option = int(picked.key)
        turn.effect(AnswerPoll(poll.id, option))
        if before is not None and before != option:
            turn.say(_("Your answer is now: {answer}.").format(answer=picked.label))
        else:
            turn.say(_("Thank you. Your answer: {answer}.").format(answer=picked.label))
        turn.say(_("Send another number to change it."))
        if before is None and await turn.lookups.profile(turn.contact_id) is None:
            turn.say(_("Optional: to tell us your age group and gender, send {help} and "
                       "choose \"About you\".").format(help=shown(Keyword.HELP)))
        return ANSWERED

    return Flow("poll", entries=(POLL_STEP, PICK), drafts=(PollDraft,), steps=(
        Step(PICK, lambda t: _("Which poll?"), pick, (POLL_STEP, MENU), options=pick_options,
             otherwise=MENU),
        Step(POLL_STEP, prompt, answer, (ANSWERED, MENU), options=options, lasts=WAITS,
             otherwise=MENU),
        Step(ANSWERED, lambda t: "", answer, (ANSWERED, MENU), options=options, lasts=WAITS,
             otherwise=MENU),
    ))
