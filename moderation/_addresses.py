r"""Street addresses with a number, for :mod:`moderation.anonymise`.

An address is a chain of parts, each next to the last (a space, a comma or "،" between):

* a **street** (``street`` lines of ``data/cues/<lang>.txt``: rue, av., calle, cra, mtaa,
  شارع ...) with a number: "27 rue des Manguiers", "#45 mbarara street", "12 Kivu Road",
  "av. Lumumba no 14", "avenue Kasai numéro 12", "bd du 30 juin no 221", "Calle 12 # 34-56",
  "cra 7 # 18-24", "5e avenue", "3rd street", "شارع 15"; or without a number ("avenue
  Mobutu", "lira road", "rua 7 de setembro", "شارع النيل");
* a **house** (``house``: house, maison, casa, nyumba, منزل, بيت ...) or **plot**
  (``plot``: plot, parcelle, lote, talhão, kiwanja, قطعة) and its number, with or without
  a number sign ("no.", "n°", "nº", "#", "numéro", "namba", "ya", "رقم");
* a **unit** (``unit``: block, bloc, manzana, quarteirão, apto, piso, بلوك, عمارة, شقة,
  مربع) and its number or letter.

A chain is an address if it has a street with a number, a plot, a house with a number
sign, or two parts of which one is a house or unit ("casa 5, quarteirão 12", "house 9,
block D", "شارع الجمهورية، بيت 22"). Alone, a street without a number ("obote avenue"), a
unit ("block 7 of the camp", "مربع 7"), a house and a bare number ("nyumba 3": Swahili
counts follow the noun) or a number after a kilometre word ("km 14 gulu road") is no
address; quarters, cells and villages ("quartier Himbi", "cellule 3", "حي النور") are places
and stay. Linear: one scan for parts (bounded or possessive repetitions, a lookahead for
their first characters), then one pass over them; a name before a street word ("kivu
road") is read only right after a part, by one anchored match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

from moderation import _patterns as pat
from moderation._name_data import cue_phrases

__all__ = ["find_addresses"]

_Span = tuple[int, int, str]
_KINDS: Final = ("street", "house", "plot", "unit")
_GAP: Final = re.compile(r"[ ]*+[,،]?+[ ]*+")
# Words that end a street's name: prepositions and place words ("quartier", "bairro").
_NOT_NAME: Final = (
    "a|à|au|aux|at|in|on|near|en|em|na|no|nos|kwa|karibu|perto|cerca|près|pres|iko|ni|y|e|"
    "et|and|with|con|com|na|quartier|q|bairro|barrio|cellule|vereda|zone|kijiji|camp|"
    "village|sector|secteur|the|of|de|du|des|la|le|les|l|el|los|las|del|da|do|dos|das|wa|ya|"
    "za|al|numero|numéro|número|namba|nambari|nr|حي|في|جنب|قرب|معسكر|من|رقم|"
    # prepositions: "wanafunzi 2 kwenye barabara" (2 pupils on the road), "3 sur la route"
    "kwenye|katika|huko|kule|pale|mbele|nyuma|ndani|juu|chini|hadi|mpaka|kutoka|sur|vers|"
    "dans|par|pour|sobre|pela|pelo|por|para|hacia|desde|from|to|towards|along|by|onto|into|"
    # road markers: "barabara ya Butembo-Beni kilomita 14" is no house on that road
    "km|kms|kilomita|kilometre|kilomètre|kilometer|kilometro|kilómetro|quilómetro|quilometro"
)


def _words(kind: str) -> list[str]:
    return sorted(cue_phrases(kind), key=lambda w: (-len(w), w))


def _alt(words: list[str]) -> str:
    return pat.alternation(words)


@lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    kinds = {kind: _words(kind) for kind in _KINDS}
    street = rf"(?:{_alt(kinds['street'])})(?:\.(?!\w))?+"
    house, plot, unit = (rf"(?:{_alt(kinds[k])})(?!\w)" for k in ("house", "plot", "unit"))
    num = r"\d{1,5}+[A-Za-z]?+(?![^\W\d_])(?:[-/]\d{1,4}+)?+"
    ordinal = r"\d{1,3}+(?:st|nd|rd|th|e|er|ère|ème|eme|º|ª|a|o)(?!\w)"
    # "no", "nr", "num" end before a digit or a space: "no12", "no 12", not "nord".
    sign = (r"(?:n[°º]\.?+|no\.?+(?![^\W\d_])|n\.|nr\.?+(?![^\W\d_])|#|num[eé]ro|número"
            r"|number|num\.?+(?![^\W\d_])|namba|nambari|رقم)")
    cue_words = _alt([w for k in _KINDS for w in kinds[k]])
    stops = pat.alternation({*_NOT_NAME.split("|"), *(w for k in _KINDS for w in kinds[k])})
    not_name = rf"(?=[^\W\d_])(?!{stops}(?!\w))"
    word = rf"{not_name}[^\W\d_][\w'’-]{{0,30}}+"
    particle = r"(?:de[ ]la|de[ ]l['’]|des|de|du|la|le|wa|ya|del|da|do|dos|das|of|al|el)"
    # A street's name: 1-3 words, after a particle and a day's date ("du 30 juin").
    name = rf"(?:{particle}[ ]++)?+(?:\d{{1,2}}+[ ](?:de[ ]|du[ ])?+)?+{word}(?:[ ]{word}){{0,2}}"
    of = r"(?:de[ ]l['’]|de[ ]la|du|de)"  # "n° 12 de l'avenue Kasai"
    cap = rf"(?=(?-i:[A-Z])){word}"  # "12 Kololo Hill Road": two words if capitalised
    mine = r"(?:yangu|yetu|yake|yao|my|our|his|her)"  # "nyumba yangu namba 12"
    # One alternative a first word; empty groups at the ends tell the kind of part
    # (``lastgroup``): a street with a number, a plot, a house with or without a sign, a
    # unit; a street without one has none.
    parts = (
        rf"{street}(?:[ ]*+{num}(?![ ]d[eu][ ])(?:[ ]*+{sign}[ ]*+{num})?+(?P<street>)"
        rf"|[ ]++{name}[ ]*+(?:{sign}[ ]*+{num}|{num}(?=[ ]*+(?:[,.;:!?)]|$)))(?P<street2>)"
        rf"|[ ]++{name})"
        rf"|(?:(?:{sign}[ ]*+)?+{num}[ ]*+,?+[ ]*+(?:{of}[ ]*+)?+"
        rf"(?:{street}[ ]++{name}|(?:{cap}[ ])?{word}[ ]{street}(?!\w))|{ordinal}[ ]++{street})"
        rf"(?P<street3>)"
        rf"|{sign}[ ]*+{num}(?P<number>)"
        rf"|{plot}[ ]++(?:{sign}[ ]*+)?+{num}(?P<plot>)"
        rf"|{house}(?:(?:[ ]++{mine})?+[ ]*+(?:{sign}|ya(?=[ ]))[ ]*+{num}(?P<signed>)"
        rf"|[ ]++{num}(?P<house>))"
        rf"|{unit}[ ]*+(?:{sign}[ ]*+)?+(?:{num}|[A-Z](?!\w))(?P<unit>)"
    )
    firsts = sorted({w[0].lower() for k in _KINDS for w in kinds[k]} | set("0123456789#nر"))
    first = "".join(re.escape(c) for c in firsts)
    part_re = re.compile(rf"(?<!\w)(?=[{first}])(?:{parts})", re.IGNORECASE)
    # Every address has one of the words: a text without any is not scanned for parts.
    words_first = "".join(sorted({re.escape(w[0].lower()) for k in _KINDS for w in kinds[k]}))
    any_re = re.compile(rf"(?<!\w)(?=[{words_first}])(?:{cue_words})", re.IGNORECASE)
    # A name's word then a street word, right after a part: "house no. 12 kivu road".
    tail_re = re.compile(rf"[ ]*+,?+[ ]*+{word}[ ]{street}(?!\w)", re.IGNORECASE)
    return part_re, tail_re, any_re


_KIND_OF: Final = {"street2": "street", "street3": "street"}
# A number after a kilometre word is a road marker, not a house: "km 14 gulu road".
_KM: Final = re.compile(r"(?:km|kms|kilomita|kilometre|kilomètre|kilometer|الكيلو|كيلو)[ ]?$",
                        re.IGNORECASE)
_ANCHORS: Final = frozenset({"street", "plot", "signed"})


def find_addresses(norm: str) -> Iterator[_Span]:
    """Spans of street addresses with a number in ``norm`` (digits ASCII)."""
    part_re, tail_re, any_re = _regexes()
    if not any_re.search(norm):
        return
    gap = _GAP.fullmatch
    start = end = -1
    kinds: list[str] = []
    for match in part_re.finditer(norm):
        kind = match.lastgroup or "bare"
        if kind == "street3" and _KM.search(norm, max(0, match.start() - 10), match.start()):
            continue
        kind = _KIND_OF.get(kind, kind)
        if kinds and gap(norm, end, match.start()):
            kinds.append(kind)
            end = match.end()
            continue
        if kinds:
            yield from _chain(norm, start, end, kinds, tail_re)
        start, end, kinds = match.start(), match.end(), [kind]
    if kinds:
        yield from _chain(norm, start, end, kinds, tail_re)


def _chain(norm: str, start: int, end: int, kinds: list[str],
           tail_re: re.Pattern[str]) -> Iterator[_Span]:
    numbered = sum(kind in ("house", "unit", "number") for kind in kinds)
    if not _ANCHORS.intersection(kinds) and not (len(kinds) >= 2 and numbered):
        return
    if kinds[-1] != "bare":
        tail = tail_re.match(norm, end)
        if tail:
            end = tail.end()
    yield start, end, "address"
