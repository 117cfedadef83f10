"""Hostile requests to the running ``sauti serve`` service, over real HTTP: bodies over
64 KiB (413, and a body just under the limit still handled), malformed Twilio
signature headers (403, before the body is read), malformed and deeply nested
Telegram JSON (400, never a 500 that Telegram would redeliver)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.web.limits import MAX_BODY
from channels.telegram.parsing import load_update
from channels.twilio.webhook import form_pairs, well_formed_signature
from tests.fakes.telegram import FakeTelegram, make_text_update
from tests.fakes.twilio import FakeTwilio, signed_post_form, sms_form, status_form
from tests.test_telegram import TOKEN
from tests.test_telegram import running as telegram_running
from tests.test_twilio import PUBLIC, SMS_FROM, SMS_PATH, STATUS_PATH, Bot
from tests.test_twilio import running as twilio_running

pytestmark = [  # twilio 9.13 still passes aiohttp.BasicAuth, which aiohttp 3.14 deprecates
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

TELEGRAM_PATH = "/webhooks/telegram"
NUMBER = "+243810000301"  # invented
USER = 700301  # invented Telegram user id


async def raw_post(port: int, path: str, headers: dict[str, bytes], body: bytes) -> int:
    """POST ``body`` with ``headers`` sent byte for byte (aiohttp's client refuses
    headers that are not text); the response's status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {path} HTTP/1.1".encode(), b"Host: 127.0.0.1",
            b"Content-Length: %d" % len(body), b"Connection: close"]
    head += [name.encode() + b": " + value for name, value in headers.items()]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n")
    writer.write(body)
    try:
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status.split()[1])


def form_of_size(size: int, **fields: str) -> tuple[dict[str, str], bytes]:
    """An SMS form whose urlencoded body is exactly ``size`` bytes (its Body padded)."""
    form = {**sms_form(NUMBER, SMS_FROM, ""), **fields}
    pad = size - len(urlencode(form))
    assert pad >= 0
    form["Body"] += "a" * pad
    body = urlencode(form).encode()
    assert len(body) == size
    return form, body


def update_of_size(size: int, update_id: int = 31) -> bytes:
    update = make_text_update(update_id, USER, "")
    pad = size - len(json.dumps(update).encode())
    update["message"]["text"] = "a" * pad
    body = json.dumps(update).encode()
    assert len(body) == size
    return body


def twilio_headers(bot: Bot, form: dict[str, str], path: str = SMS_PATH) -> dict[str, bytes]:
    """The headers Twilio sends, its signature for ``form`` posted to ``path``."""
    signed = signed_post_form(PUBLIC + path, form, bot.fake.auth_token)
    return {name: value.encode() for name, value in signed.items()}


@pytest.fixture
async def twilio(tmp_path: Path) -> Any:
    async with FakeTwilio() as fake, twilio_running(tmp_path, fake) as bot:
        yield bot


@pytest.fixture
async def telegram(tmp_path: Path) -> Any:
    async with FakeTelegram(token=TOKEN) as fake, \
            telegram_running(tmp_path, fake, mode="webhook") as running:
        yield running


def contacts(bot: Bot) -> int:
    return int(bot.rows("SELECT COUNT(*) FROM contacts")[0][0])


# --------------------------------------------------------------------- body size


async def test_a_twilio_body_over_64_kib_is_413_and_one_at_the_limit_is_handled(
        twilio: Bot) -> None:
    assert MAX_BODY == 64 * 1024
    form, body = form_of_size(MAX_BODY + 1)
    assert await raw_post(twilio.service.port, SMS_PATH, twilio_headers(twilio, form), body) == 413
    assert contacts(twilio) == 0

    form, body = form_of_size(MAX_BODY)
    assert await raw_post(twilio.service.port, SMS_PATH, twilio_headers(twilio, form), body) == 200
    assert contacts(twilio) == 1  # handled: the text cut to bot.max_text_chars


async def test_a_twilio_status_callback_over_64_kib_is_413(twilio: Bot) -> None:
    form = status_form("SM" + "0" * 32, "delivered")
    form["ErrorMessage"] = "x" * MAX_BODY
    body = urlencode(form).encode()
    headers = twilio_headers(twilio, form, STATUS_PATH)
    assert await raw_post(twilio.service.port, STATUS_PATH, headers, body) == 413


async def test_a_telegram_body_over_64_kib_is_413_and_one_at_the_limit_is_handled(
        telegram: Any) -> None:
    assert await telegram.post(update_of_size(MAX_BODY + 1)) == 413
    assert await telegram.contact(USER) is None
    assert await telegram.post(update_of_size(MAX_BODY)) == 200
    assert await telegram.contact(USER) is not None


