"""Twilio's failures as :class:`SendError`, with reasons safe to store (never a
number, never text)."""

from __future__ import annotations

import contextvars
import email.utils
import math
from datetime import UTC, datetime
from types import SimpleNamespace

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from bot.transport.channel import SendError

__all__ = ["keep_retry_after", "parse_retry_after", "retry_after_headers", "send_error"]

_REASONS = {21211: "invalid number", 21614: "not a mobile number"}
# The Retry-After header of the request running in this task: twilio's exceptions drop
# the response headers, so an aiohttp trace hook keeps it here for the caller.
retry_after_headers: contextvars.ContextVar[list[str]] = contextvars.ContextVar(
    "twilio_retry_after")


def send_error(exc: BaseException) -> SendError:
    """Map a twilio or transport failure to a :class:`SendError`; ``exc`` text is never kept
    (Twilio's messages can quote the number)."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status, code = int(exc.status), int(exc.code or exc.status)
        if code == 21610:
            return SendError("twilio 21610: recipient opted out", retryable=False,
                             opted_out=True)
        if status == 401 or code == 20003:  # our account's credentials, not this message
            return SendError("twilio 20003: credentials refused", retryable=True,
                             channel_down=True)
        if status == 429 or code in (20429, 63018):
            headers = retry_after_headers.get(None)
            return SendError(f"twilio {code}: rate limited", retryable=True,
                             retry_after=parse_retry_after(headers[-1]) if headers else None)
        if code == 63016:
            return SendError("twilio 63016: outside WhatsApp 24h window", retryable=False)
        if code in _REASONS:
            return SendError(f"twilio {code}: {_REASONS[code]}", retryable=False)
        if status >= 500:
            return SendError(f"twilio {code}: server error {status}", retryable=True)
        return SendError(f"twilio {code}: rejected ({status})", retryable=False)
    if isinstance(exc, TimeoutError):
        return SendError("twilio: timed out", retryable=True)
    if isinstance(exc, aiohttp.ClientConnectorError):  # not connected: nothing went out
        return SendError(f"twilio: transport {type(exc).__name__}", retryable=True,
                         channel_down=True)
    if isinstance(exc, aiohttp.ClientError):
        return SendError(f"twilio: transport {type(exc).__name__}", retryable=True)
    raise TypeError(f"not a send failure: {type(exc).__name__}") from exc


def parse_retry_after(value: str | None, cap: float = 3600.0) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(cap, max(0.0, seconds)) if math.isfinite(seconds) else None


async def keep_retry_after(session: aiohttp.ClientSession, context: SimpleNamespace,
                           params: aiohttp.TraceRequestEndParams) -> None:
    """aiohttp trace hook: keep each response's Retry-After for :func:`send_error`."""
    holder = retry_after_headers.get(None)
    if holder is not None:
        holder.append(params.response.headers.get("Retry-After", ""))
