"""The pipeline of one inbound message: dedupe → lock and load → clean →
engine (which redacts what it keeps) → one atomic write, replies included."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.conversation.commit import turn_write
from bot.conversation.engine import Engine
from bot.conversation.flood import FLOOD
from bot.conversation.flow import IDLE
from bot.conversation.mission import Mission
from bot.conversation.prompts import menu_hint
from bot.conversation.turn import Message, State, Turn
from bot.domain.effects import SetLanguage, SubmitReport
from bot.domain.messages import Inbound, Outbound
from bot.domain.records import Contact, Conversation, NewTimer
from bot.i18n.catalogue import _, language
from bot.i18n.detection import LanguageDetector
from bot.observability.metrics import Metrics
from bot.privacy.vault import AddressVault
from bot.storage.ports import Store, StoreError
from bot.text.cleaning import clean, fold
from moderation.pseudonym import Pseudonymiser
from moderation.screening import Screened, Screening

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: Outcome
    replies: tuple[Outbound, ...] = ()


class Conversations:
    """Handles inbound messages of every channel; the one place a turn is stored."""

    def __init__(
        self,
        *,
        store: Store,
        engine: Engine,
        mission: Mission,
        screening: Screening,
        pseudonyms: Pseudonymiser,
        vault: AddressVault,
        replay_tag: Callable[[str, str], str],
        identify: Callable[[str, str], str],
        max_text_chars: int,
        on_outbound: Callable[[], None] | None = None,
        on_urgent: Callable[[], None] | None = None,
        metrics: Metrics | None = None,
        after_inbound: Callable[[str, str, datetime], NewTimer | None] | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        """``after_inbound``: the due row a handled message leaves (its channel,
        its provider id, when), in the turn's write: deleting it at the provider."""
        self._metrics = metrics or Metrics()
        self._detector = detector  # the language a kept text is written in
        self._after_inbound = after_inbound
        self._store = store
        self._engine = engine
        self._mission = mission
        self._screening = screening
        self._pseudonyms = pseudonyms
        self._vault = vault
        self._replay_tag = replay_tag
        self._identify = identify
        self._limit = max_text_chars
        self._locks = store.locks
        self._on_outbound = on_outbound
        self._on_urgent = on_urgent

    def contact_id(self, channel: str, address: str) -> str:
        return self._pseudonyms.contact(channel, self._identify(channel, address))

    async def handle(self, inbound: Inbound) -> Handled:
        """Handle one message; returns once its effects and replies are durable."""
        started = time.perf_counter()
        handled = await self._handle(inbound)
        self._metrics.inbound.inc(channel=inbound.channel, outcome=handled.outcome.value)
        self._metrics.handling.observe(time.perf_counter() - started, channel=inbound.channel)
        return handled

    async def _handle(self, inbound: Inbound) -> Handled:
        identity = self._identify(inbound.channel, inbound.address)
        contact_id = self._pseudonyms.contact(inbound.channel, identity)
        async with self._locks(contact_id):
            # the replay table keeps a keyed tag of the provider's id, never the id
            key = ((inbound.channel, self._replay_tag(inbound.channel, inbound.external_id))
                   if inbound.external_id else None)
            seen, convo = await self._store.begin_turn(contact_id, key)
            if seen:
                log.info("duplicate inbound on %s ignored", inbound.channel)
                return Handled(Outcome.DUPLICATE)
            if convo is None:
                convo = await self._moved(inbound.channel, identity, contact_id)
            now = inbound.received_at
            text, cut = clean(inbound.text, self._limit)
            message = Message(text, fold(text), inbound.choice, inbound.media,
                              inbound.location, cut, now)
            if convo is None:
                contact = Contact(
                    id=contact_id,
                    person=self._pseudonyms.person(identity),
                    channel=inbound.channel,
                    address_sealed=self._vault.seal(inbound.address),
                    language=None, opted_out=False, created_at=now, last_inbound_at=now)
                session = None
            else:
                contact, session = convo.contact, convo.session
            state = State(
                step=session.step if session else None,
                data=dict(session.data) if session else {},
                language=contact.language if contact.language in self._mission.languages
                else self._mission.default_language,
                opted_out=contact.opted_out,
                flood=session.data.get(FLOOD) if session else None,
            )
            names = (inbound.profile_name,) if inbound.profile_name else ()

            def screen(raw: str) -> Screened:
                """A text to keep, in the language it is written in: the person's,
                unless a long enough text clearly says another."""
                written = (state.language if self._detector is None
                           else self._detector.detect(raw, previous=state.language))
                return self._screening.screen(raw, written, known_names=names)

            turn = Turn(state=state, message=message, contact_id=contact_id,
                        lookups=self._store, screener=screen, channel=inbound.channel)
            try:
                await self._engine.run(turn, channel=inbound.channel, is_new=convo is None,
                                       last_active=session.updated_at if session else None,
                                       language_hint=inbound.language_hint)
            except StoreError:
                raise  # the store is unwell: the channel answers 5xx and it comes again
            except Exception as exc:  # a bug in a flow must not trap the person in it
                log.exception("turn on %s failed at step %s (%s): back to the menu",
                              inbound.channel, state.step, type(exc).__name__)
                turn = self._recover(turn)
            timer = None
            if self._after_inbound is not None and inbound.external_id:
                timer = self._after_inbound(inbound.channel, inbound.external_id, now)
            write, replies = turn_write(contact, turn, key, now, is_new=convo is None,
                                        sensitive=self._mission.sensitive, vault=self._vault,
                                        timers=() if timer is None else (timer,))
            if not await self._store.commit_turn(write):
                log.info("duplicate inbound on %s ignored", inbound.channel)
                return Handled(Outcome.DUPLICATE)
        if replies and self._on_outbound is not None:
            self._on_outbound()
        if self._on_urgent is not None and any(
                isinstance(e, SubmitReport) and e.urgent for e in turn.effects):
            self._on_urgent()  # its alert is a due row, due now: the timers run it
        log.debug("turn on %s: step %s, %d effects", inbound.channel, turn.state.step,
                  len(turn.effects))
        return Handled(Outcome.HANDLED, replies)

    async def _moved(self, channel: str, identity: str, contact_id: str) -> Conversation | None:
        """A person whose contact a previous pseudonym key made (a key rotation is
        under way) keeps their conversation: it moves to the current key's id,
        session, subscriptions and messages with it, in one transaction."""
        earlier = self._pseudonyms.earlier_contacts(channel, identity)
        for old in earlier:
            if await self._store.rekey_contact(old, contact_id, self._pseudonyms.person(identity)):
                log.info("a contact on %s moved to the current pseudonym key", channel)
                return await self._store.load(contact_id)
        # `sauti keys reseal` may have moved it since this turn began
        return await self._store.load(contact_id) if earlier else None

    def _recover(self, failed: Turn) -> Turn:
        """A fresh turn that apologises and leaves the person at the menu, with
        nothing of the failed turn's effects but a language it had set."""
        state = failed.state
        state.step, state.data = IDLE, {}
        turn = Turn(state=state, message=failed.message, contact_id=failed.contact_id,
                    lookups=failed.lookups, screener=failed.screener)
        turn.effects = [e for e in failed.effects if isinstance(e, SetLanguage)]
        with language(state.language):
            turn.say(_("Sorry, something went wrong.") + " " + menu_hint())
        return turn
