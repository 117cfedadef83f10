"""The SMS channel over Twilio: numbered choices, GSM-7 friendly text, segment-aware sends.

The shared Twilio parts (client, signature check, form parsing, error mapping,
status callbacks) live in :mod:`channels.twilio`; this module only knows what
is particular to SMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.messages import Inbound, Outbound
from bot.text.rendering import render_text
from bot.text.segments import measure
from bot.transport.channel import Capabilities, SendResult, Throttle, send_parts
from channels.twilio import (
    Form,
    FormError,
    Sent,
    TwilioChannel,
    TwilioGateway,
    media_of,
    message_bodies,
    required,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config

NAME = "sms"
WEBHOOK_PATH = "/webhooks/twilio/sms"


def parse_sms(form: Form) -> Inbound:
    """The Inbound of one Twilio SMS/MMS webhook form (raises FormError)."""
    sender = required(form, "From")
    if sender.startswith("whatsapp:"):
        raise FormError("From")
    return Inbound(channel=NAME, address=sender, text=form.get("Body", ""),
                   external_id=required(form, "MessageSid"), media=media_of(form))


def billed(sent: Sent, body: str) -> int:
    """Segments billed for one message: Twilio's count when it gave one, else ours."""
    return sent.segments if sent.segments is not None else max(1, measure(body).segments)


class SmsChannel(TwilioChannel):
    """Sends from ``sms_from``; a text over 1,600 characters goes as several messages."""

    name = NAME
    webhook_path = WEBHOOK_PATH
    parse = staticmethod(parse_sms)
    capabilities = Capabilities(buttons=False, max_chars=1600, sms=True)

    def throttles(self, address: str, message: Outbound) -> Sequence[Throttle]:
        """The sender's throughput is counted in segments, as carriers bill them."""
        cost = max(1, measure(render_text(message, self.capabilities)).segments)
        return [Throttle(f"sms:{self._sender}", self._per_second, burst=1, cost=cost)]

    async def send(self, address: str, message: Outbound) -> SendResult:
        """Send the rendered text; segments are summed over the messages it took.
        A retry starts at the first part that did not go (``parts_sent``)."""
        text = render_text(message, self.capabilities)

        async def send_one(_index: int, body: str) -> SendResult:
            sent = await self._gateway.create(address, self._sender, body=body)
            return SendResult(external_id=sent.sid, segments=billed(sent, body))

        return await send_parts(message_bodies(text) or [text], message, send_one)


def build(config: Config, app: App) -> SmsChannel:
    settings = config.twilio
    return SmsChannel(TwilioGateway.of(config, app), settings.sms_from, settings.sms_per_second)
