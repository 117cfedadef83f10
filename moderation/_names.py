"""Names in free text without a model, for :mod:`moderation.anonymise`.

Two sources, both read once from data files next to this module:

* the lexicon of given names and surnames (``data/names/given.txt``, ``surnames.txt``)
  less the places of ``data/names/places.txt`` ("goma", "delgado"), and its entries that
  are also everyday words (``data/names/also_words.txt``);
* per-language cue words (``data/cues/<lang>.txt``, lines ``kind phrase``): ``intro``
  ("i am", "je suis", "mimi ni", "انا", "called": a lexicon name must follow, so "je suis
  malade" stays), ``kin`` and ``title`` ("my neighbour", "le commandant", "جاري", "a
  certain", "un nommé", "afande": a lexicon name or a capitalised word may follow),
  ``sign`` ("regards", "asante sana") and ``mod`` ("grand", "mkubwa", "dit", "wa mtaa":
  words that may sit between cues and the name).

Found as names: the 1-4 name-like words after a cue or a chain of cues ("my cousin
brother Emmanuel", "le chef de cellule Bosco"; a title keeps the words after the name:
"Mr. Kabila Joseph threatened us" -> "Mr. [name] threatened us"), a name particle and
the word after it ("القائد ود الزين"); without a cue, two or more lexicon words in a row
("Fatuma Said", "akello grace") unless all are also everyday words ("amani" = peace
alone stays), capitalised lexicon names in a list ("Okello and Akello", "Opio, Auma,
Ocen"), a lexicon name before "here" ("hi, Peter here") or alone at the end of the text
after punctuation ("... help. Kato"). Arabizi words that begin with a digit are read as
letters ("7asan" = hasan). The text is read as words once (linear) and the words scanned
in one pass; chains of cues are bounded and each cue is read once.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from operator import itemgetter
from typing import Final

from moderation import _name_data as data
from moderation import _patterns as pat
from moderation._words import words_of

__all__ = ["CONJUNCTIONS", "find_names", "is_name_like"]

_Span = tuple[int, int, str]
_MAX_NAMES: Final = 4
# Between a cue and its name: spaces, at most one ",", ":", "-" or "." (after "Mr.").
_CUE_GAP: Final = re.compile(r"[ \t]*+[.,،:\-–]?[ \t]*+")
# Between the words of one name; between the words of one cue (an apostrophe: "c'est").
_NAME_GAP: Final = re.compile(r"[ \t]{1,3}|-")
_ELISION: Final = frozenset({"'", "’"})  # between a capital and a name: "N'Diaye"
_IN_CUE_GAP: Final = re.compile(r"[ \t]{1,3}|['’][ \t]?|-|\.?[ \t]")
# A lexicon name then "here", first in the text or after a greeting: "hi, Peter here".
_HERE: Final = frozenset({"here", "ici", "hapa", "aqui", "hena", "هنا"})
# What follows "<name> here" at the start of a text: punctuation, or where from ("Tumaini
# hapa kutoka kyela"); not a verb ("Everyone here is sick").
_AFTER_HERE: Final = frozenset(",.;:!-–—\n")
_FROM: Final = frozenset({"from", "de", "du", "kutoka", "wa", "desde", "da", "do", "min", "من"})
_DASHES: Final = "-–—"
_GREETINGS: Final = frozenset({"hi", "hello", "hallo", "hey", "dear", "bonjour", "bjr", "salut",
                               "cc", "habari", "jambo", "mambo", "hola", "ola", "oi", "salam",
                               "السلام", "مرحبا", "سلام"})
_MAX_LISTED: Final = 6
# What ends the line before a lone lexicon name that ends the text (a signature).
_LAST_LINE: Final = frozenset(".!?\n-–—,")
CONJUNCTIONS: Final = frozenset({"and", "et", "na", "y", "e", "ama", "w", "و"})
_ALIASES: Final = frozenset({"dit", "alias", "aka", "surnomme", "apodado", "vulgo", "anaitwa"})
# After "I am" and a name that is also a word, these make the word an adjective: "انا سعيد
# جدا" (I am very happy), "ni baraka kubwa" (it is a great blessing).
_INTENSIFIERS: Final = frozenset({"جدا", "خالص", "شديد", "انو", "لانو", "very", "so", "too",
                                  "sana", "kubwa", "mno", "tres", "muy", "muito", "demais"})
_ARTICLES: Final = frozenset({"a", "o", "la", "el"})  # after "y", "e": "y a dayana", "e o Tomas"
_MAX_CHAIN: Final = 4  # cues and mod words in a row before a name
# After a cue, these begin a name with the word after them ("القائد ود الزين", "خالتي ام
# كلثوم"); inside a name, these join it to a lexicon name ("محمد بن علي"; not the Romance
# "da", "del": "jhon del barrio", "villa del rosario" are places).
_PARTICLES: Final = frozenset({"ود", "ولد", "ام", "ابو", "بت", "wad", "abu", "abou", "um", "ould"})
_JOINERS: Final = frozenset({"bin", "ibn", "ould", "wad", "ود", "بن", "ابن", "ولد", "بت", "بنت"})


def is_name_like(word: str) -> bool:
    """A capitalised word or a lexicon name (not a function word)."""
    if pat.is_stop(word):
        return False
    return word[:1].isupper() or data.in_lexicon(pat.fold(word), data.lexicon()[0])


def _cue_at(keys: list[str], words: list[tuple[int, int, str]], norm: str, i: int,
            trie: data.Trie) -> tuple[int, int]:
    """(strength, end) of the longest cue of ``trie`` at word ``i``, or (0, i): the words
    are followed down the trie while a cue may go on (its words joined by ``_IN_CUE_GAP``)."""
    node = trie.get(keys[i])
    if node is None:
        return 0, i
    found = (node[data.END], i + 1) if data.END in node else (0, i)
    in_cue, k, count = _IN_CUE_GAP.fullmatch, i + 1, len(words)
    while (k < count and (node := node.get(keys[k])) is not None
           and in_cue(norm, words[k - 1][1], words[k][0])):
        k += 1
        if data.END in node:
            found = node[data.END], k
    return found


def _acronym(norm: str, words: list[tuple[int, int, str]], j: int) -> bool:
    """Whether word ``j`` follows an acronym or is one in a text not all capitals."""
    before, word = words[j - 1][2], words[j][2]
    return ((len(before) > 1 and before.isupper())
            or (len(word) > 1 and word.isupper() and not norm.isupper()))


def find_names(norm: str) -> Iterator[_Span]:
    """Spans of the names after cues and of the cue-less runs of lexicon names.

    Cues chain ("my cousin brother Emmanuel", "the soldier called Sgt. Ochieng",
    "mwenyekiti wa mtaa Bw. Mrisho"): after a cue, further cues and ``mod`` words
    ("grand", "mkubwa", "dit", "de cellule") may come before the name, which the
    strongest cue of the chain judges. After a cue, a name particle ("ود", "ام", "abu",
    "bin") and the word after it are a name, whatever the word."""
    also, places = data.lexicon()[1], data.place_words()
    cues, mods = data.name_cues()[1], data.mods()[1]
    words, keys, stops, lex, candidates = words_of(norm)
    count = len(words)
    gap, cue_gap = _NAME_GAP.fullmatch, _CUE_GAP.fullmatch
    resume = 0  # the scan resumes at this word (after a name found)
    skip = 0  # cues before this word were read in a chain that found no name
    for i in candidates:  # the words that may begin a cue or are lexicon names
        if i < resume:
            continue
        strength = 0
        if i >= skip and (node := cues.get(keys[i])) is not None and (
                data.END in node or (i + 1 < count and keys[i + 1] in node)):
            strength, j = _cue_at(keys, words, norm, i, cues)
            links = 1  # bounded, and read once: "signed signed ..." costs linear time
            while (strength and links < _MAX_CHAIN and j < count
                   and (keys[j] in cues or keys[j] in mods) and keys[j] not in _PARTICLES
                   and cue_gap(norm, words[j - 1][1], words[j][0])):
                links += 1
                more, after = _cue_at(keys, words, norm, j, cues)
                if not more:
                    more, after = _cue_at(keys, words, norm, j, mods)
                if not more:
                    break
                strength, j = max(strength, more), after
        if strength and j < count and cue_gap(norm, words[j - 1][1], words[j][0]):
            word = words[j][2]
            cap = word[:1].isupper()
            if (keys[j] in _PARTICLES and j + 1 < count and not stops[j + 1]
                    and gap(norm, words[j][1], words[j + 1][0])):
                end = _run(norm, words, keys, stops, lex, j + 1, True)
                yield words[j][0], words[end - 1][1], "name"
                resume = end
                continue
            # Not a cue itself ("Merci. Signé ..."), nor after an acronym ("DR Congo"),
            # nor an acronym in a text that is not all capitals ("thank you MSF").
            if (not stops[j] and keys[j] not in cues
                    and (lex[j] or (strength > 1 and cap and not _acronym(norm, words, j)))
                    and not (strength == 1 and keys[j] in also and j + 1 < count
                             and keys[j + 1] in _INTENSIFIERS)):
                end = _run(norm, words, keys, stops, lex, j, cap)
                yield words[j][0], words[end - 1][1], "name"
                # "papa Kambale et muhindo", "Kasoki dit Ebola": a lexicon name joined to
                # the one found, or a nickname after it
                while (end + 1 < count
                       and ((keys[end] in CONJUNCTIONS and lex[end + 1]
                             and keys[end + 1] not in also
                             and keys[end + 1] not in places)
                            or (keys[end] in _ALIASES and words[end + 1][2][:1].isupper()))
                       and norm[words[end - 1][1]:words[end + 1][0]] == f" {words[end][2]} "):
                    yield words[end + 1][0], words[end + 1][1], "name"
                    end += 2
                resume = end
                continue
        if strength:
            skip = j  # the cues inside this chain lead to the same word
        if lex[i] and keys[i] not in places:  # ("barrio Bolívar": a place)
            if (keys[i] in also and not words[i][2][:1].isupper()
                    and not (i + 1 < count and (lex[i + 1] or keys[i + 1] in _JOINERS))):
                continue  # an everyday word in lower case, alone: no run, list or signature
            end = _run(norm, words, keys, stops, lex, i, False, lexicon_only=True)
            if end - i >= 2 and not all(keys[k] in also for k in range(i, end)):
                yield words[i][0], words[end - 1][1], "name"
                resume = end
                continue
            if (end == i + 1 and end < count and keys[end] in _HERE and keys[i] not in also
                    and (i == 0 or keys[i - 1] in _GREETINGS)):
                yield words[i][0], words[i][1], "name"  # "hi, Peter here"
                resume = end
                continue
            before = norm[max(0, words[i][0] - 8):words[i][0]].rstrip(" \t")[-1:]
            if (end == i + 1 == count and words[i][2][:1].isupper() and before in _LAST_LINE
                    and (keys[i] not in also or before in ".!?\n")):
                yield words[i][0], words[i][1], "name"  # "... we need help. Kato"
                resume = end
                continue
            listed = (_listed(norm, words, keys, lex, also, i) if end == i + 1 < count and (
                _may_list(norm[words[i][1]:words[i + 1][0]], keys[i + 1])) else [])
            if listed:
                for k in listed:
                    yield words[k][0], words[k][1], "name"
                resume = listed[-1] + 1
                continue
    yield from _edges(norm, words, keys, stops, lex, cues)


def _edges(norm: str, words: list[tuple[int, int, str]], keys: list[str], stops: list[bool],
           lex: list[bool], cues: data.Trie) -> Iterator[_Span]:
    """Names that a text's first or last words give without a lexicon: "<name> here" or
    "<name>, <title>" at the start ("Nyabongo here, ...", "Zawadi ici.", after a
    greeting: "hola, Yesenia aqui,"; "Byamungu Ndabagoye, chef de localite, a vendu"),
    and a signature after a dash at the end ("... since the fire. - Kavugho M."). The
    words must be capitalised or lexicon names, and neither function words nor places."""
    count = len(words)
    if not count:
        return
    places = data.places()

    def named(first: int, end: int, initial: bool) -> bool:
        for k in range(first, end):
            word = words[k][2]
            if k > first and not _NAME_GAP.fullmatch(norm, words[k - 1][1], words[k][0]):
                return False
            if initial and k == end - 1 and k > first and len(word) == 1:
                continue  # "Kavugho M.", "عائشة ب"
            if stops[k] or keys[k] in places or not (word[:1].isupper() or lex[k]):
                return False
        return True

    start = 0
    while start < min(count, 2) and keys[start] in _GREETINGS:
        start += 1
    for size in (1, 2):
        here = start + size
        if here < count and keys[here] in _HERE and named(start, here, False):
            rest = norm[words[here][1]:].lstrip(" \t")
            if not rest or rest[0] in _AFTER_HERE or (here + 1 < count and keys[here + 1] in _FROM):
                yield words[start][0], words[here - 1][1], "name"
                break
    # "<name>, <title or kin>" at a sentence's start: "Byamungu Ndabagoye, chef de localite,
    # a vendu", "Vitória, a irmã mais velha, ficou com a avó": read from each ", " that a
    # cue follows (a text of dots has no such place to look at)
    for title in _after_commas(norm, words, keys, cues):
        for size in (1, 2, 3):
            first = title - size
            if first < start:
                break
            if (first == start or norm[words[first - 1][1]:words[first][0]].rstrip(" \t")[-1:]
                    in _STARTS_AFTER) and (
                    all(words[k][2][:1].isupper() and keys[k] not in cues
                        for k in range(first, title))
                    and named(first, title, False)
                    and _cue_at(keys, words, norm, title, cues)[0] > 1):
                yield words[first][0], words[title - 1][1], "name"
                break
    if norm[words[-1][1]:].strip(" \t.\n"):
        return  # the text does not end with the words
    if count >= 2 and len(words[-1][2]) == 1 and words[-1][2].isupper():
        for size in (3, 2):  # "... since the fighting. Syaghuswa M.": a name and an initial
            first = count - size
            above = norm[:words[first][0]].rstrip(" \t") if first >= 0 else ""
            if (above and above[-1] in ".!?\n" and named(first, count, True)
                    and all(words[k][2][:1].isupper() for k in range(first, count))):
                yield words[first][0], words[-1][1], "name"
                return
    # "- Tumaini wa kigoma", "- Kavira de Beni": where the signer is from stays
    last = count - 2 if count >= 3 and keys[count - 2] in _FROM else count
    for size in (3, 2, 1):
        first = last - size
        if first < 0:
            continue
        before = norm[:words[first][0]].rstrip(" \t")
        if not before or before[-1] not in _DASHES:
            continue
        above = before.rstrip(_DASHES).rstrip(" \t")
        spaced = norm[len(before) - 1:len(before) + 1] == "- " and before[-2:-1] == " "
        if (not above or above[-1] in ".!?\n" or spaced) and named(first, last, True):
            yield words[first][0], words[last - 1][1], "name"
            return


def _after_commas(norm: str, words: list[tuple[int, int, str]], keys: list[str],
                  cues: data.Trie) -> Iterator[int]:
    """Indexes of the words right after a ", " that may begin a cue."""
    at = norm.find(", ")
    while at >= 0:
        k = bisect_left(words, at + 2, key=itemgetter(0))
        if k < len(words) and words[k][0] == at + 2 and keys[k] in cues:
            yield k
        at = norm.find(", ", at + 2)


_STARTS_AFTER: Final = frozenset(".!?\n")


def _may_list(between: str, after: str) -> bool:
    """Whether a list may go on past a word: a comma, or "and" after it (see _listed)."""
    return between in (", ", ",") or (between == " " and (
        after in CONJUNCTIONS or (after[:1] == "و")))


def _listed(norm: str, words: list[tuple[int, int, str]], keys: list[str], lex: list[bool],
            also: frozenset[str], i: int) -> list[int]:
    """Word indexes of a list of names from word ``i`` (a lexicon name): two joined by
    "and" ("Okello and Akello", "Kahindo et Masika", "wilmer y a dayana"), or three or
    more joined by commas and "and" ("Opio, Auma, Ocen"); else []. Capitalised, a list
    may hold a name the lexicon lacks between lexicon names ("Ancha, Jossias e o
    Tomas"); lowercase, every word must be a lexicon name and no everyday word."""
    found = [i]
    joined = False
    k = i
    places = data.place_words()
    while len(found) < _MAX_LISTED and k + 1 < len(words):
        between = norm[words[k][1]:words[k + 1][0]]
        nxt = k + 1
        if between == " " and keys[nxt] in CONJUNCTIONS:
            if nxt + 1 >= len(words) or norm[words[nxt][1]:words[nxt + 1][0]] != " ":
                break
            nxt, conj = nxt + 1, True
            if (keys[nxt] in _ARTICLES and nxt + 1 < len(words)
                    and norm[words[nxt][1]:words[nxt + 1][0]] == " "):
                nxt += 1  # "y a dayana", "e o Tomas"
        elif between in (", ", ","):
            conj = False
        elif between == " " and keys[nxt][:1] == "و" and lex[nxt]:
            conj = True  # "الزبير والطيب": Arabic writes "and" on the word
        else:
            break
        if not (lex[nxt] or words[nxt][2][:1].isupper()) or keys[nxt] in places:
            break  # (not "Kasereka na estrada": a road)
        found.append(nxt)
        joined = joined or conj
        k = nxt
    while found and not lex[found[-1]]:
        found.pop()  # a list ends with a lexicon name
    if len(found) < 2 or not (joined or len(found) >= 3):
        return []
    named = sum(lex[k] for k in found)
    capitalised = all(words[k][2][:1].isupper() for k in found)
    everyday = any(keys[k] in also for k in found)
    if capitalised:
        # Everyday words ("Grace and Hope") only in a list of three or more: "Rehema,
        # Zawadi na Upendo"; a name the lexicon lacks only between two it has.
        if (len(found) < 3 and everyday) or named < 2 or (named < len(found) and len(found) < 3):
            return []
        return found
    if named < len(found) or everyday:
        return []
    return found


def _run(norm: str, words: list[tuple[int, int, str]], keys: list[str], stops: list[bool],
         lex: list[bool], first: int, cap: bool, *, lexicon_only: bool = False) -> int:
    """The end (exclusive word index) of a name starting at ``first``: the next words
    joined by a space or a hyphen that are lexicon names, or capitalised if the first
    was (unless ``lexicon_only``); a joining particle ("bin", "ود") counts when a
    lexicon name follows it ("محمد بن علي"). At most ``_MAX_NAMES`` words joined by
    spaces; the parts of a hyphenated name are one word ("Kavira-Masika-Kahindo")."""
    end = first + 1
    fullmatch = _NAME_GAP.fullmatch
    count = len(words)
    spaced = 1
    while end < count:
        if not fullmatch(norm, words[end - 1][1], words[end][0]):
            if (len(words[end - 1][2]) == 1 and words[end][2][:1].isupper()
                    and norm[words[end - 1][1]:words[end][0]] in _ELISION):
                end += 1  # "N'Diaye", "O'Neil", "M'Bemba": one name
                continue
            break
        if norm[words[end - 1][1]] != "-":
            if spaced >= _MAX_NAMES:
                break
            spaced += 1
        if (end + 1 < count and keys[end] in _JOINERS and lex[end + 1]
                and fullmatch(norm, words[end][1], words[end + 1][0])):
            end += 2
            continue
        if stops[end]:
            break
        upper = words[end][2][:1].isupper()
        # After a capitalised name, a lowercase word is a verb more often than a surname
        # ("um tal de Zacarias anda a cobrar").
        if not ((lex[end] and not (cap and not upper)) or (cap and not lexicon_only and upper)):
            break
        end += 1
    return end
