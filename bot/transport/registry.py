"""Channels are plug-ins found through the ``sauti.channels`` entry points.

Each entry point names a :class:`ChannelPlugin`: how to build the channel
from config and a :class:`ChannelContext`, and whether the config enables it
for ``sauti serve``. The core never imports a channel (or its SDK) by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from bot.config import Config
from bot.transport.channel import Channel, UnknownChannel
from bot.transport.context import ChannelContext

GROUP = "sauti.channels"


@dataclass(frozen=True, slots=True)
class ChannelPlugin:
    """``build`` makes the channel; ``enabled`` says whether the config turns it on
    for ``sauti serve``; ``identify(config, address)`` is the one identity of the
    person behind an address on this channel (what pseudonyms are keyed on),
    ``<channel>:<address, casefolded>`` by default. It needs no built channel: a
    message can be queued for a channel this process does not run."""

    name: str
    build: Callable[[Config, ChannelContext], Channel]
    enabled: Callable[[Config], bool]
    identify: Callable[[Config, str], str] | None = None

    def identity(self, config: Config, address: str) -> str:
        if self.identify is None:
            return f"{self.name}:{address.strip().casefold()}"
        return self.identify(config, address)


def plugins() -> dict[str, ChannelPlugin]:
    """Every installed channel plug-in, by name (sorted)."""
    return {point.name: _load(point)
            for point in sorted(entry_points(group=GROUP), key=lambda p: p.name)}


def plugin(name: str) -> ChannelPlugin:
    """The plug-in of channel ``name`` (only its module is imported)."""
    points = entry_points(group=GROUP, name=name)
    if not points:
        raise UnknownChannel(f"no channel plug-in named {name!r} (entry points {GROUP})")
    (point,) = points
    return _load(point)


def _load(point: EntryPoint) -> ChannelPlugin:
    found = point.load()
    if not isinstance(found, ChannelPlugin) or found.name != point.name:
        raise TypeError(f"entry point {GROUP}:{point.name} is not a ChannelPlugin of that name")
    return found


def enabled_channels(config: Config) -> list[str]:
    """The channels ``config`` turns on for ``sauti serve``, as their plug-ins say."""
    return [name for name, found in plugins().items() if found.enabled(config)]
