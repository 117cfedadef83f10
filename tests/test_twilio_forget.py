"""Deleting handled messages at Twilio: the real twilio client against FakeTwilio's
message log (DELETE of the Message resource, through ``api_base_url``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.app import App
from bot.domain.messages import Outbound
from bot.privacy.vault import AddressVault
from bot.timers import TimerRunner
from bot.timers.forget import FORGET, ForgetAtProvider, ForgetKeys, forget_later
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
async def app_of_sms(tmp_path: Path, fake: FakeTwilio) -> AsyncIterator[App]:
    config = make_config(tmp_path, twilio={
        "enabled": True, "account_sid": fake.account_sid, "auth_token": fake.auth_token,
        "sms_from": SMS_FROM, "api_base_url": fake.base_url, "send_timeout_seconds": 1})
    app = await App.open(config)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
async def sms(app_of_sms: App) -> AsyncIterator[Channel]:
    channel = app_of_sms.enable_channel("sms")
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


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


# ------------------------------------------------------- the provider.forget job


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def run_due(app: App, clock: Clock) -> int:
    """What one pass of a runner on ``app``'s store and handlers does at ``clock``."""
    runner = TimerRunner(app.store, clock=clock)
    runner.register(FORGET, ForgetAtProvider(app.channels, app.vault))
    return await runner.run_once()


async def test_the_forget_job_deletes_the_message_and_its_row(
        fake: FakeTwilio, sms: Channel, app_of_sms: App) -> None:
    app, clock = app_of_sms, Clock()
    fake.receive(form := sms_form(RESIDENT, SMS_FROM, "Askari wamemkamata Juma"))
    later = forget_later("sms", form["MessageSid"], vault=app.vault, keys=ForgetKeys(),
                         now=clock.now)
    assert form["MessageSid"] not in repr(later.payload) + later.key
    await app.store.schedule(later.kind, later.key, later.payload, later.due_at)

    assert await run_due(app, clock) == 0  # Twilio asks for a minute first
    clock.now += timedelta(minutes=1)
    assert await run_due(app, clock) == 0  # due on the whole minute after that one
    clock.now += timedelta(minutes=1)
    fake.settle_seconds = 3600  # and may still refuse: tried again later, not dropped
    assert await run_due(app, clock) == 1
    assert fake.deleted == []
    fake.settle_seconds = 0
    assert await run_due(app, clock) == 0  # its retry is not due yet
    clock.now += timedelta(hours=1)
    assert await run_due(app, clock) == 1
    assert fake.deleted == [form["MessageSid"]]
    clock.now += timedelta(days=1)
    assert await run_due(app, clock) == 0  # done: the row is gone


async def test_a_forget_job_the_provider_refuses_for_good_is_dropped(
        fake: FakeTwilio, sms: Channel, app_of_sms: App,
        caplog: pytest.LogCaptureFixture) -> None:
    app, clock = app_of_sms, Clock()
    later = forget_later("sms", "SM" + "7" * 32, vault=app.vault, keys=ForgetKeys(),
                         now=clock.now, delay=timedelta(0))
    await app.store.schedule(later.kind, later.key, later.payload, later.due_at)
    fake.fail_next(status=403, code=20403)
    clock.now += timedelta(minutes=1)
    assert await run_due(app, clock) == 1
    clock.now += timedelta(days=2)
    assert await run_due(app, clock) == 0
    assert "7" * 32 not in caplog.text


async def test_a_handled_message_and_its_reply_leave_their_forget_rows(
        tmp_path: Path, fake: FakeTwilio) -> None:
    """In the turn's write and the "sent" mark's: the received message goes a
    minute or two after, the reply a quarter of an hour after."""
    from tests.test_twilio import SMS_PATH, running

    async with running(tmp_path, fake) as bot:
        form = sms_form(RESIDENT, SMS_FROM, "habari")
        fake.receive(form)
        welcome = await bot.say(SMS_PATH, form, RESIDENT)
        assert "Sauti" in welcome
        sent = [m["sid"] for m in fake.sent_to(RESIDENT)]
        assert len(sent) == 1 and fake.deleted == []
        def forget_rows() -> list[tuple[object, ...]]:
            return bot.rows("SELECT kind, key, payload, due_at FROM due WHERE kind = ?", FORGET)

        # the reply's row is written with its "sent" mark, just after Twilio answered
        await bot.until(lambda: len(forget_rows()) == 2)
        rows = forget_rows()
        assert not any(sid in repr(rows) for sid in [*sent, form["MessageSid"]])
        assert RESIDENT not in repr(rows)

        clock = Clock()
        clock.now = datetime.now(UTC) + timedelta(minutes=2)
        assert await run_due(bot.app, clock) == 1  # the received one
        assert fake.deleted == [form["MessageSid"]]
        clock.now += timedelta(minutes=3)
        assert await run_due(bot.app, clock) == 0  # a sent message settles first
        clock.now += timedelta(minutes=12)
        assert await run_due(bot.app, clock) == 1
        assert fake.deleted == [form["MessageSid"], *sent]
        assert not any(RESIDENT in f"{m.get('to')} {m.get('from')}" and m["sid"] in sent
                       for m in fake.log)


def test_forget_keys_come_in_order_and_owe_nothing_to_the_message_id() -> None:
    """Keys made in order land beside each other in the due table's unique index
    (a random key costs a grown database a random page per row); two workers'
    keys never collide; nothing of the provider's id or of a time finer than the
    row's own due minute is in them."""
    due = datetime(2026, 12, 2, 13, 5, tzinfo=UTC)
    one, other = ForgetKeys(), ForgetKeys()
    made = [one(due) for _ in range(3)] + [one(due + timedelta(minutes=1))]
    assert made == sorted(made) and len(set(made)) == 4
    assert not set(made) & {other(due) for _ in range(4)}
    vault = AddressVault("an-invented-contact-key-for-tests")
    sid = "SM" + "5" * 32
    timer = forget_later("sms", sid, vault=vault, keys=one, now=due)
    assert "5555" not in timer.key and timer.key.startswith(f"{timer.due_at:%Y%m%dT%H%M}.")
