"""The one interface every channel implements.

A channel verifies and parses what arrives, hands an :class:`Inbound` to its
:class:`~bot.transport.context.ChannelContext` and sends what the outbox gives
it. What is particular to a medium (carrier keywords, WhatsApp's 24-hour window)
is the channel's own policy, declared here with defaults; how an address names
a person is its plug-in's (bot.transport.registry). No business rules live in
a channel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from aiohttp import web

from bot.domain.messages import Outbound
from bot.i18n.keywords import Keyword
from bot.text.capabilities import Capabilities, Cutting, Rendered
from bot.text.rendering import render

__all__ = [
    "NO_KEYWORDS",
    "Capabilities",
    "Channel",
    "ChannelRefused",
    "ContactView",
    "Cutting",
    "Dispatch",
    "Handler",
    "Rendered",
    "Route",
    "SendError",
    "SendResult",
    "Throttle",
    "Undeliverable",
    "UnknownChannel",
    "send_parts",
]


@dataclass(frozen=True, slots=True)
class SendResult:
    external_id: str | None = None
    segments: int = 1


@dataclass(frozen=True, slots=True)
class Throttle:
    """A rate a send must respect: ``cost`` tokens from bucket ``key``, which
    refills at ``per_second`` and holds at most ``burst``."""

    key: str
    per_second: float
    burst: float = 1.0
    cost: float = 1.0


@dataclass(frozen=True, slots=True)
class ContactView:
    """What the outbox knows of the person a message goes to."""

    last_inbound_at: datetime | None


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Send ``message`` on the channel named ``channel``."""

    channel: str
    message: Outbound


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """Why a message cannot go at all (safe to store: no address, no text)."""

    reason: str


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """A webhook a channel serves on the ``sauti serve`` HTTP server."""

    method: str
    path: str
    handler: Handler


class ChannelRefused(Exception):
    """A channel's provider refused its credentials when it started (a revoked or
    mistyped token): retrying cannot help, the operator must fix the config. The
    message names the config key, never the secret."""


class UnknownChannel(LookupError):
    """A channel name no plug-in provides, or no registered channel has."""


class SendError(Exception):
    """A send that did not go through. ``reason`` is safe to store: no address, no text.

    ``channel_down``: the channel failed, not this message, and nothing went out:
    the provider was not reached at all (connection refused, name not resolved,
    connect time-out) or refused the bot's own credentials. The outbox waits it
    out without spending the message's tries."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None,
                 opted_out: bool = False, channel_down: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable or channel_down
        self.retry_after = retry_after
        self.opted_out = opted_out
        self.channel_down = channel_down
        # A long text sent as several messages: how many parts are delivered
        # (counting earlier tries) and their segments, so a retry sends the rest.
        self.parts_sent = 0
        self.segments_sent = 0


async def send_parts(parts: Sequence[str], message: Outbound,
                     send_one: Callable[[int, str], Awaitable[SendResult]]) -> SendResult:
    """Send a text that takes several messages, in order, resuming after the
    ``message.parts_sent`` that earlier tries delivered. ``send_one(index, part)``
    sends one and says what it was billed; a failure is marked with how far it
    got (``SendError.parts_sent`` / ``segments_sent``), which the outbox keeps
    so that the retry sends no part twice."""
    segments, external_id = message.segments_sent, None
    for index in range(min(message.parts_sent, len(parts)), len(parts)):
        try:
            one = await send_one(index, parts[index])
        except SendError as exc:
            exc.parts_sent, exc.segments_sent = index, segments
            raise
        segments += one.segments
        external_id = one.external_id
    return SendResult(external_id=external_id, segments=segments)


NO_KEYWORDS: Mapping[str, Keyword] = MappingProxyType({})


class Channel(ABC):
    """A medium Sauti talks on. Only :meth:`send` must be written; every other
    hook has a default that suits a channel with no lifetime, webhooks, rates
    or policy of its own."""

    name: str
    capabilities: Capabilities = Capabilities()
    #: words the carrier itself acts on in this channel (folded form -> keyword)
    carrier_keywords: Mapping[str, Keyword] = NO_KEYWORDS

    @property
    def ready(self) -> bool:
        """While false (its provider not reached yet) the outbox claims nothing
        for this channel, so queued messages wait without spending their tries."""
        return True

    async def start(self) -> None:  # noqa: B027 - a no-op unless overridden, by design
        """Open clients, start polling: once, before the first send."""

    async def stop(self) -> None:  # noqa: B027 - a no-op unless overridden, by design
        """Close what :meth:`start` opened."""

    def routes(self) -> Sequence[Route]:
        """The webhooks this channel serves on ``sauti serve``."""
        return ()

    def prepare(self, message: Outbound, contact: ContactView, now: datetime
                ) -> Dispatch | Undeliverable:
        """What to send, on which channel, for ``message`` to this contact now."""
        return Dispatch(self.name, message)

    def render(self, message: Outbound) -> Rendered:
        """``message`` as this channel's parts (see :mod:`bot.text.rendering`)."""
        return render(message, self.capabilities)

    def throttles(self, address: str, rendered: Rendered) -> Sequence[Throttle]:
        """The rates sending ``rendered`` to ``address`` must respect; the first
        is the sender-wide one (paused on a provider's 429)."""
        return ()

    #: whether the provider keeps copies of messages that :meth:`forget` can delete
    forgets_messages: bool = False

    async def forget(self, external_id: str) -> None:  # noqa: B027 - by design
        """Have the provider delete its copy of one handled message (its body and
        the person's address), by the id it gave the message. Done: returns
        (a message already gone counts). Not now: raises :class:`SendError`,
        ``retryable`` when a later try may succeed. Channels whose provider
        keeps nothing we can delete leave this a no-op and
        :attr:`forgets_messages` false."""

    @abstractmethod
    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        """Send ``message`` (as ``rendered``, which the outbox made for this
        channel; rendered here when not given). Raises :class:`SendError`."""
