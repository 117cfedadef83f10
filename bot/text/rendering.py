"""Degrading a message to what a channel can show, in one place.

Buttons become numbered lines ("2" then picks the second); SMS text avoids
characters that would switch it to the costlier UCS-2 encoding; a long text
becomes the parts the channel's capabilities allow.
"""

from __future__ import annotations

from bot.domain.messages import Outbound
from bot.text.capabilities import Capabilities, Cutting, Rendered
from bot.text.direction import RTL_MARK, is_rtl
from bot.text.segments import gsm_friendly, measure
from bot.text.splitting import sms_bodies, split


def numbered(message: Outbound) -> str:
    """The text with its choices as numbered lines."""
    if not message.choices:
        return message.text
    mark = RTL_MARK if is_rtl(message.language) else ""
    lines = [f"{mark}{i}. {c.label}" for i, c in enumerate(message.choices, start=1)]
    return "\n".join([message.text, *lines]) if message.text else "\n".join(lines)


def render_text(message: Outbound, caps: Capabilities) -> str:
    """The whole text a channel shows: with buttons, the message's own text (its
    choices numbered if it has none); without, the choices as numbered lines."""
    text = message.text if caps.buttons and message.text.strip() else numbered(message)
    if caps.gsm_friendly:
        text = gsm_friendly(text)
    return text


def render(message: Outbound, caps: Capabilities) -> Rendered:
    """``message`` as the parts a channel with ``caps`` sends, and what they cost."""
    text = render_text(message, caps)
    if caps.cutting is Cutting.SEGMENTS:
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
