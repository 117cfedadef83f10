"""Closing the loop: what a reporter is told when staff answer or move their
report, in the report's language, queued through the outbox with the change.

Only a contactable reporter is told (the report's sealed reach link opens to a
contact), and never one who opted out or erased their data. Nothing here
is logged; the text is sealed in the payload (bot.outbox.payload)."""

from __future__ import annotations

from datetime import datetime

from bot.conversation.draft import MARK
from bot.domain.messages import Choice, Outbound
from bot.domain.records import Contact, NewOutbound, Report, ReportStatus, Session
from bot.flows.satisfaction import OPTIONS, QUESTION, STEP, SatisfactionDraft
from bot.i18n.catalogue import N_, _, language
from bot.outbox.payload import outbound_payload
from bot.privacy.vault import AddressVault

KIND = "answer"  # business-initiated on WhatsApp: a template outside the 24-hour window

_MOVED = {
    ReportStatus.ACTIONED: N_("Your report {ref}: action has been taken."),
    ReportStatus.REFERRED: N_("Your report {ref} has been passed to a partner who can help."),
    ReportStatus.CLOSED: N_("Your report {ref} is now closed."),
}


def texts(report: Report, *, answer: str | None, moved: ReportStatus | None
          ) -> list[Outbound]:
    """The messages to the reporter: an answer, a move (with the answer so far
    when the report closes), and after closing the satisfaction question."""
    lang = report.language
    out: list[Outbound] = []
    with language(lang):
        if answer is not None:
            out.append(Outbound(_("Answer to your report {ref}: {answer}").format(
                ref=report.ref, answer=answer), kind=KIND, language=lang))
        if moved is not None and moved in _MOVED:
            line = _(_MOVED[moved]).format(ref=report.ref)
            if moved is ReportStatus.CLOSED and report.public_reply and answer is None:
                line += " " + _("Answer: {reply}").format(reply=report.public_reply)
            out.append(Outbound(line, kind=KIND, language=lang))
        if moved is ReportStatus.CLOSED:
            out.append(Outbound(
                _(QUESTION).format(ref=report.ref),
                choices=tuple(Choice(o.key, _(o.label)) for o in OPTIONS),
                kind=KIND, language=lang))
    return out


def queued(contact: Contact | None, messages: list[Outbound], vault: AddressVault
           ) -> list[NewOutbound]:
    """``messages`` as outbox rows to ``contact``; none to nobody, or to one who
    opted out."""
    if contact is None or contact.opted_out:
        return []
    return [NewOutbound(contact.id, contact.channel, contact.address_sealed, m.kind,
                        outbound_payload(m, vault)) for m in messages]


def question_step(contact: Contact, ref: str, now: datetime) -> Session:
    """Where the reporter is left when asked the satisfaction question: their
    next message answers it (bot.flows.satisfaction)."""
    return Session(contact.id, STEP, {MARK: SatisfactionDraft.kind}, now)  # the store seals
    # the reference into it (bot.domain.effects.SEALED_REF)
