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

import unicodedata
from bisect import bisect_right

from bot.text.segments import ELLIPSIS, LIMITS, Encoding, measure, units

__all__ = ["sms_bodies", "sms_segments", "split"]


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _joins(prev: str, ch: str) -> bool:
    """Whether ``ch`` must stay with the atom ``prev`` (marks, ZWJ sequences, modifiers, flags)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")  # combining marks, incl. variation sel.
        or ch == "\u200d"
        or prev[-1] == "\u200d"
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences
        or (_is_regional_indicator(ch) and len(prev) == 1 and _is_regional_indicator(prev))
    )


class _Atoms:
    """``text`` as indivisible pieces of at most ``cap`` units, with their running length."""

    __slots__ = ("atoms", "prefix")

    def __init__(self, text: str, encoding: Encoding, cap: int) -> None:
        atoms: list[str] = []
        for ch in text:
            if atoms and _joins(atoms[-1], ch) and units(atoms[-1] + ch, encoding) <= cap:
                atoms[-1] += ch
            else:
                atoms.append(ch)
        prefix = [0]
        for atom in atoms:
            prefix.append(prefix[-1] + units(atom, encoding))
        self.atoms = atoms
        self.prefix = prefix

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
    for start, end in spans[1:]:
        if units(text[first:end]) <= limit:
            last = end
        else:
            bodies.append(text[first:last])
            first, last = start, end
    bodies.append(text[first:last])
    return bodies
