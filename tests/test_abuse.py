"""The abuse and spam detector: cues per language, report vocabulary never abuse, the
mission's words, the score, spam shapes, linear time and the evaluation floor."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from moderation.abuse import THRESHOLD, AbuseVerdict, assess_abuse, fold_text

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "eval_abuse.py"


def abuse_figures(split: str) -> dict[str, Any]:
    """tools/eval_abuse.py's figures, the tool loaded from its file."""
    spec = importlib.util.spec_from_file_location("eval_abuse", _TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_abuse"] = module
    spec.loader.exec_module(module)
    figures: dict[str, Any] = module.abuse_figures(split)
    return figures

INSULTS = {
    "en": "you are a moron, useless bot",
    "fr": "espèce d'abruti, tu sers à rien",
    "sw": "nyinyi ni washenzi kabisa",
    "ar": "يا غبي انت ما بتفهم",
    "pt": "seu babaca, vocês não prestam",
    "es": "ustedes son unos pendejos",
}

VIOLENCE_REPORTS = {
    "en": ["three soldiers raped a woman at the market and beat her husband",
           "they sexually abused my daughter, she is bleeding, please send help",
           "the fucking militia shot 4 people and burned the church"],
    "fr": ["elle a été violée par deux hommes armés, ils l'ont traitée de salope",
           "ils ont tué mon frère et brûlé les maisons du quartier"],
    "sw": ["wanajeshi walimbaka msichana na kumpiga kaka yake",
           "walitutukana wakisema sisi ni mbwa kisha wakaua watu wawili"],
    "ar": ["اغتصبوا بنت صغيرة وضربوا امها بالسكين",
           "قالوا لينا يا عبيد وقتلوا راجل في السوق"],
    "pt": ["os homens armados violaram duas mulheres e mataram o chefe",
           "chamaram-me de vagabunda e bateram em mim com catana"],
    "es": ["los paramilitares violaron a una niña y mataron a su padre",
           "nos dijeron perros y golpearon a mi hijo con un machete"],
}


@pytest.mark.parametrize("lang", sorted(INSULTS))
def test_each_languages_insult_is_detected(lang: str) -> None:
    verdict = assess_abuse(INSULTS[lang], lang)
    assert verdict.abusive, verdict
    assert "insult" in verdict.cues


@pytest.mark.parametrize(("lang", "text"),
                         [(lang, t) for lang, texts in VIOLENCE_REPORTS.items() for t in texts])
def test_violence_reports_are_not_abuse(lang: str, text: str) -> None:
    verdict = assess_abuse(text, lang)
    assert not verdict.abusive, verdict
    assert verdict.score < THRESHOLD


@pytest.mark.parametrize("word", ["kaka", "kubaka", "violé", "sexually", "rape"])
def test_report_words_from_profanity_lists_are_never_cues(word: str) -> None:
    assert assess_abuse(f"my {word} at the camp", extra=(word,)) == AbuseVerdict(False, 0.0, ())


def test_folding_accents_arabic_leetspeak_and_stretched_letters() -> None:
    assert fold_text("ÉCOUTE") == fold_text("ecoute")
    assert fold_text("غَبِيّ") == fold_text("غبي")
    assert fold_text("أحمق إذا") == fold_text("احمق اذا")
    assert assess_abuse("u r an 1d10t").abusive
    assert assess_abuse("stuuupid bot, shut up").abusive
    assert assess_abuse("ID10000T").cues == ("insult",)


def test_cross_language_lookalikes_are_not_cues() -> None:
    # pt "pedem" (they ask) is not fr "pédé"; fr "retard" (delay) not en "retard".
    assert assess_abuse("o meu filho foi raptado ha 2 horas pedem dinheiro").score == 0.0
    assert not assess_abuse("vous avez du retard dans la distribution").abusive
    assert not assess_abuse("huyu ni mbwa wetu, amepotea").abusive
    assert not assess_abuse("الله يلعن الحرب دي يا جماعة").abusive


def test_extra_words_are_matched_folded_and_whole_word() -> None:
    assert not assess_abuse("the Gorgon boss came").abusive
    verdict = assess_abuse("the GÖRGON boss came", extra=("gorgon",))
    assert verdict.abusive and verdict.cues == ("extra",)
    assert not assess_abuse("gorgonzola for sale", extra=("gorgon",)).abusive
    assert assess_abuse("you are a big fat liar", extra=("fat liar",)).abusive
    assert not assess_abuse("a big fat cat", extra=("fat liar",)).abusive


def test_score_is_bounded_and_higher_for_worse() -> None:
    texts = ["thank you for the water", "this stupid war", "you stupid bot",
             "you stupid bot, fuck you, idiot", "fuck you idiot bastard, i will kill you"]
    scores = [assess_abuse(t).score for t in texts]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores) and len(set(scores)) == len(scores), scores
    assert assess_abuse("tutsi " * 50 + "cockroach " * 50 + "idiot " * 500).score <= 1.0


