"""Twilio's signed form posts: the signature check and the form fields SMS and
WhatsApp share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from urllib.parse import urlparse

from aiohttp import web
from twilio.request_validator import add_port, remove_port

from bot.domain.messages import MediaKind

__all__ = ["Form", "FormError", "Signer", "media_of", "required", "twiml", "verified_form"]

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


class Signer:
    """Twilio's webhook signature (what ``RequestValidator`` computes, which the
    tests check it against): HMAC-SHA1 with the auth token, base64, of the URL
    followed by each distinct field name and value, sorted by name, then value.

    The one check of every webhook. It is keyed once and copied per request
    (why: docs/performance.md, "Webhook signatures"); the URL is tried as
    configured first, then with or without its default port, as Twilio's own
    validator does, because Twilio's signing is inconsistent there."""

    __slots__ = ("_keyed",)

    def __init__(self, auth_token: str) -> None:
        self._keyed = hmac.new(auth_token.encode("utf-8"), digestmod=hashlib.sha1)

    def __repr__(self) -> str:
        return "Signer(<hidden>)"

    def signature(self, url: str, pairs: Sequence[tuple[str, str]]) -> str:
        fields = dict(pairs)
        if len(fields) == len(pairs):  # no name twice, as usual: sorting the names will do
            data = url + "".join([name + fields[name] for name in sorted(fields)])
        else:
            data = url + "".join(name + value for name, value in sorted(set(pairs)))
        mac = self._keyed.copy()
        mac.update(data.encode("utf-8"))
        return base64.b64encode(mac.digest()).decode("ascii")

    def signed(self, url: str, pairs: Sequence[tuple[str, str]], signature: str) -> bool:
        """Whether Twilio signed ``pairs`` (all of them: a repeated field is signed
        with all its values) posted to ``url``."""
        if not signature:
            return False
        given = signature.encode("utf-8", "surrogateescape")
        if hmac.compare_digest(self.signature(url, pairs).encode("ascii"), given):
            return True
        parsed = urlparse(url)
        other = remove_port(parsed) if parsed.port else add_port(parsed)
        return hmac.compare_digest(self.signature(other, pairs).encode("ascii"), given)


async def verified_form(request: web.Request, signer: Signer,
                        public_url: str) -> dict[str, str]:
    """The posted form, if Twilio signed it for our public URL (else 400 / 403)."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPBadRequest(text="form-encoded body expected")
    try:
        pairs = [(key, str(value)) for key, value in (await request.post()).items()]
    except (ValueError, LookupError):
        raise web.HTTPBadRequest(text="unparsable form") from None
    url = public_url + request.rel_url.raw_path_qs
    if not signer.signed(url, pairs, request.headers.get("X-Twilio-Signature", "")):
        log.warning("twilio webhook: bad or missing signature on %s", request.path)
        raise web.HTTPForbidden(text="invalid signature")
    return dict(reversed(pairs))  # the first value of each field
