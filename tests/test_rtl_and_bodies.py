"""Right-to-left messages as sent: left-to-right pieces isolated; and SMS bodies
cut where a line in another script would make the whole message UCS-2."""

from __future__ import annotations

from bot.domain.messages import Choice, Outbound
from bot.text.direction import LRI, PDI, RTL_MARK, isolate
from bot.text.rendering import cheapest_bodies, render
from bot.text.segments import measure
from channels.sms import SmsChannel
from channels.telegram import TelegramChannel


def test_latin_pieces_are_isolated_and_numbers_left_alone() -> None:
    assert isolate("بلاغك A5HGPM: احتفظ به.") == f"بلاغك {LRI}A5HGPM{PDI}: احتفظ به."
    assert isolate("رأى [name] في Goma") == f"رأى {LRI}[name]{PDI} في {LRI}Goma{PDI}"
    assert isolate("الساعة 12:30 يوم 2026-12-24") == "الساعة 12:30 يوم 2026-12-24"
    once = isolate("رمز ABC123")
    assert isolate(once) == once  # never twice


def test_an_arabic_message_as_sms_and_telegram_send_it() -> None:
    message = Outbound("رمز بلاغك A5HGPM.", (Choice("1", "English"), Choice("2", "نعم")),
                       language="ar")
    sms = render(message, SmsChannel.capabilities)
    assert sms.text == (f"رمز بلاغك {LRI}A5HGPM{PDI}.\n"
                        f"{RTL_MARK}{LRI}1. English{PDI}\n{RTL_MARK}2. نعم")
    telegram = render(message, TelegramChannel.capabilities)  # buttons: the text alone
    assert telegram.text == f"رمز بلاغك {LRI}A5HGPM{PDI}."
    english = render(Outbound("Its code is A5HGPM.", language="en"), SmsChannel.capabilities)
    assert LRI not in english.text


def test_a_line_in_another_script_goes_in_a_body_of_its_own() -> None:
    welcome = ("Hello, this is Sauti. Names and numbers are removed from reports, "
               "and your number is not kept with them.\n"
               "Choose your language:\n1. English\n2. Français\n3. Kiswahili\n4. العربية")
    whole = measure(welcome).segments
    bodies = cheapest_bodies(welcome, 1600)
    assert bodies is not None and whole == 3
    assert sum(measure(b).segments for b in bodies) == 2 < whole
    # cut at a line break, nothing lost; GSM-7 where it can be (ç is not in it)
    assert "\n".join(bodies) == welcome.replace("Français", "Francais")
    assert len(bodies) == 2 and bodies[-1].endswith("4. العربية")
    sent = render(Outbound(welcome), SmsChannel.capabilities)
    assert list(sent.parts) == bodies and sent.segments == 2
    assert cheapest_bodies("Only GSM-7 here\n1. Yes", 1600) is None  # nothing to gain
    assert cheapest_bodies("كل شيء بالعربية\n1. نعم", 1600) is None
