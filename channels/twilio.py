"""What the SMS and WhatsApp channels share: one Twilio client, webhooks, errors.

One :class:`TwilioGateway` per App (kept in ``app.shared["twilio"]``) owns the
only twilio ``Client``, pointed at ``twilio.api_base_url``. It verifies and
parses Twilio's signed form posts, answers them once the turn is durable, serves
the status callback route once, and turns twilio's exceptions into
:class:`SendError` with reasons safe to store (never a number, never text).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import email.utils
import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from multidict import MultiDict
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.domain.messages import Inbound, MediaKind
from bot.text.segments import split
from bot.transport.channel import Handler, Route, SendError

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
MAX_BODY_CHARS = 1600  # Twilio refuses a longer Body (error 21617)
MAX_MEDIA = 10
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_STATUS = re.compile(r"[a-z_-]{1,32}")
_MEDIA_FAMILIES = {"image": MediaKind.PHOTO, "audio": MediaKind.VOICE, "video": MediaKind.VIDEO}
_REASONS = {21211: "invalid number", 21614: "not a mobile number"}
# The Retry-After header of the request running in this task: twilio's exceptions drop
# the response headers, so an aiohttp trace hook keeps it here for the caller.
_retry_after: contextvars.ContextVar[list[str]] = contextvars.ContextVar("twilio_retry_after")

Form = Mapping[str, str]


class FormError(ValueError):
    """A webhook form that cannot be a Twilio message (answered 400)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """What Twilio answered to one accepted message."""

    sid: str
    segments: int | None


def send_error(exc: BaseException) -> SendError:
    """Map a twilio or transport failure to a :class:`SendError`; ``exc`` text is never kept
    (Twilio's messages can quote the number)."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status, code = int(exc.status), int(exc.code or exc.status)
        if code == 21610:
            return SendError("twilio 21610: recipient opted out", retryable=False,
                             opted_out=True)
        if status == 401 or code == 20003:  # our account's credentials, not this message
            return SendError("twilio 20003: credentials refused", retryable=True,
                             channel_down=True)
        if status == 429 or code in (20429, 63018):
            headers = _retry_after.get(None)
            return SendError(f"twilio {code}: rate limited", retryable=True,
                             retry_after=parse_retry_after(headers[-1]) if headers else None)
        if code == 63016:
            return SendError("twilio 63016: outside WhatsApp 24h window", retryable=False)
        if code in _REASONS:
            return SendError(f"twilio {code}: {_REASONS[code]}", retryable=False)
        if status >= 500:
            return SendError(f"twilio {code}: server error {status}", retryable=True)
        return SendError(f"twilio {code}: rejected ({status})", retryable=False)
    if isinstance(exc, TimeoutError):
        return SendError("twilio: timed out", retryable=True)
    if isinstance(exc, aiohttp.ClientConnectorError):  # not connected: nothing went out
        return SendError(f"twilio: transport {type(exc).__name__}", retryable=True,
                         channel_down=True)
    if isinstance(exc, aiohttp.ClientError):
        return SendError(f"twilio: transport {type(exc).__name__}", retryable=True)
    raise TypeError(f"not a send failure: {type(exc).__name__}") from exc


def parse_retry_after(value: str | None, cap: float = 3600.0) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(cap, max(0.0, seconds)) if math.isfinite(seconds) else None


def message_bodies(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """``text`` as messages of at most ``limit`` UTF-16 units: one if it fits, else the
    parts of :func:`bot.sms.split` (word boundaries, pairs kept whole) grouped greedily,
    keeping the original spacing inside each message."""
    if _units(text) <= limit:
        return [text] if text else []
    spans: list[tuple[int, int]] = []
    for part in split(text):  # each part is a substring of text, in order
        start = text.index(part, spans[-1][1] if spans else 0)
        spans.append((start, start + len(part)))
    bodies: list[str] = []
    first, last = spans[0]
    for start, end in spans[1:]:
        if _units(text[first:end]) <= limit:
            last = end
        else:
            bodies.append(text[first:last])
            first, last = start, end
    bodies.append(text[first:last])
    return bodies


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def media_of(form: Form) -> tuple[MediaKind, ...]:
    """Kinds of the attachments (NumMedia, MediaContentTypeN); the media is not fetched."""
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise FormError("NumMedia") from None
    if count < 0:
        raise FormError("NumMedia")
    kinds: list[MediaKind] = []
    for i in range(min(count, MAX_MEDIA)):
        family = form.get(f"MediaContentType{i}", "").split("/", 1)[0].strip().lower()
        kinds.append(_MEDIA_FAMILIES.get(family, MediaKind.DOCUMENT))
    return tuple(kinds)


def required(form: Form, name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise FormError(name)
    return value


def twiml() -> web.Response:
    """Twilio's "handled, nothing to say here": replies go through the outbox."""
    return web.Response(text=EMPTY_TWIML, content_type="text/xml", charset="utf-8")


