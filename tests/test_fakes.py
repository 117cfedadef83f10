"""The Telegram and Twilio fakes, driven by the REAL SDK clients over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes._loopback import serving
from tests.fakes.telegram import (
    FakeTelegram,
    make_callback_update,
    make_document_update,
    make_location_update,
    make_photo_update,
    make_sticker_update,
    make_text_update,
    make_voice_update,
)
from tests.fakes.twilio import (
    FakeTwilio,
    signed_post_form,
    sms_form,
    status_form,
    whatsapp_form,
)

# twilio 9.13 still passes aiohttp.BasicAuth / auth=, which aiohttp 3.14 deprecates.
pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

TOKEN = "123:ABC"
ALICE = 7_100_000_001  # invented Telegram user ids
BAHATI = 7_100_000_002
SENDER = "+243810000900"  # invented numbers
RESIDENT = "+243810000001"


class ManualClock:
    """A clock the rate limiters read, advanced by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def tg(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, clock=clock) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url) as real_bot:  # initialize() calls getMe
        yield real_bot


@pytest.fixture
async def tw(clock: ManualClock) -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(clock=clock) as fake:
        yield fake


@pytest.fixture
async def twilio_client(tw: FakeTwilio) -> AsyncIterator[Client]:
    http = AsyncTwilioHttpClient()
    client = Client(tw.account_sid, tw.auth_token, http_client=http)
    client.api.base_url = tw.base_url
    try:
        yield client
    finally:
        await http.close()


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when RetryAfter.retry_after is read as int; opt in to timedelta instead.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


# ------------------------------------------------------------------------ Telegram


async def test_bot_url_shape_and_get_me(tg: FakeTelegram, bot: Bot) -> None:
    assert bot.base_url == f"{tg.base_url}{TOKEN}"  # PTB appends the token, no slash
    assert bot.username == "sauti_test_bot" and bot.id == 123
    first = tg.calls[0]
    assert (first.method, first.http_method, first.status) == ("getMe", "POST", 200)
    assert first.content_type == ""  # no parameters: PTB POSTs an empty body, no Content-Type
    await bot.send_message(chat_id=ALICE, text="Jambo")
    assert tg.calls[-1].content_type == "application/x-www-form-urlencoded"


async def test_send_message_returns_message_and_records_reply_markup(
        tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="poll:1:yes"),
                                      InlineKeyboardButton("Non", callback_data="poll:1:no")]])
    first = await bot.send_message(chat_id=ALICE, text="Karibu ! Avez-vous de l'eau ?",
                                   reply_markup=keyboard)
    second = await bot.send_message(chat_id=BAHATI, text="123")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == ALICE and first.from_user is not None and first.from_user.is_bot
    assert first.reply_markup == keyboard and first.date.year >= 2024
    call = tg.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == ALICE
    assert call.params["reply_markup"] == {"inline_keyboard": [[
        {"text": "Oui", "callback_data": "poll:1:yes"},
        {"text": "Non", "callback_data": "poll:1:no"}]]}
    assert tg.calls_to("sendMessage")[1].params["text"] == "123"  # string stays a string
    assert [m["text"] for m in tg.sent_messages(chat_id=BAHATI)] == ["123"]
    assert len(tg.sent_messages()) == 2


async def test_bad_requests_are_telegram_errors(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(chat_id=ALICE, text="x" * 4097)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):  # PTB recases
        await bot.send_message(chat_id=ALICE, text="Chagua", reply_markup=too_long)


async def test_get_updates_long_polls_and_honours_offset(tg: FakeTelegram, bot: Bot) -> None:
    tg.push_update(make_text_update(10, ALICE, "/start", first_name="Alice"))
    tg.push_update(make_text_update(11, ALICE, "Bonjour"))
    updates = await bot.get_updates(offset=0, timeout=1)
    assert [u.update_id for u in updates] == [10, 11]
    assert isinstance(updates[0], Update) and updates[0].message is not None
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"

    async def press_later() -> None:
        await asyncio.sleep(0.1)
        tg.push_update(make_callback_update(12, ALICE, "poll:1:yes", message_id=1))

    pusher = asyncio.create_task(press_later())
    started = time.monotonic()
    updates = await bot.get_updates(offset=12, timeout=3)  # confirms 10 and 11, then waits
    await pusher
    assert time.monotonic() - started < 1.5
    assert [u.update_id for u in updates] == [12]
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.data == "poll:1:yes"
    assert [u["update_id"] for u in tg.pending_updates] == [12]

    started = time.monotonic()
    assert await bot.get_updates(offset=13, timeout=timedelta(seconds=0.2)) == ()
    assert 0.15 < time.monotonic() - started < 1.5
    assert tg.pending_updates == []


