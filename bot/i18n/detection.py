"""Guessing a person's language from their first message.

langdetect is unreliable on a word or two ("bonjour"), so greetings and the
script are checked first; langdetect only chooses among configured languages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from itertools import islice

from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from bot.text.cleaning import fold

GREETINGS: dict[str, tuple[str, ...]] = {
    "en": ("hello", "hi", "hey", "good morning", "good evening", "help", "report"),
    "fr": ("bonjour", "bonsoir", "salut", "allo", "coucou", "aide", "merci"),
    "sw": ("jambo", "habari", "hujambo", "mambo", "shikamoo", "salama", "msaada", "sasa"),
    "ar": ("مرحبا", "السلام عليكم", "سلام", "اهلا", "مساعده"),
    "pt": ("ola", "oi", "bom dia", "boa tarde", "boa noite", "ajuda", "obrigado"),
    "es": ("hola", "buenos dias", "buenas tardes", "buenas noches", "ayuda", "gracias"),
}
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LETTERS = re.compile(r"[^\W\d_]")
_MIN_LETTERS = 12  # fewer, and langdetect is a guess
# langdetect reads this much of a first message (a language shows in a few lines; it
# costs about 1 ms per KB, and reads up to 10,000 characters by itself).
_DETECT_CHARS = 1000


class LanguageDetector:
    """Picks one of ``languages`` for a text, or ``default`` when unsure."""

    def __init__(self, languages: Sequence[str], default: str) -> None:
        self._languages = tuple(languages)
        self._default = default
        self._greetings = {
            fold(word): lang
            for lang, words in GREETINGS.items() if lang in self._languages
            for word in words
        }
        self._factory: DetectorFactory | None = None

    def _load(self) -> DetectorFactory:
        if self._factory is None:
            factory = DetectorFactory()
            profiles = resources.files("langdetect") / "profiles"
            texts = [(profiles / lang).read_text(encoding="utf-8")
                     for lang in self._languages if (profiles / lang).is_file()]
            if len(texts) >= 2:
                factory.load_json_profile(texts)
            else:
                factory.load_json_profile([*texts, json.dumps(_EMPTY_PROFILE)])
            factory.set_seed(0)
            self._factory = factory
        return self._factory

    def detect(self, text: str, hint: str | None = None) -> str:
        folded = fold(text)
        if folded in self._greetings:
            return self._greetings[folded]
        first = folded.split(" ", 1)[0] if folded else ""
        if first in self._greetings:
            return self._greetings[first]
        if _ARABIC.search(text) and "ar" in self._languages:
            return "ar"
        if sum(1 for _ in islice(_LETTERS.finditer(text), _MIN_LETTERS)) >= _MIN_LETTERS:
            try:
                detector = self._load().create()
                detector.append(text[:_DETECT_CHARS])
                for guess in detector.get_probabilities():
                    if guess.lang in self._languages and guess.prob >= 0.6:
                        return str(guess.lang)
            except LangDetectException:
                pass
        if hint:
            short = hint.split("-")[0].lower()
            if short in self._languages:
                return short
        return self._default


_EMPTY_PROFILE = {"freq": {}, "n_words": [1, 1, 1], "name": "zz"}
