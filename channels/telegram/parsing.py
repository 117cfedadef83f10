"""Bot API updates as :class:`Inbound` (pure: no network, no SDK objects)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.conversation.router import STAFF_COMMANDS
from bot.domain.messages import Inbound, Location, MediaKind

__all__ = ["JSON", "callback_query_id", "command", "load_update", "parse_update", "update_id_of"]

NAME = "telegram"
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64}+)(?:@\w++)?(?=\s|$)")
_INDEX_DATA = re.compile(r"#\d{1,3}")  # a button whose key was too long: its number
_MEDIA = (("photo", MediaKind.PHOTO), ("voice", MediaKind.VOICE), ("audio", MediaKind.AUDIO),
          ("video", MediaKind.VIDEO), ("video_note", MediaKind.VIDEO),
          ("document", MediaKind.DOCUMENT), ("sticker", MediaKind.STICKER),
          ("contact", MediaKind.CONTACT))

JSON = Mapping[str, Any]

def _obj(value: object) -> JSON | None:
    return value if isinstance(value, Mapping) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def load_update(body: bytes) -> JSON | None:
    """A webhook body as a JSON object, or None if it is not one: not UTF-8, not JSON,
    truncated, an integer of more digits than Python converts, or nested deeper than
    the interpreter recurses (json raises RecursionError there, whatever the depth)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError too
        return None
    return _obj(data)


def update_id_of(data: object) -> int | None:
    """The ``update_id`` of what looks like a Bot API Update, else None."""
    obj = _obj(data)
    return _int(obj.get("update_id")) if obj is not None else None


def callback_query_id(data: JSON) -> str | None:
    """The id to answer with answerCallbackQuery, if ``data`` is a button press."""
    query = _obj(data.get("callback_query"))
    return _str(query.get("id")) if query is not None else None


def parse_update(data: JSON, *, group_chats: bool) -> Inbound | None:
    """Map Bot API Update JSON to an :class:`Inbound`, or None for what Sauti ignores
    (group chats unless ``group_chats``, edits, channel posts, bots, unknown kinds)
    and for malformed shapes. Pure: no network, no SDK objects."""
    update_id = update_id_of(data)
    if update_id is None:
        return None
    external_id = f"tg:{update_id}"
    if (query := _obj(data.get("callback_query"))) is not None:
        return _from_callback(query, external_id, group_chats)
    if (message := _obj(data.get("message"))) is not None:
        return _from_message(message, external_id, group_chats)
    return None


def _sender(user: object) -> tuple[str, str | None, str | None] | None:
    """Address (the user id, which is also their private chat id), name and language
    of a human sender."""
    u = _obj(user)
    if u is None or u.get("is_bot") is not False or (user_id := _int(u.get("id"))) is None:
        return None
    names = [n for n in (_str(u.get("first_name")), _str(u.get("last_name"))) if n]
    return str(user_id), " ".join(names) or None, _str(u.get("language_code")) or None


def _chat_allowed(chat: object, group_chats: bool) -> bool:
    c = _obj(chat)
    kind = _str(c.get("type")) if c is not None else None
    return kind == "private" or (group_chats and kind in ("group", "supergroup"))


def _when(date: object) -> datetime | None:
    seconds = _int(date)
    try:
        return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None
    except (OverflowError, OSError, ValueError):
        return None


def _degrees(value: object, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= bound:
        return None  # also NaN and infinities
    return float(value)


def _location(value: object) -> Location | None:
    loc = _obj(value) or {}
    lat, lon = _degrees(loc.get("latitude"), 90), _degrees(loc.get("longitude"), 180)
    return Location(lat, lon) if lat is not None and lon is not None else None


#: Staff commands whose arguments are kept ("/show@SautiBot ABC234" → "/show ABC234").
_WITH_ARGUMENTS = STAFF_COMMANDS - {"help", "cancel"}


def command(text: str) -> str:
    """``/start payload`` and ``/help@SautiBot`` → ``/start``, ``/help`` (the core folds
    those into its START and HELP keywords); a staff command keeps its arguments
    (without the bot's name); other text as is."""
    match = _COMMAND.match(text)
    if not match:
        return text
    name = match.group(1)
    if name.lower() in _WITH_ARGUMENTS:
        return f"/{name}{text[match.end():]}"
    return f"/{name}"


def _from_message(message: JSON, external_id: str, group_chats: bool) -> Inbound | None:
    sender = _sender(message.get("from"))
    received_at = _when(message.get("date"))
    if sender is None or received_at is None or \
            not _chat_allowed(message.get("chat"), group_chats):
        return None
    text = _str(message.get("text"))
    text = command(text) if text is not None else _str(message.get("caption")) or ""
    media = tuple(dict.fromkeys(kind for key, kind in _MEDIA if message.get(key) is not None))
    location = _location(message.get("location"))
    if not text and not media and location is None:
        return None  # a service message, poll, dice...
    address, name, language = sender
    return Inbound(channel=NAME, address=address, text=text, external_id=external_id,
                   received_at=received_at, media=media, location=location,
                   profile_name=name, language_hint=language)


def _from_callback(query: JSON, external_id: str, group_chats: bool) -> Inbound | None:
    sender = _sender(query.get("from"))
    data = _str(query.get("data"))
    message = _obj(query.get("message"))  # absent for buttons under inline messages
    if sender is None or not data or \
            (message is not None and not _chat_allowed(message.get("chat"), group_chats)):
        return None
    address, name, language = sender
    typed = _INDEX_DATA.fullmatch(data) is not None  # "#2": as if 2 was typed
    return Inbound(channel=NAME, address=address, text=data if typed else "",
                   external_id=external_id, choice=None if typed else data,
                   profile_name=name, language_hint=language)
