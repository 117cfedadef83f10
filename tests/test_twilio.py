"""SMS and WhatsApp end to end: the real twilio client against FakeTwilio, Twilio's
webhooks signed and POSTed to the running ``sauti serve`` service, sends going through
the real outbox dispatcher."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.domain.messages import Location, MediaKind, Outbound
from bot.domain.records import NewOutbound, TurnWrite
from bot.outbox.payload import outbound_payload
from bot.text.segments import Encoding, is_gsm7, measure
from bot.text.splitting import sms_bodies
from bot.transport.channel import SendError
from bot.web.service import Service
from channels.sms import parse_sms
from channels.twilio import MAX_BODY_CHARS, STATUS_PATH, parse_retry_after, phone_identity
from channels.whatsapp import parse_whatsapp
from tests.conftest import code_of, make_config
from tests.fakes.twilio import FakeTwilio, signed_post_form, sms_form, status_form, whatsapp_form

pytestmark = [  # twilio 9.13 still passes aiohttp.BasicAuth, which aiohttp 3.14 deprecates
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

PUBLIC = "https://bot.example.org"
SMS_FROM = "+15005550006"
WA_FROM = "whatsapp:+14155238886"
SMS_PATH = "/webhooks/twilio/sms"
WA_PATH = "/webhooks/twilio/whatsapp"
TEMPLATE = "HX" + "ab12" * 8


@dataclass
class Bot:
    """A running service with its fake Twilio, and what a test does with them."""

    app: App
    service: Service
    fake: FakeTwilio
    db: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    async def post(self, path: str, form: Mapping[str, str], *, sign_url: str | None = None,
                   token: str | None = None, headers: Mapping[str, str] | None = None,
                   data: Any = None) -> tuple[int, str, str]:
        """POST as Twilio would: signed for ``PUBLIC + path`` unless told otherwise."""
        if headers is None:
            headers = signed_post_form(sign_url or PUBLIC + path, form,
                                       token or self.fake.auth_token)
        async with aiohttp.ClientSession() as session, session.post(
                self.base + path, data=dict(form) if data is None else data,
                headers=dict(headers)) as response:
            return response.status, await response.text(), response.content_type

    async def say(self, path: str, form: Mapping[str, str], to: str,
                  reply: bool = True) -> str:
        """Post an inbound message; return the body of the reply the fake received."""
        before = len(self.fake.sent_to(to))
        status, _, _ = await self.post(path, form)
        assert status == 200
        if not reply:
            return ""
        await self.until(lambda: len(self.fake.sent_to(to)) > before)
        return "\n".join(m.get("Body", "") for m in self.fake.sent_to(to)[before:])

    async def sms(self, number: str, text: str, reply: bool = True) -> str:
        return await self.say(SMS_PATH, sms_form(number, SMS_FROM, text), number, reply)

    async def wa(self, number: str, text: str = "", **extra: Any) -> str:
        form = whatsapp_form(number, WA_FROM, text, **extra)
        return await self.say(WA_PATH, form, f"whatsapp:{number}")

    async def until(self, check: Callable[[], bool]) -> None:
        """Wait (at most 5 s) for ``check``, waking the dispatcher as retries fall due."""
        async with asyncio.timeout(5):
            while not check():
                self.app.dispatcher.wake()
                await asyncio.sleep(0.01)

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=5) as conn:
            return conn.execute(sql, args).fetchall()

    def outbox(self) -> list[dict[str, Any]]:
        cols = ("id", "channel", "kind", "payload", "status", "attempts", "last_error",
                "external_id", "segments", "delivery_status", "next_attempt_at")
        return [dict(zip(cols, r, strict=True))
                for r in self.rows(f"SELECT {', '.join(cols)} FROM outbox ORDER BY id")]

    async def retry_now(self) -> None:
        """Wait until a failed send was tried again (the tests' backoff is 0.05-0.1 s)."""
        await self.until(lambda: any(r["attempts"] >= 2 or (r["attempts"] >= 1
                                                            and r["status"] == "sent")
                                     for r in self.outbox()))

    async def opted_out(self, channel: str, number: str) -> bool:
        convo = await self.app.store.load(self.app.conversations.contact_id(channel, number))
        assert convo is not None
        return convo.contact.opted_out


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as tw:
        yield tw


@asynccontextmanager
async def running(tmp_path: Path, fake: FakeTwilio, outbox: dict[str, Any] | None = None,
                  **twilio: Any) -> AsyncIterator[Bot]:
    settings = {"enabled": True, "account_sid": fake.account_sid,
                "auth_token": fake.auth_token, "sms_from": SMS_FROM, "whatsapp_from": WA_FROM,
                "api_base_url": fake.base_url, "sms_per_second": 50,
                "send_timeout_seconds": 0.5, **twilio}
    config = make_config(tmp_path, twilio=settings, server={"public_url": PUBLIC + "/"},
                         outbox={"retry_base_seconds": 0.1, **(outbox or {})})
    app = await App.open(config)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    try:
        yield Bot(app, service, fake, tmp_path / "sauti.db")
    finally:
        await service.stop()
        await app.close()


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeTwilio) -> AsyncIterator[Bot]:
    async with running(tmp_path, fake) as b:
        yield b


