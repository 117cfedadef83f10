"""Welcome, main menu, language, help and privacy, erasing one's data."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.flow import (
    HELP,
    IDLE,
    LANGUAGE,
    MENU,
    RESUME,
    WELCOME,
    Flow,
    Option,
    Step,
    static,
)
from bot.conversation.mission import Mission
from bot.conversation.turn import Turn
from bot.domain.effects import Erase, SetLanguage
from bot.flows.poll import PICK, POLL_STEP, PollDraft, answerable
from bot.i18n.catalogue import N_, _, language
from bot.text.segments import gsm_friendly, is_gsm7

MAIN_OPTIONS = (
    Option("report", N_("Report a concern")),
    Option("advisory", N_("Safety advisories")),
    Option("check", N_("Check a report")),
    Option("language", N_("Change language")),
    Option("help", N_("Help and privacy")),
)
WITH_POLLS = (*MAIN_OPTIONS, Option("polls", N_("Polls")))
HELP_OPTIONS = (
    Option("erase", N_("Erase my data")),
    Option("menu", N_("Back to the menu")),
    Option("about", N_("About you (optional)")),
)
RESUME_LABEL = {"report": N_("Back to your report")}  # by the interrupted draft's kind
_MENU_TARGETS = {
    "report": "report.category",
    "advisory": "advisory",
    "check": "check",
    "language": LANGUAGE,
    "help": HELP,
}


def flow(mission: Mission) -> Flow:
    # each language's name in itself: the same options on every turn; names an
    # SMS can carry in GSM-7 first, those in other scripts (العربية) last, so
    # that on SMS they can go in a body of their own (bot.text.rendering)
    language_options = tuple(
        Option(lang, mission.language_label(lang), translate=False, aliases=(lang,))
        for lang in sorted(mission.languages,
                           key=lambda lang: not is_gsm7(gsm_friendly(mission.language_label(lang))))
    )

    async def languages(turn: Turn) -> Sequence[Option]:
        return language_options

    async def choose_language(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.state.language = picked.key
        turn.effect(SetLanguage(picked.key))
        return MENU

    async def set_language(turn: Turn, picked: Option | None) -> str:
        await choose_language(turn, picked)
        assert picked is not None
        # switch the rest of this turn to the new language
        with language(picked.key):
            turn.say(_("Language set: {name}.").format(name=mission.language_label(picked.key)))
        return MENU

    async def main_options(turn: Turn) -> Sequence[Option]:
        """The main menu; "Polls" last when one is open to the person (the first
        five keep their numbers)."""
        return WITH_POLLS if await answerable(turn) else MAIN_OPTIONS

    async def main(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        if picked.key != "polls":
            return _MENU_TARGETS[picked.key]
        polls = await answerable(turn)
        if len(polls) != 1:
            return PICK if polls else MENU
        turn.draft = PollDraft(polls[0].id, dict(polls[0].question))
        return POLL_STEP

    async def help_options(turn: Turn) -> Sequence[Option]:
        """Help's choices, and last (the others keep their numbers) the way back
        to what HELP interrupted."""
        if turn.resume is None or turn.draft is None:
            return HELP_OPTIONS
        return (*HELP_OPTIONS, Option("resume", RESUME_LABEL.get(turn.draft.kind,
                                                                 N_("Back to where you were"))))

    async def help_menu(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        if picked.key == "resume":
            return RESUME
        turn.forget()
        return {"erase": "help.erase", "about": "profile.consent"}.get(picked.key, MENU)

    async def erase(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        if picked.key == "yes":
            turn.effect(Erase())
            turn.forget()
            turn.say(_("Your data is erased. Goodbye."))
            return IDLE
        turn.say(_("Nothing was erased."))
        return MENU

    return Flow("home", entries=(WELCOME, MENU, LANGUAGE, HELP), steps=(
        Step(WELCOME, lambda t: _("Choose your language:"), choose_language, (MENU,),
             options=languages),
        Step(MENU, lambda t: _("What would you like to do?"), main,
             (*_MENU_TARGETS.values(), MENU, PICK, POLL_STEP), options=main_options),
        Step(LANGUAGE, lambda t: _("Choose your language:"), set_language, (MENU,),
             options=languages),
        Step(HELP, lambda t: _("Sauti passes your concerns to the mission. Reports keep no "
                               "names, numbers or link to you."), help_menu,
             ("help.erase", MENU, "profile.consent", RESUME),
             options=help_options),
        Step("help.erase",
             lambda t: _("Erase your contact, subscriptions and session? "
                         "Sent reports stay, with nothing linking them to you."),
             erase, (IDLE, MENU),
             options=static(Option("yes", N_("Yes, erase")), Option("no", N_("No")))),
    ))
