"""SMS encoding and cost (pure functions, no I/O); cutting is :mod:`bot.text.splitting`.

A message is GSM-7 if every character is in the GSM 03.38 default alphabet or its
extension table (3GPP TS 23.038); otherwise the whole message is UCS-2. GSM-7 counts
septets (extension characters take two: escape + code), UCS-2 counts UTF-16 code units
(a character outside the BMP, e.g. most emoji, takes two). One SMS holds 160 septets or
70 units; a concatenated SMS holds 153 or 67 per segment (the rest is the UDH).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

__all__ = ["ELLIPSIS", "GSM7_EXTENSION", "LIMITS", "Encoding", "SegmentInfo", "gsm_friendly",
           "is_gsm7", "measure", "units"]

# GSM 03.38 default alphabet, in code order 0x00..0x7F. 0x1B is the escape to the extension
# table, not a character, so it is left out of the set below.
_GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table (reached via 0x1B): code -> character. Each costs two septets.
_GSM7_EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_GSM7_BASIC: frozenset[str] = frozenset(_GSM7_TABLE) - {"\x1b"}
_GSM7_EXTENSION: frozenset[str] = frozenset(_GSM7_EXTENSION_TABLE.values())
GSM7_EXTENSION = _GSM7_EXTENSION  # the characters that take two septets
# The same sets as character classes: one scan in C instead of a Python loop
# per character (every send measures its text).
_NOT_GSM7 = re.compile("[^" + "".join(map(re.escape, sorted(_GSM7_BASIC | _GSM7_EXTENSION)))
                       + "]")
_EXTENSION_CHAR = re.compile("[" + "".join(map(re.escape, sorted(_GSM7_EXTENSION))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 units each

# (single-message capacity, per-segment capacity of a concatenated message)
LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}
ELLIPSIS = {"gsm7": "...", "ucs2": "…"}

# Replacements applied by gsm_friendly before the per-letter fallback.
_FRIENDLY: dict[str, str] = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022", "-"),
    **dict.fromkeys("\u200b\u2060\ufeff\u00ad", ""),  # invisible: zero-width, soft hyphen
    **dict.fromkeys("\u2028\u2029", "\n"),
    "\u2026": "...",
    "\t": " ",
    "œ": "oe",
    "Œ": "OE",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ı": "i",
}


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    encoding: Encoding
    units: int  # GSM-7 septets (extension chars count 2) or UTF-16 code units
    segments: int  # 0 for empty text; 1 if units fit one (160 / 70), else ceil(units / 153 or 67)


def is_gsm7(text: str) -> bool:
    """True if every character of ``text`` is in the GSM-7 basic or extension table."""
    return _NOT_GSM7.search(text) is None


def units(text: str, encoding: Encoding = Encoding.UCS2) -> int:
    """Length of ``text`` in GSM-7 septets (an extension character takes two) or,
    by default, in UTF-16 code units (a character outside the BMP takes two)."""
    if encoding is Encoding.GSM7:
        return len(text) + len(_EXTENSION_CHAR.findall(text))
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-16-le")) // 2
    except UnicodeEncodeError:  # lone surrogates (one unit each): the encoder's slow path
        return len(text) + len(_ASTRAL.findall(text))


def measure(text: str) -> SegmentInfo:
    """Encoding, length in septets / UTF-16 units, and billed segments of ``text``."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    length = units(text, encoding)
    single, multi = LIMITS[encoding]
    segments = 0 if length == 0 else 1 if length <= single else -(-length // multi)
    return SegmentInfo(encoding, length, segments)


def _friendly_char(ch: str) -> str:
    if ch in _GSM7_BASIC or ch in _GSM7_EXTENSION:
        return ch
    if ch in _FRIENDLY:
        return _FRIENDLY[ch]
    if unicodedata.category(ch) == "Zs":
        return " "
    if unicodedata.category(ch) == "Mn":  # stray combining mark (none left on a GSM base)
        return ""
    if ch.isalpha():
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and all(c in _GSM7_BASIC for c in base):
            return base
    return ch


def gsm_friendly(text: str) -> str:
    """Replace characters that would force UCS-2 by their nearest GSM-7 equivalents.

    Typographic quotes become ' and ", dashes -, the ellipsis ..., unusual spaces a plain
    space, and Latin letters with diacritics outside GSM-7 their base letter (ê -> e,
    ç -> c, œ -> oe); letters that are in GSM-7 (é è à ä ö ü ñ Ç Å Ø Æ ß ...) are kept.
    If the result would still need UCS-2 (Arabic, emoji, ...) the ORIGINAL text is
    returned unchanged, so nothing is lost for nothing.
    """
    if is_gsm7(text):
        return text
    # Only the distinct characters outside GSM-7 are judged, each once (a text repeats
    # its characters), and the first that stays outside (an Arabic letter, an emoji)
    # ends the search; then one translation in C.
    normal = unicodedata.normalize("NFC", text)
    table: dict[int, str] = {}
    for ch in set(_NOT_GSM7.findall(normal)):
        friendly = _friendly_gsm7(ch)
        if friendly is None:
            return text
        table[ord(ch)] = friendly
    return normal.translate(table)


@lru_cache(maxsize=4096)
def _friendly_gsm7(ch: str) -> str | None:
    """:func:`_friendly_char` if that is GSM-7, else None."""
    friendly = _friendly_char(ch)
    return friendly if is_gsm7(friendly) else None