async def report_over_sms(bot: Bot, number: str, description: str) -> str:
    first = await bot.sms(number, "hello")
    assert "this is Sauti" in first and first.endswith("1. English\n2. Francais")
    menu = await bot.sms(number, "1")
    assert "1. Report a concern" in menu and "5. Help and privacy" in menu
    assert "What is it about?" in await bot.sms(number, "1")
    assert "Describe what happened" in await bot.sms(number, "1")
    assert "Which area?\n1. Goma" in await bot.sms(number, description)
    assert "contact you" in await bot.sms(number, "1")
    assert (await bot.sms(number, "2")).startswith("Send this report?")
    done = await bot.sms(number, "1")
    assert "Your report is sent" in done
    return code_of(done)


# ------------------------------------------------------------------------ flows


async def test_report_over_sms_with_numbered_menus_and_segments(bot: Bot) -> None:
    number = "+243810000201"
    code = await report_over_sms(bot, number, "Armed men took three goats near the school")
    stored = await bot.app.store.report_by_ref(code)
    assert stored is not None and stored.channel == "sms" and stored.area == "goma"
    await bot.until(lambda: all(r["status"] == "sent" for r in bot.outbox()))
    bodies = {m["sid"]: m for m in bot.fake.sent_to(number)}
    assert all(m["From"] == SMS_FROM and m["StatusCallback"] == PUBLIC + STATUS_PATH
               for m in bodies.values())
    sent = [r for r in bot.outbox() if r["channel"] == "sms"]
    assert len(sent) == len(bodies) == 8 and {r["status"] for r in sent} == {"sent"}
    for row in sent:
        body = bodies[row["external_id"]]["Body"]
        assert row["segments"] == measure(body).segments >= 1
    assert sum(r["segments"] for r in sent) > len(sent)  # the welcome takes several


async def test_french_sms_bodies_are_made_gsm7(bot: Bot) -> None:
    number = "+243810000202"
    first = await bot.sms(number, "bonjour")
    assert first.startswith("Bonjour, ici Sauti") and "2. Francais" in first
    assert "1. Signaler un probl" in await bot.sms(number, "2")
    await bot.sms(number, "1")
    await bot.sms(number, "2")
    assert "Quelle zone" in await bot.sms(number, "Des hommes armés ont menacé les commerçants")
    for message in bot.fake.sent_to(number):
        assert measure(message["Body"]).encoding is Encoding.GSM7
    assert not is_gsm7(bot.app.mission.language_label("fr"))  # "Français": what was fixed


