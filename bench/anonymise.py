"""Benchmark: moderation before storage (issue 13), in one run.

Prints, per language and per PII kind, recall (PII removed) and keep-rate
(content kept) of the anonymiser on tests/data/pii.jsonl; urgent recall and
false-alarm rate on tests/data/urgent.jsonl; abuse recall and false alarms on
tests/data/abuse.jsonl; each on the held-out third (never tuned on) and on the
tuning split; beside a baseline that redacts only phone numbers and e-mails.
Then the speed of the whole pipeline (redaction, urgent risk, abuse: what a
report's text goes through, moderation.screening) on one core, over every
message of the three sets, beside the baseline's.

Ends with one JSON line: ``recall``, ``keep_rate``, ``urgent_recall``,
``urgent_false_alarm``, ``msgs_per_s``, ``baseline_recall`` (held-out figures;
the tuning split's with a ``tune_`` prefix). Targets: recall and keep-rate
>= 0.97, urgent recall >= 0.95 with false alarms <= 0.10, >= 5,000 msgs/s.

Run: python bench/anonymise.py [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]
sys.path.insert(0, str(ROOT / "tools"))

from eval_abuse import abuse_figures
from eval_abuse import load as abuse_rows
from eval_pii import REGIONS, _baseline, pii_figures
from eval_pii import load as pii_rows
from eval_urgent import load as urgent_rows
from eval_urgent import urgent_figures

from moderation.abuse import assess_abuse
from moderation.anonymise import Anonymiser
from moderation.screening import Screening
from moderation.urgent import assess_urgent

TARGETS = {"recall": 0.97, "keep_rate": 0.97, "urgent_recall": 0.95,
           "urgent_false_alarm": 0.10, "msgs_per_s": 5000.0}


def rate(texts: list[tuple[str, str]], run: Callable[[str, str], object], rounds: int) -> float:
    """Messages a second, the best of ``rounds`` passes over ``texts``."""
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text, lang in texts:
            run(text, lang)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    return best


def show_pii(fig: dict[str, Any]) -> None:
    base = fig["baseline"]
    print(f"  PII ({fig['messages']} messages, {fig['pii']} spans, {fig['keep']} to keep):"
          f" recall {fig['recall']:.3f}, keep-rate {fig['keep_rate']:.3f}"
          f" | baseline recall {base['recall']:.3f}")
    for lang, f in fig["per_lang"].items():
        print(f"    {lang}  recall {f['recall']:.3f} ({f['found']}/{f['pii']})  keep"
              f" {f['keep_rate']:.3f} ({f['kept']}/{f['keep']})"
              f" | baseline {base['per_lang'][lang]['recall']:.3f}")
    for kind, f in fig["per_kind"].items():
        print(f"    {kind:<8} recall {f['recall']:.3f} ({f['found']}/{f['pii']})"
              f" | baseline {base['per_kind'][kind]['recall']:.3f}")


def show_rates(name: str, fig: dict[str, Any], per: str, alarms: str) -> None:
    print(f"  {name}: recall {fig['recall']:.3f}, false alarms {fig[alarms]:.3f}")
    for lang, f in fig[per].items():
        print(f"    {lang}  recall {f['recall']:.3f}  false alarms {f[alarms]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    for split, prefix in (("heldout", ""), ("tune", "tune_")):
        pii = pii_figures(split)
        urgent = urgent_figures(split)
        abuse = abuse_figures(split)
        print(f"== {split} split{' (never tuned on)' if split == 'heldout' else ''}")
        show_pii(pii)
        show_rates("urgent risk", urgent, "per_language", "false_alarm")
        show_rates("abuse", abuse, "per_language", "false_alarm")
        figures |= {f"{prefix}recall": pii["recall"], f"{prefix}keep_rate": pii["keep_rate"],
                    f"{prefix}baseline_recall": pii["baseline"]["recall"],
                    f"{prefix}urgent_recall": urgent["recall"],
                    f"{prefix}urgent_false_alarm": urgent["false_alarm"],
                    f"{prefix}abuse_recall": abuse["recall"],
                    f"{prefix}abuse_false_alarm": abuse["false_alarm"]}
    texts = [(r["text"], r["lang"]) for rows in (pii_rows(), urgent_rows(), abuse_rows())
             for r in rows]
    screening = Screening(Anonymiser(REGIONS), urgent=assess_urgent, abuse=assess_abuse)
    baseline = _baseline(Anonymiser(REGIONS))
    rate(texts, screening.screen, 1)  # warm caches: lexicons, phone metadata
    speed = rate(texts, screening.screen, args.rounds)
    base_speed = rate(texts, lambda text, _lang: baseline(text), args.rounds)
    print(f"== speed, one core, {len(texts)} messages, best of {args.rounds}:"
          f" pipeline {speed:,.0f} msgs/s | baseline (phones, e-mails) {base_speed:,.0f}")
    figures |= {"msgs_per_s": round(speed), "baseline_msgs_per_s": round(base_speed)}
    met = [k for k, target in TARGETS.items()
           if (figures[k] <= target if k == "urgent_false_alarm" else figures[k] >= target)]
    print(f"targets met on the held-out split: {', '.join(met) or 'none'};"
          f" not met: {', '.join(k for k in TARGETS if k not in met) or 'none'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
