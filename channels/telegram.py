"""The Telegram channel: Bot API updates in (long polling or webhook), sendMessage out.

One ``telegram.Bot`` (python-telegram-bot, used only as the Bot API HTTP client) lives
as long as the channel. Both transports hand plain Bot API JSON to the pure
:func:`parse_update`, then to ``conversations.handle``, and confirm an update only once
that returned (the turn is stored): the getUpdates offset moves past it, or the webhook
answers 2xx. Telegram redelivers anything else; the core's dedupe on ``tg:<update_id>``
makes redelivery safe. Logs name update ids and error types, never text, ids or names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.domain.messages import Choice, Inbound, Location, MediaKind, Outbound
from bot.outbox.dispatcher import backoff
from bot.text.rendering import numbered
from bot.transport.channel import (
    Capabilities,
    ChannelRefused,
    Route,
    SendError,
    SendResult,
    Throttle,
    send_parts,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config, TelegramSettings

log = logging.getLogger(__name__)

NAME = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
MAX_CHARS = 4096  # per message, counted in UTF-16 units like Telegram does
MAX_CALLBACK_BYTES = 64
POLL_TIMEOUT = 25.0  # seconds a getUpdates long poll waits for news
MAX_BACKOFF = 30.0
RETRY_BASE = 0.5  # seconds: the first retry of polling or connecting after 0.25-1 s
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@\w+)?(?=\s|$)")
_INDEX_DATA = re.compile(r"#\d{1,3}")  # a button whose key was too long: its number
_LONG_NUMBER = re.compile(r"\d{5,}")
_MEDIA = (("photo", MediaKind.PHOTO), ("voice", MediaKind.VOICE), ("audio", MediaKind.AUDIO),
          ("video", MediaKind.VIDEO), ("video_note", MediaKind.VIDEO),
          ("document", MediaKind.DOCUMENT), ("sticker", MediaKind.STICKER),
          ("contact", MediaKind.CONTACT))

Handle = Callable[[Inbound], Awaitable[object]]
JSON = Mapping[str, Any]


# ---------- parsing (pure)
def _obj(value: object) -> JSON | None:
    return value if isinstance(value, Mapping) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def update_id_of(data: object) -> int | None:
    """The ``update_id`` of what looks like a Bot API Update, else None."""
    obj = _obj(data)
    return _int(obj.get("update_id")) if obj is not None else None


def callback_query_id(data: JSON) -> str | None:
    """The id to answer with answerCallbackQuery, if ``data`` is a button press."""
    query = _obj(data.get("callback_query"))
    return _str(query.get("id")) if query is not None else None


def parse_update(data: JSON, *, group_chats: bool) -> Inbound | None:
    """Map Bot API Update JSON to an :class:`Inbound`, or None for what Sauti ignores
    (group chats unless ``group_chats``, edits, channel posts, bots, unknown kinds)
    and for malformed shapes. Pure: no network, no SDK objects."""
    update_id = update_id_of(data)
    if update_id is None:
        return None
    external_id = f"tg:{update_id}"
    if (query := _obj(data.get("callback_query"))) is not None:
        return _from_callback(query, external_id, group_chats)
    if (message := _obj(data.get("message"))) is not None:
        return _from_message(message, external_id, group_chats)
    return None


def _sender(user: object) -> tuple[str, str | None, str | None] | None:
    """Address (the user id, which is also their private chat id), name and language
    of a human sender."""
    u = _obj(user)
    if u is None or u.get("is_bot") is not False or (user_id := _int(u.get("id"))) is None:
        return None
    names = [n for n in (_str(u.get("first_name")), _str(u.get("last_name"))) if n]
    return str(user_id), " ".join(names) or None, _str(u.get("language_code")) or None


def _chat_allowed(chat: object, group_chats: bool) -> bool:
    c = _obj(chat)
    kind = _str(c.get("type")) if c is not None else None
    return kind == "private" or (group_chats and kind in ("group", "supergroup"))


def _when(date: object) -> datetime | None:
    seconds = _int(date)
    try:
        return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None
    except (OverflowError, OSError, ValueError):
        return None


def _degrees(value: object, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= bound:
        return None  # also NaN and infinities
    return float(value)


def _location(value: object) -> Location | None:
    loc = _obj(value) or {}
    lat, lon = _degrees(loc.get("latitude"), 90), _degrees(loc.get("longitude"), 180)
    return Location(lat, lon) if lat is not None and lon is not None else None


def command(text: str) -> str:
    """``/start payload`` and ``/help@SautiBot`` → ``/start``, ``/help`` (the core folds
    those into its START and HELP keywords); other text as is."""
    match = _COMMAND.match(text)
    return f"/{match.group(1)}" if match else text


def _from_message(message: JSON, external_id: str, group_chats: bool) -> Inbound | None:
    sender = _sender(message.get("from"))
    received_at = _when(message.get("date"))
    if sender is None or received_at is None or \
            not _chat_allowed(message.get("chat"), group_chats):
        return None
    text = _str(message.get("text"))
    text = command(text) if text is not None else _str(message.get("caption")) or ""
    media = tuple(dict.fromkeys(kind for key, kind in _MEDIA if message.get(key) is not None))
    location = _location(message.get("location"))
    if not text and not media and location is None:
        return None  # a service message, poll, dice...
    address, name, language = sender
    return Inbound(channel=NAME, address=address, text=text, external_id=external_id,
                   received_at=received_at, media=media, location=location,
                   profile_name=name, language_hint=language)


def _from_callback(query: JSON, external_id: str, group_chats: bool) -> Inbound | None:
    sender = _sender(query.get("from"))
    data = _str(query.get("data"))
    message = _obj(query.get("message"))  # absent for buttons under inline messages
    if sender is None or not data or \
            (message is not None and not _chat_allowed(message.get("chat"), group_chats)):
        return None
    address, name, language = sender
    typed = _INDEX_DATA.fullmatch(data) is not None  # "#2": as if 2 was typed
    return Inbound(channel=NAME, address=address, text=data if typed else "",
                   external_id=external_id, choice=None if typed else data,
                   profile_name=name, language_hint=language)


# ---------- sending helpers
def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row, labelled "N. label" so that typing N obviously works too.
    A key over Telegram's 64 bytes of callback_data is sent as "#N" instead."""
    if not choices:
        return None
    rows = []
    for number, choice in enumerate(choices, start=1):
        size = len(choice.key.encode("utf-8"))
        data = choice.key if 0 < size <= MAX_CALLBACK_BYTES else f"#{number}"
        rows.append([InlineKeyboardButton(f"{number}. {choice.label}", callback_data=data)])
    return InlineKeyboardMarkup(rows)


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 units: at a paragraph break,
    else a line break, else a space (in the second half of the part), else anywhere."""
    parts: list[str] = []
    rest = text
    while sum(map(_units, rest)) > limit:
        size, end = 0, 0
        while size + _units(rest[end]) <= limit:
            size += _units(rest[end])
            end += 1
        window = rest[:end]
        cut = next((pos for sep in ("\n\n", "\n", " ")
                    if (pos := window.rfind(sep)) > end // 2), end)
        parts.append(window[:max(cut, 1)].rstrip())
        rest = rest[max(cut, 1):].lstrip()
    if rest.strip():
        parts.append(rest)
    return [p for p in parts if p]


def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives ``retry_after`` as an int (deprecated, with a warning) unless
    ``PTB_TIMEDELTA`` asks for a timedelta: accept both, quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if isinstance(value, int | float) else 1.0


def _safe(description: str) -> str:
    """A Bot API error description fit to store: long numbers masked, short."""
    return _LONG_NUMBER.sub("#", " ".join(description.split()))[:100]


def send_error(exc: TelegramError) -> SendError:
    """What the outbox should do about a failed Bot API call. The reason's part before
    any ":" is a metrics label; none of it holds text or a chat id."""
    if isinstance(exc, RetryAfter):
        return SendError("rate limited", retryable=True, retry_after=retry_seconds(exc))
    if isinstance(exc, Forbidden):  # blocked, deactivated, never started the bot
        reason = _safe(exc.message.removeprefix("Forbidden: "))
        return SendError(f"forbidden: {reason}", retryable=False, opted_out=True)
    if isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout):  # nothing went out
        return SendError(f"network error ({type(exc.__cause__).__name__})", retryable=True,
                         channel_down=True)
    if isinstance(exc, InvalidToken):  # the bot's token, not this message (and never its text)
        return SendError("token refused", retryable=True, channel_down=True)
    if isinstance(exc, TimedOut):  # may still have been delivered: a retry can duplicate
        return SendError("timed out", retryable=True)
    if isinstance(exc, BadRequest):  # PTB's BadRequest is a NetworkError: test it first
        return SendError(f"bad request: {_safe(exc.message)}", retryable=False)
    if isinstance(exc, NetworkError):
        cause = exc.__cause__
        if cause is not None and type(cause).__module__.startswith("httpx"):
            return SendError(f"network error ({type(cause).__name__})", retryable=True)
        return SendError(f"server error: {_safe(exc.message.split('. ')[0])}", retryable=True)
    return SendError(f"telegram error: {type(exc).__name__}", retryable=False)


def file_url_for(base_url: str) -> str:
    """Telegram's file URL next to its API URL: ``…/bot`` → ``…/file/bot``."""
    head, _, tail = base_url.rpartition("/")
    return f"{head}/file/{tail}"


