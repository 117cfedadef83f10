"""Benchmark: no input stalls the server. Every regular expression and text
function that sees what a resident typed, fed adversarial strings of 4 KB and
40 KB (4,096 and 40,960 characters), timed per kilobyte (1,024 characters).

The strings are crafted against the patterns: long digit runs with separators,
repeated spaces between a keyword and what fails to follow it, repeated
punctuation between letters, repeated name-like tokens and introductions,
near-emails and near-domains, near-coordinates, mixed scripts, combining marks,
emoji sequences, control characters. Every target meets every string (the
cross product is cheap once everything is linear, and finds what a hand-picked
pairing would miss). Each figure is the best of ``--repeat`` runs (7), taken in
rounds over every pair rather than in a row: on this shared virtual machine the
machine's slow spells last seconds, and seven runs in a row of one pair fell in one
(one run read 'arabic intro' at 1.20 ms/KB for one target and 0.76 for its twin).
The anonymiser's word caches are emptied before each run, so a run pays for every
distinct word as a first message would.

Linear means the 40 KB string costs about ten times the 4 KB one: the ms/KB of
both sizes is printed, and the worst (target, string) pairs with their ratio.
Target: at most 0.5 ms/KB at both sizes. Baseline: the same bench on main
before issue 11's fix (figures in docs/performance.md, "Hostile input").

Run: python bench/adversarial.py [--repeat N] [--only SUBSTRING] [--sizes 4096 40960]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bot.flows.check import normalise_ref
from bot.i18n import detection
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import KeywordTable
from bot.text import cleaning
from bot.text.segments import gsm_friendly, measure
from bot.text.splitting import sms_bodies, sms_segments, split
from channels.telegram import errors as telegram_errors
from channels.telegram import parsing as telegram_parsing
from channels.twilio import identity as twilio_identity
from moderation import _agreement as agreement
from moderation import _name_passes as name_passes
from moderation import _patterns as pat
from moderation._addresses import find_addresses
from moderation._names import find_names

try:
    from moderation import _words as words
except ImportError:  # before the word table was shared (to compare with older commits)
    words = None  # type: ignore[assignment]
from moderation.anonymise import Anonymiser

TARGET_MS_PER_KB = 0.5
# This bench on main (30eb181) before the fix, this machine, --repeat 1: the worst pair
# at each size (and sms_bodies raised IndexError on a long text of only whitespace).
BEFORE = {"worst_ms_per_kb": 2445.19, "4096": 329.18, "40960": 2445.19,
          "target": "moderation LOCATION_RE", "string": "degrees, spaces"}

KB = 1024

# ------------------------------------------------------------------- strings


def _fill(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _between(left: str, middle: str, right: str) -> Callable[[int], str]:
    """``left``, then ``middle`` repeated, then ``right``: n characters in all."""
    return lambda n: left + _fill(middle, n - len(left) - len(right)) + right


def _distinct_words(n: int) -> str:
    """Capitalised name-like words that never repeat (no cache helps)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words, i = [], 0
    while sum(map(len, words)) + len(words) < n:
        a, b, c = i % 26, i // 26 % 26, i // 676 % 26
        words.append("K" + letters[c] + letters[b] + letters[a] + "a")
        i += 1
    return " ".join(words)[:n]