async def test_report_over_whatsapp_with_profile_name_and_location(bot: Bot) -> None:
    number, to = "+243810000203", "whatsapp:+243810000203"
    first = await bot.wa(number, "hello", profile_name="Neema Kahindo")
    assert "1. English\n2. Français" in first  # not SMS: no GSM-7 folding
    assert "1. Report a concern" in await bot.wa(number, "1")
    assert "What is it about?" in await bot.wa(number, "1")
    assert "Describe what happened" in await bot.wa(number, "1")
    # A shared location (WhatsApp sends it with no text) answers the area question too.
    assert "contact you" in await bot.wa(number, latitude=-1.67, longitude=29.23,
                                         address="Marché de Virunga", label="Marché")
    assert "Goma" in await bot.wa(number, "2")
    done = await bot.wa(number, "1")
    stored = await bot.app.store.report_by_ref(code_of(done))
    assert stored is not None and (stored.channel, stored.area) == ("whatsapp", "goma")
    assert {m["From"] for m in bot.fake.sent_to(to)} == {WA_FROM}
    assert all(m["StatusCallback"] == PUBLIC + STATUS_PATH for m in bot.fake.sent_to(to))
    convo = await bot.app.store.load(bot.app.conversations.contact_id("whatsapp", number))
    assert convo is not None  # the bare number: the same person as on SMS
    assert convo.contact.person == bot.app.pseudonyms.person(phone_identity(number, "CD"))


def test_whatsapp_form_parsing() -> None:
    form = whatsapp_form("+243810000203", WA_FROM, "Habari", profile_name="Neema Kahindo",
                         latitude=-1.6792, longitude=29.2228,
                         media=[("https://m.example/1", "image/jpeg"),
                                ("https://m.example/2", "audio/ogg"),
                                ("https://m.example/3", "video/mp4"),
                                ("https://m.example/4", "application/pdf")])
    inbound = parse_whatsapp(form)
    assert (inbound.channel, inbound.address, inbound.text) == (
        "whatsapp", "+243810000203", "Habari")
    assert (inbound.external_id, inbound.profile_name) == (form["MessageSid"], "Neema Kahindo")
    assert inbound.location == Location(-1.6792, 29.2228)
    assert inbound.media == (MediaKind.PHOTO, MediaKind.VOICE, MediaKind.VIDEO,
                             MediaKind.DOCUMENT)
    sms = parse_sms(sms_form("+243810000203", SMS_FROM, "Jambo", num_media=1))
    assert (sms.channel, sms.address, sms.media, sms.location) == (
        "sms", "+243810000203", (MediaKind.PHOTO,), None)


async def test_no_number_or_text_in_logs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="aiosqlite")  # its DEBUG echoes SQL parameters
    number = "+243810000204"
    description = "Soldiers burned the granary of Kasereka yesterday"
    await report_over_sms(bot, number, description)
    bot.fake.fail_next(1, 500)
    await bot.sms(number, "menu", reply=False)
    await bot.retry_now()
    await bot.until(lambda: all(r["status"] == "sent" for r in bot.outbox()))
    logged = caplog.text
    assert any(r.name.startswith("twilio") for r in caplog.records)  # the SDK's own logs too
    assert any(r.name == "bot.outbox.dispatcher" for r in caplog.records)  # and the retry warning
    for secret in (number, number[1:], "810000204", description, "Kasereka", "granary"):
        assert secret not in logged
    for message in bot.fake.sent_to(number):
        for line in message["Body"].splitlines():
            assert len(line) < 12 or line not in logged


# --------------------------------------------------------------------- webhooks


