"""Gettext catalogues and the language of the current turn.

Catalogues are read from ``locales/<lang>/LC_MESSAGES/sauti.po`` once at start.
The language is per turn, in a :class:`~contextvars.ContextVar`, never
process-wide: two people served at once each get their own.
"""

from __future__ import annotations

import io
from contextvars import ContextVar, Token
from functools import cache
from importlib import resources
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "sauti"


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


@cache
def available_languages() -> tuple[str, ...]:
    """Languages that have a catalogue, sorted."""
    root = locales_dir()
    return tuple(
        sorted(p.name for p in root.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    )


@cache
def catalogue(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English msgids are the fallback)."""
    path = locales_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, cat)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


_lang: ContextVar[str] = ContextVar("sauti_language", default="en")


def current_language() -> str:
    return _lang.get()


class language:
    """Translate with ``lang`` inside the block (this task and its children only).

    A small class rather than a generator-based context manager: every turn
    enters several (see docs/performance.md)."""

    __slots__ = ("_lang", "_token")

    def __init__(self, lang: str) -> None:
        self._lang = lang

    def __enter__(self) -> None:
        self._token: Token[str] = _lang.set(self._lang)

    def __exit__(self, *exc: object) -> None:
        _lang.reset(self._token)


# Translations already looked up, per language: catalogues never change once
# loaded, and every turn asks for the same few prompts and labels.
_looked_up: dict[str, dict[str, str]] = {}


def _(msgid: str) -> str:
    """Translate ``msgid`` into the language of the current turn."""
    lang = _lang.get()
    table = _looked_up.get(lang)
    if table is None:
        table = _looked_up[lang] = {}
    text = table.get(msgid)
    if text is None:
        text = table[msgid] = str(catalogue(lang).gettext(msgid))
    return text


def N_(msgid: str) -> str:
    """Mark a string for extraction; translated later, where it is shown."""
    return msgid


def NP_(context: str, msgid: str) -> str:
    """Mark a string with a context (e.g. ``keyword``) for extraction."""
    return msgid


def ngettext(singular: str, plural: str, n: int) -> str:
    return str(catalogue(_lang.get()).ngettext(singular, plural, n))


def pgettext(context: str, msgid: str) -> str:
    return str(catalogue(_lang.get()).pgettext(context, msgid))


def translate_in(lang: str, msgid: str) -> str:
    return str(catalogue(lang).gettext(msgid))


def pgettext_in(lang: str, context: str, msgid: str) -> str:
    return str(catalogue(lang).pgettext(context, msgid))
