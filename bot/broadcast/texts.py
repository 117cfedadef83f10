"""How an advisory reads to a resident: its severity, then staff's text, in the
resident's language when staff wrote one, else the mission's default."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.advisory import SEVERITY  # the residents' side reads them with these words
from bot.i18n.catalogue import _

__all__ = ["PRIORITY", "SEVERITY", "advisory_text", "text_language"]

# Outbox priority: a critical advisory goes ahead of bulk, never ahead of a reply (10)
PRIORITY = {"info": 0, "warning": 0, "critical": 5}


def text_language(texts: Mapping[str, str], wanted: str | None, default: str) -> str:
    """The language a resident reads an advisory in: theirs, the default, or the first."""
    if wanted and wanted in texts:
        return wanted
    if default in texts:
        return default
    return next(iter(texts))


def advisory_text(severity: str, text: str) -> str:
    """In the current language: "Warning: <text>"."""
    return _("{severity}: {text}").format(severity=_(SEVERITY.get(severity, severity)),
                                          text=text)
