"""WhatsApp's 24-hour window, as the WhatsApp channel's own policy (pure, time injected)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.messages import Outbound
from bot.transport.channel import ContactView, Dispatch, Undeliverable
from channels.whatsapp import WindowPolicy

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ADVISORY = Outbound("Road closed near the market", kind="advisory", language="fr")
TEMPLATES = {"advisory": {"en": "HXen", "fr": "HXfr"}}


def policy(templates: dict[str, dict[str, str]] | None = None, fallback: bool = False,
           channels: tuple[str, ...] = ("whatsapp",)) -> WindowPolicy:
    return WindowPolicy(templates or {}, fallback, channels.__contains__)


def seen(ago: timedelta | None) -> ContactView:
    return ContactView(None if ago is None else NOW - ago)


def test_inside_the_window_goes_as_is() -> None:
    decided = policy(TEMPLATES).decide(ADVISORY, seen(timedelta(hours=23, minutes=59)), NOW)
    assert decided == Dispatch("whatsapp", ADVISORY)


def test_a_reply_goes_as_is_even_outside() -> None:
    reply = Outbound("Thanks", kind="reply")
    assert policy().decide(reply, seen(timedelta(days=3)), NOW) == Dispatch("whatsapp", reply)


def test_outside_the_window_the_template_in_its_language() -> None:
    decided = policy(TEMPLATES).decide(ADVISORY, seen(timedelta(hours=24)), NOW)
    assert isinstance(decided, Dispatch) and decided.channel == "whatsapp"
    assert decided.message.template_sid == "HXfr"
    assert decided.message.template_vars == {"1": ADVISORY.text}
    never = policy({"advisory": {"en": "HXen"}}).decide(ADVISORY, seen(None), NOW)
    assert isinstance(never, Dispatch) and never.message.template_sid == "HXen"


def test_outside_without_template_falls_back_to_sms_when_registered() -> None:
    outside = seen(timedelta(days=2))
    assert policy(fallback=True, channels=("whatsapp", "sms")).decide(
        ADVISORY, outside, NOW) == Dispatch("sms", ADVISORY)
    assert isinstance(policy(fallback=True).decide(ADVISORY, outside, NOW), Undeliverable)


def test_outside_without_template_or_fallback_says_why() -> None:
    decided = policy(channels=("whatsapp", "sms")).decide(ADVISORY, seen(timedelta(days=2)),
                                                          NOW)
    assert decided == Undeliverable("outside WhatsApp 24h window, no template")
