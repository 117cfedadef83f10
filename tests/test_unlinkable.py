"""An attacker holds the database file and its write-ahead log, the config (so every
key), the code, and the provider's message log, and tries every equality join between
every column of every table, transitively, from a report to the person who sent it.

Three reports are filed through real signed webhooks to the running service: one whose
author said "No" to being contacted, one whose author said "Yes", and one whose author
later erased their data and wrote again. Decoys talk to the bot around them.

What the attacker does with a stored value (:meth:`Attacker.facets`): keeps it as it is;
reads a time as the instant it means (whatever its format) and a date as a date; reads
JSON down to its leaves; opens anything sealed with the config's keys (addresses,
payloads, reach links) and reads what comes out the same way; reads the clear timestamp
of a Fernet token; computes, for every text, the keyed values the code computes (the
pseudonyms of a phone number, the replay tag of a message id). What it leaves out:
integers (row ids, tries, segments, flags: equal counters in two tables mean nothing)
and codes (a word of lowercase letters: channel, language, area, category, status,
kind, step), which many people share. Rows of two tables that share any other value
are joined; the joins are followed from the report's row to every row they reach.

The attacker's derivations are the code's (a control for each: it opens the contacts'
addresses, the contactable report's reach link and finds the replay tags of the
messages sent), else finding nothing would prove nothing.

Out of scope here: old versions of rows left in the log's frames or the file's free
pages (secure_delete and the checkpoint after an erase are tested with retention), and
nearness in time (a report's minute against the minute of a session under low traffic:
the README's privacy section says what remains).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import shutil
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.config import Config
from channels.twilio import phone_identity
from moderation.pseudonym import Pseudonymiser
from tests.conftest import code_of
from tests.fakes.twilio import FakeTwilio, sms_form, whatsapp_form
from tests.test_twilio import SMS_FROM, SMS_PATH, WA_FROM, WA_PATH, Bot, running

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

REGION = "CD"
CHANNELS = ("sms", "whatsapp")
NO_CONTACT = "+243810000401"  # said "No" to being contacted
CONTACTABLE = "+243810000402"  # said "Yes", on WhatsApp
ERASED = "+243810000403"  # said "Yes", then erased their data, then wrote again
DECOYS = ("+243810000411", "+243810000412", "+243810000413")
WA_DECOY = "+243810000414"
CODE = re.compile(r"[a-z][a-z_.]*")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PHONE = re.compile(r"(?:whatsapp:)?\+[1-9]\d{6,14}")
SID = re.compile(r"(?:SM|MM)[0-9a-f]{32}")


def _derived(key: str, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key.encode())


@dataclass
class Row:
    table: str
    number: int
    facets: dict[str, str] = field(default_factory=dict)  # facet -> column it came from
    reach: set[str] = field(default_factory=set)  # facets only a reach link gave

    @property
    def name(self) -> str:
        return f"{self.table}#{self.number}"


class Attacker:
    """Everything one can compute from stored values, with the config's keys or without."""

    def __init__(self, config: Config | None) -> None:
        self.keyed = config is not None
        self.opened: dict[str, int] = {"address": 0, "reach": 0}
        self.derived: set[str] = set()  # facets computed with a key (shown last in a path)
        if config is None:
            return
        contact_key = config.privacy.contact_key.get_secret_value()
        pseudonym_key = config.privacy.pseudonym_key.get_secret_value()
        self._vaults = {
            name: Fernet(base64.urlsafe_b64encode(
                _derived(contact_key, b"sauti-contact-v1", name.encode())))
            for name in ("address", "reach")}
        self._pseudonyms = Pseudonymiser(pseudonym_key)
        self._replay = _derived(pseudonym_key, b"sauti-pseudonym-v1", b"replay")

    def replay_tag(self, channel: str, external_id: str) -> str:
        mac = hmac.new(self._replay, f"{channel}|{external_id}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def facets(self, value: Any) -> tuple[set[str], set[str]]:
        """What ``value`` says, and the part of it only a reach link said."""
        found: set[str] = set()
        reach: set[str] = set()
        self._read(value, found, reach, via_reach=False, depth=0)
        return found, reach

    def _read(self, value: Any, found: set[str], reach: set[str], *, via_reach: bool,
              depth: int) -> None:
        if depth > 4 or value is None or isinstance(value, int | float):
            return
        out = reach if via_reach else found
        if isinstance(value, bytes | memoryview):
            self._read_bytes(bytes(value), found, reach, via_reach=via_reach, depth=depth)
            return
        text = str(value).strip()
        if not text or CODE.fullmatch(text):
            return
        moment = _moment(text)
        if moment is not None:
            out.add(moment)
            return
        if text[0] in "[{":
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if data is not None:
                out.add("s:" + json.dumps(data, sort_keys=True, ensure_ascii=False))
                for leaf in _leaves(data):
                    self._read(leaf, found, reach, via_reach=via_reach, depth=depth + 1)
                return
        if text.startswith("gAAAAA"):  # a Fernet token kept as text
            self._read_bytes(text.encode(), found, reach, via_reach=via_reach, depth=depth + 1)
        out.add("s:" + text)
        if not self.keyed:
            return
        keyed = {"s:" + self.replay_tag(channel, text) for channel in CHANNELS}
        if PHONE.fullmatch(text):
            identity = phone_identity(text, REGION)
            out.add("s:" + identity)
            keyed.add("s:" + self._pseudonyms.person(identity))
            keyed.update("s:" + self._pseudonyms.contact(c, identity) for c in CHANNELS)
        out.update(keyed)
        self.derived.update(keyed)

    def _read_bytes(self, blob: bytes, found: set[str], reach: set[str], *, via_reach: bool,
                    depth: int) -> None:
        (reach if via_reach else found).add("b:" + blob.hex())
        if not blob.startswith(b"gAAAAA"):  # not a Fernet token
            return
        try:
            raw = base64.urlsafe_b64decode(blob)
        except ValueError:
            return
        stamp = int.from_bytes(raw[1:9], "big")  # version, then the time in clear
        if stamp:  # zero is the constant every token may carry: it says nothing
            (reach if via_reach else found).add(_instant(datetime.fromtimestamp(stamp, UTC)))
        if not self.keyed:
            return
        token = blob
        for name, vault in self._vaults.items():
            try:
                opened = vault.decrypt(token).decode()
            except (InvalidToken, UnicodeDecodeError):
                continue
            self.opened[name] += 1
            self._read(opened, found, reach, via_reach=via_reach or name == "reach",
                       depth=depth + 1)


def _leaves(data: Any) -> Iterable[Any]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return "t:" + moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str) -> str | None:
    """A stored time as the instant it means (a date as the day it names)."""
    if ISO_DATE.match(text):
        try:
            if len(text) == 10:
                return "d:" + date.fromisoformat(text).isoformat()
            return _instant(datetime.fromisoformat(text))
        except ValueError:
            return None
    if re.match(r"[A-Z][a-z]{2}, \d", text):  # Twilio's RFC 2822 dates
        try:
            return _instant(parsedate_to_datetime(text))
        except (TypeError, ValueError):
            return None
    return None


