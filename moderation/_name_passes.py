"""The name passes of :mod:`moderation.anonymise` that read patterns rather than the
lexicon scan (:mod:`moderation._names`): the words after introductions, titles and
signatures, the names a channel gave for the sender, and every other place in a text
where a name found once appears again."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import compress
from typing import Final

from moderation import _patterns as pat
from moderation._name_data import lexicon, place_words
from moderation._names import CONJUNCTIONS, is_name_like
from moderation._words import plain_words, words_of

__all__ = ["introduced_names", "joined_names", "known_names", "name_keys", "repeated_names"]

_Span = tuple[int, int, str]


class _Stops(dict[str, bool]):
    """Whether each word is a function word, for one text: a repeated word costs a
    dictionary look-up in C."""

    __slots__ = ()

    def __missing__(self, word: str) -> bool:
        self[word] = stop = pat.is_stop(word)
        return stop


class _NameLike(dict[str, bool]):
    """Whether each word is name-like, for one text (see :class:`_Stops`)."""

    __slots__ = ()

    def __missing__(self, word: str) -> bool:
        self[word] = like = is_name_like(word)
        return like


# A word each match of the pattern holds (case-folded, as the patterns ignore case): a
# text with none of them is not scanned with it.
_IN_INTRO: Final = ("name", "called", "je", "nom", "jina", "naitwa", "سمي", "llamo", "chamo",
                    "اسم")
_IN_SIGNATURE: Final = ("sign", "regards", "cordialement", "atentamente", "saludos",
                        "cumprimentos", "atenciosamente")


def _may_hold(folded: str, words: tuple[str, ...]) -> bool:
    return any(word in folded for word in words)


def introduced_names(norm: str) -> Iterator[_Span]:
    """The 1-3 name-like words after each introduction, title and signature, stopping at
    punctuation, digits and function words. The patterns read the words in their scan
    (groups 1-3): each word is read by at most the three matches before it."""
    stops = _Stops()
    name_like = _NameLike()
    # as the patterns' IGNORECASE reads it: "ı" and "İ" match "i" there
    folded = norm.casefold().replace("ı", "i").replace("\u0307", "")
    regexes = []
    if _may_hold(folded, _IN_INTRO) or "M." in norm:
        regexes.append(pat.INTRO_NAMES_RE)
    if _may_hold(folded, _IN_SIGNATURE):
        regexes.append(pat.SIGNATURE_NAMES_RE)
    for regex in regexes:
        start = end = -1  # names that overlap are given as one (introductions in a row)
        for match in regex.finditer(norm):
            first, second, third = match.group(1, 2, 3)
            if first is None or stops[first]:
                continue
            # A title keeps the words after the name: "Mr. Kabila Joseph threatened us".
            if second is None or stops[second] or not name_like[second]:
                last = match.end(1)
            elif third is None or stops[third] or not name_like[third]:
                last = match.end(2)
            else:
                last = match.end(3)
            first_start = match.start(1)
            if first_start < end:
                if last > end:
                    end = last
                continue
            if end >= 0:
                yield start, end, "name"
            start, end = first_start, last
        if end >= 0:
            yield start, end, "name"
    for match in pat.SPEAKING_RE.finditer(norm) if "speaking" in folded else ():
        if not any(stops[word] for word in match.group(1).split()):
            yield match.start(1), match.end(1), "name"


@lru_cache(maxsize=1024)
def name_keys(names: tuple[str, ...]) -> frozenset[str]:
    """Folded tokens of at least 2 letters of the names the channel gave, minus stop words."""
    keys: set[str] = set()
    for name in names:
        for token in pat.TOKEN_RE.findall(name):
            key = pat.fold(token)
            if len(key) >= 2 and key not in pat.STOP_WORDS:
                keys.add(key)
    return frozenset(keys)


def known_names(norm: str, keys: frozenset[str]) -> Iterator[_Span]:
    if not keys:
        return
    table = plain_words(norm)  # the text's words as the name scan read them
    if table is not None:
        words, folded = table
        if not norm.isascii():
            # Arabic attaches "and"/"with"/"for" to the next word: ومحمد = "and Mohamed"
            keys = frozenset(key for key in set(folded) if key in keys or (
                key[:1] in pat.ARABIC_PREFIXES and key[1:] in keys))
        for k in compress(range(len(folded)), map(keys.__contains__, folded)):
            if words[k][2] not in pat.RAW_STOPS:
                yield words[k][0], words[k][1], "name"
        return
    if norm.isascii():  # fold() of an ASCII word is its lower case: no word folded
        lowered = norm.lower()
        found = keys.intersection(pat.TOKEN_RE.findall(lowered))
        if found:
            for match in pat.TOKEN_RE.finditer(lowered):
                if match.group() in found:
                    yield match.start(), match.end(), "name"
        return
    # Each distinct word folded once (a long text says the same words again and again).
    hits = set()
    for token in set(pat.TOKEN_RE.findall(norm)) - pat.RAW_STOPS:
        key = pat.fold(token)
        # Arabic attaches "and"/"with"/"for" to the next word: ومحمد = "and Mohamed".
        if key in keys or (key[:1] in pat.ARABIC_PREFIXES and key[1:] in keys):
            hits.add(token)
    if hits:
        for match in pat.TOKEN_RE.finditer(norm):
            if match.group() in hits:
                yield match.start(), match.end(), "name"


def repeated_names(norm: str, spans: Sequence[_Span], out: str) -> list[_Span]:
    """Every other place a name found in ``spans`` appears ("my brother Kato was taken
    ... they beat Kato" hides both), if ``out`` (the text redacted by ``spans``) still
    holds one: where every occurrence is already hidden, this costs one scan of ``out``.
    Words of three letters or more, not function words."""
    keys: set[str] = set()
    for name in {norm[start:end] for start, end, kind in spans if kind == "name"}:
        for token in pat.TOKEN_RE.findall(name):
            if len(token) >= 3 and not pat.is_stop(token):
                keys.add(pat.fold(token))
    if out.isascii():
        lowered = out.lower()  # an ASCII word's key is its lower case: a key no substring
        if not any(key in lowered for key in keys) or keys.isdisjoint(  # is no word either
                pat.TOKEN_RE.findall(lowered)):
            return []
    else:
        left = {pat.fold(token) for token in set(pat.TOKEN_RE.findall(out)) - pat.RAW_STOPS}
        left |= {key[1:] for key in left if key[:1] in pat.ARABIC_PREFIXES}  # ومحمد
        if keys.isdisjoint(left):
            return []
    return list(known_names(norm, frozenset(keys)))


_MAX_JOINED: Final = 6  # names added to one found name, each side: a list's length
# Romance particles of a surname: "Maria da Silva", "João dos Santos", "Ana de Souza".
_SURNAME_PARTICLES: Final = frozenset({"da", "de", "do", "dos", "das", "del"})
_CONNECTORS: Final = CONJUNCTIONS | _SURNAME_PARTICLES


def joined_names(norm: str, spans: Sequence[_Span]) -> list[_Span]:
    """The lexicon names joined to a name found, which no pass read alone: after or before
    it, with "and" or a comma between ("Kahindo, rehema na mtoto wao", "Juma na Amisi",
    "Okello and Akello"), an everyday word too if it is capitalised ("Neema na [Tumaini]");
    and a surname after a Romance particle ("[Maria] da Silva"). A place after "de" is no
    surname ("[Juma] de Bunia"): places are no lexicon names. Read from the lexicon words
    no pass took, a round for each name a list adds (a list of names costs no step per
    name)."""
    names = [span for span in spans if span[2] == "name"]
    if not names:
        return []
    words, keys, stops, lex, _ = words_of(norm)
    if "," not in norm and _CONNECTORS.isdisjoint(keys):
        return []  # nothing joins a word to a name (most texts: no per-name step)
    starts = [word[0] for word in words]
    taken = {k for start, end, _ in names
             for k in range(bisect_left(starts, start), bisect_left(starts, end))}
    places = place_words()
    count = len(words)
    left = [k for k in compress(range(count), lex)
            if k not in taken and not stops[k] and keys[k] not in places]
    if not left:
        return []
    also = lexicon()[1]

    def gap(a: int, b: int) -> str:
        return norm[words[a][1]:words[b][0]] if 0 <= a and b < count else ""

    def joined(k: int) -> str:
        """How word ``k`` joins a name taken: "word", "particle" (with the word before
        it), or ""."""
        capital = words[k][2][:1].isupper()
        word_ok = capital or keys[k] not in also
        if k - 1 in taken and gap(k - 1, k) in (", ", ","):
            # after a comma, a lower-case word is a list's only before "and" (", rehema
            # na mtoto"): "Juma, leo tunaomba" is no list
            if capital or (gap(k, k + 1) == " " and keys[k + 1] in CONJUNCTIONS):
                return "word"
        if k + 1 in taken and capital and gap(k, k + 1) in (", ", ","):
            return "word"
        if word_ok and (
                (k - 2 in taken and keys[k - 1] in CONJUNCTIONS
                 and gap(k - 2, k - 1) == gap(k - 1, k) == " ")
                or (k + 2 in taken and k + 1 < count and keys[k + 1] in CONJUNCTIONS
                    and gap(k, k + 1) == gap(k + 1, k + 2) == " ")):
            return "word"
        # a surname that is also a word too: "da Costa", "dos Santos", "da Silva"
        if (k - 2 in taken and keys[k - 1] in _SURNAME_PARTICLES
                and gap(k - 2, k - 1) == gap(k - 1, k) == " "):
            return "particle"
        return ""

    found: list[_Span] = []
    pending = left
    for _ in range(_MAX_JOINED):
        added = []
        for k in pending:
            if k in taken:
                continue
            how = joined(k)
            if how:
                found.append((words[k - 1 if how == "particle" else k][0], words[k][1], "name"))
                taken.add(k)
                added.append(k)
        if not added:
            break
        # the next round reads only the words a name added this round may join: how a
        # word joins depends on the two words each side of it
        near = {k + step for k in added for step in (-2, -1, 1, 2)}
        pending = [k for k in left if k in near]
    return found
