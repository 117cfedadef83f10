"""One person, one identity: the E.164 number behind an SMS or WhatsApp address,
so that the same number is the same person (and pseudonym) on both."""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["WHATSAPP_PREFIX", "normalise_phone", "phone_identity"]

WHATSAPP_PREFIX = "whatsapp:"  # Twilio's wire format for a WhatsApp number
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def normalise_phone(raw: str, region: str) -> str:
    """E.164 form of ``raw`` when it parses (a national number in ``region``);
    the stripped input otherwise."""
    if _E164.fullmatch(raw):  # what Twilio sends: already normal
        return raw
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw.strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_identity(address: str, region: str) -> str:
    """The identity of an SMS or WhatsApp address (with or without ``whatsapp:``)."""
    return normalise_phone(address.removeprefix(WHATSAPP_PREFIX), region)
