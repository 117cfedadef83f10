"""Remove personal data from free text before it is stored.

What is replaced, by placeholder:

* ``[phone]``    numbers ``phonenumbers`` (leniency VALID) accepts for a mission region or
  the sender's own, local or international, any separators, any script's digits;
* ``[id]``       ID-document numbers (:mod:`moderation._ids`); ``[address]`` street
  addresses with a number (:mod:`moderation._addresses`);
* ``[number]``   other runs of 9+ digits, what a phone leaves of such a run (4+ digits),
  and digit clusters beyond what the bounded phone check reads (:mod:`moderation._phones`);
* ``[email]``, ``[link]`` (http/https/www and bare domains), ``[handle]`` (@username);
* ``[location]`` GPS coordinates (decimal pairs, degrees/minutes/seconds, "lat: ...");
* ``[name]``     the sender's channel-given names (whole words, case- and accent-blind),
  words after self-introduction, signature, title and kinship cues in six languages, and
  runs of name-like words from the lexicon (:mod:`moderation._names`); with no cue,
  capitalised words inside the sentences of a mostly lower-case text that are no known
  place, people or organisation, and given names of the lexicon alone
  (:mod:`moderation._lone_names`).

Dates, times and money amounts are recognised first and never turned into ``[number]`` or
``[phone]``. Text without findings is returned as the very same string. Every pattern
runs in time linear in the text (see :mod:`moderation._patterns`) (docs/performance.md).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import InitVar, dataclass

import phonenumbers

from moderation import _name_passes as passes
from moderation import _patterns as pat
from moderation._addresses import find_addresses
from moderation._agreement import subjects
from moderation._ids import find_ids
from moderation._lone_names import lone_names, without_place_names
from moderation._names import find_names
from moderation._phones import find_phones

__all__ = ["KINDS", "Anonymiser", "Redacted", "restored"]

# Every kind of finding, highest priority first: when spans overlap they are merged into
# one placeholder named after the highest-priority kind among them.
KINDS: tuple[str, ...] = (
    "link", "email", "location", "phone", "handle", "id", "address", "number", "name",
)
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}
_ASCII_DIGITS = "0123456789"

_Span = tuple[int, int, str]


_SEAL = object()


@dataclass(frozen=True, slots=True)
class Redacted:
    """Free text after personal data was removed: the only text type storage accepts.

    Only this module makes one: from raw text through :meth:`Anonymiser.redact`,
    or, for text that was redacted before and kept (a report draft in a session),
    through :func:`restored`. ``Redacted(raw)`` anywhere else raises TypeError,
    so un-anonymised text cannot reach the store by mistake."""

    text: str
    kinds: tuple[str, ...] = ()  # sorted unique kinds removed, e.g. ("email", "phone")
    seal: InitVar[object] = None

    def __post_init__(self, seal: object) -> None:
        if seal is not _SEAL:
            raise TypeError("Redacted text comes only from Anonymiser.redact or restored()")


def restored(text: str, kinds: Sequence[str] = ()) -> Redacted:
    """Text that this pipeline redacted earlier and stored, as Redacted again.

    The one way back from storage (a session's draft): never call it on text a
    person typed."""
    return Redacted(text, tuple(sorted(set(kinds))), _SEAL)


class Anonymiser:
    """Finds and replaces personal data in free text; safe to share between tasks."""

    __slots__ = ("_places", "_regions")

    def __init__(self, regions: Sequence[str], places: Sequence[str] = ()) -> None:
        """``regions``: ISO 3166 country codes of the mission, the first being the default.
        ``places``: the mission's own place names (its areas, in every language), kept
        where a capital would make a word a name ("the M23 took Rubaya")."""
        codes: list[str] = []
        for region in regions:
            code = region.strip().upper()
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"unknown phone region {region!r}")
            if code not in codes:
                codes.append(code)
        if not codes:
            raise ValueError("at least one phone region is required")
        self._regions: tuple[str, ...] = tuple(codes)
        self._places = frozenset(pat.fold(word) for place in places
                                 for word in pat.TOKEN_RE.findall(place))

    @property
    def regions(self) -> tuple[str, ...]:
        return self._regions

    def redact(
        self,
        text: str,
        *,
        sender_region: str | None = None,
        known_names: Sequence[str] = (),
    ) -> Redacted:
        """Return ``text`` with personal data replaced by placeholders.

        ``sender_region``: the sender's own country code, if known (unknown codes are
        ignored). ``known_names``: names the channel gave for the sender, e.g. a Telegram
        first and last name or a WhatsApp profile name.
        """
        if not text:
            return Redacted(text, (), _SEAL)
        # One character for one character: offsets in `norm` are offsets in `text`.
        norm = pat.ascii_digits(text)
        spans: list[_Span] = []
        digits = sum(map(norm.count, _ASCII_DIGITS))
        letters = _has_letter(norm)
        # Masking (dates, money) only hides digits: a text without a cluster of digits
        # has none once masked, and every run of 9+ digits lies in a cluster.
        phone_like = digits >= 6 and pat.PHONE_HINT_RE.search(norm) is not None
        # Dates, times and amounts, which stay: read once, for phones and for IDs.
        protected = ([m.span() for m in pat.PROTECTED_RE.finditer(norm)]
                     if phone_like or (digits >= 5 and letters) else [])
        # GPS coordinates first: a phone inside one would be hidden as a location anyway
        # (the higher kind), so the phone matcher is not asked about their digits.
        locations = (list(_locations(norm))
                     if digits >= 4 and ("." in norm or "°" in norm or "," in norm) else [])
        spans.extend(locations)
        if phone_like:
            hidden = sorted([*protected, *((start, end) for start, end, _ in locations)])
            masked = _mask(norm, _union([(start, end, "") for start, end in hidden]))
            clusters = [m.span() for m in pat.PHONE_HINT_RE.finditer(masked)]
            phones = self._phones(masked, clusters, sender_region) if clusters else []
            spans.extend(phones)
            if digits >= 9:
                # Phones found are hidden too, so "0812345678 0998765432" stays two phones.
                spans.extend(_long_numbers(masked, clusters, _union(phones)))
        # Every other finding has a letter; links have "://" or a dot before a letter.
        if letters:
            if "@" in norm:
                spans.extend(_emails(norm))
                spans.extend((*m.span(), "handle") for m in pat.HANDLE_RE.finditer(norm))
            if "://" in norm or pat.URL_HINT_RE.search(norm):
                spans.extend(_links(norm))
            spans.extend(passes.introduced_names(norm))
            spans.extend(find_names(norm))
            if digits >= 1:
                spans.extend(find_addresses(norm))
            if digits >= 5:
                spans.extend(find_ids(norm, protected))
            if known_names:
                names = (known_names,) if isinstance(known_names, str) else tuple(known_names)
                spans.extend(passes.known_names(norm, passes.name_keys(names)))
            # a name two passes found is one span for the passes that read the spans
            spans = list(dict.fromkeys(spans))
            spans.extend(lone_names(norm, spans, self._places))
            spans.extend(subjects(norm, spans))
            spans.extend(passes.joined_names(norm, spans))
        spans = without_place_names(norm, spans)
        if not spans:
            return Redacted(text, (), _SEAL)
        redacted = _replace(text, spans)
        again = passes.repeated_names(norm, spans, redacted.text)
        return _replace(text, spans + again) if again else redacted

    def _phones(self, masked: str, clusters: list[tuple[int, int]],
                sender_region: str | None) -> list[_Span]:
        """Phone numbers valid in any region; dates and amounts are masked beforehand (the
        matcher rejects a whole stretch that contains a date, and "79 000 000 FBu" is a
        valid Burundian number). Bounded: see :mod:`moderation._phones`."""
        regions = self._regions
        if sender_region:
            extra = sender_region.strip().upper()
            if extra not in regions and extra in phonenumbers.SUPPORTED_REGIONS:
                regions = (*regions, extra)
        return find_phones(masked, clusters, regions)


def _has_letter(norm: str) -> bool:
    """Whether the text has a letter (an ASCII text has one if it has a case: faster)."""
    if norm.isascii():
        return norm.lower() != norm.upper()
    return pat.LETTER_RE.search(norm) is not None


def _mask(norm: str, protected: list[tuple[int, int]]) -> str:
    """Hide protected spans (dates, times, money) from phone and digit-run detection."""
    if not protected:
        return norm
    parts: list[str] = []
    pos = 0
    for start, end in protected:
        parts.append(norm[pos:start])
        parts.append("#" * (end - start))
        pos = end
    parts.append(norm[pos:])
    return "".join(parts)


def _union(spans: list[_Span]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping cover of the spans."""
    cover: list[tuple[int, int]] = []
    for start, end, _ in sorted(spans):
        if cover and start <= cover[-1][1]:
            cover[-1] = (cover[-1][0], max(cover[-1][1], end))
        else:
            cover.append((start, end))
    return cover


