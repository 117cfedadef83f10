"""``/results ID`` in chat: a poll's overall counts and shares, in the staff
member's language (the question and options in it when staff wrote them);
the chart as a photo on Telegram comes with photo sending in the channel."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.turn import Turn
from bot.desk.api import Actor
from bot.flows.poll import localised
from bot.i18n.catalogue import _, current_language
from bot.polls.results import summary_lines
from bot.polls.service import PollError, Polls

__all__ = ["ResultsCommand"]


class ResultsCommand:
    def __init__(self, polls: Polls, default_language: str) -> None:
        self._polls, self._default = polls, default_language

    async def __call__(self, turn: Turn, actor: Actor, args: Sequence[str]) -> list[str]:
        if len(args) != 1 or not args[0].isdigit():
            return [_("Use /results ID (sauti poll list shows them).")]
        try:
            poll, res = await self._polls.results(actor, int(args[0]))
        except PollError:
            return [_("No poll {id}.").format(id=args[0][:10])]
        lang = current_language()
        labels = [localised(o, lang, self._default) for o in poll.options]
        return ["\n".join(summary_lines(localised(poll.question, lang, self._default), labels,
                                        res))]
