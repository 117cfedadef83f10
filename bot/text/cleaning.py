"""Text clean-up and matching shared by every flow and channel."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ARABIC_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Punctuation and spaces at the edges, in two linear passes: what leads, then up
# to the last letter or digit (one pattern "^[\W_]+|[\W_]+$" retried the second
# branch at every character of a run of punctuation: quadratic).
_LEADING = re.compile(r"[\W_]*+")
_UP_TO_LAST_WORD = re.compile(r".*[^\W_]", re.DOTALL)
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و",
                              "ئ": "ي"})


def clean(text: str, limit: int) -> tuple[str, bool]:
    """Make inbound text safe to handle: NFC, no control characters or lone
    surrogates, CRLF folded, at most ``limit`` characters.

    Returns the text and whether it was cut.
    """
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).strip()
    if len(text) > limit:
        return text[:limit].rstrip(), True
    return text, False


def fold(text: str) -> str:
    """A form for comparing what people type: case, accents, Arabic diacritics
    and letter variants, digits of any script, surrounding punctuation folded."""
    if text.isascii():  # most replies ("2", "yes"): no accents, digits or Arabic to fold
        return " ".join(_strip_edges(text.lower()).split())
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(
        str(unicodedata.digit(ch)) if ch.isdigit() and unicodedata.digit(ch, None) is not None
        else ch
        for ch in text
        if not unicodedata.combining(ch)
    )
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    return " ".join(_strip_edges(text).split())


def _strip_edges(text: str) -> str:
    """``text`` without the punctuation, symbols and spaces around it."""
    lead = _LEADING.match(text)
    start = lead.end() if lead else 0
    last = _UP_TO_LAST_WORD.match(text, start)
    return text[start:last.end()] if last else ""


_SIGNED = re.compile(r"\s*[-+\u2212\u2013\u2014]\s*\d")


def is_signed_number(text: str) -> bool:
    """``"-1"``, ``"+2"``, ``"− 3"``: a number with a sign, which is never an
    option's number (folding would strip the sign and leave "1")."""
    return _SIGNED.match(text) is not None


def as_number(folded: str) -> int | None:
    """``"2"``, ``"2."``, ``"#2"`` or ``"٢"`` (already folded) as an int, else None."""
    if folded.isdigit() and len(folded) <= 3:
        return int(folded)
    return None
