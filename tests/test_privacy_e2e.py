"""Issue 13's promise, end to end: reports full of invented personal data sent
over SMS and WhatsApp (signed webhooks at fake Twilio) and Telegram (fake Bot
API), in three languages; then the database file, its write-ahead log, every
log line and a JSON export are read byte for byte: no name, ID number, street
address, phone number, e-mail or handle of them is there. What the reports
are about (numbers of people, places, times) is."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.export import run as export
from tests.conftest import code_of
from tests.fakes.telegram import make_text_update
from tests.test_urgent_alerts import Rig, rigged, stop, until

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

SMS_SENDER = "+243810000771"
WA_SENDER = "+243810000772"
TG_SENDER = 700371  # an invented Telegram user id

# (channel, language menu choice, report text): every kind of personal data
REPORTS = [
    ("sms", "2", "Je suis Amina Bahati, j'habite au 27 rue des Manguiers. Mon voisin Patrick "
                 "Lumumba a vu 3 camions de militaires a 14h. Ma carte d'electeur PC0458213, "
                 "appelez moi au 0812 345 678"),
    ("whatsapp", "1", "my neighbour Akello Grace was beaten by 4 soldiers near plot 14 avenue "
                      "Mobutu, her passport CM89012104XKLP. write to akello.grace@example.org "
                      "or @akellog, we are at -1.6789, 29.2345"),
    ("telegram", "1", "Captain Jean Mbeki took 200 dollars from 12 families on monday. "
                      "Fatuma Said saw it, her ID 48213576X, phone +256 700 123 456"),
]
SECRETS = [
    "Bahati", "Manguiers", "Lumumba", "PC0458213", "0812 345 678", "812345678", "Akello",
    "Grace", "Mobutu", "CM89012104XKLP", "akello.grace", "@akellog", "1.6789", "29.2345",
    "Mbeki", "Fatuma", "48213576X", "700 123 456", "700123456",
    SMS_SENDER, SMS_SENDER[1:], "0810000771", WA_SENDER, WA_SENDER[1:], str(TG_SENDER),
    "Neema Kahindo", "Kahindo",  # the WhatsApp profile name
]
KEPT = ["3 camions", "14h", "4 soldiers", "200 dollars", "12 families", "monday"]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rigged(tmp_path) as running:  # the same service, fakes and staff
        yield running


def database_files(folder: Path) -> tuple[list[str], bytes]:
    files = sorted(folder.glob("sauti.db*"))
    return [f.name for f in files], b"".join(f.read_bytes() for f in files)


async def telegram(rig: Rig, text: str) -> str:
    before = len(rig.tg.sent_messages(TG_SENDER))
    rig.tg.push_update(make_text_update(rig.tg.next_update_id(), TG_SENDER, text,
                                        first_name="Fatuma", last_name="Said",
                                        language_code="en"))
    await until(lambda: len(rig.tg.sent_messages(TG_SENDER)) > before)
    return str(rig.tg.sent_messages(TG_SENDER)[-1]["text"])


async def file(rig: Rig, channel: str, language: str, text: str) -> str:
    if channel == "sms":
        async def say(t: str) -> str:
            return await rig.sms.sms(SMS_SENDER, t)
    elif channel == "whatsapp":
        async def say(t: str) -> str:
            return await rig.sms.wa(WA_SENDER, t, profile_name="Neema Kahindo")
    else:
        async def say(t: str) -> str:
            return await telegram(rig, t)
    await say("hello")
    await say(language)
    for step in ("1", "1", text, "1", "1"):
        await say(step)
    return code_of(await say("1"))


async def test_nothing_personal_survives_anywhere(
        rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the SDKs' DEBUG echoes what they send
    for name in ("channels", "bot", "moderation"):
        caplog.set_level(logging.DEBUG, logger=name)
    refs = [await file(rig, *report) for report in REPORTS]
    out = tmp_path / "export.json"
    names, live = database_files(tmp_path)  # while it runs: the file and its WAL
    assert "sauti.db-wal" in names
    await stop(rig)
    exported = await export(argparse.Namespace(what="reports", format="json", out=str(out)),
                            rig.config)
    assert exported == 0
    exported_bytes = out.read_bytes()
    rows = json.loads(exported_bytes)
    assert sorted(r["ref"] for r in rows) == sorted(refs)
    stored = live + database_files(tmp_path)[1]  # and once stopped and exported
    logged = caplog.text.encode()
    for secret in SECRETS:
        needle = secret.encode()
        assert needle not in stored, f"{secret!r} in the database or its WAL"
        assert needle not in logged, f"{secret!r} in a log line"
        assert needle not in exported_bytes, f"{secret!r} in the export"
    texts = " ".join(r["description"] for r in rows)
    for kept in KEPT:
        assert kept in texts, f"{kept!r} was lost"
    assert "[name]" in texts and "[id]" in texts and "[address]" in texts
