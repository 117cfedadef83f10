"""A finished turn as one atomic write: its effects, session and reply."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.conversation.turn import Turn
from bot.domain.effects import (
    Erase,
    OptIn,
    OptOut,
    SetLanguage,
    SubmitReport,
    Subscribe,
    Unsubscribe,
)
from bot.domain.messages import Outbound
from bot.domain.records import Contact, NewOutbound, NewReport, Session, TurnWrite

# A contact's last-message time is rewritten when it is this old (or when the
# contact changes), not on every answer of a conversation: that saves a row per
# turn, and the WhatsApp 24-hour window, the one reader, is judged at most this
# much early (it closes sooner, never later).
CONTACT_TOUCH = timedelta(minutes=1)


def turn_write(contact: Contact, turn: Turn, key: tuple[str, str] | None, now: datetime, *,
               is_new: bool, sensitive: frozenset[str]
               ) -> tuple[TurnWrite, tuple[Outbound, ...]]:
    """What a finished turn changes, as one atomic write, and the reply it queues."""
    state = turn.state
    language, opted_out = contact.language, contact.opted_out
    write = TurnWrite(contact=contact, session=None, inbound_key=key, at=now)
    for effect in turn.effects:
        match effect:
            case SetLanguage(lang):
                language = lang
            case OptOut():
                opted_out = True
            case OptIn():
                opted_out = False
            case Subscribe(area):
                write.subscribe.append(area)
            case Unsubscribe(area):
                write.unsubscribe.append(area)
            case Erase():
                write.erase = True
            case SubmitReport():
                write.reports.append(NewReport(
                    ref=effect.ref, created_at=now, channel=contact.channel,
                    language=state.language, category=effect.category, area=effect.area,
                    description=effect.description, media=effect.media,
                    contactable=effect.contactable,
                    contact_id=contact.id if effect.contactable else None,
                    reporter=contact.person,
                    sensitive=effect.category in sensitive))
    if (is_new or language != contact.language or opted_out != contact.opted_out
            or now - contact.last_inbound_at >= CONTACT_TOUCH):
        write.contact = Contact(contact.id, contact.person, contact.channel,
                                contact.address_sealed, language, opted_out,
                                contact.created_at, now)
    else:  # quick answers in one conversation: the row stays as it is
        write.keep_contact = True
    if not write.erase and state.step is not None:
        write.session = Session(contact.id, state.step, state.data, now)
    replies: tuple[Outbound, ...] = ()
    if turn.parts:
        reply = Outbound(text="\n".join(turn.parts), choices=turn.choices,
                         language=language or state.language)
        replies = (reply,)
        write.outbound.append(NewOutbound(
            contact_id=None if write.erase else contact.id, channel=contact.channel,
            address_sealed=contact.address_sealed, kind=reply.kind,
            payload=outbound_payload(reply), priority=10))
    return write, replies


def outbound_payload(message: Outbound) -> dict[str, object]:
    return {"text": message.text, "choices": [[c.key, c.label] for c in message.choices],
            "language": message.language}

