"""``/advisory`` in chat: a guided flow for staff. Areas, severity, a text in
each configured language (the default's first and needed; "-" skips the
others), a preview with the audience per channel and who gets the default
language, then Send or Cancel; ``/advisory ID`` shows its progress.

The steps are a flow like the residents' (its draft in the staff member's
session), entered only from the desk's ``/advisory`` command; each step looks
the member up again, so a step reached without the ``staff`` role sends
nothing. Sending goes through :class:`~bot.broadcast.service.Broadcasts`, which
checks, stores and audits it like the CLI's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from bot.broadcast.service import STAFF, AdvisoryError, Broadcasts
from bot.broadcast.texts import SEVERITY
from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import IDLE, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.prompts import menu_hint
from bot.conversation.turn import Turn
from bot.desk.api import Actor
from bot.i18n.catalogue import N_, _, ngettext
from bot.i18n.formatting import language_name
from bot.staff.directory import StaffDirectory
from bot.storage.broadcast import AdvisoryRow

__all__ = ["START", "AdvisoryCommand", "advisory_flow", "progress_line"]

START = "staff.advisory.areas"
SKIP = "-"


@dataclass(slots=True)
class AdvisoryDraft(Draft):
    kind = "staff_advisory"
    areas: list[str] = field(default_factory=list)
    severity: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    asked: int = 0  # the index of the language whose text is asked next
    preview: str = ""

    def to_data(self) -> JSONData:
        return {"areas": self.areas, "severity": self.severity, "texts": self.texts,
                "asked": self.asked, "preview": self.preview}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls([str(a) for a in data["areas"]], str(data["severity"]),
                   {str(k): str(v) for k, v in dict(data["texts"]).items()},
                   int(data["asked"]), str(data["preview"]))


def progress_line(row: AdvisoryRow) -> str:
    """One advisory's progress, for ``/advisory ID``."""
    p = row.progress
    parts = [_("{n} queued").format(n=p.get("queued", 0)),
             _("{n} sent").format(n=p.get("sent", 0) + p.get("delivered", 0)),
             _("{n} delivered").format(n=p.get("delivered", 0))]
    parts += [f"{key} {n}" for key, n in sorted(p.items())
              if key.startswith(("failed:", "dropped:"))]
    return _("Advisory {id} ({status}) to {areas}: {progress}.").format(
        id=row.id, status=row.status, areas=", ".join(row.areas), progress=", ".join(parts))


