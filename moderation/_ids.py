"""ID-document numbers in free text (voter cards, national IDs, passports, refugee and
ration cards), for :mod:`moderation.anonymise`.

Found without a cue: a word of letters and digits with 5+ digits and a letter, a dash
or a dot inside ("PC0458213", "CM89012104XKLP", "48213576X", "KAK-0192-7784",
"386-18032451"), and 1-4 capitals then a space and digit groups ("KSL 884712",
"CR 0091 274"). With an ID cue word before it (``id`` lines of ``data/cues/<lang>.txt``:
"cédula", "kitambulisho", "بطاقة" ...), also digits with dots ("94.512.367"). Dates,
times, amounts with a currency and lists of years are never IDs. Linear: one scan for
words, possessive runs.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Final

from moderation import _patterns as pat
from moderation._name_data import cue_words

__all__ = ["find_ids"]

_Span = tuple[int, int, str]
# A word of letters, digits and single inner dashes or dots; then digit groups after a
# space (taken only after a word of capitals).
_WORD: Final = re.compile(r"(?<![\w./-])[^\W_](?:[^\W_]++|[.-](?=[^\W_]))*+(?![\w-]|[./]\w)")
# Only the words that may be IDs: 1-4 capitals before digits ("KSL 884712"), or 5+
# decimal digits before the word's end; the rest of a text is not visited in Python.
_CANDIDATE: Final = re.compile(
    r"(?<![\w./-])(?=[A-Z]{1,4}[ -]\d|(?:[^\W\d]|[.-])*+\d(?:(?:[^\W\d]|[.-])*+\d){4})"
    + _WORD.pattern.removeprefix(r"(?<![\w./-])"))
_GROUPS: Final = re.compile(r"(?:[ -]\d{2,}+)++(?![\w-]|[./]\w)")
_CAPITALS: Final = re.compile(r"[A-Z]{1,4}")
_DOTTED: Final = re.compile(r"\d{1,3}(?:\.\d{3})+")
_CUE_WINDOW: Final = 24  # characters before an ID where its cue ends


def _has_cue(norm: str, start: int) -> bool:
    before = norm[max(0, start - _CUE_WINDOW):start]
    keys = tuple(pat.fold(t) for t in pat.TOKEN_RE.findall(before))
    cues = cue_words("id")
    return any(keys[k:] in cues for k in range(max(0, len(keys) - 4), len(keys)))


# What a word is, judged from the word alone (a long text says the same words again):
_CAPS, _NOT, _CUED, _ID = "caps", "not", "cued", "id"


def _judge(word: str) -> str:
    """_CAPS: 1-4 capitals, an ID if digit groups follow; _NOT: never an ID; _CUED: an ID
    after an ID cue (digits with dots, 6+ digits alone); _ID: an ID."""
    if _CAPITALS.fullmatch(word):
        return _NOT if (pat.fold(word),) in cue_words("id") else _CAPS
    digits = sum(map(str.isdigit, word))
    if digits < 5 or pat.YEAR_LIST_RE.fullmatch(word):
        return _NOT
    if _DOTTED.fullmatch(word):
        return _CUED
    if word.isdigit():
        return _CUED if digits >= 6 else _NOT
    if not word.replace(".", "").replace("-", "").isdigit() or "-" in word:
        return _ID
    return _NOT


def find_ids(norm: str, protected: list[tuple[int, int]]) -> Iterator[_Span]:
    """Spans of ID-document numbers in ``norm`` (digits ASCII); ``protected``: spans of
    dates, times and amounts, which stay."""
    ends = [end for _, end in protected]  # sorted: the spans are a scan's, apart
    judged: dict[str, str] = {}
    for match in _CANDIDATE.finditer(norm):
        word = match.group()
        kind = judged.get(word)
        if kind is None:
            kind = judged[word] = _judge(word)
        if kind is _NOT:
            continue
        start, end = match.span()
        if kind is _CAPS:
            groups = _GROUPS.match(norm, end)
            if groups and sum(map(str.isdigit, groups.group())) >= 5:
                yield start, groups.end(), "id"
            continue
        at = bisect_right(ends, start)  # the first protected span that ends after start
        if at < len(ends) and protected[at][0] < end:
            continue
        if kind is _ID or _has_cue(norm, start):
            yield start, end, "id"