@pytest.mark.parametrize("how", ["forged", "missing", "other_url", "other_token"])
async def test_bad_signatures_are_refused_and_nothing_stored(bot: Bot, how: str) -> None:
    form = sms_form("+243810000205", SMS_FROM, "hello")
    if how == "forged":
        headers = {**signed_post_form(PUBLIC + SMS_PATH, form, bot.fake.auth_token),
                   "X-Twilio-Signature": "Zm9yZ2VkIHNpZ25hdHVyZSE="}
        status, _, _ = await bot.post(SMS_PATH, form, headers=headers)
    elif how == "missing":
        headers = signed_post_form(PUBLIC + SMS_PATH, form, bot.fake.auth_token)
        del headers["X-Twilio-Signature"]
        status, _, _ = await bot.post(SMS_PATH, form, headers=headers)
    elif how == "other_url":
        status, _, _ = await bot.post(SMS_PATH, form, sign_url=PUBLIC + WA_PATH)
    else:
        status, _, _ = await bot.post(SMS_PATH, form, token="not-the-auth-token")
    assert status == 403
    assert bot.rows("SELECT COUNT(*) FROM contacts") == [(0,)]
    assert bot.rows("SELECT COUNT(*) FROM inbound_seen") == [(0,)]


async def test_signature_covers_the_query_string(bot: Bot) -> None:
    form = sms_form("+243810000206", SMS_FROM, "hello")
    path = SMS_PATH + "?source=primary"
    status, body, content_type = await bot.post(path, form)
    assert (status, content_type) == (200, "text/xml") and "<Response/>" in body
    status, _, _ = await bot.post(path, form, sign_url=PUBLIC + SMS_PATH)
    assert status == 403


async def test_replayed_message_sid_gets_one_reply(bot: Bot) -> None:
    number = "+243810000207"
    form = sms_form(number, SMS_FROM, "hello")
    for _ in range(3):
        status, body, content_type = await bot.post(SMS_PATH, form)
        assert (status, content_type) == (200, "text/xml") and "<Response/>" in body
    assert len(bot.outbox()) == 1
    await bot.until(lambda: len(bot.fake.sent_to(number)) == 1)
    await bot.app.dispatcher.drain()
    assert len(bot.fake.sent_to(number)) == 1


async def test_malformed_requests_are_400(bot: Bot) -> None:
    form = sms_form("+243810000208", SMS_FROM, "hello")
    json_headers = {**signed_post_form(PUBLIC + SMS_PATH, form, bot.fake.auth_token),
                    "Content-Type": "application/json"}
    assert (await bot.post(SMS_PATH, form, headers=json_headers,
                           data=json.dumps(form)))[0] == 400
    raw = b"MessageSid=SM1&From=%2B243810000208&Body=\xff\xfe"
    raw_headers = signed_post_form(PUBLIC + SMS_PATH, {}, bot.fake.auth_token)
    assert (await bot.post(SMS_PATH, {}, headers=raw_headers, data=raw))[0] == 400
    no_sid = {k: v for k, v in form.items() if k != "MessageSid"}
    assert (await bot.post(SMS_PATH, no_sid))[0] == 400
    assert (await bot.post(SMS_PATH, {**form, "NumMedia": "many"}))[0] == 400
    wa = whatsapp_form("+243810000208", WA_FROM, "hi")
    assert (await bot.post(WA_PATH, {**wa, "Latitude": "north", "Longitude": "1"}))[0] == 400
    assert (await bot.post(WA_PATH, {**wa, "From": "+243810000208"}))[0] == 400
    assert bot.rows("SELECT COUNT(*) FROM contacts") == [(0,)]


