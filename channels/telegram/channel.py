"""The Telegram channel: Bot API updates in (long polling or webhook), sendMessage out.

One ``telegram.Bot`` (python-telegram-bot, used only as the Bot API HTTP client) lives
as long as the channel. Both transports hand plain Bot API JSON to the pure
:func:`parse_update`, then to the context's ``handle``, and confirm an update only once
that returned (the turn is stored): the getUpdates offset moves past it, or the webhook
answers 2xx. Telegram redelivers anything else; the core's dedupe on ``tg:<update_id>``
makes redelivery safe. Logs name update ids and error types, never text, ids or names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.config import Config, TelegramSettings
from bot.domain.messages import Inbound, Outbound
from bot.outbox.dispatcher import backoff
from bot.text.segments import units
from bot.transport.channel import (
    Capabilities,
    Channel,
    ChannelRefused,
    Rendered,
    Route,
    SendError,
    SendResult,
    Throttle,
    send_parts,
)
from bot.transport.context import ChannelContext
from bot.transport.registry import ChannelPlugin
from bot.web.limits import read_body
from channels.telegram.errors import send_error
from channels.telegram.keyboard import keyboard
from channels.telegram.parsing import (
    JSON,
    NAME,
    callback_query_id,
    load_update,
    parse_update,
    update_id_of,
)

__all__ = ["Handle", "TelegramChannel", "build", "file_url_for", "plugin"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
MAX_CHARS = 4096  # per message, counted in UTF-16 units like Telegram does
CAPTION_CHARS = 1024  # a photo's caption
POLL_TIMEOUT = 25.0  # seconds a getUpdates long poll waits for news
MAX_BACKOFF = 30.0
RETRY_BASE = 0.5  # seconds: the first retry of polling or connecting after 0.25-1 s

Handle = Callable[[Inbound], Awaitable[object]]


def file_url_for(base_url: str) -> str:
    """Telegram's file URL next to its API URL: ``…/bot`` → ``…/file/bot``."""
    head, _, tail = base_url.rpartition("/")
    return f"{head}/file/{tail}"


def _request(pool_size: int, timeout: float) -> HTTPXRequest:
    return HTTPXRequest(connection_pool_size=pool_size, read_timeout=timeout,
                        write_timeout=timeout, connect_timeout=timeout, pool_timeout=timeout)