async def test_an_unauthenticated_large_post_is_refused_before_it_is_read(
        twilio: Bot, telegram: Any) -> None:
    """No signature (Twilio) or no secret (Telegram): 403 whatever the size, the body
    never read; a well-formed but wrong signature needs the body, so it is read to the
    limit and answered 413."""
    form, body = form_of_size(4 * MAX_BODY)
    headers = {**twilio_headers(twilio, form), "X-Twilio-Signature": b""}
    assert await raw_post(twilio.service.port, SMS_PATH, headers, body) == 403
    forged = {**twilio_headers(twilio, form),
              "X-Twilio-Signature": base64.b64encode(bytes(range(20)))}  # well formed
    assert await raw_post(twilio.service.port, SMS_PATH, forged, body) == 413
    assert await telegram.post(update_of_size(4 * MAX_BODY), secret=None) == 403


# --------------------------------------------------------------------- signatures

MALFORMED_SIGNATURES = {
    "not UTF-8": b"\xff\xfe" * 14,
    "not ASCII": "é".encode() * 14,
    "not base64": b"!" * 28,
    "spaces inside": b"Zm9yZ2Vk IHNpZ25hdHVyZSE=",
    "19 bytes": base64.b64encode(b"\x01" * 19),
    "21 bytes": base64.b64encode(b"\x01" * 21),
    "very long": b"A" * 4000,
    "empty": b"",
}


@pytest.mark.parametrize("how", sorted(MALFORMED_SIGNATURES))
async def test_a_malformed_signature_header_is_403(
        twilio: Bot, how: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    form, body = form_of_size(600)
    headers = {**twilio_headers(twilio, form), "X-Twilio-Signature": MALFORMED_SIGNATURES[how]}
    assert await raw_post(twilio.service.port, SMS_PATH, headers, body) == 403
    assert contacts(twilio) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_signature_headers_and_form_bodies_are_checked_before_use() -> None:
    good = base64.b64encode(b"\x00" * 20).decode()
    assert well_formed_signature(good) == good
    for value in MALFORMED_SIGNATURES.values():
        assert well_formed_signature(value.decode("utf-8", "surrogateescape")) is None
    assert form_pairs(b"b=2&a=1&b=&c=%F0%9F%91%8D+x") == [
        ("b", "2"), ("a", "1"), ("b", ""), ("c", "👍 x")]  # order, repeats, blanks kept
    assert form_pairs(b"Body=%FF%FE") is None  # not UTF-8 once decoded
    assert form_pairs(b"Body=\xff") is None
    assert form_pairs(b"&".join(b"f%d=1" % i for i in range(1000))) is None  # too many


# --------------------------------------------------------------------- Telegram JSON

HOSTILE_JSON = {
    "30,000 nested arrays": b"[" * 30_000 + b"]" * 30_000,
    "10,000 nested objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "nested in an update": b'{"update_id": 1, "message": ' + b"[" * 20_000 + b"]" * 20_000
                           + b"}",
    "unclosed nesting": b"[" * 50_000,
    "truncated update": b'{"update_id": 1, "message": {"text": "habari"',
    "a 5,000-digit update_id": b'{"update_id": ' + b"7" * 5000 + b"}",
    "NaN update_id": b'{"update_id": NaN}',
    "not UTF-8": b'{"update_id": 1, "message": {"text": "\xff"}}',
    "empty": b"",
}


@pytest.mark.parametrize("how", sorted(HOSTILE_JSON))
async def test_malformed_or_deep_telegram_json_is_400(
        telegram: Any, how: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert len(HOSTILE_JSON[how]) <= MAX_BODY
    assert await telegram.post(HOSTILE_JSON[how]) == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_json_nested_100000_deep_is_refused_not_a_500(telegram: Any) -> None:
    """100,000 levels take 200,000 bytes: over the limit (413); below it, any depth
    json cannot read is a 400 (above); either way Telegram does not redeliver."""
    assert await telegram.post(b"[" * 100_000 + b"]" * 100_000) == 413


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_load_update_refuses_any_depth(depth: int) -> None:
    assert load_update(b"[" * depth + b"]" * depth) is None
    assert load_update(b'{"a":' * depth + b"1" + b"}" * depth) is None


def test_load_update_reads_an_update() -> None:
    update = make_text_update(41, USER, "Maji yamekatika")
    assert load_update(json.dumps(update).encode()) == update
    assert load_update(b"[1, 2]") is None  # JSON, but not an object
