"""Cutting a long text into the parts a channel sends (pure functions, no I/O).

One cutter for every channel: the text becomes atoms (a character with the
marks, modifiers and joiners that belong to it, so a surrogate pair, a GSM-7
extension character or an emoji sequence is never split), then parts of at
most a given length, measured in UTF-16 units or GSM-7 septets, cut where a
paragraph, else a line, else a word ends in the second half of a part, else
at the last space, else hard. Whitespace at a cut is dropped; nothing else is
lost or changed.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import cache
from itertools import accumulate, pairwise
from operator import methodcaller

from bot.text.segments import ELLIPSIS, GSM7_EXTENSION, LIMITS, Encoding, measure, units

__all__ = ["sms_bodies", "sms_segments", "split"]


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _joins(text: str, start: int, i: int) -> bool:
    """Whether ``text[i]`` must stay with the atom ``text[start:i]`` (marks, ZWJ
    sequences, modifiers, flags)."""
    ch = text[i]
    cp = ord(ch)
    return (
        unicodedata.category(ch) in _MARKS  # combining marks, incl. variation selectors
        or ch == "\u200d"
        or text[i - 1] == "\u200d"
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences
        or (_is_regional_indicator(ch) and i - start == 1 and _is_regional_indicator(text[start]))
    )


_MARKS = ("Mn", "Mc", "Me")
_UTF16 = methodcaller("encode", "utf-16-le", "surrogatepass")
# Where the Unicode database has combining marks: up to U+1FFFF, and the variation
# selectors supplement (U+E0100-U+E01EF); a test checks the whole range.
_MARK_PLANES = (range(0x300, 0x20000), range(0xE0000, 0xE1000))


@cache
def _atom() -> re.Pattern[str]:
    """An atom as :func:`_joins` makes them, as one pattern: a pair of regional
    indicators or any character, then marks, joiners, modifiers and tags, and the
    character after each joiner (made once, on first use: 12 ms). The marks of the
    Basic Multilingual Plane are a class of their own, tested in one step; the others
    only for a character beyond it."""
    bmp: list[str] = []
    astral: list[str] = []
    last_mark = 0x10000  # the last mark beyond the plane and below the tags' block
    for plane in _MARK_PLANES:
        start = -1
        for cp in (*plane, plane.stop):
            mark = cp < plane.stop and unicodedata.category(chr(cp)) in _MARKS
            if mark and start < 0:
                start = cp
            elif not mark and start >= 0:
                (bmp if cp <= 0x10000 else astral).append(f"{chr(start)}-{chr(cp - 1)}")
                if 0x10000 < cp <= 0xE0000:
                    last_mark = cp - 1
                start = -1
    ri = "[\U0001F1E6-\U0001F1FF]"
    # Which characters beyond the plane may join at all, as three ranges: the astral
    # class is a list of ranges tried in turn, and an emoji (past the last mark below
    # the tags' block) fails it in one test of this gate instead of all of them.
    gate = (f"[\U00010000-{chr(last_mark)}\U0001F3FB-\U0001F3FF"
            "\U000E0000-\U000E0FFF]")
    return re.compile(
        f"(?:{ri}{ri}|.)(?:[{''.join(bmp)}\u200d]"
        f"|(?={gate})[{''.join(astral)}\U0001F3FB-\U0001F3FF"
        "\U000E0020-\U000E007F]|(?<=\u200d).)*", re.DOTALL)


class _Atoms:
    """``text`` as indivisible pieces of at most ``cap`` units, with their running length."""

    __slots__ = ("atoms", "prefix")

    def __init__(self, text: str, encoding: Encoding, cap: int) -> None:
        found = list(text) if text.isascii() else _atom().findall(text)
        # each distinct atom measured once: a text repeats its characters
        if encoding is Encoding.GSM7:
            size_of = {atom: (2 if atom in GSM7_EXTENSION else 1) if len(atom) == 1
                       else units(atom, encoding) for atom in dict.fromkeys(found)}
        elif len(found) == len(text):  # a character each
            size_of = {atom: 2 if atom > "\uffff" else 1 for atom in dict.fromkeys(found)}
        else:
            size_of = {atom: len(_UTF16(atom)) // 2 for atom in dict.fromkeys(found)}
        sizes = list(map(size_of.__getitem__, found))
        if max(sizes, default=0) > cap:  # a run of marks longer than a part
            found, sizes = _capped(text, found, sizes, encoding, cap)
        self.atoms = found
        self.prefix = [0, *accumulate(sizes)]

    def skip_space(self, i: int) -> int:
        atoms = self.atoms
        while i < len(atoms) and atoms[i].isspace():
            i += 1
        return i

    def cut(self, pos: int, limit: int) -> int:
        """End index (exclusive) of the part starting at ``pos`` that fits ``limit``
        units. ``atoms[pos]`` is assumed to fit."""
        atoms, prefix = self.atoms, self.prefix
        end = max(bisect_right(prefix, prefix[pos] + limit) - 1, pos + 1)
        best = [0, 0, 0]  # the last paragraph break, line break, space in the second half
        for k in range(min(end, len(atoms) - 1), pos, -1):
            if not atoms[k].isspace() or atoms[k - 1].isspace():
                continue  # not where a run of whitespace starts
            if prefix[k] - prefix[pos] < limit // 2:
                return next((b for b in best if b), k)
            breaks = "".join(atoms[k:self.skip_space(k)]).count("\n")
            rank = 0 if breaks >= 2 else 1 if breaks else 2
            best[rank] = best[rank] or k
        return next((b for b in best if b), end)

    def text(self, start: int, end: int) -> str:
        return "".join(self.atoms[start:end])


def _capped(text: str, found: list[str], sizes: list[int], encoding: Encoding,
            cap: int) -> tuple[list[str], list[int]]:
    """The atoms with those over ``cap`` units cut greedily: every character of an
    atom but its first joins it, so a character that does not fit starts the next
    piece. One case reaches past the atom: a last piece that is a lone regional
    indicator pairs with one that follows, and the rest is cut a character at a time."""
    atoms: list[str] = []
    out: list[int] = []
    offset = 0
    for atom, size in zip(found, sizes, strict=True):
        if size <= cap:
            atoms.append(atom)
            out.append(size)
        else:
            pieces, piece_sizes = _greedy(atom, encoding, cap)
            atoms += pieces
            out += piece_sizes
            last = offset + len(atom) - len(pieces[-1])
            after = offset + len(atom)
            if len(pieces[-1]) == 1 and _is_regional_indicator(pieces[-1]) and \
                    after < len(text) and _is_regional_indicator(text[after]):
                rest, rest_sizes = _one_by_one(text[last:], encoding, cap)
                return atoms[:-1] + rest, out[:-1] + rest_sizes
        offset += len(atom)
    return atoms, out


def _greedy(atom: str, encoding: Encoding, cap: int) -> tuple[list[str], list[int]]:
    """``atom`` in pieces of at most ``cap`` units, each as long as fits."""
    if units(atom, encoding) == len(atom):  # a unit each: slices
        pieces = [atom[i:i + cap] for i in range(0, len(atom), cap)]
        return pieces, [len(piece) for piece in pieces]
    ends = list(accumulate(units(ch, encoding) for ch in atom))
    pieces, piece_sizes = [], []
    start, done = 0, 0  # a piece's first character, and the units before it
    while start < len(atom):
        stop = max(bisect_right(ends, done + cap), start + 1)
        pieces.append(atom[start:stop])
        piece_sizes.append(ends[stop - 1] - done)
        start, done = stop, ends[stop - 1]
    return pieces, piece_sizes


def _one_by_one(text: str, encoding: Encoding, cap: int) -> tuple[list[str], list[int]]:
    """The atoms and their units, a character at a time, as :func:`_joins` decides."""
    starts: list[int] = []
    sizes: list[int] = []
    for i, ch in enumerate(text):
        size = units(ch, encoding)
        if starts and _joins(text, starts[-1], i) and sizes[-1] + size <= cap:
            sizes[-1] += size
        else:
            starts.append(i)
            sizes.append(size)
    bounds = [*starts, len(text)]
    return [text[a:b] for a, b in pairwise(bounds)], sizes


def split(text: str, limit: int, encoding: Encoding = Encoding.UCS2) -> list[str]:
    """``text`` in parts of at most ``limit`` units (UTF-16 by default): ``[text]``
    if it fits, ``[]`` if empty, else cut as the module says."""
    if units(text, encoding) <= limit:
        return [text] if text else []
    return [p for p in _cut_all(_Atoms(text, encoding, limit), limit) if p.strip()]


def _cut_all(atoms: _Atoms, limit: int, *, most: int | None = None,
             ellipsis: str = "", last_limit: int = 0) -> list[str]:
    """Cut ``atoms`` into parts of ``limit`` units. With ``most``, the part that
    would be the last allowed one while text remains is cut at ``last_limit``
    and ends with ``ellipsis``, and no part follows."""
    parts: list[str] = []
    pos = 0
    while pos < len(atoms.atoms):
        if atoms.prefix[-1] - atoms.prefix[pos] <= limit:
            parts.append(atoms.text(pos, len(atoms.atoms)))
            break
        if most is not None and len(parts) == most - 1:
            parts.append(atoms.text(pos, atoms.cut(pos, last_limit)).rstrip() + ellipsis)
            break
        end = atoms.cut(pos, limit)
        part = atoms.text(pos, end).rstrip()
        if part:
            parts.append(part)
        pos = atoms.skip_space(end)
    return parts


def sms_segments(text: str, max_segments: int | None = None) -> list[str]:
    """Split text into the parts of a concatenated SMS as a phone would show them.

    Each chunk fits one segment of a concatenated message in the encoding of the whole
    text (153 septets or 67 UTF-16 units); a text that fits a single SMS (160 / 70) is
    returned as ``[text]``, an empty text as ``[]``.

    With ``max_segments``, a text needing more chunks is truncated at a word boundary and
    its last chunk ends with "..." (GSM-7) or "…" (UCS-2), all within ``max_segments``
    (a single truncated chunk may use the whole 160 / 70 of a lone SMS).
    """
    if max_segments is not None and max_segments < 1:
        raise ValueError(f"max_segments must be >= 1, got {max_segments}")
    info = measure(text)
    if info.segments <= 1:
        return [text] if text else []
    single, multi = LIMITS[info.encoding]
    ellipsis = ELLIPSIS[info.encoding]
    atoms = _Atoms(text, info.encoding, multi - units(ellipsis, info.encoding))
    last = (single if max_segments == 1 else multi) - units(ellipsis, info.encoding)
    return _cut_all(atoms, multi, most=max_segments, ellipsis=ellipsis, last_limit=last)


def sms_bodies(text: str, limit: int) -> list[str]:
    """``text`` as messages of at most ``limit`` UTF-16 units, each made of whole
    SMS segments (:func:`sms_segments`) grouped greedily, keeping the original
    spacing inside each message: one if it fits, none if empty (or, too long for
    one, only whitespace)."""
    if units(text) <= limit:
        return [text] if text else []
    spans: list[tuple[int, int]] = []
    for part in sms_segments(text):  # each part is a substring of text, in order
        start = text.index(part, spans[-1][1] if spans else 0)
        spans.append((start, start + len(part)))
    if not spans:  # only whitespace: nothing worth a message
        return []
    bodies: list[str] = []
    first, last = spans[0]
    size = units(text[first:last])
    for start, end in spans[1:]:
        more = units(text[last:end])  # the space dropped at the cut, and the next segment
        if size + more <= limit:
            last, size = end, size + more
        else:
            bodies.append(text[first:last])
            first, last, size = start, end, units(text[start:end])
    bodies.append(text[first:last])
    return bodies
