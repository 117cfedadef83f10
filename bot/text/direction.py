"""Which way a language is written, and the marks right-to-left text needs.

An Arabic message often carries left-to-right pieces: a reference code
(``A5HGPM``), numbers and times, ``[placeholders]``, an area's Latin name, an
English option. Left to the phone's bidirectional algorithm, a neutral
character between them and the Arabic (a space, a colon, a bracket) can take
the wrong side and scramble the line. :func:`isolate` wraps each such piece in
Unicode's isolation marks (LRI … PDI), so it reads as one unit in its place;
numbered lines start with a right-to-left mark.
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

RTL_MARK = "\u200f"
LRI, PDI = "\u2066", "\u2069"

# A left-to-right piece: it starts and ends with a Latin letter, a digit or a
# bracket of a placeholder, and may hold spaces and punctuation between.
_LTR = "A-Za-z0-9\u00c0-\u024f"
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\[\]]")
_PIECE = re.compile(
    rf"[{_LTR}\[](?:[{_LTR}\[\]\-_.:/@#+,'’ ]*[{_LTR}\]])?")


@cache
def is_rtl(lang: str) -> bool:
    """Whether ``lang`` is written right to left (Arabic): Babel knows."""
    return Locale.parse(lang).character_order == "right-to-left"


def isolate(text: str) -> str:
    """``text`` (right to left) with every left-to-right piece isolated."""
    if LRI in text:  # isolated already (a message is rendered once per send)
        return text
    return _PIECE.sub(_isolated, text)


def _isolated(match: re.Match[str]) -> str:
    """A piece with a Latin letter or a bracket, isolated; digits alone ("2",
    "12:30", "2026-12-24") already read as one left-to-right number, and an
    option's number after the line's right-to-left mark stays where it is."""
    piece = match.group()
    return f"{LRI}{piece}{PDI}" if _LATIN.search(piece) else piece
