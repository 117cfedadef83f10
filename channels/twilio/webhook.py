"""Twilio's signed form posts: the signature check and the form fields SMS and
WhatsApp share."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot.domain.messages import MediaKind

__all__ = ["Form", "FormError", "media_of", "required", "signed", "twiml", "verified_form"]

log = logging.getLogger(__name__)

MAX_MEDIA = 10
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_MEDIA_FAMILIES = {"image": MediaKind.PHOTO, "audio": MediaKind.VOICE, "video": MediaKind.VIDEO}

Form = Mapping[str, str]


class FormError(ValueError):
    """A webhook form that cannot be a Twilio message (answered 400)."""


def media_of(form: Form) -> tuple[MediaKind, ...]:
    """Kinds of the attachments (NumMedia, MediaContentTypeN); the media is not fetched."""
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise FormError("NumMedia") from None
    if count < 0:
        raise FormError("NumMedia")
    kinds: list[MediaKind] = []
    for i in range(min(count, MAX_MEDIA)):
        family = form.get(f"MediaContentType{i}", "").split("/", 1)[0].strip().lower()
        kinds.append(_MEDIA_FAMILIES.get(family, MediaKind.DOCUMENT))
    return tuple(kinds)


def required(form: Form, name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise FormError(name)
    return value


def twiml() -> web.Response:
    """Twilio's "handled, nothing to say here": replies go through the outbox."""
    return web.Response(text=EMPTY_TWIML, content_type="text/xml", charset="utf-8")


def signed(validator: RequestValidator, url: str, pairs: Sequence[tuple[str, str]],
           signature: str) -> bool:
    """Whether Twilio signed ``pairs`` (all of them: a repeated field is signed
    with all its values) posted to ``url``; twilio's check also tries the URL
    with and without its port, as Twilio's signing is inconsistent there."""
    return bool(signature) and bool(validator.validate(url, MultiDict(pairs), signature))


async def verified_form(request: web.Request, validator: RequestValidator,
                        public_url: str) -> dict[str, str]:
    """The posted form, if Twilio signed it for our public URL (else 400 / 403)."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPBadRequest(text="form-encoded body expected")
    try:
        pairs = [(key, str(value)) for key, value in (await request.post()).items()]
    except (ValueError, LookupError):
        raise web.HTTPBadRequest(text="unparsable form") from None
    url = public_url + request.rel_url.raw_path_qs
    if not signed(validator, url, pairs, request.headers.get("X-Twilio-Signature", "")):
        log.warning("twilio webhook: bad or missing signature on %s", request.path)
        raise web.HTTPForbidden(text="invalid signature")
    return dict(reversed(pairs))  # the first value of each field
