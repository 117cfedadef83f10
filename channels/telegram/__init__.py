"""The Telegram channel: pure update parsing, error mapping, keyboards, and the
channel that polls or serves a webhook and sends through one ``telegram.Bot``."""

from channels.telegram.channel import (
    MAX_CHARS,
    WEBHOOK_PATH,
    Handle,
    TelegramChannel,
    build,
    file_url_for,
    plugin,
)
from channels.telegram.errors import retry_seconds, send_error
from channels.telegram.keyboard import MAX_CALLBACK_BYTES, keyboard
from channels.telegram.parsing import callback_query_id, command, parse_update, update_id_of

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_CHARS",
    "WEBHOOK_PATH",
    "Handle",
    "TelegramChannel",
    "build",
    "callback_query_id",
    "command",
    "file_url_for",
    "keyboard",
    "parse_update",
    "plugin",
    "retry_seconds",
    "send_error",
    "update_id_of",
]
