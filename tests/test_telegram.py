"""The Telegram channel: the real python-telegram-bot client against the fake Bot API
on 127.0.0.1, webhooks POSTed to the running service, sends through the real outbox.

Decision tested here: a webhook body that is JSON but not an Update (no integer
``update_id``) is answered 400; an Update of a kind Sauti ignores is answered 200.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.app import App
from bot.config import Config
from bot.domain.messages import Choice, Inbound, Location, MediaKind, Outbound
from bot.domain.records import Conversation, NewOutbound, TurnWrite
from bot.outbox.payload import outbound_payload
from bot.text.splitting import split
from bot.transport.channel import SendError
from bot.web.service import Service
from channels.telegram import (
    Handle,
    TelegramChannel,
    command,
    file_url_for,
    keyboard,
    parse_update,
    send_error,
)
from tests.conftest import REAL_KEYS_TOML, code_of, make_config, start_sauti
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

# PTB 22's RetryAfter reads its own deprecated int ``retry_after`` when raised.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning")

TOKEN = "123:ABC"
SECRET = "s3cret-Token_1-long-enough-for-webhooks"
PUBLIC = "https://bot.example.org"
TUMAINI, ZAWADI, BAHATI, NEEMA = 700001, 700002, 700003, 700004  # invented user ids


# ------------------------------------------------------------------ harness


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@dataclass
class Running:
    app: App
    service: Service
    tg: FakeTelegram
    channel: TelegramChannel
    db: Path

    async def post(self, body: Any, secret: str | None = SECRET) -> int:
        """POST a webhook as Telegram does (``bytes`` are sent as they are)."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        url = f"http://127.0.0.1:{self.service.port}/webhooks/telegram"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=data, headers=headers) as response:
                return response.status

    async def say(self, update: dict[str, Any], chat: int) -> dict[str, Any]:
        """Push an update to getUpdates and return the bot's next message to ``chat``."""
        before = len(self.tg.sent_messages(chat))
        self.tg.push_update(update)
        await eventually(lambda: len(self.tg.sent_messages(chat)) > before, self.app)
        return self.tg.sent_messages(chat)[-1]

    async def health(self) -> tuple[dict[str, Any], str]:
        """GET /healthz's JSON and /metrics' text."""
        base = f"http://127.0.0.1:{self.service.port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                health = await response.json()
            async with session.get(f"{base}/metrics") as response:
                return health, await response.text()

    async def contact(self, user: int) -> Conversation | None:
        return await self.app.store.load(self.app.conversations.contact_id("telegram", str(user)))

    def outbox(self) -> list[tuple[str, int, str | None]]:
        with sqlite3.connect(self.db) as db:
            return list(db.execute("SELECT status, attempts, last_error FROM outbox ORDER BY id"))


async def eventually(check: Callable[[], object], app: App) -> None:
    """Wait (at most 5 s) until ``check()`` is true, nudging the outbox dispatcher."""
    async with asyncio.timeout(5):
        while not check():
            app.dispatcher.wake()
            await asyncio.sleep(0.02)


@asynccontextmanager
async def running(tmp_path: Path, tg: FakeTelegram, mode: str = "polling",
                  wrap: Callable[[App], Handle] | None = None,
                  outbox: dict[str, Any] | None = None,
                  **telegram: Any) -> AsyncIterator[Running]:
    config: Config = make_config(
        tmp_path, telegram={"enabled": True, "token": TOKEN, "api_base_url": tg.base_url,
                            "mode": mode, "webhook_secret": SECRET, "messages_per_second": 500,
                            "per_chat_per_second": 500, **telegram},
        server={"public_url": PUBLIC}, outbox={"retry_base_seconds": 0.1, **(outbox or {})})
    app = await App.open(config)
    handle = wrap(app) if wrap else app.conversations.handle
    channel = TelegramChannel(config.telegram, handle=handle, public_url=PUBLIC, pool_size=8,
                              poll_timeout=1.0)
    app.add_channel(channel)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    try:
        yield Running(app, service, tg, channel, tmp_path / "sauti.db")
    finally:
        await service.stop()
        await app.close()


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


# ------------------------------------------------------------------ polling