class TwilioGateway:
    """The one Twilio client of an App, its webhook checks and its status route."""

    def __init__(self, config: Config, app: App) -> None:
        settings = config.twilio
        self._app = app
        self._account_sid = settings.account_sid
        self._auth_token = settings.auth_token
        self._base_url = settings.api_base_url
        self._timeout = settings.send_timeout_seconds
        self._validator = RequestValidator(settings.auth_token.get_secret_value())
        self._token = hmac.new(settings.auth_token.get_secret_value().encode(),
                               digestmod=hashlib.sha1)
        self.public_url = config.server.public_url.rstrip("/")
        self.status_callback = self.public_url + STATUS_PATH
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Any = None
        self._users = 0
        self._status_owner: str | None = None

    @classmethod
    def of(cls, config: Config, app: App) -> TwilioGateway:
        """The App's gateway, made by whichever Twilio channel comes first."""
        gateway = app.shared.get("twilio")
        if not isinstance(gateway, TwilioGateway):
            gateway = app.shared["twilio"] = cls(config, app)
        return gateway

    # ----------------------------------------------------------------- lifetime

    async def acquire(self) -> None:
        """Open the client on the first channel's start (aiohttp needs a running loop)."""
        self._users += 1
        if self._http is not None:
            return
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(_keep_retry_after)
        # max_retries stays None: twilio would then wrap the session in aiohttp_retry's
        # RetryClient, and the outbox's backoff must be the only retry.
        self._http = FormEncodingHttpClient(timeout=self._timeout, trace_configs=[trace])
        # environment={}: TWILIO_EDGE / TWILIO_REGION would otherwise rewrite the host.
        client = Client(self._account_sid, self._auth_token.get_secret_value(),
                        http_client=self._http, environment={})
        client.api.base_url = self._base_url
        self._client = client

    async def release(self) -> None:
        """Close the client when the last channel using it stops."""
        self._users = max(0, self._users - 1)
        if self._users == 0 and self._http is not None:
            http, self._http, self._client = self._http, None, None
            await http.close()

    # -------------------------------------------------------------------- send

    async def create(self, to: str, from_: str, *, body: str | None = None,
                     content_sid: str | None = None,
                     content_variables: Mapping[str, str] | None = None) -> Sent:
        """POST one message to Twilio's Messages API; raises :class:`SendError`."""
        if self._client is None:
            raise SendError("twilio: client not started", retryable=True)
        fields: dict[str, Any] = {"to": to, "from_": from_,
                                  "status_callback": self.status_callback}
        if content_sid:
            fields["content_sid"] = content_sid
            fields["content_variables"] = json.dumps(dict(content_variables or {}))
        else:
            fields["body"] = body or ""
        token = _retry_after.set([])
        try:
            # twilio's async client passes timeout=None to aiohttp (no limit at all):
            # the bound has to be ours.
            async with asyncio.timeout(self._timeout):
                message = await self._client.api.account.messages.create_async(**fields)
        except (TwilioRestException, TwilioServiceException, aiohttp.ClientError,
                TimeoutError) as exc:
            raise send_error(exc) from None
        finally:
            _retry_after.reset(token)
        segments = getattr(message, "num_segments", None)
        return Sent(str(message.sid),
                    int(segments) if segments and str(segments).isdigit() else None)

    # ---------------------------------------------------------------- webhooks

    def webhook(self, parse: Callable[[Form], Inbound]) -> Handler:
        """A handler: verify, parse, hand to the conversations, answer once durable."""

        async def handle(request: web.Request) -> web.StreamResponse:
            form = await self._verified_form(request)
            try:
                inbound = parse(form)
            except FormError as exc:
                log.info("twilio webhook: bad form field %s", exc)
                return web.Response(status=400, text="bad form")
            try:
                await self._app.conversations.handle(inbound)
            except Exception as exc:  # not durable: 500 so that Twilio may try again
                log.error("twilio webhook on %s: handling failed (%s)", inbound.channel,
                          type(exc).__name__)
                return web.Response(status=500, text="not handled")
            return twiml()

        return handle

    def status_routes(self, channel: str) -> Sequence[Route]:
        """The status callback route, for the first channel that asks (mounted once)."""
        if self._status_owner is None:
            self._status_owner = channel
        if self._status_owner != channel:
            return []
        return [Route("POST", STATUS_PATH, self._status)]

    async def _status(self, request: web.Request) -> web.StreamResponse:
        form = await self._verified_form(request)
        sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "").lower()
        if not sid or not _STATUS.fullmatch(status):
            return web.Response(status=400, text="bad form")
        code = form.get("ErrorCode", "").strip()
        error = None if not code else f"twilio {code}" if code.isdigit() else "twilio error"
        channel = "whatsapp" if form.get("From", "").startswith("whatsapp:") else "sms"
        try:
            known = await self._app.delivery_status(channel, sid, status, error)
        except Exception as exc:
            log.error("twilio status callback: not stored (%s)", type(exc).__name__)
            return web.Response(status=500, text="not stored")
        if not known:
            log.info("twilio status callback for an unknown message on %s", channel)
        return web.Response(status=200, text="")

    async def _verified_form(self, request: web.Request) -> dict[str, str]:
        """The posted form, if Twilio signed it for our public URL (else 400 / 403)."""
        if request.content_type != "application/x-www-form-urlencoded":
            raise web.HTTPBadRequest(text="form-encoded body expected")
        try:
            pairs = [(key, str(value)) for key, value in (await request.post()).items()]
        except (ValueError, LookupError):
            raise web.HTTPBadRequest(text="unparsable form") from None
        signature = request.headers.get("X-Twilio-Signature", "")
        url = self.public_url + request.rel_url.raw_path_qs
        # All the pairs: a repeated field is signed with all its values.
        if not signature or not self._signed(url, pairs, signature):
            log.warning("twilio webhook: bad or missing signature on %s", request.path)
            raise web.HTTPForbidden(text="invalid signature")
        return dict(reversed(pairs))  # the first value of each field

    def _signed(self, url: str, pairs: list[tuple[str, str]], signature: str) -> bool:
        """Twilio's check. The URL exactly as configured is tried first (one
        HMAC); twilio's own ``validate`` then also tries it with and without the
        port, as Twilio's signing is inconsistent there (two more)."""
        if hmac.compare_digest(signature_of(self._token, url, pairs).encode(),
                               signature.encode()):
            return True
        return bool(self._validator.validate(url, MultiDict(pairs), signature))


