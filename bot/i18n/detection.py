"""Guessing which configured language a short message is written in.

langdetect alone is weak on one to six words (about 0.7 on our set), and its
detector is randomised and slow. Sauti reads langdetect's own character
n-gram profiles as a deterministic naive-Bayes model, and adds what it knows
of its languages: whole-message words from the catalogues (keywords) and
greetings, the script (Arabic letters), and a small lexicon of everyday words
per language (``bot/i18n/data/lexicon.json``, each word in one language
only). A person's previous language weighs in too: one short message never
flips it. See docs/performance.md for the figures.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources

from bot.i18n.keywords import words_of
from bot.text.cleaning import fold

__all__ = ["GREETINGS", "LanguageDetector"]

GREETINGS: dict[str, tuple[str, ...]] = {
    "en": ("hello", "hi", "hey", "good morning", "good evening", "help", "report"),
    "fr": ("bonjour", "bonsoir", "salut", "allo", "coucou", "aide", "merci"),
    "sw": ("jambo", "habari", "hujambo", "mambo", "shikamoo", "salama", "msaada", "sasa"),
    "ar": ("مرحبا", "السلام عليكم", "سلام", "اهلا", "مساعده"),
    "pt": ("ola", "oi", "bom dia", "boa tarde", "boa noite", "ajuda", "obrigado"),
    "es": ("hola", "buenos dias", "buenas tardes", "buenas noches", "ayuda", "gracias"),
}

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[\W\d_]+")
_DETECT_CHARS = 300  # the first words are enough; a long text costs no more than this
UNSEEN = -11.5  # log-probability of an n-gram a profile does not keep
LEXICON_WEIGHT = 10.0  # a word of a language's lexicon, in nats of the n-gram model
LENGTH_WEIGHT = 0.2  # and more per letter: a long word is many n-grams
PREVIOUS_WEIGHT = 8.0  # the person's language so far: another must clearly win
FIRST_WORD_WEIGHT = 20.0  # a greeting or keyword first ("hello necesito ayuda": es)
HINT_WEIGHT = 1.0  # the channel's hint (a Telegram client's language)
SHORT_WORDS = 3  # a returning person's message this short keeps their language


@cache
def _profile(lang: str) -> dict[str, float] | None:
    """langdetect's n-gram counts for ``lang`` as log-probabilities. Its
    profiles keep only n-grams above about 1e-4 of their length's total, in
    every language alike, so an n-gram not in a profile gets one floor
    (:data:`UNSEEN`) whatever the size of the corpus behind it."""
    path = resources.files("langdetect") / "profiles" / lang
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    totals = [float(n) for n in data["n_words"]]
    return {gram: math.log(count / totals[len(gram) - 1])
            for gram, count in data["freq"].items()
            if 1 <= len(gram) <= 3 and (gram.islower() or not any(c.isalpha() for c in gram))}


@cache
def _lexicon() -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(
        (resources.files("bot.i18n") / "data" / "lexicon.json").read_text(encoding="utf-8"))
    return data


_REPEATS = re.compile(r"(\w)\1{2,}")
# Arabic in Latin letters ("Arabizi") writes the letters Latin lacks as digits
# inside words: 3 (ع), 7 (ح), 5 (خ), 2 (ء): "3andna", "ta3ban", "sa7bi", "5alas"
# (and 9 for ق, 6 for ط); a 2 after two letters ("tari2", "ma2fool", not "2day"); not
# an ordinal ("3rd"), and a word of two letters at least
_ARABIZI = re.compile(r"(?<![\w])(?!\d+(?:st|nd|rd|th|e|eme|er)(?![\w]))"
                      r"(?=[a-z0-9]*[a-z][a-z0-9]*[a-z])[a-z]*(?:[35679]|(?<=[a-z]{2})2)"
                      r"[a-z0-9]*(?![\w])")


def _forms(word: str) -> tuple[str, ...]:
    """A typed word as the lexicon may hold it: as typed, with letters held
    down shortened ("merciii", "asanteee"), then folded (accents dropped)."""
    short = _REPEATS.sub(r"\1", word)
    return (word, short, fold(short)) if short != word else (word, fold(word))


def _grams(text: str) -> list[str]:
    """The 1- to 3-character n-grams of ``text``'s words, as langdetect counts
    them (lowercase, a space either side of each word, no digits)."""
    padded = " " + _SPACES.sub(" ", text.lower()).strip() + " "
    out = [ch for ch in padded if ch != " "]
    out += [padded[i:i + 2] for i in range(len(padded) - 1)]
    out += [padded[i:i + 3] for i in range(len(padded) - 2)]
    return out


class LanguageDetector:
    """Picks one of ``languages`` for a text, or ``default`` when there is
    nothing to go on."""

    def __init__(self, languages: Sequence[str], default: str) -> None:
        self._languages = tuple(languages)
        self._default = default
        self._whole = self._whole_messages(self._languages)
        self._words = self._word_table(self._languages)
        self._models = {lang: m for lang in self._languages if (m := _profile(lang))}

    @staticmethod
    def _whole_messages(languages: Iterable[str]) -> dict[str, str | None]:
        """Folded whole messages that say their language: greetings, and each
        catalogue's keywords; None for a word several languages share ("menu",
        "stop"), which says nothing."""
        whole: dict[str, str | None] = {}
        for lang in ("en", *languages):
            for folded, _keyword in words_of(lang):
                whole[folded] = lang if whole.get(folded, lang) == lang else None
        for lang in languages:
            for word in GREETINGS.get(lang, ()):
                whole.setdefault(fold(word), lang)
        return whole

    @staticmethod
    def _word_table(languages: Iterable[str]) -> dict[str, str]:
        """Every lexicon word of ``languages``, as written (accents tell "água"
        from "agua") and folded where the folded form is still one language's."""
        table: dict[str, str] = {}
        folded: dict[str, set[str]] = {}
        for lang in languages:
            for word in _lexicon().get(lang, ()):
                table.setdefault(unicodedata.normalize("NFC", word.lower()), lang)
                folded.setdefault(fold(word), set()).add(lang)
        for word, langs in folded.items():
            if len(langs) == 1:
                table.setdefault(word, next(iter(langs)))
        return table

    def scores(self, text: str) -> dict[str, float]:
        """Each language's score for ``text`` (higher is likelier): the n-gram
        model's log-likelihood plus the lexicon's words."""
        text = unicodedata.normalize("NFC", text[:_DETECT_CHARS])
        lowered = text.lower()
        grams = _grams(text)
        out: dict[str, float] = {}
        for lang, logp in self._models.items():
            out[lang] = sum(logp.get(g, UNSEEN) for g in grams)
        for lang in self._languages:
            out.setdefault(lang, min(out.values(), default=0.0) - 1.0)
        if "ar" in out and len(out) > 1 and not _ARABIC.search(text):
            # Arabic in Latin letters: the Arabic-script profile cannot judge it. A word
            # with a digit for a letter says Arabizi: as likely as the likeliest other,
            # and more by that word; without one, the least likely, and words must win.
            others = [v for lang, v in out.items() if lang != "ar"]
            arabizi = len(_ARABIZI.findall(lowered))
            out["ar"] = (max(others) + LEXICON_WEIGHT * arabizi) if arabizi else min(others)
        for word in _WORD.findall(lowered):
            for form in _forms(word):
                if (owner := self._words.get(form)) is not None:
                    out[owner] += LEXICON_WEIGHT * (1 + LENGTH_WEIGHT * len(word))
                    break
        return out

    def detect(self, text: str, hint: str | None = None, previous: str | None = None) -> str:
        """The language of ``text``. ``hint``: what the channel says (a client's
        language); ``previous``: the person's language so far, kept on a short
        message and favoured on a longer one."""
        languages = self._languages
        previous = previous if previous in languages else None
        folded = fold(_REPEATS.sub(r"\1", text))  # "holaa", "merciii": letters held down
        if folded in self._whole:
            known = self._whole[folded]
            if known is not None and known in languages:
                return known
            return previous or self._hinted(hint) or self._default  # "menu": says nothing
        if previous is not None and len(folded.split()) <= SHORT_WORDS:
            return previous
        if _ARABIC.search(text) and "ar" in languages:
            return "ar"
        if not any(ch.isalpha() for ch in text):
            return previous or self._hinted(hint) or self._default
        scores = self.scores(text)
        first = folded.split(" ", 1)[0]
        if previous is None and (known := self._whole.get(first)) is not None \
                and known in languages:  # "bonjour, ...": the rest may say otherwise
            scores[known] += FIRST_WORD_WEIGHT
        if previous is not None:
            scores[previous] += PREVIOUS_WEIGHT
        if (hinted := self._hinted(hint)) is not None:
            scores[hinted] += HINT_WEIGHT
        return max(languages, key=lambda lang: scores[lang])

    def _hinted(self, hint: str | None) -> str | None:
        short = hint.split("-")[0].lower() if hint else ""
        return short if short in self._languages else None
