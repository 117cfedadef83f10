"""Benchmark: language detection on short messages (issue 15), in one run.

Runs tests/data/langdetect.jsonl (1-6 word messages as residents write them, in
en, fr, sw, ar, pt, es; a third of each language held out, never tuned on)
through plain langdetect (its detector, seeded, choosing among the six
languages' profiles only) and through Sauti's detector (bot.i18n.detection:
the same profiles as a deterministic n-gram model, the catalogues' keywords
and greetings, the script, a lexicon of everyday words), as a first message
(no earlier language). Prints accuracy overall and per language on each split,
the messages Sauti gets wrong on the tuning split (never the held-out one's), and milliseconds per
message for both.

Ends with one JSON line: ``accuracy``, ``worst_language_accuracy``,
``ms_per_msg``, ``langdetect_accuracy`` (held-out figures; the tuning split's
with a ``tune_`` prefix), and ``langdetect_ms_per_msg``. Targets: accuracy >=
0.97, worst language >= 0.93, <= 1 ms per message.

Run: python bench/langdetect.py [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from bot.i18n.detection import LanguageDetector

LANGUAGES = ("en", "fr", "sw", "ar", "pt", "es")
DATA = ROOT / "tests" / "data" / "langdetect.jsonl"


def load() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def plain_langdetect() -> Callable[[str], str]:
    """langdetect as documented, seeded, among the six languages' profiles."""
    from importlib import resources

    factory = DetectorFactory()
    profiles = resources.files("langdetect") / "profiles"
    factory.load_json_profile([(profiles / lang).read_text(encoding="utf-8")
                               for lang in LANGUAGES])
    factory.set_seed(0)

    def detect(text: str) -> str:
        try:
            detector = factory.create()
            detector.append(text)
            return str(detector.detect())
        except LangDetectException:
            return "en"

    return detect


def figures(rows: list[dict[str, str]], detect: Callable[[str], str]
            ) -> tuple[float, dict[str, float], list[tuple[str, str, str]]]:
    right: dict[str, int] = dict.fromkeys(LANGUAGES, 0)
    total: dict[str, int] = dict.fromkeys(LANGUAGES, 0)
    wrong: list[tuple[str, str, str]] = []
    for row in rows:
        got = detect(row["text"])
        total[row["lang"]] += 1
        if got == row["lang"]:
            right[row["lang"]] += 1
        else:
            wrong.append((row["lang"], got, row["text"]))
    per = {lang: right[lang] / total[lang] for lang in LANGUAGES if total[lang]}
    return sum(right.values()) / max(1, sum(total.values())), per, wrong


def speed(rows: list[dict[str, str]], detect: Callable[[str], str], rounds: int) -> float:
    texts = [r["text"] for r in rows]
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            detect(text)
        best = min(best, time.perf_counter() - started)
    return best * 1000 / len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = load()
    splits = {s: [r for r in rows if r["split"] == s] for s in ("heldout", "tune")}
    sauti = LanguageDetector(LANGUAGES, "en").detect
    plain = plain_langdetect()
    sauti("warm up")  # profiles and lexicon load once
    print(f"{len(rows)} messages: {len(splits['tune'])} to tune on, "
          f"{len(splits['heldout'])} held out")
    result: dict[str, float] = {}
    for split, part in splits.items():
        prefix = "" if split == "heldout" else "tune_"
        acc, per, wrong = figures(part, sauti)
        base, base_per, _wrong = figures(part, plain)
        print(f"\n{split}: Sauti {acc:.3f}, plain langdetect {base:.3f} (baseline)")
        for lang in LANGUAGES:
            print(f"  {lang}: Sauti {per[lang]:.3f}   langdetect {base_per[lang]:.3f}")
        if split == "tune":  # the held-out split's errors are never looked at
            for want, got, text in wrong:
                print(f"  wrong: {want} read as {got}: {text}")
        result[f"{prefix}accuracy"] = round(acc, 4)
        result[f"{prefix}worst_language_accuracy"] = round(min(per.values()), 4)
        result[f"{prefix}langdetect_accuracy"] = round(base, 4)
    ms = speed(rows, sauti, args.rounds)
    base_ms = speed(rows, plain, max(1, args.rounds // 2))
    print(f"\nspeed: Sauti {ms:.3f} ms per message, plain langdetect {base_ms:.3f} ms "
          f"(best of {args.rounds} passes over all {len(rows)})")
    print("targets: accuracy >= 0.97, worst language >= 0.93, <= 1 ms per message")
    result["ms_per_msg"] = round(ms, 4)
    result["langdetect_ms_per_msg"] = round(base_ms, 4)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
