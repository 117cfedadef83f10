"""A fake Telegram Bot API server for tests (aiohttp, in-process, 127.0.0.1, ephemeral port).

The real python-telegram-bot ``Bot`` talks to it over HTTP::

    async with FakeTelegram(token="123:ABC") as tg:
        async with Bot("123:ABC", base_url=tg.base_url) as bot:   # PTB appends the token
            await bot.send_message(chat_id=42, text="Jambo")
        assert tg.sent_messages(chat_id=42)[0]["text"] == "Jambo"

Answers are shaped like Telegram's: ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": N, "description": "...", "parameters": {...}}``. Every request is recorded in
``calls``; faults (429 / 5xx / 403 / hangs) and a token-bucket rate limiter can be switched on
at any time. Module-level ``make_*_update`` builders produce Update dicts shaped as the Bot
API documents them (each parses with ``telegram.Update.de_json``).

How PTB 22 sends requests (``telegram/request/_httpxrequest.py``): always ``POST
{base_url}{token}/{method}`` with ``application/x-www-form-urlencoded`` data (``multipart/
form-data`` when uploading files); string values are sent raw, every other value (int, bool,
dicts such as ``reply_markup``, lists) JSON-encoded. The fake also accepts JSON bodies and
query-string parameters, as Telegram does.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import time
from base64 import urlsafe_b64encode
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes._loopback import LoopbackServer, TokenBucket

__all__ = [
    "Call",
    "FakeTelegram",
    "make_callback_update",
    "make_document_update",
    "make_location_update",
    "make_photo_update",
    "make_sticker_update",
    "make_text_update",
    "make_voice_update",
]

JSON = dict[str, Any]
Clock = Callable[[], float]

DEFAULT_BOT_ID: Final = 123
DEFAULT_BOT_USERNAME: Final = "sauti_test_bot"
DEFAULT_BOT_NAME: Final = "Sauti Test"

# Parameters the Bot API types as String: PTB sends them raw, so they must not be JSON-decoded
# ("123" stays a str). Every other form value is tried as JSON first (ints, bools, objects).
_STRING_PARAMS: Final = frozenset({
    "action", "address", "business_connection_id", "callback_query_id", "caption",
    "custom_title", "description", "emoji", "explanation", "explanation_parse_mode",
    "first_name", "foursquare_id", "foursquare_type", "google_place_id", "google_place_type",
    "inline_message_id", "ip_address", "language_code", "last_name", "message_effect_id",
    "name", "parse_mode", "phone_number", "question", "question_parse_mode", "secret_token",
    "short_description", "text", "title", "url", "vcard",
    # file parameters sent as file_id / URL / "attach://name"
    "animation", "audio", "document", "photo", "sticker", "thumbnail", "video", "video_note",
    "voice",
})

_CHAT_ACTIONS: Final = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})

_SECRET_TOKEN_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
)

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

_DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    429: "Too Many Requests",
    500: "Internal Server Error",
}

# What Telegram's nginx front answers for gateway errors: HTML, not JSON.
_GATEWAY_HTML: Final = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(slots=True)
class Call:
    """One request the fake received (recorded on arrival; ``status`` set once answered)."""

    method: str  # canonical Bot API name, e.g. "sendMessage" (as sent if unknown)
    params: dict[str, Any]  # JSON-decoded values: reply_markup is a dict, chat_id an int
    at: float  # time.monotonic() on arrival
    http_method: str = "POST"
    content_type: str = ""
    status: int | None = None  # HTTP status answered; None while pending


@dataclass(slots=True)
class _Fault:
    remaining: int
    method: str | None  # None: any method except getUpdates
    status: int | None  # None: hang only, then answer normally
    hang: float = 0.0
    description: str | None = None
    retry_after: int | None = None
    after: int = 0  # matching calls let through before this fault starts

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"
        return self.method.lower() == method.lower()


@dataclass(slots=True)
class _Limits:
    global_per_s: float | None
    per_chat_per_s: float | None
    per_group_per_min: float | None
    global_bucket: TokenBucket | None = None
    chat_buckets: dict[str, TokenBucket] = field(default_factory=dict)
    group_buckets: dict[str, TokenBucket] = field(default_factory=dict)


Handler = Callable[[dict[str, Any]], Awaitable[web.Response]]


def _ok(result: Any, description: str | None = None) -> web.Response:
    body: JSON = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body)


def _error(status: int, description: str | None = None,
           parameters: Mapping[str, Any] | None = None) -> web.Response:
    if status in (502, 503, 504):
        phrase = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}[status]
        return web.Response(status=status, content_type="text/html",
                            text=_GATEWAY_HTML.format(status=status, phrase=phrase))
    body: JSON = {
        "ok": False,
        "error_code": status,
        "description": description or _DEFAULT_DESCRIPTIONS.get(status, "Error"),
    }
    if parameters:
        body["parameters"] = dict(parameters)
    return web.json_response(body, status=status)


def _too_many(retry_after: int) -> web.Response:
    return _error(429, f"Too Many Requests: retry after {retry_after}",
                  {"retry_after": retry_after})


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_rate_limited(method: str) -> bool:
    m = method.lower()
    return (m.startswith("send") and m != "sendchataction") or m.startswith("edit") or m in {
        "copymessage", "copymessages", "forwardmessage", "forwardmessages"}


def _is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


class FakeTelegram(LoopbackServer):
    """In-process fake of the Telegram Bot API for one bot token.

    Attributes:
        calls: every request received, in arrival order.
        http_429: number of 429 answers sent (injected with ``fail_next`` or by ``limit``).
        webhook: the current ``setWebhook`` parameters (empty when no webhook is set).
    """

    def __init__(self, token: str = "123:ABC", *, bot_username: str = DEFAULT_BOT_USERNAME,
                 bot_first_name: str = DEFAULT_BOT_NAME, clock: Clock = time.monotonic) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.http_429 = 0
        self.webhook: dict[str, Any] = {}
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._clock = clock
        self._faults: list[_Fault] = []
        self._limits: _Limits | None = None
        self._blocked: set[str] = set()
        self._updates: list[JSON] = []
        self._update_counter = 0
        self._wakeup = asyncio.Event()
        self._poll_generation = 0
        self._next_message_id = 1
        self._sent: list[JSON] = []
        self._photos: list[tuple[str, bytes]] = []  # (chat id, the uploaded file's bytes)
        self._messages: dict[tuple[str, int], JSON] = {}
        self._chats: dict[str, JSON] = {}
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "answerCallbackQuery": self._answer_callback_query,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "editMessageText": self._edit_message_text,
                "deleteMessage": self._delete_message,
                "sendChatAction": self._send_chat_action,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getUpdates": self._get_updates,
                "setMyCommands": self._true,
                "deleteMyCommands": self._true,
            }.items()
        }

    # ----------------------------------------------------------------- lifecycle

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)

    def _on_stop(self) -> None:
        self._notify()

    @property
    def base_url(self) -> str:
        """Pass as ``Bot(token, base_url=tg.base_url)``: PTB appends the token itself."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------ test controls

    def fail_next(self, n: int = 1, status: int = 429, *, retry_after: int = 2,
                  description: str | None = None, method: str | None = None,
                  after: int = 0) -> None:
        """Answer the next ``n`` matching calls with an error.

        429 carries ``parameters.retry_after``; 502/503/504 answer nginx HTML like Telegram's
        front end; others JSON with ``description`` (defaults: 403 "Forbidden: bot was blocked
        by the user", 500 "Internal Server Error", ...). ``method`` restricts the fault to one
        Bot API method; by default it hits any method except ``getUpdates`` (so a background
        long poll does not swallow it). Faults queue in FIFO order with ``hang_next``.
        ``after``: let that many matching calls through first (the second part of a text).
        """
        if n > 0:
            self._faults.append(_Fault(n, method, status, description=description,
                                       retry_after=retry_after if status == 429 else None,
                                       after=after))

    def hang_next(self, n: int = 1, seconds: float = 10.0, *, method: str | None = None) -> None:
        """Delay the answer of the next ``n`` matching calls by ``seconds``, then answer
        normally: like the real service, a call the client gave up on may still take effect
        (the message is recorded as sent). Released at once by ``stop()``."""
        if n > 0:
            self._faults.append(_Fault(n, method, None, hang=seconds))

    def clear_faults(self) -> None:
        self._faults.clear()

    def limit(self, global_per_s: float | None = 30, per_chat_per_s: float | None = 1,
              per_group_per_min: float | None = None) -> None:
        """Enforce Telegram's flood limits with token buckets on sending methods (send*
        except sendChatAction, edit*, copy/forward). A bucket holds ``max(1, rate)`` tokens
        (30 at once globally, 1 per chat; ``per_group_per_min`` tokens for groups, i.e. chat
        ids < 0). Exceeding answers 429 with ``retry_after`` = seconds until a token is back
        (rounded up, at least 1). ``None`` disables one limit; ``tg.limit(None, None)`` all."""
        now = self._clock()
        self._limits = _Limits(global_per_s, per_chat_per_s, per_group_per_min)
        if global_per_s:
            self._limits.global_bucket = TokenBucket(global_per_s, max(1.0, global_per_s), now)

    def unlimit(self) -> None:
        self._limits = None

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot: every send to this chat answers 403 until ``unblock``."""
        self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(str(chat_id))

    def next_update_id(self) -> int:
        """A fresh update_id, above every one pushed so far."""
        self._update_counter += 1
        return self._update_counter

    def push_update(self, update: Mapping[str, Any]) -> int:
        """Queue an update for getUpdates (wakes a waiting long poll); returns its update_id."""
        data = dict(update)
        update_id = int(data["update_id"])
        self._update_counter = max(self._update_counter, update_id)
        self._remember_chat(data)
        self._updates.append(data)
        self._notify()
        return update_id

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSON]:
        """Messages successfully sent by sendMessage (the Message objects answered, as sent,
        in order), optionally for one chat."""
        if chat_id is None:
            return list(self._sent)
        key = str(chat_id)
        return [m for m in self._sent
                if str(m["chat"]["id"]) == key or f"@{m['chat'].get('username')}" == key]

    def sent_photos(self, chat_id: int | str) -> list[bytes]:
        """The files uploaded by sendPhoto to one chat, in order."""
        return [content for chat, content in self._photos if chat == str(chat_id)]

    def message(self, chat_id: int | str, message_id: int) -> JSON | None:
        """Current state of a message the fake sent (after edits), or None."""
        return self._messages.get((str(chat_id), message_id))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def deliver_webhook(self, update: Mapping[str, Any]) -> int:
        """POST one update to the webhook set with setWebhook (local URLs only), with the
        ``X-Telegram-Bot-Api-Secret-Token`` header if a secret was set; returns the HTTP
        status (Telegram would retry the same update on a non-2xx answer)."""
        url = self.webhook.get("url")
        if not url:
            raise RuntimeError("no webhook set")
        if not _is_local(str(url)):
            raise ValueError(f"refusing to deliver to non-local webhook {url!r}")
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
            async with s.post(str(url), data=json.dumps(dict(update)), headers=headers) as r:
                await r.read()
                return r.status

    # ------------------------------------------------------------------- HTTP

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error(404, "Not Found")

    async def _parse(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _decode_form_value(k, v) for k, v in request.query.items()}
        if request.method not in ("POST", "PUT") or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = {"filename": value.filename, "content_type": value.content_type,
                               "size": len(content), "content": content}
            else:
                params[key] = _decode_form_value(key, str(value))
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        entry = self._methods.get(name.lower())
        try:
            params = await self._parse(request)
        except ValueError as exc:
            params = {}
            parse_error: str | None = f"Bad Request: can't parse request: {exc}"
        else:
            parse_error = None
        call = Call(method=entry[0] if entry else name, params=params, at=time.monotonic(),
                    http_method=request.method,
                    content_type=request.content_type if "Content-Type" in request.headers
                    else "")
        self.calls.append(call)
        response = await self._answer(request, call, entry, parse_error)
        call.status = response.status
        if response.status == 429:
            self.http_429 += 1
        return response

    async def _answer(self, request: web.Request, call: Call, entry: tuple[str, Handler] | None,
                      parse_error: str | None) -> web.Response:
        if request.match_info["token"] != self.token or entry is None:
            return _error(404, "Not Found")
        if parse_error:
            return _error(400, parse_error)
        fault = self._take_fault(call.method)
        if fault is not None:
            if fault.hang:
                await self._pause(fault.hang)
            if fault.status is not None:
                if fault.status == 429:
                    return _too_many(fault.retry_after or 1)
                return _error(fault.status, fault.description)
        params = call.params
        chat_key = str(params.get("chat_id", ""))
        targets_chat = _is_rate_limited(call.method) or call.method == "sendChatAction"
        if targets_chat and chat_key in self._blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if _is_rate_limited(call.method):
            retry_after = self._check_limits(chat_key)
            if retry_after:
                return _too_many(retry_after)
        return await entry[1](params)

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _check_limits(self, chat_key: str) -> int:
        limits = self._limits
        if limits is None:
            return 0
        now = self._clock()
        buckets: list[TokenBucket] = []
        if limits.global_bucket is not None:
            buckets.append(limits.global_bucket)
        if limits.per_chat_per_s and chat_key:
            rate = limits.per_chat_per_s
            buckets.append(limits.chat_buckets.setdefault(
                chat_key, TokenBucket(rate, max(1.0, rate), now)))
        if limits.per_group_per_min and chat_key.startswith("-"):
            per_min = limits.per_group_per_min
            buckets.append(limits.group_buckets.setdefault(
                chat_key, TokenBucket(per_min / 60, max(1.0, per_min), now)))
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return 0

    def _notify(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    # ---------------------------------------------------------- chats, messages

    def _remember_chat(self, update: JSON) -> None:
        for kind in ("message", "edited_message", "channel_post", "callback_query"):
            obj = update.get(kind)
            if not isinstance(obj, dict):
                continue
            msg = obj.get("message") if kind == "callback_query" else obj
            if isinstance(msg, dict) and isinstance(msg.get("chat"), dict):
                self._chats.setdefault(str(msg["chat"]["id"]), dict(msg["chat"]))

    def _chat(self, chat_id: Any) -> JSON:
        key = str(chat_id)
        if key in self._chats:
            return dict(self._chats[key])
        if key.startswith("@"):
            digest = int(hashlib.sha1(key.encode()).hexdigest()[:9], 16)
            return {"id": -1_000_000_000_000 - digest, "title": key[1:], "username": key[1:],
                    "type": "channel"}
        numeric = int(chat_id)
        if numeric > 0:
            return {"id": numeric, "first_name": "Resident", "type": "private"}
        if key.startswith("-100"):
            return {"id": numeric, "title": "Test supergroup", "type": "supergroup"}
        return {"id": numeric, "title": "Test group", "type": "group"}

    def _new_message(self, chat_id: Any, **content: Any) -> JSON:
        message: JSON = {
            "message_id": self._next_message_id,
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        self._next_message_id += 1
        message.update({k: v for k, v in content.items() if v is not None})
        return message

    @staticmethod
    def _check_markup(markup: Any) -> str | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            return "Bad Request: can't parse reply keyboard markup JSON object"
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
                if not button.get("text"):
                    return "Bad Request: text buttons are unallowed in the inline keyboard"
        return None

    @staticmethod
    def _echoed_markup(markup: Any) -> JSON | None:
        # Telegram returns reply_markup in the Message only for inline keyboards.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            return markup
        return None

    # -------------------------------------------------------------- Bot API

    async def _true(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _get_me(self, params: dict[str, Any]) -> web.Response:
        return _ok(self.bot_user)

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        if params.get("chat_id") in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if problem := self._check_markup(markup):
            return _error(400, problem)
        try:
            message = self._new_message(params["chat_id"], text=text,
                                        entities=params.get("entities"),
                                        reply_markup=self._echoed_markup(markup))
        except ValueError:
            return _error(400, "Bad Request: chat not found")
        self._messages[(str(message["chat"]["id"]), message["message_id"])] = message
        if str(params["chat_id"]).startswith("@"):
            self._messages[(str(params["chat_id"]), message["message_id"])] = message
        self._sent.append(json.loads(json.dumps(message)))
        return _ok(message)

    async def _send_photo(self, params: dict[str, Any]) -> web.Response:
        """An uploaded photo (multipart, as PTB sends bytes), its caption at most 1,024
        characters; recorded among the sent messages with a ``photo`` size list."""
        if params.get("chat_id") in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        photo = params.get("photo")
        if not isinstance(photo, dict) or not photo.get("size"):
            return _error(400, "Bad Request: there is no photo in the request")
        caption = params.get("caption")
        if isinstance(caption, str) and _utf16_len(caption) > 1024:
            return _error(400, "Bad Request: message caption is too long")
        markup = params.get("reply_markup")
        if problem := self._check_markup(markup):
            return _error(400, problem)
        digest = hashlib.sha256(photo["content"]).hexdigest()[:16]
        sizes = [{"file_id": f"photo-{digest}", "file_unique_id": digest,
                  "width": 90, "height": 60, "file_size": photo["size"]}]
        try:
            message = self._new_message(params["chat_id"], photo=sizes, caption=caption,
                                        reply_markup=self._echoed_markup(markup))
        except ValueError:
            return _error(400, "Bad Request: chat not found")
        self._messages[(str(message["chat"]["id"]), message["message_id"])] = message
        self._photos.append((str(message["chat"]["id"]), photo["content"]))
        self._sent.append(json.loads(json.dumps(message)))
        return _ok(message)

    async def _answer_callback_query(self, params: dict[str, Any]) -> web.Response:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired or "
                               "query ID is invalid")
        if len(str(params.get("text", ""))) > 200:
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        return _ok(True)

    async def _edit(self, params: dict[str, Any], **changes: Any) -> web.Response:
        markup = params.get("reply_markup")
        if problem := self._check_markup(markup):
            return _error(400, problem)
        if params.get("inline_message_id"):
            return _ok(True)
        if params.get("chat_id") in (None, "") or params.get("message_id") is None:
            return _error(400, "Bad Request: message identifier is not specified")
        key = (str(params["chat_id"]), int(params["message_id"]))
        old = self._messages.get(key)
        new: JSON = dict(old) if old is not None else {
            "message_id": key[1],
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": self._chat(params["chat_id"]),
            "date": int(time.time()) - 1,
        }
        new.update({k: v for k, v in changes.items() if v is not None})
        new.pop("reply_markup", None)
        if (echoed := self._echoed_markup(markup)) is not None:
            new["reply_markup"] = echoed
        def content(m: JSON) -> JSON:
            return {k: v for k, v in m.items() if k != "edit_date"}

        if old is not None and content(old) == content(new):
            return _error(400, _NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self._messages[key] = new
        return _ok(new)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> web.Response:
        return await self._edit(params)

    async def _edit_message_text(self, params: dict[str, Any]) -> web.Response:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        return await self._edit(params, text=text, entities=params.get("entities"))

    async def _delete_message(self, params: dict[str, Any]) -> web.Response:
        key = (str(params.get("chat_id", "")), int(params.get("message_id", 0)))
        self._messages.pop(key, None)
        return _ok(True)

    async def _send_chat_action(self, params: dict[str, Any]) -> web.Response:
        if params.get("chat_id") in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        if params.get("action") not in _CHAT_ACTIONS:
            return _error(400, "Bad Request: wrong parameter action in request")
        return _ok(True)

    async def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and (
            not 1 <= len(str(secret)) <= 256 or not set(str(secret)) <= _SECRET_TOKEN_CHARS
        ):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if not url:
            was_set = bool(self.webhook)
            self.webhook = {}
            return _ok(True, "Webhook was deleted" if was_set else "Webhook is already deleted")
        if urlsplit(url).scheme not in ("http", "https"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                               "webhook")
        already = self.webhook.get("url") == url
        self.webhook = {k: v for k, v in params.items() if k != "drop_pending_updates"}
        self._poll_generation += 1  # a webhook ends any long poll
        self._notify()
        return _ok(True, "Webhook is already set" if already else "Webhook was set")

    async def _delete_webhook(self, params: dict[str, Any]) -> web.Response:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        was_set = bool(self.webhook)
        self.webhook = {}
        return _ok(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: dict[str, Any]) -> web.Response:
        info: JSON = {
            "url": str(self.webhook.get("url", "")),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = int(self.webhook.get("max_connections", 40))
            info["ip_address"] = "127.0.0.1"
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return _ok(info)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        self._confirm(offset)
        # A newer getUpdates terminates an older one still waiting (it answers 409).
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                if self.webhook:
                    return _error(409, "Conflict: terminated by setWebhook request")
                return _error(409)
            if offset > 0:
                self._confirm(offset)
            if self._updates or self._closing.is_set():
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                pass
        return _ok(json.loads(json.dumps(self._updates[:limit])))


# ----------------------------------------------------------------------- builders


def _file_ids(kind: str, seed: object) -> tuple[str, str]:
    """Deterministic ids shaped like Telegram's (opaque URL-safe base64)."""
    digest = hashlib.sha256(f"{kind}:{seed}".encode()).digest()
    body = urlsafe_b64encode(digest + digest[:15]).decode().rstrip("=")
    prefix = {"photo": "AgACAgQAAxkBAAI", "voice": "AwACAgQAAxkBAAI",
              "sticker": "CAACAgIAAxkBAAI", "document": "BQACAgQAAxkBAAI"}.get(kind, "AAMCAgQ")
    return prefix + body, "AgAD" + urlsafe_b64encode(digest[:9]).decode()


