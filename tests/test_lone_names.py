"""Names the lexicon lacks, told by their capital (moderation._lone_names), through the
anonymiser as a report is stored. Invented names, not in the lexicon."""

from __future__ import annotations

import pytest

from moderation.anonymise import Anonymiser

ANON = Anonymiser(["CD", "MZ", "CO", "KE"])


def redact(text: str) -> str:
    return ANON.redact(text).text


@pytest.mark.parametrize(("text", "expected"), [
    ("levaram o Zuberico e o Tafumo quando voltavam da machamba",
     "levaram o [name] e o [name] quando voltavam da machamba"),
    ("se llevaron a Yesnira anoche cerca del rio", "se llevaron a [name] anoche cerca del rio"),
    ("polisi wamemkamata Kamwiru jana usiku", "polisi wamemkamata [name] jana usiku"),
    ("the men beat Obwonyo Lakwenge at the borehole",
     "the men beat [name] at the borehole"),
    # a run stops at its first word that is no name
    ("wamemchukua Kamwiru Polisi hawajafika", "wamemchukua [name] Polisi hawajafika"),
])
def test_a_capitalised_word_inside_a_sentence_is_a_name(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "we fled. Soldiers came at night and took the goats",  # a sentence's first word
    "on habite au quartier Kazinguro depuis 2 ans",  # after a place cue
    "vivimos en el barrio La Portalera, no hay agua",  # a cue, then an article
    "les militaires sont partis vers Kazinguro hier",
    "nous sommes 40 familles au site de Mabwengo sans eau",
    "the Commander told us to leave the camp",  # a title, not a name
    "they came on Monday and again on Friday",
    "we paid KSh 2,000 to the broker for a tent",  # a currency before its amount
    "the food from the PAM did not come",  # an acronym
    "Grace and Hope are what we need",  # names that are words want a cue
    "The Soldiers Came To Our Village And Took Everything",  # Title Case
    "SOLDIERS TOOK THE GOATS NEAR THE SCHOOL",  # shouting
    "the blankets from Caritas came yesterday",
])
def test_what_a_capital_does_not_make_a_name(text: str) -> None:
    assert redact(text) == text


def test_a_word_right_after_an_address_is_its_district() -> None:
    out = redact("ils ont pillé au 27 avenue des Manguiers, Kazinguro, cette nuit")
    assert "Kazinguro" in out and "[address]" in out


def test_a_name_found_by_its_capital_goes_everywhere_in_the_text() -> None:
    out = redact("levaram o Zuberico ontem. a mae do zuberico chora")
    assert "uberico" not in out


def test_arabic_has_no_capitals_and_is_left_to_the_other_passes() -> None:
    text = "القوات دخلت الحي ليلا واخذت ٣ شباب"
    assert redact(text) == text


def test_the_missions_own_places_are_kept() -> None:
    text = "the soldiers took Kazinguro and Mabwengo last week"
    assert "[name]" in redact(text)  # unknown places read as names...
    mission = Anonymiser(["CD"], places=["Kazinguro", "Mabwengo hill"])
    assert mission.redact(text).text == text  # ...but not the mission's own areas


def test_the_config_areas_reach_the_anonymiser(tmp_path) -> None:
    from bot.app import screening_of
    from tests.conftest import make_config

    config = make_config(tmp_path, areas=[{"code": "kazinguro", "names": {"en": "Kazinguro"}}])
    screened = screening_of(config).screen("the soldiers took Kazinguro last week")
    assert "Kazinguro" in screened.redacted.text


