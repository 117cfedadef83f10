"""Advisories as staff send them (the CLI now, chat's /advisory next): checked,
stored with their due rows, followed, cancelled; every action audited.

Only [[staff]] members with the ``staff`` role may; a refusal is a
:class:`~bot.desk.api.DeskError` ``forbidden``, audited. Bad input is
:class:`AdvisoryError`: one line saying what would work, never a traceback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.broadcast.texts import SEVERITY, advisory_text, text_language
from bot.config.model import Config
from bot.desk.api import Actor, DeskError
from bot.i18n.catalogue import language
from bot.storage.broadcast import AdvisoryRow, NewAdvisory
from bot.storage.desk import AuditRow
from bot.storage.ports import Store
from bot.text.segments import measure

__all__ = ["STAFF", "AdvisoryError", "Broadcasts", "DryRun"]

STAFF = "staff"
CHANNELS = ("telegram", "sms", "whatsapp", "console")
MAX_TEXT = 1000
Clock = Callable[[], datetime]


class AdvisoryError(ValueError):
    """Bad input: its message says what is wrong and what would work."""


@dataclass(frozen=True)
class DryRun:
    """What sending would do: who gets it, in which language, at what cost."""

    audience: dict[tuple[str, str], int]  # (channel, language read) -> residents
    fallback: dict[str, int]  # resident's own language without a text -> residents
    segments: dict[str, int]  # language -> SMS segments of one message
    sms_units: int  # segments over every SMS recipient
    seconds: dict[str, float] = field(default_factory=dict)  # channel -> time to deliver

    @property
    def total(self) -> int:
        return sum(self.audience.values())


class Broadcasts:
    def __init__(self, store: Store, config: Config, *, clock: Clock | None = None) -> None:
        self._store = store
        self._config = config
        self._clock = clock or (lambda: datetime.now(UTC))
        self._areas = tuple(a.code for a in config.areas)
        self._languages = tuple(config.bot.languages)
        self._default = config.bot.default_language
        self._rates = {"telegram": config.telegram.messages_per_second,
                       "sms": config.twilio.sms_per_second,
                       "whatsapp": config.twilio.whatsapp_per_second}

    def check(self, *, areas: Sequence[str], severity: str, texts: Mapping[str, str],
              starts_at: datetime | None = None, expires_at: datetime | None = None,
              channels: Sequence[str] = (), created_by: str = "") -> NewAdvisory:
        now = self._clock()
        wanted = tuple(dict.fromkeys(a.strip().lower() for a in areas))
        if not wanted or any(a not in self._areas for a in wanted):
            raise AdvisoryError(f"unknown area in {', '.join(wanted) or '(none)'}"
                                f" (areas: {', '.join(self._areas)})")
        if severity not in SEVERITY:
            raise AdvisoryError(f"no severity {severity!r} (info, warning, critical)")
        clean = {lang.strip().lower(): text.strip() for lang, text in texts.items()}
        bad = [lang for lang in clean if lang not in self._languages]
        if not clean or bad:
            raise AdvisoryError(f"a text is needed in a configured language"
                                f" ({', '.join(self._languages)}); not {', '.join(bad)}")
        if any(not t or len(t) > MAX_TEXT for t in clean.values()):
            raise AdvisoryError(f"each text must have 1 to {MAX_TEXT} characters")
        if expires_at is not None and expires_at <= max(now, starts_at or now):
            raise AdvisoryError("--expires must be in the future, after --at")
        if starts_at is not None and starts_at < now:
            raise AdvisoryError("--at must be in the future")
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise AdvisoryError(f"no channel {', '.join(unknown)} ({', '.join(CHANNELS[:3])})")
        return NewAdvisory(severity, wanted, clean, tuple(dict.fromkeys(channels)),
                           starts_at, expires_at, created_by)

    async def send(self, actor: Actor, new: NewAdvisory) -> int:
        await self._require(actor, "advisory_send")
        advisory_id = await self._store.create_advisory(new, self._clock())
        await self._audit(actor, "advisory_send", advisory_id)
        return advisory_id

    async def dry_run(self, actor: Actor, new: NewAdvisory) -> DryRun:
        await self._require(actor, "advisory_dry_run")
        audience: Counter[tuple[str, str]] = Counter()
        fallback: Counter[str] = Counter()
        after = ""
        while True:
            page = await self._store.audience(new.areas, new.channels, after=after, limit=5000)
            if not page:
                break
            for r in page:
                lang = text_language(new.texts, r.language, self._default)
                audience[(r.channel, lang)] += 1
                if r.language and r.language != lang:
                    fallback[r.language] += 1
            after = page[-1].order
        segments = {}
        for lang, text in new.texts.items():
            with language(lang):
                segments[lang] = measure(advisory_text(new.severity, text)).segments
        sms = sum(n * segments[lang] for (ch, lang), n in audience.items() if ch == "sms")
        per_channel: Counter[str] = Counter()
        for (channel, _lang), n in audience.items():
            per_channel[channel] += n
        seconds = {ch: n / self._rates[ch] for ch, n in per_channel.items() if ch in self._rates}
        await self._audit(actor, "advisory_dry_run", 0)
        return DryRun(dict(audience), dict(fallback), segments, sms, seconds)

    async def show(self, actor: Actor, advisory_id: int) -> AdvisoryRow:
        await self._require(actor, "advisory_show")
        row = await self._store.advisory(advisory_id)
        if row is None:
            raise AdvisoryError(f"no advisory {advisory_id} (sauti advisory list)")
        await self._audit(actor, "advisory_show", advisory_id)
        return row

    async def list(self, actor: Actor) -> list[AdvisoryRow]:
        await self._require(actor, "advisory_list")
        rows = await self._store.advisories()
        await self._audit(actor, "advisory_list", 0)
        return rows

    async def cancel(self, actor: Actor, advisory_id: int) -> int:
        """Stop everything not sent yet; how many messages were dropped."""
        row = await self.show(actor, advisory_id)
        if row.status in ("cancelled", "expired"):
            raise AdvisoryError(f"advisory {advisory_id} is {row.status} already")
        dropped = await self._store.drop_broadcast(advisory_id, "cancelled", "cancelled")
        await self._audit(actor, "advisory_cancel", advisory_id)
        return dropped

    async def _require(self, actor: Actor, action: str) -> None:
        if not actor.may(STAFF):
            await self._store.add_audit(AuditRow(self._clock(), actor.name, action, "",
                                                 "denied", False))
            raise DeskError("forbidden", role=STAFF, action=action)

    async def _audit(self, actor: Actor, action: str, advisory_id: int) -> None:
        target = f"A{advisory_id}" if advisory_id else ""
        await self._store.add_audit(AuditRow(self._clock(), actor.name, action, target, "ok",
                                             False))
