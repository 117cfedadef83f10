"""A text as the name passes read it: its words (with Arabizi words that begin with a
digit for a letter, "7asan" = حسن), each word's folded key, whether it is a function word
and whether a lexicon name, and where a name or a cue may begin. Read once per text and
kept for the next pass that asks (:func:`words_of`)."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate, compress
from operator import itemgetter, or_
from typing import Final

from moderation import _name_data as data
from moderation import _patterns as pat

__all__ = ["Words", "plain_words", "words_of"]

Words = tuple[list[tuple[int, int, str]], list[str], list[bool], list[bool], list[int]]

# Words, and Arabizi words that begin with a digit for a letter ("7asan" = حسن, "3abdallah").
_TOKEN_RE: Final = re.compile(rf"(?<!\w)[235-9](?=[A-Za-z])[A-Za-z]++|{pat.TOKEN_RE.pattern}")
_ARABIZI: Final = {"2": "", "3": "", "5": "kh", "6": "t", "7": "h", "8": "gh", "9": "q"}
# The halves of Arabic compound names: "<word> الله", "عبد <word>" (see _compounds).
_COMPOUND_PARTS: Final = frozenset({"الله", "الرسول", "النبي", "الدين", "عبد", "وعبد", "بعبد"})
_SPLIT_RE: Final = re.compile(f"({_TOKEN_RE.pattern})")  # the same words, and what is between
_PLAIN_SPLIT_RE: Final = re.compile(f"({pat.TOKEN_RE.pattern})")
# (the digit first, the look-behind after it: a search skips to the digits in C)
_ARABIZI_HINT: Final = re.compile(r"[235-9](?<!\w[235-9])[A-Za-z]")


def _key(word: str) -> str:
    if word[0].isdigit():
        return pat.fold(_ARABIZI[word[0]] + word[1:])
    return pat.fold(word)



def plain_words(norm: str) -> tuple[list[tuple[int, int, str]], list[str]] | None:
    """The words and keys of the text's table when they are exactly ``pat.TOKEN_RE``'s
    words, folded (no Arabizi word read: no digit before a letter; no Arabic compound
    joined: none of their halves in the text), for the passes that look words up; else
    None."""
    if _ARABIZI_HINT.search(norm) or (not norm.isascii()
                                      and any(part in norm for part in _COMPOUND_PARTS)):
        return None
    words, keys, _, _, _ = words_of(norm)
    return words, keys


@lru_cache(maxsize=2)
def words_of(norm: str) -> Words:
    """:func:`_read` of ``norm`` with the lexicon and the cues: the name scan and the
    capitals pass of one redaction read the text once. The lists are shared: read only."""
    names = data.lexicon()[0]
    return _read(norm, names, data.cue_starts())


@lru_cache(maxsize=16384)
def _judged(word: str) -> tuple[str, bool, bool]:
    """A word's key, whether it is a function word, whether a lexicon name: one look-up a
    word for the words every message says ("the", "de", "na"), as the fold's own cache."""
    folded = pat.fold(word)
    key = _key(word) if word[0] in _ARABIZI else folded
    stop = pat.is_stop_folded(word, folded)
    return key, stop, not stop and data.in_lexicon(key, data.lexicon()[0])


def _read(norm: str, names: frozenset[str],
          starts: tuple[frozenset[str], frozenset[tuple[str, str]]],
          ) -> tuple[list[tuple[int, int, str]], list[str], list[bool], list[bool], list[int]]:
    """``norm`` as words (start, end, text) with, for each, its key, whether it is a
    function word and whether a lexicon name; and the indexes of the words a name or a
    cue may begin at (a cue's first word, or its first two: ``starts``). Each distinct
    word is judged once: a resident's text repeats its words, and an adversary's repeats
    one."""
    # text between words, a word, text between, ...; Arabizi words only where a digit
    # comes before a letter (the plain split is a third faster)
    split = _SPLIT_RE if _ARABIZI_HINT.search(norm) else _PLAIN_SPLIT_RE
    parts = split.split(norm)
    texts = parts[1::2]
    offsets = list(accumulate(map(len, parts), initial=0))
    words = list(zip(offsets[1::2], offsets[2::2], texts, strict=False))
    judged = dict(zip(distinct := set(texts), map(_judged, distinct), strict=True))
    rows = list(map(judged.__getitem__, texts))
    keys: list[str] = list(map(itemgetter(0), rows))
    stops: list[bool] = list(map(itemgetter(1), rows))
    lex: list[bool] = list(map(itemgetter(2), rows))
    if not _COMPOUND_PARTS.isdisjoint(map(itemgetter(0), judged.values())):
        words, keys, stops, lex = _compounds(norm, words, keys, stops, lex, names)
    if "'" in norm or "’" in norm:
        _elided(norm, words, keys, stops)
    singles, pairs = starts
    # (the last word has no second: "", which no cue has)
    pairs_at = map(pairs.__contains__, zip(keys, [*keys[1:], ""], strict=True))
    cue = map(or_, map(singles.__contains__, keys), pairs_at)
    candidates = list(compress(range(len(keys)), map(or_, lex, cue)))
    return words, keys, stops, lex, candidates


def _compounds(norm: str, words: list[tuple[int, int, str]], keys: list[str], stops: list[bool],
               lex: list[bool], names: frozenset[str],
               ) -> tuple[list[tuple[int, int, str]], list[str], list[bool], list[bool]]:
    """Arabic compound names written as two words ("دفع الله", "حسب الرسول", "عبد المنعم")
    as one word when the lexicon has them joined (دفعالله), with an attached "and" or
    "with" too (وحسب الرسول); one pass, new lists."""
    out: tuple[list[tuple[int, int, str]], list[str], list[bool], list[bool]] = ([], [], [], [])
    k, count = 0, len(words)
    while k < count:
        if (k + 1 < count and (keys[k + 1] in _COMPOUND_PARTS or keys[k] in _COMPOUND_PARTS)
                and norm[words[k][1]:words[k + 1][0]] == " "
                and data.in_lexicon(joined := keys[k] + keys[k + 1], names)):
            out[0].append((words[k][0], words[k + 1][1], norm[words[k][0]:words[k + 1][1]]))
            out[1].append(joined)
            out[2].append(False)
            out[3].append(True)
            k += 2
            continue
        out[0].append(words[k])
        out[1].append(keys[k])
        out[2].append(stops[k])
        out[3].append(lex[k])
        k += 1
    return out




# A capital, an apostrophe, a capitalised word: the first part of a name ("N'Diaye",
# "O'Neil", "D'Souza", "M'Bemba"), not the article or "de" it looks like.
_ELIDED: Final = re.compile(r"(?<!\w)[A-Z][’'](?=[A-Z])")


def _elided(norm: str, words: list[tuple[int, int, str]], keys: list[str],
            stops: list[bool]) -> None:
    for match in _ELIDED.finditer(norm):
        k = bisect_left(words, match.start(), key=itemgetter(0))
        if k < len(words) and words[k][0] == match.start():
            stops[k] = False
            keys[k] = match.group().lower()  # "o'": no cue begins with it ("o cabo")
