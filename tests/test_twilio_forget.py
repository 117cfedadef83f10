"""Deleting handled messages at Twilio: the real twilio client against FakeTwilio's
message log (DELETE of the Message resource, through ``api_base_url``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.app import App
from bot.domain.messages import Outbound
from bot.transport.channel import Channel, SendError
from tests.conftest import make_config
from tests.fakes.twilio import FakeTwilio, sms_form

pytestmark = [  # twilio 9.13 still passes aiohttp.BasicAuth, which aiohttp 3.14 deprecates
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

SMS_FROM = "+15005550006"
RESIDENT = "+243810000451"  # invented


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as tw:
        yield tw


@pytest.fixture
async def sms(tmp_path: Path, fake: FakeTwilio) -> AsyncIterator[Channel]:
    config = make_config(tmp_path, twilio={
        "enabled": True, "account_sid": fake.account_sid, "auth_token": fake.auth_token,
        "sms_from": SMS_FROM, "api_base_url": fake.base_url, "send_timeout_seconds": 1})
    app = await App.open(config)
    channel = app.enable_channel("sms")
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()
        await app.close()


async def listed(fake: FakeTwilio) -> list[str]:
    """What anyone holding the account's auth token reads back from Twilio's log."""
    http = AsyncTwilioHttpClient()
    client = Client(fake.account_sid, fake.auth_token, http_client=http, environment={})
    client.api.base_url = fake.base_url
    try:
        messages = await client.messages.list_async()
    finally:
        await http.close()
    return [f"{m.from_} {m.to} {m.body}" for m in messages]


async def test_an_inbound_and_a_sent_message_are_deleted_from_twilios_log(
        fake: FakeTwilio, sms: Channel) -> None:
    inbound = sms_form(RESIDENT, SMS_FROM, "Wanajeshi walichoma nyumba ya Baraka")
    fake.receive(inbound)
    sent = await sms.send(RESIDENT, Outbound(text="Your report is sent. Its code is K7Q2MX"))
    before = await listed(fake)
    assert any("Baraka" in m and RESIDENT in m for m in before)
    assert any("K7Q2MX" in m and RESIDENT in m for m in before)

    assert sms.forgets_messages
    await sms.forget(inbound["MessageSid"])
    assert sent.external_id is not None
    await sms.forget(sent.external_id)

    assert fake.deleted == [inbound["MessageSid"], sent.external_id]
    after = "\n".join(await listed(fake))
    assert RESIDENT not in after and "Baraka" not in after and "K7Q2MX" not in after


async def test_a_message_already_gone_counts_as_deleted(fake: FakeTwilio, sms: Channel) -> None:
    await sms.forget("SM" + "0" * 32)  # no error: nothing left to delete
    assert fake.deleted == []


async def test_a_message_twilio_has_not_finished_with_is_retried_later(
        fake: FakeTwilio, sms: Channel) -> None:
    fake.settle_seconds = 60
    fake.receive(form := sms_form(RESIDENT, SMS_FROM, "habari"))
    with pytest.raises(SendError) as caught:
        await sms.forget(form["MessageSid"])
    assert caught.value.retryable and "20009" in caught.value.reason
    fake.settle_seconds = 0
    await sms.forget(form["MessageSid"])
    assert fake.deleted == [form["MessageSid"]]


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (403, False)])
async def test_provider_errors_while_deleting(fake: FakeTwilio, sms: Channel, status: int,
                                              retryable: bool) -> None:
    fake.receive(form := sms_form(RESIDENT, SMS_FROM, "habari"))
    fake.fail_next(status=status, code=20403 if status == 403 else None)
    with pytest.raises(SendError) as caught:
        await sms.forget(form["MessageSid"])
    assert caught.value.retryable is retryable
    assert RESIDENT not in caught.value.reason and "habari" not in caught.value.reason
    assert fake.deleted == []