async def test_handling_failure_is_500(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(inbound: object) -> None:
        raise RuntimeError("store down")

    monkeypatch.setattr(bot.app.conversations, "handle", broken)
    status, _, _ = await bot.post(SMS_PATH, sms_form("+243810000209", SMS_FROM, "hello"))
    assert status == 500


async def test_status_callbacks_update_delivery(bot: Bot) -> None:
    number = "+243810000210"
    await bot.sms(number, "hello")
    await bot.wa(number, "hello")
    sms_sid = bot.fake.sent_to(number)[0]["sid"]
    wa_sid = bot.fake.sent_to(f"whatsapp:{number}")[0]["sid"]
    form = status_form(sms_sid, "delivered", from_=SMS_FROM, to=number)
    assert (await bot.post(STATUS_PATH, form))[0] == 200
    form = status_form(wa_sid, "undelivered", 63024, from_=WA_FROM, to=f"whatsapp:{number}")
    assert (await bot.post(STATUS_PATH, form))[0] == 200
    rows = {r["external_id"]: r for r in bot.outbox()}
    assert rows[sms_sid]["delivery_status"] == "delivered"
    assert (rows[wa_sid]["delivery_status"], rows[wa_sid]["last_error"]) == (
        "undelivered", "twilio 63024")
    unknown = status_form("SM" + "0" * 32, "failed", 30008, from_=SMS_FROM)
    assert (await bot.post(STATUS_PATH, unknown))[0] == 200
    unsigned = status_form(sms_sid, "failed", 30008, from_=SMS_FROM, to=number)
    assert (await bot.post(STATUS_PATH, unsigned, headers={}))[0] == 403
    assert bot.outbox()[0]["delivery_status"] == "delivered"


def test_status_route_is_mounted_once(bot: Bot) -> None:
    routes = [r.path for channel in bot.app.channels.values()
              for r in getattr(channel, "routes", list)()]
    assert sorted(routes) == sorted([SMS_PATH, WA_PATH, STATUS_PATH])


# ------------------------------------------------------------------- send faults


@pytest.mark.parametrize("code", [20429, 63018])
async def test_rate_limited_send_is_retried_and_delivered_once(bot: Bot, code: int) -> None:
    number = "+243810000211"
    bot.fake.fail_next(1, 429, code=code)
    await bot.post(SMS_PATH, sms_form(number, SMS_FROM, "hello"))
    await bot.retry_now()
    await bot.until(lambda: bot.outbox()[0]["status"] == "sent")
    row = bot.outbox()[0]
    assert (row["attempts"], row["last_error"]) == (2, f"twilio {code}: rate limited")
    assert len(bot.fake.sent_to(number)) == 1 and bot.fake.http_429 == 1


async def test_retry_after_header_is_honoured(bot: Bot) -> None:
    bot.fake.fail_next(1, 429, retry_after=30)
    await bot.post(SMS_PATH, sms_form("+243810000212", SMS_FROM, "hello"))
    await bot.until(lambda: bot.outbox()[0]["attempts"] == 1)
    row = bot.outbox()[0]
    due = datetime.fromisoformat(row["next_attempt_at"]) - datetime.now(UTC)
    assert row["status"] == "pending" and timedelta(seconds=28) < due <= timedelta(seconds=30)
    assert len(bot.fake.calls) == 1


def test_retry_after_values() -> None:
    assert parse_retry_after("7") == 7.0 and parse_retry_after("0") == 0.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 110 < (parse_retry_after(later) or 0) <= 120
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0 and parse_retry_after("99999") == 3600.0


@pytest.mark.parametrize(("fault", "reason"), [("500", "twilio 20500: server error 500"),
                                               ("hang", "twilio: timed out")])
async def test_server_errors_and_hangs_are_retried(bot: Bot, fault: str, reason: str) -> None:
    if fault == "500":
        bot.fake.fail_next(1, 500)
    else:
        bot.fake.hang_next(1, seconds=3)
    await bot.post(SMS_PATH, sms_form("+243810000213", SMS_FROM, "hello"))
    await bot.retry_now()
    await bot.until(lambda: bot.outbox()[0]["status"] == "sent")
    row = bot.outbox()[0]
    assert (row["attempts"], row["last_error"]) == (2, reason)
    assert len(bot.fake.calls) == 2  # no retry inside the twilio client: only the outbox's


async def test_unsubscribed_recipient_is_opted_out(bot: Bot) -> None:
    number = "+243810000214"
    bot.fake.opt_out(number)
    await bot.post(SMS_PATH, sms_form(number, SMS_FROM, "hello"))
    await bot.until(lambda: bot.outbox()[0]["status"] == "failed")
    assert bot.outbox()[0]["last_error"] == "twilio 21610: recipient opted out"
    assert await bot.opted_out("sms", number)


async def test_stop_keyword_over_sms_opts_out(bot: Bot) -> None:
    number = "+243810000215"
    await bot.sms(number, "hello")
    assert "no more messages" in await bot.sms(number, "STOP")
    assert await bot.opted_out("sms", number)
    queued = len(bot.outbox())
    await bot.sms(number, "hello", reply=False)
    assert len(bot.outbox()) == queued


async def test_outside_whatsapp_window_error_fails(bot: Bot) -> None:
    bot.fake.fail_next(1, 400, code=63016)
    await bot.post(WA_PATH, whatsapp_form("+243810000216", WA_FROM, "hello"))
    await bot.until(lambda: bot.outbox()[0]["status"] == "failed")
    row = bot.outbox()[0]
    assert (row["attempts"], row["last_error"]) == (1, "twilio 63016: outside WhatsApp 24h window")


async def test_an_outage_spends_no_tries_and_the_reply_goes_when_it_is_back(
        tmp_path: Path, fake: FakeTwilio) -> None:
    """Twilio's API refuses connections for longer than the tries would last: the
    reply waits with its reason kept and none of its 2 tries spent, then goes once."""
    async with running(tmp_path, fake, outbox={"max_attempts": 2}) as b:
        port = fake.port
        await fake.stop()
        await b.post(SMS_PATH, sms_form("+243810000217", SMS_FROM, "hello"))
        outbound = b.app.metrics.outbound
        await b.until(lambda: outbound.get(channel="sms", result="deferred") >= 4)
        row = b.outbox()[0]
        assert (row["status"], row["attempts"]) == ("pending", 0)
        assert row["last_error"] == "twilio: transport ClientConnectorError"
        await fake.start(port)
        await b.until(lambda: b.outbox()[0]["status"] == "sent")
        assert b.outbox()[0]["attempts"] == 1
        assert len(fake.sent_to("+243810000217")) == 1


async def test_refused_credentials_spend_no_tries(tmp_path: Path, fake: FakeTwilio) -> None:
    """Twilio answers 20003 (the account's credentials, say a token rotated at Twilio)
    for longer than the 2 tries would last: the reply waits, then goes once."""
    async with running(tmp_path, fake, outbox={"max_attempts": 2}) as b:
        fake.fail_next(4, 401)
        await b.post(SMS_PATH, sms_form("+243810000218", SMS_FROM, "hello"))
        await b.until(lambda: b.outbox()[0]["status"] == "sent")
        row = b.outbox()[0]
        assert (row["attempts"], row["last_error"]) == (1, "twilio 20003: credentials refused")
        assert b.app.metrics.outbound.get(channel="sms", result="deferred") == 4
        assert len(fake.sent_to("+243810000218")) == 1


# -------------------------------------------------------- WhatsApp 24-hour window


async def queue_stale_advisory(b: Bot, number: str) -> None:
    """A WhatsApp contact last heard 2 days ago, and an advisory queued for them."""
    await b.wa(number, "hello")
    convo = await b.app.store.load(b.app.conversations.contact_id("whatsapp", number))
    assert convo is not None
    contact = replace(convo.contact, last_inbound_at=datetime.now(UTC) - timedelta(days=2))
    advisory = Outbound(text="Road to Sake closed today.", kind="advisory")
    await b.app.store.commit_turn(TurnWrite(
        contact=contact, session=convo.session,
        outbound=[NewOutbound(contact.id, "whatsapp", contact.address_sealed, "advisory",
                              outbound_payload(advisory, b.app.vault))]))
    b.app.dispatcher.wake()


async def outcome(b: Bot) -> dict[str, Any]:
    await b.until(lambda: b.outbox()[-1]["status"] in ("sent", "failed"))
    return b.outbox()[-1]


async def test_stale_whatsapp_contact_gets_the_template(tmp_path: Path,
                                                        fake: FakeTwilio) -> None:
    async with running(tmp_path, fake, whatsapp_templates={"advisory": {"en": TEMPLATE}}) as b:
        await queue_stale_advisory(b, "+243810000218")
        assert (await outcome(b))["status"] == "sent"
        message = fake.messages[-1]
        assert (message["To"], message["ContentSid"]) == ("whatsapp:+243810000218", TEMPLATE)
        assert json.loads(message["ContentVariables"]) == {"1": "Road to Sake closed today."}
        assert "Body" not in message


async def test_stale_whatsapp_contact_falls_back_to_sms(tmp_path: Path,
                                                        fake: FakeTwilio) -> None:
    async with running(tmp_path, fake, whatsapp_fallback_sms=True) as b:
        await queue_stale_advisory(b, "+243810000219")
        assert (await outcome(b))["status"] == "sent"
        message = fake.messages[-1]
        assert (message["To"], message["From"]) == ("+243810000219", SMS_FROM)
        assert message["Body"] == "Road to Sake closed today."


async def test_stale_whatsapp_contact_without_template_fails(bot: Bot) -> None:
    await queue_stale_advisory(bot, "+243810000220")
    row = await outcome(bot)
    assert (row["status"], row["last_error"]) == (
        "failed", "outside WhatsApp 24h window, no template")


# ------------------------------------------------------------------ long texts


async def test_long_reply_is_split_on_word_boundaries(bot: Bot) -> None:
    number = "+243810000221"
    words = [f"word{i}" for i in range(400)]
    text = " ".join(words)  # about 2,700 characters
    result = await bot.app.channels["sms"].send(number, Outbound(text=text))
    bodies = [m["Body"] for m in bot.fake.sent_to(number)]
    assert len(bodies) == 2 and all(len(b) <= 1600 for b in bodies)
    assert " ".join(bodies) == text
    assert result.external_id == bot.fake.sent_to(number)[-1]["sid"]
    assert result.segments == sum(measure(b).segments for b in bodies)


async def test_a_long_text_interrupted_midway_resumes_where_it_stopped(bot: Bot) -> None:
    """Part 1 of 2 went out, part 2 hit a 500: the retry sends part 2 only, and the
    segments of both are recorded once."""
    number = "+243810000222"
    await bot.post(SMS_PATH, sms_form(number, SMS_FROM, "hello"))
    await bot.until(lambda: bot.outbox()[0]["status"] == "sent")
    convo = await bot.app.store.load(bot.app.conversations.contact_id("sms", number))
    assert convo is not None
    text = " ".join(f"habari{i}" for i in range(400))  # about 3,300 characters: 3 parts
    bot.fake.fail_next(1, 500, after=1)
    await bot.app.store.commit_turn(TurnWrite(
        contact=convo.contact, session=convo.session,
        outbound=[NewOutbound(convo.contact.id, "sms", convo.contact.address_sealed,
                              "advisory", outbound_payload(Outbound(text=text),
                                                           bot.app.vault))]))
    bot.app.dispatcher.wake()
    await bot.until(lambda: bot.outbox()[-1]["status"] == "sent")
    bodies = [m["Body"] for m in bot.fake.sent_to(number)][1:]  # after the welcome
    assert len(bodies) == len(set(bodies)) == 3  # each part once
    assert " ".join(bodies) == text
    row = bot.outbox()[-1]
    assert (row["attempts"], row["last_error"]) == (2, "twilio 20500: server error 500")
    assert row["segments"] == sum(measure(b).segments for b in bodies)
    assert json.loads(row["payload"]) == {}  # sent: nothing of what it said is kept


def test_bodies_keep_surrogate_pairs_and_spacing() -> None:
    text = "\n".join(f"Alerte {i} 🚨 route fermée" for i in range(120))
    bodies = sms_bodies(text, MAX_BODY_CHARS)
    assert len(bodies) > 1
    assert all(len(b.encode("utf-16-le")) // 2 <= 1600 for b in bodies)
    assert "\n".join(bodies) == text
    assert sms_bodies("short", MAX_BODY_CHARS) == ["short"] and sms_bodies("", 1600) == []


async def test_send_before_start_is_a_retryable_error(tmp_path: Path,
                                                      fake: FakeTwilio) -> None:
    config = make_config(tmp_path, twilio={"enabled": True, "account_sid": fake.account_sid,
                                           "auth_token": fake.auth_token, "sms_from": SMS_FROM,
                                           "api_base_url": fake.base_url})
    app = await App.open(config)
    try:
        channel = app.enable_channel("sms")
        with pytest.raises(SendError) as caught:
            await channel.send("+243810000222", Outbound(text="hi"))
        assert caught.value.retryable
    finally:
        await app.close()



@pytest.mark.parametrize("pairs", [
    [("Body", "Habari, kuna shida sokoni"), ("From", "+243810000077"), ("MessageSid", "SMx1")],
    [("MediaUrl0", "https://x.example/b"), ("MediaUrl0", "https://x.example/a"),
     ("NumMedia", "2"), ("Body", "")],  # a repeated field, values out of order, an empty one
    [("Body", "مرحبا 👋🏽"), ("Body", "مرحبا 👋🏽"), ("Zeta", "1"), ("alpha", "2")],
])
def test_the_one_signature_check_agrees_with_twilios(pairs: list[tuple[str, str]]) -> None:
    from multidict import MultiDict
    from twilio.request_validator import RequestValidator

    from channels.twilio import Signer

    url = "https://bot.example.org/webhooks/twilio/sms?x=1"
    expected = RequestValidator("secret-token").compute_signature(url, MultiDict(pairs))
    signer = Signer("secret-token")
    assert signer.signature(url, pairs) == expected
    assert signer.signature(url, pairs) == expected  # the keyed HMAC is copied, not used up
    assert signer.signed(url, pairs, expected)
    assert signer.signed("https://bot.example.org:443/webhooks/twilio/sms?x=1", pairs,
                         expected)  # Twilio signs with or without the port
    with_port = RequestValidator("secret-token").compute_signature(
        "https://bot.example.org:443/webhooks/twilio/sms?x=1", MultiDict(pairs))
    assert signer.signed(url, pairs, with_port)
    assert not signer.signed(url + "&y=2", pairs, expected)
    assert not signer.signed(url, pairs[:-1], expected)
    assert not Signer("other-token").signed(url, pairs, expected)
    assert not signer.signed(url, pairs, "")
    assert not signer.signed(url, pairs, "\udcff" + expected)  # not UTF-8: refused, no error


async def test_our_form_body_is_the_one_aiohttp_would_send() -> None:
    """FormEncodingHttpClient encodes the body itself (cheaper than aiohttp's
    FormData): the bytes and Content-Type that reach the server are the same."""
    from aiohttp import web
    from twilio.http.async_http_client import AsyncTwilioHttpClient

    from channels.twilio.http import FormEncodingHttpClient
    from tests.fakes._loopback import serving

    seen: list[tuple[str, bytes]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.read()))
        return web.json_response({})

    server = web.Application()
    server.router.add_post("/m", record)
    data = {"To": "+243810000999", "Body": "Bonjour & merci, 1+1=2 — مرحبا 👋🏽 100%",
            "StatusCallback": "https://bot.example.org/webhooks/twilio/status?a=b",
            "MediaUrl": ["https://x.example/a", "https://x.example/b"]}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with serving(server) as base:
        for client in (AsyncTwilioHttpClient(), FormEncodingHttpClient()):
            try:
                await client.request("POST", f"{base}/m", data=data, headers=headers,
                                     auth=("AC1", "token"))
            finally:
                await client.close()
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert seen[1][0] == "application/x-www-form-urlencoded"
