"""Degrading a message to what a channel can show, in one place.

Buttons become numbered lines ("2" then picks the second); SMS text avoids
characters that would switch it to the costlier UCS-2 encoding; a long text
becomes the parts the channel's capabilities allow.
"""

from __future__ import annotations

from bot.domain.messages import Outbound
from bot.text.capabilities import Capabilities, Cutting, Rendered
from bot.text.direction import RTL_MARK, is_rtl, isolate
from bot.text.segments import Encoding, gsm_friendly, is_gsm7, measure, units
from bot.text.splitting import sms_bodies, split


def numbered(message: Outbound) -> str:
    """The text with its choices as numbered lines."""
    if not message.choices:
        return message.text
    mark = RTL_MARK if is_rtl(message.language) else ""
    lines = [f"{mark}{c.shown_number(i)}. {c.label}"
             for i, c in enumerate(message.choices, start=1)]
    return "\n".join([message.text, *lines]) if message.text else "\n".join(lines)


def _shown(message: Outbound, caps: Capabilities) -> str:
    text = message.text if caps.buttons and message.text.strip() else numbered(message)
    return isolate(text) if is_rtl(message.language) else text


def render_text(message: Outbound, caps: Capabilities) -> str:
    """The whole text a channel shows: with buttons, the message's own text (its
    choices numbered if it has none); without, the choices as numbered lines.
    Right-to-left text has its left-to-right pieces isolated."""
    text = _shown(message, caps)
    return gsm_friendly(text) if caps.gsm_friendly else text


MAX_LINES = 40  # a longer text is not searched for a cheaper cut


def cheapest_bodies(text: str, limit: int) -> list[str] | None:
    """``text`` cut at line breaks into SMS bodies billed fewer segments in all
    than the whole, or None. One line in a script outside GSM-7 (an Arabic
    language name in the language menu) makes a whole message UCS-2, at 70
    characters a segment instead of 160: sent as bodies of their own, the
    lines that can be GSM-7 stay GSM-7. Fewest segments, then fewest bodies,
    then the fewest characters in UCS-2 bodies (only the other script's lines
    there, the rest read together); each body at most ``limit`` units."""
    whole = gsm_friendly(text)
    if is_gsm7(whole) or units(text) > limit:
        return None
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        return None
    # best[j]: (segments, bodies, UCS-2 units, where the last body starts) for the
    # first j lines
    best: list[tuple[int, int, int, int] | None] = [(0, 0, 0, 0)] + [None] * len(lines)
    for j in range(1, len(lines) + 1):
        for i in range(j):
            before = best[i]
            body = gsm_friendly("\n".join(lines[i:j]))
            if before is None or not body.strip() or units(body) > limit:
                continue
            size = measure(body)
            wide = size.units if size.encoding is Encoding.UCS2 else 0
            cost = (before[0] + size.segments, before[1] + 1, before[2] + wide, i)
            current = best[j]
            if current is None or cost[:3] < current[:3]:
                best[j] = cost
    end = best[-1]
    if end is None or end[0] >= measure(whole).segments:
        return None
    bodies: list[str] = []
    j = len(lines)
    while j > 0:
        step = best[j]
        assert step is not None
        bodies.append(gsm_friendly("\n".join(lines[step[3]:j])))
        j = step[3]
    return bodies[::-1]


def render(message: Outbound, caps: Capabilities) -> Rendered:
    """``message`` as the parts a channel with ``caps`` sends, and what they cost."""
    shown = _shown(message, caps)  # numbered and isolated once per send
    text = gsm_friendly(shown) if caps.gsm_friendly else shown
    cheaper = (cheapest_bodies(shown, caps.max_chars)
               if caps.billed_by_segment and caps.gsm_friendly else None)
    if cheaper is not None:
        parts = cheaper
    elif caps.cutting is Cutting.SEGMENTS:
        parts = sms_bodies(text, caps.max_chars) or [text]
    else:
        parts = split(text, caps.max_chars) or [text]
    if caps.billed_by_segment:
        # each body is billed on its own (its own encoding): the cost is their sum
        part_segments = tuple(max(1, measure(part).segments) for part in parts)
        segments = sum(part_segments)
    else:
        part_segments = (1,) * len(parts)
        segments = len(parts)
    return Rendered(text, tuple(parts), part_segments, segments)
