"""Urgent-risk detection (issue 13): does a message report violence that needs a human now?

Pure; the lexicons (``data/urgent/<lang>.txt``) are read once, on import. The text is
folded (NFKD, accents and Arabic diacritics dropped, case folded, أ إ آ ٱ → ا, ة → ه,
ى → ي, no tatweel, a letter repeated in a row kept once: "heeelp", "shoting"), read as
words cut into clauses at punctuation and ``[break]`` words ("but", "mais", "لكن"); each
word is looked up once in the lexicons' tables (cached), phrases matched from their first
word. All linear in the text: no regular expression backtracks, phrases are short.

A cue (a hit of a category section) is dropped when

* a ``[figurative]`` phrase overlaps it ("feu rouge", "killing it", "shoot a video");
* it is weak (``?``) and its clause has a ``[context]`` word ("heat", "match", "pastor")
  or the message a ``[joke]`` one ("lol", "mdr", "haha", "kkk", "ههه");
* a ``[negation]`` ends at most two words before it, or before the cues it overlaps, in
  its clause ("no shooting", "hakuna risasi", "personne n'a été enlevé", "pas de coups de feu");
* its clause has a ``[past]`` phrase or a year ("long ago", "2019", "rumour"), no ``[present]``;
  or the message has a ``[retract]`` phrase ("it was only a rumour").

Which lexicons run: all six, whatever ``language`` says. Residents mix languages ("ils
tirent sasa hivi", "bandits armés wako"), a missed alarm costs far more than a moderator's
glance, and the lexicons' cue words rarely collide across languages. Entries that do
collide (English and Spanish "no" is Portuguese "in the"; Spanish "mató" is Portuguese
"mato", bush) are marked ``!`` and run only when ``language`` is their file's, or unknown.

Lexicon format: ``[section]`` lines, ``#`` comments, ``@macro = a|b|c`` definitions, and
one entry a line: words separated by spaces, each word ``a|b`` alternatives written as
``stem`` (the whole word), ``stem*`` (the word starts with it), ``*stem*`` (it occurs in
the word after at most six letters: Arabic clitics, Swahili verb prefixes) or ``*stem``
(the same, at the word's end), or ``@macro``; a ``~`` word skips zero to two words; a
trailing ``?`` marks the entry weak, ``!`` local to its language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Final

__all__ = ["CATEGORIES", "LANGS", "UrgentVerdict", "assess_urgent", "fold_text"]

LANGS: Final = ("en", "fr", "sw", "ar", "pt", "es")
CATEGORIES: Final = ("abduction", "armed_presence", "attack", "fire", "killing",
                     "sexual_violence", "shooting", "threat")
_MODIFIERS: Final = ("negation", "past", "present", "figurative", "context", "joke",
                     "retract", "break")
_MAX_OFFSET: Final = 6      # letters before a *stem* inside a word
_MAX_GAP: Final = 2         # words a "~" may skip
_NEGATION_REACH: Final = 2  # words (of two letters or more) between a negation and its cue
_CACHE_MAX: Final = 50_000
_CACHED_WORD_MAX: Final = 40

# Arabic letter variants, tatweel, and Arabic-Indic digits (years: "٢٠١٩").
_ARABIC: Final = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي",
                                "ؤ": "و", "ئ": "ي", "ـ": None, "’": "'"}
                               | {chr(cp): str(unicodedata.decimal(chr(cp)))
                                  for cp in range(0x660, 0x6FA) if chr(cp).isdecimal()})
_MARKS_RE: Final = re.compile(r"[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]+")
_REPEAT_RE: Final = re.compile(r"([^\W\d_])\1+")
_PUNCTUATION: Final = ".,;:!?\n،؛؟"  # each ends a clause
_TOKEN_RE: Final = re.compile(rf"\[[a-z_]{{1,20}}+\]|[^\W_]++|[{_PUNCTUATION}]")
_APOSTROPHE_RE: Final = re.compile(r"['’-]")
_YEAR_RE: Final = re.compile(r"(?:19[5-9]|20[0-4])\d")
_Units = tuple[tuple[frozenset[int], bool], ...]  # per word: its alternatives, "~" before


@dataclass(frozen=True, slots=True)
class UrgentVerdict:
    """Whether a message needs a human now, and the categories of the cues that fired."""

    urgent: bool
    cues: tuple[str, ...]


def _fold_letters(text: str) -> str:
    if not text.isascii():
        text = _MARKS_RE.sub("", unicodedata.normalize("NFKD", text)).translate(_ARABIC)
    return text.casefold()


def fold_text(text: str) -> str:
    """Case-, accent-, diacritic- and letter-variant-insensitive form of a whole text."""
    return _REPEAT_RE.sub(r"\1", _fold_letters(text))


@dataclass(frozen=True, slots=True)
class _Entry:
    section: str
    units: _Units
    weak: bool
    lang: str | None  # set when the entry is local to its language


# A word's spec ids, the entries that start with one of them, and flags.
_Word = tuple[frozenset[int], tuple[_Entry, ...], int]
_BREAK, _YEAR, _LONG = 1, 2, 4  # ends a clause; a year; two letters or more


class _Lexicon:
    """Every file's entries, their word specs in lookup tables by kind."""

    def __init__(self) -> None:
        self.specs: dict[tuple[str, str], int] = {}
        self.table: dict[str, dict[str, list[int]]] = {
            kind: {} for kind in ("exact", "prefix", "inner", "suffix")}
        self.starts: dict[int, list[_Entry]] = {}
        self.cache: dict[str, _Word] = {}
        self.breaks = set(_PUNCTUATION)  # and the words that end a clause ("but", "mais")
        for lang in LANGS:
            path = resources.files("moderation").joinpath("data", "urgent", f"{lang}.txt")
            self._read(path.read_text("utf-8"), lang)
        # Sizes of the stems by their first (last, for suffixes) two letters: most places
        # in a word start no stem, and cost one lookup.
        self.sizes: dict[str, dict[str, list[int]]] = {}
        for kind in ("prefix", "inner", "suffix"):
            index: dict[str, set[int]] = {}
            for key in self.table[kind]:
                index.setdefault(key[-2:] if kind == "suffix" else key[:2], set()).add(len(key))
            self.sizes[kind] = {two: sorted(sizes) for two, sizes in index.items()}

    def _spec(self, word: str) -> int:
        kind = ("inner" if word.endswith("*") else "suffix") if word.startswith("*") else (
            "prefix" if word.endswith("*") else "exact")
        key = fold_text(word.strip("*"))
        if "*" in key or len(key) < (1 if kind == "exact" else 2):
            raise ValueError(f"urgent lexicon: '*' only ends a 2+ letter stem: {word!r}")
        if (kind, key) not in self.specs:
            self.specs[kind, key] = len(self.specs)
            self.table[kind].setdefault(key, []).append(self.specs[kind, key])
        return self.specs[kind, key]

    def _read(self, text: str, lang: str) -> None:
        section, macros = "", dict[str, str]()
        for raw in text.splitlines():
            line = raw.partition("#")[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip()
                if section not in CATEGORIES + _MODIFIERS:
                    raise ValueError(f"urgent/{lang}.txt: unknown section {line}")
                continue
            if line.startswith("@") and "=" in line:
                name, _, value = line.partition("=")
                macros[name.strip()] = value.strip()
                continue
            if not section:
                raise ValueError(f"urgent/{lang}.txt: entry before any section: {line}")
            if section == "break":
                if " " in line:
                    raise ValueError(f"urgent/{lang}.txt: a [break] is one word: {line}")
                self.breaks.add(fold_text(line))
                continue
            weak, local = False, False
            while line[-1] in "?!":
                weak, local = weak or line[-1] == "?", local or line[-1] == "!"
                line = line[:-1].rstrip()
            units: list[tuple[frozenset[int], bool]] = []
            gap = False
            for word in _APOSTROPHE_RE.sub(" ", line).split():
                if word == "~":
                    gap = True
                    continue
                alts = "|".join(macros.get(a, a) for a in word.split("|"))
                units.append((frozenset(self._spec(a) for a in alts.split("|") if a), gap))
                gap = False
            entry = _Entry(section, tuple(units), weak, lang if local else None)
            for spec in units[0][0]:
                self.starts.setdefault(spec, []).append(entry)

    def word(self, token: str) -> _Word:
        """What the lexicons know of a word (cached; bounded work per word)."""
        found = self.cache.get(token)
        if found is not None:
            return found
        word = _REPEAT_RE.sub(r"\1", token)
        ids: list[int] = list(self.table["exact"].get(word, ()))
        size = len(word)
        for k in self.sizes["prefix"].get(word[:2], ()):
            if k > size:
                break
            ids += self.table["prefix"].get(word[:k], ())
        inner = self.sizes["inner"]
        for start in range(min(_MAX_OFFSET, size - 2) + 1):
            for k in inner.get(word[start:start + 2], ()):
                if start + k > size:
                    break
                ids += self.table["inner"].get(word[start:start + k], ())
        for k in self.sizes["suffix"].get(word[-2:], ()):
            if size - _MAX_OFFSET <= k <= size:
                ids += self.table["suffix"].get(word[size - k:], ())
        specs = frozenset(ids)
        flags = ((word in self.breaks) * _BREAK | bool(_YEAR_RE.fullmatch(word)) * _YEAR
                 | (size > 1) * _LONG)
        found = specs, tuple({e: None for i in specs for e in self.starts.get(i, ())}), flags
        if size <= _CACHED_WORD_MAX:
            if len(self.cache) >= _CACHE_MAX:
                self.cache.clear()
            self.cache[token] = found
        return found


_LEXICON: Final = _Lexicon()
_Hit = tuple[_Entry, int, int]  # entry, first word, word after the last


def _match_from(units: _Units, u: int, i: int, words: list[frozenset[int]]) -> int:
    """Index after the last word if ``units[u:]`` match from word ``i``, else -1."""
    if u == len(units):
        return i
    alts, gap = units[u]
    for j in range(i, min(len(words), i + (_MAX_GAP if gap else 0) + 1)):
        if not alts.isdisjoint(words[j]):
            end = _match_from(units, u + 1, j + 1, words)
            if end >= 0:
                return end
    return -1


def _hits(clause: list[_Word], language: str | None) -> list[_Hit]:
    words = [specs for specs, _, _ in clause] + [frozenset()]  # the last matches nothing
    hits: list[_Hit] = []
    for i, (_, entries, _) in enumerate(clause):
        for entry in entries:
            units = entry.units
            if (entry.lang is not None and language is not None and entry.lang != language) or (
                    len(units) > 1 and not units[1][1] and units[1][0].isdisjoint(words[i + 1])):
                continue
            end = i + 1 if len(units) == 1 else _match_from(units, 1, i + 1, words)
            if end >= 0:
                hits.append((entry, i, end))
    return hits


def _clause_cues(clause: list[_Word], hits: list[_Hit], joke: bool) -> set[str]:
    by: dict[str, list[_Hit]] = {}
    for hit in hits:
        by.setdefault(hit[0].section, []).append(hit)
    past = "past" in by or any(flags & _YEAR for _, _, flags in clause)
    if past and "present" not in by:
        return set()
    context = joke or bool(by.get("context"))
    figurative = [False] * (len(clause) + 1)
    for _, start, end in by.get("figurative", ()):
        figurative[start:end] = [True] * (end - start)
    last_negation = [-1] * (len(clause) + 1)  # the end of the last negation at or before
    long_words = [0]  # words of two letters or more before each word
    if "negation" in by:
        for _, start, end in by["negation"]:  # a cue may start inside one: "hawaja-vamia"
            last_negation[start:end + 1] = range(start, end + 1)
        for i, (_, _, flags) in enumerate(clause, 1):
            last_negation[i] = max(last_negation[i], last_negation[i - 1])
            long_words.append(long_words[-1] + (flags & _LONG > 0))
    cues: set[str] = set()
    group, reach = 0, -1  # the start of the run of overlapping cues ("coups de [feu]")
    for entry, start, end in hits:  # in the order of their starts
        if entry.section not in CATEGORIES:
            continue
        group, reach = (group if start < reach else start), max(reach, end)
        n = last_negation[group]
        if (entry.weak and context) or any(figurative[start:end]) or (
                n >= 0 and long_words[group] - long_words[n] <= _NEGATION_REACH):
            continue
        cues.add(entry.section)
    return cues


def _clauses(folded: str) -> list[list[_Word]]:
    """The words of each clause: cut at punctuation and at [break] words."""
    out: list[list[_Word]] = []
    clause: list[_Word] = []
    cached = _LEXICON.cache.get
    for token in _TOKEN_RE.findall(folded):
        word = cached(token) or _LEXICON.word(token)
        if word[2] & _BREAK:
            if clause:
                out.append(clause)
            clause = []
        else:
            clause.append(word)
    if clause:
        out.append(clause)
    return out


def assess_urgent(text: str, language: str | None = None) -> UrgentVerdict:
    """Urgent if a cue of a category fires and is neither negated, past, figurative nor
    retracted; ``language`` (en fr sw ar pt es, else unknown) only enables local entries."""
    lang = code if (code := (language or "")[:2].casefold()) in LANGS else None  # "fr-CD"
    clauses = [(clause, _hits(clause, lang)) for clause in _clauses(_fold_letters(text))]
    sections = {entry.section for _, hits in clauses for entry, _, _ in hits}
    if "retract" in sections or sections.isdisjoint(CATEGORIES):
        return UrgentVerdict(False, ())
    cues: set[str] = set()
    for clause, hits in clauses:
        if any(entry.section in CATEGORIES for entry, _, _ in hits):
            cues |= _clause_cues(clause, hits, "joke" in sections)
    return UrgentVerdict(bool(cues), tuple(sorted(cues)))
