"""Which way a language is written: right-to-left text needs marks to read correctly."""

from __future__ import annotations

from functools import cache

from babel import Locale

RTL_MARK = "\u200f"


@cache
def is_rtl(lang: str) -> bool:
    """Whether ``lang`` is written right to left (Arabic): Babel knows."""
    return Locale.parse(lang).character_order == "right-to-left"
