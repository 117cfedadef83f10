"""A poll's results: counts and shares per option in full; breakdowns by area,
language, channel, age band and gender (as respondents chose to say: "-" for
those who did not) where every cell with fewer than ``privacy.min_cell``
respondents is suppressed (None), and so is the smallest other cell of its
row when one alone would let a reader subtract it back from the total."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n.catalogue import _
from bot.i18n.formatting import format_count, format_share
from bot.storage.polls import Answer

__all__ = ["BREAKDOWNS", "Results", "summary_lines", "tally", "turnout"]

BREAKDOWNS = ("area", "language", "channel", "age_band", "gender")
Row = dict[str, int | None]  # option key -> count, or None where suppressed


@dataclass(frozen=True)
class Results:
    respondents: int
    counts: tuple[int, ...]  # per option, in full
    breakdowns: dict[str, dict[str, Row]]  # by -> group -> option -> count or None

    def share(self, option: int) -> float:
        return self.counts[option] / self.respondents if self.respondents else 0.0


def suppressed(row: dict[str, int], min_cell: int) -> Row:
    """``row`` with its small cells hidden, and one more when a single hidden cell
    could be computed from the row's total (shown elsewhere: the option counts)."""
    out: Row = {k: (v if v == 0 or v >= min_cell else None) for k, v in row.items()}
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) == 1:
        shown = sorted((v, k) for k, v in out.items() if v)
        if shown:
            out[shown[0][1]] = None  # the smallest shown one goes too
    return out


def tally(answers: Sequence[Answer], options: int, min_cell: int) -> Results:
    counts = Counter(a.option for a in answers)
    full = tuple(counts.get(n, 0) for n in range(1, options + 1))
    breakdowns: dict[str, dict[str, Row]] = {}
    for by in BREAKDOWNS:
        groups: dict[str, Counter[int]] = {}
        for a in answers:
            groups.setdefault(str(getattr(a, by) or "-"), Counter())[a.option] += 1
        table: dict[str, Row] = {}
        for group, c in sorted(groups.items()):
            total = sum(c.values())
            row = {str(n): c.get(n, 0) for n in range(1, options + 1)}
            table[group] = ({k: None for k in row} if total < min_cell
                            else suppressed(row, min_cell))
        hidden_groups = [g for g, r in table.items() if all(v is None for v in r.values())]
        if len(hidden_groups) == 1 and len(table) > 1:  # one hidden group: its complement
            rest = sorted((sum(v or 0 for v in r.values()), g) for g, r in table.items()
                          if g not in hidden_groups)
            table[rest[0][1]] = {k: None for k in table[rest[0][1]]}
        breakdowns[by] = table
    return Results(len(answers), full, breakdowns)


def turnout(respondents: int, audience: int) -> float | None:
    """The share of those asked who answered (None before anyone was asked); at
    most 1, as someone who subscribed after the poll went out may answer it too."""
    return min(1.0, respondents / audience) if audience else None


def summary_lines(question: str, labels: list[str], results: Results, lang: str,
                  audience: int = 0) -> list[str]:
    """The results as a few lines for chat: the question, then each option's count
    and share in ``lang``'s numbers, then the turnout (overall counts: in full;
    breakdowns stay in the CLI's tables)."""
    lines = [f"{question} (n = {format_count(results.respondents, lang)})"]
    for n, label in enumerate(labels):
        lines.append(f"{n + 1}. {label}: {format_count(results.counts[n], lang)} "
                     f"({format_share(results.share(n), lang)})")
    share = turnout(results.respondents, audience)
    if share is not None:
        lines.append(_("Turnout: {answered} of {asked} ({share}).").format(
            answered=format_count(results.respondents, lang),
            asked=format_count(audience, lang), share=format_share(share, lang)))
    return lines