async def test_429_surfaces_as_retry_after(tg: FakeTelegram, bot: Bot, ptb_timedelta: None) -> None:
    tg.fail_next(1, status=429, retry_after=2)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id=ALICE, text="Habari")
    assert caught.value.retry_after == timedelta(seconds=2)
    assert tg.http_429 == 1 and tg.calls[-1].status == 429
    await bot.send_message(chat_id=ALICE, text="Habari")  # only the next call failed
    assert len(tg.sent_messages()) == 1


async def test_403_blocked_surfaces_as_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next(1, status=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(chat_id=ALICE, text="Habari")
    tg.block(BAHATI)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(chat_id=BAHATI, text="Habari")
    assert tg.sent_messages() == []


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_surface_as_network_error(
        tg: FakeTelegram, bot: Bot, status: int) -> None:
    tg.fail_next(1, status=status)
    with pytest.raises(NetworkError):
        await bot.send_message(chat_id=ALICE, text="Habari")


async def test_hang_makes_the_client_time_out(tg: FakeTelegram) -> None:
    async with Bot(TOKEN, base_url=tg.base_url, request=HTTPXRequest(read_timeout=0.2)) as bot:
        tg.hang_next(1, seconds=5)
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(chat_id=ALICE, text="Habari")
        assert time.monotonic() - started < 1


async def test_rate_limiter_answers_429_per_chat_and_globally(
        tg: FakeTelegram, bot: Bot, clock: ManualClock, ptb_timedelta: None) -> None:
    tg.limit(global_per_s=3, per_chat_per_s=1)
    await bot.send_message(chat_id=ALICE, text="1")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id=ALICE, text="2")
    assert caught.value.retry_after == timedelta(seconds=1)
    await bot.send_message(chat_id=BAHATI, text="1")  # another chat is fine
    await bot.send_chat_action(chat_id=ALICE, action="typing")  # not a message: not limited
    await bot.send_message(chat_id=3, text="1")
    with pytest.raises(RetryAfter):
        await bot.send_message(chat_id=4, text="1")  # 4th message in the same second: global
    clock.advance(1.0)
    await bot.send_message(chat_id=ALICE, text="2")
    assert tg.http_429 == 2
    assert [m["text"] for m in tg.sent_messages(ALICE)] == ["1", "2"]


