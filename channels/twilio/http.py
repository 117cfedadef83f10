"""The HTTP client the twilio SDK sends through: its own, with the form encoded here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from twilio.http.async_http_client import AsyncTwilioHttpClient

__all__ = ["FormEncodingHttpClient"]


class FormEncodingHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """twilio's async HTTP client, with the form body encoded before aiohttp sees it.

    The measured need (docs/performance.md, "The Twilio form body"): handed a
    dict, aiohttp looks for a payload type that takes one, fails, then builds a
    FormData and a multipart writer with a random boundary it never uses, only
    to urlencode it: a quarter of a send's cost, and without this
    ``bench/outbox.py`` meets a 400-segments/s limit with 429s, not none. The
    bytes are the same (``urlencode(doseq=True)`` is what FormData does, a test
    checks it on the wire); twilio already sets the Content-Type.
    """

    async def request(self, method: str, url: str, params: Any = None, data: Any = None,
                      headers: Any = None, auth: Any = None,
                      timeout: float | None = None,  # noqa: ASYNC109 - twilio's signature
                      allow_redirects: bool = False) -> Any:
        if isinstance(data, Mapping) and data:
            data = urlencode(data, doseq=True).encode()
        return await super().request(method, url, params, data, headers, auth, timeout,
                                     allow_redirects)
