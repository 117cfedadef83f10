"""Choices as an inline keyboard under a message."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.messages import Choice

__all__ = ["MAX_CALLBACK_BYTES", "keyboard"]

MAX_CALLBACK_BYTES = 64


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row, labelled "N. label" so that typing N obviously works too.
    A key over Telegram's 64 bytes of callback_data is sent as "#N" instead."""
    if not choices:
        return None
    rows = []
    for place, choice in enumerate(choices, start=1):
        number = choice.shown_number(place)
        size = len(choice.key.encode("utf-8"))
        data = choice.key if 0 < size <= MAX_CALLBACK_BYTES else f"#{number}"
        rows.append([InlineKeyboardButton(f"{number}. {choice.label}", callback_data=data)])
    return InlineKeyboardMarkup(rows)
