"""A finished turn as one atomic write: its effects, session and reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.conversation.flood import FLOOD
from bot.conversation.turn import Turn
from bot.domain.messages import Outbound
from bot.domain.records import Contact, NewOutbound, NewTimer, Session, TurnWrite
from bot.outbox.payload import outbound_payload
from bot.privacy.vault import AddressVault

# A contact's last-message time is rewritten when it is this old (or when the
# contact changes), not on every answer of a conversation: that saves a row per
# turn, and the WhatsApp 24-hour window, the one reader, is judged at most this
# much early (it closes sooner, never later).
CONTACT_TOUCH = timedelta(minutes=1)


def turn_write(contact: Contact, turn: Turn, key: tuple[str, str] | None, now: datetime, *,
               is_new: bool, sensitive: frozenset[str], vault: AddressVault,
               timers: Sequence[NewTimer] = ()) -> tuple[TurnWrite, tuple[Outbound, ...]]:
    """What a finished turn changes, as one atomic write, and the reply it queues.
    The effects are the store's to apply (a change of language or opt-out
    rewrites the contact row there, whatever its age)."""
    state = turn.state
    touch = is_new or now - contact.last_inbound_at >= CONTACT_TOUCH
    if touch:
        contact = replace(contact, last_inbound_at=now)
    data = state.data if state.flood is None else {**state.data, FLOOD: state.flood}
    session = Session(contact.id, state.step, data, now) if state.step is not None else None
    write = TurnWrite(contact=contact, session=session, inbound_key=key, effects=turn.effects,
                      at=now, keep_contact=not touch, language=state.language,
                      sensitive=sensitive, timers=timers)
    replies: tuple[Outbound, ...] = ()
    if turn.parts:
        reply = Outbound(text="\n".join(turn.parts), choices=turn.choices,
                         language=state.language, image=turn.image)
        replies = (reply,)
        write.outbound.append(NewOutbound(
            contact_id=contact.id, channel=contact.channel,
            address_sealed=contact.address_sealed, kind=reply.kind,
            payload=outbound_payload(reply, vault), priority=10))
    return write, replies
