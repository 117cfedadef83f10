"""The WhatsApp channel over Twilio: numbered choices, shared locations, templates,
and WhatsApp's 24-hour window.

Addresses are bare E.164 numbers, so one person has the same pseudonym here and
on SMS and an SMS fallback can reach them; the ``whatsapp:`` prefix is Twilio's
wire format only. Outside the 24-hour window a business-initiated message goes
as its approved template (Content SID and variables), else by SMS if so
configured, else not at all (:meth:`WhatsAppChannel.prepare`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.config import Config
from bot.domain.messages import Inbound, Location, Outbound
from bot.transport.channel import (
    Capabilities,
    ContactView,
    Cutting,
    Dispatch,
    Rendered,
    SendResult,
    Throttle,
    Undeliverable,
    send_parts,
)
from bot.transport.context import ChannelContext
from bot.transport.registry import ChannelPlugin
from channels.twilio import (
    MAX_BODY_CHARS,
    WHATSAPP_PREFIX,
    Form,
    FormError,
    TwilioChannel,
    TwilioGateway,
    media_of,
    required,
)

NAME = "whatsapp"
WEBHOOK_PATH = "/webhooks/twilio/whatsapp"
PREFIX = WHATSAPP_PREFIX
WINDOW = timedelta(hours=24)
BUSINESS_INITIATED = frozenset({"advisory", "poll", "alert", "answer"})
FALLBACK = "sms"
Templates = Mapping[str, Mapping[str, str]]  # kind -> language -> Content SID


def parse_whatsapp(form: Form) -> Inbound:
    """The Inbound of one Twilio WhatsApp webhook form (raises FormError)."""
    sender = required(form, "From")
    if not sender.startswith(PREFIX) or not sender.removeprefix(PREFIX).strip():
        raise FormError("From")
    return Inbound(channel=NAME, address=sender.removeprefix(PREFIX).strip(),
                   text=form.get("Body", ""), external_id=required(form, "MessageSid"),
                   media=media_of(form), location=_location(form),
                   profile_name=form.get("ProfileName", "").strip() or None)


def _location(form: Form) -> Location | None:
    lat, lon = form.get("Latitude", "").strip(), form.get("Longitude", "").strip()
    if not lat and not lon:
        return None
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        raise FormError("Latitude/Longitude") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise FormError("Latitude/Longitude")
    return Location(latitude, longitude)


class WindowPolicy:
    """WhatsApp's 24-hour window: inside it, or for a reply, a message goes as is.
    Outside, a business-initiated one goes as the approved template of its kind
    (in its language, else English), else by SMS when ``fallback_sms`` and that
    channel is registered, else not at all."""

    __slots__ = ("_fallback_sms", "_has_channel", "_templates")

    def __init__(self, templates: Templates, fallback_sms: bool,
                 has_channel: Callable[[str], bool]) -> None:
        self._templates = templates
        self._fallback_sms = fallback_sms
        self._has_channel = has_channel

    def decide(self, message: Outbound, contact: ContactView, now: datetime
               ) -> Dispatch | Undeliverable:
        last = contact.last_inbound_at
        if message.kind not in BUSINESS_INITIATED or (last is not None and now - last < WINDOW):
            return Dispatch(NAME, message)
        sids = self._templates.get(message.kind, {})
        sid = sids.get(message.language) or sids.get("en")
        if sid:
            return Dispatch(NAME, Outbound(text=message.text, kind=message.kind,
                                           language=message.language, template_sid=sid,
                                           template_vars={"1": message.text}))
        if self._fallback_sms and self._has_channel(FALLBACK):
            return Dispatch(FALLBACK, message)
        return Undeliverable("outside WhatsApp 24h window, no template")


class WhatsAppChannel(TwilioChannel):
    """Sends from ``whatsapp_from``; free-form text, or a template when one is given."""

    name = NAME
    webhook_path = WEBHOOK_PATH
    parse = staticmethod(parse_whatsapp)
    capabilities = Capabilities(buttons=False, max_chars=MAX_BODY_CHARS,
                                cutting=Cutting.SEGMENTS)

    def __init__(self, gateway: TwilioGateway, sender: str, per_second: float,
                 policy: WindowPolicy) -> None:
        super().__init__(gateway, sender if sender.startswith(PREFIX) else PREFIX + sender,
                         per_second)
        self._policy = policy

    def prepare(self, message: Outbound, contact: ContactView, now: datetime
                ) -> Dispatch | Undeliverable:
        return self._policy.decide(message, contact, now)

    def throttles(self, address: str, rendered: Rendered) -> Sequence[Throttle]:
        return [Throttle(f"wa:{self._sender}", self._per_second, burst=1)]

    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        to = PREFIX + address.removeprefix(PREFIX)
        if message.template_sid:
            sent = await self._gateway.create(to, self._sender,
                                              content_sid=message.template_sid,
                                              content_variables=message.template_vars)
            return SendResult(external_id=sent.sid)

        async def send_one(_index: int, body: str) -> SendResult:
            return SendResult(external_id=(await self._gateway.create(
                to, self._sender, body=body)).sid)

        parts = (rendered or self.render(message)).parts
        result = await send_parts(parts, message, send_one)
        return SendResult(external_id=result.external_id)


def build(config: Config, context: ChannelContext) -> WhatsAppChannel:
    settings = config.twilio
    policy = WindowPolicy(settings.whatsapp_templates, settings.whatsapp_fallback_sms,
                          context.has_channel)
    return WhatsAppChannel(TwilioGateway.of(config, context), settings.whatsapp_from,
                           settings.whatsapp_per_second, policy)


def _enabled(config: Config) -> bool:
    return config.twilio.enabled and bool(config.twilio.whatsapp_from)


plugin = ChannelPlugin(NAME, build, _enabled, identify=TwilioChannel.identity_in)