async def test_report_flow_over_polling_with_buttons(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg, webhook_secret="") as r:
        assert [c.method for c in tg.calls[:2]] == ["getMe", "deleteWebhook"]
        assert not tg.calls_to("setWebhook")
        msg = await r.say(make_text_update(1, TUMAINI, "hello", first_name="Tumaini",
                                           last_name="Testa", language_code="en"), TUMAINI)
        poll = tg.calls_to("getUpdates")[0].params
        assert poll["allowed_updates"] == ["message", "callback_query"] and poll["timeout"] == 1
        assert "this is Sauti" in msg["text"]
        assert buttons(msg) == [("1. English", "en"), ("2. Français", "fr")]
        presses = 0

        async def press(update_id: int, key: str) -> dict[str, Any]:
            nonlocal presses
            presses += 1
            return await r.say(make_callback_update(update_id, TUMAINI, key,
                                                    message_id=msg["message_id"]), TUMAINI)

        msg = await press(2, "en")
        assert buttons(msg)[0] == ("1. Report a concern", "report")
        msg = await press(3, "report")
        assert ("1. Security incident", "security_incident") in buttons(msg)
        msg = await press(4, "security_incident")
        assert "Describe what happened" in msg["text"] and not buttons(msg)
        msg = await r.say(make_photo_update(5, TUMAINI, caption="Armed men took goats near "
                                            "the school"), TUMAINI)
        assert "Attachment noted." in msg["text"] and ("1. Goma", "goma") in buttons(msg)
        msg = await press(6, "goma")
        msg = await press(7, "no")
        assert msg["text"].startswith("Send this report?")
        msg = await press(8, "send")
        code = code_of(msg["text"])

        report = await r.app.store.report_by_ref(code)
        assert report is not None and report.category == "security_incident"
        assert (report.area, report.media) == ("goma", ("photo",))
        assert report.description == "Armed men took goats near the school"
        answered = [c.params["callback_query_id"] for c in tg.calls_to("answerCallbackQuery")]
        assert answered == [str(4_382_170_000_000_000_000 + i) for i in (2, 3, 4, 6, 7, 8)]
        assert presses == len(answered)
        await eventually(lambda: not tg.pending_updates, r.app)  # offset moved past all
        assert await r.post(make_text_update(9, TUMAINI, "hi"), secret="x") == 403  # no secret