@pytest.mark.parametrize("text", [
    "[link]", "https://bit.ly/xyz www.example.com", "asdfghjkl", "qsdfghjklm jhgfd",
    "ضصثقفغعهخ", "!!!!!!!!!!!!!!!!!", "kkkkkkkkkkkkk", "ههههههههههه",
    "you have won a prize, click here [link]", "forward this to 10 friends or bad luck",
    "gagnez de l'argent facile, cliquez ici", "tuma ujumbe huu kwa watu 20",
])
def test_spam_shapes(text: str) -> None:
    verdict = assess_abuse(text)
    assert verdict.abusive and verdict.cues == ("spam",), verdict


@pytest.mark.parametrize("text", [
    "help!!!!!!!!!!!!", "pleaseeeeeee help us", "no water 😡😡😡😡😡😡😡😡",
    "the link road to [location] is cut, see [link]", "strengths of the new clinic",
    "we need a loan to rebuild the school", "hakuna maji, tunaomba msaada",
])
def test_not_spam(text: str) -> None:
    assert not assess_abuse(text).abusive, assess_abuse(text)


@pytest.mark.parametrize("text", [
    "fuk u bot", "f u c k you", "sh!t bot", "youuuu iiidiooot", "ياحمار", "ya 7mar enta",
    "ustedes son unas ratas", "انتو كلاب", "hijos de puta todos ustedes", "vsf bot lixo",
    "mbwa wewe", "on va vous buter si vous revenez", "i will kill you all if you come back",
    "go back to rwanda you filthy tutsi snakes", "WIN FREE AIRTIME send your PIN to [phone]",
    "nimekutumia pesa kimakosa naomba urudishe [phone]", "jajajajajajajajajaja",
    "lol lol lol lol lol lol lol", "kill yourself", "يا وسخين يا ولاد الكلب",
    "voces sao uns merdas", "your staff are pigs who eat our food", "fermez vos gueules",
    "ustedes son basura", "hey sexy, send me your photo", "انت كلب", "يا حيوانات",
    "screw you and your survey", "sale race de chiens", "gana plata facil desde el celular [link]",
    "this bot is a piece of crap", "sales cons de l'ONG", "يلعن ابوكم كلكم",
    "ganate un bono de 200 mil, envia tus datos a [phone]",
])
def test_hard_abuse(text: str) -> None:
    assert assess_abuse(text).abusive, assess_abuse(text)


@pytest.mark.parametrize("text", [
    "stop sending me these stupid questions, i just want food",
    "the commander is a bastard, he ordered soldiers to beat us",
    "my cousin called me an idiot for reporting", "you won't believe it, 5 days and no help",
    "putain ils ont encore tiré cette nuit", "roubaram o nosso burro e as cabras",
    "la perra mordio a mi hijo, necesita vacuna", "they said they will kill us if we talk to you",
    "العرب جو وقتلوا الناس زي الكلاب", "the thieves came at night, can you help us",
    "ele fala que voces vao ajudar", "je t'ai ecrit sur telegram hier, toujours rien",
    "soldiers called us cockroaches and burned our village, we are tutsi",
    "rats are eating our food in the store, help",
    "he said i will kill you then he shot my brother",
    "vous êtes nuls, aucune aide depuis mars", "we need condoms and sex education at the school",
    "pls pls pls pls help us", "????", "ok", "1", "sos sos sos sos sos sos",
    "pls pls pls pls pls pls", "help help help help help",
    "hawa washenzi wa m23 wamechoma kijiji chetu", "الكلاب دي اكلت الغنم بتاعنا",
    "la basura no la recogen hace un mes, ustedes no vienen", "they stole our pigs and goats",
    "الكلب عض ولدي يا جماعة", "queimaram a sua casa, os cães fugiram",
    "c'est la merde ici, plus rien à manger", "que porra de vida, nem agua temos",
    "esa vaina de la guerra nos tiene jodidos", "hell no we are not leaving our land",
    "the pros and cons of the new water point",
])
def test_hard_negatives(text: str) -> None:
    assert not assess_abuse(text).abusive, assess_abuse(text)


def _seconds(text: str, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        assess_abuse(text)
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("unit", [
    "you idiot bot, they raped her [link] ", "ضصثقفغعهخ يا غبي والكلاب ", "a" * 97 + " ",
    "asdfghjkl" * 11, "x" * 100, "ni mbwa " * 12, "[link]" * 16, "a b c d e ", "*a$!",
    "www.", "a.b.c.", "ًًب", "f*ck ",
])
def test_time_is_linear(unit: str) -> None:
    short, long = (unit * 4000)[:4000], (unit * 40000)[:40000]
    assert _seconds(short) < 0.05  # generous: the ratio below is the check
    ratio = _seconds(long) / _seconds(short)
    assert ratio < 40, ratio  # 10 when linear, 100 when quadratic


@pytest.mark.parametrize("split", ["tune", "heldout"])
def test_evaluation_floor(split: str) -> None:
    fig = abuse_figures(split)
    assert fig["n"] >= 60
    assert fig["recall"] >= 0.85, fig
    assert fig["false_alarm"] <= 0.05, fig
    assert fig["violence_false_alarm"] == 0.0, fig
    for lang, f in fig["per_language"].items():
        assert f["recall"] >= 0.7 and f["false_alarm"] <= 0.1, (lang, f)