def _request(pool_size: int, timeout: float) -> HTTPXRequest:
    return HTTPXRequest(connection_pool_size=pool_size, read_timeout=timeout,
                        write_timeout=timeout, connect_timeout=timeout, pool_timeout=timeout)


# ---------- the channel
class TelegramChannel:
    """Receives updates (polling task or webhook route) and sends through one Bot."""

    name = NAME
    capabilities = Capabilities(buttons=True, max_chars=MAX_CHARS)

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
        """403 without the right secret, 400 for what is not an Update, 500 if handling
        failed (Telegram retries it), else 200 (ignored and duplicate updates too)."""
        if not self._authorised(request.headers.get(SECRET_HEADER)):
            return web.Response(status=403)
        try:
            data = await request.json()
        except (ValueError, LookupError):
            return web.Response(status=400)
        update_id = update_id_of(data)
        if update_id is None:
            return web.Response(status=400)
        try:
            await self._process(data)
        except Exception as exc:  # answered 500: Telegram sends the update again
            log.error("telegram: update %d not handled (%s)", update_id, type(exc).__name__)
            return web.Response(status=500)
        return web.Response(status=200)

    # sending ---------------------------------------------------------------

    def throttles(self, address: str, message: Outbound) -> Sequence[Throttle]:
        """Bot-wide first (the outbox pauses it on a 429), then per chat: a group
        (its chat id is negative) takes about 20 a minute, a person 1 a second."""
        settings = self._settings
        per_chat = settings.per_chat_per_second
        if address.startswith("-"):
            per_chat = min(per_chat, settings.per_group_per_minute / 60)
        return [Throttle(NAME, settings.messages_per_second, burst=1),
                Throttle(f"{NAME}:{address}", per_chat, burst=1)]

    async def send(self, address: str, message: Outbound) -> SendResult:
        """Send the text (split past 4,096 characters) with the choices as buttons under
        its last part. A retry starts at the first part that did not go (``parts_sent``)."""
        if not self._connected:  # the outbox claims nothing before: a race at most
            raise SendError("telegram: not connected yet", retryable=True, channel_down=True)
        parts = split_text(message.text if message.text.strip() else numbered(message))
        try:
            chat_id = int(address)
        except ValueError:
            raise SendError("bad address", retryable=False) from None
        if not parts:
            raise SendError("empty message", retryable=False)
        markup = keyboard(message.choices)

        async def send_one(index: int, part: str) -> SendResult:  # a part counts as a segment
            try:
                sent = await self._bot.send_message(
                    chat_id=chat_id, text=part,
                    reply_markup=markup if index == len(parts) - 1 else None)
            except TelegramError as exc:
                raise send_error(exc) from exc
            return SendResult(external_id=str(sent.message_id), segments=1)

        return await send_parts(parts, message, send_one)


def build(config: Config, app: App, *, poll_timeout: float = POLL_TIMEOUT) -> TelegramChannel:
    """The channel named "telegram" in ``bot.channel.CHANNELS``."""
    return TelegramChannel(config.telegram, handle=app.conversations.handle,
                           public_url=config.server.public_url,
                           pool_size=config.outbox.concurrency + 4, poll_timeout=poll_timeout)
