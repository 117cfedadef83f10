"""Issue 13's anonymisation on the labelled set and on hard cases per kind and language."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from moderation.anonymise import KINDS, Anonymiser

ANON = Anonymiser(["CD", "UG", "KE", "TZ", "SD", "MZ", "CO"])
_TOOL = Path(__file__).resolve().parent.parent / "tools" / "eval_pii.py"


def redact(text: str) -> str:
    return ANON.redact(text).text


def _eval_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("eval_pii", _TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_pii"] = module
    spec.loader.exec_module(module)
    return module


# Floors: what was reached less a margin. Tune (pii.jsonl's tune lines, pii_extra.jsonl,
# the six blind sets' tune lines, 1,420): recall 0.979, keep 0.987 (before the sixth
# set's lines were read). Held-out (pii.jsonl's and the blind sets', 582): recall 0.931,
# keep 0.977. The blind sets were written by helpers who saw neither the rules nor the
# other sets: before their lines were read the anonymiser found 0.79, 0.80, 0.88, (the
# fourth, after names with no cue, moderation._lone_names) 0.92, 0.93 and (the sixth, on
# names a moderator misses at a glance) 0.92 of their personal data.
def test_tune_split_recall_and_keep_rate_reach_the_floor() -> None:
    figures = _eval_module().pii_figures("tune")
    assert figures["messages"] >= 1420  # pii_extra.jsonl and the blind sets are read
    assert figures["recall"] >= 0.97
    assert figures["keep_rate"] >= 0.98
    assert figures["baseline"]["recall"] < figures["recall"]
    for kind in ("id", "address", "phone", "email"):
        assert figures["per_kind"][kind]["recall"] >= 0.97, kind
    assert figures["per_kind"]["name"]["recall"] >= 0.96
    for lang, lang_figures in figures["per_lang"].items():
        assert lang_figures["recall"] >= 0.93, lang
        assert lang_figures["keep_rate"] >= 0.97, lang


def test_heldout_split_reaches_its_floor_and_holds_no_tune_line() -> None:
    figures = _eval_module().pii_figures("heldout")
    assert figures["split"] == "heldout"
    assert figures["messages"] == 582  # pii.jsonl's 19 a language, each blind set's 13
    assert set(figures["per_lang"]) == {"en", "fr", "sw", "ar", "pt", "es"}
    assert figures["recall"] >= 0.9
    assert figures["keep_rate"] >= 0.97
    assert figures["per_kind"]["address"]["recall"] >= 0.7
    assert figures["per_kind"]["name"]["recall"] >= 0.85


def test_new_kinds_are_known_with_a_priority() -> None:
    assert {"id", "address"} <= set(KINDS)
    assert KINDS.index("id") < KINDS.index("number") < KINDS.index("name")


# --- ID-document numbers ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("voter card PC0458213 lost", "voter card [id] lost"),
        ("carte electeur no PC0458213 perdue", "carte electeur no [id] perdue"),
        ("kitambulisho changu XY7712345 kimeibiwa", "kitambulisho changu [id] kimeibiwa"),
        ("بطاقتي CM77012104QWER اخدوها", "بطاقتي [id] اخدوها"),
        ("mi cedula 71.204.558 quedo en la casa", "mi cedula [id] quedo en la casa"),
        ("o meu BI 210100654321C foi queimado", "o meu BI [id] foi queimado"),
        ("ration card no QRS-019-27784X not working", "ration card no [id] not working"),
        ("kadi ya mgao no ABC 774412 haifanyi", "kadi ya mgao no [id] haifanyi"),
        ("lost 73019284X yesterday", "lost [id] yesterday"),  # no cue
    ],
)
def test_id_numbers(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we paid 94.512 FC for 2 bags",
        "la distribution est le 15/04/2026 a 9h",
        "battalion 391 moved, 2025-2026 season",
        "nous avons 1.200.000 francs de dettes",
        "3 mortos e 5 feridos",
    ],
)
def test_counts_dates_and_money_are_no_ids(text: str) -> None:
    assert redact(text) == text


# --- street addresses --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we live at plot 9 avenue Mobutu, Kampala", "we live at [address], Kampala"),
        ("on habite au 12 rue des Palmiers, Goma", "on habite au [address], Goma"),
        ("la maison est av. Kasavubu no 31 a Bunia", "la maison est [address] a Bunia"),
        ("iko mtaa wa Amani namba 8 Kibondo", "iko [address] Kibondo"),
        ("Mtaa wa Kanisa nyumba namba 14", "[address]"),
        ("ساكنين في شارع 9، منزل رقم 21 حي النور", "ساكنين في [address] حي النور"),
        ("moro na Rua 4, casa nº 37 em Pemba", "moro na [address] em Pemba"),
        ("vivimos en la Calle 45 # 12-30, Cúcuta", "vivimos en la [address], Cúcuta"),
    ],
)
def test_addresses(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["tenda nr 117 sem agua", "خيمة رقم 117", "block 7 of the camp"])
def test_a_tent_or_block_number_alone_is_no_address(text: str) -> None:
    assert redact(text) == text


# --- names -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my neighbour Zawadi Kahindo saw 3 men", "my neighbour [name] saw 3 men"),
        ("Mr. Kabila Joseph threatened us", "Mr. [name] threatened us"),
        ("mon voisin Patrick Mumbere a vu 2 motos", "mon voisin [name] a vu 2 motos"),
        ("le commandant Bosco Kalume a pris 5 chevres", "le commandant [name] a pris 5 chevres"),
        ("jirani yangu baraka muhindo amepigwa", "jirani yangu [name] amepigwa"),
        ("mi vecino Luis Ortega vio 5 hombres", "mi vecino [name] vio 5 hombres"),
        ("o meu vizinho Abdul Momade viu 4 homens", "o meu vizinho [name] viu 4 homens"),
        ("جاري حسن انضرب امس", "جاري [name] انضرب امس"),
        ("fatuma said na akello grace wamepotea", "[name] na [name] wamepotea"),  # lowercase
        ("Akello Grace and 4 children", "[name] and 4 children"),
        ("i am faith from the camp", "i am [name] from the camp"),
    ],
)
def test_names(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "amani inahitajika hapa, watu 40",  # amani = peace
        "je suis malade depuis 3 jours",
        "i am sick since monday",
        "الناس سعيد بالاكل",  # سعيد = happy
        "precisamos de paz, 3 familias",
        "the commander moved 20 soldiers to Yei road",
        "DR Congo, M. le maire est venu",
        "my mother is sick",
    ],
)
def test_words_that_are_also_names_stay(text: str) -> None:
    assert redact(text) == text
