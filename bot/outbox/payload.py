"""What an outbox row says, in the one format both sides share: the turn that
queues a message seals it (:func:`outbound_payload`), the dispatcher opens it
(:func:`message_of`)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from bot.domain.messages import Choice, Outbound
from bot.domain.records import OutboundRecord
from bot.privacy.vault import AddressVault, VaultError

__all__ = ["expired", "message_of", "outbound_payload"]


def outbound_payload(message: Outbound, vault: AddressVault) -> dict[str, object]:
    """An outbox row's payload: what the message says (its text, which may hold a
    reference code or a report's summary, its choices and language) sealed with
    the contact vault, so that it is never kept in clear beside its contact, even
    while it waits. The store may add clear counters beside it (``parts_sent``,
    ``segments_sent``) and drops the whole payload once the message is sent or
    failed. :func:`message_of` reads it back."""
    said = {"text": message.text,
            "choices": [[c.key, c.label] if c.number is None else [c.key, c.label, c.number]
                        for c in message.choices],
            "language": message.language}
    if message.image:
        said["image"] = base64.b64encode(message.image).decode("ascii")
    sealed = vault.seal(json.dumps(said, ensure_ascii=False, separators=(",", ":")))
    return {"sealed": sealed.decode("ascii")}


def expired(record: OutboundRecord, now: datetime) -> bool:
    """Whether the row is an advisory past its expiry (``expires`` beside what it
    says, in clear: an advisory is staff's public text): never sent late."""
    expires = record.payload.get("expires")
    try:
        return isinstance(expires, str) and now >= datetime.fromisoformat(expires)
    except ValueError:
        return False


def message_of(record: OutboundRecord, vault: AddressVault | None = None) -> Outbound:
    """The message an outbox row holds (the one place a payload is decoded): what it
    says is sealed with the contact vault (:func:`outbound_payload`);
    rows queued before schema 7 hold it in clear. VaultError when it cannot be opened."""
    p = record.payload
    said = p
    if "sealed" in p:
        if vault is None:
            raise VaultError("a sealed message needs the contact vault")
        try:
            said = json.loads(vault.open(str(p["sealed"]).encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise VaultError("message cannot be decoded") from None
        if not isinstance(said, dict):
            raise VaultError("message cannot be decoded")
    try:
        image = base64.b64decode(str(said["image"]), validate=True) if said.get("image") else None
    except (binascii.Error, ValueError):
        raise VaultError("message cannot be decoded") from None
    return Outbound(text=str(said.get("text", "")),
                    choices=tuple(Choice(str(c[0]), str(c[1]), int(c[2]) if len(c) > 2 else None)
                                  for c in said.get("choices", [])),
                    kind=record.kind,
                    language=str(said.get("language", "en")),
                    parts_sent=int(p.get("parts_sent", 0)),
                    segments_sent=int(p.get("segments_sent", 0)),
                    image=image)
