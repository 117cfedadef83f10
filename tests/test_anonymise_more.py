"""Issue 13, recall on text the rules were not tuned on: the address shapes (chains of
street, house, plot and unit parts) and the name cues (chains, mod words, particles)
added with tests/data/pii_extra.jsonl. Every name, number and address is invented."""

from __future__ import annotations

import time

import pytest

from moderation.anonymise import Anonymiser

ANON = Anonymiser(["CD", "UG", "KE", "TZ", "SD", "MZ", "CO"])


def redact(text: str) -> str:
    return ANON.redact(text).text


# --- addresses ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a name before the street word, after a house or a number sign
        ("we stay at house no. 12 kivu road, near the borehole",
         "we stay at [address], near the borehole"),
        ("my house is #45 mbarara street, kampala", "my house is [address], kampala"),
        ("address: plot 7, lira road, adjumani", "address: [address], adjumani"),
        # ordinals, dates in street names, number signs
        ("we live on 3rd street house 17, zone 2", "we live on [address], zone 2"),
        ("nous habitons la 5e avenue, parcelle 19, Nyiragongo",
         "nous habitons la [address], Nyiragongo"),
        ("bd du 30 juin no 221, gombe", "[address], gombe"),
        ("avenida 25 de junho nr 340, Chiure", "[address], Chiure"),
        ("rua 7 de setembro, casa 12, Montepuez", "[address], Montepuez"),
        ("ma parcelle est au n°45 av. de la paix, Himbi", "ma parcelle est au [address], Himbi"),
        ("av. Samora Machel n. 145, Pemba", "[address], Pemba"),
        ("on habite avenue Kasai numéro 12, quartier Katindo",
         "on habite [address], quartier Katindo"),
        # a house and a unit, two units, a plot alone, a house with a sign alone
        ("we moved to house 9, block D, near the market", "we moved to [address], near the market"),
        ("mi casa es la manzana 4 casa 12, barrio el progreso",
         "mi casa es la [address], barrio el progreso"),
        ("casa 5, quarteirão 12, bairro Cariacó", "[address], bairro Cariacó"),
        ("diagonal 12 # 4-60 apto 301, bucaramanga", "[address], bucaramanga"),
        ("kra 15 #22-10 piso 2, los guerrilleros", "[address], los guerrilleros"),
        ("vivo no talhão 34 do bairro Ingonane", "vivo no [address] do bairro Ingonane"),
        ("me llamo Ana y vivo en el lote 14", "me llamo [name] y vivo en el [address]"),
        ("vivo en la casa # 17 del barrio San Martín",
         "vivo en la [address] del barrio San Martín"),
        ("tuko kiwanja namba 112 mtaa wa Mwembeni", "tuko [address]"),
        ("tunaishi nyumba ya 4 mtaa wa Soko", "tunaishi [address]"),
        ("بيتنا في بلوك 4 منزل 17 معسكر كلمة", "بيتنا في [address] معسكر كلمة"),
        ("حي النصر بلوك 12 عمارة 3", "حي النصر [address]"),
        ("ساكن شارع الجمهورية، بيت 22", "ساكن [address]"),
        ("منزل رقم 8 في حي الثورة اتحرق", "[address] في حي الثورة اتحرق"),
        ("au n° 12 de l'avenue Kasai, quartier Mabanga", "au [address], quartier Mabanga"),
        ("avenue des Cliniques, n° 7, commune de Karisimbi", "[address], commune de Karisimbi"),
        ("we live in house number 14, block 2, palabek", "we live in [address], palabek"),
        ("tunaishi kitalu namba 9 Mtendeli", "tunaishi [address] Mtendeli"),
    ],
)
def test_address_shapes(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the truck broke down at km 14 gulu road, 2 dead",  # a road marker
        "nous sommes 120 menages au km 12 route de Sake",
        "they burnt 14 houses on obote avenue, 3 people died",  # a street, no number
        "we are 230 people at st. mary's school since 3 weeks",
        "nyumba 3 zimechomwa moto usiku",  # Swahili: the count follows the noun
        "les 3 enfants ont la rougeole, cellule Bujovu",  # a cell is a place
        "الجنود اخدوا 6 بقرات من مربع 7",  # a block alone is a place
        "i stay in room 4 of the school",
        "au numero 5 de la rue",
        "la casa 5 veces",
        "battalion 32 moved to the gulu road at 5am",
    ],
)
def test_places_markers_and_counts_are_no_addresses(text: str) -> None:
    assert redact(text) == text


