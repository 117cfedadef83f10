"""Evaluate the abuse and spam detector on tests/data/abuse.jsonl (issue 13).

Recall: share of abusive/spam lines flagged. False alarm: share of the other lines
flagged; violence reports (a "why" naming violence) are counted apart, as their false
alarms must be none. Per language, for split tune and heldout.

Run: python tools/eval_abuse.py [--split tune|heldout] [--speed]
(prints both splits, then the tune split's errors; held-out errors are not shown, so
that nobody tunes on them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moderation.abuse import assess_abuse

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "abuse.jsonl"


def load(split: str | None = None) -> list[dict[str, Any]]:
    """The labelled lines of ``split`` ("tune", "heldout", or None for all)."""
    rows = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if split is None or r["split"] == split]


def is_violence_report(row: dict[str, Any]) -> bool:
    """A negative line reporting violence or sexual violence (its "why" says so)."""
    return not row["abusive"] and ("violence" in row["why"] or "abuse report" in row["why"])


def _ratio(hit: int, total: int) -> float:
    return round(hit / total, 4) if total else 0.0


def abuse_figures(split: str | None = None,
                  errors: list[str] | None = None) -> dict[str, Any]:
    """Recall, false alarms (all negatives and violence reports), ``n`` and the same per
    language for ``split``; each wrong verdict appended to ``errors`` if given."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for row in load(split):
        verdict = assess_abuse(row["text"], row["lang"])
        violence = is_violence_report(row)
        for key in ("all", row["lang"]):
            c = counts[key]
            if row["abusive"]:
                c[0] += verdict.abusive
                c[1] += 1
            else:
                c[2] += verdict.abusive
                c[3] += 1
                c[4] += violence and verdict.abusive
                c[5] += violence
        if errors is not None and verdict.abusive != row["abusive"]:
            kind = "MISS" if row["abusive"] else "FALSE"
            errors.append(f"{kind} {row['id']} {verdict.score:.2f} {verdict.cues} "
                          f"{row['text']!r} ({row['why']})")

    def figures(c: list[int]) -> dict[str, Any]:
        return {"recall": _ratio(c[0], c[1]), "false_alarm": _ratio(c[2], c[3]),
                "violence_false_alarm": _ratio(c[4], c[5]), "n": c[1] + c[3],
                "positives": c[1], "negatives": c[3], "violence_reports": c[5]}

    result = figures(counts["all"])
    result["split"] = split or "all"
    result["per_language"] = {k: figures(v) for k, v in sorted(counts.items()) if k != "all"}
    return result


def speed(rounds: int = 5) -> float:
    """Messages per second over the whole file, the best of ``rounds``."""
    texts = [r["text"] for r in load()] * 20
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            assess_abuse(text)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    return best


def _print(fig: dict[str, Any]) -> None:
    print(f"== {fig['split']} ({fig['n']} msgs): recall {fig['recall']:.3f} "
          f"false alarm {fig['false_alarm']:.3f} "
          f"violence false alarm {fig['violence_false_alarm']:.3f}")
    for lang, f in fig["per_language"].items():
        print(f"  {lang:3} recall {f['recall']:.3f} ({f['positives']:2})  false alarm "
              f"{f['false_alarm']:.3f} ({f['negatives']:2})  violence "
              f"{f['violence_false_alarm']:.3f} ({f['violence_reports']:2})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("tune", "heldout"))
    parser.add_argument("--speed", action="store_true")
    args = parser.parse_args()
    for split in [args.split] if args.split else ["tune", "heldout"]:
        errors: list[str] = []
        _print(abuse_figures(split, errors))
        if split == "tune" and errors:
            print("\n".join(f"  {e}" for e in errors))
    if args.speed:
        print(f"msgs/s {speed():.0f}")


if __name__ == "__main__":
    main()