async def test_callback_answer_edit_markup_and_chat_action(tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    sent = await bot.send_message(chat_id=ALICE, text="Eau potable ?", reply_markup=keyboard)
    assert await bot.answer_callback_query("4382170000000000012", text="Asante")
    edited = await bot.edit_message_reply_markup(chat_id=ALICE, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.reply_markup is None
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(chat_id=ALICE, message_id=sent.message_id)
    assert await bot.send_chat_action(chat_id=ALICE, action="typing")
    assert tg.sent_messages(ALICE)[0]["reply_markup"] == keyboard.to_dict()  # as sent
    assert "reply_markup" not in (tg.message(ALICE, sent.message_id) or {})


async def test_webhook_lifecycle(tg: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/tg", hook)
    async with serving(app) as base:
        url = f"{base}/tg"
        assert await bot.set_webhook(url, secret_token="s3cr3t_Token-1")
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        with pytest.raises(Conflict):
            await bot.get_updates()
        update = make_text_update(20, ALICE, "Salut")
        assert await tg.deliver_webhook(update) == 200
        assert received == [("s3cr3t_Token-1", update)]
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == ""


async def test_wrong_token_and_json_bodies(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{tg.base_url}999:WRONG/getMe") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False, "error_code": 404, "description": "Not Found"}
        payload = {"chat_id": ALICE, "text": "Jambo",
                   "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}}
        async with session.post(f"{tg.base_url}{TOKEN}/sendMessage", json=payload) as response:
            body = await response.json()
            assert response.status == 200 and body["ok"] is True
            assert body["result"]["reply_markup"] == payload["reply_markup"]
    assert tg.calls[-1].params == payload and tg.calls[-1].content_type == "application/json"
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=tg.base_url):
            pass


UPDATE_CHECKS: list[tuple[dict[str, Any], Callable[[Update], object]]] = [
    (make_text_update(1, ALICE, "Maji yamekatika", first_name="Alice", language_code="sw"),
     lambda u: u.message and u.message.text == "Maji yamekatika"
     and u.message.from_user and u.message.from_user.language_code == "sw"),
    (make_text_update(2, ALICE, "hello", chat_type="supergroup"),
     lambda u: u.effective_chat and u.effective_chat.type == "supergroup"
     and u.effective_chat.id < 0),
    (make_callback_update(3, ALICE, "lang:fr", message_id=41),
     lambda u: u.callback_query and u.callback_query.data == "lang:fr"
     and u.callback_query.message and u.callback_query.message.message_id == 41
     and u.callback_query.message.is_accessible),
    (make_photo_update(4, ALICE, caption="Ukuta umeanguka"),
     lambda u: u.message and len(u.message.photo) == 4
     and u.message.caption == "Ukuta umeanguka"),
    (make_voice_update(5, ALICE, duration=7),
     lambda u: u.message and u.message.voice and u.message.voice.mime_type == "audio/ogg"),
    (make_location_update(6, ALICE, latitude=-1.6792, longitude=29.2228),
     lambda u: u.message and u.message.location
     and u.message.location.latitude == pytest.approx(-1.6792)),
    (make_sticker_update(7, ALICE, emoji="🙏"),
     lambda u: u.message and u.message.sticker and u.message.sticker.emoji == "🙏"),
    (make_document_update(8, ALICE, file_name="ripoti.pdf"),
     lambda u: u.message and u.message.document
     and u.message.document.file_name == "ripoti.pdf"),
]


@pytest.mark.parametrize(("data", "check"), UPDATE_CHECKS)
def test_update_builders_parse_with_ptb(
        data: dict[str, Any], check: Callable[[Update], object]) -> None:
    update = Update.de_json(data, bot=None)
    assert update.update_id == data["update_id"]
    assert check(update)


# -------------------------------------------------------------------------- Twilio


@pytest.mark.parametrize(("body", "segments"), [
    ("Habari, maji yamerudi.", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),  # GSM-7: 153 per segment once concatenated
    ("Merci 🙏" + "b" * 62, 1),  # UCS-2: 70 units
    ("Merci 🙏" + "b" * 63, 2),
])
async def test_create_message_with_real_client(
        tw: FakeTwilio, twilio_client: Client, body: str, segments: int) -> None:
    message = await twilio_client.messages.create_async(
        to=RESIDENT, from_=SENDER, body=body, status_callback="https://sauti.example/status")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.sid == tw.messages[0]["sid"]
    assert message.num_segments == str(segments) and tw.messages[0]["num_segments"] == segments
    assert (message.status, message.to, message.from_) == ("queued", RESIDENT, SENDER)
    assert message.date_created is not None and message.error_code is None
    recorded = tw.messages[0]
    assert (recorded["To"], recorded["From"], recorded["Body"]) == (RESIDENT, SENDER, body)
    assert recorded["StatusCallback"] == "https://sauti.example/status"
    call = tw.calls[0]
    assert call.path == f"/2010-04-01/Accounts/{tw.account_sid}/Messages.json"
    assert call.authenticated and call.status == 201


async def test_whatsapp_template_send(tw: FakeTwilio, twilio_client: Client) -> None:
    message = await twilio_client.messages.create_async(
        to=f"whatsapp:{RESIDENT}", from_=f"whatsapp:{SENDER}",
        content_sid="HX" + "0" * 32, content_variables='{"1": "Goma"}')
    assert message.num_segments == "1"
    assert tw.sent_to(f"whatsapp:{RESIDENT}")[0]["ContentVariables"] == '{"1": "Goma"}'


@pytest.mark.parametrize(("status", "code"), [(400, 21610), (400, 63016), (429, 20429),
                                              (500, 20500)])
async def test_injected_errors_surface_as_twilio_rest_exception(
        tw: FakeTwilio, twilio_client: Client, status: int, code: int) -> None:
    tw.fail_next(1, status=status, code=code if status == 400 else None)
    with pytest.raises(TwilioRestException) as caught:
        await twilio_client.messages.create_async(to=RESIDENT, from_=SENDER, body="Habari")
    assert (caught.value.status, caught.value.code) == (status, code)
    assert tw.messages == [] and len(tw.calls) == 1  # the async client does not retry
    if code == 21610:
        assert "unsubscribed recipient" in caught.value.msg


async def test_opt_out_and_bad_credentials(tw: FakeTwilio, twilio_client: Client) -> None:
    tw.opt_out(RESIDENT)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            await twilio_client.messages.create_async(to=RESIDENT, from_=SENDER, body="x")
        assert caught.value.code == 21610
    http = AsyncTwilioHttpClient()
    intruder = Client(tw.account_sid, "not-the-token", http_client=http)
    intruder.api.base_url = tw.base_url
    try:
        with pytest.raises(TwilioRestException) as caught:
            await intruder.messages.create_async(to="+243810000002", from_=SENDER, body="x")
        assert (caught.value.status, caught.value.code) == (401, 20003)
    finally:
        await http.close()


async def test_limiter_counts_segments_per_sender(
        tw: FakeTwilio, twilio_client: Client, clock: ManualClock) -> None:
    tw.limit(per_second=1.0, burst=1)
    send = twilio_client.messages.create_async
    await send(to=RESIDENT, from_=SENDER, body="one")
    with pytest.raises(TwilioRestException) as caught:
        await send(to=RESIDENT, from_=SENDER, body="two")
    assert (caught.value.status, caught.value.code) == (429, 20429)
    await send(to=RESIDENT, from_="+243810000901", body="other sender")
    clock.advance(1.0)
    await send(to=RESIDENT, from_=SENDER, body="x" * 400)  # 3 segments: full bucket, then debt
    clock.advance(2.0)
    with pytest.raises(TwilioRestException):
        await send(to=RESIDENT, from_=SENDER, body="too soon")
    clock.advance(1.0)
    await send(to=RESIDENT, from_=SENDER, body="now")
    assert tw.http_429 == 2 and len(tw.messages) == 4


async def test_hang_needs_a_caller_side_timeout(tw: FakeTwilio) -> None:
    # AsyncTwilioHttpClient(timeout=...) is ignored by its request(): only an outer
    # asyncio timeout bounds a hung request.
    http = AsyncTwilioHttpClient(timeout=0.05)
    client = Client(tw.account_sid, tw.auth_token, http_client=http)
    client.api.base_url = tw.base_url
    try:
        tw.hang_next(1, seconds=0.3)
        started = time.monotonic()
        message = await client.messages.create_async(to=RESIDENT, from_=SENDER, body="slow")
        assert time.monotonic() - started >= 0.25 and message.status == "queued"
        tw.hang_next(1, seconds=5)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await client.messages.create_async(to=RESIDENT, from_=SENDER, body="slower")
    finally:
        await http.close()


def test_signed_post_form_validates() -> None:
    url = "https://sauti.example/twilio/sms?channel=sms"
    form = sms_form(RESIDENT, SENDER, "STOP")
    headers = signed_post_form(url, form, "s3cret")
    validator = RequestValidator("s3cret")
    assert validator.validate(url, form, headers["X-Twilio-Signature"])
    assert not validator.validate(url, {**form, "Body": "START"}, headers["X-Twilio-Signature"])
    assert not validator.validate(url.replace("https", "http"), form,
                                  headers["X-Twilio-Signature"])
    assert not RequestValidator("other").validate(url, form, headers["X-Twilio-Signature"])


def test_inbound_form_builders() -> None:
    sms = sms_form(RESIDENT, SENDER, "Habari", media=[("https://m.example/1", "image/jpeg")])
    assert sms["MessageSid"] == sms["SmsSid"] and sms["MessageSid"].startswith("MM")
    assert (sms["NumMedia"], sms["MediaContentType0"], sms["NumSegments"]) == (
        "1", "image/jpeg", "1")
    assert (sms["SmsStatus"], sms["ApiVersion"], sms["FromCountry"]) == (
        "received", "2010-04-01", "CD")
    wa = whatsapp_form(RESIDENT, SENDER, profile_name="Neema Test", latitude=-1.6792,
                       longitude=29.2228, address="Marché de Virunga", label="Marché")
    assert (wa["From"], wa["To"], wa["WaId"]) == (
        f"whatsapp:{RESIDENT}", f"whatsapp:{SENDER}", "243810000001")
    assert (wa["Latitude"], wa["Longitude"], wa["Label"]) == ("-1.6792", "29.2228", "Marché")
    assert wa["MessageType"] == "location" and wa["ProfileName"] == "Neema Test"
    voice = whatsapp_form(RESIDENT, SENDER, media=[("https://m.example/v", "audio/ogg")])
    assert (voice["MessageType"], voice["NumMedia"], voice["MediaUrl0"]) == (
        "audio", "1", "https://m.example/v")
    failed = status_form("SM" + "1" * 32, "undelivered", error_code=30005)
    assert (failed["MessageStatus"], failed["ErrorCode"]) == ("undelivered", "30005")
    assert "ErrorCode" not in status_form("SM" + "1" * 32, "delivered")


async def test_deliver_status_posts_signed_callback(
        tw: FakeTwilio, twilio_client: Client) -> None:
    received: list[bool] = []

    async def callback(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        valid = RequestValidator(tw.auth_token).validate(
            str(request.url), form, request.headers["X-Twilio-Signature"])
        received.append(valid and form["MessageStatus"] == "failed"
                        and form["ErrorCode"] == "63016")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/status", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/status"
        message = await twilio_client.messages.create_async(
            to=f"whatsapp:{RESIDENT}", from_=f"whatsapp:{SENDER}", body="Bonjour",
            status_callback=url)
        assert await tw.deliver_status(message.sid, "failed", error_code=63016) == 204
        assert received == [True]
        fetched = await twilio_client.messages(message.sid).fetch_async()
        assert (fetched.status, fetched.error_code) == ("failed", 63016)
    finally:
        await runner.cleanup()
