"""Formatting in the current turn's language: language names and local times."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime

from bot.i18n.catalogue import current_language


@cache
def language_name(lang: str) -> str:
    """The language's own name for itself: English, Français, العربية, Kiswahili."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


def format_when(moment: datetime, timezone: str) -> str:
    """A short local date and time in the current turn's language."""
    return format_datetime(moment, "medium", tzinfo=ZoneInfo(timezone), locale=current_language())
