"""Global keywords (STOP, START, HELP, MENU, LANGUAGE) in every configured language.

The words come from the catalogues (context ``keyword``, comma-separated,
first one shown to people), so a new language brings its own keywords.
A keyword counts only when it is the whole message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from bot.i18n.catalogue import NP_, pgettext, pgettext_in
from bot.text.cleaning import fold


class Keyword(StrEnum):
    STOP = "STOP"
    START = "START"
    HELP = "HELP"
    MENU = "MENU"
    LANGUAGE = "LANGUAGE"


# msgids, marked for extraction; the English words always work too.
_MSGIDS = {
    Keyword.STOP: NP_("keyword", "STOP"),
    Keyword.START: NP_("keyword", "START"),
    Keyword.HELP: NP_("keyword", "HELP"),
    Keyword.MENU: NP_("keyword", "MENU"),
    Keyword.LANGUAGE: NP_("keyword", "LANGUAGE"),
}
CONTEXT = "keyword"


def words_of(lang: str) -> list[tuple[str, Keyword]]:
    """Every word ``lang``'s catalogue gives a keyword, folded as people's
    messages are, with the keyword it means."""
    return [(folded, keyword) for keyword, msgid in _MSGIDS.items()
            for word in pgettext_in(lang, CONTEXT, msgid).split(",")
            if (folded := fold(word))]


class KeywordTable:
    """The keywords of every configured language, and those a channel's carrier
    acts on in that channel only (learnt when the channel is added)."""

    __slots__ = ("_carrier", "_words")

    def __init__(self, languages: Iterable[str]) -> None:
        words: dict[str, Keyword] = {}
        for lang in ["en", *languages]:
            for folded, keyword in words_of(lang):
                words.setdefault(folded, keyword)
        self._words = words
        self._carrier: dict[str, dict[str, Keyword]] = {}

    def learn(self, channel: str, words: Mapping[str, Keyword]) -> None:
        """Also match ``words`` (as people type them) on ``channel``: e.g. the
        English opt-out words a carrier answers there itself, so that our state
        follows the carrier's."""
        if not words:
            self._carrier.pop(channel, None)
            return
        self._carrier[channel] = {fold(word): keyword for word, keyword in words.items()}

    def match(self, folded: str, channel: str) -> Keyword | None:
        """The keyword that ``folded`` (a :func:`fold`-ed whole message) is, if any."""
        if len(folded) > 24:
            return None
        found = self._words.get(folded)
        if found is None and (carrier := self._carrier.get(channel)) is not None:
            found = carrier.get(folded)
        return found


def shown(keyword: Keyword) -> str:
    """The keyword as people of the current language should type it."""
    return pgettext(CONTEXT, _MSGIDS[keyword]).split(",")[0].strip()
