"""A key rotation from start to end, on a real SQLite file: residents talk under
the old keys; the new keys come in with the old ones as previous keys; a person
who writes then keeps their conversation; `sauti keys reseal` (a real
subprocess) moves everyone else; and then the old keys can go."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.cli.keys import sealed_vaults
from bot.config import Config, load_config
from bot.domain.effects import SubmitReport
from bot.domain.messages import Inbound
from bot.domain.records import TurnWrite
from bot.privacy.vault import AddressVault, VaultError
from bot.timers.forget import forget_later
from moderation.anonymise import restored
from tests.conftest import RecordingChannel, Resident
from tests.test_cli import run

# What an older release ran on: bare keys (id k1), not even real ones.
OLD = 'pseudonym_key = "an-old-pseudonym-key"\ncontact_key = "an-old-contact-key"\n'
NEW_P = "k2:Wv3TqP0bLdJmB5uM2yHx9sKcVn8eRfGz7aQo1NtYiE4"
NEW_C = "k2:Rj6LhT2wKpX9mCv4bNsQ8yZdF0gUaE3oVt5iWx7MnB1"
NEW = f'pseudonym_key = "{NEW_P}"\ncontact_key = "{NEW_C}"\n'
ROTATING = NEW + ('previous_pseudonym_keys = ["an-old-pseudonym-key"]\n'
                  'previous_contact_keys = ["an-old-contact-key"]\n')
PHONES = ["+243810000601", "+243810000602", "+243810000603"]


def config(tmp_path: Path, privacy: str) -> Path:
    path = tmp_path / "sauti.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/sauti.db"\n[privacy]\n{privacy}')
    return path


async def open_app(tmp_path: Path, privacy: str) -> tuple[App, RecordingChannel, Config]:
    loaded = load_config(config(tmp_path, privacy), environ={})
    app = await App.open(loaded)
    sms = RecordingChannel(name="sms")
    app.add_channel(sms)
    return app, sms, loaded


async def onboard_and_subscribe(r: Resident, area: str) -> None:
    assert "this is Sauti" in await r.send("hello")
    await r.send("2")  # Français
    await r.send("2")  # alertes
    await r.send("1")  # s'abonner
    assert "Beni" in await r.send(area)


def rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(tmp_path / "sauti.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def test_a_person_known_under_the_old_key_keeps_their_conversation(
        tmp_path: Path) -> None:
    app, sms, _ = await open_app(tmp_path, OLD)
    r = Resident(app, sms, PHONES[0])
    assert "this is Sauti" in await r.send("hello")
    await r.send("1")  # English
    await r.send("2")  # advisories
    await r.send("1")  # subscribe
    assert "You will get advisories for Beni." in await r.send("3")
    await r.send("menu")
    await r.send("1")  # report
    assert "Describe what happened" in await r.send("1")
    # the description arrives, and its reply is still queued when the process stops
    await app.conversations.handle(Inbound(channel="sms", address=PHONES[0],
                                           text="Armed men at the market since this morning",
                                           external_id="SM-queued"))
    old_id = app.conversations.contact_id("sms", PHONES[0])
    await app.close()
    assert old_id.startswith("k1:")
    assert rows(tmp_path, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(1,)]

    app, sms, _ = await open_app(tmp_path, ROTATING)
    try:
        new_id = app.conversations.contact_id("sms", PHONES[0])
        assert new_id.startswith("k2:") and new_id != old_id
        r = Resident(app, sms, PHONES[0])
        # the queued reply goes out first, then the draft goes on where it was:
        # no welcome, no language question
        reply = await r.send("3")  # Beni
        assert reply.startswith("Which area?")
        assert reply.index("Which area?") < reply.index("May the team contact you")
        assert "this is Sauti" not in reply
        assert await app.store.subscriptions(new_id) == ["beni"]
        assert await app.store.subscriptions(old_id) == []
        assert await app.store.load(old_id) is None
    finally:
        await app.close()
    assert rows(tmp_path, "SELECT id FROM contacts") == [(new_id,)]
    # sent messages keep no contact; none keeps the old id
    assert rows(tmp_path, "SELECT DISTINCT contact_id FROM outbox") in ([(None,)], [(new_id,)])
    assert rows(tmp_path, "SELECT contact_id FROM subscriptions") == [(new_id,)]
    assert rows(tmp_path, "SELECT contact_id FROM sessions") == [(new_id,)]


async def test_without_the_previous_key_the_same_person_is_a_stranger(tmp_path: Path) -> None:
    """What the previous keys are for: replaced without them, a person starts over."""
    app, sms, _ = await open_app(tmp_path, OLD)
    await onboard_and_subscribe(Resident(app, sms, PHONES[0]), "3")
    await app.close()
    app, sms, _ = await open_app(tmp_path, NEW)
    try:
        assert "this is Sauti" in await Resident(app, sms, PHONES[0]).send("menu")
    finally:
        await app.close()


async def test_reseal_moves_everyone_and_then_the_old_keys_can_go(tmp_path: Path) -> None:
    app, sms, _ = await open_app(tmp_path, OLD)
    console = RecordingChannel(name="console")
    app.add_channel(console)
    for phone in PHONES:
        await onboard_and_subscribe(Resident(app, sms, phone), "3")
    await onboard_and_subscribe(Resident(app, console, "invented-user"), "3")
    # replies still queued when the process stops: sealed under the old key too
    for phone in PHONES[:2]:
        await app.conversations.handle(Inbound(channel="sms", address=phone, text="menu",
                                               external_id=f"SM-{phone}"))
    # and a message to delete at Twilio later, its id sealed in a due row
    forget = forget_later("sms", "SM0123456789abcdef0123456789abcdef", vault=app.vault,
                          keys=lambda due: "invented-key", now=datetime.now(UTC))
    await app.store.schedule(forget.kind, forget.key, forget.payload, forget.due_at)
    # and a report its author may be contacted about: its reach link, under the old key
    convo = await app.store.load(app.conversations.contact_id("sms", PHONES[2]))
    assert convo is not None
    await app.store.commit_turn(TurnWrite(contact=convo.contact, session=convo.session,
                                          effects=[SubmitReport("RCH234", "threat", "beni",
                                                                restored("x"), (), True)]))
    assert set(sealed_vaults(app)) == set(app.store.sealed_kinds())  # every kind re-sealed
    await app.close()
    assert len(rows(tmp_path, "SELECT id FROM outbox WHERE status = 'pending'")) == 2

    done = run(["keys", "reseal", "--config", str(config(tmp_path, ROTATING))], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "contacts: 4 moved to pseudonym key k2, 0 already under it, 0 unreadable",
        "contact_address: 4 re-sealed under the current contact key, 0 already under it,"
        " 0 unreadable",
        "outbox_address: 2 re-sealed under the current contact key, 0 already under it,"
        " 0 unreadable",
        "outbox_payload: 2 re-sealed under the current contact key, 0 already under it,"
        " 0 unreadable",
        "report_reach: 1 re-sealed under the current contact key, 0 already under it,"
        " 0 unreadable",
        "timer_sealed: 1 re-sealed under the current contact key, 0 already under it,"
        " 0 unreadable",
        "nothing is left under the previous keys"]
    again = run(["keys", "reseal", "--config", str(config(tmp_path, ROTATING))], tmp_path)
    assert again.returncode == 0
    assert again.stdout.splitlines()[:3] == [
        "contacts: 0 moved to pseudonym key k2, 4 already under it, 0 unreadable",
        "contact_address: 0 re-sealed under the current contact key, 4 already under it,"
        " 0 unreadable",
        "outbox_address: 0 re-sealed under the current contact key, 2 already under it,"
        " 0 unreadable"]

    # the old keys are gone from the config: every address still opens
    only_new = AddressVault(NEW_C.removeprefix("k2:"))
    addresses = sorted(only_new.open(bytes(sealed)) for (sealed,) in rows(
        tmp_path, "SELECT address_sealed FROM contacts"))
    assert addresses == sorted([*PHONES, "invented-user"])
    queued = [only_new.open(bytes(sealed)) for (sealed,) in rows(
        tmp_path, "SELECT address_sealed FROM outbox WHERE address_sealed IS NOT NULL")]
    assert sorted(queued) == PHONES[:2]
    (payload,) = rows(tmp_path, "SELECT json_extract(payload, '$.sealed') FROM due"
                      " WHERE kind = 'provider.forget'")
    assert only_new.open(str(payload[0]).encode()) == "SM0123456789abcdef0123456789abcdef"
    old_vault = AddressVault("an-old-contact-key")
    for (sealed,) in rows(tmp_path, "SELECT address_sealed FROM contacts"):
        try:
            old_vault.open(bytes(sealed))
        except VaultError:
            continue
        raise AssertionError("an address still opens with the old key")
    assert all(str(cid).startswith("k2:") for (cid,) in rows(tmp_path, "SELECT id FROM contacts"))

    app, sms, _ = await open_app(tmp_path, NEW)
    try:
        await app.dispatcher.drain()  # the queued replies go out, to the right people
        assert sorted(address for address, _m in sms.sent) == PHONES[:2]
        assert all(m.text for _a, m in sms.sent)  # what they say opened under the new key
        # the report still leads to its author, now under the new pseudonym
        assert await app.store.reporter_of("RCH234") == app.conversations.contact_id(
            "sms", PHONES[2])
        sms.sent.clear()
        for phone in PHONES:
            r = Resident(app, sms, phone)
            reply = await r.send("menu")
            assert "Que voulez-vous faire ?" in reply and "Sauti" not in reply
            assert await app.store.subscriptions(
                app.conversations.contact_id("sms", phone)) == ["beni"]
    finally:
        await app.close()


async def test_reseal_leaves_what_no_key_opens_and_says_so(tmp_path: Path) -> None:
    app, sms, _ = await open_app(tmp_path, OLD)
    await onboard_and_subscribe(Resident(app, sms, PHONES[0]), "3")
    await onboard_and_subscribe(Resident(app, sms, PHONES[1]), "3")
    await app.close()
    stranger = AddressVault("a-key-nobody-configured").seal(PHONES[1])
    db = sqlite3.connect(tmp_path / "sauti.db")
    with db:
        db.execute("UPDATE contacts SET address_sealed = ? WHERE rowid = (SELECT MAX(rowid)"
                   " FROM contacts)", (stranger,))
    db.close()

    done = run(["keys", "reseal", "--config", str(config(tmp_path, ROTATING))], tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[:2] == [
        "contacts: 1 moved to pseudonym key k2, 0 already under it, 1 unreadable",
        "contact_address: 1 re-sealed under the current contact key, 0 already under it,"
        " 1 unreadable"]
    assert done.stderr.splitlines() == [
        "sauti: 2 stored values open with none of the configured keys and were left as they"
        " are: keep the previous keys"]
    assert (stranger,) in rows(tmp_path, "SELECT address_sealed FROM contacts")
    assert PHONES[1] not in done.stdout + done.stderr