def _long_numbers(masked: str, clusters: list[tuple[int, int]],
                  phones: list[tuple[int, int]]) -> Iterator[_Span]:
    """Runs of 9+ digits as numbers, less the phones found in them (``phones``: their
    sorted cover), so "0812345678 0998765432" stays two phones. What a phone leaves of a
    run is a number if it has 4 digits or more: the matcher may read a phone inside a
    longer number, and the rest of that number is no less personal. Lists of years
    stay. A run is all digits and single separators, so it lies in a cluster (with the
    "+" before it): only clusters of 9 characters or more are read."""
    starts = [start for start, _ in phones]
    finditer = pat.LONG_NUMBER_RE.finditer
    for left, right in clusters:
        if right - left < 9:
            continue
        at = bisect_right(starts, left) - 1
        if at >= 0 and phones[at][1] >= right:
            continue  # all phones or numbers already: nothing of 4 digits is left
        if left and masked[left - 1] == "+":
            left -= 1
        for match in finditer(masked, left, right):
            start, end = match.span()
            pos = start
            for k in range(max(bisect_right(starts, start) - 1, 0), len(phones)):
                s, e = phones[k]  # (not a slice: a copy of the rest per match)
                if s >= end:
                    break
                if e > pos:
                    yield from _number_piece(masked, pos, s)
                    pos = e
            yield from _number_piece(masked, pos, end)


