"""An attacker holds the database file and its write-ahead log, the config (so every
key), the code, and the provider's message log, and tries every equality join between
the rows of every two tables, transitively, from a report to the person who sent it
(tests/attacker.py says how it reads each value).

Three reports are filed through real signed webhooks to the running service: one whose
author said "No" to being contacted, one whose author said "Yes", and one whose author
later erased their data and wrote again. Decoys talk to the bot around them.

The attacker's derivations are the code's (a control for each: it opens the contacts'
addresses, the contactable report's reach link and finds the replay tags of the
messages sent; each sender's own contact row holds what stands for them), else finding
nothing would prove nothing.

Out of scope here: old versions of rows left in the log's frames or the file's free
pages (secure_delete and the checkpoint after an erase are tested with retention), and
nearness in time (a report's minute against the minute of a session under low traffic:
the README's privacy section says what remains).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.privacy.keyring import pseudonymiser
from bot.timers import TimerRunner
from bot.timers.forget import FORGET, ForgetAtProvider
from tests.attacker import SID, Attacker, Row, markers, path, row_of, table_rows
from tests.conftest import code_of
from tests.fakes.twilio import FakeTwilio, sms_form, whatsapp_form
from tests.test_twilio import SMS_FROM, SMS_PATH, WA_FROM, WA_PATH, Bot, running

NO_CONTACT = "+243810000401"  # said "No" to being contacted
CONTACTABLE = "+243810000402"  # said "Yes", on WhatsApp
ERASED = "+243810000403"  # said "Yes", then erased their data, then wrote again
DECOYS = ("+243810000411", "+243810000412", "+243810000413")
WA_DECOY = "+243810000414"
pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

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
        self._pseudonyms = pseudonymiser(story.bot.app.config.privacy)  # the code's own

    def report(self, number: str) -> Row:
        return _report_row(self.rows, self.story.refs[number])

    def sender(self, *numbers: str) -> set[str]:
        return set().union(*(markers(n, self._pseudonyms) for n in numbers))

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
    # controls: what stands for each sender is on their own contact row (the attacker's
    # keys are the code's), and a kept link is found
    for number in (NO_CONTACT, ERASED, CONTACTABLE):
        assert any(r.table == "contacts" and joins.sender(number) & set(r.facets)
                   for r in joins.rows), number
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


async def run_forget_rows(bot: Bot, after: timedelta, *, at: datetime | None = None) -> int:
    """What a worker's timers do ``after`` from now (or ``at``): the provider.forget
    rows run."""
    later = at if at is not None else datetime.now(UTC) + after
    runner = TimerRunner(bot.app.store, clock=lambda: later)
    runner.register(FORGET, ForgetAtProvider(bot.app.channels, bot.app.vault))
    ran = 0
    while (done := await runner.run_once()) > 0:
        ran += done
    return ran


async def test_nor_with_the_providers_message_log(story: Story) -> None:
    """The provider's log as a table too, once Sauti has deleted there what it
    handled and sent (a minute after a message came, fifteen after one went):
    every message it lists to the auth token, and every one fetched for an id
    found in the database. Before that the provider holds them: the README says
    so."""
    bot, config = story.bot, story.bot.app.config
    attacker = Attacker(config)
    unrelated = sms_form("+243810000499", SMS_FROM, "wrong number, not for Sauti")
    bot.fake.receive(unrelated)  # the control: a message the bot never handled stays
    # not yet: Twilio's minute. A forget row is due a minute after the start of the
    # minute after its message: none is due within the minute after the story's first
    # (its first contact's minute), whichever minutes the story ran across.
    with sqlite3.connect(bot.app.store._path) as raw:  # type: ignore[attr-defined]
        first = datetime.fromisoformat(raw.execute("SELECT MIN(created_at) FROM contacts")
                                       .fetchone()[0])
    assert await run_forget_rows(bot, timedelta(0),
                                 at=first + timedelta(minutes=1, seconds=59)) == 0
    handled = len(story.inbound_sids) + len(bot.fake.messages)
    assert await run_forget_rows(bot, timedelta(minutes=20)) == handled
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
    assert set(log) == {unrelated["MessageSid"]}, "the control: the provider's log answers"
    twilio = []
    for number, m in enumerate(log.values()):
        cells = [("sid", m.sid), ("to", m.to), ("from", m.from_), ("body", m.body),
                 ("date_created", m.date_created.isoformat() if m.date_created else None)]
        twilio.append(row_of("twilio", number, cells, attacker))
    joins = Joins(story, attacker, twilio)
    for number in (NO_CONTACT, ERASED):
        joins.assert_none(number, through_reach=False)
