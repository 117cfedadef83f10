"""The two message shapes every channel maps to and from.

Raw SDK payloads never leave a channel: a channel parses its request into an
:class:`Inbound` and renders an :class:`Outbound` for its medium.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class MediaKind(StrEnum):
    """What a message carried besides text."""

    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float

    def __repr__(self) -> str:  # where someone is, or was: never printed
        return "Location(<hidden>)"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a person, as any channel delivers it.

    ``address`` is the channel-native sender address (console user name,
    Telegram user id, E.164 phone number): personal data that lives only in
    memory for the length of one turn. ``choice`` is the key of a pressed
    button, when the channel has buttons.
    """

    channel: str
    address: str
    text: str = ""
    external_id: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    media: tuple[MediaKind, ...] = ()
    location: Location | None = None
    choice: str | None = None
    profile_name: str | None = None
    language_hint: str | None = None

    def __repr__(self) -> str:  # never the address, the text, the place or the provider's id
        return (
            f"Inbound(channel={self.channel!r}, chars={len(self.text)}, "
            f"media={[m.value for m in self.media]})"
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a question: ``key`` comes back in :attr:`Inbound.choice`.
    ``number``: the number it is shown and picked by, where it is not its place
    in the list (a list that keeps its numbers as items leave it)."""

    key: str
    label: str
    number: int | None = None

    def shown_number(self, place: int) -> int:
        return self.number if self.number is not None else place


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to a person, before the channel renders it.

    ``choices`` become buttons where the channel has them and numbered lines
    elsewhere; ``kind`` names what the message is for (reply, advisory, poll),
    which decides rate-limit priority and WhatsApp templates. ``template_sid``
    (a Twilio Content SID) and its variables replace the text on WhatsApp
    outside the 24-hour window. ``parts_sent``: of a text too long for one
    message, how many of its parts earlier tries delivered (not sent again),
    and ``segments_sent`` what they were billed. ``image``: a PNG shown with the
    text where the channel can show pictures (a poll's chart for staff: counts,
    never anyone's data); other channels send the text alone.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    kind: str = "reply"
    language: str = "en"
    template_sid: str | None = None
    template_vars: dict[str, str] | None = None
    parts_sent: int = 0
    segments_sent: int = 0
    image: bytes | None = None

    def __repr__(self) -> str:
        shown = f", image={len(self.image)}B" if self.image else ""
        return (f"Outbound(kind={self.kind!r}, chars={len(self.text)}, "
                f"choices={len(self.choices)}{shown})")