def _user(user_id: int, first_name: str, last_name: str | None, username: str | None,
          language_code: str | None) -> JSON:
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def _chat_for(user: JSON, chat_type: str, chat_id: int | None, title: str | None) -> JSON:
    if chat_type == "private":
        chat: JSON = {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
        return {"id": chat_id if chat_id is not None else user["id"], **chat, "type": "private"}
    if chat_id is None:
        chat_id = -(1_000_000_000_000 + user["id"]) if chat_type in ("supergroup", "channel") \
            else -(4_000_000_000 + user["id"])
    return {"id": chat_id, "title": title or "Kikundi cha majaribio", "type": chat_type}


def _message_update(update_id: int, user_id: int, content: JSON, *, first_name: str,
                    language_code: str | None, chat_type: str, chat_id: int | None,
                    message_id: int | None, date: int | None, last_name: str | None = None,
                    username: str | None = None, chat_title: str | None = None,
                    extra: Mapping[str, Any] | None = None) -> JSON:
    user = _user(user_id, first_name, last_name, username, language_code)
    message: JSON = {
        "message_id": message_id if message_id is not None else update_id,
        "from": user,
        "chat": _chat_for(user, chat_type, chat_id, chat_title),
        "date": date if date is not None else int(time.time()),
        **content,
    }
    if extra:
        message.update(extra)
    return {"update_id": update_id, "message": message}


def make_text_update(update_id: int, user_id: int, text: str, first_name: str = "Amani",
                     chat_type: str = "private", language_code: str | None = "fr", *,
                     last_name: str | None = None, username: str | None = None,
                     chat_id: int | None = None, chat_title: str | None = None,
                     message_id: int | None = None, date: int | None = None,
                     extra: Mapping[str, Any] | None = None) -> JSON:
    """A text message update. A leading "/command" gets its ``bot_command`` entity, as
    Telegram adds it (PTB's CommandHandler relies on it)."""
    content: JSON = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": _utf16_len(command)}]
    return _message_update(update_id, user_id, content, first_name=first_name,
                           last_name=last_name, username=username,
                           language_code=language_code, chat_type=chat_type, chat_id=chat_id,
                           chat_title=chat_title, message_id=message_id, date=date, extra=extra)


def make_callback_update(update_id: int, user_id: int, data: str, message_id: int, *,
                         first_name: str = "Amani", language_code: str | None = "fr",
                         chat_id: int | None = None, chat_type: str = "private",
                         message_text: str = "Chagua / Choisissez :",
                         reply_markup: Mapping[str, Any] | None = None,
                         bot_id: int = DEFAULT_BOT_ID,
                         bot_username: str = DEFAULT_BOT_USERNAME,
                         callback_query_id: str | None = None) -> JSON:
    """A button press on the bot's message ``message_id`` (a ``callback_query`` update)."""
    user = _user(user_id, first_name, None, None, language_code)
    chat = _chat_for(user, chat_type, chat_id, None)
    bot = {"id": bot_id, "is_bot": True, "first_name": DEFAULT_BOT_NAME, "username": bot_username}
    message: JSON = {"message_id": message_id, "from": bot, "chat": chat,
                     "date": int(time.time()) - 60, "text": message_text}
    if reply_markup is not None:
        message["reply_markup"] = dict(reply_markup)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_query_id or str(4_382_170_000_000_000_000 + update_id),
            "from": user,
            "message": message,
            "chat_instance": str(-5_810_000_000_000_000_000 - abs(chat["id"])),
            "data": data,
        },
    }


