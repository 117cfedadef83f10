"""Logging for every ``sauti`` command, with no personal data in what it writes.

Sauti's own log calls name no address and quote no message; what could still
carry one is an exception: a ``KeyError`` of a phone number, a ``ValueError``
quoting a text. So a traceback keeps where it happened (file, line, function
of every frame, chained causes too) and names each exception by its type
only, never its message or notes; an exception passed as an argument
(``log.warning("failed: %s", exc)``) is written as its type as well.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# HTTP client libraries log request URLs (the Telegram token is in them) and, at
# DEBUG, request bodies (people's messages): keep them quiet whatever -v says.
# aiosqlite logs SQL parameters at DEBUG.
NOISY = ("httpx", "httpcore", "telegram", "twilio", "aiohttp.access", "aiosqlite")
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def type_name(exc: BaseException) -> str:
    """``KeyError``, or ``package.module.Error`` for what is not a builtin."""
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" \
        else f"{cls.__module__}.{cls.__qualname__}"


def _traceback(exc: BaseException, seen: set[int]) -> list[str]:
    """Lines like the interpreter's traceback, with types where messages were."""
    seen.add(id(exc))
    lines: list[str] = []
    cause = exc.__cause__
    context = None if exc.__suppress_context__ else exc.__context__
    if cause is not None and id(cause) not in seen:
        lines += [*_traceback(cause, seen), "", "The above exception was the direct cause "
                  "of the following exception:", ""]
    elif context is not None and id(context) not in seen:
        lines += [*_traceback(context, seen), "", "During handling of the above exception, "
                  "another exception occurred:", ""]
    if exc.__traceback__ is not None:
        lines.append("Traceback (most recent call last):")
        lines += [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
                  for frame in traceback.extract_tb(exc.__traceback__)]
    lines.append(type_name(exc))
    if isinstance(exc, BaseExceptionGroup):
        for number, inner in enumerate(exc.exceptions, 1):
            lines.append(f"  +-- {number} --")
            lines += [f"  | {line}" for line in _traceback(inner, seen)]
    return lines


class RedactingFormatter(logging.Formatter):
    """A formatter whose tracebacks name exception types, never their messages."""

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers of the same record keep theirs, and an exc_text
        # another formatter cached on the record (with messages) is not reused.
        mine = logging.makeLogRecord(record.__dict__)
        mine.exc_text = None
        mine.args = _without_exceptions(record.args)
        return super().format(mine)

    def formatException(self, ei: ExcInfo) -> str:
        exc = ei[1]
        return "NoneType: None" if exc is None else "\n".join(_traceback(exc, set()))


def _without_exceptions(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(type_name(a) if isinstance(a, BaseException) else a for a in args)
    if isinstance(args, dict):
        return {k: type_name(v) if isinstance(v, BaseException) else v for k, v in args.items()}
    return args


def configure(level: int) -> None:
    """Every record to stderr through :class:`RedactingFormatter`, the noisy
    libraries at WARNING whatever ``level`` is."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
