"""Phone numbers in free text, for :mod:`moderation.anonymise`, in bounded time.

``phonenumbers.PhoneNumberMatcher`` decides what a phone number is (any separators,
local or international form, valid in a region). It costs 20-60 µs for each short
stretch of text and region it reads, and about 3 µs a character on a long one, so a
message made of numbers would hold the event loop for as long as it is long
(docs/performance.md, "Hostile input"). Here it reads only the digit clusters
(:data:`~moderation._patterns.PHONE_HINT_RE`), each with a little of the text around
it, one region after another until the cluster is a phone, skipping the regions whose
numbers are longer than the cluster; and at most :data:`BUDGET` characters in all. A
cluster left over, or too long to be one number, is redacted unchecked, as numbers:
a message never costs more than the budget, and what it could not check is hidden,
not trusted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

import phonenumbers
from phonenumbers import PhoneMetadata

__all__ = ["BUDGET", "find_phones"]

_Span = tuple[int, int, str]

# Characters of windows the matcher may read per message, a window counted once per
# region it is read for, and never less than _MIN_COST: about 1.5 ms at most.
BUDGET: Final = 240
_MIN_COST: Final = 24
# A cluster longer than this is no single number (15 digits, separators between them).
_LONGEST: Final = 64
# What the matcher sees around a cluster: a "+" or "(" and what tells a number from the
# end of a word before it; an extension ("ext. 12") and the next character after it.
_BEFORE: Final = 6
_AFTER: Final = 12
# The numbers in a cluster redacted unchecked: digits with single separators.
_PIECE: Final = re.compile(r"\d(?:[ .-]?+\d)*+")
_DIGITS: Final = "0123456789"


@lru_cache(maxsize=64)
def _shortest(region: str) -> int:
    """The fewest digits a valid number of ``region`` has, written without "+"."""
    metadata = PhoneMetadata.metadata_for_region(region)
    desc = metadata.general_desc if metadata is not None else None
    return min(desc.possible_length if desc is not None else (), default=1)


def find_phones(masked: str, clusters: Sequence[tuple[int, int]],
                regions: Sequence[str]) -> list[_Span]:
    """Spans of the phone numbers in ``masked`` (dates and amounts already hidden) that
    the matcher accepts for one of ``regions``, and of the numbers it had no budget
    for ("number")."""
    found: list[_Span] = []
    budget = BUDGET
    seen: dict[tuple[str, str], list[tuple[int, int]]] = {}  # a number said twice
    for i, (start, end) in enumerate(clusters):
        if budget < _MIN_COST:  # the rest, unchecked, in one go
            for left, right in clusters[i:]:
                found.extend((*m.span(), "number") for m in _PIECE.finditer(masked, left, right))
            break
        lo = _context_start(masked, start, clusters[i - 1][1] if i else 0)
        hi = _context_end(masked, end)
        window = masked[lo:hi]
        digits = sum(map(window.count, _DIGITS)) if "+" not in window else len(window)
        cost = max(len(window), _MIN_COST)
        checked = end - start <= _LONGEST
        for region in regions if checked else ():
            if digits < _shortest(region):
                continue  # too few digits for a number of this region
            phones = seen.get((window, region))
            if phones is None:
                if cost > budget:
                    checked = False
                    break
                budget -= cost
                phones = [(m.start, m.end)
                          for m in phonenumbers.PhoneNumberMatcher(window, region)]
                seen[window, region] = phones
            found.extend((lo + s, lo + e, "phone") for s, e in phones)
            if any(lo + s <= start and end <= lo + e for s, e in phones):
                break
        if not checked:
            found.extend((*m.span(), "number") for m in _PIECE.finditer(masked, start, end))
    return found


def _context_start(text: str, start: int, floor: int) -> int:
    """Where the matcher's view of a cluster begins: not in the previous cluster, nor
    in the middle of a run of digits."""
    lo = max(floor, start - _BEFORE)
    while lo > floor and text[lo - 1].isdigit():
        lo -= 1
    return lo


def _context_end(text: str, end: int) -> int:
    """Where it ends: past an extension, which may be the next cluster's first digits."""
    hi = min(len(text), end + _AFTER)
    while hi < len(text) and text[hi].isdigit():
        hi += 1
    return hi