def advisory_flow(mission: Mission, broadcasts: Broadcasts, staff: StaffDirectory) -> Flow:
    languages = [mission.default_language,
                 *(lang for lang in mission.languages if lang != mission.default_language)]

    def actor(turn: Turn) -> Actor | None:
        member = staff.of_contact(turn.contact_id)
        if member is None or STAFF not in member.roles:
            return None
        return Actor(member.name, member.roles)

    def left(turn: Turn) -> str:
        turn.forget()
        turn.say(menu_hint())
        return IDLE

    def areas_prompt(turn: Turn) -> str:
        listed = ", ".join(f"{n}. {mission.area_name(a.code)}"
                           for n, a in enumerate(mission.areas, start=1))
        return _("New advisory. Which areas? Send their numbers ({areas}).").format(
            areas=listed)

    async def areas(turn: Turn, picked: Option | None) -> str:
        if actor(turn) is None:
            return left(turn)
        codes = [a.code for a in mission.areas]
        chosen = []
        for word in turn.message.text.replace(",", " ").split():
            key = word.strip().lower()
            if key.isdigit() and 1 <= int(key) <= len(codes):
                chosen.append(codes[int(key) - 1])
            elif key in codes:
                chosen.append(key)
            else:
                turn.say(_("No area {value}.").format(value=word[:20]))
                return START
        turn.draft_of(AdvisoryDraft).areas = list(dict.fromkeys(chosen))
        return "staff.advisory.severity" if chosen else START

    async def severity(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        draft = turn.draft_of(AdvisoryDraft)
        draft.severity, draft.asked = picked.key, 0
        return "staff.advisory.text"

    def text_prompt(turn: Turn) -> str:
        draft = turn.draft_of(AdvisoryDraft)
        lang = languages[min(draft.asked, len(languages) - 1)]
        if draft.asked == 0:
            return _("Its text in {language}?").format(language=language_name(lang))
        return _("Its text in {language}? Send {skip} to skip: they get the {default} one."
                 ).format(language=language_name(lang), skip=SKIP,
                          default=language_name(languages[0]))

    async def text(turn: Turn, picked: Option | None) -> str:
        who = actor(turn)
        if who is None:
            return left(turn)
        draft = turn.draft_of(AdvisoryDraft)
        lang = languages[min(draft.asked, len(languages) - 1)]
        said = turn.message.text.strip()
        if said != SKIP or draft.asked == 0:
            draft.texts[lang] = said  # staff's public text: kept as written
        draft.asked += 1
        if draft.asked < len(languages):
            return "staff.advisory.text"
        try:
            new = broadcasts.check(areas=draft.areas, severity=draft.severity,
                                   texts=draft.texts, created_by=who.name)
        except AdvisoryError as exc:
            turn.say(str(exc))
            return left(turn)
        dry = await broadcasts.dry_run(who, new)
        by_channel: dict[str, int] = {}
        for (channel, _lang), n in dry.audience.items():
            by_channel[channel] = by_channel.get(channel, 0) + n
        lines = [ngettext("{severity} to {areas}: {n} resident ({channels}).",
                          "{severity} to {areas}: {n} residents ({channels}).", dry.total).format(
            severity=_(SEVERITY[draft.severity]), n=dry.total,
            areas=", ".join(mission.area_name(a) for a in draft.areas),
            channels=", ".join(f"{c} {n}" for c, n in sorted(by_channel.items())) or "-")]
        fallback = sum(dry.fallback.values())
        if fallback:
            lines.append(ngettext("{n} of them gets it in {language}: no text in theirs.",
                                  "{n} of them get it in {language}: no text in theirs.",
                                  fallback).format(
                n=fallback, language=language_name(languages[0])))
        lines += [f"{lang}: {t}" for lang, t in draft.texts.items()]
        draft.preview = "\n".join(lines)
        return "staff.advisory.confirm"

    async def confirm(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        who = actor(turn)
        draft = turn.draft_of(AdvisoryDraft)
        if picked.key != "send" or who is None:
            turn.say(_("Advisory not sent."))
            return left(turn)
        new = broadcasts.check(areas=draft.areas, severity=draft.severity,
                               texts=draft.texts, created_by=who.name)
        advisory_id = await broadcasts.send(who, new)
        turn.say(_("Advisory {id} is going out. /advisory {id} shows how far it got.").format(
            id=advisory_id))
        return left(turn)

    return Flow("staff_advisory", entries=(START,), drafts=(AdvisoryDraft,), steps=(
        Step(START, areas_prompt, areas, (START, "staff.advisory.severity", IDLE)),
        Step("staff.advisory.severity", lambda t: _("How serious?"), severity,
             ("staff.advisory.text",), options=static(
                 *(Option(k, v) for k, v in SEVERITY.items()))),
        Step("staff.advisory.text", text_prompt, text,
             ("staff.advisory.text", "staff.advisory.confirm", IDLE)),
        Step("staff.advisory.confirm", lambda t: t.draft_of(AdvisoryDraft).preview, confirm,
             (IDLE,), options=static(Option("send", N_("Send")),
                                     Option("cancel", N_("Cancel")))),
    ))


class AdvisoryCommand:
    """``/advisory`` (start the guided flow) and ``/advisory ID`` (its progress),
    handed to the desk's chat (bot.desk.chat) by the composition root."""

    def __init__(self, broadcasts: Broadcasts,
                 goto: Callable[[Turn, str], Awaitable[None]]) -> None:
        self._broadcasts, self._goto = broadcasts, goto

    async def __call__(self, turn: Turn, actor: Actor, args: Sequence[str]) -> list[str]:
        if not args:
            turn.forget()
            await self._goto(turn, START)
            return []
        if len(args) == 1 and args[0].isdigit():
            try:
                return [progress_line(await self._broadcasts.show(actor, int(args[0])))]
            except AdvisoryError:
                return [_("No advisory {id}.").format(id=args[0][:10])]
        return [_("Use /advisory to send one, /advisory ID to see how far it got.")]
