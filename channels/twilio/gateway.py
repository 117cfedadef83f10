"""The one Twilio client of a bot, shared by its SMS and WhatsApp channels.

:class:`TwilioGateway` (one per :class:`ChannelContext`, in its shared clients)
owns the only twilio ``Client``, pointed at ``twilio.api_base_url``. It
verifies and parses Twilio's signed form posts, answers them once the turn is
durable, and serves the status callback route once for both channels.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from bot.config import Config
from bot.domain.messages import Inbound
from bot.transport.channel import Handler, Route, SendError
from bot.transport.context import ChannelContext
from channels.twilio.errors import keep_retry_after, retry_after_headers, send_error
from channels.twilio.http import FormEncodingHttpClient
from channels.twilio.identity import WHATSAPP_PREFIX
from channels.twilio.webhook import Form, FormError, Signer, twiml, verified_form

__all__ = ["STATUS_PATH", "Sent", "TwilioGateway"]

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
_STATUS = re.compile(r"[a-z_-]{1,32}")


@dataclass(frozen=True, slots=True)
class Sent:
    """What Twilio answered to one accepted message."""

    sid: str
    segments: int | None


class TwilioGateway:
    """The one Twilio client of a bot, its webhook checks and its status route."""

    def __init__(self, config: Config, context: ChannelContext) -> None:
        settings = config.twilio
        self._context = context
        self._account_sid = settings.account_sid
        self._auth_token = settings.auth_token
        self._base_url = settings.api_base_url
        self._timeout = settings.send_timeout_seconds
        self._signer = Signer(settings.auth_token.get_secret_value())
        self.public_url = config.server.public_url.rstrip("/")
        self.status_callback = self.public_url + STATUS_PATH
        self._http: FormEncodingHttpClient | None = None
        self._client: Any = None
        self._users = 0
        self._status_owner: str | None = None

    @classmethod
    def of(cls, config: Config, context: ChannelContext) -> TwilioGateway:
        """The bot's gateway, made by whichever Twilio channel comes first."""
        return context.shared.get_or_create(cls, lambda: cls(config, context))

    # ----------------------------------------------------------------- lifetime

    async def acquire(self) -> None:
        """Open the client on the first channel's start (aiohttp needs a running loop)."""
        self._users += 1
        if self._http is not None:
            return
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(keep_retry_after)
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
        token = retry_after_headers.set([])
        try:
            # twilio's async client passes timeout=None to aiohttp (no limit at all):
            # the bound has to be ours.
            async with asyncio.timeout(self._timeout):
                message = await self._client.api.account.messages.create_async(**fields)
        except (TwilioRestException, TwilioServiceException, aiohttp.ClientError,
                TimeoutError) as exc:
            raise send_error(exc) from None
        finally:
            retry_after_headers.reset(token)
        segments = getattr(message, "num_segments", None)
        return Sent(str(message.sid),
                    int(segments) if segments and str(segments).isdigit() else None)

    async def delete(self, sid: str) -> None:
        """DELETE one Message resource (inbound or sent), so that Twilio's log no
        longer holds its body and number; raises :class:`SendError`. A message
        already gone is done. Twilio refuses (20009) until it has finished with a
        message, for a minute or more: that is retryable."""
        if self._client is None:
            raise SendError("twilio: client not started", retryable=True)
        try:
            async with asyncio.timeout(self._timeout):
                await self._client.api.account.messages(sid).delete_async()
        except (TwilioRestException, TwilioServiceException) as exc:
            code = int(exc.code or exc.status)
            if code == 20404:
                return
            if code == 20009:
                raise SendError("twilio 20009: not final yet", retryable=True) from None
            raise send_error(exc) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise send_error(exc) from None

    # ---------------------------------------------------------------- webhooks

    def webhook(self, parse: Callable[[Form], Inbound]) -> Handler:
        """A handler: verify, parse, hand to the conversations, answer once durable."""

        async def handle(request: web.Request) -> web.StreamResponse:
            form = await verified_form(request, self._signer, self.public_url)
            try:
                inbound = parse(form)
            except FormError as exc:
                log.info("twilio webhook: bad form field %s", exc)
                return web.Response(status=400, text="bad form")
            try:
                await self._context.handle(inbound)
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
        form = await verified_form(request, self._signer, self.public_url)
        sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "").lower()
        if not sid or not _STATUS.fullmatch(status):
            return web.Response(status=400, text="bad form")
        code = form.get("ErrorCode", "").strip()
        error = None if not code else f"twilio {code}" if code.isdigit() else "twilio error"
        channel = "whatsapp" if form.get("From", "").startswith(WHATSAPP_PREFIX) else "sms"
        try:
            known = await self._context.delivery_status(channel, sid, status, error)
        except Exception as exc:
            log.error("twilio status callback: not stored (%s)", type(exc).__name__)
            return web.Response(status=500, text="not stored")
        if not known:
            log.info("twilio status callback for an unknown message on %s", channel)
        return web.Response(status=200, text="")
