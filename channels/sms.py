"""The SMS channel over Twilio: numbered choices, GSM-7 friendly text, segment-aware sends.

The shared Twilio parts (client, signature check, form parsing, error mapping,
status callbacks, phone identities) live in :mod:`channels.twilio`; this
module only knows what is particular to SMS, including the English words
Twilio itself opts a number out or in on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from bot.config import Config
from bot.domain.messages import Inbound, Outbound
from bot.i18n.keywords import Keyword
from bot.transport.channel import (
    Capabilities,
    Cutting,
    Rendered,
    SendResult,
    Throttle,
    send_parts,
)
from bot.transport.context import ChannelContext
from bot.transport.registry import ChannelPlugin
from channels.twilio import (
    MAX_BODY_CHARS,
    Form,
    FormError,
    TwilioChannel,
    TwilioGateway,
    media_of,
    required,
)

NAME = "sms"
WEBHOOK_PATH = "/webhooks/twilio/sms"
# Twilio itself opts a number out or in on these, in English, on SMS; our
# state must follow it there. Elsewhere "cancel" is not an opt-out.
TWILIO_KEYWORDS: Mapping[str, Keyword] = MappingProxyType({
    "stopall": Keyword.STOP, "unsubscribe": Keyword.STOP, "cancel": Keyword.STOP,
    "end": Keyword.STOP, "quit": Keyword.STOP, "unstop": Keyword.START,
    "info": Keyword.HELP,
})


def parse_sms(form: Form) -> Inbound:
    """The Inbound of one Twilio SMS/MMS webhook form (raises FormError)."""
    sender = required(form, "From")
    if sender.startswith("whatsapp:"):
        raise FormError("From")
    return Inbound(channel=NAME, address=sender, text=form.get("Body", ""),
                   external_id=required(form, "MessageSid"), media=media_of(form))


class SmsChannel(TwilioChannel):
    """Sends from ``sms_from``; a text over 1,600 characters goes as several messages."""

    name = NAME
    webhook_path = WEBHOOK_PATH
    parse = staticmethod(parse_sms)
    capabilities = Capabilities(buttons=False, max_chars=MAX_BODY_CHARS,
                                cutting=Cutting.SEGMENTS, billed_by_segment=True,
                                gsm_friendly=True)
    carrier_keywords = TWILIO_KEYWORDS

    def throttles(self, address: str, rendered: Rendered) -> Sequence[Throttle]:
        """The sender's throughput is counted in segments, as carriers bill them."""
        return [Throttle(f"sms:{self._sender}", self._per_second, burst=1,
                         cost=rendered.segments)]

    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        """Send the rendered text; segments are summed over the messages it took
        (Twilio's count when it gave one, else ours). A retry starts at the first
        part that did not go (``parts_sent``)."""
        parts = rendered or self.render(message)

        async def send_one(index: int, body: str) -> SendResult:
            sent = await self._gateway.create(address, self._sender, body=body)
            billed = sent.segments if sent.segments is not None else parts.part_segments[index]
            return SendResult(external_id=sent.sid, segments=billed)

        return await send_parts(parts.parts, message, send_one)


def build(config: Config, context: ChannelContext) -> SmsChannel:
    settings = config.twilio
    return SmsChannel(TwilioGateway.of(config, context), settings.sms_from,
                      settings.sms_per_second)


def _enabled(config: Config) -> bool:
    return config.twilio.enabled and bool(config.twilio.sms_from)


plugin = ChannelPlugin(NAME, build, _enabled, identify=TwilioChannel.identity_in)
