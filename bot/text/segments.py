"""SMS encoding, cost and segmentation (pure functions, no I/O).

A message is GSM-7 if every character is in the GSM 03.38 default alphabet or its
extension table (3GPP TS 23.038); otherwise the whole message is UCS-2. GSM-7 counts
septets (extension characters take two: escape + code), UCS-2 counts UTF-16 code units
(a character outside the BMP, e.g. most emoji, takes two). One SMS holds 160 septets or
70 units; a concatenated SMS holds 153 or 67 per segment (the rest is the UDH).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Encoding", "SegmentInfo", "gsm_friendly", "is_gsm7", "measure", "split"]

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
# The same sets as character classes: one scan in C instead of a Python loop
# per character (every send measures its text).
_NOT_GSM7 = re.compile("[^" + "".join(map(re.escape, sorted(_GSM7_BASIC | _GSM7_EXTENSION)))
                       + "]")
_EXTENSION_CHAR = re.compile("[" + "".join(map(re.escape, sorted(_GSM7_EXTENSION))) + "]")

# (single-message capacity, per-segment capacity of a concatenated message)
_LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}
_ELLIPSIS = {"gsm7": "...", "ucs2": "…"}

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


def _units(text: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return len(text) + len(_EXTENSION_CHAR.findall(text))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def measure(text: str) -> SegmentInfo:
    """Encoding, length in septets / UTF-16 units, and billed segments of ``text``."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    units = _units(text, encoding)
    single, multi = _LIMITS[encoding]
    segments = 0 if units == 0 else 1 if units <= single else -(-units // multi)
    return SegmentInfo(encoding, units, segments)


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
    # Only the characters outside GSM-7 are looked at (one "ç" in a menu used to
    # send every character of the message through _friendly_char).
    result = _NOT_GSM7.sub(_friendly_match, unicodedata.normalize("NFC", text))
    return result if is_gsm7(result) else text


def _friendly_match(match: re.Match[str]) -> str:
    return _friendly_char(match.group())


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _joins(prev: str, ch: str) -> bool:
    """Whether ``ch`` must stay with the atom ``prev`` (marks, ZWJ sequences, modifiers, flags)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")  # combining marks, incl. variation sel.
        or ch == "\u200d"
        or prev[-1] == "\u200d"
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences
        or (_is_regional_indicator(ch) and len(prev) == 1 and _is_regional_indicator(prev))
    )


def _atoms(text: str, encoding: Encoding, cap: int) -> list[str]:
    """Cut ``text`` into indivisible pieces of at most ``cap`` units (best effort graphemes)."""
    atoms: list[str] = []
    for ch in text:
        if atoms and _joins(atoms[-1], ch) and _units(atoms[-1] + ch, encoding) <= cap:
            atoms[-1] += ch
        else:
            atoms.append(ch)
    return atoms


def _skip_space(atoms: list[str], i: int) -> int:
    while i < len(atoms) and atoms[i].isspace():
        i += 1
    return i


def _cut(atoms: list[str], prefix: list[int], pos: int, limit: int) -> int:
    """End index (exclusive) of the chunk starting at ``pos`` that fits ``limit`` units.

    Prefer the last newline in the second half of the window, then the last whitespace,
    else cut hard at the limit. ``atoms[pos]`` is assumed to fit.
    """
    end = max(bisect_right(prefix, prefix[pos] + limit) - 1, pos + 1)
    space = 0
    for k in range(min(end, len(atoms) - 1), pos, -1):
        if not atoms[k].isspace() or atoms[k - 1].isspace():
            continue
        if prefix[k] - prefix[pos] < limit // 2:
            return space or k
        if any("\n" in a for a in atoms[k : _skip_space(atoms, k)]):
            return k
        space = space or k
    return space or end


def split(text: str, max_segments: int | None = None) -> list[str]:
    """Split text into the parts of a concatenated SMS as a phone would show them.

    Each chunk fits one segment of a concatenated message in the encoding of the whole
    text (153 septets or 67 UTF-16 units); a text that fits a single SMS (160 / 70) is
    returned as ``[text]``, an empty text as ``[]``. Cuts fall on whitespace where possible
    (a newline in the second half of the window is preferred), else hard; a cut never
    separates a surrogate pair, a GSM-7 extension character or a combining mark / emoji
    sequence. Whitespace at a cut is dropped; nothing else is lost or changed.

    With ``max_segments``, a text needing more chunks is truncated at a word boundary and
    its last chunk ends with "..." (GSM-7) or "…" (UCS-2), all within ``max_segments``
    (a single truncated chunk may use the whole 160 / 70 of a lone SMS).
    """
    if max_segments is not None and max_segments < 1:
        raise ValueError(f"max_segments must be >= 1, got {max_segments}")
    info = measure(text)
    if info.segments <= 1:
        return [text] if text else []
    single, multi = _LIMITS[info.encoding]
    ellipsis = _ELLIPSIS[info.encoding]
    atoms = _atoms(text, info.encoding, multi - _units(ellipsis, info.encoding))
    prefix = [0]
    for atom in atoms:
        prefix.append(prefix[-1] + _units(atom, info.encoding))
    chunks: list[str] = []
    pos = 0
    while pos < len(atoms):
        if prefix[-1] - prefix[pos] <= multi:
            chunks.append("".join(atoms[pos:]))
            break
        if max_segments is not None and len(chunks) == max_segments - 1:
            limit = (single if max_segments == 1 else multi) - _units(ellipsis, info.encoding)
            end = _cut(atoms, prefix, pos, limit)
            chunks.append("".join(atoms[pos:end]).rstrip() + ellipsis)
            break
        end = _cut(atoms, prefix, pos, multi)
        chunk = "".join(atoms[pos:end]).rstrip()
        if chunk:
            chunks.append(chunk)
        pos = _skip_space(atoms, end)
    return chunks
