"""Names with no cue before them that the lexicon scan leaves, for
:mod:`moderation.anonymise`: told by their capital letter, or a given name alone.

**By the capital.** Residents mostly text in lower case; the one word they capitalise
inside a sentence is most often a name: "levaram o Chico", "se llevaron a Yesica y a su
novio", "polisi wamemkamata Kamau". So in a text where at most half the words begin with
a capital (Title Case and shouting say nothing), a capitalised word inside a sentence is
a name, with the capitalised words right after it ("Papy Kambale"), unless it is:

- a function word, a known place (``data/names/places.txt``), one of the mission's own
  places (its areas), or a word of ``data/names/capitals.txt`` (countries, peoples,
  places, armed groups, organisations, faiths, days, months), or a word that begins a
  name cue ("the Commander said": the title stays), or a name that is an everyday word
  (``also_words.txt``: "Grace and Hope are what we need"), which wants a cue;
- an acronym (all capitals: "PAM", "FARDC") or shorter than three letters;
- after a place cue (``place`` lines of ``data/cues/<lang>.txt``: "quartier", "barrio",
  "kijiji cha", "en", "vers", "St"): a place ("barrio La Libertad", "vers Nyiragongo");
- right after an address or a location found already ("au 27 avenue X, Ndosho");
- before a number ("KSh 2,000", "Bloc 4"): a currency, a unit, a block.

Arabic script has no capitals: that rule never fires on it.

**A given name alone.** A given name of the lexicon (``data/names/given.txt``) of four
letters or more is a name wherever it stands, in any case ("dijeron si nelsy habla"),
unless it is also an everyday word (``also_words.txt``: "amani", "risasi", "صباح"), a
place or another word above, or comes after a place cue ("vereda san isidro", "St Mary's
school"). Surnames alone are not: more of them are words ("mesa", "machado", "toro").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import Final

from moderation import _patterns as pat
from moderation._name_data import (
    _DATA,
    _lines,
    cue_phrases,
    cue_words,
    lexicon,
    mods,
    name_cues,
    place_words,
    places,
    towns,
)
from moderation._words import words_of

__all__ = ["lone_names", "without_place_names"]

_Span = tuple[int, int, str]
_MIN_LETTERS: Final = 3
_SENTENCE_END: Final = frozenset(".!?\n:;\"'«“(")
_AFTER_PLACE: Final = frozenset({"address", "location"})


@lru_cache(maxsize=1)
def _not_names() -> frozenset[str]:
    """Folded words that are never names by their capital: places, capitals.txt, and
    the words that begin a name cue ("the Commander said": the title stays), and the
    names that are everyday words, which want a cue ("Grace and Hope are what we need")."""
    words = {pat.fold(line.strip()) for line in _lines(_DATA / "names" / "capitals.txt")}
    also = lexicon()[1]  # names that are everyday words ("Hope", "Baraka") want a cue
    return frozenset(words | places() | towns() | also | name_cues()[1].keys()
                     | mods()[1].keys())


@lru_cache(maxsize=1)
def _place_cues() -> frozenset[str]:
    """The place cues as written, in lower case, not folded: "à" is one, "a" (Spanish
    "se llevaron a Yesica", Portuguese "a Maria") is not."""
    return frozenset(phrase.lower() for phrase in cue_phrases("place"))


@lru_cache(maxsize=1)
def _place_nouns_and_saints() -> frozenset[str]:
    """The place cues that are no function word ("vereda", "san", "St"): a known given
    name after "de", "wa", "kwa" is a person's ("la maison de Pierre", "nyumba ya Juma")."""
    return frozenset(cue for cue in _place_cues() if not pat.is_stop(cue))


