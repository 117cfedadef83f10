"""About you (optional): an age band and a gender, so that poll results can be
broken down as missions must report them. Asked only with consent and a line on
why, always with "prefer not to say", changeable from Help, kept against the
person's pseudonym only, erased with their data; results never show a group
smaller than ``privacy.min_cell`` (bot.polls.results)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import MENU, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.turn import Turn
from bot.domain.effects import SetProfile
from bot.i18n.catalogue import N_, _

__all__ = ["AGE_BANDS", "GENDERS", "START", "flow"]

START = "profile.consent"
NONE = "none"  # prefer not to say
AGE_BANDS = (("under18", N_("Under 18")), ("18-29", N_("18 to 29")), ("30-44", N_("30 to 44")),
             ("45-59", N_("45 to 59")), ("60+", N_("60 or more")),
             (NONE, N_("Prefer not to say")))
GENDERS = (("woman", N_("Woman")), ("man", N_("Man")), ("other", N_("Another gender")),
           (NONE, N_("Prefer not to say")))


@dataclass(slots=True)
class ProfileDraft(Draft):
    kind = "profile"
    age_band: str = NONE

    def to_data(self) -> JSONData:
        return {"age_band": self.age_band}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(str(data["age_band"]))


def flow(mission: Mission) -> Flow:
    async def consent(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        if picked.key != "yes":
            turn.forget()
            turn.say(_("Nothing was kept."))
            return MENU
        return "profile.age"

    async def age(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.draft_of(ProfileDraft).age_band = picked.key
        return "profile.gender"

    async def gender(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.effect(SetProfile(turn.draft_of(ProfileDraft).age_band, picked.key))
        turn.forget()
        turn.say(_("Thank you. You can change it in Help, or erase it with your data."))
        return MENU

    yes_no = static(Option("yes", N_("Yes")), Option("no", N_("No")))
    return Flow("profile", entries=(START,), drafts=(ProfileDraft,), steps=(
        Step(START, lambda t: _("Optional: your age group and gender help the mission see "
                                "who answers polls. Counted only in groups, never linked to "
                                "your number. Tell us?"),
             consent, ("profile.age", MENU), options=yes_no),
        Step("profile.age", lambda t: _("Your age group?"), age, ("profile.gender",),
             options=static(*(Option(k, label) for k, label in AGE_BANDS))),
        Step("profile.gender", lambda t: _("Your gender?"), gender, (MENU,),
             options=static(*(Option(k, label) for k, label in GENDERS))),
    ))
