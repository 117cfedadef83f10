"""Effects: what a turn changes beyond its session, applied in one transaction.

Flows emit them; the store's unit of work for the turn applies them. Each
effect names the one :class:`TurnChanges` method that carries it out, so a new
kind of change is an effect class here plus a method on :class:`TurnChanges`,
which mypy then requires of every backend's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from moderation.anonymise import Redacted


class TurnChanges(Protocol):
    """One turn's unit of work, one method per kind of change. A backend
    implements it over the turn's transaction (bot.storage.changes)."""

    def set_language(self, language: str) -> None: ...
    def set_opted_out(self, opted_out: bool) -> None: ...
    def subscribe(self, area: str) -> None: ...
    def unsubscribe(self, area: str) -> None: ...
    def submit_report(self, report: SubmitReport) -> None: ...
    def erase(self) -> None: ...
    def record_satisfaction(self, sealed_ref: str, answer: str) -> None: ...
    def audit(self, entry: Audited) -> None: ...
    def hold(self, held: Hold) -> None: ...
    def answer_poll(self, answer: AnswerPoll) -> None: ...
    def set_profile(self, profile: SetProfile) -> None: ...


@dataclass(frozen=True, slots=True)
class SetLanguage:
    language: str

    def apply(self, changes: TurnChanges) -> None:
        changes.set_language(self.language)


@dataclass(frozen=True, slots=True)
class OptOut:
    def apply(self, changes: TurnChanges) -> None:
        changes.set_opted_out(True)


@dataclass(frozen=True, slots=True)
class OptIn:
    def apply(self, changes: TurnChanges) -> None:
        changes.set_opted_out(False)


@dataclass(frozen=True, slots=True)
class Subscribe:
    area: str

    def apply(self, changes: TurnChanges) -> None:
        changes.subscribe(self.area)


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    area: str

    def apply(self, changes: TurnChanges) -> None:
        changes.unsubscribe(self.area)


@dataclass(frozen=True, slots=True)
class SubmitReport:
    ref: str
    category: str
    area: str | None
    description: Redacted = field(repr=False)
    media: tuple[str, ...]
    contactable: bool
    # what moderation decided of the description (moderation.screening.Screened)
    urgent: bool = False
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()
    language: str | None = None  # written in, if not the conversation's

    def apply(self, changes: TurnChanges) -> None:
        changes.submit_report(self)


@dataclass(frozen=True, slots=True)
class Erase:
    def apply(self, changes: TurnChanges) -> None:
        changes.erase()


SEALED_REF = "sealed_ref"  # where a step's data keeps a report's reference, sealed by the store


@dataclass(frozen=True, slots=True)
class RecordSatisfaction:
    """A reporter's answer to "are you satisfied?", kept against the report,
    never against the person. ``sealed_ref``: the report's reference as the
    store sealed it in the question's step (only the store opens it)."""

    sealed_ref: str = field(repr=False)
    answer: str

    def apply(self, changes: TurnChanges) -> None:
        changes.record_satisfaction(self.sealed_ref, self.answer)


@dataclass(frozen=True, slots=True)
class Audited:
    """A read or a refused attempt at the desk in chat, audited with the turn
    that answers it (one transaction: no answer without its audit row). The
    actor is a staff name or "resident", never an address; the time is the turn's."""

    actor: str
    action: str
    target: str  # a report's reference, "" when none
    outcome: str  # "ok" or "denied"
    sensitive: bool

    def apply(self, changes: TurnChanges) -> None:
        changes.audit(self)


@dataclass(frozen=True, slots=True)
class Hold:
    """A message flood control held (bot.conversation.flood): kept for moderators,
    redacted and unlinked from its sender, never answered."""

    text: Redacted = field(repr=False)
    media: tuple[str, ...] = ()
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()

    def apply(self, changes: TurnChanges) -> None:
        changes.hold(self)


@dataclass(frozen=True, slots=True)
class AnswerPoll:
    """A resident's answer to a poll (1-based option), kept against their
    pseudonym: one per poll, the latest wins; erased with their data."""

    poll_id: int
    option: int

    def apply(self, changes: TurnChanges) -> None:
        changes.answer_poll(self)


@dataclass(frozen=True, slots=True)
class SetProfile:
    """What a resident chose to say of themselves, for poll breakdowns only: an
    age band and a gender (codes; "none" is "prefer not to say"). Kept against
    their pseudonym, changeable, erased with their data."""

    age_band: str
    gender: str

    def apply(self, changes: TurnChanges) -> None:
        changes.set_profile(self)


Effect = (SetLanguage | OptOut | OptIn | Subscribe | Unsubscribe | SubmitReport | Erase
          | RecordSatisfaction | Audited | Hold | AnswerPoll | SetProfile)
