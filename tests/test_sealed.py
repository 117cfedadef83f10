"""What is sealed stays sealed: tokens without a time, reach links apart from addresses,
replies that wait in the outbox unreadable beside their contact, and forgotten once
sent."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.domain.messages import Choice, Inbound, Outbound
from bot.domain.records import OutboundRecord
from bot.outbox.payload import message_of, outbound_payload
from bot.privacy.links import StoreKeys
from bot.privacy.vault import PREFIX, AddressVault, VaultError, reach_vault
from tests.conftest import RecordingChannel, code_of

KEY = "an-invented-contact-key-for-tests"


def test_tokens_carry_no_time_and_never_repeat() -> None:
    vault = AddressVault(KEY)
    first, second = vault.seal("+243810000601"), vault.seal("+243810000601")
    assert first != second  # each its own IV: no equality join on a sealed value
    for token in (first, second):
        assert token.startswith(PREFIX)
        raw = base64.urlsafe_b64decode(token[len(PREFIX):])
        # a key tag, a nonce, the ciphertext and its tag: no field that could hold a time
        assert len(raw) == 4 + 12 + len("+243810000601") + 16
        assert vault.open(token) == "+243810000601"


def test_reach_links_and_addresses_open_nothing_of_each_other() -> None:
    address, reach = AddressVault(KEY), reach_vault(KEY)
    with pytest.raises(VaultError):
        reach.open(address.seal("+243810000601"))
    with pytest.raises(VaultError):
        address.open(reach.seal("k1:contact"))
    keys = StoreKeys(reach=reach_vault(KEY), replay_key="an-invented-pseudonym-key")
    link = keys.seal_reach("k1:contact")
    assert keys.reach_of(link) == "k1:contact" and keys.seal_reach("k1:contact") != link
    assert keys.reach_of(address.seal("k1:contact")) is None
    assert StoreKeys.ephemeral().reach_of(link) is None


def test_replay_tags_are_keyed_per_channel() -> None:
    keys = StoreKeys(reach=reach_vault(KEY), replay_key="an-invented-pseudonym-key")
    tag = keys.replay_tag("sms", "SM" + "1" * 32)
    assert tag == keys.replay_tag("sms", "SM" + "1" * 32) and len(tag) == 32
    assert tag != keys.replay_tag("whatsapp", "SM" + "1" * 32)
    other = StoreKeys(reach=reach_vault(KEY), replay_key="another-invented-key")
    assert other.replay_tag("sms", "SM" + "1" * 32) != tag
    assert "SM" not in tag and "1111" not in tag


def test_a_payload_is_sealed_and_one_function_reads_it() -> None:
    vault = AddressVault(KEY)
    message = Outbound(text="Its code is 7KQ4MZ", choices=(Choice("1", "Send"),),
                       language="fr")
    payload = outbound_payload(message, vault)
    assert set(payload) == {"sealed"} and "7KQ4MZ" not in json.dumps(payload)
    record = OutboundRecord(1, "k1:c", "sms", b"x", "reply", {**payload, "parts_sent": 1}, 0)
    back = message_of(record, vault)
    assert (back.text, back.choices, back.language, back.parts_sent) == (
        message.text, message.choices, "fr", 1)
    with pytest.raises(VaultError):
        message_of(record)  # no vault, no message
    with pytest.raises(VaultError):
        message_of(record, AddressVault("another-invented-key"))
    queued_before = OutboundRecord(2, "k1:c", "sms", b"x", "reply", {"text": "Jambo"}, 0)
    assert message_of(queued_before).text == "Jambo"  # rows queued before schema 7
    chart = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    pictured = outbound_payload(Outbound("Results", image=chart), vault)
    assert set(pictured) == {"sealed"} and message_of(
        OutboundRecord(3, "k1:c", "telegram", b"x", "reply", pictured, 0), vault).image == chart
    assert message_of(record, vault).image is None


async def test_a_reply_waits_sealed_and_is_forgotten_once_sent(config: Config) -> None:
    """The reply that gives a reference code, and the summary before it, wait in the
    outbox with nothing readable beside the contact; sent, they keep no text."""
    app = await App.open(config)
    try:
        sms = "sms"
        for i, text in enumerate(["hello", "1", "1", "1", "Goats taken near the school",
                                  "1", "2", "1"]):
            await app.conversations.handle(Inbound(channel=sms, address="+243810000602",
                                                   text=text, external_id=f"SMs{i}"))
        rows = read(config, "SELECT contact_id, payload, status FROM outbox ORDER BY id")
        assert len(rows) == 8 and {r[2] for r in rows} == {"pending"}  # no sms channel yet
        opened = [message_of(OutboundRecord(1, r[0], sms, b"", "reply", json.loads(r[1]), 0),
                             app.vault).text for r in rows]
        code = code_of(opened[-1])
        assert "Goats taken" in opened[-2]  # the summary
        for contact_id, payload, _status in rows:
            assert contact_id is not None
            assert code not in payload and "Goats" not in payload
        channel = RecordingChannel(name=sms)
        app.add_channel(channel)
        await app.dispatcher.drain()
        assert len(channel.sent) == 8 and code in channel.sent[-1][1].text
        rows = read(config, "SELECT contact_id, address_sealed, payload, status, segments"
                    " FROM outbox")
        assert rows and all(r[:4] == (None, None, "{}", "sent") for r in rows)
    finally:
        await app.close()


def read(config: Config, sql: str) -> list[tuple[object, ...]]:
    path = Path(config.storage.url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()
