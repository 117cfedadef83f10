"""The conversation engine: one inbound turn in, a reply, state and effects out.

It touches no storage and no channel: flows read through
:class:`~bot.conversation.turn.Lookups`, and the caller stores what the turn
changed. Routing is :mod:`bot.conversation.router`'s; walking the steps is
:mod:`bot.conversation.steps`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.conversation.draft import DraftCodec
from bot.conversation.flood import FloodGate
from bot.conversation.flow import Flow, FlowTable
from bot.conversation.router import Arrival, Router, StaffDesk, is_staff_command, standard_routes
from bot.conversation.steps import Steps
from bot.conversation.turn import Turn
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import KeywordTable

RESUME_KEY = "resume"  # beside the draft in the session's data: the step HELP interrupted


class Engine:
    def __init__(self, flows: Sequence[Flow], keywords: KeywordTable,
                 detector: LanguageDetector, session_timeout: timedelta,
                 desk: StaffDesk | None = None, flood: FloodGate | None = None) -> None:
        table = FlowTable()
        for flow in flows:
            table.add(flow)
        self._steps = Steps(table)
        self._codec = DraftCodec(table.drafts)
        self._router = Router(standard_routes(self._steps, detector, desk,
                                              flood or FloodGate()))
        self._keywords = keywords
        self._timeout = session_timeout

    async def goto(self, turn: Turn, step: str) -> None:
        """Move ``turn`` to ``step`` and ask it (a staff command starting a guided flow)."""
        await self._steps.goto(turn, step)

    async def run(
        self, turn: Turn, *, channel: str, is_new: bool, last_active: datetime | None,
        language_hint: str | None = None,
    ) -> None:
        """Advance ``turn`` by its message: fills its reply, state and effects."""
        msg = turn.message
        keyword = None if msg.choice or is_staff_command(msg.text) else self._keywords.match(
            msg.folded, channel)
        step = turn.state.step
        lasts = self._steps[step].lasts if step is not None and step in self._steps else None
        expired = last_active is None or msg.received_at - last_active > max(
            self._timeout, lasts or self._timeout)
        # a draft dies with its session: a timed-out one is not even read back
        turn.draft = None if expired else self._codec.decode(turn.state.data)
        if turn.draft is not None and isinstance(back := turn.state.data.get(RESUME_KEY), str):
            turn.resume = back
        await self._router.route(turn, Arrival(keyword, is_new, expired, language_hint))
        turn.state.data = self._codec.encode(turn.draft)
        if turn.draft is not None and turn.resume is not None:
            turn.state.data[RESUME_KEY] = turn.resume
