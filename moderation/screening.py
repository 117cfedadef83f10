"""The moderation pipeline free text goes through before anything keeps it.

One call, :meth:`Screening.screen`, does in order what a message needs:
redaction (:mod:`moderation.anonymise`), then urgent-risk detection, then abuse
and spam detection, both on the redacted text, so that what ``sauti moderation
check`` shows is exactly what a report gets. The detectors are plain
functions, given to the pipeline (the standard ones are
:func:`moderation.urgent.assess_urgent` and :func:`moderation.abuse.assess_abuse`);
a pipeline without one decides nothing of its kind.

A verdict never drops or hides a text: an urgent one is put first and alerts
moderators, an abusive one carries a flag and a score for them to judge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from moderation.anonymise import Anonymiser, Redacted

__all__ = ["ABUSE_CUE", "AbuseCheck", "Screened", "Screening", "UrgentCheck"]

ABUSE_CUE = "abuse."  # an abuse cue's prefix among a verdict's cues ("abuse.insult")


class _UrgentVerdict(Protocol):
    @property
    def urgent(self) -> bool: ...
    @property
    def cues(self) -> tuple[str, ...]: ...


class _AbuseVerdict(Protocol):
    @property
    def abusive(self) -> bool: ...
    @property
    def score(self) -> float: ...
    @property
    def cues(self) -> tuple[str, ...]: ...


UrgentCheck = Callable[[str, str | None], _UrgentVerdict]
AbuseCheck = Callable[[str, str | None, Sequence[str]], _AbuseVerdict]


@dataclass(frozen=True, slots=True)
class Screened:
    """A text as the pipeline leaves it: redacted, and what was decided of it.
    ``cues`` name what fired, never words: urgent categories ("shooting"), then
    abuse ones with their prefix ("abuse.insult")."""

    redacted: Redacted = field(repr=False)
    urgent: bool = False
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()
    language: str | None = None  # the language it was screened in (as it was written)

    @property
    def text(self) -> str:
        return self.redacted.text

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.redacted.kinds


class Screening:
    """Redaction, then urgent risk, then abuse: see the module's docstring."""

    __slots__ = ("_abuse", "_anonymiser", "_urgent", "_words")

    def __init__(self, anonymiser: Anonymiser, *, urgent: UrgentCheck | None = None,
                 abuse: AbuseCheck | None = None, abuse_words: Sequence[str] = ()) -> None:
        self._anonymiser = anonymiser
        self._urgent = urgent
        self._abuse = abuse
        self._words = tuple(abuse_words)

    @property
    def anonymiser(self) -> Anonymiser:
        return self._anonymiser

    def screen(self, text: str, language: str | None = None, *,
               known_names: Sequence[str] = ()) -> Screened:
        redacted = self._anonymiser.redact(text, known_names=known_names)
        if not redacted.text.strip():
            return Screened(redacted, language=language)
        urgent: bool = False
        cues: tuple[str, ...] = ()
        if self._urgent is not None:
            verdict = self._urgent(redacted.text, language)
            urgent, cues = verdict.urgent, tuple(verdict.cues) if verdict.urgent else ()
        abusive, score = False, 0.0
        if self._abuse is not None:
            found = self._abuse(redacted.text, language, self._words)
            abusive, score = found.abusive, round(min(1.0, max(0.0, float(found.score))), 2)
            if abusive:
                cues = (*cues, *(ABUSE_CUE + c for c in found.cues))
        return Screened(redacted, urgent=urgent, abusive=abusive, abuse_score=score,
                        cues=cues, language=language)

    def redact(self, text: str, *, known_names: Sequence[str] = ()) -> Redacted:
        """Redaction alone (a note's or an answer's text needs no verdict)."""
        return self._anonymiser.redact(text, known_names=known_names)