@pytest.mark.parametrize(("text", "expected"), [
    ("they said if modesta talks they will burn the house",
     "they said if [name] talks they will burn the house"),
    ("wamesema modesta akiongea watarudi", "wamesema [name] akiongea watarudi"),
    # after "de", "ya": a person's, not a place's ("vereda san modesta" is a place)
    ("la maison de modesta a ete brulee", "la maison de [name] a ete brulee"),
    ("nyumba ya modesta imechomwa", "nyumba ya [name] imechomwa"),
])
def test_a_given_name_alone_is_a_name_in_any_case(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "risasi zilisikika usiku karibu na soko",  # bullets: a given name, an everyday word
    "ana maji kidogo tu",  # a three-letter given name alone is too often a word
    "no hay agua en la vereda san modesta desde el lunes",  # after a place cue
])
def test_what_a_given_name_alone_keeps(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "na avenida Eduardo Mondlane em pemba a policia fechou a estrada",
    "o bairro Samora Machel ficou sem agua desde maio",
    "les tirs venaient du quartier Kabila hier soir",
    "hakuna maji mtaa wa Nyerere tangu jumatatu",
])
def test_a_place_named_after_a_person_stays(text: str) -> None:
    assert redact(text) == text


def test_a_person_of_that_name_is_still_a_name() -> None:
    assert redact("meu vizinho Eduardo Mondlane viu tudo") == "meu vizinho [name] viu tudo"


@pytest.mark.parametrize(("text", "expected"), [
    ("قالوا لو تكلمت زينب حيرجعوا", "قالوا لو تكلمت [name] حيرجعوا"),
    ("اتصلوا بزينب امهم وطلبوا فدية", "اتصلوا [name] امهم وطلبوا فدية"),  # ب attached
])
def test_an_arabic_given_name_alone(text: str, expected: str) -> None:
    assert redact(text) == expected


# --- places and organisations that a capital or a cue made names (fifth blind set) --------

@pytest.mark.parametrize("text", [
    "thank u IRC for the tarpaulins, 56 families got shelter",  # an acronym after "thanks"
    "Merci MSF pour la clinique mobile à Rutshuru jeudi",
    "muito obrigada ACNUR, recebemos os kits em Nampula",
    "hay combates en Florencia entre disidencias y el ejército",  # a given name after "en"
    "llegaron a Puerto Asís el martes, 120 familias",  # a run that begins with a place noun
    "lo llevaron a San José del Guaviare anoche",
    "the soldiers passed through Tierralta and Namapa on monday",  # towns of GeoNames
    "foi espancado pela Força Local porque não tinha BI",  # an armed force
])
def test_places_and_organisations_stay(text: str) -> None:
    assert redact(text) == text


def test_a_town_that_is_also_a_given_name_is_still_a_name_without_a_place_cue() -> None:
    # "florencia" is a town of the list and a given name of the lexicon: the lexicon wins
    assert redact("wamemchukua Florencia jana usiku") == "wamemchukua [name] jana usiku"


def test_an_acronym_is_no_name_but_a_shouted_lexicon_name_is() -> None:
    assert redact("the men of FARDC took my brother Kasereka") == (
        "the men of FARDC took my brother [name]")
    assert redact("my brother MSF came") == "my brother MSF came"
    assert redact("MY NEIGHBOUR JUMA WAS TAKEN") == "MY NEIGHBOUR [name] WAS TAKEN"


@pytest.mark.parametrize(("text", "expected"), [
    ("le chauffeur Safari a été blessé", "le chauffeur [name] a été blessé"),
    ("dereva Kamwiru alipigwa risasi", "dereva [name] alipigwa risasi"),
    ("o motorista Zuberico foi levado", "o motorista [name] foi levado"),
])
def test_an_occupation_before_a_name_is_a_title(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "walimteka mwalimu na wanafunzi 2 kwenye barabara ya Butembo-Beni",  # a preposition
    "mafuriko yameziba barabara ya kilwa kilomita 30, magari 12 yamekwama",  # a road marker
])
def test_what_a_number_near_a_street_word_does_not_make_an_address(text: str) -> None:
    assert redact(text) == text


# --- names joined to a name found (moderation._name_passes.joined_names) ----------------

