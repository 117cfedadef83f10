"""Phone numbers in free text, for :mod:`moderation.anonymise`, in bounded time.

``phonenumbers.PhoneNumberMatcher`` decides what a phone number is (any separators,
local or international form, valid in a region). It parses each group of digits it
reads, some 10-20 µs each, so a message made of numbers would hold the event loop for
as long as it is long (docs/performance.md, "Hostile input"). Here it reads only the
digit clusters (:data:`~moderation._patterns.PHONE_HINT_RE`), each with a little of
the text around it, one region after another until the cluster is a phone, skipping
the regions whose numbers are longer than the cluster; and at most :data:`BUDGET`
groups of digits in all (counted once per region read). A cluster left over, or too
long to be one number, is redacted unchecked, as numbers: a message never costs more
than the budget, and what could not be checked is hidden, not trusted. The same
cluster in the same context is read once per message.
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

# Groups of digits the matcher may read per message, a window's counted once per region
# it is read for: 0.6 ms at most. A phone number has one to four ("0812345678",
# "+243 81 234 5678"), so this checks eight to thirty-two of them.
BUDGET: Final = 32
# A cluster longer than this is no single number (15 digits, separators between them).
_LONGEST: Final = 64
# What the matcher sees around a cluster: a "+" or "(" and what tells a number from the
# end of a word before it; an extension ("ext. 12") and the next character after it.
_BEFORE: Final = 6
_AFTER: Final = 12
# The numbers in a cluster redacted unchecked: digits with single separators.
_PIECE: Final = re.compile(r"\d(?:[ .-]?+\d)*+")
_DIGITS: Final = "0123456789"
_GROUP: Final = re.compile(r"\d++")
_UNSEEN: Final[list[tuple[int, int]]] = []  # a window not read yet (compared by identity)


@lru_cache(maxsize=64)
def _national(region: str) -> tuple[re.Pattern[str] | None, str]:
    """The pattern every valid national number of ``region`` matches, and its national
    prefix ("0")."""
    metadata = PhoneMetadata.metadata_for_region(region)
    desc = metadata.general_desc if metadata is not None else None
    pattern = desc.national_number_pattern if desc is not None else None
    prefix = (metadata.national_prefix or "") if metadata is not None else ""
    return (re.compile(pattern) if pattern else None), prefix


def _likely_first(regions: Sequence[str], cluster: str) -> list[str]:
    """``regions`` with those whose numbers look like the cluster's digits first (the
    region's national pattern, with or without its national prefix): the one that reads
    the cluster as a phone is most often asked first. The order changes no finding: a
    region is read until one covers the cluster, and what one finds inside a cover is
    hidden by it."""
    digits = "".join(ch for ch in cluster if ch.isdigit())
    likely: list[str] = []
    rest: list[str] = []
    for region in regions:
        pattern, prefix = _national(region)
        number = digits[len(prefix):] if prefix and digits.startswith(prefix) else digits
        (likely if pattern is not None and pattern.fullmatch(number) else rest).append(region)
    return likely + rest


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
    # What a window was found to hold, by the window and where its cluster lies in it
    # (a number said twice is read once): spans in the window, or None (unchecked).
    seen: dict[tuple[str, int, int], list[tuple[int, int]] | None] = {}
    size = len(masked)
    group, piece, whole = _GROUP.match, _PIECE.finditer, _PIECE.fullmatch
    floor = 0  # where the previous cluster ended
    for i, (start, end) in enumerate(clusters):
        if budget <= 0:  # the rest, unchecked, in one go
            for left, right in clusters[i:]:
                found.extend(_unchecked(masked, left, right))
            break
        if end - start > _LONGEST:  # no single number: unchecked, nothing read
            found.append((start, end, "number"))
            floor = end
            continue
        # The window (inlined, for the thousands of clusters of a hostile text): from
        # _BEFORE characters before, not in the previous cluster nor in a run of digits,
        # to _AFTER characters after and the run of digits there (an extension).
        lo = start - _BEFORE
        if lo <= floor:
            lo = floor
        else:
            while lo > floor and masked[lo - 1].isdigit():
                lo -= 1
        hi = end + _AFTER
        if hi >= size:
            hi = size
        elif masked[hi].isdecimal() and (run := group(masked, hi)):  # what \d matches
            hi = run.end()
        floor = end
        key = (masked[lo:hi], start - lo, end - lo)
        phones = seen.get(key, _UNSEEN)
        if phones is _UNSEEN:
            phones, budget = _read(key[0], start - lo, end - lo, regions, budget)
            seen[key] = phones
        if phones is None:  # unchecked (not too long: see above), most often one piece
            if whole(masked, start, end):
                found.append((start, end, "number"))
            else:
                found.extend([(*m.span(), "number") for m in piece(masked, start, end)])
        elif phones:
            found.extend((lo + s, lo + e, "phone") for s, e in phones)
    return found


def _unchecked(masked: str, start: int, end: int) -> list[_Span]:
    """A cluster no region was asked about, as numbers: each run of digits with single
    separators in one short enough to be a number or two, a longer one whole."""
    if end - start > _LONGEST:
        return [(start, end, "number")]
    return [(*m.span(), "number") for m in _PIECE.finditer(masked, start, end)]


def _read(window: str, start: int, end: int, regions: Sequence[str],
          budget: int) -> tuple[list[tuple[int, int]] | None, int]:
    """The phones in ``window`` whose cluster is ``window[start:end]``, region after
    region until one covers the cluster, and the budget left; None if the cluster is
    too long to be a number or the budget ran out before every region was read."""
    if end - start > _LONGEST:
        return None, budget
    digits = sum(map(window.count, _DIGITS)) if "+" not in window else len(window)
    cost = len(_GROUP.findall(window))
    phones: list[tuple[int, int]] = []
    for region in _likely_first(regions, window[start:end]) if len(regions) > 1 else regions:
        if digits < _shortest(region):
            continue  # too few digits for a number of this region
        if cost > budget:
            return None, budget
        budget -= cost
        found = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(window, region)]
        phones.extend(found)
        if any(s <= start and end <= e for s, e in found):
            break
    return phones, budget
