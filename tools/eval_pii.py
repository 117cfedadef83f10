"""Evaluate the anonymiser on tests/data/pii.jsonl and pii_extra.jsonl (issue 13).

Split "tune" (and all) is pii.jsonl's tune lines plus pii_extra.jsonl (tune-only lines
written later, with more varied addresses and name cues) plus pii_blind.jsonl's tune
lines; "heldout" is pii.jsonl's and pii_blind.jsonl's held-out lines (pii_blind.jsonl:
240 lines written by someone who saw neither the rules nor the other sets, every third
line of a language held out).

Recall: a pii span's text no longer appears in the redacted output. Keep-rate: a keep
text still appears. Per language and per kind, for split tune and heldout and overall,
beside a baseline that redacts only phones and e-mails.

Run: python tools/eval_pii.py [--split tune|heldout] [--show-misses] [--speed]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moderation import _patterns as pat
from moderation._phones import find_phones
from moderation.anonymise import Anonymiser, _emails

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii.jsonl"
EXTRA = DATA.with_name("pii_extra.jsonl")  # tune only
# written blind to the rules, a third held out
BLIND = tuple(DATA.with_name(f"pii_blind{n}.jsonl") for n in ("", "2", "3", "4", "5", "6"))
REGIONS = ("CD", "UG", "KE", "TZ", "RW", "BI", "SS", "SD", "TD", "ML", "MZ", "CO", "BR")


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def load(split: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``split`` ("tune", "heldout", None for all): held-out rows come from
    pii.jsonl and pii_blind.jsonl; pii_extra.jsonl adds to "tune" and all."""
    rows = _read(DATA)
    if split != "heldout":
        rows += [r for r in _read(EXTRA) if r["split"] == "tune"]
    for path in BLIND:
        rows += _read(path)
    return [r for r in rows if split is None or r["split"] == split]


def _baseline(anonymiser: Anonymiser) -> Callable[[str], str]:
    def redact(text: str) -> str:
        norm = text.translate(pat.DIGITS_TO_ASCII)
        spans = [(s, e) for s, e, _ in _emails(norm)]
        clusters = [m.span() for m in pat.PHONE_HINT_RE.finditer(norm)]
        spans += [(s, e) for s, e, k in find_phones(norm, clusters, anonymiser.regions)
                  if k == "phone"]
        out, pos = [], 0
        for s, e in sorted(spans):
            if s < pos:
                continue
            out.append(text[pos:s])
            out.append("[x]")
            pos = e
        out.append(text[pos:])
        return "".join(out)
    return redact


def _score(rows: list[dict[str, Any]], redact: Callable[[str], str],
           misses: list[str] | None = None) -> dict[str, Any]:
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kept: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        out = redact(row["text"])
        for item in row["pii"]:
            ok = item["text"] not in out
            for key in ("all", row["lang"], "kind:" + item["kind"]):
                found[key][0] += ok
                found[key][1] += 1
            if not ok and misses is not None:
                misses.append(f"MISS {row['id']} {item['kind']} {item['text']!r}: {out}")
        for keep in row["keep"]:
            ok = keep in out
            for key in ("all", row["lang"]):
                kept[key][0] += ok
                kept[key][1] += 1
            if not ok and misses is not None:
                misses.append(f"LOST {row['id']} {keep!r}: {out}")
    def ratio(c: list[int]) -> float:
        return round(c[0] / c[1], 4) if c[1] else 1.0
    return {
        "recall": ratio(found["all"]), "keep_rate": ratio(kept["all"]),
        "pii": found["all"][1], "keep": kept["all"][1],
        "per_lang": {k: {"recall": ratio(found[k]), "keep_rate": ratio(kept[k]),
                         "found": found[k][0], "pii": found[k][1],
                         "kept": kept[k][0], "keep": kept[k][1]}
                     for k in sorted(found) if not k.startswith("kind:") and k != "all"},
        "per_kind": {k[5:]: {"recall": ratio(found[k]), "found": found[k][0], "pii": found[k][1]}
                     for k in sorted(found) if k.startswith("kind:")},
    }


def pii_figures(split: str | None = None, misses: list[str] | None = None) -> dict[str, Any]:
    """Recall and keep-rate (overall, per language, per kind) of the anonymiser and of the
    phones-and-e-mails baseline on ``split`` ("tune", "heldout" or None for all)."""
    rows = load(split)
    anonymiser = Anonymiser(REGIONS)
    figures = _score(rows, lambda t: anonymiser.redact(t).text, misses)
    figures["baseline"] = _score(rows, _baseline(anonymiser))
    figures["split"] = split or "all"
    figures["messages"] = len(rows)
    return figures


def speed(rounds: int = 3) -> float:
    """Messages per second over the whole file, the best of ``rounds``."""
    texts = [r["text"] for r in load()]
    anonymiser = Anonymiser(REGIONS)
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            anonymiser.redact(text)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    return best


def _print(fig: dict[str, Any]) -> None:
    base = fig["baseline"]
    print(f"== {fig['split']} ({fig['messages']} msgs): recall {fig['recall']:.3f} "
          f"keep {fig['keep_rate']:.3f} | baseline recall {base['recall']:.3f} "
          f"keep {base['keep_rate']:.3f}")
    for lang, f in fig["per_lang"].items():
        b = base["per_lang"][lang]
        print(f"  {lang:3} recall {f['found']:3}/{f['pii']:3} {f['recall']:.3f}  keep "
              f"{f['kept']:3}/{f['keep']:3} {f['keep_rate']:.3f} | baseline {b['recall']:.3f}")
    for kind, f in fig["per_kind"].items():
        b = base["per_kind"][kind]
        print(f"  {kind:8} recall {f['found']:3}/{f['pii']:3} {f['recall']:.3f}"
              f" | baseline {b['recall']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("tune", "heldout"))
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--speed", action="store_true")
    args = parser.parse_args()
    splits = [args.split] if args.split else ["tune", "heldout", None]
    for split in splits:
        misses: list[str] = []
        _print(pii_figures(split, misses))
        if args.show_misses:
            print("\n".join(misses))
    if args.speed:
        print(f"msgs/s {speed():.0f}")


if __name__ == "__main__":
    main()
