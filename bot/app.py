"""The composition root: everything built once, from config, in one place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.config import Config
from bot.conversation.engine import Engine
from bot.conversation.mission import Mission
from bot.conversation.pipeline import Conversations
from bot.flows import build_flows
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import KeywordTable
from bot.observability.metrics import Metrics
from bot.outbox.dispatcher import Dispatcher
from bot.privacy.vault import AddressVault
from bot.storage import store_for
from bot.storage.ports import Store
from bot.transport.channel import Channel, load_channel
from moderation.anonymise import Anonymiser
from moderation.pseudonym import Pseudonymiser, identity


class App:
    """A running Sauti: store, engine, conversations, outbox and channels."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        bot = config.bot
        self.mission = Mission.from_config(config)
        self.engine = Engine(
            build_flows(self.mission),
            KeywordTable(bot.languages),
            LanguageDetector(bot.languages, bot.default_language),
            timedelta(minutes=bot.session_timeout_minutes),
        )
        self.vault = AddressVault(config.privacy.contact_key.get_secret_value())
        self.pseudonyms = Pseudonymiser(config.privacy.pseudonym_key.get_secret_value())
        self.channels: dict[str, Channel] = {}
        self.shared: dict[str, Any] = {}  # for channel plug-ins that share a client
        self.metrics = Metrics()
        self.metrics.gauge("sauti_outbox_depth", "Messages waiting to be sent",
                           self._outbox_depth)
        self.dispatcher = Dispatcher(store, self.channels, self.vault, settings=config.outbox,
                                     twilio=config.twilio, metrics=self.metrics)
        self.metrics.labelled_gauge(
            "sauti_channel_up", "1 while a channel can send, 0 while connecting or down",
            "channel", lambda: {name: float(self.dispatcher.channel_state(name) == "up")
                                for name in self.channels})
        self.conversations = Conversations(
            store=store, engine=self.engine, mission=self.mission,
            anonymiser=Anonymiser(bot.regions), pseudonyms=self.pseudonyms, vault=self.vault,
            identify=lambda channel, address: identity(channel, address, bot.regions[0]),
            max_text_chars=bot.max_text_chars,
            on_outbound=self.dispatcher.wake, metrics=self.metrics,
        )

    @classmethod
    async def open(cls, config: Config) -> App:
        store = store_for(config.storage.url)
        await store.open()
        return cls(config, store)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def enable_channel(self, name: str) -> Channel:
        channel = load_channel(name)(self.config, self)
        self.add_channel(channel)
        return channel

    async def _outbox_depth(self) -> float:
        return float(await self.store.outbox_depth())

    async def delivery_status(self, channel: str, external_id: str, status: str,
                              error: str | None) -> bool:
        """A channel's delivery report (e.g. Twilio's status callback)."""
        self.metrics.outbound.inc(channel=channel, result=f"delivery_{status}"[:40])
        return await self.store.delivery_status(channel, external_id, status, error)

    async def close(self) -> None:
        self.dispatcher.stop()
        await self.store.close()