def _number_piece(masked: str, start: int, end: int) -> Iterator[_Span]:
    """``masked[start:end]`` (part of a run of digits) as a number, without the
    separators at its ends, unless it has fewer than 4 digits or is a list of years."""
    piece = masked[start:end]
    body = piece.strip(" .-")
    if sum(ch.isdigit() for ch in body) >= 4 and not pat.YEAR_LIST_RE.fullmatch(body):
        first = start + piece.index(body)
        yield first, first + len(body), "number"


_LAT_LON = (pat.LOCATION_RE.groupindex["lat"], pat.LOCATION_RE.groupindex["lon"])


def _is_place(lat: str, lon: str) -> bool:
    """Whether a pair of decimals (both given) is a place: in range, and if unsigned,
    3+ decimals each and not 3 each ("1.200, 3.500" are amounts, not places)."""
    if lat[0].isdigit() and lon[0].isdigit():
        lat_decimals = len(lat) - lat.index(".") - 1
        lon_decimals = len(lon) - lon.index(".") - 1
        if min(lat_decimals, lon_decimals) < 3 or lat_decimals == lon_decimals == 3:
            return False
    return abs(float(lat)) <= 90 and abs(float(lon)) <= 180


def _locations(norm: str) -> Iterator[_Span]:
    """GPS coordinates. When the first match is a place, one scan, each distinct pair of
    decimals judged once; else a findall first (no match object per match: a text of
    amounts that look like pairs, every few characters, has no place and no second
    scan), then a scan only if some pair was a place. Groups that took no part are ""
    in findall (a pair's never are)."""
    first = pat.LOCATION_RE.search(norm)
    if first is None:
        return
    if first.lastindex is None or _is_place(*first.group(*_LAT_LON)):
        judged: dict[tuple[str, ...], bool] = {}
        for match in pat.LOCATION_RE.finditer(norm, first.start()):
            if match.lastindex is not None:
                pair: tuple[str, ...] = match.group(*_LAT_LON)
                place = judged.get(pair)
                if place is None:
                    place = judged[pair] = _is_place(*pair)
                if not place:
                    continue
            yield match.start(), match.end(), "location"
        return
    pairs = set(pat.LOCATION_RE.findall(norm, first.end()))
    places = {pair for pair in pairs if not pair[0] or _is_place(*pair)}
    if not places:
        return
    for match in pat.LOCATION_RE.finditer(norm, first.end()):
        if match.lastindex is None or match.group(*_LAT_LON) in places:
            yield match.start(), match.end(), "location"


def _emails(norm: str) -> Iterator[_Span]:
    """Addresses, left to right as a regex scan would find them: each "@" a domain
    follows, with the up to 64 characters of a local part before it (not reaching
    into the previous address; none, and it is no address)."""
    reverse = norm[::-1]
    size = len(norm)
    done = 0  # where the last address ended
    for domain in pat.EMAIL_DOMAIN_RE.finditer(norm):
        at = domain.start()
        local = pat.EMAIL_LOCAL_RE.match(reverse, size - at, size - done)
        if local:
            yield at - (local.end() - local.start()), domain.end(), "email"
            done = domain.end()


def _links(norm: str) -> Iterator[_Span]:
    for match in pat.URL_RE.finditer(norm):
        start, end = match.span()
        while end > start and norm[end - 1] in pat.URL_TRAILING:
            end -= 1
        if end > start:
            yield start, end, "link"


_PLACEHOLDERS = {kind: f"[{kind}]" for kind in KINDS}


def _replace(text: str, spans: list[_Span]) -> Redacted:
    """Merge overlapping spans (and names split by a space or hyphen), then substitute."""
    spans.sort()
    gap = pat.NAME_GAP_RE.fullmatch
    priority = _PRIORITY
    parts: list[str] = []
    kinds: set[str] = set()
    pos = 0  # end of the text given so far
    rest = iter(spans)
    m_start, m_end, m_kind = next(rest)
    for start, end, kind in rest:
        if start < m_end:
            if priority[kind] < priority[m_kind]:
                m_kind = kind
            if end > m_end:
                m_end = end
            continue
        if kind == m_kind == "name" and start - m_end <= 3 and gap(text, m_end, start):
            m_end = end
            continue
        parts.append(text[pos:m_start])
        parts.append(_PLACEHOLDERS[m_kind])
        kinds.add(m_kind)
        pos = m_end
        m_start, m_end, m_kind = start, end, kind
    parts.append(text[pos:m_start])
    parts.append(_PLACEHOLDERS[m_kind])
    kinds.add(m_kind)
    parts.append(text[m_end:])
    return Redacted("".join(parts), tuple(sorted(kinds)), _SEAL)
