"""Flood control: a token bucket per sender, kept with their conversation.

Each message that reaches a flow or the menu takes a token; a sender has
``bot.flood_burst`` of them (15) and gets ``bot.flood_per_minute`` (8) back at
each new minute: a whole report walked through at a tap a second never meets
the limit, a script or a stuck phone resending does. A
message that finds none is held: it is not answered, its text goes through
moderation like any other and is kept, unlinked from its sender, for
moderators (``/queue held``, ``sauti reports held``), exact copies collapsed
into one row with a count. The first message held in a spell gets one polite
answer; the rest of the spell gets none, so that a flood does not become a flood
of replies (or of SMS bills).

Never held: keywords (STOP must always work, as HELP and MENU), staff
commands, and a text moderation finds urgent (it is answered and filed as
usual; an urgent report alerts whatever the sender's rate).

The bucket lives in the session (``data["flood"]``: tokens, the minute they
were counted at, messages held in this spell), written in the turn's own
transaction, so any worker handling the sender's next message reads it. Its
time is the minute, as coarse as the contact's own times (bot.storage.coarse).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conversation.router import Arrival
from bot.conversation.turn import Turn
from bot.domain.effects import Hold
from bot.i18n.catalogue import _

__all__ = ["FLOOD", "Bucket", "FloodGate"]

FLOOD = "flood"  # the session data's key


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: int
    minute: int
    held: int = 0  # messages held since the last one let through

    @classmethod
    def of(cls, data: Any, minute: int, burst: int) -> Bucket:
        """The stored bucket, or a full one (none stored, or unreadable)."""
        try:
            tokens, at, held = (int(v) for v in data)
        except (TypeError, ValueError):
            return cls(burst, minute)
        return cls(max(0, min(burst, tokens)), min(at, minute), max(0, held))

    def data(self) -> list[int]:
        return [self.tokens, self.minute, self.held]

    def take(self, minute: int, burst: int, per_minute: int) -> tuple[bool, Bucket]:
        """Take a token at ``minute``: whether there was one, and the bucket after."""
        tokens = min(burst, self.tokens + max(0, minute - self.minute) * per_minute)
        if tokens >= 1:
            return True, Bucket(tokens - 1, minute)
        return False, Bucket(0, minute, self.held + 1)


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


class FloodGate:
    """A route, after keywords and staff commands: holds a message whose sender
    has no token left (see the module's docstring)."""

    __slots__ = ("_burst", "_per_minute")

    def __init__(self, burst: int = 15, per_minute: int = 8) -> None:
        self._burst, self._per_minute = burst, per_minute

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        state = turn.state
        minute = minute_of(turn.message.received_at)
        admitted, bucket = Bucket.of(state.flood, minute, self._burst).take(
            minute, self._burst, self._per_minute)
        if admitted or arrival.is_new:
            state.flood = bucket.data()
            return False
        screened = turn.screened()
        if screened.urgent:  # never held: answered and filed as usual
            state.flood = Bucket(0, minute).data()
            return False
        state.flood = bucket.data()
        if screened.text.strip() or turn.message.media:
            turn.effect(Hold(screened.redacted,
                             media=tuple(sorted({m.value for m in turn.message.media})),
                             abusive=screened.abusive, abuse_score=screened.abuse_score,
                             cues=screened.cues))
        if bucket.held == 1:
            turn.say(_("You are sending many messages. Please wait a minute before the next "
                       "one: what you sent is kept for the team."))
        return True