def table_rows(db: Path, attacker: Attacker) -> list[Row]:
    """Every row of every table, generically (sqlite_master, all columns, all values)."""
    rows: list[Row] = []
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [c[0] for c in cursor.description]
            for number, values in enumerate(cursor.fetchall()):
                rows.append(_row(table, number, zip(columns, values, strict=True), attacker))
    return rows


def _row(table: str, number: int, cells: Iterable[tuple[str, Any]], attacker: Attacker) -> Row:
    row = Row(table, number)
    for column, value in cells:
        found, reach = attacker.facets(value)
        for facet in found:
            row.facets.setdefault(facet, column)
        for facet in reach - found:
            row.facets.setdefault(facet, column)
            row.reach.add(facet)
    return row


def path(rows: list[Row], start: Row, targets: set[str], *, through_reach: bool,
         derived: set[str]) -> list[str] | None:
    """The joins from ``start`` to a row holding one of ``targets``, or None. A join
    is between two tables: rows of one table that share a value (two reports filed
    in the same minute, two contacts of one language) say nothing of who is who."""
    def usable(row: Row) -> list[str]:  # what a value says first, what keys computed last
        found = set(row.facets) if through_reach else set(row.facets) - row.reach
        return sorted(found, key=lambda f: (f in derived, f))

    index: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for facet in usable(row):
            index.setdefault(facet, []).append(i)
    first = rows.index(start)
    came: dict[int, tuple[int, str] | None] = {first: None}
    todo = deque([first])
    while todo:
        i = todo.popleft()
        row = rows[i]
        hit = [f for f in usable(row) if f in targets]
        if hit:
            steps = [f"{row.name}.{row.facets[hit[0]]} holds the sender"]
            while came[i] is not None:
                j, facet = came[i]  # type: ignore[misc]
                steps.append(f"{rows[j].name}.{rows[j].facets[facet]} = "
                             f"{row.name}.{row.facets[facet]} ({facet[:60]})")
                i, row = j, rows[j]
            return steps[::-1]
        for facet in usable(row):
            for j in index[facet]:
                if j not in came and rows[j].table != row.table:
                    came[j] = (i, facet)
                    todo.append(j)
    return None


