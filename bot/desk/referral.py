"""The referral clock: a sensitive report must be referred (or otherwise dealt
with) within ``moderation.sensitive_referral_hours`` of being filed.

Each sensitive report leaves a due row (kind ``referral``, key its reference)
when it is filed (bot.storage.changes), due at once; run, it sets itself to the
warning time (a quarter of the time before the deadline), then to the
deadline. At each, the moderators with the "sensitive" role are warned,
through the outbox to their staff identity, in their own language
(bot.staff.reach), with the reference only. Moving
the report on (referred, actioned, rejected, closed) deletes the row with the
change (bot.desk.service); a row that outlives that finds the report moved
and ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config.model import Config
from bot.domain.messages import Outbound
from bot.domain.records import NewOutbound, ReportStatus
from bot.i18n.catalogue import N_, _, language
from bot.outbox.payload import outbound_payload
from bot.privacy.vault import AddressVault
from bot.staff.reach import StaffReach
from bot.storage.changes import REFERRAL
from bot.storage.desk import DeskChange
from bot.storage.ports import DueTimer, Store

__all__ = ["REFERRAL", "ReferralClock"]
OPEN = (ReportStatus.NEW, ReportStatus.IN_REVIEW)
SYSTEM = "referral-clock"
_SOON = N_("Sensitive report {ref} must be referred within {hours} hours.")
_LATE = N_("Sensitive report {ref} is past its referral deadline.")


class ReferralClock:
    """The handler of ``referral`` due rows (bot.timers.TimerRunner)."""

    def __init__(self, store: Store, config: Config, vault: AddressVault,
                 reach: StaffReach) -> None:
        self._store = store
        self._vault = vault
        self._limit = timedelta(hours=config.moderation.sensitive_referral_hours)
        self._reach = reach

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        ref = str(timer.payload.get("ref", timer.key))
        report = await self._store.report_by_ref(ref)
        if report is None or report.status not in OPEN:
            return None
        deadline = report.created_at + self._limit
        warn_at = deadline - self._limit / 4
        if now < warn_at:
            return warn_at
        if now < deadline:
            left = max(1, round((deadline - now) / timedelta(hours=1)))
            await self._warn(ref, _SOON, now, "referral_soon", hours=left)
            return deadline
        await self._warn(ref, _LATE, now, "referral_late")
        return None

    async def _warn(self, ref: str, msgid: str, now: datetime, action: str,
                    **values: object) -> None:
        out = []
        for to in await self._reach.with_roles("moderator", "sensitive"):
            with language(to.language):
                text = _(msgid).format(ref=ref, **values)
            message = Outbound(text, kind="alert", language=to.language)
            out.append(NewOutbound(None, to.channel, self._vault.seal(to.address), "alert",
                                   outbound_payload(message, self._vault), priority=1))
        await self._store.desk_change(DeskChange(ref, SYSTEM, action, now, event="",
                                                 outbound=out))
