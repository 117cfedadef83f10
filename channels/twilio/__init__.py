"""What the SMS and WhatsApp channels share: one Twilio client, webhooks, errors,
phone-number identities. :mod:`channels.sms` and :mod:`channels.whatsapp`
import only this package."""

from channels.twilio.channel import MAX_BODY_CHARS, TwilioChannel, region_of
from channels.twilio.errors import parse_retry_after, send_error
from channels.twilio.gateway import STATUS_PATH, Sent, TwilioGateway
from channels.twilio.identity import WHATSAPP_PREFIX, normalise_phone, phone_identity
from channels.twilio.webhook import Form, FormError, Signer, media_of, required, twiml

__all__ = [
    "MAX_BODY_CHARS",
    "STATUS_PATH",
    "WHATSAPP_PREFIX",
    "Form",
    "FormError",
    "Sent",
    "Signer",
    "TwilioChannel",
    "TwilioGateway",
    "media_of",
    "normalise_phone",
    "parse_retry_after",
    "phone_identity",
    "region_of",
    "required",
    "send_error",
    "twiml",
]
