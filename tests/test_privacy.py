"""Nothing raw reaches storage or logs: the database file is read byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.domain.records import NewReport
from channels.twilio import phone_identity
from moderation.anonymise import restored
from tests.conftest import RecordingChannel, Resident

SENDER = "+243810000303"
SENDER_FORMS = [SENDER, SENDER[1:], "0810000303", "810000303"]
PHONE_IN_TEXT = "0997 123 456"
PHONE_FORMS = ["0997123456", "0997 123 456", "+243997123456", "243997123456", "997123456"]
EMAIL = "zawadi.test@example.org"
NAME = "Zawadi Mwambaleo"


def database_bytes(config: Config) -> bytes:
    db = Path(config.storage.url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


async def test_report_with_personal_data_leaves_no_trace(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = await App.open(config)
    sms = RecordingChannel(name="sms")
    app.add_channel(sms)
    r = Resident(app, sms, SENDER)
    await r.send("hello", profile_name=NAME)
    await r.send("1", profile_name=NAME)
    await r.send("1", profile_name=NAME)
    await r.send("2", profile_name=NAME)
    await r.send(f"My name is Zawadi. Men threatened me, call {PHONE_IN_TEXT} or write to "
                 f"{EMAIL}", profile_name=NAME)
    await r.send("1", profile_name=NAME)
    await r.send("1", profile_name=NAME)  # contactable: a sealed contact link is kept
    summary = r.last
    done = await r.send("1", profile_name=NAME)
    assert "Its code is" in done
    assert summary is not None and "[phone]" in summary.text and "[email]" in summary.text
    # a phone number typed where a reference code is expected is not kept either
    await r.send("3")
    await r.send(PHONE_IN_TEXT)
    await app.close()

    raw = database_bytes(config)
    assert raw, "the database file exists"
    secrets = [*SENDER_FORMS, *PHONE_FORMS, EMAIL, "Zawadi", "Mwambaleo"]
    for secret in secrets:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, f"{secret!r} found in the database"
    logs = "\n".join(f"{rec.getMessage()} {rec.args!r}" for rec in caplog.records)
    assert caplog.records, "something was logged"
    for secret in secrets:
        assert secret not in logs, f"{secret!r} found in the logs"


async def test_reporter_is_a_keyed_pseudonym(config: Config) -> None:
    app = await App.open(config)
    person = app.pseudonyms.person(phone_identity(SENDER, "CD"))
    assert person.startswith("k1:")
    # the same number on WhatsApp is the same person; another key gives another pseudonym
    assert app.pseudonyms.person(phone_identity("whatsapp:" + SENDER, "CD")) == person
    assert app.pseudonyms.person(phone_identity("0810000303", "CD")) == person
    assert hashlib.sha256(SENDER.encode()).hexdigest()[:32] not in person
    await app.close()


def test_pseudonyms_stay_what_they_were() -> None:
    """HMAC-SHA256 of the identity under the key, the first 16 bytes in hex: the
    pseudonyms already stored must keep matching, however the HMAC is computed."""
    from moderation.pseudonym import Pseudonymiser

    pseudonyms = Pseudonymiser("an-invented-key")
    expected = "k1:" + hmac.new(b"an-invented-key", b"+243810000303",
                                hashlib.sha256).hexdigest()[:32]
    assert pseudonyms.of("+243810000303") == expected
    assert pseudonyms.of("+243810000303") == expected  # the keyed HMAC is not used up
    assert pseudonyms.of("+243810000304") != expected


def test_store_accepts_only_redacted_text() -> None:
    with pytest.raises(TypeError):
        NewReport(ref="ABC234", created_at=datetime.now(UTC), channel="sms", language="en",
                  category="threat", area=None, description="raw text",  # type: ignore[arg-type]
                  media=(), contactable=False, reach=None, sensitive=False)
    NewReport(ref="ABC234", created_at=datetime.now(UTC), channel="sms", language="en",
              category="threat", area=None, description=restored("ok"), media=(),
              contactable=False, reach=None, sensitive=False)


async def test_erase_leaves_no_address_and_unlinks_reports(config: Config) -> None:
    app = await App.open(config)
    sms = RecordingChannel(name="sms")
    app.add_channel(sms)
    r = Resident(app, sms, SENDER)
    for answer in ("hi", "1", "1", "1", "Shots fired near the bridge", "1", "1", "1"):
        await r.send(answer)
    contact = app.conversations.contact_id("sms", SENDER)
    for answer in ("5", "1", "1"):
        await r.send(answer)
    assert "erased" in (r.last.text if r.last else "")
    await app.close()
    db = sqlite3.connect(config.storage.url.removeprefix("sqlite:///"))
    assert db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE contact_id = ?",
                      (contact,)).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE address_sealed IS NOT NULL"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM reports WHERE reach IS NOT NULL"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] > 0  # history kept, unlinked
    db.close()
