"""Twilio's signed form posts: the signature check and the form fields SMS and
WhatsApp share."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import parse_qsl, urlparse

from aiohttp import web
from twilio.request_validator import add_port, remove_port

from bot.domain.messages import MediaKind
from bot.web.limits import MAX_BODY, read_body

__all__ = ["Form", "FormError", "Signer", "media_of", "required", "twiml", "verified_form"]

log = logging.getLogger(__name__)

MAX_MEDIA = 10
MAX_FIELDS = 200  # Twilio posts about 20 fields, 40 more with ten media
_SIGNATURE_CHARS = 28  # base64 of a 20-byte HMAC-SHA1
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
    """The posted form, if Twilio signed it for our public URL, else 403 (no or a
    malformed signature: before the body is read), 413 (a body over
    :data:`~bot.web.limits.MAX_BODY`), 400 (not a form). The signature is checked over
    the raw pairs of the body; only a signed form becomes the mapping the code keeps."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPBadRequest(text="form-encoded body expected")
    form = await _signed_form(request, signer, public_url)
    if isinstance(form, dict):
        return form
    # Raised from here, where no local holds the body: aiohttp keeps the exception
    # (the response) and its traceback for a while (see bot.web.limits.read_body).
    raise _REFUSALS[form]()


_REFUSALS: dict[int, Callable[[], web.HTTPException]] = {
    400: lambda: web.HTTPBadRequest(text="unparsable form"),
    403: lambda: web.HTTPForbidden(text="invalid signature"),
    413: lambda: web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=MAX_BODY + 1),
}


async def _signed_form(request: web.Request, signer: Signer,
                       public_url: str) -> dict[str, str] | int:
    """The form, or the status that refuses it."""
    signature = well_formed_signature(request.headers.get("X-Twilio-Signature", ""))
    if signature is None:
        log.warning("twilio webhook: no or a malformed signature on %s", request.path)
        return 403
    body = await read_body(request)
    if body is None:
        return 413
    pairs = form_pairs(body)
    if pairs is None:
        return 400
    if not signer.signed(public_url + request.rel_url.raw_path_qs, pairs, signature):
        log.warning("twilio webhook: bad signature on %s", request.path)
        return 403
    return dict(reversed(pairs))  # the first value of each field


def well_formed_signature(header: str) -> str | None:
    """The header if it can be a signature (the base64 of an HMAC-SHA1: 28 ASCII
    characters), else None: what aiohttp decoded from bytes that are not UTF-8,
    not base64 or of another length is refused before anything else is done."""
    if len(header) != _SIGNATURE_CHARS or not header.isascii():
        return None
    try:
        digest = base64.b64decode(header, validate=True)
    except binascii.Error:
        return None
    return header if len(digest) == hashlib.sha1().digest_size else None


def form_pairs(body: bytes) -> list[tuple[str, str]] | None:
    """The fields of a form-encoded body in order, repeated ones repeated and empty
    values kept (what the signature covers), or None if it is not UTF-8 or has more
    fields than a Twilio webhook (under 100)."""
    try:
        text = body.rstrip().decode("utf-8")  # as aiohttp's request.post() reads it
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                         max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None
