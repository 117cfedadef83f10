"""The unit of work of one turn: its effects applied to what a backend will
write, in the turn's transaction.

:class:`TurnChangeSet` does what every backend does alike (the contact's own
fields, the report a submission files); each backend subclasses it with the
rows it writes. An effect a backend does not implement makes the subclass
abstract, which mypy reports where the backend builds it.
"""

from __future__ import annotations

from abc import abstractmethod

from bot.domain.effects import SubmitReport, TurnChanges
from bot.domain.records import Contact, NewOutbound, NewReport, TurnWrite


class TurnChangeSet(TurnChanges):
    """A turn's effects, gathered; :meth:`apply` runs them."""

    def __init__(self, write: TurnWrite) -> None:
        self.write = write
        self.language = write.contact.language
        self.opted_out = write.contact.opted_out
        self.erased = False

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

    @abstractmethod
    def subscribe(self, area: str) -> None: ...

    @abstractmethod
    def unsubscribe(self, area: str) -> None: ...

    @abstractmethod
    def submit_report(self, report: SubmitReport) -> None: ...

    def contact_row(self) -> Contact | None:
        """The contact row to write, None to leave the stored one (or on erase)."""
        c = self.write.contact
        if self.erased:
            return None
        if self.language == c.language and self.opted_out == c.opted_out:
            return None if self.write.keep_contact else c
        return Contact(c.id, c.person, c.channel, c.address_sealed, self.language,
                       self.opted_out, c.created_at, self.write.moment)

    def new_report(self, report: SubmitReport) -> NewReport:
        w, c = self.write, self.write.contact
        return NewReport(
            ref=report.ref, created_at=w.moment, channel=c.channel, language=w.language,
            category=report.category, area=report.area, description=report.description,
            media=report.media, contactable=report.contactable,
            contact_id=c.id if report.contactable else None, reporter=c.person,
            sensitive=report.category in w.sensitive)

    def outbound(self) -> list[NewOutbound]:
        """The turn's replies; an erased contact's go out unlinked from it."""
        if not self.erased:
            return self.write.outbound
        return [NewOutbound(None, o.channel, o.address_sealed, o.kind, o.payload, o.priority)
                for o in self.write.outbound]