@pytest.mark.parametrize(("text", "expected"), [
    # "and" before a name found: a lexicon name, an everyday word only if capitalised
    ("nimeripoti kuhusu Juma na Kasereka kupotea", "nimeripoti kuhusu [name] na [name] kupotea"),
    ("wamemchukua Kasereka na Neema jana", "wamemchukua [name] na [name] jana"),
    # a comma, then a lower-case name, then "and": a list
    ("mama Kahindo, rehema na mtoto wao wametekwa", "mama [name], [name] na mtoto wao wametekwa"),
    # a surname after a Romance particle
    ("meu nome é Joana da silva e perdi o cartão", "meu nome é [name] e perdi o cartão"),
])
def test_names_joined_to_a_name_found(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "jirani yangu Kasereka, leo tunaomba msaada",  # after a comma, a word in lower case
    "my brother Kasereka and hope are all we have",  # an everyday word in lower case
    "mon frère Kasereka de Bunia est arrivé",  # a place after "de"
    "o irmão Kasereka na estrada de Mueda",  # "na" is "and" in Swahili, "in the" here
])
def test_what_a_name_found_does_not_join(text: str) -> None:
    out = redact(text)
    assert "Kasereka" not in out
    assert out.count("[name]") == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("انا سعيد جدا الاغاثة وصلت", "انا سعيد جدا الاغاثة وصلت"),  # I am very happy
    ("ni baraka kubwa kwa familia 60", "ni baraka kubwa kwa familia 60"),  # a great blessing
    ("انا سعيد من كوستي", "انا [name] من كوستي"),  # I am Said
    # a name that is also a word ends the text after a sentence's end: a signature
    ("qué hago pa recibir la ayuda? Milagros", "qué hago pa recibir la ayuda? [name]"),
    ("C'est encore Neema, j'attends les médicaments",
     "C'est encore [name], j'attends les médicaments"),
])
def test_introductions_and_signatures_of_names_that_are_words(text: str, expected: str) -> None:
    assert redact(text) == expected


# --- a person's verb after a name (moderation._agreement) --------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Neema na Tumaini wamerudi salama", "[name] na [name] wamerudi salama"),  # class 2
    ("jana usiku neema alipigwa na askari", "jana usiku [name] alipigwa na askari"),
    ("Ali amekufa hospitalini", "[name] amekufa hospitalini"),  # a short given name
])
def test_a_name_before_a_persons_verb(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "neema imerudi kwa familia yetu",  # grace (class 9 verb)
    "kijana alikuwa kwa mjomba wake",  # a people noun
    "mama alipigwa jana usiku",  # a cue word, before the name it introduces
    "la paz amenazada en el pueblo",  # Spanish: an article before it
])
def test_what_a_persons_verb_does_not_make_a_name(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("walimchukua neema jana usiku", "walimchukua [name] jana usiku"),  # the -m- of a person
    ("polisi wamemkamata baraka sokoni", "polisi wamemkamata [name] sokoni"),
    ("الضابط قبضوا على صالح وطلبوا فلوس", "الضابط قبضوا على [name] وطلبوا فلوس"),  # harm verbs
    ("خطفوا عمر من السوق امبارح", "خطفوا [name] من السوق امبارح"),
])
def test_a_name_after_a_verb_that_takes_a_person(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "walimu wamefika shuleni leo",  # teachers: no object marker
    "wanamgambo wako milimani tangu asubuhi",  # militiamen: a noun, not wa-na-m-
    "wakimbizi wengi wamefika kambini",  # refugees: a noun, not wa-ki-m-
    "خطفوا ولد صغير من السوق",  # a boy: a particle of names, but no name after a verb
])
def test_what_a_verb_before_a_word_does_not_make_a_name(text: str) -> None:
    assert redact(text) == text


# --- follow-ups, children, several names, nicknames (sixth blind set's tune lines) -------

