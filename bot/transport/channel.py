"""The one interface every channel implements, and how channels are found.

Channels are plug-ins named in :data:`CHANNELS` and imported by name when the
config enables them, so the core never imports a channel (or its SDK).
A channel verifies and parses what arrives, hands an :class:`Inbound` to
``app.conversations.handle`` and sends what the outbox gives it: no business
rules live in a channel.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.domain.messages import Outbound

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a medium can show: the renderer degrades to what is missing."""

    buttons: bool = False
    max_chars: int = 4096
    sms: bool = False


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


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    async def send(self, address: str, message: Outbound) -> SendResult: ...


class ServedChannel(Channel, Protocol):
    """A channel with a lifetime (HTTP client, polling task) and webhooks.

    It may also have a ``ready`` attribute: while false (its provider not yet
    reached), the outbox claims nothing for it, so queued messages wait without
    spending their tries. A channel without one is always ready."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def routes(self) -> Sequence[Route]: ...

    def throttles(self, address: str, message: Outbound) -> Sequence[Throttle]: ...


class ChannelFactory(Protocol):
    def __call__(self, config: Config, app: App) -> Channel: ...


CHANNELS: dict[str, str] = {
    "console": "channels.console:build",
    "telegram": "channels.telegram:build",
    "sms": "channels.sms:build",
    "whatsapp": "channels.whatsapp:build",
}


def is_ready(channel: Channel) -> bool:
    """Whether ``channel`` can send now (see :class:`ServedChannel`)."""
    return bool(getattr(channel, "ready", True))


def load_channel(name: str) -> ChannelFactory:
    """Import the factory of channel ``name``."""
    module_name, _, attr = CHANNELS[name].partition(":")
    factory: ChannelFactory = getattr(importlib.import_module(module_name), attr)
    return factory