def make_photo_update(update_id: int, user_id: int, caption: str | None = None, *,
                      first_name: str = "Amani", language_code: str | None = "fr",
                      chat_type: str = "private", chat_id: int | None = None,
                      message_id: int | None = None, date: int | None = None) -> JSON:
    """A photo message: ``photo`` is the list of sizes Telegram sends (small to large)."""
    sizes = []
    for i, (width, height, size) in enumerate(
            [(90, 67, 1_402), (320, 240, 19_872), (800, 600, 84_117), (1280, 960, 161_320)]):
        file_id, unique = _file_ids("photo", f"{update_id}:{i}")
        sizes.append({"file_id": file_id, "file_unique_id": unique, "file_size": size,
                      "width": width, "height": height})
    content: JSON = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return _message_update(update_id, user_id, content, first_name=first_name,
                           language_code=language_code, chat_type=chat_type,
                           chat_id=chat_id, message_id=message_id, date=date)


def make_voice_update(update_id: int, user_id: int, duration: int = 4, *,
                      first_name: str = "Amani", language_code: str | None = "fr",
                      chat_type: str = "private", chat_id: int | None = None,
                      message_id: int | None = None, date: int | None = None) -> JSON:
    """A voice note (OGG/Opus)."""
    file_id, unique = _file_ids("voice", update_id)
    content: JSON = {"voice": {"file_id": file_id, "file_unique_id": unique,
                               "duration": duration, "mime_type": "audio/ogg",
                               "file_size": 4_000 * max(duration, 1)}}
    return _message_update(update_id, user_id, content, first_name=first_name,
                           language_code=language_code, chat_type=chat_type,
                           chat_id=chat_id, message_id=message_id, date=date)


