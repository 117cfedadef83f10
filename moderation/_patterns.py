r"""Regular expressions, word lists and text folding used by :mod:`moderation.anonymise`.

Every pattern runs on text whose digits were mapped to ASCII one character for one
character (see :data:`DIGITS_TO_ASCII`), so match offsets are offsets in the original text.

Every pattern runs in time linear in the text's length, whatever the text (a resident
may send anything, and redaction runs on the event loop): no two quantifiers may take
the same characters (``\s*[,;]?\s*`` is written ``\s*+(?:[,;]\s*+)?``), a run
followed by what it cannot contain is possessive (``*+``), and a pattern of many
alternatives starts with a lookahead for
their first characters, so that most positions cost one test rather than one per
alternative. ``bench/adversarial.py`` measures every pattern on crafted 4 and 40 KB
strings (figures: docs/performance.md, "Hostile input").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, TypeAlias

# Non-ASCII decimal digits of the Basic Multilingual Plane (Arabic-Indic, Extended
# Arabic-Indic/Persian, Devanagari, fullwidth, ...) mapped to ASCII digits.
DIGITS_TO_ASCII: Final[dict[int, str]] = {
    cp: str(unicodedata.decimal(chr(cp))) for cp in range(0x80, 0x10000) if chr(cp).isdecimal()
}
# A digit that is not ASCII (\d is str.isdecimal() in a str pattern): a text without one
# needs no translation, which looks every character up in the table above.
OTHER_DIGIT_RE: Final = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> str:
    """``text`` with every digit of the table above as its ASCII digit."""
    if text.isascii() or OTHER_DIGIT_RE.search(text) is None:
        return text
    return text.translate(DIGITS_TO_ASCII)

# --- spans that must survive: dates, times, money ------------------------------------

_DATE = (
    r"(?<![\d./-])(?:[0-3]?\d[/.-][0-3]?\d[/.-](?:(?:19|20)\d\d|\d\d)"
    r"|(?:19|20)\d\d[/.-][01]?\d[/.-][0-3]?\d)(?![./-]?\d)"
)
_TIME = r"(?<![\d:])(?:[01]?\d|2[0-3])[:hH][0-5]\d(?::[0-5]\d)?(?![\d:])"
_AMOUNT = (
    r"(?:[1-9]\d{0,2}(?:[ \u00a0\u202f.,']\d{3}){1,4}(?:[.,]\d{1,2})?"
    r"|(?:0|[1-9]\d{0,7})(?:[.,]\d+)?)"
)
_CURRENCIES = (
    r"FC|CDF|FCFA|CFA|XAF|XOF|francs?|FRW|RWF|UGX|USh|shs?|shillings?|BIF|FBu|"
    r"USD|US\$|dollars?|EUR|euros?|KES|KSh|TZS|TSh|SSP|SDG|livres?|pounds?|dinars?"
)
_CODES = r"USD|US\$|FC|CDF|RWF|FRW|UGX|BIF|FBu|KES|TZS|EUR"


_Trie: TypeAlias = dict[str, "_Trie"]


def alternation(words: Iterable[str]) -> str:
    """A pattern matching any of ``words`` (literal), longest first, written as a trie:
    "av|ave|avenue|avenida" as ``av(?:e(?:n(?:ida|ue))?)?``. The engine tries a plain
    alternation's words one after another at every position it scans; a trie's branch
    fails on its first character, so a list of a hundred words costs a few tests a
    position instead of a hundred. Same matches, same preference (a longer word first)."""
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        ends = "" in node  # a word ends here: the shorter match, tried after the longer
        if len(branches) == 1:
            return f"(?:{branches[0]})?" if ends else branches[0]
        return f"(?:{'|'.join(branches)}){'?' if ends else ''}"

    return emit(root) if root else "(?!)"


def _first_letters(alternatives: str) -> str:
    """The characters the ``|``-separated words start with (each starts with a letter)."""
    return "".join(sorted({word[0].lower() for word in alternatives.split("|")}))


_CURRENCY_FIRST = rf"(?:(?i:[{_first_letters(_CURRENCIES)}])|[$€£])"
# What an amount then a currency needs (a necessary condition, bounded or possessive):
# tested before _AMOUNT's backtracking, which on "1.123, 2.345" found no currency.
_AMOUNT_THEN_CURRENCY = (
    rf"(?=\d{{1,3}}(?:[ \u00a0\u202f.,']\d{{3}}){{1,4}}(?:[.,]\d{{1,2}})?"
    rf"[ \u00a0]?{_CURRENCY_FIRST}"
    rf"|\d{{1,8}}+(?:[.,]\d++)?[ \u00a0]?{_CURRENCY_FIRST})"
)
# Dates, times and amounts then a currency start with a digit that no digit precedes;
# a currency symbol or code then an amount, with the symbol or code. Case matters only
# in currency names.
PROTECTED_RE: Final = re.compile(
    rf"(?<!\d)(?=\d)(?:{_DATE}|{_TIME}"
    rf"|(?<![\d.,]){_AMOUNT_THEN_CURRENCY}{_AMOUNT}[ \u00a0]?(?={_CURRENCY_FIRST})"
    rf"(?:(?i:{_CURRENCIES})(?!\w)|[$€£]))"
    rf"|(?=(?i:[{_first_letters(_CODES)}])|[$€£])"
    rf"(?:[$€£]|\b(?i:{_CODES})[ \u00a0]?){_AMOUNT}(?!\d)"
)

# --- contact data -------------------------------------------------------------------

# An address is up to 64 of these before an "@" (the last 64 of a longer run), then a
# domain with a dot or a known provider. The local part is matched backwards from each
# "@", on the reversed text: a pattern "[\w.%+-]{1,64}@" tried at every character of a
# long word looks 64 characters ahead from each.
EMAIL_LOCAL_RE: Final = re.compile(r"[\w.%+-]{1,64}+")
EMAIL_DOMAIN_RE: Final = re.compile(
    r"@(?:(?:[\w-]++\.)+[^\W\d_]{2,}"
    r"|(?:gmail|yahoo|hotmail|outlook|icloud|live|ymail|protonmail|proton)(?!\w))",
    re.IGNORECASE,
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
URL_RE: Final = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    rf"|(?<![\w@.-])(?:{_LABEL}\.)+(?:(?:com|org|net|info|int|gov|edu|io)(?![\w-]|\.\w)(?:/\S*)?"
    r"|[a-z]{2,}/\S*)",
    re.IGNORECASE,
)
# What every URL_RE match has, besides "://": a dot after "www" or before a letter.
URL_HINT_RE: Final = re.compile(r"\.(?:[a-z]|(?<=www\.))", re.IGNORECASE)
URL_TRAILING: Final = ".,;:!?)]}'\"»›>"
HANDLE_RE: Final = re.compile(
    r"(?<![\w@.])@(?=[A-Za-z0-9_.]*[A-Za-z])[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?"
)

# Runs of 9+ digits with single space/dot/dash between groups (run on masked text).
LONG_NUMBER_RE: Final = re.compile(r"(?<!\d)\+?\d(?:[ .-]?\d){8,}(?!\d)")
YEAR_LIST_RE: Final = re.compile(r"(?:(?:19|20)\d\d[ .-]?)+")
# Pre-check for the phone matcher: 6+ digits close together. Started only at a run's first
# digit, possessive (a digit after a run's first reaches no more digits than the first
# did): the same clusters, without a retry from each digit of a run that fails.
PHONE_HINT_RE: Final = re.compile(r"\d(?<!\d\d)(?:[\s().+/-]{0,3}+\d){5,}+")

# --- GPS coordinates ----------------------------------------------------------------

# Digits are possessive ("\d++"): what follows them is never a digit.
_DEG_BODY = (
    r"\d{1,3}+(?:[.,]\d++)?[ ]?°[ ]?(?:\d{1,2}+(?:[.,]\d++)?[ ]?['′’][ ]?"
    r"(?:\d{1,2}+(?:[.,]\d++)?[ ]?(?:[\"″”]|''|’’))?)?"
)
_HEMISPHERE = r"[ ]?(?-i:[NSEWO])(?![^\W\d_])"
_DEG_H = rf"{_DEG_BODY}{_HEMISPHERE}"
_HEMI = rf"\d{{1,3}}+[.,]\d{{3,}}+[ ]?°?{_HEMISPHERE}"
_COORD = rf"(?:{_DEG_BODY}(?:{_HEMISPHERE})?|{_HEMI})"
LOCATION_RE: Final = re.compile(
    # What every alternative starts with: a sign, "lat"..., a number with a degree sign,
    # a hemisphere's number, or an unsigned latitude and what follows it (a number with
    # two decimals alone passed, and then failed each alternative in turn: "1.0001.000").
    r"(?=[-+l]|\d{1,3}+(?:[.,]\d++)?[ ]?°"
    rf"|{_HEMI}|(?<!\d)(?<!\d\.)\d{{1,2}}+\.\d{{2,}}+[\s,;/])(?:"
    rf"{_COORD}\s*+(?:[,;/]\s*+)?{_COORD}|{_DEG_H}|{_HEMI}"
    r"|(?<!\d)(?<!\d\.)(?P<lat>[-+]?\d{1,2}+\.\d{2,}+)(?:\s++(?:[,;/]\s*+)?|[,;/]\s*+)"
    r"(?P<lon>[-+]?\d{1,3}+\.\d{2,}+)(?!\.?\d)"
    r"|\b(?:lat(?:itude)?|lon(?:gitude)?|lng|long)\s*+(?:[:=]\s*+)?[-+]?\d{1,3}+\.\d{3,}+)",
    re.IGNORECASE,
)

# --- names --------------------------------------------------------------------------

_L = r"[^\W\d_]"
_MARK = r"[\u0300-\u036f\u064b-\u065f\u0670]"
# Letters in a possessive run, a mark or an inner apostrophe or hyphen only between runs:
# the same words as "{_L}(?:{_L}|{_MARK}|['’-]{_L})*+", without an alternation tried at
# each letter (a word table's split is a third faster).
WORD = rf"{_L}++(?:(?:{_MARK}|['’-]{_L}){_L}*+)*+"
NAME_WORD_RE: Final = re.compile(rf"[ \t]*+({WORD})")
# A letter: what an e-mail, a handle, a link, a name and an introduction each have.
LETTER_RE: Final = re.compile(_L)
TOKEN_RE: Final = re.compile(rf"{_L}++(?:{_MARK}++{_L}*+)*+")  # (as WORD: no alternation)
NAME_GAP_RE: Final = re.compile(r"[ \t\-‐]{1,3}")

_SEP = r"(?:[ \t]*+[:,\-–—])?\s*+"
_INTRO = (
    r"my\s+name\s+is|my\s+name's|i\s+am\s+called|i'm\s+called|i’m\s+called"
    r"|je\s+m['’ ]?\s*app?ell?e|mon\s+nom\s+(?:est|c['’]est)"
    r"|jina\s+langu\s+ni|n(?:i)?naitwa|naitwa"
    r"|(?:(?:أنا|انا)\s+)?[وف]?[اإأ]سمي(?:[ \t]+(?:هو|هي))?"
    r"|me\s+llamo|mi\s+nombre\s+es|(?:o\s+)?meu\s+nome\s+[ée]|chamo-me|(?:eu\s+)?me\s+chamo"
    r"|(?:name|nom|jina|nombre|nome|الاسم|اسم)[ \t]*:"
)
# Titles ("Mr", "Mme", "bwana", "السيد") are the name scan's (``title`` cues, moderation._names):
# a capitalised or lexicon name after them, titles in a row read as one chain.
# The first letters of every introduction (أ ا إ و ف for the Arabic ones), and of "M.".
_INTRO_FIRST = "cejimnoاأإوف"
INTRO_RE: Final = re.compile(
    rf"(?=[{_INTRO_FIRST}])(?<!\w)"
    rf"(?:(?:{_INTRO}){_SEP}|(?-i:M\.)[ \t]++)",
    re.IGNORECASE,
)
SIGNATURE_RE: Final = re.compile(
    r"(?=[ \tsrcas])(?:"
    r"(?:^|(?<=[.!?\n]))[ \t]*+(?:signed|sign[ée])(?!\w)"
    + _SEP
    + r"|(?<!\w)(?:signed|sign[ée])[ \t]*+[:\-–—]\s*+"
    + r"|(?<!\w)(?:regards|cordialement|atentamente|saludos|cumprimentos|atenciosamente)"
    + r"[ \t]*+(?:[,:\-–—]|\n)\s*+)",
    re.IGNORECASE | re.MULTILINE,
)
# INTRO_RE and SIGNATURE_RE, each match with the 1-3 name-like words after it in groups
# 1-3 (NAME_WORD_RE at its end, then at each word's end), read by a lookahead: the same
# matches, the words found in the scan rather than by a match call for each.
# (_RUN_WORD is WORD, its letters taken a run at a time: the same words, read faster.)
_RUN_WORD = rf"{_L}(?:{_L}++|{_MARK}|['’-]{_L})*+"
_NAMES_AHEAD = (
    rf"(?=(?-i:(?:[ \t]*+({_RUN_WORD})"
    rf"(?:[ \t]*+({_RUN_WORD})(?:[ \t]*+({_RUN_WORD}))?)?)?))"
)
INTRO_NAMES_RE: Final = re.compile(INTRO_RE.pattern + _NAMES_AHEAD, INTRO_RE.flags)
SIGNATURE_NAMES_RE: Final = re.compile(SIGNATURE_RE.pattern + _NAMES_AHEAD, SIGNATURE_RE.flags)
SPEAKING_RE: Final = re.compile(
    rf"(?<!\w)this[ \t]++is[ \t]++({WORD}(?:[ \t]++{WORD}){{0,2}})[ \t]++speaking(?!\w)",
    re.IGNORECASE,
)

# Function words that end a name (stored folded, see fold()).
_STOP_TEXT = """
and or but from of in at on to the a an i im me my we you he she they it its this that
with for by not no yes here there please help speaking am is are was be been will
et ou mais de du des d la le les l un une au aux en dans sur pour par avec chez vers
je j tu il elle nous vous ils elles moi toi suis est c ce cet cette mon ma mes qui que
ne pas depuis aussi
na ni wa ya za kwa katika kutoka huko hapa mimi yangu wangu langu pia lakini au kama tu
ndiyo hapana sasa leo jana usiku mchana asubuhi jioni kesho
y e o el los las del con por para soy estoy desde una mi os as do da dos das em no
com sou estou um uma meu minha
و من في الى إلى عن انا أنا هو هي مع ثم او أو لا
"""


def _fold_uncached(word: str) -> str:
    if word.isascii():  # nothing to decompose, no Arabic letter: the same as below
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return out.translate(_ARABIC_FOLD)


_ARABIC_FOLD: Final = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None, "’": "'"}
)


# fold() and is_stop() remember words up to this long: a resident's long words must
# not fill the memory.
CACHED_WORD_MAX = 64
_fold_cached = lru_cache(maxsize=8192)(_fold_uncached)


def fold(word: str) -> str:
    """Case-, accent- and Arabic-letter-variant-insensitive key for a word."""
    return _fold_cached(word) if len(word) <= CACHED_WORD_MAX else _fold_uncached(word)


STOP_WORDS: Final[frozenset[str]] = frozenset(_fold_uncached(w) for w in _STOP_TEXT.split())
ARABIC_PREFIXES: Final = ("و", "ب", "ل", "ف")
# Function words told from names only as written: على ("on") folds to علي (Ali).
RAW_STOPS: Final = frozenset({"على", "وعلى"})
ELISIONS: Final = frozenset({"j", "c", "l", "m", "s", "t", "qu", "i"})


def is_stop(word: str) -> bool:
    """True if a word (or an Arabic word minus a one-letter conjunction) is a function word."""
    return _is_stop_cached(word) if len(word) <= CACHED_WORD_MAX else _is_stop(word)


def _is_stop(word: str) -> bool:
    return is_stop_folded(word, _fold_uncached(word))


def is_stop_folded(word: str, key: str) -> bool:
    """:func:`is_stop` of ``word`` whose :func:`fold` is ``key`` (for a caller that has
    folded it already)."""
    if word in RAW_STOPS or key in STOP_WORDS or ("'" in key and key.partition("'")[0] in ELISIONS):
        return True
    return len(key) > 2 and key.startswith(ARABIC_PREFIXES) and key[1:] in STOP_WORDS


_is_stop_cached = lru_cache(maxsize=8192)(_is_stop)
