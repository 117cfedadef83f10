"""The Telegram channel: pure update parsing, error mapping, keyboards, and the
channel that polls or serves a webhook and sends through one ``telegram.Bot``."""

from channels.telegram.channel import Handle, TelegramChannel, file_url_for, plugin
from channels.telegram.errors import send_error
from channels.telegram.keyboard import keyboard
from channels.telegram.parsing import command, parse_update

__all__ = [
    "Handle",
    "TelegramChannel",
    "command",
    "file_url_for",
    "keyboard",
    "parse_update",
    "plugin",
    "send_error",
]
