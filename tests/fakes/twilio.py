"""A fake Twilio REST API (Messages) for tests, plus builders for Twilio's inbound webhooks.

The real twilio ``Client`` talks to it over HTTP::

    async with FakeTwilio() as tw:
        http = AsyncTwilioHttpClient()
        client = Client(tw.account_sid, tw.auth_token, http_client=http)
        client.api.base_url = tw.base_url
        msg = await client.messages.create_async(to="+243810000001", from_="+243810000900",
                                                 body="Jambo")
        await http.close()
        assert tw.messages[0]["Body"] == "Jambo" and msg.sid == tw.messages[0]["sid"]

How twilio 9.13 sends (``twilio/http/async_http_client.py``): ``POST {api.base_url}/2010-04-01/
Accounts/{sid}/Messages.json``, ``application/x-www-form-urlencoded`` body with the API's
capitalised names (To, From, Body, StatusCallback, MediaUrl repeated...), HTTP Basic auth
(account sid, auth token). Errors are read from ``{"code", "message", "more_info",
"status"}`` JSON into ``TwilioRestException``.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
import phonenumbers
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.text.segments import measure
from tests.fakes._loopback import LoopbackServer, TokenBucket

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "FakeTwilio",
    "TwilioCall",
    "signed_post_form",
    "sms_form",
    "status_form",
    "whatsapp_form",
]

JSON = dict[str, Any]
Clock = Callable[[], float]

DEFAULT_ACCOUNT_SID: Final = "AC" + "5a17" * 8  # "AC" + 32 hex, invented
DEFAULT_AUTH_TOKEN: Final = "f4ke" * 8
API_VERSION: Final = "2010-04-01"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_LIST_FIELDS: Final = frozenset({"MediaUrl", "PersistentAction"})

_MESSAGES: Final = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service unavailable",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21910: "Invalid From and To pair. From and To should be of the same channel",
    63016: "Failed to send freeform message because you are outside the allowed window. "
           "If you are using WhatsApp, please use a Message Template.",
    63018: "Rate limit exceeded for Channel",
}
_DEFAULT_CODES: Final = {400: 21211, 401: 20003, 404: 20404, 429: 20429, 500: 20500,
                         503: 20503}


@dataclass(slots=True)
class TwilioCall:
    """One REST request the fake received (recorded on arrival)."""

    http_method: str
    path: str
    params: dict[str, Any]  # form fields; MediaUrl / repeated fields as lists
    at: float  # time.monotonic() on arrival
    authenticated: bool = False
    status: int | None = None  # HTTP status answered; None while pending


@dataclass(slots=True)
class _Fault:
    remaining: int
    status: int | None  # None: hang only
    hang: float = 0.0
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    after: int = 0  # calls let through before this fault starts


def _error(status: int, code: int | None = None, message: str | None = None,
           headers: Mapping[str, str] | None = None) -> web.Response:
    code = code if code is not None else _DEFAULT_CODES.get(status, status)
    body = {
        "code": code,
        "message": message or _MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status, headers=headers)


def _new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def _rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment)  # "Tue, 25 Nov 2025 01:02:03 +0000"


def _bare(address: str) -> str:
    return address.split(":", 1)[1] if ":" in address else address


def _channel(address: str) -> str:
    return address.split(":", 1)[0] if ":" in address else "sms"


def _segments(body: str) -> int:
    return max(1, measure(body).segments)


def _is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


class FakeTwilio(LoopbackServer):
    """In-process fake of the Twilio Messages API for one account.

    Attributes:
        messages: accepted messages: the form fields as sent (To, From, Body, ...; MediaUrl as
            a list) plus ``sid``, ``at`` (monotonic), ``num_segments`` (int) and ``status``.
        calls: every REST request, in arrival order (including rejected ones).
        http_429: number of 429 answers sent (injected or by ``limit``).
        deleted: sids of Message resources deleted through the API, in order.

    Like Twilio's, its message log (``GET Messages.json``, ``log``) holds every
    message it sent and every inbound one posted through :meth:`post_signed`,
    with body and numbers, until deleted. ``settle_seconds``: how long after its
    creation a message cannot be deleted yet (Twilio's 20009).
    """

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID,
                 auth_token: str = DEFAULT_AUTH_TOKEN, *, clock: Clock = time.monotonic) -> None:
        if not re.fullmatch(r"AC[0-9a-f]{32}", account_sid):
            raise ValueError("account_sid must be 'AC' + 32 lowercase hex digits")
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[JSON] = []
        self.calls: list[TwilioCall] = []
        self.http_429 = 0
        self.deleted: list[str] = []
        self.settle_seconds = 0.0
        self._resources: dict[str, JSON] = {}
        self._clock = clock
        self._faults: list[_Fault] = []
        self._opted_out: set[str] = set()
        self._media: dict[str, tuple[bytes, str]] = {}
        self._limit: tuple[float, float, float | None] | None = None
        self._buckets: dict[str, TokenBucket] = {}

    # ----------------------------------------------------------------- lifecycle

    def _routes(self, app: web.Application) -> None:
        base = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(f"{base}/Messages.json", self._create_message)
        app.router.add_get(f"{base}/Messages.json", self._list_messages)
        app.router.add_get(f"{base}/Messages/{{sid}}.json", self._fetch_message)
        app.router.add_delete(f"{base}/Messages/{{sid}}.json", self._delete_message)
        app.router.add_get(f"{base}/Messages/{{sid}}/Media/{{media}}", self._get_media)
        app.router.add_route("*", "/{tail:.*}", self._not_found)

    @property
    def base_url(self) -> str:
        """Set as ``client.api.base_url`` (no trailing slash, no API version)."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ test controls

    def fail_next(self, n: int = 1, status: int = 429, code: int | None = None,
                  message: str | None = None, *, retry_after: float | None = None,
                  after: int = 0) -> None:
        """Answer the next ``n`` authenticated REST calls with a Twilio error JSON.

        ``code`` defaults by status (429 -> 20429, 500 -> 20500, 400 -> 21211, ...) and
        ``message`` by code (21610 "Attempt to send to unsubscribed recipient", 63016 ...).
        ``retry_after`` adds a Retry-After header (real Twilio does not promise one).
        Faults queue in FIFO order with ``hang_next``; nothing is recorded in ``messages``.
        ``after``: let that many calls through first (the second part of a long text).
        """
        if n > 0:
            self._faults.append(_Fault(n, status, code=code, message=message,
                                       retry_after=retry_after, after=after))

    def hang_next(self, n: int = 1, seconds: float = 10.0) -> None:
        """Delay the next ``n`` REST answers by ``seconds``, then answer normally (the message
        is created even if the client gave up). Released at once by ``stop()``."""
        if n > 0:
            self._faults.append(_Fault(n, None, hang=seconds))

    def clear_faults(self) -> None:
        self._faults.clear()

    def limit(self, per_second: float = 1.0, burst: float = 1, *,
              whatsapp_per_second: float | None = None) -> None:
        """Per-sender throughput in SEGMENTS (a long code: ~1/s): a token bucket per From (or
        MessagingServiceSid) of ``burst`` tokens refilled at ``per_second``; a send that
        finds too few tokens answers 429 / 20429. WhatsApp senders (``whatsapp:`` From) are
        only limited if ``whatsapp_per_second`` is given (one token per message). Real Twilio
        queues over-throughput messages rather than refusing them: this is the harsher case.
        """
        self._limit = (per_second, float(burst), whatsapp_per_second)
        self._buckets.clear()

    def unlimit(self) -> None:
        self._limit = None
        self._buckets.clear()

    def opt_out(self, address: str) -> None:
        """The recipient replied STOP: sends to it answer 400 / 21610 until ``opt_in``."""
        self._opted_out.add(_bare(address))

    def opt_in(self, address: str) -> None:
        self._opted_out.discard(_bare(address))

    @property
    def log(self) -> list[JSON]:
        """The message log as the API lists it: every message not deleted."""
        return list(self._resources.values())

    def receive(self, form: Mapping[str, str]) -> None:
        """Keep an inbound message in the log, as Twilio does before posting it."""
        sid = form.get("MessageSid", "")
        if not sid or "MessageStatus" in form or sid in self._resources:
            return
        now = datetime.now(UTC)
        self._resources[sid] = {
            "account_sid": self.account_sid, "api_version": API_VERSION,
            "body": form.get("Body", ""), "date_created": _rfc2822(now),
            "date_sent": _rfc2822(now), "date_updated": _rfc2822(now),
            "direction": "inbound", "error_code": None, "error_message": None,
            "from": form.get("From"), "to": form.get("To"), "sid": sid,
            "num_media": form.get("NumMedia", "0"), "num_segments": form.get("NumSegments", "1"),
            "status": "received", "at": time.monotonic(),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def sent_to(self, to: str) -> list[JSON]:
        """Accepted messages to one address (exact To, e.g. "whatsapp:+243810000001")."""
        return [m for m in self.messages if m.get("To") == to]

    def host_media(self, content: bytes, content_type: str = "image/jpeg") -> str:
        """Serve ``content`` from the fake (HTTP Basic auth like Twilio's media URLs) and
        return its URL, for MediaUrl0 of an inbound form."""
        media_sid = _new_sid("ME")
        self._media[media_sid] = (content, content_type)
        return (f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages/"
                f"{_new_sid('MM')}/Media/{media_sid}")

    def signed_headers(self, url: str, params: Mapping[str, str]) -> dict[str, str]:
        return signed_post_form(url, params, self.auth_token)

    async def post_signed(self, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        """POST a form to a local webhook URL as Twilio would (signed with the auth token);
        returns (status, body)."""
        if not _is_local(url):
            raise ValueError(f"refusing to post to non-local URL {url!r}")
        self.receive(form)
        headers = signed_post_form(url, form, self.auth_token)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.post(url, data=dict(form), headers=headers) as response:
                return response.status, await response.text()

    async def deliver_status(self, message_sid: str, status: str,
                             error_code: int | None = None) -> int:
        """POST a status callback for an accepted message to its StatusCallback URL (signed);
        also updates the resource returned by a fetch. Returns the HTTP status."""
        resource = self._resources[message_sid]
        resource["status"] = status
        if error_code is not None:
            resource["error_code"] = error_code
            resource["error_message"] = _MESSAGES.get(error_code)
        record = next(m for m in self.messages if m["sid"] == message_sid)
        record["status"] = status
        url = record.get("StatusCallback")
        if not url:
            raise ValueError(f"message {message_sid} has no StatusCallback")
        form = status_form(message_sid, status, error_code, from_=resource["from"] or "",
                           to=resource["to"], account_sid=self.account_sid)
        code, _ = await self.post_signed(str(url), form)
        return code

    # ------------------------------------------------------------------- HTTP

    def _authenticated(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = aiohttp.BasicAuth.decode(header)
        except ValueError:
            return False
        return bool(auth.login == self.account_sid and auth.password == self.auth_token)

    async def _record(self, request: web.Request) -> TwilioCall:
        params: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            form = await request.post()
            for key in form:
                if key in params:
                    continue
                values = [str(v) for v in form.getall(key)]
                params[key] = values if key in _LIST_FIELDS or len(values) > 1 else values[0]
        call = TwilioCall(request.method, request.path, params, time.monotonic(),
                          self._authenticated(request))
        self.calls.append(call)
        return call

    def _finish(self, call: TwilioCall, response: web.Response) -> web.Response:
        call.status = response.status
        if response.status == 429:
            self.http_429 += 1
        return response

    async def _preamble(self, request: web.Request, call: TwilioCall) -> web.Response | None:
        """Auth, account and injected faults, in Twilio's order."""
        if not call.authenticated:
            return _error(401, 20003, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if request.match_info["account"] != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if self._faults and self._faults[0].after > 0:
            self._faults[0].after -= 1
        elif self._faults:
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.pop(0)
            if fault.hang:
                await self._pause(fault.hang)
            if fault.status is not None:
                headers = None
                if fault.retry_after is not None:
                    headers = {"Retry-After": str(math.ceil(fault.retry_after))}
                return _error(fault.status, fault.code, fault.message, headers)
        return None

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    async def _create_message(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        early = await self._preamble(request, call)
        return self._finish(call, early or self._create(call.params))

    def _create(self, form: dict[str, Any]) -> web.Response:
        to = str(form.get("To", ""))
        sender = str(form.get("From", ""))
        service = str(form.get("MessagingServiceSid", ""))
        body = str(form.get("Body", ""))
        media: list[str] = list(form.get("MediaUrl", []))
        if not to:
            return _error(400, 21604)
        if not sender and not service:
            return _error(400, 21603)
        if not body and not media and not form.get("ContentSid"):
            return _error(400, 21602)
        if len(body) > 1600:
            return _error(400, 21617)
        if not _E164.match(_bare(to)):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender and _channel(sender) != _channel(to):
            return _error(400, 21910)
        if _bare(to) in self._opted_out:
            return _error(400, 21610)
        whatsapp = _channel(to) == "whatsapp"
        segments = 1 if whatsapp or form.get("ContentSid") else _segments(body)
        if self._throttled(sender or service, whatsapp, segments):
            return _error(429, 20429)
        sid = _new_sid("MM" if media and not whatsapp else "SM")
        now = datetime.now(UTC)
        status = "accepted" if service and not sender else "queued"
        if form.get("ScheduleType") == "fixed" and form.get("SendAt"):
            status = "scheduled"
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource: JSON = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": _rfc2822(now),
            "date_sent": None,
            "date_updated": _rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "num_media": str(len(media)),
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
            "at": time.monotonic(),
        }
        self._resources[sid] = resource
        self.messages.append({**form, "sid": sid, "at": time.monotonic(),
                              "num_segments": segments, "status": status})
        return web.json_response(resource, status=201)

    def _throttled(self, sender: str, whatsapp: bool, segments: int) -> bool:
        if self._limit is None:
            return False
        per_second, burst, wa_per_second = self._limit
        rate = wa_per_second if whatsapp else per_second
        if not rate:
            return False
        now = self._clock()
        bucket = self._buckets.setdefault(
            sender, TokenBucket(rate, burst if not whatsapp else max(1.0, rate), now))
        if bucket.wait_time(now, segments) > 0:
            return True
        bucket.take(segments)
        return False

    async def _fetch_message(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        early = await self._preamble(request, call)
        if early is not None:
            return self._finish(call, early)
        resource = self._resources.get(request.match_info["sid"])
        if resource is None:
            return self._finish(call, await self._not_found(request))
        return self._finish(call, web.json_response(
            {k: v for k, v in resource.items() if k != "at"}))

    async def _list_messages(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        early = await self._preamble(request, call)
        if early is not None:
            return self._finish(call, early)
        uri = request.path
        page = [{k: v for k, v in r.items() if k != "at"} for r in self._resources.values()]
        return self._finish(call, web.json_response({
            "messages": page, "start": 0, "end": max(0, len(page) - 1), "page": 0,
            "page_size": max(50, len(page)), "uri": uri, "first_page_uri": uri,
            "next_page_uri": None, "previous_page_uri": None}))

    async def _delete_message(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        early = await self._preamble(request, call)
        if early is not None:
            return self._finish(call, early)
        sid = request.match_info["sid"]
        resource = self._resources.get(sid)
        if resource is None:
            return self._finish(call, await self._not_found(request))
        if time.monotonic() - float(resource["at"]) < self.settle_seconds:
            return self._finish(call, _error(
                409, 20009, "Cannot delete this resource before it is complete"))
        del self._resources[sid]
        self.deleted.append(sid)
        return self._finish(call, web.Response(status=204))

    async def _get_media(self, request: web.Request) -> web.Response:
        if not self._authenticated(request):
            return _error(401, 20003)
        entry = self._media.get(request.match_info["media"])
        if entry is None:
            return await self._not_found(request)
        return web.Response(body=entry[0], content_type=entry[1])


# ------------------------------------------------------------------ webhook helpers


def signed_post_form(url: str, params: Mapping[str, str], auth_token: str) -> dict[str, str]:
    """Headers Twilio sends with a webhook POST of ``params`` to ``url`` (the full public URL
    the signature is computed over), including ``X-Twilio-Signature``."""
    signature = RequestValidator(auth_token).compute_signature(url, dict(params))
    return {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        "User-Agent": "TwilioProxy/1.1",
        "Accept": "*/*",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }


def _country(number: str) -> str:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(_bare(number)))
    except phonenumbers.NumberParseException:
        return ""
    return region or ""


def _media_fields(media: Iterable[tuple[str, str]], account_sid: str,
                  message_sid: str, count: int) -> dict[str, str]:
    items = list(media)
    while len(items) < count:
        items.append((f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}/Messages/"
                      f"{message_sid}/Media/{_new_sid('ME')}", "image/jpeg"))
    fields: dict[str, str] = {}
    for i, (url, content_type) in enumerate(items):
        fields[f"MediaContentType{i}"] = content_type
        fields[f"MediaUrl{i}"] = url
    return fields


def sms_form(from_: str, to: str, body: str, message_sid: str | None = None,
             num_media: int = 0, media: Iterable[tuple[str, str]] = (), *,
             account_sid: str = DEFAULT_ACCOUNT_SID,
             messaging_service_sid: str | None = None) -> dict[str, str]:
    """The form Twilio POSTs to an SMS/MMS webhook. ``media`` is (url, content type) pairs;
    ``num_media`` above ``len(media)`` adds placeholder JPEGs."""
    media = list(media)
    count = max(num_media, len(media))
    sid = message_sid or _new_sid("MM" if count else "SM")
    form: dict[str, str] = {
        "ToCountry": _country(to), "ToState": "", "SmsMessageSid": sid,
        "NumMedia": str(count), "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "",
        "SmsStatus": "received", "FromCity": "", "Body": body,
        "FromCountry": _country(from_), "To": to, "ToZip": "",
        "NumSegments": str(_segments(body)), "MessageSid": sid, "AccountSid": account_sid,
        "From": from_, "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    form.update(_media_fields(media, account_sid, sid, count))
    return form


def _wa(address: str) -> str:
    return address if address.startswith("whatsapp:") else f"whatsapp:{address}"


def whatsapp_form(from_: str, to: str, body: str = "", profile_name: str = "Amani Test",
                  wa_id: str | None = None, latitude: float | None = None,
                  longitude: float | None = None, media: Iterable[tuple[str, str]] = (), *,
                  address: str | None = None, label: str | None = None,
                  button_text: str | None = None, button_payload: str | None = None,
                  message_sid: str | None = None, account_sid: str = DEFAULT_ACCOUNT_SID,
                  messaging_service_sid: str | None = None) -> dict[str, str]:
    """The form Twilio POSTs to a WhatsApp webhook. ``from_`` / ``to`` get the ``whatsapp:``
    prefix if missing; ``wa_id`` defaults to the sender's digits. A shared location gives
    Latitude/Longitude (and Address/Label for a named place); a quick-reply button press
    gives ButtonText/ButtonPayload."""
    media = list(media)
    sender, recipient = _wa(from_), _wa(to)
    sid = message_sid or _new_sid("MM" if media else "SM")
    if latitude is not None and longitude is not None:
        kind = "location"
    elif button_payload is not None or button_text is not None:
        kind = "button"
    elif media:
        family = media[0][1].split("/", 1)[0]
        kind = {"image": "image", "audio": "audio", "video": "video"}.get(family, "document")
    else:
        kind = "text"
    form: dict[str, str] = {
        "SmsMessageSid": sid, "NumMedia": str(len(media)), "ProfileName": profile_name,
        "MessageType": kind, "SmsSid": sid, "WaId": wa_id or _bare(sender).lstrip("+"),
        "SmsStatus": "received", "Body": body, "To": recipient, "NumSegments": "1",
        "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": account_sid,
        "From": sender, "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if kind == "location":
        form["Latitude"], form["Longitude"] = repr(latitude), repr(longitude)
        if address is not None:
            form["Address"] = address
        if label is not None:
            form["Label"] = label
    if button_text is not None:
        form["ButtonText"] = button_text
    if button_payload is not None:
        form["ButtonPayload"] = button_payload
    form.update(_media_fields(media, account_sid, sid, len(media)))
    return form


def status_form(message_sid: str, status: str, error_code: int | None = None, *,
                from_: str = "+243810000900", to: str = "+243810000001",
                account_sid: str = DEFAULT_ACCOUNT_SID) -> dict[str, str]:
    """The form Twilio POSTs to a message's StatusCallback (MessageStatus: queued, sent,
    delivered, undelivered, failed, read...). ``ErrorCode`` only when given."""
    form: dict[str, str] = {
        "SmsSid": message_sid, "SmsStatus": status, "MessageStatus": status, "To": to,
        "MessageSid": message_sid, "AccountSid": account_sid, "From": from_,
        "ApiVersion": API_VERSION,
    }
    if to.startswith("whatsapp:"):
        form["ChannelPrefix"] = "whatsapp"
        form["ChannelToAddress"] = _bare(to).lstrip("+")
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return form
