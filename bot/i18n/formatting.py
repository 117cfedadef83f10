"""Formatting in the current turn's language (or one given): language names,
local times, counts and shares."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

from bot.i18n.catalogue import current_language


@cache
def language_name(lang: str) -> str:
    """The language's own name for itself: English, Français, العربية, Kiswahili."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


def format_when(moment: datetime, timezone: str, lang: str | None = None) -> str:
    """A local date and time, without seconds, in ``lang`` (default: the turn's):
    "Dec 24, 2026, 6:00 PM", "24 déc. 2026, 18:00"; the locale's own way of
    joining a medium date and a short time."""
    locale = Locale.parse(lang or current_language())
    local = moment.astimezone(ZoneInfo(timezone))
    joined = str(locale.datetime_formats["medium"]).replace("'", "")
    return (joined.replace("{0}", format_time(local, "short", locale=locale))
            .replace("{1}", format_date(local, "medium", locale=locale)))


def format_count(n: int, lang: str | None = None) -> str:
    """A count as ``lang`` (default: the turn's) writes it: 12,345 / 12 345."""
    return format_decimal(n, locale=lang or current_language())


def format_share(share: float, lang: str | None = None) -> str:
    """A share (0.6) as a whole percentage in ``lang``: 60% / 60 %."""
    return format_percent(share, format="#,##0%", locale=lang or current_language())
