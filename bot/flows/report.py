"""Report a concern: category, description, area, contact consent, confirmation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from bot.conversation.flow import IDLE, Option, Step, static
from bot.conversation.turn import Turn, menu_hint
from bot.domain.effects import SubmitReport
from bot.flows.mission import Mission
from bot.i18n.catalogue import N_, _
from moderation.anonymise import Redacted

REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
REF_LENGTH = 6
EXCERPT = 80


def new_reference() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


def steps(mission: Mission) -> list[Step]:
    async def categories(turn: Turn) -> Sequence[Option]:
        return [Option(code, mission.category_name(code), translate=False, aliases=(code,))
                for code in mission.categories]

    async def areas(turn: Turn) -> Sequence[Option]:
        return [*(Option(a.code, mission.area_name(a.code), translate=False, aliases=(a.code,))
                  for a in mission.areas),
                Option("-", N_("Other or not sure"))]

    async def category(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.data.clear()
        turn.data["category"] = picked.key
        return "report.description"

    async def description(turn: Turn, picked: Option | None) -> str:
        msg = turn.message
        red = turn.redacted()
        turn.data["description"] = red.text
        turn.data["redactions"] = list(red.kinds)
        turn.data["media"] = sorted({m.value for m in msg.media})
        if msg.truncated:
            turn.say(_("Your text was long: only its beginning was kept."))
        if msg.media:
            turn.say(_("Attachment noted."))
        if msg.location is not None:
            near = mission.nearest_area(msg.location)
            if near is not None:
                turn.data["area"] = near
                return "report.contact"
        return "report.area"

    async def area(turn: Turn, picked: Option | None) -> str:
        if picked is None:  # a shared location: the nearest area, coordinates not kept
            location = turn.message.location
            turn.data["area"] = mission.nearest_area(location) if location else None
        else:
            turn.data["area"] = None if picked.key == "-" else picked.key
        return "report.contact"

    async def contact(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.data["contactable"] = picked.key == "yes"
        return "report.confirm"

    async def confirm(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        data = turn.data
        if picked.key != "send":
            data.clear()
            turn.say(_("Report cancelled.") + " " + menu_hint())
            return IDLE
        ref = new_reference()
        while await turn.lookups.reference_exists(ref):
            ref = new_reference()
        turn.effect(SubmitReport(
            ref=ref,
            category=str(data["category"]),
            area=data.get("area"),
            description=Redacted(str(data.get("description", "")),
                                 tuple(data.get("redactions", ()))),
            media=tuple(data.get("media", ())),
            contactable=bool(data.get("contactable")),
        ))
        data.clear()
        turn.say(_("Thank you. Your report is sent. Its code is {ref}: keep it to check "
                   "on it.").format(ref=ref))
        turn.say(menu_hint())
        return IDLE

    def summary(turn: Turn) -> str:
        data = turn.data
        text = str(data.get("description", ""))
        if len(text) > EXCERPT:
            text = text[:EXCERPT].rstrip() + "…"
        if not text:
            text = _("(attachment only)")
        area_code = data.get("area")
        where = mission.area_name(area_code) if area_code else _("area not given")
        return _("Send this report? {category}, {area}: \"{text}\"").format(
            category=mission.category_name(str(data.get("category"))), area=where, text=text)

    yes_no = static(Option("yes", N_("Yes")), Option("no", N_("No")))
    return [
        Step("report.category", lambda t: _("What is it about?"), category,
             ("report.description",), options=categories),
        Step("report.description",
             lambda t: _("Describe what happened, where and when. Please leave out names "
                         "and phone numbers."),
             description, ("report.area", "report.contact"), media_ok=True),
        Step("report.area", lambda t: _("Which area?"), area, ("report.contact",),
             options=areas, media_ok=True),
        Step("report.contact", lambda t: _("May the team contact you about this report?"),
             contact, ("report.confirm",), options=yes_no),
        Step("report.confirm", summary, confirm, (IDLE,),
             options=static(Option("send", N_("Send")), Option("cancel", N_("Cancel")))),
    ]
