"""What the SMS and WhatsApp channels share: one Twilio client, webhooks, errors,
phone-number identities. :mod:`channels.sms` and :mod:`channels.whatsapp`
import only this package."""

from channels.twilio.channel import MAX_BODY_CHARS, TwilioChannel
from channels.twilio.errors import parse_retry_after
from channels.twilio.gateway import STATUS_PATH, TwilioGateway
from channels.twilio.identity import WHATSAPP_PREFIX, phone_identity
from channels.twilio.webhook import Form, FormError, Signer, media_of, required

__all__ = [
    "MAX_BODY_CHARS",
    "STATUS_PATH",
    "WHATSAPP_PREFIX",
    "Form",
    "FormError",
    "Signer",
    "TwilioChannel",
    "TwilioGateway",
    "media_of",
    "parse_retry_after",
    "phone_identity",
    "required",
]
