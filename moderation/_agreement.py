"""Names told by the verb after them, for :mod:`moderation.anonymise`: Swahili marks its
verb with its subject's noun class, and class 1 is people. A lexicon name before a verb
that begins with the class-1 subject prefix ("a-" and a tense: "alipigwa", "amerudi",
"anasema", "atakuja") is a person, even a name that is also a word: "Neema amerudi"
(Neema is back), where "neema imerudi" would be grace; two joined by "na" before a class-2
verb ("wa-"): "Neema na Tumaini wamerudi". A verb is told by its shape: Swahili spelling
(no "c" but in "ch", no "q" or "x"), ends in a vowel, six letters or more.

Not a name: a word that begins a name cue or sits in one ("mama", "mwalimu", "jirani":
people nouns take the same verbs, and are cues for the name after them), the other people
nouns (``person`` lines of ``data/cues/sw.txt``: "kijana", "mzee", "askari"), a function
word, a place word; nor a word after an article of another language ("la paz amenazada":
Spanish).

The object is marked too: class 1's object marker "-m-" ("walimchukua", "wamemkamata",
"alimpiga": they took, have arrested, beat him or her) before a lexicon name makes it a
person's: "walimchukua neema". Arabic marks neither, so a verb of harm or arrest that
takes a person (``harm`` lines of ``data/cues/<lang>.txt``: "خطفوا", "قبضوا على", "beat",
"ont frappé", "levaram o", "se llevaron a": a person's object, with its article or
Spanish's personal "a") before a lexicon name does the same: "قبضوا على صالح", "the
landlord beat mercy", "mataron a esperanza". And Spanish doubles a person object with
a pronoun: "A Luz y a Milagros las amenazaron" (``_doubled``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import compress
from typing import Final

from moderation import _patterns as pat
from moderation._name_data import cue_phrases, cue_words, lexicon, mods, name_cues, place_words
from moderation._names import CONJUNCTIONS
from moderation._words import words_of

__all__ = ["subjects"]

_Span = tuple[int, int, str]
# A subject prefix, a tense or aspect, the rest: Swahili letters, a final vowel.
_TENSES: Final = "(?:li|me|na|ta|ki|ka|nge|ngali|sha)"
_SPELLING: Final = r"(?:ch|[abd-pr-wyz])"
_PERSON_VERB: Final = re.compile(rf"a{_TENSES}{_SPELLING}{{2,}}[aeiou]")
_PEOPLE_VERB: Final = re.compile(rf"wa{_TENSES}{_SPELLING}{{2,}}[aeiou]")
# (not "wana-m..." nor "-ki-m...": "wanamgambo" militiamen, "wakimbizi" refugees are nouns)
_OBJECT_VERB: Final = re.compile(
    rf"(?:wa(?:li|me|ta|ka|nge)|(?:a|ni|tu|u|m)(?:li|me|na|ta|ka|nge))mw?{_SPELLING}{{2,}}[aeiou]")
_SHORTEST: Final = 6
# Before a word, these say the text is not Swahili there ("la paz amenazada").
_ARTICLES: Final = frozenset({"la", "el", "los", "las", "le", "les", "un", "une", "una", "o",
                              "os", "as", "the", "de", "del", "da", "do", "des", "du", "d"})


def _verb(pattern: re.Pattern[str], key: str) -> bool:
    return len(key) >= _SHORTEST and pattern.fullmatch(key) is not None


@lru_cache(maxsize=1)
def _not_names() -> frozenset[str]:
    people = {pat.fold(word) for word in cue_phrases("person")}
    return frozenset(name_cues()[1].keys() | mods()[1].keys() | place_words() | people)


@lru_cache(maxsize=1)
def _harms() -> frozenset[tuple[str, ...]]:
    return cue_words("harm")


@lru_cache(maxsize=1)
def _harm_ends() -> tuple[frozenset[str], frozenset[tuple[str, ...]], frozenset[str]]:
    """The verbs of harm of one word, and the last two words of the longer ones: a verb
    of harm ends before a word only if one of them does ("na" ends "bateram na", and
    Swahili's "na" is everywhere); and the first words of those two."""
    harms = _harms()
    tails = frozenset(keys[-2:] for keys in harms if len(keys) > 1)
    return (frozenset(keys[0] for keys in harms if len(keys) == 1), tails,
            frozenset(tail[0] for tail in tails))


_PERSON, _OBJECT, _PEOPLE = 1, 2, 4


@lru_cache(maxsize=16384)
def _verbs(key: str) -> int:
    """Which of the verb shapes a word has (_PERSON, _OBJECT, _PEOPLE, or'ed): once a
    word a process, as the word table judges words."""
    return ((_PERSON if _verb(_PERSON_VERB, key) else 0)
            | (_OBJECT if _verb(_OBJECT_VERB, key) else 0)
            | (_PEOPLE if _verb(_PEOPLE_VERB, key) else 0))


def _after_harm(norm: str, words: list[tuple[int, int, str]], keys: list[str], k: int) -> bool:
    """Whether a verb of harm of 1-3 words ("خطفوا", "قبضوا على", "se llevaron a") ends
    right before word ``k``, single spaces between its words."""
    harms = _harms()
    for size in (1, 2, 3):
        first = k - size
        if first < 0:
            return False
        if size > 1 and norm[words[first][1]:words[first + 1][0]] != " ":
            return False
        if tuple(keys[first:k]) in harms:
            return True
    return False


# Spanish doubles a person object with a pronoun: "A Luz y a Milagros las amenazaron",
# "a Juan lo mataron" (the personal "a", the name, "lo"/"la"/"los"/"las"/"le"/"les").
_CLITICS: Final = frozenset({"lo", "la", "los", "las", "le", "les"})
_MAX_DOUBLED: Final = 4


def _doubled(norm: str, words: list[tuple[int, int, str]], keys: list[str],
             person: Callable[[int], bool]) -> Iterator[_Span]:
    """The names of a Spanish doubled object (see above): "a" then a name, with "y a" and
    more names, then a pronoun of the object."""
    count = len(words)
    k = 0
    while k < count - 2:
        if keys[k] != "a" or not person(k + 1) or norm[words[k][1]:words[k + 1][0]] != " ":
            k += 1
            continue
        names = [k + 1]
        end = k + 2
        while (len(names) < _MAX_DOUBLED and end + 2 < count and keys[end] == "y"
               and keys[end + 1] == "a" and person(end + 2)):
            names.append(end + 2)
            end += 3
        if end < count and keys[end] in _CLITICS and all(
                norm[words[i][1]:words[i + 1][0]] == " " for i in range(k, end)):
            for name in names:
                yield words[name][0], words[name][1], "name"
        k = end


def subjects(norm: str, spans: Sequence[_Span]) -> Iterator[_Span]:
    """Spans of the lexicon names that a person's verb follows or precedes, or a verb of
    harm precedes (see the module's text)."""
    words, keys, stops, lex, _ = words_of(norm)
    found = {start for start, _, kind in spans if kind == "name"}
    not_names = _not_names()
    lexicon_names = lexicon()[0]

    def person(k: int) -> bool:
        return (lex[k] and not stops[k] and keys[k] not in not_names
                and keys[k] in lexicon_names and words[k][0] not in found
                and not (k and keys[k - 1] in _ARTICLES))

    count = len(words)
    distinct = set(keys)
    if "a" in distinct and not _CLITICS.isdisjoint(distinct):
        yield from _doubled(norm, words, keys, person)
    harm_words, harm_tails, harm_heads = _harm_ends()
    if not (any(map(_verbs, distinct)) or not harm_words.isdisjoint(distinct) or (
            not harm_heads.isdisjoint(distinct)
            and any(tail[0] in distinct and tail[1] in distinct for tail in harm_tails))):
        return  # no verb of any shape, no verb of harm: no word to read (most texts)
    for k in compress(range(count - 1), lex):  # the lexicon's words only
        gap = norm[words[k][1]:words[k + 1][0]]
        if gap == " " and _verbs(keys[k + 1]) & _PERSON and person(k):
            yield words[k][0], words[k][1], "name"
        elif k and (_verbs(keys[k - 1]) & _OBJECT or (
                (keys[k - 1] in harm_words or (k > 1 and (keys[k - 2], keys[k - 1]) in harm_tails))
                and _after_harm(norm, words, keys, k))) and (
                norm[words[k - 1][1]:words[k][0]] == " " and person(k)):
            yield words[k][0], words[k][1], "name"
        elif (gap == " " and k + 3 < count and keys[k + 1] in CONJUNCTIONS
              and norm[words[k + 1][1]:words[k + 2][0]] == " "
              and norm[words[k + 2][1]:words[k + 3][0]] == " "
              and _verbs(keys[k + 3]) & _PEOPLE and person(k) and person(k + 2)):
            yield words[k][0], words[k][1], "name"
            yield words[k + 2][0], words[k + 2][1], "name"
