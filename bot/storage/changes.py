"""The unit of work of one turn: its effects applied to what a backend will
write, in the turn's transaction.

:class:`TurnChangeSet` does what every backend does alike (the contact's own
fields, the report a submission files, how coarse each stored time is); each
backend subclasses it with the rows it writes. An effect a backend does not
implement makes the subclass abstract, which mypy reports where the backend
builds it.
"""

from __future__ import annotations

import secrets
from abc import abstractmethod
from dataclasses import replace
from datetime import datetime

from bot.domain.effects import AnswerPoll, Audited, Hold, SetProfile, SubmitReport, TurnChanges
from bot.domain.records import (
    Contact,
    HeldMessage,
    NewOutbound,
    NewReport,
    NewTimer,
    Session,
    TurnWrite,
)
from bot.storage.coarse import alert_time, contact_time, replay_day, report_time, session_time
from bot.storage.keyed import Keyed

REFERRAL = "referral"  # the due rows of sensitive reports' referral clocks
URGENT_ALERT = "urgent_alert"  # the due rows of urgent reports' alerts (bot.desk.alerts)


class TurnChangeSet(TurnChanges):
    """A turn's effects, gathered; :meth:`apply` runs them."""

    def __init__(self, write: TurnWrite, keys: Keyed) -> None:
        self.write = write
        self.keys = keys
        self.language = write.contact.language
        self.opted_out = write.contact.opted_out
        self.reach_id = write.contact.reach_id
        self.erased = False
        self.report_timers: list[NewTimer] = []
        self.satisfaction: list[tuple[str, str]] = []  # (ref, answer)
        self.audits: list[Audited] = []
        self.held: list[HeldMessage] = []
        self.poll_answers: list[AnswerPoll] = []
        self.profile: SetProfile | None = None

    def apply(self) -> None:
        """Apply the turn's effects, in order."""
        for effect in self.write.effects:
            effect.apply(self)

    def set_language(self, language: str) -> None:
        self.language = language

    def set_opted_out(self, opted_out: bool) -> None:
        self.opted_out = opted_out

    def erase(self) -> None:
        self.erased = True

    def set_profile(self, profile: SetProfile) -> None:
        self.profile = profile

    def answer_poll(self, answer: AnswerPoll) -> None:
        self.poll_answers.append(answer)

    def hold(self, held: Hold) -> None:
        """Kept as the turn's reports are: unlinked, to the minute (+30 s)."""
        w = self.write
        self.held.append(HeldMessage(
            report_time(w.moment), w.contact.channel, w.language, held.text.text,
            tuple(held.text.kinds), held.media, held.abusive, held.abuse_score, held.cues))

    @abstractmethod
    def subscribe(self, area: str) -> None: ...

    @abstractmethod
    def unsubscribe(self, area: str) -> None: ...

    @abstractmethod
    def submit_report(self, report: SubmitReport) -> None: ...

    @property
    def replay_day(self) -> str:
        return replay_day(self.write.moment)

    def contact_row(self) -> Contact | None:
        """The contact row to write (its times to the minute), None to leave the
        stored one (or on erase)."""
        c = self.write.contact
        if self.erased:
            return None
        if (self.language, self.opted_out, self.reach_id) == (c.language, c.opted_out,
                                                               c.reach_id):
            return None if self.write.keep_contact else coarse_contact(c)
        return coarse_contact(replace(c, language=self.language, opted_out=self.opted_out,
                                      last_inbound_at=self.write.moment,
                                      reach_id=self.reach_id))

    def record_satisfaction(self, sealed_ref: str, answer: str) -> None:
        """Kept against the report the sealed reference opens to (none: dropped)."""
        try:
            ref = self.keys.reach_of(sealed_ref.encode("ascii"))
        except UnicodeEncodeError:
            ref = None
        if ref is not None:
            self.satisfaction.append((ref, answer))

    def audit(self, entry: Audited) -> None:
        self.audits.append(entry)

    def audit_time(self) -> datetime:
        """The time the turn's audit rows carry (as coarse as a report's)."""
        return report_time(self.write.moment)

    def session_row(self) -> Session | None:
        """The session to write, its last activity to the next minute."""
        s = self.write.session
        return None if s is None else replace(s, updated_at=session_time(s.updated_at))

    def new_report(self, report: SubmitReport) -> NewReport:
        """The report a submission files: nothing of its author but, if they
        agreed to be contacted, a fresh reach link to their reach id (made now
        if they have none yet: the contact row is written with it)."""
        w, c = self.write, self.write.contact
        reach = None
        if report.contactable:
            self.reach_id = self.reach_id or secrets.token_hex(16)
            reach = self.keys.seal_reach(self.reach_id)
        sensitive = report.category in w.sensitive
        if sensitive:  # its referral clock (bot.desk.referral), run at once to set itself
            self.report_timers.append(NewTimer(REFERRAL, report.ref, {"ref": report.ref},
                                               report_time(w.moment)))
        if report.urgent:  # its alert (bot.desk.alerts), due at once; the instant it was
            # raised is kept, to the second, only in this row (acknowledging ends it)
            raised = alert_time(w.moment)
            self.report_timers.append(NewTimer(URGENT_ALERT, report.ref, {
                "ref": report.ref, "raised": raised.isoformat()}, contact_time(w.moment)))
        return NewReport(
            ref=report.ref, created_at=report_time(w.moment), channel=c.channel,
            language=report.language or w.language, category=report.category,
            area=report.area,
            description=report.description, media=report.media,
            contactable=report.contactable,
            reach=reach,
            sensitive=sensitive, urgent=report.urgent, abusive=report.abusive,
            abuse_score=report.abuse_score, cues=report.cues)

    def timers(self) -> list[NewTimer]:
        """The due rows the write leaves: the turn's, and its sensitive reports' clocks."""
        return [*self.write.timers, *self.report_timers]

    def outbound(self) -> list[NewOutbound]:
        """The turn's replies; an erased contact's go out unlinked from it."""
        if not self.erased:
            return self.write.outbound
        return [NewOutbound(None, o.channel, o.address_sealed, o.kind, o.payload, o.priority)
                for o in self.write.outbound]


def coarse_contact(contact: Contact) -> Contact:
    """``contact`` with its times as they are stored (to the minute, rounded down)."""
    return replace(contact, created_at=contact_time(contact.created_at),
                   last_inbound_at=contact_time(contact.last_inbound_at))
