"""Tests for bot.text.segments: expected values are worked out by hand from the GSM 03.38 rules."""

from __future__ import annotations

import dataclasses
import random
import unicodedata

import pytest

from bot.text.segments import Encoding, SegmentInfo, gsm_friendly, is_gsm7, measure
from bot.text.splitting import sms_segments as split

GSM = Encoding.GSM7
UCS = Encoding.UCS2
LIMIT = {GSM: 153, UCS: 67}
SINGLE = {GSM: 160, UCS: 70}
W = "word"


def words(n: int, word: str = W) -> str:
    return " ".join([word] * n)


def units(text: str, encoding: Encoding) -> int:
    if encoding is GSM:
        return sum(2 if ch in "\f^{}\\[~]|€" else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


# --- is_gsm7 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("Habari yako? Karibu 100%!", True),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r", True),
        ("\f^{}\\[~]|€", True),
        ("ç", False),  # only the capital Ç is in the table
        ("ê", False),
        ("À", False),
        ("α", False),  # only capital Greek letters are in the table
        ("`", False),
        ("\t", False),
        ("\x1b", False),  # the escape code itself is not a character
        ("’", False),
        ("😀", False),
        ("مرحبا", False),
    ],
)
def test_is_gsm7(text: str, expected: bool) -> None:
    assert is_gsm7(text) is expected


# --- measure -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentInfo(GSM, 0, 0)),
        ("a", SegmentInfo(GSM, 1, 1)),
        ("a" * 160, SegmentInfo(GSM, 160, 1)),
        ("a" * 161, SegmentInfo(GSM, 161, 2)),
        ("a" * 306, SegmentInfo(GSM, 306, 2)),
        ("a" * 307, SegmentInfo(GSM, 307, 3)),
        ("a" * 158 + "€", SegmentInfo(GSM, 160, 1)),
        ("a" * 159 + "€", SegmentInfo(GSM, 161, 2)),  # 160 characters, 161 septets
        ("[" * 80, SegmentInfo(GSM, 160, 1)),
        ("[" * 81, SegmentInfo(GSM, 162, 2)),
        ("a" * 305 + "^", SegmentInfo(GSM, 307, 3)),
        ("\f{}", SegmentInfo(GSM, 6, 1)),
        ("ê" * 70, SegmentInfo(UCS, 70, 1)),
        ("ê" * 71, SegmentInfo(UCS, 71, 2)),
        ("ê" * 134, SegmentInfo(UCS, 134, 2)),
        ("ê" * 135, SegmentInfo(UCS, 135, 3)),
        ("a" * 68 + "😀", SegmentInfo(UCS, 70, 1)),
        ("a" * 69 + "😀", SegmentInfo(UCS, 71, 2)),  # 70 code points, 71 UTF-16 units
        ("€" * 69 + "ê", SegmentInfo(UCS, 70, 1)),  # in UCS-2 € is one unit
        ("مرحبا بكم في سوتي", SegmentInfo(UCS, 17, 1)),
        ("ب" * 71, SegmentInfo(UCS, 71, 2)),
    ],
)
def test_measure(text: str, expected: SegmentInfo) -> None:
    assert measure(text) == expected


def test_segment_info_is_frozen_and_encoding_is_str() -> None:
    info = measure("hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.units = 3  # type: ignore[misc]
    assert info.encoding == "gsm7" and UCS == "ucs2"


# --- gsm_friendly ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vous êtes invités à la fête", "Vous etes invités à la fete"),
        ("l’école “ouverte” ‘ici’", "l'école \"ouverte\" 'ici'"),
        ("« Ça va ? »", '" Ça va ? "'),
        ("9–10 h — fin…", "9-10 h - fin..."),
        ("10\u00a0000\u202fF\u2003ok\tok", "10 000 F ok ok"),
        ("ça, garçon, Ça", "ca, garcon, Ça"),
        ("ÊÂÎÔÛËÏÁÍÓÚÃÕ âîôûëïáíóúãõ", "EAIOUEIAIOUAO aioueiaiouao"),
        ("œuvre, Œil", "oeuvre, OEil"),
        ("e\u0302tre", "etre"),  # decomposed ê
        ("São Tomé", "Sao Tomé"),
    ],
)
def test_gsm_friendly_replaces(text: str, expected: str) -> None:
    assert gsm_friendly(text) == expected
    assert is_gsm7(expected)


