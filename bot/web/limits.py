"""How much of a request body ``sauti serve`` reads (the webhooks' one reader)."""

from __future__ import annotations

from aiohttp import web

__all__ = ["MAX_BODY", "read_body"]

# A request body is read to at most this, then answered 413: a Telegram update or a
# Twilio form is a few KB (a 4,096-character message with its entities, or a
# 1,600-character SMS and ten media URLs), and an unauthenticated post must not make
# the server hold a megabyte (docs/performance.md, "Hostile input").
MAX_BODY = 64 * 1024


async def read_body(request: web.Request) -> bytes | None:
    """The body, or None if it is over :data:`MAX_BODY` (the caller answers 413):
    refused by its Content-Length before a byte is read, else read up to the limit.

    Read here, not with ``request.read()``: that raises ``HTTPRequestEntityTooLarge``
    out of the handler, and keeps the body on the request. aiohttp keeps a raised
    HTTPException as the response, and its traceback the frames that held the request:
    a reference cycle that outlives the young collections and waits for a full one
    (300 rejected 1.1 MB posts held 130 MB). A handler that refuses what it read
    answers without raising, or raises from a frame that no longer holds the body."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)
