"""Urgent-risk detector (issue 13): categories per language, what must not fire, folding,
linear time, and the figures on tests/data/urgent.jsonl.

The sentences here are written for these tests, not copied from the evaluation set.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import pytest

from moderation.urgent import CATEGORIES, UrgentVerdict, assess_urgent, fold_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

from eval_urgent import urgent_figures

# (language, text, the category that must fire)
FIRES = [
    ("en", "heavy shooting behind the clinic, stay inside", "shooting"),
    ("en", "the market was attacked an hour ago, people are wounded", "attack"),
    ("en", "they killed two men at the borehole", "killing"),
    ("en", "my niece was abducted on the road to the farm", "abduction"),
    ("en", "a girl was raped near the latrines", "sexual_violence"),
    ("en", "they threatened to burn the whole block", "threat"),
    ("en", "the food store is on fire", "fire"),
    ("en", "gunmen at the gate of the school", "armed_presence"),
    ("fr", "des tirs partout pres du stade", "shooting"),
    ("fr", "ils attaquent le quartier nord", "attack"),
    ("fr", "deux jeunes ont ete tues au marché", "killing"),
    ("fr", "ma fille a ete enlevée par des inconnus", "abduction"),
    ("fr", "une femme a ete violée pres du puits", "sexual_violence"),
    ("fr", "il nous menace avec un couteau", "threat"),
    ("fr", "incendie dans le dépôt de vivres", "fire"),
    ("fr", "des hommes armés devant l'école", "armed_presence"),
    ("sw", "risasi zinapigwa karibu na shule", "shooting"),
    ("sw", "wameshambulia kijiji chetu", "attack"),
    ("sw", "wameua watu watatu sokoni", "killing"),
    ("sw", "binti yangu ametekwa njiani", "abduction"),
    ("sw", "mwanamke amebakwa karibu na choo", "sexual_violence"),
    ("sw", "wanatutishia kwa mapanga", "threat"),
    ("sw", "ghala la chakula linaungua", "fire"),
    ("sw", "watu wenye silaha wako getini", "armed_presence"),
    ("ar", "في رصاص جنب المدرسة", "shooting"),
    ("ar", "هجموا على السوق", "attack"),
    ("ar", "قتلوا راجلين في البير", "killing"),
    ("ar", "خطفوا ولدي في الطريق", "abduction"),
    ("ar", "اغتصبوا بنت جنب الحمامات", "sexual_violence"),
    ("ar", "هددونا بالسلاح", "threat"),
    ("ar", "حريق كبير في المخزن", "fire"),
    ("ar", "مسلحين قدام المدرسة", "armed_presence"),
    ("pt", "tiroteio perto da escola agora", "shooting"),
    ("pt", "atacaram o bairro esta noite", "attack"),
    ("pt", "mataram dois homens no poço", "killing"),
    ("pt", "a minha filha foi raptada na estrada", "abduction"),
    ("pt", "uma mulher foi violada perto do rio", "sexual_violence"),
    ("pt", "ele ameaça queimar a nossa casa", "threat"),
    ("pt", "incendio no armazem de comida", "fire"),
    ("pt", "insurgentes na entrada da aldeia", "armed_presence"),
    ("es", "balacera cerca de la escuela", "shooting"),
    ("es", "atacaron la vereda anoche", "attack"),
    ("es", "mataron a dos señores en el puente", "killing"),
    ("es", "secuestraron a mi sobrino en la carretera", "abduction"),
    ("es", "una muchacha fue violada cerca del rio", "sexual_violence"),
    ("es", "nos amenazan con quemar el rancho", "threat"),
    ("es", "incendio en la bodega de comida", "fire"),
    ("es", "hay hombres armados en la entrada", "armed_presence"),
]

CALM = [
    # negation
    ("en", "there was no shooting last night"), ("fr", "il n'y a pas eu de tirs cette nuit"),
    ("sw", "hakuna shambulio usiku huu"), ("ar", "ما في رصاص الليلة"),
    ("pt", "ninguem foi atacado, tudo calmo"), ("es", "nadie fue secuestrado, todo bien"),
    # past non-events and old rumours
    ("en", "last year there was a fire in the old market"),
    ("fr", "il y a longtemps des rebelles ont brulé le village"),
    ("sw", "zamani walichoma kijiji hiki"), ("ar", "زمان حرقو القرية دي"),
    ("pt", "ha muito tempo houve tiros aqui"), ("es", "hace mucho hubo un ataque en la vereda"),
    ("en", "people say there was shooting, it was only a rumour"),
    ("en", "there were attacks here in 2017, now it is calm"),
    # figurative and benign
    ("en", "the football match was a killer"), ("en", "this heat is killing me"),
    ("en", "they want to fire the manager"), ("en", "can you shoot a photo of the tanks"),
    ("fr", "le feu rouge est cassé"), ("fr", "ce soleil me tue lol"),
    ("sw", "mechi ya jana ilikuwa moto"), ("sw", "joto hili linaniua"),
    ("ar", "الحر ده حيكتلنا"), ("pt", "este calor mata kkk"),
    ("es", "ese partido estuvo a fuego jaja"), ("es", "el calor me esta matando"),
    # ordinary requests
    ("en", "when is the next distribution of soap"), ("fr", "merci pour les bâches"),
    ("sw", "tunaomba maji safi"), ("ar", "متين توزيع الصابون"),
    ("pt", "preciso de uma lona nova"), ("es", "necesitamos cobijas para los niños"),
]


@pytest.mark.parametrize(("lang", "text", "category"), FIRES)
def test_each_category_fires_in_each_language(lang: str, text: str, category: str) -> None:
    verdict = assess_urgent(text, lang)
    assert verdict.urgent, text
    assert category in verdict.cues, (text, verdict.cues)


@pytest.mark.parametrize(("lang", "text"), CALM)
def test_negation_past_figurative_and_requests_stay_calm(lang: str, text: str) -> None:
    assert assess_urgent(text, lang) == UrgentVerdict(False, ()), text


def test_every_category_is_covered_and_cues_are_sorted_and_unique() -> None:
    assert {c for _, _, c in FIRES} == set(CATEGORIES)
    verdict = assess_urgent("armed men are shooting and they burned the tents, shooting again")
    assert verdict.cues == tuple(sorted(set(verdict.cues)))
    assert {"armed_presence", "shooting", "fire"} <= set(verdict.cues)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.urgent = False  # type: ignore[misc]


def test_placeholders_from_the_anonymiser() -> None:
    assert assess_urgent("[name] was kidnapped near [address], call [phone]", "en").urgent
    assert assess_urgent("[name] ametekwa karibu na [address]", "sw").urgent
    assert not assess_urgent("please call [name] on [phone] about the blankets", "en").urgent
    assert assess_urgent("rebels took [name] from the tent", "en").cues == ("abduction",
                                                                           "armed_presence")
    assert assess_urgent("wamemchukua [name] kwa nguvu", "sw").cues == ("abduction",)


def test_folding_case_accents_repeats_and_arabic_variants() -> None:
    assert assess_urgent("HEEELP THEY ARE SHOOOOTING", "en").cues == ("shooting",)
    assert assess_urgent("ils ont BRÛLÉ les maisons", "fr").urgent
    assert assess_urgent("ils ont brule les maisons", "fr").urgent
    assert fold_text("أ إ آ ة ى") == "ا ا ا ه ي"
    assert fold_text("هـــجـوم") == "هجوم"
    # With diacritics, tatweel, hamza forms and ta marbuta: the same cues as bare text.
    assert assess_urgent("إغتصـاب في المعسكر", "ar").cues == ("sexual_violence",)
    assert assess_urgent("قَتَلُوا الناس", "ar").urgent
    assert assess_urgent("مجزرة في القرية", "ar").urgent
    assert fold_text("٢٠١٩") == "2019"


def test_mixed_languages_run_every_lexicon() -> None:
    assert assess_urgent("ils tirent sasa hivi karibu na soko", "sw").cues == ("shooting",)
    assert assess_urgent("bandits armés wako njiani", "fr").urgent
    assert assess_urgent("fi darb nar gamb el souq", "ar").urgent
    assert not assess_urgent("pas de tirs leo, hali ni shwari", "sw").urgent


def test_local_entries_only_in_their_language() -> None:
    # Portuguese "no" is "in the", not English or Spanish "no".
    assert assess_urgent("tiros no mercado, ataque no bairro", "pt").urgent
    assert not assess_urgent("no ataque hoy", "es").urgent
    assert not assess_urgent("no ataque hoy", "es-CO").urgent
    assert assess_urgent("tiros no mercado", "PT").urgent
    # Unknown language: every entry runs.
    assert not assess_urgent("no shooting today", "xx").urgent
    assert assess_urgent("shooting today", None).urgent


def test_negation_reaches_two_words_and_the_cues_it_overlaps() -> None:
    assert assess_urgent("we are not safe they are shooting", "en").urgent
    assert not assess_urgent("pas de coups de feu hier soir", "fr").urgent
    assert not assess_urgent("ما في زول اتخطف", "ar").urgent
    assert assess_urgent("they have surrounded us", "en").urgent
    # A Swahili verb negated by its own prefix.
    assert not assess_urgent("hawajavamia bado", "sw").urgent
    assert not assess_urgent("they didn't shoot anyone", "en").urgent


def test_old_rumours_and_figurative_uses_in_every_language() -> None:
    for lang, text in [("fr", "l'année dernière il y a eu un incendie"),
                       ("sw", "mwaka jana kulikuwa na moto"), ("ar", "السنة الفاتت كان في حريق"),
                       ("pt", "no ano passado houve um incendio"),
                       ("es", "el año pasado hubo un incendio"), ("fr", "ce n'etait qu'une rumeur"),
                       ("ar", "طلعت اشاعة"), ("pt", "era so um boato"), ("sw", "ilikuwa uvumi tu"),
                       ("en", "my father had a heart attack"), ("es", "me mata de la risa"),
                       ("en", "they say a long time ago there was shooting here")]:
        assert not assess_urgent(text, lang).urgent, text


def test_swahili_kill_after_its_prefixes() -> None:
    for text in ("wametuua", "waasi wamewaua wanakijiji", "walimuua mzee"):
        assert "killing" in assess_urgent(text, "sw").cues, text
    for text in ("maua mazuri sokoni", "nimeiona mvua", "tunajua"):
        assert not assess_urgent(text, "sw").urgent, text


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "the situation is stable now"), ("en", "a lot of people came for the food"),
    ("en", "my bicycle tire is flat"), ("en", "he got his polio shot today"),
    ("en", "my facebook was hacked"), ("es", "la bomba de agua no sirve"),
    ("pt", "como te chamas"), ("es", "como te llamas"), ("ar", "الولد مسكين عيان"),
    ("ar", "الوضع فيه هدوء"), ("ar", "عندي حرقان"), ("pt", "fugimos para a mata"),
    ("en", "don jose needs a blanket"), ("en", "i burnt the rice"),
])
def test_words_that_only_look_like_cues(lang: str, text: str) -> None:
    assert not assess_urgent(text, lang).urgent, text


def test_present_outweighs_a_past_marker_in_its_clause() -> None:
    assert assess_urgent("last year they burned the market and now they are shooting", "en").urgent


def test_a_break_word_ends_the_past_clause() -> None:
    assert not assess_urgent("in 2016 rebels attacked here but now it is calm", "en").urgent
    assert not assess_urgent("ano passado atacaram mas agora tudo calmo", "pt").urgent
    assert assess_urgent("hakuna risasi jana lakini leo wanapiga risasi", "sw").urgent


def test_sms_spellings_and_swahili_negated_verbs() -> None:
    assert assess_urgent("atak on the camp", "en").urgent
    assert assess_urgent("armd men near the tap", "en").urgent
    assert assess_urgent("my husband was taken by soldiers", "en").cues == ("abduction",)
    assert not assess_urgent("hawakupiga risasi usiku", "sw").urgent
    assert not assess_urgent("he took my daughter to the clinic", "en").urgent


def test_context_words_reach_their_clause_and_laughter_the_message() -> None:
    # "teacher" in another clause does not silence the fire; in the same clause it does.
    assert assess_urgent("fire at the school, the teacher is still inside", "en").urgent
    assert not assess_urgent("the teacher is killing us with homework", "en").urgent
    assert not assess_urgent("mwalimu anatuua, haha", "sw").urgent
    assert not assess_urgent("o jogo estava fogo, kkk", "pt").urgent


def test_empty_and_odd_input() -> None:
    assert assess_urgent("") == UrgentVerdict(False, ())
    assert assess_urgent("!!! ,,, ???") == UrgentVerdict(False, ())
    assert not assess_urgent("😀" * 50).urgent


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        assess_urgent(text)
        best = min(best, time.perf_counter() - t0)
    return best


def _hostile(size: int, seed: str) -> str:
    words, n = [], 0
    while sum(map(len, words)) + len(words) < size:
        # Unique words (no cache), negations, gaps, inner stems, long words, no clauses.
        words.append(f"{seed}{n:x}wanashambulia no no will will tirs أخطفوا")
        n += 1
    return " ".join(words)[:size]


@pytest.mark.parametrize("seed", ["kil", "q", "ababababababababababababababab"])
def test_hostile_text_takes_linear_time(seed: str) -> None:
    assess_urgent(_hostile(4_000, seed + "w"))
    small, large = _seconds(_hostile(4_000, seed)), _seconds(_hostile(40_000, seed + "x"))
    assert large / small < 40, (small, large)


def test_one_long_word_and_many_clauses_take_linear_time() -> None:
    for unit in ("ab", "shooting,", "no. ", "ههه"):
        small, large = _seconds(unit * (4_000 // len(unit))), _seconds(unit * (40_000 // len(unit)))
        assert large / small < 40, (unit, small, large)  # 10 linear, 100 quadratic


# Reached on 2026-12-03: tune recall 1.000, false alarms 0.000 (every language);
# held-out recall 0.983, false alarms 0.056 (per language: recall >= 0.90, false alarms
# <= 0.222). The floors leave a small margin; the targets are 0.95 and 0.10.
FLOORS = {  # split: (messages, recall, false alarms, per-language recall, false alarms)
    "tune": (228, 0.98, 0.03, 0.95, 0.06),
    "heldout": (114, 0.95, 0.08, 0.90, 0.23),
}


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_figures_on_the_evaluation_set_hold(split: str) -> None:
    n, recall, false_alarm, lang_recall, lang_false_alarm = FLOORS[split]
    figures = urgent_figures(split)
    assert figures["n"] == n
    assert figures["recall"] >= recall, figures
    assert figures["false_alarm"] <= false_alarm, figures
    assert set(figures["per_language"]) == {"ar", "en", "es", "fr", "pt", "sw"}
    for lang, f in figures["per_language"].items():
        assert f["recall"] >= lang_recall and f["false_alarm"] <= lang_false_alarm, (lang, f)
    assert urgent_figures("all")["n"] == 342
