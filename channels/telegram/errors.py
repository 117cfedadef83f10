"""Bot API failures as :class:`SendError`: what the outbox should do, with
reasons that hold no text and no chat id."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.transport.channel import SendError

__all__ = ["retry_seconds", "send_error"]

_LONG_NUMBER = re.compile(r"\d{5,}")


def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives ``retry_after`` as an int (deprecated, with a warning) unless
    ``PTB_TIMEDELTA`` asks for a timedelta: accept both, quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if isinstance(value, int | float) else 1.0


def _safe(description: str) -> str:
    """A Bot API error description fit to store: long numbers masked, short."""
    return _LONG_NUMBER.sub("#", " ".join(description.split()))[:100]


def send_error(exc: TelegramError) -> SendError:
    """What the outbox should do about a failed Bot API call. The reason's part before
    any ":" is a metrics label; none of it holds text or a chat id."""
    if isinstance(exc, RetryAfter):
        return SendError("rate limited", retryable=True, retry_after=retry_seconds(exc))
    if isinstance(exc, Forbidden):  # blocked, deactivated, never started the bot
        reason = _safe(exc.message.removeprefix("Forbidden: "))
        return SendError(f"forbidden: {reason}", retryable=False, opted_out=True)
    if isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout):  # nothing went out
        return SendError(f"network error ({type(exc.__cause__).__name__})", retryable=True,
                         channel_down=True)
    if isinstance(exc, InvalidToken):  # the bot's token, not this message (and never its text)
        return SendError("token refused", retryable=True, channel_down=True)
    if isinstance(exc, TimedOut):  # may still have been delivered: a retry can duplicate
        return SendError("timed out", retryable=True)
    if isinstance(exc, BadRequest):  # PTB's BadRequest is a NetworkError: test it first
        return SendError(f"bad request: {_safe(exc.message)}", retryable=False)
    if isinstance(exc, NetworkError):
        cause = exc.__cause__
        if cause is not None and type(cause).__module__.startswith("httpx"):
            return SendError(f"network error ({type(cause).__name__})", retryable=True)
        return SendError(f"server error: {_safe(exc.message.split('. ')[0])}", retryable=True)
    return SendError(f"telegram error: {type(exc).__name__}", retryable=False)
