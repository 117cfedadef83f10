"""What a medium can show, and a message as one channel sends it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Capabilities", "Cutting", "Rendered"]


class Cutting(StrEnum):
    """How a text too long for one message is cut into parts."""

    UNITS = "units"  # anywhere a word ends, within max_chars UTF-16 units
    SEGMENTS = "segments"  # whole SMS segments grouped up to max_chars units


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a medium can show: the renderer degrades to what is missing.

    ``max_chars``: UTF-16 units per part. ``billed_by_segment``: the provider
    bills (and throttles) SMS segments. ``gsm_friendly``: characters that would
    force UCS-2 are replaced where the text can stay GSM-7. ``images``: it can
    show a picture (:attr:`~bot.domain.messages.Outbound.image`) with the text;
    elsewhere the text goes alone."""

    buttons: bool = False
    images: bool = False
    max_chars: int = 4096
    cutting: Cutting = Cutting.UNITS
    billed_by_segment: bool = False
    gsm_friendly: bool = False


@dataclass(frozen=True, slots=True)
class Rendered:
    """An :class:`Outbound` as one channel sends it, rendered once per send.

    ``parts``: the texts to send in order (at least one); ``part_segments``:
    the SMS segments of each; ``segments``: what the whole send is billed, their
    sum (the cost a segment-billed sender is throttled by)."""

    text: str
    parts: tuple[str, ...]
    part_segments: tuple[int, ...]
    segments: int