def markers(attacker: Attacker, number: str, person: Pseudonymiser) -> set[str]:
    """What stands for the sender: their contact ids, their pseudonym, their address."""
    identity = phone_identity(number, REGION)
    found = {"s:" + number, "s:whatsapp:" + number, "s:" + identity,
             "s:" + person.person(identity)}
    found |= {"s:" + person.contact(c, identity) for c in CHANNELS}
    return found


# ------------------------------------------------------------------------ the story


@dataclass
class Story:
    bot: Bot
    refs: dict[str, str]  # sender -> the reference of their report
    inbound_sids: list[tuple[str, str]]  # (channel, MessageSid) of every message sent
    attacker_dir: Path


async def _say(bot: Bot, sids: list[tuple[str, str]], number: str, text: str, *,
               whatsapp: bool = False) -> str:
    if whatsapp:
        form = whatsapp_form(number, WA_FROM, text, profile_name="Imani Testa")
        to, path_, channel = f"whatsapp:{number}", WA_PATH, "whatsapp"
    else:
        form = sms_form(number, SMS_FROM, text)
        to, path_, channel = number, SMS_PATH, "sms"
    sids.append((channel, form["MessageSid"]))
    bot.fake.receive(form)  # Twilio logs what it receives before it posts it
    return await bot.say(path_, form, to)


async def _report(bot: Bot, sids: list[tuple[str, str]], number: str, description: str,
                  contact: str, *, whatsapp: bool = False) -> str:
    async def say(text: str) -> str:
        return await _say(bot, sids, number, text, whatsapp=whatsapp)

    assert "this is Sauti" in await say("hello")
    assert "Report a concern" in await say("1")
    assert "What is it about?" in await say("1")
    assert "Describe what happened" in await say("2")
    assert "Which area?" in await say(description)
    assert "contact you" in await say("1")
    assert (await say(contact)).startswith("Send this report?")
    done = await say("1")
    assert "Your report is sent" in done
    return code_of(done)