class TelegramChannel(Channel):
    """Receives updates (polling task or webhook route) and sends through one Bot."""

    name = NAME
    capabilities = Capabilities(buttons=True, images=True, max_chars=MAX_CHARS)

    def __init__(self, settings: TelegramSettings, *, handle: Handle, public_url: str,
                 pool_size: int, poll_timeout: float = POLL_TIMEOUT) -> None:
        timeout = settings.send_timeout_seconds
        # getUpdates has its own small pool; PTB adds the long-poll timeout to its read timeout.
        self._bot = Bot(settings.token.get_secret_value(), base_url=settings.api_base_url,
                        base_file_url=file_url_for(settings.api_base_url),
                        request=_request(pool_size, timeout),
                        get_updates_request=_request(2, timeout))
        self._settings = settings
        self._handle = handle
        self._webhook_url = public_url.rstrip("/") + WEBHOOK_PATH
        self._secret = settings.webhook_secret.get_secret_value()
        self._poll_timeout = timedelta(seconds=poll_timeout)
        self._poller: asyncio.Task[None] | None = None
        self._connector: asyncio.Task[None] | None = None
        self._connected = False  # getMe answered: sends may go
        self._stopping = asyncio.Event()
        self._handling = False
        self._offset: int | None = None
        self._confirmed: int | None = None

    @property
    def ready(self) -> bool:
        """getMe answered: the outbox may claim Telegram's messages."""
        return self._connected

    # lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Check the token (getMe), then set the webhook or start long polling.

        A token the Bot API refuses stops the start (:class:`ChannelRefused`). An
        API out of reach (no network yet, 5xx, time-out) does not: the rest of
        the bot serves, connecting goes on in the background with backoff, and
        replies wait in the outbox until it is through."""
        self._stopping.clear()
        try:
            await self._connect()
        except InvalidToken:  # PTB's message holds the token: never pass it on
            raise ChannelRefused("telegram: the Bot API refused telegram.token") from None
        except TelegramError as exc:
            log.warning("telegram: Bot API out of reach at start (%s), connecting in the "
                        "background", type(exc).__name__)
            self._connector = asyncio.create_task(self._keep_connecting(),
                                                  name="telegram-connect")

    async def _connect(self) -> None:
        await self._bot.initialize()
        self._connected = True
        if self._settings.mode == "webhook":
            await self._bot.set_webhook(url=self._webhook_url, secret_token=self._secret,
                                        allowed_updates=ALLOWED_UPDATES)
            log.info("telegram: webhook set")
            return
        await self._bot.delete_webhook()  # a webhook would make getUpdates fail
        self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
        log.info("telegram: polling")

    async def _keep_connecting(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            failures += 1
            delay = backoff(failures, RETRY_BASE, MAX_BACKOFF)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            try:
                await self._connect()
                log.info("telegram: connected after %d tries", failures + 1)
                return
            except TelegramError as exc:  # a refused token too: it may be fixed at Telegram
                log.warning("telegram: still out of reach (%s), retry %d",
                            "token refused" if isinstance(exc, InvalidToken)
                            else type(exc).__name__, failures)

    async def stop(self) -> None:
        """Let an update being handled finish, stop polling, confirm, close the client."""
        self._stopping.set()
        connector, self._connector = self._connector, None
        if connector is not None:
            connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connector
        task, self._poller = self._poller, None
        if task is not None:
            if not self._handling:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self._offset != self._confirmed:  # as PTB's Updater: spare a redelivery
                with contextlib.suppress(TelegramError):
                    await self._bot.get_updates(offset=self._offset, limit=1, timeout=0)
        await self._bot.shutdown()

    # receiving -------------------------------------------------------------

    async def _poll(self) -> None:
        """Long-poll getUpdates until stopped; never dies, backs off with jitter."""
        failures = 0
        while not self._stopping.is_set():
            try:
                updates = await self._bot.get_updates(
                    offset=self._offset, timeout=self._poll_timeout,
                    allowed_updates=ALLOWED_UPDATES)
                self._confirmed = self._offset
                for update in updates:
                    self._handling = True
                    try:
                        await self._process(update.to_dict())
                    finally:
                        self._handling = False
                    self._offset = update.update_id + 1  # only now: it is durably handled
                    if self._stopping.is_set():
                        return
                failures = 0
            except Exception as exc:  # keep polling whatever failed; the update comes again
                failures += 1
                delay = backoff(failures, RETRY_BASE, MAX_BACKOFF)
                log.warning("telegram: polling failed (%s), retry in %.1fs",
                            type(exc).__name__, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)

    async def _process(self, data: JSON) -> None:
        """Hand one update to the conversations; returns once it is durably handled."""
        inbound = parse_update(data, group_chats=self._settings.group_chats)
        if inbound is None:
            log.debug("telegram: update %s ignored", update_id_of(data))
        else:
            await self._handle(inbound)
        if (query_id := callback_query_id(data)) is not None:
            try:  # stops the button's spinner; the turn is stored already
                await self._bot.answer_callback_query(query_id)
            except TelegramError as exc:
                log.info("telegram: answerCallbackQuery failed (%s)", type(exc).__name__)

    def routes(self) -> Sequence[Route]:
        return [Route("POST", WEBHOOK_PATH, self._webhook)]

    def _authorised(self, given: str | None) -> bool:
        if not self._secret or given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                                   self._secret.encode("utf-8"))

    async def _webhook(self, request: web.Request) -> web.Response:
        """403 without the right secret (the body unread), 413 for a body over
        :data:`~bot.web.limits.MAX_BODY`, 400 for what is not an Update (malformed JSON
        of any depth too), 500 if handling failed (Telegram retries it), else 200
        (ignored and duplicate updates too)."""
        if not self._authorised(request.headers.get(SECRET_HEADER)):
            return web.Response(status=403)
        body = await read_body(request)
        if body is None:
            return web.Response(status=413)
        data = load_update(body)
        update_id = update_id_of(data)
        if data is None or update_id is None:
            return web.Response(status=400)
        try:
            await self._process(data)
        except Exception as exc:  # answered 500: Telegram sends the update again
            log.error("telegram: update %d not handled (%s)", update_id, type(exc).__name__)
            return web.Response(status=500)
        return web.Response(status=200)

    # sending ---------------------------------------------------------------

    def throttles(self, address: str, rendered: Rendered) -> Sequence[Throttle]:
        """Bot-wide first (the outbox pauses it on a 429), then per chat: a group
        (its chat id is negative) takes about 20 a minute, a person 1 a second."""
        settings = self._settings
        per_chat = settings.per_chat_per_second
        if address.startswith("-"):
            per_chat = min(per_chat, settings.per_group_per_minute / 60)
        return [Throttle(NAME, settings.messages_per_second, burst=1),
                Throttle(f"{NAME}:{address}", per_chat, burst=1)]

    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        """Send the text (split past 4,096 characters) with the choices as buttons under
        its last part. An image goes first, as a photo, the text its caption when it
        fits one (1,024 characters), else the text follows. A retry starts at the
        first part that did not go (``parts_sent``; the photo counts as one)."""
        if not self._connected:  # the outbox claims nothing before: a race at most
            raise SendError("telegram: not connected yet", retryable=True, channel_down=True)
        rendered = rendered or self.render(message)
        try:
            chat_id = int(address)
        except ValueError:
            raise SendError("bad address", retryable=False) from None
        if not rendered.text.strip():
            raise SendError("empty message", retryable=False)
        parts = list(rendered.parts)
        photo = message.image
        if photo and not (len(parts) == 1 and units(parts[0]) <= CAPTION_CHARS):
            parts.insert(0, "")  # the photo alone, then the text
        markup = keyboard(message.choices)

        async def send_one(index: int, part: str) -> SendResult:  # a part counts as a segment
            last = markup if index == len(parts) - 1 else None
            try:
                if photo and index == 0:
                    sent = await self._bot.send_photo(chat_id=chat_id, photo=photo,
                                                      caption=part or None, reply_markup=last)
                else:
                    sent = await self._bot.send_message(chat_id=chat_id, text=part,
                                                        reply_markup=last)
            except TelegramError as exc:
                raise send_error(exc) from exc
            return SendResult(external_id=str(sent.message_id), segments=1)

        return await send_parts(parts, message, send_one)


def build(config: Config, context: ChannelContext, *,
          poll_timeout: float = POLL_TIMEOUT) -> TelegramChannel:
    """The channel of the ``telegram`` plug-in."""
    return TelegramChannel(config.telegram, handle=context.handle,
                           public_url=config.server.public_url,
                           pool_size=config.outbox.concurrency + 4, poll_timeout=poll_timeout)


def telegram_identity(address: str) -> str:
    """``tg:<user id>``: a person's Telegram id never changes."""
    return f"tg:{address.strip()}"


plugin = ChannelPlugin(NAME, build, lambda config: config.telegram.enabled,
                       identify=lambda config, address: telegram_identity(address))
