"""The anonymiser's fast paths give what the plain ways gave: a trie of words matches
what the plain alternation matches; an ASCII word folds as the full fold does; an ID is
checked against the protected spans by bisection, as it was against each in turn."""

from __future__ import annotations

import random
import re

import pytest

from moderation import _addresses
from moderation import _patterns as pat
from moderation._ids import find_ids
from moderation._patterns import alternation


def plain(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def test_a_trie_reads_as_expected() -> None:
    assert alternation(["av", "ave", "avenue", "avenida"]) == "av(?:e(?:n(?:ida|ue))?)?"
    assert alternation(["a.b", "a+"]) == r"a(?:\+|\.b)"
    assert re.fullmatch(alternation([]), "") is None


@pytest.mark.parametrize("seed", range(40))
def test_the_same_matches_as_the_plain_alternation(seed: int) -> None:
    rng = random.Random(seed)
    letters = "abé. -" if seed % 2 else "ab"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 5)))
             for _ in range(rng.randint(1, 12))]
    text = "".join(rng.choice(letters + "AB") for _ in range(300))
    for flags in (0, re.IGNORECASE):
        for tail in ("", r"(?!\w)", r"\.?"):  # what follows decides which word matches
            old = re.compile(f"(?:{plain(words)}){tail}", flags)
            new = re.compile(f"(?:{alternation(words)}){tail}", flags)
            assert [m.span() for m in new.finditer(text)] == \
                   [m.span() for m in old.finditer(text)], (words, flags, tail)


def test_the_address_patterns_find_what_they_found() -> None:
    texts = ["we stay at house no. 12 kivu road, near the borehole",
             "avenue Kasai numéro 12, quartier Himbi", "calle 10 n° 5-32 barrio centro",
             "شارع الجمهورية، بيت 22", "kiwanja namba 112 mtaa wa amani", "rua 7 de setembro 45"]
    part_re, _, any_re = _addresses._regexes()
    found = [[m.group() for m in part_re.finditer(t)] for t in texts]
    assert found[0][:1] == ["house no. 12"] and found[1][:1] == ["avenue Kasai numéro 12"]
    assert all(any_re.search(t) for t in texts)


def test_an_ascii_word_folds_as_the_full_fold_does() -> None:
    rng = random.Random(7)
    printable = [chr(c) for c in range(32, 127)]
    words = ["".join(rng.choice(printable) for _ in range(rng.randint(1, 12))) for _ in range(2000)]
    for word in [*words, "Kabila", "O'NEIL", "x"]:
        full = pat.unicodedata.normalize("NFKD", word).casefold().translate(pat._ARABIC_FOLD)
        assert pat._fold_uncached(word) == full, word
    assert pat._fold_uncached("Élodie") == "elodie"  # not ASCII: the full fold
    assert pat._fold_uncached("أحمد") == "احمد"


def test_an_id_inside_a_protected_span_stays_and_one_beside_it_goes() -> None:
    norm = "paid 12/05/2024 then PC0458213 and AB12345 on 01/02/2020 KAK-0192-7784"
    protected = [m.span() for m in pat.PROTECTED_RE.finditer(norm)]
    assert len(protected) == 2
    found = [norm[s:e] for s, e, _ in find_ids(norm, protected)]
    assert found == ["PC0458213", "AB12345", "KAK-0192-7784"]
    # a protected span covering an ID keeps it, wherever it lies among the spans
    start = norm.index("AB12345")
    spans = [*protected[:1], (start - 1, start + 3), *protected[1:]]
    assert [norm[s:e] for s, e, _ in find_ids(norm, spans)] == ["PC0458213", "KAK-0192-7784"]


def test_ala_is_a_function_word_wherever_names_are_read() -> None:
    # folded it is علي (Ali); as written it is "on": the stop-word check says so itself
    assert pat.is_stop("على") and not pat.is_stop("علي")
