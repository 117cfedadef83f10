"""The WhatsApp channel over Twilio: numbered choices, shared locations, templates.

Addresses are bare E.164 numbers, so one person has the same pseudonym here and
on SMS and an SMS fallback can reach them; the ``whatsapp:`` prefix is Twilio's
wire format only. Outside the 24-hour window the outbox hands this channel an
Outbound with a template (Content SID and variables), sent instead of the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.messages import Inbound, Location, Outbound
from bot.text.rendering import render_text
from bot.transport.channel import Capabilities, SendResult, Throttle, send_parts
from channels.twilio import (
    Form,
    FormError,
    TwilioChannel,
    TwilioGateway,
    media_of,
    message_bodies,
    required,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config

NAME = "whatsapp"
WEBHOOK_PATH = "/webhooks/twilio/whatsapp"
PREFIX = "whatsapp:"


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


class WhatsAppChannel(TwilioChannel):
    """Sends from ``whatsapp_from``; free-form text, or a template when one is given."""

    name = NAME
    webhook_path = WEBHOOK_PATH
    parse = staticmethod(parse_whatsapp)
    capabilities = Capabilities(buttons=False, max_chars=1600)

    def __init__(self, gateway: TwilioGateway, sender: str, per_second: float) -> None:
        super().__init__(gateway, sender if sender.startswith(PREFIX) else PREFIX + sender,
                         per_second)

    def throttles(self, address: str, message: Outbound) -> Sequence[Throttle]:
        return [Throttle(f"wa:{self._sender}", self._per_second, burst=1)]

    async def send(self, address: str, message: Outbound) -> SendResult:
        to = PREFIX + address.removeprefix(PREFIX)
        if message.template_sid:
            sent = await self._gateway.create(to, self._sender,
                                              content_sid=message.template_sid,
                                              content_variables=message.template_vars)
            return SendResult(external_id=sent.sid)
        text = render_text(message, self.capabilities)

        async def send_one(_index: int, body: str) -> SendResult:
            return SendResult(external_id=(await self._gateway.create(
                to, self._sender, body=body)).sid)

        result = await send_parts(message_bodies(text) or [text], message, send_one)
        return SendResult(external_id=result.external_id)


def build(config: Config, app: App) -> WhatsAppChannel:
    settings = config.twilio
    return WhatsAppChannel(TwilioGateway.of(config, app), settings.whatsapp_from,
                           settings.whatsapp_per_second)