# --- names -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "called", "named", "one", "a certain" and their translations
        ("im called Okot Denis, from zone 4", "im called [name], from zone 4"),
        ("a man named joseph kiiza took our cards", "a man named [name] took our cards"),
        ("one Mugisha is collecting 2000 shillings", "one [name] is collecting 2000 shillings"),
        ("a certain Lokiru threatened my wife", "a certain [name] threatened my wife"),
        ("un nommé Kambale Jean a volé 2 chèvres", "un nommé [name] a volé 2 chèvres"),
        ("le soldat appelé Mumbere tire", "le soldat appelé [name] tire"),
        ("mtu mmoja anaitwa Selemani anatishia watoto",
         "mtu mmoja anaitwa [name] anatishia watoto"),
        ("واحد اسمه عثمان بياخد القروش", "واحد اسمه [name] بياخد القروش"),
        ("المدعو صالح محمد هدد اسرتي", "المدعو [name] هدد اسرتي"),
        ("um tal de Zacarias anda a cobrar", "um tal de [name] anda a cobrar"),
        ("la señora de nombre Gladys Mora vende", "la señora de nombre [name] vende"),
        # cues in a chain, with mod words between
        ("pls call my cousin brother Emmanuel Ssali now", "pls call my cousin brother [name] now"),
        ("the soldier called Sgt. Ochieng took 3 goats",
         "the soldier called Sgt. [name] took 3 goats"),
        ("mon grand frere Paluku Moise est disparu", "mon grand frere [name] est disparu"),
        ("le chef de cellule Bosco nous demande 5000 fc",
         "le chef de cellule [name] nous demande 5000 fc"),
        ("le colonel dit Sultani a pris 10 jeunes", "le colonel dit [name] a pris 10 jeunes"),
        ("kaka yangu mkubwa Rajabu Shabani amekamatwa", "kaka yangu mkubwa [name] amekamatwa"),
        ("mwenyekiti wa mtaa Bw. Mrisho anauza misaada",
         "mwenyekiti wa mtaa Bw. [name] anauza misaada"),
        ("this is mama Achola, we need water", "this is mama [name], we need water"),
        ("el señor llamado Jairo amenazó a mi hija", "el señor llamado [name] amenazó a mi hija"),
        ("o chefe do bairro sr. Tomás pede 200 mt", "o chefe do bairro sr. [name] pede 200 mt"),
        # kinship "X of", articles, Arabic particles and the Arabic comma
        ("je suis la maman de Furaha, elle a 6 ans", "je suis la maman de [name], elle a 6 ans"),
        ("sou a Fatima, mãe do Abudo, ele tem 8 anos",
         "sou a [name], mãe do [name], ele tem 8 anos"),
        ("القائد ود الزين و معاهو 20 مسلح", "القائد [name] و معاهو 20 مسلح"),
        ("خالتي ام كلثوم عندها سكري", "خالتي [name] عندها سكري"),
        ("شكرا، عبدالرحيم من معسكر ابوشوك", "شكرا، [name] من معسكر ابوشوك"),
        ("ابوي اسمو حامد و امي اسمها مريم", "ابوي اسمو [name] و امي اسمها [name]"),
        ("hi, Peter here from block 5", "hi, [name] here from block 5"),
        ("il s'appelle Katembo Jean et il a 9 ans", "il s'appelle [name] et il a 9 ans"),
        ("le sieur Kasongo nous a chassé", "le sieur [name] nous a chassé"),
        ("afande Kiprono anatutisha kila siku", "afande [name] anatutisha kila siku"),
        ("the wife of Lokwang gave birth", "the wife of [name] gave birth"),
        ("زوجة يعقوب ولدت امس", "زوجة [name] ولدت امس"),
    ],
)
def test_name_cues(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "grace be with you all, we got 50 bags of maize",
        "hope the 3 trucks come on friday 12/05",
        "il faut de la patience, on attend depuis 2 mois",
        "baraka za mungu, tumepata mahindi gunia 20",
        "عندنا امل كبير، 40 اسرة رجعت",  # امل = hope, كبير = big
        "mimi ni mgonjwa sana, nina homa",
        "I am called from Uvira every day",  # a cue, then no name
        "yo soy jhon del barrio La Libertad",  # "del barrio": a place, not a surname
        "hola soy nelly de villa del rosario",
        "mzee wa kijiji",
        "kamanda na askari 30 wako Sake",  # "wako" = they are, not "yours"
    ],
)
def test_words_places_and_cues_without_a_name(text: str) -> None:
    out = redact(text)
    for keep in ("grace", "hope", "patience", "baraka", "امل", "كبير", "mgonjwa", "Uvira",
                 "La Libertad", "villa del rosario", "mzee wa kijiji", "Sake"):
        if keep in text:
            assert keep in out, (keep, out)


