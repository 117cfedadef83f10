"""What the SMS and WhatsApp channels share: the gateway's lifetime, the webhook
route, the status route (mounted once for both) and phone-number identities."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.config import Config
from bot.domain.messages import Inbound
from bot.transport.channel import Channel, Route
from channels.twilio.gateway import TwilioGateway
from channels.twilio.identity import phone_identity
from channels.twilio.webhook import Form

__all__ = ["MAX_BODY_CHARS", "TwilioChannel", "region_of"]

MAX_BODY_CHARS = 1600  # Twilio refuses a longer Body (error 21617)


class TwilioChannel(Channel):
    """A channel whose messages go through the bot's one :class:`TwilioGateway`."""

    webhook_path: str
    parse: Callable[[Form], Inbound]
    forgets_messages = True  # Twilio keeps every message's body and number for months

    def __init__(self, gateway: TwilioGateway, sender: str, per_second: float) -> None:
        self._gateway = gateway
        self._sender = sender
        self._per_second = per_second

    async def start(self) -> None:
        await self._gateway.acquire()

    async def stop(self) -> None:
        await self._gateway.release()

    async def forget(self, external_id: str) -> None:
        await self._gateway.delete(external_id)

    def routes(self) -> Sequence[Route]:
        return [Route("POST", self.webhook_path, self._gateway.webhook(type(self).parse)),
                *self._gateway.status_routes(self.name)]

    @staticmethod
    def identity_in(config: Config, address: str) -> str:
        """The E.164 number: the same person on SMS and WhatsApp (a national
        number is taken to be in the mission's first region)."""
        return phone_identity(address, region_of(config))


def region_of(config: Config) -> str:
    """Where a national number (no country code) is taken to be: the first region."""
    return config.bot.regions[0]