def make_location_update(update_id: int, user_id: int, latitude: float, longitude: float, *,
                         horizontal_accuracy: float | None = None, first_name: str = "Amani",
                         language_code: str | None = "fr", chat_type: str = "private",
                         chat_id: int | None = None, message_id: int | None = None,
                         date: int | None = None) -> JSON:
    """A shared location (not a venue, not live)."""
    location: JSON = {"latitude": latitude, "longitude": longitude}
    if horizontal_accuracy is not None:
        location["horizontal_accuracy"] = horizontal_accuracy
    return _message_update(update_id, user_id, {"location": location}, first_name=first_name,
                           language_code=language_code, chat_type=chat_type,
                           chat_id=chat_id, message_id=message_id, date=date)


def make_sticker_update(update_id: int, user_id: int, emoji: str = "👍", *,
                        first_name: str = "Amani", language_code: str | None = "fr",
                        chat_type: str = "private", chat_id: int | None = None,
                        message_id: int | None = None, date: int | None = None) -> JSON:
    """A regular static (WEBP) sticker."""
    file_id, unique = _file_ids("sticker", update_id)
    thumb_id, thumb_unique = _file_ids("sticker-thumb", update_id)
    sticker: JSON = {
        "file_id": file_id, "file_unique_id": unique, "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False,
        "emoji": emoji, "set_name": "SautiTestPack", "file_size": 23_456,
        "thumbnail": {"file_id": thumb_id, "file_unique_id": thumb_unique,
                      "file_size": 5_112, "width": 128, "height": 128},
    }
    return _message_update(update_id, user_id, {"sticker": sticker}, first_name=first_name,
                           language_code=language_code, chat_type=chat_type,
                           chat_id=chat_id, message_id=message_id, date=date)


def make_document_update(update_id: int, user_id: int, file_name: str = "rapport.pdf",
                         mime_type: str = "application/pdf", caption: str | None = None, *,
                         file_size: int = 48_213, first_name: str = "Amani",
                         language_code: str | None = "fr", chat_type: str = "private",
                         chat_id: int | None = None, message_id: int | None = None,
                         date: int | None = None) -> JSON:
    """A file sent as a document."""
    file_id, unique = _file_ids("document", update_id)
    content: JSON = {"document": {"file_name": file_name, "mime_type": mime_type,
                                  "file_id": file_id, "file_unique_id": unique,
                                  "file_size": file_size}}
    if caption:
        content["caption"] = caption
    return _message_update(update_id, user_id, content, first_name=first_name,
                           language_code=language_code, chat_type=chat_type,
                           chat_id=chat_id, message_id=message_id, date=date)