def test_gsm_friendly_french_becomes_gsm7() -> None:
    text = "Réunion publique : êtes-vous prêts ? Forêt, château, île."
    assert measure(text).encoding is UCS
    friendly = gsm_friendly(text)
    assert friendly == "Réunion publique : etes-vous prets ? Foret, chateau, ile."
    assert measure(friendly) == SegmentInfo(GSM, len(text), 1)


def test_gsm_friendly_keeps_gsm7_letters() -> None:
    text = "é è ù ì ò Ç à ä ö ü ñ Ä Ö Ü Ñ É Å å Ø ø Æ æ ß ΔΩ € [x]"
    assert gsm_friendly(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Réunion – مرحبا بكم",  # Arabic: the dash must not be replaced either
        "Merci ’ 😀",
        "Ελληνικά ê",  # lowercase Greek is not in GSM-7
        "中文 café",
        "",
    ],
)
def test_gsm_friendly_leaves_non_latin_untouched(text: str) -> None:
    assert gsm_friendly(text) == text


# --- split -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("hi", ["hi"]),
        ("a" * 160, ["a" * 160]),
        ("  " + "a" * 150 + "  ", ["  " + "a" * 150 + "  "]),  # fits: returned as is
        ("a" * 161, ["a" * 153, "a" * 8]),
        ("a" * 306, ["a" * 153] * 2),
        ("a" * 307, ["a" * 153] * 2 + ["a"]),
        ("ê" * 71, ["ê" * 67, "ê" * 4]),
        # 30 words + 29 spaces = 149; the 31st word would end at 154.
        ("word " * 100, [words(30)] * 3 + ["word " * 10]),
        # an extension character is never cut in half: 152 + 2 > 153
        ("a" * 152 + "€" + "b" * 10, ["a" * 152, "€" + "b" * 10]),
        # an emoji (2 units) does not fit after 66 units
        ("ê" * 66 + "😀" + "ê" * 10, ["ê" * 66, "😀" + "ê" * 10]),
        # a combining mark stays with its base
        ("x" * 66 + "e\u0301" + "y" * 10, ["x" * 66, "e\u0301" + "y" * 10]),
        # a skin-tone modifier stays with its emoji
        ("x" * 65 + "👍🏽" + "y" * 10, ["x" * 65, "👍🏽" + "y" * 10]),
        # a flag (two regional indicators, 4 units) and a ZWJ family (8 units) stay whole
        ("x" * 64 + "🇰🇪" + "y" * 10, ["x" * 64, "🇰🇪" + "y" * 10]),
        ("x" * 60 + "👨‍👩‍👧" + "y" * 10, ["x" * 60, "👨‍👩‍👧" + "y" * 10]),
        # 17 words of "ête" + 16 spaces = 67 units exactly
        ("ête " * 50, [words(17, "ête")] * 2 + ["ête " * 16]),
        # a late newline wins over later spaces...
        (words(20) + "\n" + "word " * 40, [words(20), words(30), "word " * 10]),
        # ...but not one in the first half of the window
        ("Title\n" + "word " * 60, ["Title\n" + words(29), words(30), "word "]),
        (" " * 200, []),  # only whitespace, all of it at cuts
    ],
)
def test_split_exact(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_split_10000_chars_without_spaces() -> None:
    text = "x" * 10_000  # 65 * 153 = 9945, 55 left
    assert split(text) == ["x" * 153] * 65 + ["x" * 55]


@pytest.mark.parametrize(
    ("text", "max_segments", "expected"),
    [
        ("word " * 100, 1, [words(31) + "..."]),  # one lone SMS: 157 + 3 = 160
        ("word " * 100, 2, [words(30), words(30) + "..."]),  # 150 left for the words
        ("word " * 100, 3, [words(30)] * 2 + [words(30) + "..."]),
        ("word " * 100, 4, [words(30)] * 3 + ["word " * 10]),  # no truncation needed
        ("ête " * 50, 2, [words(17, "ête"), words(16, "ête") + "…"]),  # 63 + 1 units
        ("ête " * 50, 1, [words(17, "ête") + "…"]),  # 67 + 1 <= 70 - 1
        ("x" * 400, 2, ["x" * 153, "x" * 150 + "..."]),  # no word boundary: hard cut
        ("a" * 160, 1, ["a" * 160]),
    ],
)
def test_split_max_segments(text: str, max_segments: int, expected: list[str]) -> None:
    assert split(text, max_segments) == expected


def test_split_rejects_zero_segments() -> None:
    with pytest.raises(ValueError):
        split("hello", 0)


# --- split properties on many inputs ----------------------------------------------------

GSM_VOCAB = ["Habari", "mkutano", "kesho", "saa", "3:00", "€5", "[info]", "{x}", "a^b", "|", "é"]
UCS_VOCAB = [*GSM_VOCAB, "مرحبا", "😀", "👨‍👩‍👧", "🇰🇪", "👍🏽", "ê", "e\u0301", "❤️", "𝄞"]
SEPARATORS = [" ", " ", " ", " ", "  ", "\n", "\n\n", " \n", "\u00a0"]


def random_text(seed: int, length: int, vocab: list[str], long_words: bool = False) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < length:
        word = "".join(rng.choices(vocab, k=rng.randint(1, 40 if long_words else 3)))
        sep = rng.choice(SEPARATORS[:-1] if vocab is GSM_VOCAB else SEPARATORS)
        parts.append(word + sep)
        size += len(word) + len(sep)
    return "".join(parts)[:length]


PROPERTY_TEXTS = [
    random_text(1, 10_000, GSM_VOCAB),
    random_text(2, 10_000, UCS_VOCAB),
    random_text(3, 2_000, GSM_VOCAB, long_words=True),
    random_text(4, 2_000, UCS_VOCAB, long_words=True),
    *(random_text(seed, seed * 37, GSM_VOCAB) for seed in range(5, 20)),
    *(random_text(seed, seed * 11, UCS_VOCAB) for seed in range(20, 35)),
    "x" * 10_000,
    "€" * 1_000,
    "😀" * 500,
    "   leading " + "word " * 80 + "   ",
    "\n" * 100 + "word " * 80,
    "ê" + "a" * 3000,
]


def check_reassembly(text: str, chunks: list[str], complete: bool = True) -> None:
    """text == chunk0 + ws + chunk1 + ws + ... where only the ws at cuts is dropped."""
    pos = 0
    for i, chunk in enumerate(chunks):
        if i > 0:
            while pos < len(text) and text[pos].isspace():
                pos += 1
        assert text.startswith(chunk, pos), f"chunk {i} does not continue the text"
        pos += len(chunk)
    assert not complete or text[pos:].isspace() or pos == len(text)


@pytest.mark.parametrize("text", PROPERTY_TEXTS)
def test_split_properties(text: str) -> None:
    info = measure(text)
    chunks = split(text)
    check_reassembly(text, chunks)
    assert all(chunk and not chunk.isspace() for chunk in chunks)
    for i, chunk in enumerate(chunks):
        assert units(chunk, info.encoding) <= LIMIT[info.encoding]
        assert not unicodedata.category(chunk[0]).startswith("M")
        assert not (0x1F3FB <= ord(chunk[0]) <= 0x1F3FF) and chunk[0] != "\u200d"
        assert chunk[-1] != "\u200d"
        if i > 0:
            assert not chunk[0].isspace()
        if i < len(chunks) - 1:
            assert not chunk[-1].isspace()
    # the cuts are not wasteful: one more segment at most per few, never absurd
    assert len(chunks) <= 2 * info.segments


@pytest.mark.parametrize("text", PROPERTY_TEXTS)
@pytest.mark.parametrize("max_segments", [1, 2, 5])
def test_split_max_segments_properties(text: str, max_segments: int) -> None:
    info = measure(text)
    full = split(text)
    chunks = split(text, max_segments)
    assert len(chunks) <= max_segments
    if len(full) <= max_segments:
        assert chunks == full
        return
    ellipsis = "..." if info.encoding is GSM else "…"
    assert chunks[-1].endswith(ellipsis)
    check_reassembly(text, [*chunks[:-1], chunks[-1].removesuffix(ellipsis)], complete=False)
    limit = SINGLE if max_segments == 1 else LIMIT
    assert all(units(chunk, info.encoding) <= limit[info.encoding] for chunk in chunks)
    assert measure("".join(chunks)).segments <= max_segments