# --- hostile text ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "unit",
    ["signed ", "Mr Mme Bwana ", "my cousin brother ", "casa 5, manzana 4, ",
     "12 rue des Manguiers ", "a-", "rue avenue calle "],
)
def test_long_crafted_texts_stay_linear_and_redact_the_end(unit: str) -> None:
    text = unit * (20_000 // len(unit)) + " my neighbour Zawadi Kahindo, plot 9 avenue Mobutu"
    started = time.perf_counter()
    out = redact(text)
    assert time.perf_counter() - started < 2.0
    assert "Zawadi" not in out and "Kahindo" not in out and "plot 9" not in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Okot and Auma are missing since monday", "[name] and [name] are missing since monday"),
        ("Kahindo et Masika sont mes enfants", "[name] et [name] sont mes enfants"),
        ("Grace and Hope are what we need", "Grace and Hope are what we need"),  # also words
        ("entre Goma et Bukavu la route est coupée", "entre Goma et Bukavu la route est coupée"),
        # lowercase, both lexicon names and neither an everyday word: residents write
        # names so (six of 240 lines of a blind batch did)
        ("okot and auma were taken", "[name] and [name] were taken"),
        ("se llevaron a wilmer y a dayana", "se llevaron a [name] y a [name]"),
        ("grace and hope", "grace and hope"),  # everyday words stay, lowercase too
        ("levaram Ancha, Jossias e o Tomas", "levaram [name], [name] e o [name]"),
        ("goma and bukavu", "goma and bukavu"),  # places
    ],
)
def test_two_lexicon_names_joined_by_and(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Opio, Auma and Ocen were taken", "[name], [name] and [name] were taken"),
        ("Rehema, Zawadi na Upendo wamefika", "[name], [name] na [name] wamefika"),
        ("Kasulu, Kibondo and Kigoma camps", "Kasulu, Kibondo and Kigoma camps"),  # places
        ("precisamos de paz em Cabo Delgado", "precisamos de paz em Cabo Delgado"),
        ("the pump is broken since 2 weeks. Kato", "the pump is broken since 2 weeks. [name]"),
        ("we are in Goma.", "we are in Goma."),
        ("ana ismi 7asan adam mn geneina", "ana ismi [name] mn geneina"),  # Arabizi
        ("jari 3abdallah mat", "jari [name] mat"),
        ("we need a 2nd distribution at 5pm", "we need a 2nd distribution at 5pm"),
    ],
)
def test_lists_signatures_places_and_arabizi(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avenue Kasai no12, Goma", "[address], Goma"),
        ("q. Katindo, av. Kasai 12, Goma", "q. Katindo, [address], Goma"),
        ("we live at 12 Kololo Hill Road", "we live at [address]"),
        ("nyumba yangu namba 12 iko Kasulu", "[address] iko Kasulu"),
        ("avenue Lumumba 3 hommes armés", "avenue Lumumba 3 hommes armés"),  # a count
        ("le nord 5 fois", "le nord 5 fois"),
    ],
)
def test_more_address_signs_and_orders(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "<name> here" first, even a name the lexicon lacks, before punctuation or "from"
        ("Kibwetere here, the well at the camp is dry", "[name] here, the well at the camp is dry"),
        ("Mbusa Kyaviro ici. la route est coupee", "[name] ici. la route est coupee"),
        ("habari, Zuhura hapa kutoka uvira", "habari, [name] hapa kutoka uvira"),
        ("Everyone here is sick", "Everyone here is sick"),  # a verb follows: no name
        ("Goma here, calm tonight", "Goma here, calm tonight"),  # a place
        # a signature after a dash at the end, an initial with it
        ("the school burnt last night. - Kasoki M.", "the school burnt last night. - [name]."),
        ("tumevamiwa usiku\n- Neema K", "tumevamiwa usiku\n- [name]"),
        ("road closed - goma", "road closed - goma"),  # no sentence before the dash
        ("we need water. - the elders", "we need water. - the elders"),  # function word
        # "called", "llamado", "chamado": a capitalised word after them is a name
        ("un tipo llamado Ferney Ospina cobra vacuna", "un tipo llamado [name] cobra vacuna"),
        ("um homem chamado Zeferino ameaçou", "um homem chamado [name] ameaçou"),
    ],
)
def test_names_at_the_edges_and_after_called(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # his, her, our, their relatives, as the "my" ones
        ("his wife Nakato was beaten", "his wife [name] was beaten"),
        ("sa femme Masika a disparu", "sa femme [name] a disparu"),
        ("mke wake Neema amepotea", "mke wake [name] amepotea"),
        ("su hermano Wilson no volvio", "su hermano [name] no volvio"),
        ("زوجته فاطمة مريضة", "زوجته [name] مريضة"),
        # a greeting, then who writes
        ("hola es Maritza, no hay agua", "hola es [name], no hay agua"),
        ("oi e a Joana, ajuda", "oi e a [name], ajuda"),
        # a name, then a title after a comma, first in the text
        ("Kambale Paluku, chef de quartier, a vole", "[name], chef de quartier, a vole"),
        ("Goma, the town, is calm", "Goma, the town, is calm"),  # a place, and no title
        # a lexicon name joined to one a cue found
        ("papa Kasereka et muhindo sont blesses", "papa [name] et [name] sont blesses"),
    ],
)
def test_possessive_kin_greetings_appositions_and_pairs(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a name found once is hidden wherever it appears again
        ("my brother Kato was taken, we saw Kato", "my brother [name] was taken, we saw [name]"),
        # a nickname after a name a cue found
        ("le chef s'appelle Mbusa dit Tonnerre", "le chef s'appelle [name] dit [name]"),
        # a name and an initial ending the text, after a sentence
        ("no school for 3 months. Kavira K.", "no school for 3 months. [name]."),
        ("we met at the school. The end", "we met at the school. The end"),  # no initial
        # ranks, twins, relatives after the noun, texting French, Arabizi
        ("o cabo Zeferino bateu", "o cabo [name] bateu"),
        ("a irma dele Zainabo sumiu", "a irma dele [name] sumiu"),
        ("mimi na pacha wangu Kulwa", "mimi na pacha wangu [name]"),
        ("c moi Mwenebatu, la route est coupee", "c moi [name], la route est coupee"),
        ("ana esmi Tagwa, el gesh hena", "ana esmi [name], el gesh hena"),
    ],
)
def test_repeated_names_nicknames_initials_and_more_cues(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic compound names in two words, as one name
        ("جاري عبد المنعم مريض", "جاري [name] مريض"),
        ("اخدوا فضل الله وعوض الله من السوق", "اخدوا [name] من السوق"),
        ("الحمد لله على السلامة", "الحمد لله على السلامة"),  # God, not a name
        # على ("on") is no name, though it folds to علي (Ali)
        ("جاري علي مريض على السرير", "جاري [name] مريض على السرير"),
    ],
)
def test_arabic_compound_names_and_ala(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic "and" written on the next name, with its article
        ("الزبير والطيب اتعرضوا للضرب", "[name] اتعرضوا للضرب"),
        # a signature after a spaced dash, where the signer is from kept
        ("mungu awabariki - Tumaini wa kigoma", "mungu awabariki - [name] wa kigoma"),
        ("pay 5000 - 6000 fc", "pay 5000 - 6000 fc"),
    ],
)
def test_arabic_and_and_signatures_with_a_place(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["sıgned: Zuberico", "SİGNED: Zuberico", "ſigned: Zuberico"])
def test_signatures_spelt_as_the_patterns_ignore_case(text: str) -> None:
    """The scans are skipped in a text with no word a match holds; the check folds case
    as the patterns do, so these still hide the signer (no other pass finds this name)."""
    assert "Zuberico" not in Anonymiser(["CD"]).redact(text).text


@pytest.mark.parametrize(("text", "expected"), [
    ("le commandant N'Diaye a dit", "le commandant [name] a dit"),
    ("Mr O'Neil came with soldiers", "Mr [name] came with soldiers"),
    ("Mme D'Souza est la", "Mme [name] est la"),
    ("Mme Kavira-Masika-Kahindo-Mbusa-Zawadi a vu", "Mme [name] a vu"),
])
def test_a_name_after_a_title_to_its_end(text: str, expected: str) -> None:
    """An elided first part ("N'", "O'") and every part of a hyphenated name are the name."""
    assert Anonymiser(["CD"]).redact(text).text == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("اسمي هو علي من الجنينة", "اسمي هو [name] من الجنينة"),
    ("واسمي عمر", "واسمي [name]"),
    ("فاسمي حسن", "فاسمي [name]"),
    ("اسمي zuberico وانا من نيالا", "اسمي [name] وانا من نيالا"),
])
def test_arabic_introductions_the_name_scan_alone_would_miss(text: str, expected: str) -> None:
    """Kept in the introductions pattern: "هو" between, an attached و or ف, a Latin name
    in lower case after an Arabic introduction."""
    assert Anonymiser(["SD"]).redact(text).text == expected