def _capital(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() and len(word) >= _MIN_LETTERS


def _back(norm: str, at: int, skipped: str) -> int:
    """Where the text before ``at`` ends once the characters of ``skipped`` are left out
    (each character is passed over for one word at most: linear)."""
    while at > 0 and norm[at - 1] in skipped:
        at -= 1
    return at


def _before(stops: list[bool], k: int, reach: int, is_cue: Callable[[int], bool]) -> int | None:
    """The index of the word among the ``reach`` before word ``k`` that ``is_cue``, with
    only function words between ("del barrio La", "bairro do", "chef de"); else None."""
    for before in range(k - 1, max(-1, k - 1 - reach), -1):
        if is_cue(before):
            return before
        if not stops[before]:
            return None
    return None


def _after_place_cue(words: list[tuple[int, int, str]], stops: list[bool], i: int,
                     cues: frozenset[str]) -> bool:
    """Whether a place cue (as written: "à" is one, "a" is not) comes before word ``i``,
    an article or two between ("del barrio La Libertad", "na vila de")."""
    return _before(stops, i, 3, lambda k: words[k][2].lower() in cues) is not None


# After a capitalised word, these make it a day: "on Sunday night", "dimanche soir".
_TIMES_OF_DAY: Final = frozenset({"night", "morning", "evening", "afternoon", "nite", "soir",
                                  "matin", "nuit", "noche", "manana", "tarde", "noite", "manha",
                                  "usiku", "asubuhi", "jioni", "mchana"})
_LIST_JOINS: Final = frozenset({"and", "et", "na", "y", "e"})
_MAX_PLACES: Final = 4  # places in a list after one cue: "em Meza, Nanjua e Ocua"


def _listed_after_place_cue(norm: str, words: list[tuple[int, int, str]], keys: list[str],
                            stops: list[bool], i: int, cues: frozenset[str]) -> bool:
    """Whether word ``i`` ends a list of capitalised words that a place cue begins ("em
    Meza e Nanjua", "à Kipese, Masereka et Lubero"): a list of places."""
    k = i
    for _ in range(_MAX_PLACES):
        before = k - 1
        if before < 1:
            return False
        joined = norm[words[before][1]:words[k][0]] in (", ", ",") and _capital(words[before][2])
        if not joined and keys[before] in _LIST_JOINS and norm[words[before][1]:words[k][0]] == " ":
            before -= 1
            joined = before >= 0 and _capital(words[before][2]) and norm[
                words[before][1]:words[before + 1][0]] in (" ", ", ", ",")
        if not joined:
            return False
        if _after_place_cue(words, stops, before, cues):
            return True
        k = before
    return False


def capitalised_names(norm: str, spans: Sequence[_Span],
                      places: frozenset[str] = frozenset()) -> Iterator[_Span]:
    """Spans of the capitalised names inside sentences of a mostly lower-case text;
    ``spans``: what the other passes found (a word right after an address stays);
    ``places``: folded words of the mission's own place names, kept too."""
    if norm == norm.lower() or norm == norm.upper():
        return  # no capitals (or no case: Arabic), or shouting
    words, keys, stops, _, _ = words_of(norm)
    count = len(words)
    if count < 3:
        return
    heads = "".join([word[2][0] for word in words])
    if sum(map(str.isupper, heads)) * 2 > count:
        return  # Title Case: capitals say nothing
    capitals = [k for k, head in enumerate(heads) if head.isupper() and _capital(words[k][2])]
    not_names, place_cues, nouns = _not_names(), _place_cues(), _place_nouns_and_saints()
    placed = {end for _, end, kind in spans if kind in _AFTER_PLACE}
    found = {start for start, _, kind in spans if kind == "name"}  # read already
    gap = pat.NAME_GAP_RE.fullmatch
    done = 1  # the first word begins a sentence; then, words read in a run
    for i in capitals:
        if i < done:
            continue
        end = i + 1  # the run of capitalised words from here
        while end < count and _capital(words[end][2]) and gap(norm, words[end - 1][1],
                                                               words[end][0]):
            end += 1
        if words[i][0] in found:  # read already, with the rest of its run
            done = end
            continue
        if words[i][2].lower() in nouns:  # a place's name: "Puerto Asís", "Lac Kivu"
            done = end
            continue
        start, last = words[i][0], words[end - 1][1]
        mark = _back(norm, start, " \t")  # the character before, spaces skipped
        after = norm[last:last + 3].lstrip(" \t")
        # what the word after the run says: a place ("Bidi Bidi zone 3", "Mugunga camp"),
        # a day ("on Sunday night")
        next_key = keys[end] if end < count and norm[last:words[end][0]] == " " else ""
        if (mark > 0 and norm[mark - 1] not in _SENTENCE_END
                and not _after_place_cue(words, stops, i, place_cues)
                and not _listed_after_place_cue(norm, words, keys, stops, i, place_cues)
                and _back(norm, mark, ", \t") not in placed
                and not after[:1].isdigit()
                and next_key not in place_words() and next_key not in _TIMES_OF_DAY):
            # the run up to its first word that is no name ("Kamau Police": "Kamau")
            named = next((k for k in range(i, end)
                          if stops[k] or keys[k] in not_names or keys[k] in places), end)
            if named > i:
                yield start, words[named - 1][1], "name"
        done = end


_MIN_GIVEN: Final = 4  # "ali", "eve", "ana": shorter given names are too often words


@lru_cache(maxsize=1)
def _given() -> frozenset[str]:
    """Folded given names that are names alone: not everyday words, places, cue words."""
    names = {pat.fold(word) for word in _lines(_DATA / "names" / "given.txt")}
    return frozenset(names - _not_names() - pat.STOP_WORDS)


# Words before a place, never before a person ("en Florencia", "in Rosa's house" is rarer
# than "in Arua"): unlike "de", "wa", "à", which also come before a person's name.
_LOCATIVES: Final = frozenset({"in", "at", "near", "inside", "outside", "around", "towards",
                               "toward", "en", "dans", "vers", "près", "pres", "hacia",
                               "cerca", "em", "num", "numa", "perto", "huko", "katika",
                               "karibu", "في", "قرب"})


@lru_cache(maxsize=1)
def _before_places() -> frozenset[str]:
    return _place_nouns_and_saints() | _LOCATIVES


def given_names(norm: str, spans: Sequence[_Span]) -> Iterator[_Span]:
    """Spans of the lexicon's given names that stand alone (see the module's text)."""
    words, keys, stops, lex, _ = words_of(norm)
    given, cues = _given(), _before_places()
    found = {start for start, _, kind in spans if kind == "name"}
    for k in compress(range(len(words)), lex):
        start, end, _ = words[k]
        key = keys[k]
        if key[:1] in pat.ARABIC_PREFIXES and key not in given:
            key = key[1:]  # Arabic attaches "and", "with", "to": اتصلوا بسعاد
        if (len(key) >= _MIN_GIVEN and key in given and not stops[k]
                and start not in found and not (k and _after_place_cue(words, stops, k, cues))):
            yield start, end, "name"


def lone_names(norm: str, spans: Sequence[_Span],
               places: frozenset[str] = frozenset()) -> Iterator[_Span]:
    """Both passes: names told by their capital, then given names alone."""
    capitalised = list(capitalised_names(norm, spans, places))
    yield from capitalised
    yield from given_names(norm, [*spans, *capitalised])


@lru_cache(maxsize=1)
def _place_nouns() -> frozenset[str]:
    """Words that begin a place's name ("bairro", "avenida", "quartier", "kijiji"): the
    ``street`` and ``quarter`` lines of the cue files, folded."""
    return frozenset(keys[0] for kind in ("street", "quarter") for keys in cue_words(kind)
                     if len(keys) == 1)


def without_place_names(norm: str, spans: list[_Span]) -> list[_Span]:
    """``spans`` less the names that follow a place noun, an article or "de" between: a
    place named after a person stays ("bairro Eduardo Mondlane", "avenida Samora Machel",
    "quartier Kabila")."""
    names = [span for span in spans if span[2] == "name"]
    if not names:
        return spans
    words, keys, stops, _, _ = words_of(norm)
    nouns, cue_firsts = _place_nouns(), name_cues()[1]
    if nouns.isdisjoint(keys):
        return spans
    placed = set()
    for span in names:
        k = bisect_left(words, span[0], key=itemgetter(0))
        if not 0 < k < len(words) or words[k][0] != span[0]:
            continue
        noun = _before(stops, k, 2, lambda b: not stops[b] and keys[b] in nouns)
        # not when the place is a title's ("le chef de cellule Bosco", "mwenyekiti wa
        # mtaa Juma"): the name is the title's ("o", a function word, begins no title here)
        if noun is not None and _before(
                stops, noun, 2, lambda b: not stops[b] and keys[b] in cue_firsts) is None:
            placed.add(span)
    return [span for span in spans if span not in placed] if placed else spans
