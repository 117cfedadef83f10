"""The results chart: a valid PNG of the expected width, one bar per option
with its count, in English and in Arabic (letters joined, read right to left),
without a glyph the font lacks."""

from __future__ import annotations

import io
import struct
import warnings
from datetime import UTC, datetime

import pytest

from bot.polls.chart import WIDTH_PX, bar_chart, save_png, shown
from bot.polls.results import tally
from bot.storage.polls import Answer, PollRow

POLL = PollRow(7, datetime.now(UTC), {"en": "Is the water point working?",
                                      "ar": "هل نقطة المياه تعمل؟"},
               ({"en": "Yes", "ar": "نعم"}, {"en": "No", "ar": "لا"},
                {"en": "Sometimes", "ar": "أحيانا"}), ("goma",), None, "open", "Chantal",
               "", 20)
ANSWERS = ([Answer(1, "goma", "en", "sms")] * 9 + [Answer(2, "goma", "ar", "sms")] * 4
           + [Answer(3, "goma", "ar", "whatsapp")] * 2)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_bar_per_option_with_its_count_on_a_valid_png(lang: str) -> None:
    results = tally(ANSWERS, 3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns: fail on it
        fig = bar_chart(POLL, results, lang, "en")
        ax = fig.axes[0]
        assert [round(p.get_width()) for p in ax.patches] == [9, 4, 2]
        texts = [t.get_text() for t in ax.texts]
        assert texts == ["9 (60%)", "4 (27%)", "2 (13%)"]
        out = io.BytesIO()
        save_png(fig, out)
    width, height = png_size(out.getvalue())
    assert width == WIDTH_PX and 200 <= height <= 400
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert list(ax.get_yticks()) == [2, 1, 0]  # the first option highest: on top
    if lang == "ar":
        assert labels[0] == shown("نعم", "ar") != "نعم"  # joined forms, visual order
        assert ax.xaxis_inverted() and ax.get_title(loc="right")
    else:
        assert labels == ["Yes", "No", "Sometimes"]
        assert ax.get_title(loc="left") == "Is the water point working?"


def test_shaping_joins_arabic_letters_and_leaves_latin_alone() -> None:
    joined = shown("نعم", "ar")
    assert all("\ufe70" <= ch <= "\ufeff" for ch in joined)  # presentation forms
    assert shown("Yes", "en") == "Yes"
