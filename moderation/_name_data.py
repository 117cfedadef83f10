"""The data the name finder reads, once: the lexicon of given names and surnames less
places, its entries that are also everyday words, the places, and the per-language cue
words (see :mod:`moderation._names` for what each is for)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from moderation import _patterns as pat

__all__ = ["END", "LANGS", "Trie", "cue_phrases", "cue_starts", "cue_words", "in_lexicon",
           "lexicon", "mods", "name_cues", "place_words", "places", "towns"]

LANGS: Final = ("en", "fr", "sw", "ar", "pt", "es")
_DATA: Final = Path(__file__).resolve().parent / "data"

_STRENGTH: Final = {"intro": 1, "sign": 2, "kin": 2, "title": 2}


def _lines(path: Path) -> list[str]:
    text = path.read_text("utf-8") if path.exists() else ""
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """Folded lexicon names, and those that are also everyday words."""
    names: set[str] = set()
    for file in ("given.txt", "surnames.txt"):
        names.update(pat.fold(word) for word in _lines(_DATA / "names" / file))
    words = {pat.fold(line.split("\t")[1]) for line in _lines(_DATA / "names" / "also_words.txt")
             if line.count("\t") >= 1}
    # with the article, as the lexicon reads them: الهلال is هلال (crescent), a word too
    words |= {"ال" + word for word in words if "\u0600" <= word[:1] <= "\u06ff"}
    places = {pat.fold(word) for word in _lines(_DATA / "names" / "places.txt")}
    return frozenset(names - pat.STOP_WORDS - places), frozenset(words)


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    return frozenset(pat.fold(word) for word in _lines(_DATA / "names" / "places.txt"))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Folded words that begin a place's name, never a name joined to another by "and" or
    "de": the place cues that are no function word and the street and quarter nouns ("del
    barrio", "de villa del rosario", "[Tafumo] na estrada": a road, not Estrada)."""
    cues = {pat.fold(cue) for cue in cue_phrases("place") if not pat.is_stop(cue)}
    nouns = {keys[0] for kind in ("street", "quarter") for keys in cue_words(kind)}
    return frozenset(cues | nouns)


@lru_cache(maxsize=1)
def towns() -> frozenset[str]:
    """Folded words of the mission regions' town names (``towns.txt``, from GeoNames) that
    the lexicon does not have: a capitalised one is a place, not a name."""
    words = {pat.fold(word) for word in _lines(_DATA / "names" / "towns.txt")}
    given = {pat.fold(word) for word in _lines(_DATA / "names" / "given.txt")}
    surnames = {pat.fold(word) for word in _lines(_DATA / "names" / "surnames.txt")}
    return frozenset(words - given - surnames)


@lru_cache(maxsize=16)
def cue_phrases(kind: str) -> frozenset[str]:
    """One kind's cues ("id", "street", "place" ...) as written, all languages."""
    found: set[str] = set()
    for lang in LANGS:
        for line in _lines(_DATA / "cues" / f"{lang}.txt"):
            cue_kind, _, phrase = line.partition(" ")
            if cue_kind == kind:
                found.add(phrase.strip())
    return frozenset(found)


@lru_cache(maxsize=16)
def cue_words(kind: str) -> frozenset[tuple[str, ...]]:
    """Folded token tuples of one kind's cues, all languages."""
    found = (tuple(pat.fold(t) for t in pat.TOKEN_RE.findall(phrase))
             for phrase in cue_phrases(kind))
    return frozenset(keys for keys in found if keys)


# Cues as a trie: each word leads to the words that may follow it in a cue; END holds
# the strength of the cue that ends at that word (a space: no word's key has one, and
# some keys are "": a tatweel alone folds to nothing).
Trie = dict[str, Any]
END: Final = " "


@lru_cache(maxsize=1)
def name_cues() -> tuple[dict[tuple[str, ...], int], Trie]:
    """Name cues (folded word tuples) and their strength, and the same cues as a trie
    (its keys: the words a cue begins with)."""
    cues: dict[tuple[str, ...], int] = {}
    for kind, strength in _STRENGTH.items():
        for keys in cue_words(kind):
            cues[keys] = max(cues.get(keys, 0), strength)
    return cues, _trie(cues)


@lru_cache(maxsize=1)
def cue_starts() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """Where a name cue may begin: the first words of one-word cues, and the first two
    words of longer ones (a word that only begins "a certain" begins no cue before "man")."""
    cues = name_cues()[0]
    singles = frozenset(keys[0] for keys in cues if len(keys) == 1)
    pairs = frozenset((keys[0], keys[1]) for keys in cues if len(keys) > 1)
    return singles, pairs


def _trie(cues: dict[tuple[str, ...], int]) -> Trie:
    root: Trie = {}
    for keys, strength in cues.items():
        node = root
        for key in keys:
            node = node.setdefault(key, {})
        node[END] = strength
    return root


@lru_cache(maxsize=1)
def mods() -> tuple[dict[tuple[str, ...], int], Trie]:
    """Words that may sit between a cue and its name ("grand", "wa mtaa"), as cues of
    no strength of their own (-1: the chain keeps its strength)."""
    mods = {keys: -1 for keys in cue_words("mod")}
    return mods, _trie(mods)


def in_lexicon(key: str, names: frozenset[str]) -> bool:
    if key in names:
        return True
    # Arabic attaches "and"/"with"/"for" to the next word: وزينب = "and Zainab"; and the
    # article: الزين.
    if len(key) > 4 and key.startswith("ال") and key[2:] in names:
        return True
    if len(key) > 3 and key[0] in pat.ARABIC_PREFIXES:
        rest = key[1:]  # والطيب: "and" then the article
        return rest in names or (len(rest) > 4 and rest.startswith("ال") and rest[2:] in names)
    return False
