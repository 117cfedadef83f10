"""What a channel may use of the running bot: no more than it needs.

A channel hands what arrives to :attr:`ChannelContext.handle`, reports
deliveries through :attr:`ChannelContext.delivery_status`, and shares a client
with its sibling channels through :attr:`ChannelContext.shared`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.domain.messages import Inbound

T = TypeVar("T")


class SharedClients:
    """Clients that several channels of one bot share, one per type (e.g. the
    one Twilio gateway of SMS and WhatsApp)."""

    __slots__ = ("_clients",)

    def __init__(self) -> None:
        self._clients: dict[type, object] = {}

    def get_or_create(self, kind: type[T], factory: Callable[[], T]) -> T:
        """The shared ``kind``, made by ``factory`` the first time it is asked for."""
        client = self._clients.get(kind)
        if not isinstance(client, kind):
            client = self._clients[kind] = factory()
        return client


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """``handle(inbound)`` returns once the turn is durable (answer the provider
    only then); ``delivery_status(channel, external_id, status, error)`` says
    whether the message was known; ``has_channel(name)`` whether a channel by
    that name is registered (e.g. for a fallback)."""

    handle: Callable[[Inbound], Awaitable[object]]
    delivery_status: Callable[[str, str, str, str | None], Awaitable[bool]]
    has_channel: Callable[[str], bool]
    shared: SharedClients = field(default_factory=SharedClients)
