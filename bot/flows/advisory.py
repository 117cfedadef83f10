"""Safety advisories: subscribe to areas, unsubscribe, read the latest."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.flow import MENU, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.turn import Turn
from bot.domain.effects import Subscribe, Unsubscribe
from bot.domain.records import Advisory
from bot.i18n.catalogue import N_, _, current_language
from bot.i18n.formatting import format_when

SEVERITY = {
    "info": N_("Information"),
    "warning": N_("Warning"),
    "critical": N_("Critical"),
}


def done(turn: Turn, text: str) -> str:
    """Say ``text`` and that the menu is a keyword away; back to the idle menu."""
    turn.say(text)
    return MENU


def flow(mission: Mission) -> Flow:
    numbers = {a.code: n for n, a in enumerate(mission.areas, start=1)}

    def area_options(codes: Sequence[str]) -> list[Option]:
        """Areas by their number in the mission's list, in every list of areas: one
        left out (unsubscribed) leaves the others' numbers as they were."""
        ordered = sorted(codes, key=lambda c: numbers.get(c, 0))
        return [Option(c, mission.area_name(c), translate=False, aliases=(c,),
                       number=numbers.get(c)) for c in ordered]

    async def all_areas(turn: Turn) -> Sequence[Option]:
        return area_options([a.code for a in mission.areas])

    async def subscribed(turn: Turn) -> Sequence[Option]:
        return area_options(await turn.lookups.subscriptions(turn.contact_id))

    async def menu(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        if picked.key == "unsubscribe" and not await turn.lookups.subscriptions(turn.contact_id):
            turn.say(_("You have no subscriptions."))
            return "advisory"
        return f"advisory.{picked.key}"

    def shown(advisory: Advisory) -> str:
        text = (advisory.texts.get(current_language())
                or advisory.texts.get(mission.default_language)
                or next(iter(advisory.texts.values()), ""))
        when = format_when(advisory.created_at, mission.timezone)
        return f"{_(SEVERITY.get(advisory.severity, advisory.severity))} · {when}\n{text}"

    async def subscribe(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.effect(Subscribe(picked.key))
        turn.say(_("You will get advisories for {area}.").format(area=picked.label))
        current = await turn.lookups.latest_advisory(picked.key, turn.message.received_at)
        if current is not None:  # a new subscriber gets the advisory in force
            turn.say(shown(current))
        return MENU

    async def unsubscribe(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.effect(Unsubscribe(picked.key))
        return done(turn, _("No more advisories for {area}.").format(area=picked.label))

    async def latest(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        advisory = await turn.lookups.latest_advisory(picked.key, turn.message.received_at)
        if advisory is None:
            turn.say(_("No advisory for {area}.").format(area=picked.label))
        else:
            turn.say(shown(advisory))
        return MENU

    return Flow("advisory", entries=("advisory",), steps=(
        Step("advisory", lambda t: _("Safety advisories:"), menu,
             ("advisory", "advisory.subscribe", "advisory.unsubscribe", "advisory.latest"),
             options=static(Option("subscribe", N_("Subscribe to an area")),
                            Option("unsubscribe", N_("Unsubscribe")),
                            Option("latest", N_("Latest advisory")))),
        Step("advisory.subscribe", lambda t: _("Which area?"), subscribe, (MENU,),
             options=all_areas),
        Step("advisory.unsubscribe", lambda t: _("Stop advisories for which area?"),
             unsubscribe, (MENU,), options=subscribed),
        Step("advisory.latest", lambda t: _("Which area?"), latest, (MENU,), options=all_areas),
    ))
