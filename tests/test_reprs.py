"""Records that hold a resident's text, a draft, an address or a place show none of it
in their repr, so that a traceback printed with its locals leaks nothing."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

from bot.conversation.turn import Message, State, Turn
from bot.domain.effects import SubmitReport
from bot.domain.messages import Choice, Inbound, Location, Outbound
from bot.domain.records import (
    Contact,
    Conversation,
    NewOutbound,
    NewReport,
    OutboundRecord,
    Report,
    ReportStatus,
    Session,
    TurnWrite,
)
from bot.flows.report import ReportDraft
from moderation.anonymise import restored
from moderation.screening import Screened

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEXT = "Kofi Mensah-Testa saw it near the well"  # invented
ADDRESS = "+243810000555"
PLACE = Location(-1.6789, 29.2345)
SECRETS = ("Mensah", ADDRESS, "810000555", "-1.6789", "29.2345", "k1:person-9", "k1:contact-9",
           "sealed-address", "sealed-reach", "REF-DRAFT")


def everything() -> list[object]:
    description = restored(TEXT)
    contact = Contact("k1:contact-9", "k1:person-9", "sms", b"sealed-address", "en", False,
                      NOW, NOW)
    session = Session("k1:contact-9", "report.area", {"description": TEXT,
                                                      "ref": "REF-DRAFT"}, NOW)
    message = Message(TEXT, TEXT.casefold(), None, (), PLACE, False, NOW)
    state = State("report.area", {"description": TEXT}, "en", False)
    submit = SubmitReport("ABC234", "threat", "goma", description, (), True)
    turn = Turn(state=state, message=message, contact_id="k1:contact-9", lookups=None,  # type: ignore[arg-type]
                screener=lambda raw: Screened(description), parts=[TEXT], effects=[submit],
                draft=ReportDraft(category="threat", description=description))
    return [
        contact, session, Conversation(contact, session), message, state, turn, submit,
        ReportDraft(category="threat", description=description, area="goma"),
        Inbound(channel="sms", address=ADDRESS, text=TEXT, external_id="SM" + "9" * 32,
                location=PLACE),
        PLACE, Outbound(text=TEXT, choices=(Choice("1", TEXT),)),
        NewReport("ABC234", NOW, "sms", "en", "threat", "goma", description, (), True,
                  b"sealed-reach", False),
        Report(1, "ABC234", NOW, NOW, "sms", "en", "threat", "goma", TEXT, (), (), True,
               False, ReportStatus.NEW, TEXT),
        OutboundRecord(1, "k1:contact-9", "sms", b"sealed-address", "reply", {"text": TEXT}, 0),
        NewOutbound("k1:contact-9", "sms", b"sealed-address", "reply", {"text": TEXT}),
        TurnWrite(contact=contact, session=session, effects=[submit], outbound=[
            NewOutbound("k1:contact-9", "sms", b"sealed-address", "reply", {"text": TEXT})]),
    ]


def test_reprs_show_no_text_draft_address_or_place() -> None:
    for record in everything():
        shown = repr(record)
        for secret in SECRETS:
            assert secret not in shown, f"{secret!r} in {shown}"
    # what they do show is still of use when debugging
    assert "report.area" in repr(everything()[1]) and "ABC234" in repr(everything()[6])


def test_a_traceback_with_its_locals_leaks_nothing() -> None:
    def failing(records: list[object]) -> None:
        _contact, _session, _convo, _message, _state, _turn, *_rest = records
        raise RuntimeError("a bug mid-turn")

    try:
        failing(everything())
    except RuntimeError as exc:
        shown = "".join(traceback.TracebackException.from_exception(
            exc, capture_locals=True).format())
    assert "a bug mid-turn" in shown and "records" in shown
    for secret in SECRETS:
        assert secret not in shown, secret
