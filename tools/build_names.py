"""Rebuild the name lexicon in moderation/data/names/ from Faker's person lists.

    pip download --no-deps faker==40.63.0 -d /tmp/faker
    python tools/build_names.py /tmp/faker/faker-40.63.0-py3-none-any.whl

The argument is a Faker wheel (read in place: a wheel is a zip of pure Python) or a
folder holding the ``faker`` package; without one, the installed Faker is used. Faker is
MIT-licensed (see moderation/data/NAMES_SOURCE.md). Only the person providers of the
locales below are read; their given and last names are split into words, particles
("de", "da", "al", ...) and one-letter words dropped, lowercased, Arabic diacritics and
tatweel removed, then merged with tools/names_curated.tsv, deduplicated and sorted.
tools/names_common_words.tsv lists everyday words per language: those found in the
lexicon are written to also_words.txt (lang, word, gloss).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "moderation" / "data" / "names"
CURATED = ROOT / "tools" / "names_curated.tsv"
COMMON_WORDS = ROOT / "tools" / "names_common_words.tsv"

# Faker locales read, for the mission's regions: Great Lakes and East Africa (sw, en_KE),
# Sahel (ha_NG), Arabic-speaking North Africa and Middle East, French (France, Algeria),
# Portuguese (Brazil, Portugal) and Spanish (Colombia, Mexico, Spain, Argentina, Chile).
LOCALES = (
    "sw", "en_KE", "ha_NG",
    "ar_AA", "ar_DZ", "ar_PS", "ar_SA", "fr_DZ", "fr_FR",
    "pt_BR", "pt_PT",
    "es_CO", "es_MX", "es_ES", "es_AR", "es_CL",
)
GIVEN_ATTRS = ("first_names", "first_names_male", "first_names_female")
SURNAME_ATTRS = ("last_names", "last_names_male", "last_names_female")

PARTICLES = frozenset(
    "de del della des di da das do dos du la le las los el al y e van von der den ben bin "
    "ibn abu bou st saint santa san mac mc ال".split()
)
# Arabic particles too ("son of", "father of", "family of"), and words that are no name
# alone once a compound is split ("God", "the faith"): compounds are joined instead.
PARTICLES |= frozenset("بن ابن بو ابو أبو آل".split())
NOT_NAMES = frozenset("الله الدين الرحمن عبد allah".split())
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alif, tatweel
# "عبد الله" is one name, Abdallah; so are "نور الدين" and "نصر الله".
_ARABIC_COMPOUND = re.compile(r"(?<!\S)(عبد)\s+(?=\S)|\s+(?=(?:الله|الدين|الرحمن)(?!\S))")
_SPLIT = re.compile(r"[\s\-‐–.,/()]+")
MAX_BYTES = 2_000_000


def words(name: str) -> Iterable[str]:
    """The lowercase words of a name, without particles, one-letter words or digits."""
    name = _ARABIC_COMPOUND.sub(lambda m: m.group(1) or "", _ARABIC_MARKS.sub("", name))
    for word in _SPLIT.split(name.lower()):
        word = word.strip("'’`\"")
        # Latin "pi", "ta" are no names; Arabic "طه" is.
        shortest = 2 if word and "\u0600" <= word[0] <= "\u06ff" else 3
        if (len(word) >= shortest and word not in PARTICLES and word not in NOT_NAMES
                and not any(c.isdigit() for c in word)):
            yield word


def _names(provider: type, attrs: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for attr in attrs:
        value = getattr(provider, attr, None)
        if isinstance(value, dict):  # OrderedDict of name -> weight
            value = list(value)
        if not isinstance(value, (list, tuple)):
            continue  # a property, or absent
        for name in value:
            found.update(words(name))
    return found


def from_faker() -> tuple[set[str], set[str], dict[str, int]]:
    given: set[str] = set()
    surnames: set[str] = set()
    counts: dict[str, int] = {}
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        g, s = _names(provider, GIVEN_ATTRS), _names(provider, SURNAME_ATTRS)
        counts[locale] = len(g) + len(s)
        given |= g
        surnames |= s
    return given, surnames, counts


def from_curated() -> tuple[set[str], set[str]]:
    given: set[str] = set()
    surnames: set[str] = set()
    for line in CURATED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, _region, names = line.split("\t")
        target = given if kind == "given" else surnames
        for name in names.split():
            target.update(words(name))
    return given, surnames


def also_words(lexicon: set[str]) -> list[str]:
    rows = set()
    for line in COMMON_WORDS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, word, gloss = line.split("\t")
        folded = _ARABIC_MARKS.sub("", word).lower()
        if folded in lexicon:
            rows.add(f"{lang}\t{folded}\t{gloss}")
    return sorted(rows)


def write(path: Path, lines: Iterable[str], header: str = "") -> int:
    text = header + "".join(f"{line}\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        sys.path.insert(0, argv[1])
    import faker  # from the path given, if any

    given, surnames, counts = from_faker()
    extra_given, extra_surnames = from_curated()
    given |= extra_given
    surnames |= extra_surnames
    OUT.mkdir(parents=True, exist_ok=True)
    size = write(OUT / "given.txt", sorted(given))
    size += write(OUT / "surnames.txt", sorted(surnames))
    flagged = also_words(given | surnames)
    size += write(OUT / "also_words.txt", flagged,
                  "# lang\tword\tgloss: names of given.txt/surnames.txt that are everyday words\n")
    print(f"faker {faker.VERSION}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"given {len(given)} (curated {len(extra_given)}), surnames {len(surnames)} "
          f"(curated {len(extra_surnames)}), also_words {len(flagged)}, {size} bytes")
    if size > MAX_BYTES:
        print(f"over {MAX_BYTES} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
