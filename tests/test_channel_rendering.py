"""One renderer and one splitter, driven by each channel's declared capabilities."""

from __future__ import annotations

from bot.domain.messages import Choice, Outbound
from bot.text.rendering import render
from bot.text.segments import measure
from bot.text.splitting import sms_segments
from channels.sms import SmsChannel
from channels.telegram import TelegramChannel
from channels.whatsapp import WhatsAppChannel

TELEGRAM = TelegramChannel.capabilities
SMS = SmsChannel.capabilities


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_telegram_keeps_buttons_and_cuts_at_4096_units_never_inside_an_emoji() -> None:
    text = "🙏" * 3000 + " " + "maji " * 500
    rendered = render(Outbound(text, (Choice("menu", "Menu"),)), TELEGRAM)
    assert rendered.text == text  # the choice stays a button: not numbered
    assert all(utf16(p) <= 4096 for p in rendered.parts) and len(rendered.parts) == 3
    assert "".join(rendered.parts).replace(" ", "") == text.replace(" ", "")
    assert rendered.segments == 3  # a Telegram message counts as one


def test_telegram_numbers_the_choices_of_a_message_without_text() -> None:
    rendered = render(Outbound("", (Choice("a", "Yes"), Choice("b", "No"))), TELEGRAM)
    assert rendered.parts == ("1. Yes\n2. No",)


def test_sms_numbers_choices_and_stays_gsm7() -> None:
    rendered = render(Outbound("Ça va — “bien”?", (Choice("y", "Oui"),)), SMS)
    assert rendered.text == 'Ça va - "bien"?\n1. Oui'
    assert measure(rendered.text).encoding == "gsm7" and rendered.segments == 1


def test_sms_parts_are_whole_segments_gsm7_and_ucs2() -> None:
    gsm = render(Outbound("habari " * 400), SMS)  # 2,800 septets: at least 19 segments
    assert len(gsm.parts) == 2 and all(utf16(p) <= 1600 for p in gsm.parts)
    # each body is a message of its own, billed by the rule for a lone GSM-7 message
    assert all(measure(p).encoding == "gsm7" and len(p) > 160 for p in gsm.parts)
    assert gsm.part_segments == tuple(-(-len(p) // 153) for p in gsm.parts)
    assert gsm.segments == sum(gsm.part_segments) >= 19
    # the emoji makes the last body UCS-2 (67 units a segment); the first stays GSM-7
    ucs = render(Outbound("habari " * 400 + "🙏"), SMS)
    assert all(utf16(p) <= 1600 for p in ucs.parts) and ucs.parts[-1].endswith("🙏")
    first, last = ucs.parts
    assert measure(first).encoding == "gsm7" and measure(last).encoding == "ucs2"
    assert ucs.part_segments == (-(-len(first) // 153), -(-utf16(last) // 67))
    assert ucs.segments == sum(ucs.part_segments)  # not the whole text's 42 as one UCS-2
    assert all(utf16(p) <= 67 for p in sms_segments(ucs.text))
    assert all(measure(p).units <= 153 for p in sms_segments(gsm.text))


def test_whatsapp_is_not_made_gsm_friendly_nor_billed_by_segment() -> None:
    caps = WhatsAppChannel.capabilities
    rendered = render(Outbound("“Habari” 🙏"), caps)
    assert rendered.text == "“Habari” 🙏" and rendered.segments == 1