def signature_of(token: hmac.HMAC, url: str, pairs: Sequence[tuple[str, str]]) -> str:
    """Twilio's webhook signature (``RequestValidator.compute_signature``, which
    the tests check it against): HMAC-SHA1, base64, of the URL followed by each
    distinct name and value, sorted by name, then by value.

    ``token`` is an HMAC-SHA1 keyed with the auth token, copied per message:
    that costs a third of keying a new one, which OpenSSL 3 does by looking the
    algorithm up again every time."""
    fields = dict(pairs)
    if len(fields) == len(pairs):  # no name twice, as usual: sorting the names will do
        data = url + "".join([name + fields[name] for name in sorted(fields)])
    else:
        data = url + "".join(name + value for name, value in sorted(set(pairs)))
    mac = token.copy()
    mac.update(data.encode())
    return base64.b64encode(mac.digest()).decode()


class FormEncodingHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """twilio's async HTTP client, with the form body encoded here.

    Handed a dict, aiohttp first looks for a payload type that takes one, fails,
    then builds a FormData (and a multipart writer with a random boundary it
    never uses) only to urlencode it: a quarter of a send's cost. The bytes are
    the same (``urlencode(doseq=True)`` is what FormData does); twilio already
    sets the Content-Type.
    """

    async def request(self, method: str, url: str, params: Any = None, data: Any = None,
                      headers: Any = None, auth: Any = None,
                      timeout: float | None = None,  # noqa: ASYNC109 - twilio's signature
                      allow_redirects: bool = False) -> Any:
        if isinstance(data, Mapping) and data:
            data = urlencode(data, doseq=True).encode()
        return await super().request(method, url, params, data, headers, auth, timeout,
                                     allow_redirects)


async def _keep_retry_after(session: aiohttp.ClientSession, context: SimpleNamespace,
                            params: aiohttp.TraceRequestEndParams) -> None:
    holder = _retry_after.get(None)
    if holder is not None:
        holder.append(params.response.headers.get("Retry-After", ""))


class TwilioChannel:
    """What the SMS and WhatsApp channels share: the gateway's lifetime, the
    webhook route and the status route (mounted once for both)."""

    name: str
    webhook_path: str
    parse: Callable[[Form], Inbound]

    def __init__(self, gateway: TwilioGateway, sender: str, per_second: float) -> None:
        self._gateway = gateway
        self._sender = sender
        self._per_second = per_second

    async def start(self) -> None:
        await self._gateway.acquire()

    async def stop(self) -> None:
        await self._gateway.release()

    def routes(self) -> Sequence[Route]:
        return [Route("POST", self.webhook_path, self._gateway.webhook(type(self).parse)),
                *self._gateway.status_routes(self.name)]