@pytest.fixture
async def story(tmp_path: Path) -> AsyncIterator[Story]:
    async with FakeTwilio() as fake, running(tmp_path, fake) as bot:
        sids: list[tuple[str, str]] = []
        # people around them: a report, subscriptions
        await _report(bot, sids, DECOYS[0], "Soldiers blocked the road to the market", "2")
        for n, number in enumerate(DECOYS[1:], start=1):
            await _say(bot, sids, number, "hello")
            await _say(bot, sids, number, "1")
            await _say(bot, sids, number, "2")  # advisories
            await _say(bot, sids, number, "1")  # subscribe
            await _say(bot, sids, number, str(n))
        await _say(bot, sids, WA_DECOY, "hello", whatsapp=True)
        refs = {
            NO_CONTACT: await _report(bot, sids, NO_CONTACT,
                                      "A militia took the school and threatened teachers",
                                      "2"),
            CONTACTABLE: await _report(bot, sids, CONTACTABLE,
                                       "Water point poisoned near the camp gate", "1",
                                       whatsapp=True),
            ERASED: await _report(bot, sids, ERASED,
                                  "A patrol beat a shopkeeper behind the church", "1"),
        }
        await _say(bot, sids, ERASED, "STOP")
        assert "Welcome back" in await _say(bot, sids, ERASED, "START")
        assert "Erase my data" in await _say(bot, sids, ERASED, "HELP")
        assert "Erase your contact" in await _say(bot, sids, ERASED, "1")
        assert "erased" in await _say(bot, sids, ERASED, "1")
        assert "this is Sauti" in await _say(bot, sids, ERASED, "hello again")  # a new contact
        await _say(bot, sids, ERASED, "1")
        await _say(bot, sids, ERASED, "2")  # advisories: subscribes again
        await _say(bot, sids, ERASED, "1")
        await _say(bot, sids, ERASED, "1")
        await _say(bot, sids, NO_CONTACT, "3")  # checks their report, starts another, leaves
        await _say(bot, sids, NO_CONTACT, refs[NO_CONTACT])
        await _say(bot, sids, NO_CONTACT, "1")
        await _say(bot, sids, NO_CONTACT, "1")
        await _say(bot, sids, NO_CONTACT, "MENU")
        await bot.until(lambda: all(r["status"] in ("sent", "cancelled")
                                    for r in bot.outbox()))
        stolen = tmp_path / "attacker"
        stolen.mkdir()
        for part in bot.db.parent.glob(bot.db.name + "*"):  # the file and its -wal, live
            if not part.name.endswith("-shm"):
                shutil.copy(part, stolen / part.name)
        assert (stolen / (bot.db.name + "-wal")).exists()
        yield Story(bot, refs, sids, stolen)


def _report_row(rows: list[Row], ref: str) -> Row:
    found = [r for r in rows if r.table == "reports" and "s:" + ref in r.facets]
    assert len(found) == 1, f"no single report row holds {ref}"
    return found[0]


class Joins:
    """The attacker's rows, and the joins from a report to the person who sent it."""

    def __init__(self, story: Story, attacker: Attacker, extra: Iterable[Row] = ()) -> None:
        self.story, self.attacker = story, attacker
        self.rows = [*table_rows(story.attacker_dir / story.bot.db.name, attacker), *extra]
        self._person = Pseudonymiser(
            story.bot.app.config.privacy.pseudonym_key.get_secret_value())

    def report(self, number: str) -> Row:
        return _report_row(self.rows, self.story.refs[number])

    def sender(self, *numbers: str) -> set[str]:
        return set().union(*(markers(self.attacker, n, self._person) for n in numbers))

    def path(self, number: str, *, through_reach: bool, to: Iterable[str] = ()
             ) -> list[str] | None:
        targets = self.sender(*(to or (number,)))
        return path(self.rows, self.report(number), targets, through_reach=through_reach,
                    derived=self.attacker.derived)

    def assert_none(self, number: str, *, through_reach: bool, to: Iterable[str] = ()) -> None:
        found = self.path(number, through_reach=through_reach, to=to)
        assert found is None, f"report of …{number[-3:]} joins: " + " -> ".join(found)


