"""Report a concern: category, description, area, contact consent, confirmation."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import MENU, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.turn import Turn
from bot.domain.effects import SubmitReport
from bot.i18n.catalogue import N_, _
from moderation.anonymise import Redacted, restored
from moderation.screening import Screened

REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
REF_LENGTH = 6
EXCERPT = 80


def new_reference() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


@dataclass(slots=True)
class ReportDraft(Draft):
    """A report being written: only redacted text is ever kept here."""

    kind = "report"
    category: str = ""
    description: Redacted | None = field(default=None, repr=False)
    media: tuple[str, ...] = ()
    area: str | None = None
    contactable: bool = False
    urgent: bool = False  # moderation's verdicts on the description (moderation.screening)
    abusive: bool = False
    abuse_score: float = 0.0
    cues: tuple[str, ...] = ()
    language: str | None = None  # the language the description is written in

    def to_data(self) -> JSONData:
        described = self.description
        return {"category": self.category, "area": self.area, "media": list(self.media),
                "contactable": self.contactable,
                "description": None if described is None else described.text,
                "redactions": [] if described is None else list(described.kinds),
                "urgent": self.urgent, "abusive": self.abusive,
                "abuse_score": self.abuse_score, "cues": list(self.cues),
                "language": self.language}

    def screened(self, screened: Screened) -> None:
        self.description = screened.redacted
        self.urgent, self.abusive = screened.urgent, screened.abusive
        self.abuse_score, self.cues = screened.abuse_score, screened.cues
        self.language = screened.language

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        text, area = data["description"], data["area"]
        return cls(category=str(data["category"]), area=None if area is None else str(area),
                   media=tuple(str(m) for m in data["media"]),
                   contactable=bool(data["contactable"]),
                   description=None if text is None else restored(
                       str(text), [str(k) for k in data["redactions"]]),
                   urgent=bool(data.get("urgent", False)),
                   abusive=bool(data.get("abusive", False)),
                   abuse_score=float(data.get("abuse_score", 0.0)),
                   cues=tuple(str(c) for c in data.get("cues", ())),
                   language=str(data["language"]) if data.get("language") else None)


def flow(mission: Mission) -> Flow:
    async def categories(turn: Turn) -> Sequence[Option]:
        return [Option(code, mission.category_name(code), translate=False, aliases=(code,))
                for code in mission.categories]

    async def areas(turn: Turn) -> Sequence[Option]:
        return [*(Option(a.code, mission.area_name(a.code), translate=False, aliases=(a.code,))
                  for a in mission.areas),
                Option("-", N_("Other or not sure"))]

    async def category(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.forget()
        turn.draft_of(ReportDraft).category = picked.key
        return "report.description"

    async def description(turn: Turn, picked: Option | None) -> str:
        msg = turn.message
        draft = turn.draft_of(ReportDraft)
        if not (msg.media or msg.location) and not any(ch.isalnum() for ch in msg.text):
            turn.say(_("Please say in words what happened."))  # only emoji or punctuation
            return "report.description.again"
        draft.screened(turn.screened())
        draft.media = tuple(sorted({m.value for m in msg.media}))
        if msg.truncated:
            turn.say(_("Your text was long: only its beginning was kept."))
        if msg.media:
            turn.say(_("Attachment noted."))
        if msg.location is not None:
            near = mission.nearest_area(msg.location)
            if near is not None:
                draft.area = near
                return "report.contact"
        return "report.area"

    async def area(turn: Turn, picked: Option | None) -> str:
        draft = turn.draft_of(ReportDraft)
        if picked is None:  # a shared location: the nearest area, coordinates not kept
            location = turn.message.location
            draft.area = mission.nearest_area(location) if location else None
        else:
            draft.area = None if picked.key == "-" else picked.key
        return "report.contact"

    async def contact(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        turn.draft_of(ReportDraft).contactable = picked.key == "yes"
        return "report.confirm"

    async def confirm(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        draft = turn.draft_of(ReportDraft)
        turn.forget()
        if picked.key != "send" or not draft.category:  # cancelled, or the draft was lost
            turn.say(_("Report cancelled."))
            return MENU
        ref = new_reference()
        while await turn.lookups.reference_exists(ref):
            ref = new_reference()
        turn.effect(SubmitReport(
            ref=ref, category=draft.category, area=draft.area,
            description=draft.description or restored(""), media=draft.media,
            contactable=draft.contactable, urgent=draft.urgent, abusive=draft.abusive,
            abuse_score=draft.abuse_score, cues=draft.cues, language=draft.language,
        ))
        turn.say(_("Thank you. Your report is sent. Its code is {ref}: keep it to check "
                   "on it.").format(ref=ref))
        return MENU

    def summary(turn: Turn) -> str:
        draft = turn.draft_of(ReportDraft)
        text = draft.description.text if draft.description else ""
        if len(text) > EXCERPT:
            text = text[:EXCERPT].rstrip() + "…"
        if not text:
            text = _("(attachment only)")
        where = mission.area_name(draft.area) if draft.area else _("area not given")
        return _("Send this report? {category}, {area}: \"{text}\"").format(
            category=mission.category_name(draft.category), area=where, text=text)

    yes_no = static(Option("yes", N_("Yes")), Option("no", N_("No")))
    return Flow("report", entries=("report.category",), drafts=(ReportDraft,), steps=(
        Step("report.category", lambda t: _("What is it about?"), category,
             ("report.description",), options=categories),
        Step("report.description",
             lambda t: _("Describe what happened, where and when. Please leave out names "
                         "and phone numbers."),
             description, ("report.area", "report.contact", "report.description.again"),
             media_ok=True),
        Step("report.description.again", lambda t: "", description,  # the one line said it
             ("report.area", "report.contact", "report.description.again"), media_ok=True),
        Step("report.area", lambda t: _("Which area?"), area, ("report.contact",),
             options=areas, media_ok=True),
        Step("report.contact", lambda t: _("May the team contact you about this report?"),
             contact, ("report.confirm",), options=yes_no),
        Step("report.confirm", summary, confirm, (MENU,),
             options=static(Option("send", N_("Send")), Option("cancel", N_("Cancel")))),
    ))
