"""A poll's results as a bar chart (matplotlib, no display): one horizontal bar
per option, its count and share written on it, the question as the title and
the respondents under it, in one language. Right-to-left scripts (Arabic) are
shaped and put in visual order first, and their bars grow from the right, so
the chart reads as its language does. Overall counts only: they are shown in
full everywhere; breakdowns, with their suppressed cells, stay in the tables.

Drawn with matplotlib's object API (a :class:`Figure` of its own, no pyplot
state), so that :func:`chart_png` may run in a worker thread, off the loop."""

from __future__ import annotations

import io
import textwrap
from typing import IO

import arabic_reshaper
from bidi.algorithm import get_display
from matplotlib.figure import Figure

from bot.flows.poll import localised
from bot.i18n.formatting import format_count, format_share
from bot.polls.results import Results
from bot.storage.polls import PollRow
from bot.text.direction import is_rtl

__all__ = ["WIDTH_PX", "bar_chart", "chart_png", "save_png", "shown"]

WIDTH_PX = 900
DPI = 100


def shown(text: str, lang: str) -> str:
    """``text`` as matplotlib must draw it to be read in ``lang``."""
    return get_display(arabic_reshaper.reshape(text)) if is_rtl(lang) else text


def bar_chart(poll: PollRow, results: Results, lang: str, default: str) -> Figure:
    rtl = is_rtl(lang)
    labels = [shown(localised(o, lang, default), lang) for o in poll.options]
    height = 1.6 + 0.55 * len(labels)
    fig = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI)
    ax = fig.subplots()
    rows = list(range(len(labels)))[::-1]  # the first option on top
    bars = ax.barh(rows, results.counts, color="#2b6cb0", height=0.6)
    ax.set_yticks(rows, labels)
    top = max(results.counts, default=0) or 1
    ax.set_xlim(0, top * 1.25)
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()
    for bar, n in zip(bars, results.counts, strict=True):
        share = format_share(n / results.respondents if results.respondents else 0.0, lang)
        ax.annotate(f"{format_count(n, lang)} ({share})",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(-6 if rtl else 6, 0), textcoords="offset points",
                    va="center", ha="right" if rtl else "left")
    title = "\n".join(textwrap.wrap(localised(poll.question, lang, default), 70))
    ax.set_title(shown(title, lang), loc="right" if rtl else "left")
    ax.set_xlabel(f"n = {format_count(results.respondents, lang)}")
    for side in ("top", "right" if not rtl else "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def save_png(fig: Figure, out: str | IO[bytes]) -> None:
    fig.savefig(out, format="png", dpi=DPI)


def chart_png(poll: PollRow, results: Results, lang: str, default: str) -> bytes:
    """The chart as PNG bytes (a photo to send)."""
    out = io.BytesIO()
    save_png(bar_chart(poll, results, lang, default), out)
    return out.getvalue()
