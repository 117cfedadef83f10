"""Check the labelled evaluation sets in tests/data/ (pii.jsonl, pii_extra.jsonl,
pii_blind.jsonl, urgent.jsonl).

Checks: one JSON object a line with the expected fields; ids unique and named after
their language; the six languages present; in each language, exactly every third line
(the 3rd, 6th, ...) held out; every "pii" and "keep" text an exact substring of "text";
no "keep" text inside a "pii" text nor the other way round; no two identical texts.
pii_extra.jsonl (tune-only additions): ids ``pii-x-<lang>-NNN``, every line "tune", at
least 25 lines a language, no id or text shared with pii.jsonl. pii_blind.jsonl: ids
``pii-y-<lang>-NNN``, every third line of a language held out (40 a language), no id or
text shared with the others; pii_blind2.jsonl to pii_blind6.jsonl the same, ids
``pii-z-``, ``pii-q-``, ``pii-v-``, ``pii-w-`` and ``pii-u-<lang>-NNN``.

    python tools/check_evaldata.py [tests/data]

Exits 1 with one line per problem.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

LANGS = ("en", "fr", "sw", "ar", "pt", "es")
EXTRA_MIN = 25  # lines a language in pii_extra.jsonl
PII_KINDS = {"phone", "email", "handle", "url", "id", "gps", "address", "name"}


def _rows(path: Path, problems: list[str]) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: not JSON ({exc})")
    return rows


def _common(name: str, prefix: str, rows: list[dict], fields: set[str],
            problems: list[str], *, tune_only: bool = False, whole_thirds: bool = True) -> None:
    seen_ids: set[str] = set()
    seen_texts: set[str] = set()
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        rid = row.get("id", "?")
        if set(row) != fields:
            problems.append(f"{name} {rid}: fields {sorted(row)} != {sorted(fields)}")
            continue
        if rid in seen_ids:
            problems.append(f"{name} {rid}: duplicate id")
        seen_ids.add(rid)
        if row["text"] in seen_texts:
            problems.append(f"{name} {rid}: duplicate text")
        seen_texts.add(row["text"])
        if row["lang"] not in LANGS or not rid.startswith(f"{prefix}-{row['lang']}-"):
            problems.append(f"{name} {rid}: language {row['lang']!r} or id wrong")
        by_lang[row["lang"]].append(row)
    for lang in LANGS:
        lines = by_lang.get(lang, [])
        if tune_only:
            if len(lines) < EXTRA_MIN:
                problems.append(f"{name} {lang}: {len(lines)} lines, want {EXTRA_MIN}+")
            problems.extend(f"{name} {row['id']}: split {row['split']!r}, want 'tune'"
                            for row in lines if row["split"] != "tune")
            continue
        if whole_thirds and len(lines) % 3:
            problems.append(f"{name} {lang}: {len(lines)} lines, not a multiple of 3")
        for index, row in enumerate(lines):
            want = "heldout" if index % 3 == 2 else "tune"
            if row["split"] != want:
                problems.append(f"{name} {row['id']}: split {row['split']!r}, want {want!r}")


def check_pii(path: Path, *, extra: bool = False, blind: str = "") -> list[str]:
    problems: list[str] = []
    rows = _rows(path, problems)
    prefix = "pii-x" if extra else blind or "pii"
    _common(path.name, prefix, rows, {"id", "lang", "split", "text", "pii", "keep"}, problems,
            tune_only=extra, whole_thirds=not blind)
    for row in rows:
        text = row.get("text", "")
        pii = [item.get("text", "") for item in row.get("pii", [])]
        for item in row.get("pii", []):
            if item.get("kind") not in PII_KINDS:
                problems.append(f"{path.name} {row['id']}: kind {item.get('kind')!r}")
            if not item.get("text") or item["text"] not in text:
                problems.append(f"{path.name} {row['id']}: pii {item.get('text')!r} not in text")
        for keep in row.get("keep", []):
            if not keep or keep not in text:
                problems.append(f"{path.name} {row['id']}: keep {keep!r} not in text")
            if any(keep in span or span in keep for span in pii):
                problems.append(f"{path.name} {row['id']}: keep {keep!r} overlaps a pii span")
    return problems


def _shared(main: Path, extra: Path) -> list[str]:
    """Ids or texts of ``extra`` already in ``main``."""
    old = _rows(main, [])
    ids, texts = {r.get("id") for r in old}, {r.get("text") for r in old}
    return [f"{extra.name} {r.get('id')}: id or text also in {main.name}"
            for r in _rows(extra, []) if r.get("id") in ids or r.get("text") in texts]


def check_urgent(path: Path) -> list[str]:
    problems: list[str] = []
    rows = _rows(path, problems)
    _common(path.name, "urg", rows, {"id", "lang", "split", "text", "urgent", "why"}, problems)
    for row in rows:
        if not isinstance(row.get("urgent"), bool) or not row.get("why"):
            problems.append(f"{path.name} {row.get('id')}: urgent must be a bool, why given")
    return problems


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).parent.parent / "tests" / "data"
    problems = check_pii(folder / "pii.jsonl") + check_urgent(folder / "urgent.jsonl")
    extra = folder / "pii_extra.jsonl"
    if extra.exists():
        problems += check_pii(extra, extra=True)
        problems += _shared(folder / "pii.jsonl", extra)
    for name, prefix in (("pii_blind.jsonl", "pii-y"), ("pii_blind2.jsonl", "pii-z"),
                         ("pii_blind3.jsonl", "pii-q"), ("pii_blind4.jsonl", "pii-v"),
                         ("pii_blind5.jsonl", "pii-w"), ("pii_blind6.jsonl", "pii-u")):
        blind = folder / name
        if blind.exists():
            problems += check_pii(blind, blind=prefix)
            problems += _shared(folder / "pii.jsonl", blind) + _shared(extra, blind)
    for problem in problems:
        print(problem)
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
