"""Degrading a message to what a channel can show, in one place.

Buttons become numbered lines ("2" then picks the second); SMS text avoids
characters that would switch it to the costlier UCS-2 encoding.
"""

from __future__ import annotations

from bot.domain.messages import Outbound
from bot.text.direction import RTL_MARK, is_rtl
from bot.text.segments import gsm_friendly
from bot.transport.channel import Capabilities


def numbered(message: Outbound) -> str:
    """The text with its choices as numbered lines."""
    if not message.choices:
        return message.text
    mark = RTL_MARK if is_rtl(message.language) else ""
    lines = [f"{mark}{i}. {c.label}" for i, c in enumerate(message.choices, start=1)]
    return "\n".join([message.text, *lines]) if message.text else "\n".join(lines)


def render_text(message: Outbound, caps: Capabilities) -> str:
    """The text a channel without buttons (or with, for the body) should send."""
    text = message.text if caps.buttons else numbered(message)
    if caps.sms:
        text = gsm_friendly(text)
    return text
