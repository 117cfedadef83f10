"""Abuse and spam cues in a report, as a flag and a score for moderators (issue 13).

A verdict never drops or hides a report: it is shown beside it. A graphic report of
violence or sexual violence is not abuse; abuse is an insult, slur, threat or obscene
trolling aimed at the bot, the staff, the mission or a group; spam is an ad, a scam, a
chain message, links only, keyboard mashing or one character repeated.

Lexicons are data, ``data/abuse/<lang>.txt``, read once at import, in sections:
``[insult]`` ``[obscene]`` ``[slur]`` ``[threat]`` ``[spam]`` (cues); ``[group]`` and
``[dehuman]`` (a group's name with a dehumanising word makes a slur, "are cockroaches");
``[target]`` ("you", "bot": an insult aimed counts more, a dehumanising word becomes one;
a weak target, "يا = 0.5", only does the former); ``[report]`` (violence report or
reported speech, "raped", "called us": insults quoted there count much less); ``[safe]``
(report words that look abusive, "kaka", "kubaka": never a cue, not even a mission's).
A line is a word or phrase, ``stem*`` or ``*part*`` (any text containing it), then
optionally ``= weight`` (0..1, else the section's); ``#`` starts a comment. Every
language's entries apply to every message (people mix languages). Entries and text are
folded alike: case, accents, Arabic diacritics and letter variants, leetspeak ("1d10t",
"f*ck", "sh!t"), letters spelt out ("f u c k") or repeated 3+ times ("stuuupid").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Final

__all__ = ["LANGS", "THRESHOLD", "AbuseVerdict", "assess_abuse", "fold_text"]

LANGS: Final = ("en", "fr", "sw", "ar", "pt", "es")
THRESHOLD: Final = 0.5
_WEIGHTS: Final = {"insult": 0.6, "obscene": 0.35, "slur": 0.9, "threat": 0.8, "spam": 0.6,
                   "extra": 0.6, "group": 0, "dehuman": 0, "target": 1, "report": 0, "safe": 0}
_ABUSE: Final = frozenset({"insult", "obscene", "slur", "threat", "extra"})
_GROUP_SLUR: Final = 0.85     # a group's name and a dehumanising word together
_TARGET_DEHUMAN: Final = 0.5  # a dehumanising word and a target
_TARGET_BOOST: Final = 0.3    # share of what is left to 1.0 that a target adds
_REPORT_DAMPING: Final = 0.4  # abuse score kept in a report of violence
_SHAPE: Final = {"with link": 0.25, "links only": 0.75, "mashing": 0.7, "repeated": 0.7}

_MARKS_RE: Final = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_FOLD: Final = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None, "ؤ": "و",
    "ئ": "ي", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
    "’": "'", "ß": "ss",
})
_SQUEEZE_RE: Final = re.compile(r"([^\W\d_])\1{2,}")  # 3+: "stuuupid", not "kuua"
# Masked letters ("f*ck", "f**k" -> "fxck", "fxk"; "sh!t", "$hit") and letters spelt
# out ("f u c k", "i.d.i.o.t"), undone before folding; no lookbehind first where a
# match can be anywhere (it made each position cost a test: 0.15 ms a KB).
_MASKS: Final = (
    (re.compile(r"([^\W\d_])[*#]++(?=[^\W\d_])"), r"\1x"),
    (re.compile(r"([^\W\d_])!(?=[^\W\d_])"), r"\1i"),
    (re.compile(r"\$(?<![^\W_]\$)(?=[^\W\d_])"), "s"),
)
_SPACED_HINT_RE: Final = re.compile(r"[ .\-_][a-z][ .\-_][a-z](?![^\W_])")
_SPACED_RE: Final = re.compile(r"(?<![^\W_])(?:[a-z][ .\-_]){3,}[a-z](?![^\W_])")
_TOKEN_RE: Final = re.compile(r"[^\W_]+")
_PLACEHOLDER_RE: Final = re.compile(r"\[(?:link|url|phone|email|handle|name|id|address"
                                    r"|number|location)\]")
_LINK_RE: Final = re.compile(r"\[(?:link|url)\]|(?:https?://|www\.)\S++")
_RUN_RE: Final = re.compile(r"(\S)\1{5,}+")
_WORD_CHAR_RE: Final = re.compile(r"[^\W_]")
_ARABIC_PREFIXES: Final = ("وال", "بال", "فال", "يا", "لل", "ال", "و", "ف", "ب", "ل")
_VOWELS: Final = frozenset("aeiouy")
_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn",
                "asdfghjkln", "ضصثقفغعهخحجد", "شسيبلاتنمكط", "ئءؤرلاىةوزظ", "1234567890")


@dataclass(frozen=True, slots=True)
class AbuseVerdict:
    """What moderators see beside a report: a flag, a score and the kinds of cue found."""

    abusive: bool
    score: float            # 0.0 .. 1.0, shown to moderators
    cues: tuple[str, ...]   # e.g. ("insult",), ("spam",), ("slur",); sorted, unique


def _fold_letters(text: str) -> str:
    if not text.isascii():
        text = _MARKS_RE.sub("", unicodedata.normalize("NFKD", text))
    text = text.casefold()
    if "*" in text or "#" in text or "!" in text or "$" in text:
        for pattern, letter in _MASKS:
            text = pattern.sub(letter, text)
    if _SPACED_HINT_RE.search(text):
        text = _SPACED_RE.sub(lambda m: re.sub(r"[ .\-_]", "", m.group()), text)
    return text.translate(_FOLD)


def fold_text(text: str) -> str:
    """Lowercase, accents and Arabic diacritics off, Arabic letter variants and leetspeak
    digits mapped, runs of one letter squeezed to one ("stuuupid" -> "stupid")."""
    return _SQUEEZE_RE.sub(r"\1", _fold_letters(text))


@dataclass(frozen=True, slots=True)
class _Lexicon:
    words: dict[str, tuple[tuple[str, float], ...]]
    phrases: dict[tuple[str, str], tuple[tuple[str, str, float], ...]]  # (a, b): " a b c "
    stems: dict[str, tuple[str, float]]
    stem_heads: frozenset[str]
    stem_lengths: tuple[int, ...]
    parts: tuple[tuple[str, str, float], ...]
    safe: frozenset[str]


def _entries(lines: Iterable[str]) -> Iterable[tuple[str, str, float]]:
    section = ""
    for line in (raw.partition("#")[0].strip() for raw in lines):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section not in _WEIGHTS:
                raise ValueError(f"unknown abuse lexicon section {line!r}")
        elif line:
            if not section:
                raise ValueError(f"abuse lexicon entry {line!r} before any section")
            phrase, _, weight = line.partition("=")
            yield section, phrase.strip(), float(weight) if weight.strip() else _WEIGHTS[section]


def _build(entries: Iterable[tuple[str, str, float]]) -> _Lexicon:
    words: dict[str, list[tuple[str, float]]] = {}
    phrases: dict[tuple[str, str], list[tuple[str, str, float]]] = {}
    stems: dict[str, tuple[str, float]] = {}
    parts: list[tuple[str, str, float]] = []
    safe: set[str] = set()
    for section, phrase, weight in entries:
        if phrase.startswith("*") and phrase.endswith("*") and len(phrase) > 2:
            parts.append((fold_text(phrase[1:-1]), section, weight))
            continue
        stem = phrase.endswith("*")
        keys = tuple(_TOKEN_RE.findall(fold_text(phrase.rstrip("*"))))
        if not keys:
            continue
        if section == "safe":
            safe.update(keys)
        elif stem and len(keys) == 1 and len(keys[0]) >= 3:
            stems[keys[0]] = (section, weight)
        elif len(keys) == 1:
            words.setdefault(keys[0], []).append((section, weight))
        else:
            phrases.setdefault(keys[:2], []).append((f" {' '.join(keys)} ", section, weight))
    return _Lexicon(
        {k: tuple(v) for k, v in words.items()},
        {k: tuple(v) for k, v in phrases.items()},
        stems, frozenset(s[:3] for s in stems), tuple(sorted({len(s) for s in stems})),
        tuple(parts), frozenset(safe))


_FOLDER: Final = resources.files("moderation").joinpath("data", "abuse")
_LEXICON: Final = _build(_entries(
    line for lang in LANGS for line in _FOLDER.joinpath(f"{lang}.txt").read_text("utf-8")
    .splitlines()))


@lru_cache(maxsize=64)
def _extra_lexicon(extra: tuple[str, ...]) -> _Lexicon:
    return _build(("extra", word.rstrip("*"), _WEIGHTS["extra"]) for word in extra)


# Keys one or two apart on a keyboard row, both ways.
_ADJACENT: Final = frozenset(
    pair for row in map(_fold_letters, _ROWS) for i, a in enumerate(row)
    for b in row[i + 1:i + 3] for pair in ((a, b), (b, a)))


def _keys(tokens: list[str], ascii_only: bool) -> set[str]:
    """The words, and each Arabic word without its article or a one-letter conjunction
    ("والكلاب" -> "كلاب") or a joined vocative ("ياغبي" -> "يا", "غبي")."""
    keys = set(tokens)
    for token in () if ascii_only else keys.copy():
        for prefix in _ARABIC_PREFIXES if "\u0600" <= token[0] <= "\u06ff" else ():
            if token.startswith(prefix) and len(token) - len(prefix) >= 2:
                keys.add(token[len(prefix):])
                if prefix == "يا":
                    keys.add(prefix)
    return keys


def _hits(lex: _Lexicon, norm: str, tokens: list[str], keys: set[str],
          found: dict[str, list[float]]) -> None:
    for key in keys & lex.words.keys():
        if key not in _LEXICON.safe:
            for section, weight in lex.words[key]:
                found.setdefault(section, []).append(weight)
    heads = {key[:3] for key in keys} & lex.stem_heads
    for key in keys if heads else ():
        if key[:3] in heads and key not in _LEXICON.safe:
            for size in lex.stem_lengths:
                hit = lex.stems.get(key[:size]) if size <= len(key) else None
                if hit:
                    found.setdefault(hit[0], []).append(hit[1])
                    break
    pairs = set(pairwise(tokens)) & lex.phrases.keys()
    if pairs:
        joined = f" {' '.join(tokens)} "
        for pair in pairs:
            for phrase, section, weight in lex.phrases[pair]:
                if phrase in joined:
                    found.setdefault(section, []).append(weight)
    for part, section, weight in lex.parts:
        if part in norm:
            found.setdefault(section, []).append(weight)


def _is_mashing(token: str) -> bool:
    """Five letters or more, no vowel (Latin) or 3/4 of neighbours near on a keyboard."""
    if len(token) < 5:
        return False
    if token.isascii() and token.isalpha() and not _VOWELS.intersection(token):
        return True
    misses = 0.25 * (len(token) - 1)
    for pair in pairwise(token):
        if pair not in _ADJACENT:
            misses -= 1
            if misses < 0:
                return False
    return True


def _spam_shapes(text: str, letters_text: str, tokens: list[str]) -> list[float]:
    """Links only, one character repeated (in the text not squeezed), keyboard mashing."""
    shapes: list[float] = []
    if ("[" in text or "://" in text or "www." in text) and _LINK_RE.search(text) and not (
            _WORD_CHAR_RE.search(_PLACEHOLDER_RE.sub(" ", _LINK_RE.sub(" ", text)))):
        shapes.append(_SHAPE["links only"])
    if _RUN_RE.search(letters_text) and len(_WORD_CHAR_RE.findall(
            _RUN_RE.sub("", letters_text))) < 3:
        shapes.append(_SHAPE["repeated"])
    letters = sum(map(len, tokens))
    compact = "".join(tokens)  # one short unit repeated: "jajaja", "lol lol lol"
    for size in (2, 3) if letters >= 12 else ():
        if compact[size:] == compact[:-size] and compact[:size] not in _LEXICON.safe:
            shapes.append(_SHAPE["repeated"])
            break
    if letters >= 5:
        # Mashed if 60% of the letters are in mashed words: stop at 40% in others.
        allowed = 0.4 * letters
        for token in tokens:
            if len(token) < 5 or not _is_mashing(token):
                allowed -= len(token)
                if allowed < 0:
                    break
        else:
            shapes.append(_SHAPE["mashing"])
    return shapes


def _combine(weights: Iterable[float]) -> float:
    """1 - the product of (1 - w): two weak cues make more than one, never above 1."""
    left = 1.0
    for weight in weights:
        left *= 1.0 - min(max(weight, 0.0), 1.0)
    return 1.0 - left


def assess_abuse(text: str, language: str | None = None,
                 extra: Sequence[str] = ()) -> AbuseVerdict:
    """Flag, score and cues of abuse or spam in ``text`` (usually already anonymised).

    ``language`` is accepted for callers' symmetry; every lexicon applies to every
    message, as residents mix languages. ``extra`` are a mission's own words or
    phrases (config ``moderation.abuse_words``), matched folded and whole-word."""
    del language
    letters_text = _fold_letters(_PLACEHOLDER_RE.sub(" ", text))
    norm = _SQUEEZE_RE.sub(r"\1", letters_text)
    tokens = _TOKEN_RE.findall(norm)
    keys = _keys(tokens, norm.isascii())
    found: dict[str, list[float]] = {}
    _hits(_LEXICON, norm, tokens, keys, found)
    if extra:
        _hits(_extra_lexicon(tuple(extra)), norm, tokens, keys, found)
    if "dehuman" in found:
        if "group" in found:
            found.setdefault("slur", []).append(_GROUP_SLUR)
        elif max(found.get("target", (0,))) >= 1:  # "ustedes son unas ratas", "انتو كلاب"
            found.setdefault("insult", []).append(_TARGET_DEHUMAN)
    abuse = _combine(w for cue in _ABUSE for w in found.get(cue, ()))
    if abuse and "target" in found:
        abuse += _TARGET_BOOST * (1.0 - abuse)
    if "report" in found:
        abuse *= _REPORT_DAMPING
    shapes = _spam_shapes(text, letters_text, tokens)
    spam = _combine([*found.get("spam", ()), *shapes])
    if "spam" in found and _LINK_RE.search(text):  # an ad or a scam, and its link
        spam += _SHAPE["with link"] * (1.0 - spam)
    score = round(_combine((abuse, spam)), 3)
    cues = {cue for cue in _ABUSE if cue in found}
    if spam:
        cues.add("spam")
    return AbuseVerdict(score >= THRESHOLD, score, tuple(sorted(cues)))