@pytest.mark.parametrize(("text", "expected"), [
    ("Suite à mon message sur Riziki : Riziki refuse de porter plainte",
     "Suite à mon message sur [name] : [name] refuse de porter plainte"),
    ("Kuhusu ripoti yangu ya Faraja, leo amepelekwa hospitali",
     "Kuhusu ripoti yangu ya [name], leo amepelekwa hospitali"),
    ("بخصوص بلاغي عن جميلة: لقيناها في المستشفى", "بخصوص بلاغي عن [name]: لقيناها في المستشفى"),
    ("Ils s'appellent Neema et Safari, 5 et 7 ans", "Ils s'appellent [name] et [name], 5 et 7 ans"),
    ("mtoto neema wa miaka 6 amepotea", "mtoto [name] wa miaka 6 amepotea"),
    ("levaram a menina Glória, 11 anos", "levaram a menina [name], 11 anos"),
    ("Todos lo conocen como el Paisa.", "Todos lo conocen como el [name]."),
])
def test_follow_ups_children_lists_and_nicknames(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "Graças a Deus a Cruz Vermelha distribuiu comida em Ancuabe",  # a saying
    "Les FARDC mènent l'opération Shujaa depuis mai",  # an operation's name
    "Tumeona makaburi karibu na mto Semuliki",  # a river
    "alizaa mtoto usiku wa jana",  # a child born at night: a time word is no name
])
def test_sayings_operations_rivers_and_times_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "الهلال الاحمر ما وصل المخيم",  # the Red Crescent: both words are words too, with the article
    "Lucky there were no deaths in Atiak",
    "Bienvenu au nouveau chef de poste de la PNC",
    "Em Palma, a Total não voltou",
])
def test_organisations_and_words_at_a_sentences_start_stay(text: str) -> None:
    assert redact(text) == text


def test_daughter_of_joins_a_name() -> None:
    assert redact("زوجته فاطمة بت الطاهر هربت مع اطفالها") == "زوجته [name] هربت مع اطفالها"


@pytest.mark.parametrize(("text", "expected"), [
    ("the landlord beat mercy last night", "the landlord beat [name] last night"),
    ("les wazalendo ont frappe dieudonne hier", "les wazalendo ont frappe [name] hier"),
    ("mataron a esperanza anoche en la vereda", "mataron a [name] anoche en la vereda"),
])
def test_a_name_after_a_verb_of_harm_in_other_languages(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "se llevaron a la niña anoche",  # an article, then no name
    "they shot at the house last night",
])
def test_what_a_verb_of_harm_does_not_make_a_name(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "Al-Shabaab attacked a police camp near Mandera on Sunday night",  # a day, then its time
    "they are recruiting boys from Bidi Bidi zone 3 to go",  # a run before a place noun
    "Les gens de Kipese et Masereka ne vont plus aux champs",  # a list after a place cue
    "Mas em Meza e Nanjua a fome continua",
    "vivo en el barrio Bolívar de Ureña",  # a lexicon run that a place noun begins
])
def test_places_told_by_their_neighbours_stay(text: str) -> None:
    assert redact(text) == text


def test_a_name_then_its_kin_at_any_sentences_start() -> None:
    assert redact("Perdemos o menino. Vitória, a irmã mais velha, ficou com a avó.") == (
        "Perdemos o menino. [name], a irmã mais velha, ficou com a avó.")
    assert redact("Merci, docteur, pour les médicaments.") == (
        "Merci, docteur, pour les médicaments.")  # a thanks, not a name


@pytest.mark.parametrize(("text", "expected"), [
    ("A Luz y a Milagros las amenazaron anoche", "A [name] y a [name] las amenazaron anoche"),
    ("ayer a rosa la golpearon en la vereda", "ayer a [name] la golpearon en la vereda"),
])
def test_a_spanish_doubled_object_is_a_person(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_place_or_an_article_after_a_is_no_doubled_object() -> None:
    assert redact("a la escuela la cerraron ayer") == "a la escuela la cerraron ayer"