def _distinct_phones(n: int) -> str:
    """Congolese mobile numbers that never repeat, a space between them."""
    return _fill(" ".join(f"08{i:08d}" for i in range(n // 11 + 1)), n)


STRINGS: dict[str, Callable[[int], str]] = {
    # letters, words, names
    "letters": lambda n: "a" * n,
    "words": lambda n: _fill("water point closed since monday ", n),
    "distinct names": _distinct_words,
    "name-like tokens": lambda n: _fill("Amani Jean-Baptiste O'Neil ", n),
    "hyphenated word": lambda n: _fill("a-", n),
    "apostrophes": lambda n: _fill("a'", n),
    "my name is": lambda n: _fill("my name is ", n),
    "my name is, spaces": _between("my name is", " ", "."),
    "name colon": lambda n: _fill("name: ", n),
    "nom colon spaces": _between("nom", " ", "!"),
    "je m'appelle": lambda n: _fill("je m'appelle ", n),
    "je m spaces": _between("je m", " ", "!"),
    "titles": lambda n: _fill("Mr Mme Bwana ", n),
    "signed": lambda n: _fill(". signed ", n),
    "signed spaces": _between(".signed", " ", "1"),
    "regards": lambda n: _fill("regards\n", n),
    "regards spaces": _between("regards", " ", "x"),
    "this is": lambda n: _fill("this is Amani ", n),
    "this is, long word": _between("this is ", "a", " x"),
    "arabic intro": lambda n: _fill("انا اسمي محمد ", n),
    "kin and titles": lambda n: _fill("my cousin brother mon grand frere le chef de cellule ", n),
    "cue chain": lambda n: _fill("the soldier called Sgt. ", n),
    "name particles": lambda n: _fill("القائد ود ", n),
    "name lists": lambda n: _fill("Kahindo, Neema na juma, da Silva ", n),
    "person verbs": lambda n: _fill("neema amerudi na baraka wamerudi ", n),
    # addresses
    "street words": lambda n: _fill("rue avenue calle ", n),
    "street, number, name": lambda n: _fill("12 rue des Manguiers ", n),
    "address parts in a row": lambda n: _fill("casa 5, manzana 4, ", n),
    "street, name, spaces": _between("avenue Kasai", " ", "no 12"),
    "number, words, street": lambda n: _fill("12 kivu gulu road ", n),
    "arabic address": lambda n: _fill("شارع 12 بيت رقم 5 بلوك 4 ", n),
    # spaces and punctuation
    "spaces": lambda n: " " * n,
    "spaces between letters": _between("a", " ", "b"),
    "tabs and newlines": lambda n: _fill(" \t\n", n),
    "newlines between letters": _between("a", "\n", "b"),
    "punctuation": lambda n: "!" * n,
    "punctuation between letters": _between("a", "!", "b"),
    "mixed punctuation between letters": _between("a", "!?.,;:-_()", "b"),
    "underscores between letters": _between("a", "_", "b"),
    "dashes": lambda n: "-" * n,
    "dots": lambda n: "." * n,
    # digits
    "digits": lambda n: "1" * n,
    "digits then letter": _between("", "1", "a"),
    "digits, spaces": lambda n: _fill("1 ", n),
    "digits, dots": lambda n: _fill("1.", n),
    "digits, dashes": lambda n: _fill("1-", n),
    "digits, three separators": lambda n: _fill("1 .-", n),
    "digits, brackets": lambda n: _fill("1(/)", n),
    "digit pairs, four separators": lambda n: _fill("12 - -", n),
    "phones": _distinct_phones,
    "phones, invalid": lambda n: _fill("0123 456 789 ", n),
    "international": lambda n: _fill("+243 81 234 5678 ", n),
    "arabic digits": lambda n: _fill("٠١٢٣٤٥٦٧٨٩ ", n),
    "dates": lambda n: _fill("12/03/2026 ", n),
    "date-like run": lambda n: _fill("1/1/", n),
    "times": lambda n: _fill("14:30 ", n),
    "years": lambda n: _fill("2020 ", n),
    "years, no space": lambda n: "2020" * (n // 4) + "1" * (n % 4),
    "amounts": lambda n: _fill("1 000 ", n),
    "amounts, dots": lambda n: _fill("1.000", n),
    "money": lambda n: _fill("$1,000,000 ", n),
    "currency words": lambda n: _fill("100 francs ", n),
    # IDs among dates, amounts and times: every ID was checked against every one of them
    "dates and IDs": lambda n: _fill("01/02/2020 AB12345 ", n),
    "amounts and IDs": lambda n: _fill("5000 FC PC0458213 ", n),
    "times and IDs": lambda n: _fill("12:30 KAK-0192-7784 ", n),
    # contact data
    "at signs": lambda n: "@" * n,
    "word then at": _between("", "a", "@"),
    "at, word": lambda n: _fill("a@", n),
    "near email": _between("a@", "a.", "1"),
    "near email, digits": _between("a@", "1.", ""),
    "near email, dashes": _between("a@", "a-", ""),
    "handles": lambda n: _fill("@a_b.c ", n),
    "handle dots": _between("@", ".", "a"),
    "near domain": _between("", "a.", "1"),
    "near domain, labels": _between("", "ab-c.", "9"),
    "domain dashes": _between("a", "-", "a.b"),
    "www": lambda n: _fill("www.", n),
    "urls": lambda n: _fill("http://a ", n),
    "slashes": _between("a.b", "/", ""),
    # coordinates
    "lat, spaces": _between("lat", " ", "x"),
    "lat, colon": lambda n: _fill("lat: ", n),
    "degrees": lambda n: _fill("1° ", n),
    "degrees, spaces": _between("12°", " ", "x"),
    "degrees, minutes": lambda n: _fill("1°2'3\" ", n),
    "decimal pairs": lambda n: _fill("1.123, 2.345 ", n),
    "decimal, spaces": _between("-1.234", " ", "x"),
    "decimal run": _between("1.", "1", "x"),
    "hemispheres": lambda n: _fill("12.345N ", n),
    # scripts and code points
    "mixed scripts": lambda n: _fill("aأ1١ Ж字 ", n),
    "arabic": lambda n: _fill("مرحبا بكم في المخيم ", n),
    "arabic marks": _between("ب", "\u064b", ""),
    "combining marks": _between("a", "\u0301", ""),
    "emoji": lambda n: _fill("👍🏽", n),
    "zwj family": lambda n: _fill("👨\u200d👩\u200d👧", n),
    "flags": lambda n: _fill("🇨🇩", n),
    "control characters": lambda n: _fill("\x00\u200b\u202e\x1b", n),
    "crlf": lambda n: _fill("\r\n", n),
    "lone surrogates": lambda n: "\ud800" * n,
    "gsm extension": lambda n: _fill("€[]{}", n),
    "telegram command": lambda n: "/start@" + "a" * (n - 8) + "!",
}

# ------------------------------------------------------------------- targets

ANON = Anonymiser(["CD", "RW", "UG", "BI"])
DETECTOR = LanguageDetector(["en", "fr", "sw", "ar"], "en")
KEYWORDS = KeywordTable(["en", "fr", "sw", "ar"])


def _finditer(regex: object) -> Callable[[str], object]:
    return lambda text: sum(1 for _ in regex.finditer(text))  # type: ignore[attr-defined]


def _on_masked(regex: object) -> Callable[[str], object]:
    """As the anonymiser runs it: on text whose digits are ASCII."""
    finditer = _finditer(regex)
    return lambda text: finditer(text.translate(pat.DIGITS_TO_ASCII))


# Patterns the anonymiser only matches at a given position, never scans with.
_ANCHORED = {"NAME_WORD_RE": "match", "NAME_GAP_RE": "fullmatch", "YEAR_LIST_RE": "fullmatch"}


def _pattern_targets() -> dict[str, Callable[[str], object]]:
    """Every ``*_RE`` of moderation/_patterns.py, used as the anonymiser uses it."""
    found: dict[str, Callable[[str], object]] = {}
    for name in sorted(vars(pat)):
        regex = getattr(pat, name)
        if not (name.endswith("_RE") and hasattr(regex, "finditer")):
            continue
        if name in _ANCHORED:
            method = getattr(regex, _ANCHORED[name])
            found[f"moderation {name}.{_ANCHORED[name]}"] = method
        else:
            found[f"moderation {name}"] = _on_masked(regex)
    return found


TARGETS: dict[str, Callable[[str], object]] = {
    "text clean": lambda t: cleaning.clean(t, 10**9),
    "text fold": cleaning.fold,
    "keywords match": lambda t: KEYWORDS.match(cleaning.fold(t), "sms"),
    "detection pre-processing": lambda t: (  # what detect does to the whole text
        cleaning.fold(detection._REPEATS.sub(r"\1", t)), detection._ARABIC.search(t),
        detection._ARABIZI.findall(t.lower()),  # (detect reads only the first 300 chars)
        detection._grams(t[:300])),
    "detection detect": DETECTOR.detect,
    "splitting split": lambda t: split(t, 4096),
    "splitting sms_segments": sms_segments,
    "splitting sms_bodies": lambda t: sms_bodies(t, 1600),
    "segments measure": measure,
    "segments gsm_friendly": gsm_friendly,
    "anonymise redact": lambda t: ANON.redact(t, known_names=("Amani Kahindo", "Kzzza")),
    "anonymise redact, sender region": lambda t: ANON.redact(t, sender_region="KE"),
    "anonymise find_addresses": lambda t: sum(1 for _ in find_addresses(
        t.translate(pat.DIGITS_TO_ASCII))),
    "anonymise find_names": lambda t: sum(1 for _ in find_names(t.translate(pat.DIGITS_TO_ASCII))),
    **_pattern_targets(),
    "check normalise_ref": normalise_ref,
    "telegram command": telegram_parsing.command,
    "telegram callback index": lambda t: telegram_parsing._INDEX_DATA.fullmatch(t),
    "telegram error description": telegram_errors._safe,
    "twilio E.164": lambda t: twilio_identity._E164.fullmatch(t),
}


def _clear_caches() -> None:
    for name in ("_fold_cached", "_is_stop_cached"):
        if hasattr(pat, name):
            getattr(pat, name).cache_clear()
    if hasattr(pat.fold, "cache_clear"):  # on main, before the fix
        pat.fold.cache_clear()
    name_passes.name_keys.cache_clear()
    if words is not None:  # the text read as words, kept for the next pass of one redaction
        words.words_of.cache_clear()
        if hasattr(words, "_judged"):  # each word judged once a process, as the fold
            words._judged.cache_clear()
    if hasattr(agreement, "_verbs"):  # each word's verb shapes, once a process too
        agreement._verbs.cache_clear()


def timed(target: Callable[[str], object], text: str, repeat: int) -> tuple[float, str]:
    """Best of ``repeat`` runs in seconds (one run only if it takes over a second),
    and the exception it raised, if any (hostile input must not raise either)."""
    best = float("inf")
    for _ in range(repeat):
        _clear_caches()
        started = time.perf_counter()
        try:
            target(text)
        except Exception as exc:  # reported, not hidden
            return time.perf_counter() - started, type(exc).__name__
        best = min(best, time.perf_counter() - started)
        if best > 1.0:
            break
    return best, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="targets whose name contains this")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4 * KB, 40 * KB])
    args = parser.parse_args()

    targets = {k: v for k, v in TARGETS.items() if args.only in k}
    # figures[size][(target, string)] = ms per KB
    figures: dict[int, dict[tuple[str, str], float]] = {size: {} for size in args.sizes}
    errors: set[tuple[str, str, str]] = set()
    # The repeats are rounds over every pair, not runs in a row: a slow spell of the
    # machine (seconds long, on a shared one) then costs one round of a pair, not its
    # every run.
    for size in args.sizes:
        texts = {name: make(size) for name, make in STRINGS.items()}
        assert all(len(t) == size for t in texts.values()), "a string is not its size"
        for _ in range(args.repeat):
            for target_name, target in targets.items():
                for string_name, text in texts.items():
                    seconds, error = timed(target, text, 1)
                    key = (target_name, string_name)
                    figures[size][key] = min(figures[size].get(key, float("inf")),
                                             seconds * 1000 / (size / KB))
                    if error:
                        errors.add((target_name, string_name, error))

    print(f"{len(targets)} targets x {len(STRINGS)} strings, sizes {args.sizes} characters")
    print(f"target: at most {TARGET_MS_PER_KB} ms/KB at every size")
    print(f"before (main, 30eb181): worst {BEFORE['4096']} ms/KB at 4096 characters, "
          f"{BEFORE['40960']} ms/KB at 40960 ({BEFORE['target']} on {BEFORE['string']!r})")
    print()
    small, large = min(args.sizes), max(args.sizes)
    print(f"worst per target, ms/KB at {small} and at {large} characters (and the "
          f"{large / small:.0f}x string's time over the {small} one's: ~{large / small:.0f} "
          "is linear)")
    per_target: dict[str, dict[str, float]] = {}
    for target_name in targets:
        worst = {}
        for size in args.sizes:
            pairs = {k: v for k, v in figures[size].items() if k[0] == target_name}
            worst[size] = max(pairs, key=pairs.__getitem__)
        per_target[target_name] = {str(size): round(figures[size][worst[size]], 4)
                                   for size in args.sizes}
        key = worst[large]
        ratio = figures[large][key] * large / (figures[small][key] * small or 1e-9)
        over = max(figures[size][worst[size]] for size in args.sizes) > TARGET_MS_PER_KB
        print(f"  {target_name:34s} {figures[small][worst[small]]:8.3f} "
              f"{worst[small][1]!r:28s} {figures[large][key]:8.3f} {key[1]!r:28s} "
              f"x{ratio:4.1f}{'  OVER' if over else ''}")
    print()
    worst_by_size = {}
    for size in args.sizes:
        key = max(figures[size], key=figures[size].__getitem__)
        worst_by_size[size] = (key, figures[size][key])
        print(f"worst at {size:6d} characters: {figures[size][key]:.3f} ms/KB "
              f"({key[0]} on {key[1]!r})")
    for target_name, string_name, error in sorted(errors):
        print(f"raised {error}: {target_name} on {string_name!r}")
    worst = max(v for _, v in worst_by_size.values())
    (worst_target, worst_string), _ = max(worst_by_size.values(), key=lambda kv: kv[1])
    # single regular expressions (the "every pattern"), apart from the
    # functions that run several of them with Python work between (redaction, splitting)
    patterns = {t: v for t, v in per_target.items() if t.split(" ", 1)[-1].endswith(
        ("_RE", "_RE.match", "_RE.fullmatch")) or t.startswith(("telegram ", "twilio "))}
    worst_pattern = max((max(v.values()) for v in patterns.values()), default=0.0)  # (--only)
    calibration = min(timeit.repeat("sum(range(100_000))", number=20, repeat=5)) / 20 * 1000
    print(f"worst single pattern: {worst_pattern:.3f} ms/KB; this machine's speed now: "
          f"sum(range(100_000)) in {calibration:.2f} ms (compare runs only at like speeds)")
    print(json.dumps({
        "bench": "adversarial",
        "worst_ms_per_kb": round(worst, 4),
        "worst_target": worst_target,
        "worst_pattern_ms_per_kb": round(worst_pattern, 4),
        "calibration_ms": round(calibration, 3),
        "worst_string": worst_string,
        "per_size": {str(size): {"worst_ms_per_kb": round(v, 4), "target": k[0], "string": k[1]}
                     for size, (k, v) in worst_by_size.items()},
        "per_target": per_target,
        "target_ms_per_kb": TARGET_MS_PER_KB,
        "before_worst_ms_per_kb": BEFORE["worst_ms_per_kb"],
        "errors": len(errors),
        "ok": worst <= TARGET_MS_PER_KB and not errors,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