async def test_language_detected_from_a_french_first_message(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as r:
        msg = await r.say(make_text_update(
            11, ZAWADI, "Bonjour, l'eau est coupée au marché depuis hier",
            first_name="Zawadi", language_code="en"), ZAWADI)
        assert msg["text"].startswith("Bonjour, ici Sauti")
        msg = await r.say(make_text_update(12, ZAWADI, "2"), ZAWADI)  # typed, not pressed
        assert ("1. Signaler un problème", "report") in buttons(msg)
        convo = await r.contact(ZAWADI)
        assert convo is not None and convo.contact.language == "fr"


async def test_polling_survives_errors_and_confirms_only_handled_updates(
        tmp_path: Path, tg: FakeTelegram) -> None:
    failures = [RuntimeError("store unavailable")]
    attempts: list[str] = []

    def flaky(app: App) -> Handle:
        async def handle(inbound: Inbound) -> object:
            attempts.append(inbound.external_id)
            if failures:
                raise failures.pop()
            return await app.conversations.handle(inbound)
        return handle

    async with running(tmp_path, tg, wrap=flaky) as r:
        tg.fail_next(1, status=502, method="getUpdates")  # Telegram's front end hiccups
        await r.say(make_text_update(13, ZAWADI, "hello"), ZAWADI)
        assert attempts == ["tg:13", "tg:13"]  # the failed update came again
        await eventually(lambda: not tg.pending_updates, r.app)
        polls = tg.calls_to("getUpdates")
        assert 502 in [c.status for c in polls]
        offsets = [c.params.get("offset") for c in polls]
        assert set(offsets[:offsets.index(14)]) == {None}  # 13 confirmed once handled only
        assert len(tg.sent_messages(ZAWADI)) == 1


async def test_stop_lets_the_update_being_handled_finish_and_confirms_it(
        tmp_path: Path, tg: FakeTelegram) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    def slow(app: App) -> Handle:
        async def handle(inbound: Inbound) -> object:
            entered.set()
            await release.wait()
            return await app.conversations.handle(inbound)
        return handle

    async with running(tmp_path, tg, wrap=slow) as r:
        tg.push_update(make_text_update(15, ZAWADI, "hello"))
        await asyncio.wait_for(entered.wait(), 5)
        stopping = asyncio.create_task(r.channel.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()
        release.set()
        await asyncio.wait_for(stopping, 5)
        assert await r.contact(ZAWADI) is not None
        assert tg.calls_to("getUpdates")[-1].params["offset"] == 16 and not tg.pending_updates


# ------------------------------------------------------------------ webhook


async def test_webhook_secret_replay_bodies_and_privacy_of_logs(
        tmp_path: Path, tg: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for name in ("channels", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with running(tmp_path, tg, mode="webhook") as r:
        hook = tg.webhook
        assert hook["url"] == f"{PUBLIC}/webhooks/telegram" and hook["secret_token"] == SECRET
        assert hook["allowed_updates"] == ["message", "callback_query"]
        assert not tg.calls_to("getUpdates") and not tg.calls_to("deleteWebhook")

        update = make_text_update(21, BAHATI, "Maji yamekatika kwa siku tatu",
                                  first_name="Tumaini", last_name="Testa")
        assert await r.post(update, secret=None) == 403
        assert await r.post(update, secret="s3cret-Token_2") == 403
        assert await r.contact(BAHATI) is None  # nothing stored

        assert await r.post(update) == 200
        await eventually(lambda: tg.sent_messages(BAHATI), r.app)
        assert await r.post(update) == 200  # Telegram's retry: handled once
        await r.app.dispatcher.drain()
        assert len(tg.sent_messages(BAHATI)) == 1

        press = make_callback_update(22, BAHATI, "en", message_id=1)
        tg.fail_next(1, status=400, method="answerCallbackQuery")
        assert await r.post(press) == 200  # a failed answer does not fail the webhook
        assert len(tg.calls_to("answerCallbackQuery")) == 1
        await eventually(lambda: len(tg.sent_messages(BAHATI)) == 2, r.app)

        assert await r.post(b"{not json") == 400
        assert await r.post(b"\xff\xfe") == 400
        assert await r.post([1, 2]) == 400
        assert await r.post({"hello": "world"}) == 400
        assert await r.post({"update_id": True, "message": {}}) == 400
        assert await r.post({"update_id": 23, "poll": {"id": "1"}}) == 200  # ignored kind
        group = make_text_update(24, NEEMA, "hello", chat_type="supergroup")
        assert await r.post(group) == 200
        assert await r.contact(NEEMA) is None
    logged = caplog.text
    assert caplog.records  # the flow did log: none of it personal
    for private in ("Maji", "yamekatika", "Tumaini", "Testa", str(BAHATI), str(NEEMA)):
        assert private not in logged


async def test_webhook_answers_500_when_handling_fails_then_the_retry_is_handled(
        tmp_path: Path, tg: FakeTelegram) -> None:
    failures = [RuntimeError("store unavailable")]

    def flaky(app: App) -> Handle:
        async def handle(inbound: Inbound) -> object:
            if failures:
                raise failures.pop()
            return await app.conversations.handle(inbound)
        return handle

    async with running(tmp_path, tg, mode="webhook", wrap=flaky) as r:
        update = make_text_update(31, BAHATI, "hello")
        assert await r.post(update) == 500
        assert await r.contact(BAHATI) is None
        assert await r.post(update) == 200
        await eventually(lambda: tg.sent_messages(BAHATI), r.app)
        assert await r.post(update) == 200
        await r.app.dispatcher.drain()
        assert len(tg.sent_messages(BAHATI)) == 1


# ------------------------------------------------------------------ send faults


async def test_429_is_retried_after_retry_after_and_delivered_once(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as r:
        tg.fail_next(1, status=429, retry_after=1, method="sendMessage")
        tg.push_update(make_text_update(41, TUMAINI, "hello"))
        await eventually(lambda: tg.sent_messages(TUMAINI), r.app)
        await eventually(lambda: r.outbox()[0][0] == "sent", r.app)
        first, second = tg.calls_to("sendMessage")
        assert (first.status, second.status) == (429, 200)
        assert second.at - first.at >= 0.99
        assert r.outbox() == [("sent", 2, "rate limited")]  # attempts made


async def test_server_errors_are_retried_until_delivered(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as r:
        tg.fail_next(2, status=500, method="sendMessage")
        tg.push_update(make_text_update(51, TUMAINI, "hello"))
        await eventually(lambda: tg.sent_messages(TUMAINI), r.app)
        await eventually(lambda: r.outbox()[0][0] == "sent", r.app)
        assert [c.status for c in tg.calls_to("sendMessage")] == [500, 500, 200]
        assert r.outbox() == [("sent", 3, "server error: Internal Server Error")]


async def test_a_hang_past_the_send_timeout_is_retried(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg, send_timeout_seconds=0.5) as r:
        tg.hang_next(1, seconds=4, method="sendMessage")
        tg.push_update(make_text_update(61, TUMAINI, "hello"))
        await eventually(lambda: len(tg.calls_to("sendMessage")) == 2
                         and tg.calls_to("sendMessage")[1].status == 200, r.app)
        hung, retried = tg.calls_to("sendMessage")
        assert hung.status is None and retried.at - hung.at >= 0.45
        await eventually(lambda: r.outbox()[0][0] == "sent", r.app)
        assert r.outbox() == [("sent", 2, "timed out")]


async def test_a_group_chat_is_sent_to_at_the_group_rate(tmp_path: Path, tg: FakeTelegram) -> None:
    """Telegram allows about 20 messages a minute in one group: sends to a group (a
    negative chat id, such as a moderators' alert group) are spaced by
    ``per_group_per_minute`` while a person's chat keeps its own, faster rate."""
    group = -(1_000_000_000_000 + NEEMA)
    async with running(tmp_path, tg, per_group_per_minute=300) as r:  # 0.2 s apart
        tg.push_update(make_text_update(81, NEEMA, "habari", chat_type="supergroup"))
        await r.say(make_text_update(82, TUMAINI, "hello"), TUMAINI)
        convo = await r.contact(TUMAINI)
        assert convo is not None
        sealed_group = r.app.vault.seal(str(group))
        await r.app.store.commit_turn(TurnWrite(
            contact=convo.contact, session=convo.session,
            outbound=[NewOutbound(None, "telegram", sealed_group, "advisory",
                                  outbound_payload(Outbound(text=f"Alert {i}"), r.app.vault))
                      for i in range(4)]
            + [NewOutbound(convo.contact.id, "telegram", convo.contact.address_sealed,
                           "advisory", outbound_payload(Outbound(text=f"Advisory {i}"),
                                                        r.app.vault))
               for i in range(4)]))
        await eventually(lambda: len(tg.sent_messages(group)) == 4
                         and len(tg.sent_messages(TUMAINI)) == 5, r.app)
        calls = [c for c in tg.calls_to("sendMessage") if c.status == 200]
        to_group = [c.at for c in calls if c.params["chat_id"] == group]
        to_person = [c.at for c in calls if c.params["chat_id"] == TUMAINI][1:]
        assert [m["text"] for m in tg.sent_messages(group)] == [f"Alert {i}" for i in range(4)]
        assert min(b - a for a, b in itertools.pairwise(to_group)) >= 0.18
        assert to_person[-1] - to_person[0] < 0.18 * 3  # not held to the group's pace
        assert tg.http_429 == 0


async def test_an_api_out_of_reach_at_start_is_retried_while_webhooks_are_served(
        tmp_path: Path, tg: FakeTelegram) -> None:
    """An office whose network is down when the bot starts: getMe fails, `sauti serve`
    starts anyway, a webhook that arrives meanwhile is stored and answered 200, and its
    reply waits in the outbox, untried, until the Bot API is reached (the webhook is
    set then, once)."""
    tg.fail_next(2, status=502, method="getMe")
    async with running(tmp_path, tg, mode="webhook") as r:
        assert not tg.calls_to("setWebhook")  # not reached yet
        health, metrics = await r.health()
        assert health["channel_state"] == {"telegram": "connecting"}
        with pytest.raises(SendError) as caught:  # a send that raced the claim check
            await r.channel.send(str(BAHATI), Outbound("x"))
        assert caught.value.channel_down and not tg.calls_to("sendMessage")
        assert 'sauti_channel_up{channel="telegram"} 0' in metrics.splitlines()
        assert await r.post(make_text_update(91, BAHATI, "hello")) == 200
        await eventually(lambda: tg.sent_messages(BAHATI), r.app)
        assert "this is Sauti" in tg.sent_messages(BAHATI)[0]["text"]
        assert [c.status for c in tg.calls_to("getMe")] == [502, 502, 200]
        assert len(tg.calls_to("setWebhook")) == 1
        await eventually(lambda: r.outbox()[0][0] == "sent", r.app)
        assert r.outbox() == [("sent", 1, None)]  # it waited untried: no try spent


async def test_stop_while_still_connecting_is_prompt(tmp_path: Path, tg: FakeTelegram) -> None:
    tg.fail_next(1000, status=502, method="getMe")
    loop = asyncio.get_running_loop()
    async with running(tmp_path, tg) as r:
        await eventually(lambda: len(tg.calls_to("getMe")) >= 2, r.app)
        started = loop.time()
    assert loop.time() - started < 2
    tried = len(tg.calls_to("getMe"))
    await asyncio.sleep(1.2)
    assert len(tg.calls_to("getMe")) == tried  # no connector left running
    assert not tg.calls_to("getUpdates")


async def test_polling_starts_once_the_api_is_reached(tmp_path: Path, tg: FakeTelegram) -> None:
    """getMe fails, then hangs past the time-out: polling begins when it answers."""
    tg.fail_next(1, status=500, method="getMe")
    tg.hang_next(1, seconds=3, method="getMe")
    async with running(tmp_path, tg, send_timeout_seconds=0.3) as r:
        assert not tg.calls_to("getUpdates")
        msg = await r.say(make_text_update(92, BAHATI, "hello"), BAHATI)
        assert "this is Sauti" in msg["text"]
        calls = tg.calls_to("getMe")
        assert len(calls) == 3 and calls[0].status == 500 and calls[2].status == 200
        assert calls[2].at - calls[1].at >= 0.25  # the hung call was given up on


async def test_a_refused_token_stops_serve_with_one_line_that_hides_it(
        tmp_path: Path, tg: FakeTelegram) -> None:
    """A token the Bot API refuses cannot start: `sauti serve` exits 2 with one line
    naming the config key, and the token itself is nowhere in what it prints."""
    wrong = "987654:WRONG-token-kept-secret"
    cfg = tmp_path / "serve.toml"
    cfg.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n'
                   '[server]\nhost = "127.0.0.1"\nport = 0\n'
                   f'[telegram]\nenabled = true\ntoken = "{wrong}"\n'
                   f'api_base_url = "{tg.base_url}"\n' + REAL_KEYS_TOML)
    proc = await start_sauti("serve", "--config", str(cfg), cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines()[-1] == \
        "sauti: telegram: the Bot API refused telegram.token"
    assert "Traceback" not in err.decode()
    assert b"WRONG" not in out + err and b"987654" not in out + err
    assert tg.calls_to("getMe")


async def test_a_refused_token_while_sending_spends_no_tries(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg, outbox={"max_attempts": 2}) as r:
        tg.fail_next(3, status=401, method="sendMessage")
        tg.push_update(make_text_update(93, NEEMA, "hello"))
        await eventually(lambda: r.outbox() and r.outbox()[0][0] == "sent", r.app)
        assert r.outbox() == [("sent", 1, "token refused")]
        assert [c.status for c in tg.calls_to("sendMessage")] == [401, 401, 401, 200]


async def test_a_user_who_blocked_the_bot_is_opted_out(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as r:
        tg.block(TUMAINI)
        tg.push_update(make_text_update(71, TUMAINI, "hello"))
        await eventually(lambda: r.outbox() and r.outbox()[0][0] == "failed", r.app)
        convo = await r.contact(TUMAINI)
        assert convo is not None and convo.contact.opted_out
        assert [c.status for c in tg.calls_to("sendMessage")] == [403]
        assert r.outbox() == [("failed", 1, "forbidden: bot was blocked by the user")]


async def test_an_outage_spends_no_tries_and_the_reply_goes_when_it_is_back(
        tmp_path: Path, tg: FakeTelegram) -> None:
    """The Bot API refuses connections for longer than the tries would last: the
    reply waits with its reason kept and none of its 2 tries spent, then goes once."""
    async with running(tmp_path, tg, mode="webhook", outbox={"max_attempts": 2}) as r:
        port = tg.port
        await tg.stop()  # the API base URL now points at a closed port
        assert await r.post(make_text_update(81, TUMAINI, "hello")) == 200
        outbound = r.app.metrics.outbound
        await eventually(lambda: outbound.get(channel="telegram", result="deferred") >= 4, r.app)
        assert r.outbox() == [("pending", 0, "network error (ConnectError)")]
        health, metrics = await r.health()
        assert health["status"] == "ok" and health["channel_state"] == {"telegram": "down"}
        assert 'sauti_channel_up{channel="telegram"} 0' in metrics.splitlines()
        assert "sauti_send_errors_total" in metrics
        await tg.start(port)
        await eventually(lambda: r.outbox()[0][0] == "sent", r.app)
        health, metrics = await r.health()
        assert health["channel_state"] == {"telegram": "up"}
        assert 'sauti_channel_up{channel="telegram"} 1' in metrics.splitlines()
        assert r.outbox()[0][:2] == ("sent", 1)
        assert len(tg.sent_messages(TUMAINI)) == 1


# ------------------------------------------------------------------ pure parts


def _message(update_id: int, **content: Any) -> dict[str, Any]:
    update = make_text_update(update_id, TUMAINI, "x", first_name="Tumaini", last_name="Testa",
                              language_code="sw")
    del update["message"]["text"]
    update["message"].update(content)
    return update


FILE = {"file_id": "AgAD", "file_unique_id": "AQAD"}


@pytest.mark.parametrize(("update", "text", "media"), [
    (make_photo_update(1, TUMAINI, caption="Ukuta umeanguka"), "Ukuta umeanguka",
     (MediaKind.PHOTO,)),
    (make_voice_update(2, TUMAINI), "", (MediaKind.VOICE,)),
    (make_sticker_update(3, TUMAINI), "", (MediaKind.STICKER,)),
    (make_document_update(4, TUMAINI, caption="ripoti"), "ripoti", (MediaKind.DOCUMENT,)),
    (_message(5, audio={**FILE, "duration": 3}), "", (MediaKind.AUDIO,)),
    (_message(6, video={**FILE, "duration": 3, "width": 1, "height": 1}), "",
     (MediaKind.VIDEO,)),
    (_message(7, video_note={**FILE, "duration": 3, "length": 1}), "", (MediaKind.VIDEO,)),
    (_message(8, contact={"phone_number": "+243810000001", "first_name": "Neema"}), "",
     (MediaKind.CONTACT,)),
])
def test_media_kinds(update: dict[str, Any], text: str, media: tuple[MediaKind, ...]) -> None:
    inbound = parse_update(update, group_chats=False)
    assert inbound is not None and (inbound.text, inbound.media) == (text, media)
    assert inbound.location is None and inbound.external_id == f"tg:{update['update_id']}"


def test_text_message_fields() -> None:
    update = make_text_update(9, TUMAINI, "Habari", first_name="Tumaini", last_name="Testa",
                              language_code="sw", date=1_767_225_600)
    inbound = parse_update(update, group_chats=False)
    assert inbound == Inbound(
        channel="telegram", address=str(TUMAINI), text="Habari", external_id="tg:9",
        received_at=datetime(2026, 1, 1, tzinfo=UTC), profile_name="Tumaini Testa",
        language_hint="sw")


def test_location_callback_and_commands() -> None:
    located = parse_update(make_location_update(1, TUMAINI, -1.6792, 29.2228),
                           group_chats=False)
    assert located is not None and located.location == Location(-1.6792, 29.2228)
    assert located.media == () and located.text == ""
    pressed = parse_update(make_callback_update(2, TUMAINI, "goma", message_id=5,
                                                first_name="Zawadi"), group_chats=False)
    assert pressed is not None and (pressed.choice, pressed.text) == ("goma", "")
    assert (pressed.address, pressed.profile_name) == (str(TUMAINI), "Zawadi")
    numbered = parse_update(make_callback_update(3, TUMAINI, "#2", message_id=5),
                            group_chats=False)
    assert numbered is not None and (numbered.choice, numbered.text) == (None, "#2")
    for text, expected in [("/start", "/start"), ("/start ref-42", "/start"),
                           ("/help@SautiBot", "/help"), ("/help@SautiBot now", "/help"),
                           ("/show@SautiBot ABC234", "/show ABC234"),
                           ("/note ABC234 call back", "/note ABC234 call back"),
                           ("/ not a command", "/ not a command"), ("2/3 done", "2/3 done")]:
        assert command(text) == expected
        inbound = parse_update(make_text_update(4, TUMAINI, text), group_chats=False)
        assert inbound is not None and inbound.text == expected


def test_ignored_and_malformed_updates() -> None:
    group = make_text_update(1, TUMAINI, "hello", chat_type="group")
    assert parse_update(group, group_chats=False) is None
    in_group = parse_update(group, group_chats=True)
    assert in_group is not None and in_group.address == str(TUMAINI)
    channel = make_text_update(2, TUMAINI, "hello", chat_type="channel")
    assert parse_update(channel, group_chats=True) is None
    message = make_text_update(3, TUMAINI, "hello")["message"]
    from_bot = make_text_update(4, TUMAINI, "hello")
    from_bot["message"]["from"]["is_bot"] = True
    group_press = make_callback_update(5, TUMAINI, "en", message_id=1, chat_type="supergroup")
    ignored: list[Any] = [
        {"update_id": 6, "edited_message": message}, {"update_id": 7, "channel_post": message},
        {"update_id": 8, "message": {**message, "text": None, "dice": {"value": 3}}},
        from_bot, group_press, {"update_id": 9},
        {}, {"update_id": "10", "message": message}, {"update_id": 11, "message": "hello"},
        {"update_id": 12, "message": {**message, "date": "today"}},
        {"update_id": 13, "message": {**message, "date": 10**20}},
        {"update_id": 14, "message": {**message, "from": {"id": "700001", "is_bot": False}}},
        {"update_id": 15, "message": {**message, "text": 5, "chat": []}},
        {"update_id": 16, "message": {**message, "text": None,
                                      "location": {"latitude": 91, "longitude": 0}}},
        {"update_id": 17, "callback_query": {"id": "1", "from": message["from"]}},
    ]
    for update in ignored:
        assert parse_update(update, group_chats=False) is None, update


def test_keyboard_numbers_labels_and_falls_back_for_long_keys() -> None:
    long_key = "é" * 33  # 66 bytes of UTF-8
    markup = keyboard([Choice("goma", "Goma"), Choice(long_key, "Ailleurs")])
    assert markup is not None and markup.to_dict() == {"inline_keyboard": [
        [{"text": "1. Goma", "callback_data": "goma"}],
        [{"text": "2. Ailleurs", "callback_data": "#2"}]]}
    assert keyboard([]) is None
    kept = keyboard([Choice("bukavu", "Bukavu", 2), Choice("beni", "Beni", 3)])
    assert kept is not None and [row[0].text for row in kept.inline_keyboard] == [
        "2. Bukavu", "3. Beni"]  # an area's own number, as on SMS


def split_text(text: str) -> list[str]:
    """Telegram's parts: the one splitter at Telegram's 4,096 UTF-16 units."""
    return split(text, TelegramChannel.capabilities.max_chars)


def test_split_text_at_paragraphs_then_words_within_utf16_limit() -> None:
    assert split_text("Habari") == ["Habari"]
    paragraphs = "a" * 3000 + "\n\n" + "b" * 3000
    assert split_text(paragraphs) == ["a" * 3000, "b" * 3000]
    words = " ".join(["maji"] * 2000)  # 9,999 characters
    parts = split_text(words)
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts) == words
    emoji = "🙏" * 3000  # 6,000 UTF-16 units: no pair is split
    assert [len(p) for p in split_text(emoji)] == [2048, 952]


async def test_long_text_goes_in_parts_with_buttons_on_the_last(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg, mode="webhook") as r:
        text = "Tangazo. " * 1000
        result = await r.channel.send(str(NEEMA), Outbound(text, (Choice("menu", "Menu"),)))
        sent = tg.sent_messages(NEEMA)
        assert len(sent) == 3 and result.external_id == str(sent[-1]["message_id"])
        assert [buttons(m) for m in sent] == [[], [], [("1. Menu", "menu")]]
        assert "".join(m["text"] for m in sent).replace(" ", "") == text.replace(" ", "")
        with pytest.raises(SendError, match="empty message"):
            await r.channel.send(str(NEEMA), Outbound(" "))


async def test_a_long_text_interrupted_midway_resumes_at_the_part_that_failed(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg, mode="webhook") as r:
        text = " ".join(f"tangazo{i}." for i in range(800))  # three parts, all different
        message = Outbound(text, (Choice("menu", "Menu"),))
        tg.fail_next(1, status=500, method="sendMessage", after=1)
        with pytest.raises(SendError) as failed:
            await r.channel.send(str(NEEMA), message)
        error = failed.value
        assert (error.parts_sent, error.segments_sent, error.retryable) == (1, 1, True)
        # what the outbox keeps for the retry
        result = await r.channel.send(str(NEEMA), replace(
            message, parts_sent=error.parts_sent, segments_sent=error.segments_sent))
        sent = tg.sent_messages(NEEMA)
        assert len(sent) == 3 and len({m["text"] for m in sent}) == 3  # each part once
        assert [buttons(m) for m in sent] == [[], [], [("1. Menu", "menu")]]
        assert "".join(m["text"] for m in sent).replace(" ", "") == text.replace(" ", "")
        assert (result.external_id, result.segments) == (str(sent[-1]["message_id"]), 3)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # bytes to upload, not drawn


async def test_an_image_goes_as_a_photo_captioned_or_followed_by_its_text(
        tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg, mode="webhook") as r:
        await r.channel.send(str(NEEMA), Outbound("Maji: 12 (60%)", (Choice("menu", "Menu"),),
                                                  image=PNG))
        [photo] = tg.sent_messages(NEEMA)
        assert photo["caption"] == "Maji: 12 (60%)" and buttons(photo) == [("1. Menu", "menu")]
        assert tg.sent_photos(NEEMA) == [PNG] and "text" not in photo
        long = "Tangazo. " * 200  # 1,800 characters: past a caption's 1,024
        message = Outbound(long, image=PNG)
        tg.fail_next(1, status=500, method="sendMessage")  # the photo went, the text not
        with pytest.raises(SendError) as failed:
            await r.channel.send(str(NEEMA), message)
        assert failed.value.parts_sent == 1
        await r.channel.send(str(NEEMA), replace(message, parts_sent=1, segments_sent=1))
        second, text = tg.sent_messages(NEEMA)[1:]
        assert "caption" not in second and text["text"].strip() == long.strip()
        assert tg.sent_photos(NEEMA) == [PNG, PNG]  # one per message: the retry sent text only


def test_send_errors_map_to_outbox_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    limited = send_error(RetryAfter(3))
    assert (limited.retryable, limited.retry_after, limited.reason) == (True, 3.0, "rate limited")
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    assert send_error(RetryAfter(timedelta(seconds=2))).retry_after == 2.0
    blocked = send_error(Forbidden("Forbidden: user is deactivated"))
    assert (blocked.retryable, blocked.opted_out) == (False, True)
    assert send_error(TimedOut()).retryable
    assert send_error(NetworkError("Bad Gateway (502)")).retryable
    bad = send_error(BadRequest("Bad Request: chat 7000012345 not found"))
    assert (bad.retryable, bad.reason) == (False, "bad request: Chat # not found")
    # not connected at all: nothing went out, the outbox spends no try on it
    for cause in (httpx.ConnectError("refused"), httpx.ConnectTimeout("no answer")):
        wrapped = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("x")
        wrapped.__cause__ = cause
        assert send_error(wrapped).channel_down and send_error(wrapped).retryable
    late = TimedOut()
    late.__cause__ = httpx.ReadTimeout("sent, no answer")  # may have been delivered
    assert send_error(late).retryable and not send_error(late).channel_down


async def test_service_builds_the_channel_from_config(tmp_path: Path, tg: FakeTelegram) -> None:
    config = make_config(tmp_path, telegram={"enabled": True, "token": TOKEN, "mode": "webhook",
                                             "api_base_url": tg.base_url,
                                             "webhook_secret": SECRET},
                         server={"public_url": PUBLIC + "/"})
    app = await App.open(config)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    try:
        channel = app.channels["telegram"]  # made by channels.telegram:build
        assert isinstance(channel, TelegramChannel)
        assert channel.capabilities.buttons and channel.capabilities.max_chars == 4096
        assert [c.method for c in tg.calls] == ["getMe", "setWebhook"]
        assert tg.webhook["url"] == f"{PUBLIC}/webhooks/telegram"
        first, second = channel.throttles("700001", channel.render(Outbound("x")))
        assert (first.key, first.per_second, first.burst) == ("telegram", 30, 1)
        assert (second.key, second.per_second, second.burst) == ("telegram:700001", 1, 1)
        _, group = channel.throttles("-1001234567890", channel.render(Outbound("x")))
        assert (group.key, group.per_second) == ("telegram:-1001234567890", 20 / 60)
    finally:
        await service.stop()
        await app.close()
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
