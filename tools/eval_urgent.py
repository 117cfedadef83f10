"""Evaluate the urgent-risk detector on tests/data/urgent.jsonl (issue 13).

Recall: the share of urgent messages found urgent. False alarms: the share of the
non-urgent messages (hard negatives: negation, past non-events, old rumours, figurative
uses, ordinary requests) found urgent. Per language, for split tune, heldout and all.

Run: python tools/eval_urgent.py [--speed]  (misses and false alarms: tune split only)
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

from moderation.urgent import assess_urgent

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "urgent.jsonl"
SPLITS = ("tune", "heldout", "all")


def load(split: str = "all") -> list[dict[str, Any]]:
    """The labelled messages of ``split`` ("tune", "heldout" or "all")."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    rows = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def _ratio(hit: int, total: int, empty: float) -> float:
    return round(hit / total, 4) if total else empty


def urgent_figures(split: str = "all", errors: list[str] | None = None) -> dict[str, Any]:
    """Recall and false-alarm rate, overall and per language, on ``split``; each miss and
    false alarm is appended to ``errors`` when given."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp, urgent, fp, calm
    for row in load(split):
        verdict = assess_urgent(row["text"], row["lang"])
        for key in ("all", row["lang"]):
            c = counts[key]
            if row["urgent"]:
                c[0] += verdict.urgent
                c[1] += 1
            else:
                c[2] += verdict.urgent
                c[3] += 1
        if errors is not None and verdict.urgent != row["urgent"]:
            kind = "MISS " if row["urgent"] else f"FALSE {','.join(verdict.cues)}"
            errors.append(f"{kind} {row['id']} ({row['why']}): {row['text']}")

    def figures(c: list[int]) -> dict[str, Any]:
        return {"recall": _ratio(c[0], c[1], 1.0), "false_alarm": _ratio(c[2], c[3], 0.0),
                "n": c[1] + c[3], "urgent": c[1], "found": c[0], "false_alarms": c[2]}

    result = figures(counts["all"])
    result["split"] = split
    result["per_language"] = {k: figures(v) for k, v in sorted(counts.items()) if k != "all"}
    return result


def speed(rounds: int = 5, length: int = 4000) -> dict[str, float]:
    """Messages per second over the whole file (best of ``rounds``, one core), and the
    milliseconds one ``length``-character message of the file's texts takes."""
    texts = [r["text"] for r in load()]
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            assess_urgent(text)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    long_text = ""
    for i in range(100_000):
        long_text += f"{texts[i % len(texts)]} {i}. "
        if len(long_text) >= length:
            break
    long_text = long_text[:length]
    t0 = time.perf_counter()
    for _ in range(rounds):
        assess_urgent(long_text)
    return {"msgs_per_s": best, "ms_long": (time.perf_counter() - t0) / rounds * 1000}


def _print(fig: dict[str, Any]) -> None:
    print(f"== {fig['split']} ({fig['n']} msgs): recall {fig['found']}/{fig['urgent']} "
          f"{fig['recall']:.3f}  false alarms {fig['false_alarms']}/{fig['n'] - fig['urgent']} "
          f"{fig['false_alarm']:.3f}")
    for lang, f in fig["per_language"].items():
        print(f"  {lang:3} recall {f['found']:3}/{f['urgent']:3} {f['recall']:.3f}  "
              f"false alarms {f['false_alarms']:3}/{f['n'] - f['urgent']:3} "
              f"{f['false_alarm']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speed", action="store_true", help="also measure throughput")
    args = parser.parse_args()
    errors: list[str] = []
    _print(urgent_figures("tune", errors))
    _print(urgent_figures("heldout"))
    print("-- tune misses and false alarms:" if errors else "-- tune: no error")
    print("\n".join(errors))
    if args.speed:
        s = speed()
        print(f"msgs/s {s['msgs_per_s']:.0f}; one 4,000-char message {s['ms_long']:.2f} ms")


if __name__ == "__main__":
    main()
