r"""Street addresses with a number, for :mod:`moderation.anonymise`.

"27 rue des Manguiers", "plot 14 avenue Lumumba", "av. Lumumba no 14", "Calle 12 # 34-56",
"Carrera 7 No. 18-24", "Rua 4, casa nº 37", "شارع 15، منزل رقم 42", "Mtaa wa Kanisa nyumba
namba 14": a street word (``street`` lines of ``data/cues/<lang>.txt``) with a number
before it, after it, or after its name and a number sign; a house or plot word
(``house`` lines) and its number before or after. A street or house word alone, or a
number alone ("tenda nr 117"), is no address. One pattern, built once from the data
files; every repetition bounded or possessive (linear in the text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from moderation._names import _DATA, LANGS, _lines

__all__ = ["find_addresses"]

_Span = tuple[int, int, str]


def _words(kind: str) -> str:
    words: set[str] = set()
    for lang in LANGS:
        for line in _lines(_DATA / "cues" / f"{lang}.txt"):
            cue_kind, _, phrase = line.partition(" ")
            if cue_kind == kind:
                words.add(re.escape(phrase.strip()))
    return "|".join(sorted(words, key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def _address_re() -> re.Pattern[str]:
    street = rf"(?:{_words('street')})\.?+"
    house = rf"(?:{_words('house')})"
    num = r"\d{1,5}+[A-Za-z]?+(?:[-/]\d{1,4}+)?+"
    sign = r"(?:n[°ºo]\.?+|nr\.?+|#|num[eé]ro|número|namba|nambari|رقم)"
    particle = r"(?:des|de|du|la|le|wa|ya|del|da|do|dos|das|of)"
    word = r"[^\W\d_][\w'’-]{0,30}+"
    name = rf"(?:{particle}[ ]++)?+{word}(?:[ ]{word}){{0,2}}"
    house_part = rf"{house}[ ]++(?:{sign}[ ]*+)?+{num}"
    street_part = (
        rf"(?:{num}[ ]*+,?+[ ]*+{street}[ ]++{name}"
        rf"|{street}[ ]++{name}[ ]++(?:{house}[ ]++)?+{sign}[ ]*+{num}"
        rf"|{street}[ ]*+{num}(?:[ ]*+(?:#|{sign})[ ]*+{num})?+)"
    )
    return re.compile(
        rf"(?<!\w)(?:{house_part}[ ]*+[,،]?+[ ]*+{street}[ ]++{name}"
        rf"|(?:{house_part}[ ]*+[,،]?+[ ]*+)?+{street_part}"
        rf"(?:[ ]*+[,،]?+[ ]*+{house_part})?+)",
        re.IGNORECASE,
    )


def find_addresses(norm: str) -> Iterator[_Span]:
    """Spans of street addresses with a number in ``norm`` (digits ASCII)."""
    for match in _address_re().finditer(norm):
        yield match.start(), match.end(), "address"
