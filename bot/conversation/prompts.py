"""The few sentences the router and every flow share."""

from __future__ import annotations

from bot.i18n.catalogue import _
from bot.i18n.keywords import Keyword, shown


def menu_hint() -> str:
    return _("Send {menu} for the menu.").format(menu=shown(Keyword.MENU))


def numbered_hint(numbers: list[int]) -> str:
    """A wrong answer's one line: the options were shown already (SMS costs)."""
    if numbers == list(range(1, len(numbers) + 1)):
        return _("Please reply 1-{count}.").format(count=len(numbers))
    return _("Please reply {numbers}.").format(numbers=", ".join(map(str, numbers)))


def welcome() -> str:
    """The first message: who is writing and the privacy notice (reports are
    anonymised, the number kept apart; how to stop and to erase), short enough
    that with "Choose your language:" it is one GSM-7 SMS segment, so that the
    language list, UCS-2 as soon as it names العربية, is the second."""
    return _(
        "Hi, this is Sauti, the mission's feedback line. Reports are anonymised, not "
        "linked to your number. {stop} to stop, {help} to erase your data."
    ).format(stop=shown(Keyword.STOP), help=shown(Keyword.HELP))


def privacy_notice() -> str:
    return _(
        "Reports are anonymised: names and numbers are removed and your number is not "
        "kept with them. Send {stop} to stop, {help} for privacy and erasing your data."
    ).format(stop=shown(Keyword.STOP), help=shown(Keyword.HELP))
