"""Effects: what a turn changes beyond its session, applied in one transaction.

Flows emit them; the pipeline hands them to the store's unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.anonymise import Redacted


@dataclass(frozen=True, slots=True)
class SetLanguage:
    language: str


@dataclass(frozen=True, slots=True)
class OptOut:
    pass


@dataclass(frozen=True, slots=True)
class OptIn:
    pass


@dataclass(frozen=True, slots=True)
class Subscribe:
    area: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    area: str


@dataclass(frozen=True, slots=True)
class SubmitReport:
    ref: str
    category: str
    area: str | None
    description: Redacted
    media: tuple[str, ...]
    contactable: bool


@dataclass(frozen=True, slots=True)
class Erase:
    pass


Effect = SetLanguage | OptOut | OptIn | Subscribe | Unsubscribe | SubmitReport | Erase
