"""The composition root: everything built once, from config, in one place."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

from bot.broadcast.chat import AdvisoryCommand, advisory_flow
from bot.broadcast.fanout import AdvisoryEnd, FanOut
from bot.broadcast.service import Broadcasts
from bot.config import Config
from bot.conversation.engine import Engine
from bot.conversation.flood import FloodGate
from bot.conversation.mission import Mission
from bot.conversation.pipeline import Conversations, Handled
from bot.desk.alerts import URGENT_ALERT, UrgentAlerts
from bot.desk.chat import StaffChat
from bot.desk.referral import REFERRAL, ReferralClock
from bot.desk.service import DeskService
from bot.domain.messages import Inbound
from bot.flows import build_flows
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import KeywordTable
from bot.observability.metrics import Metrics
from bot.outbox.clock import Clock
from bot.outbox.dispatcher import Dispatcher
from bot.polls.chat import PollCommand, ResultsCommand, poll_flow
from bot.polls.fanout import PollFanOut
from bot.polls.service import Polls
from bot.privacy.keyring import contact_vault, pseudonymiser
from bot.privacy.links import StoreKeys
from bot.privacy.vault import REACH
from bot.staff.directory import StaffDirectory
from bot.staff.reach import StaffReach
from bot.storage import store_for
from bot.storage.broadcast import ADVISORY_END, BROADCAST
from bot.storage.polls import POLL_SEND
from bot.storage.ports import Store
from bot.timers import DAILY, PURGE, DailyPurge, TimerRunner, retention_of, utc_now
from bot.timers.forget import (
    FORGET,
    INBOUND_DELAY,
    SENT_DELAY,
    ForgetAtProvider,
    ForgetKeys,
    forgetting,
)
from bot.transport.channel import Channel
from bot.transport.context import ChannelContext
from bot.transport.registry import ChannelPlugin, plugin
from moderation.abuse import assess_abuse
from moderation.anonymise import Anonymiser
from moderation.screening import Screening
from moderation.urgent import assess_urgent


class App:
    """A running Sauti: store, engine, conversations, outbox, timers and channels."""

    def __init__(self, config: Config, store: Store, *, clock: Clock | None = None) -> None:
        self.config = config
        self.store = store
        bot = config.bot
        self.mission = Mission.from_config(config)
        self.keywords = KeywordTable(bot.languages)
        self.vault = contact_vault(config.privacy)
        self.pseudonyms = pseudonymiser(config.privacy)
        self.store_keys = store_keys(config)
        self.channels: dict[str, Channel] = {}
        self._plugins: dict[str, ChannelPlugin] = {}
        self.metrics = Metrics()
        forget_keys = ForgetKeys()
        self.metrics.gauge("sauti_outbox_depth", "Messages waiting to be sent",
                           self._outbox_depth)
        self.dispatcher = Dispatcher(
            store, self.channels, self.vault, settings=config.outbox, metrics=self.metrics,
            clock=clock, after_send=forgetting(self.channels, self.vault, forget_keys,
                                               SENT_DELAY))
        self.metrics.labelled_gauge(
            "sauti_channel_up", "1 while a channel can send, 0 while connecting or down",
            "channel", lambda: {name: float(self.dispatcher.channel_state(name) == "up")
                                for name in self.channels})
        self.desk = DeskService(store, config, self.vault,
                                clock=clock.now if clock is not None else utc_now,
                                on_outbound=self.dispatcher.wake)
        self.staff = StaffDirectory(config.staff, self.pseudonyms, self.identity)
        self.staff_chat = StaffChat(self.desk, self.staff)
        self.broadcasts = Broadcasts(store, config,
                                     clock=clock.now if clock is not None else utc_now)
        self.polls = Polls(store, config, clock=clock.now if clock is not None else utc_now)
        self.detector = LanguageDetector(bot.languages, bot.default_language)
        self.engine = Engine(
            [*build_flows(self.mission),
             advisory_flow(self.mission, self.broadcasts, self.staff),
             poll_flow(self.mission, self.polls, self.staff)],
            self.keywords,
            self.detector,
            timedelta(minutes=bot.session_timeout_minutes),
            desk=self.staff_chat,
            flood=FloodGate(bot.flood_burst, bot.flood_per_minute),
        )
        self.screening = screening_of(config)
        self.staff_chat.advisory = AdvisoryCommand(self.broadcasts, self.engine.goto)
        self.staff_chat.poll = PollCommand(self.engine.goto)
        self.staff_chat.results = ResultsCommand(self.polls, bot.default_language,
                                                 images=self._shows_images)
        self.conversations = Conversations(
            store=store, engine=self.engine, mission=self.mission,
            screening=self.screening, pseudonyms=self.pseudonyms, vault=self.vault,
            replay_tag=self.store_keys.replay_tag, identify=self.identity,
            max_text_chars=bot.max_text_chars, on_outbound=self.dispatcher.wake,
            on_urgent=self._wake_timers,
            metrics=self.metrics, after_inbound=forgetting(self.channels, self.vault,
                                                           forget_keys, INBOUND_DELAY),
            detector=self.detector,
        )
        self.timers = TimerRunner(store, idle_wait=1.0)  # a due row from the CLI: within 1 s
        self.timers.register(PURGE, DailyPurge(store, retention_of(config)))
        self.timers.keep(PURGE, DAILY)  # retention, once a day
        self.timers.register(FORGET, ForgetAtProvider(self.channels, self.vault))
        self.staff_reach = StaffReach(config.staff, self.pseudonyms, self.identity, store,
                                      default_language=bot.default_language,
                                      running=self.channels.__contains__)
        self.timers.register(REFERRAL, ReferralClock(store, config, self.vault,
                                                     self.staff_reach))
        self.alert_handler = UrgentAlerts(store, config, self.vault, self.staff_reach,
                                          self.mission, running=self.channels.__contains__,
                                          on_queued=self.dispatcher.wake)
        self.timers.register(URGENT_ALERT, self.alert_handler)
        self.timers.register(BROADCAST, FanOut(store, bot.default_language,
                                               on_queued=self.dispatcher.wake,
                                               again=self._wake_timers))
        self.timers.register(ADVISORY_END, AdvisoryEnd(store))

        self.timers.register(POLL_SEND, PollFanOut(store, list(bot.languages),
                                                   bot.default_language,
                                                   on_queued=self.dispatcher.wake,
                                                   again=self._wake_timers))
        self.context = ChannelContext(handle=self._handle,
                                      delivery_status=self.delivery_status,
                                      has_channel=self.channels.__contains__)

    @classmethod
    async def open(cls, config: Config, *, clock: Clock | None = None) -> App:
        """``clock``: the outbox's time (tests move one by hand)."""
        store = store_for(config.storage.url, keys=store_keys(config))
        await store.open()
        return cls(config, store, clock=clock)

    def add_channel(self, channel: Channel) -> None:
        """Register ``channel``: the outbox sends on it, its carrier's keywords count."""
        self.channels[channel.name] = channel
        self.keywords.learn(channel.name, channel.carrier_keywords)

    def enable_channel(self, name: str) -> Channel:
        """Build channel ``name`` from its plug-in (see :mod:`bot.transport.registry`)."""
        channel = plugin(name).build(self.config, self.context)
        self.add_channel(channel)
        return channel

    def identity(self, channel: str, address: str) -> str:
        """The normalised identity behind ``address``, as the plug-in of channel
        ``channel`` says; :class:`UnknownChannel` for a name no plug-in has."""
        known = self._plugins.get(channel)
        if known is None:  # raises UnknownChannel for a name no plug-in has
            known = self._plugins[channel] = plugin(channel)
        return known.identity(self.config, address)

    def _shows_images(self, channel: str) -> bool:
        running = self.channels.get(channel)
        return running is not None and running.capabilities.images

    def _wake_timers(self) -> None:
        self.timers.wake()

    def _handle(self, inbound: Inbound) -> Awaitable[Handled]:
        """What channels hand their inbound to (whatever ``conversations`` is then)."""
        return self.conversations.handle(inbound)

    async def _outbox_depth(self) -> float:
        return float(await self.store.outbox_depth())

    async def delivery_status(self, channel: str, external_id: str, status: str,
                              error: str | None) -> bool:
        """A channel's delivery report (e.g. Twilio's status callback)."""
        self.metrics.outbound.inc(channel=channel, result=f"delivery_{status}"[:40])
        return await self.store.delivery_status(channel, external_id, status, error)

    async def close(self) -> None:
        self.dispatcher.stop()
        self.timers.stop()
        await self.store.close()


def screening_of(config: Config) -> Screening:
    """The moderation pipeline every resident's text goes through."""
    places = [name for area in config.areas for name in (area.code, *area.names.values())]
    return Screening(Anonymiser(config.bot.regions, places), urgent=assess_urgent,
                     abuse=assess_abuse, abuse_words=config.moderation.abuse_words)


def store_keys(config: Config) -> StoreKeys:
    """The keys the store computes with (reach links, replay tags), from config:
    the reach vault rotates with the contact keys; replay tags are keyed by the
    current pseudonym key alone (they live two or three days)."""
    privacy = config.privacy
    return StoreKeys(reach=contact_vault(privacy, REACH),
                     replay_key=privacy.pseudonym_keys[0].secret)