async def test_no_join_leads_from_a_report_to_its_sender(story: Story) -> None:
    attacker = Attacker(story.bot.app.config)
    joins = Joins(story, attacker)
    for number in (NO_CONTACT, ERASED, CONTACTABLE):
        joins.assert_none(number, through_reach=False)
    for number in (NO_CONTACT, ERASED):  # not even through a reach link: none is kept
        joins.assert_none(number, through_reach=True)
        assert not joins.report(number).reach
    # controls: the attacker's keys are the code's, and a kept link is found
    contactable = joins.report(CONTACTABLE)
    link = joins.path(CONTACTABLE, through_reach=True)
    assert link is not None and link[0].startswith(f"{contactable.name}.reach ")
    assert any(r.table == "contacts" and contactable.reach & set(r.facets) for r in joins.rows)
    assert attacker.opened["address"] >= len(DECOYS) + 3
    stored = {f for r in joins.rows if r.table == "inbound_seen" for f in r.facets}
    tags = {"s:" + attacker.replay_tag(c, sid) for c, sid in story.inbound_sids}
    assert len(stored & tags) == len(story.inbound_sids)


async def test_without_the_config_no_report_joins_anyone(story: Story) -> None:
    joins = Joins(story, Attacker(None))
    everyone = (*DECOYS, WA_DECOY, NO_CONTACT, CONTACTABLE, ERASED)
    for number in story.refs:
        joins.assert_none(number, through_reach=True, to=everyone)


async def test_the_bot_still_reaches_whoever_agreed_and_only_them(story: Story) -> None:
    """The reach link works: the contactable report leads the bot to its author's
    contact (and so their address); the others lead nowhere."""
    app = story.bot.app
    author = await app.store.reporter_of(story.refs[CONTACTABLE])
    assert author == app.conversations.contact_id("whatsapp", "whatsapp:" + CONTACTABLE)
    convo = await app.store.load(author)
    assert convo is not None and app.vault.open(convo.contact.address_sealed).endswith(
        CONTACTABLE)
    for number in (NO_CONTACT, ERASED):
        assert await app.store.reporter_of(story.refs[number]) is None


async def test_the_replay_table_keeps_no_message_id(story: Story) -> None:
    stolen = b"".join(p.read_bytes() for p in story.attacker_dir.iterdir())
    assert stolen
    for _channel, sid in story.inbound_sids:
        assert sid.encode() not in stolen


@pytest.mark.xfail(strict=True, reason="Twilio keeps the messages (the report's text from "
                   "the number, 'Its code is REF' to it) until Sauti deletes them there")
async def test_nor_with_the_providers_message_log(story: Story) -> None:
    """The provider's log as a table too: every message it lists to the auth token,
    received and sent, and every one fetched for an id found in the database; a
    reference code inside a body is a join."""
    bot, config = story.bot, story.bot.app.config
    attacker = Attacker(config)
    stored = Joins(story, attacker)
    http = AsyncTwilioHttpClient()
    client = Client(bot.fake.account_sid, config.twilio.auth_token.get_secret_value(),
                    http_client=http)
    client.api.base_url = bot.fake.base_url
    ids = {f[2:] for row in stored.rows for f in row.facets if SID.fullmatch(f[2:])}
    try:
        log = {m.sid: m for m in await client.messages.list_async()}
        for sid in sorted(ids - set(log)):
            with contextlib.suppress(TwilioRestException):  # deleted already
                log[sid] = await client.messages(sid).fetch_async()
    finally:
        await http.close()
    assert log, "the control: the provider's log answers"
    twilio = []
    for number, m in enumerate(log.values()):
        cells = [("sid", m.sid), ("to", m.to), ("from", m.from_), ("body", m.body),
                 ("date_created", m.date_created.isoformat() if m.date_created else None)]
        cells += [("body word", w) for w in re.findall(r"[0-9A-Z]{6}", m.body or "")]
        twilio.append(_row("twilio", number, cells, attacker))
    joins = Joins(story, attacker, twilio)
    for number in (NO_CONTACT, ERASED):
        joins.assert_none(number, through_reach=False)
