"""The privacy keys: their ids, what makes one real, and fresh ones.

A key in the config is ``ID:SECRET`` (``k2:Zm9v...``) or just ``SECRET``, whose
id is then ``k1`` (what every key was before keys had ids, so older databases
keep their pseudonyms). The id prefixes the pseudonyms a key makes
(``k2:3f...``), so a store can tell which key made a row.

A real key holds at least 32 random bytes, written as 43 or more base64 or
base64url characters, or 64 or more hex digits; one that is mostly one
character, repeats a block, or runs through the alphabet (``abcd...``, ``0123...``)
is not random, whatever its length. Only ``sauti serve`` and ``sauti keys
reseal`` insist on real keys (see bot/cli/main.py); the App works with any key,
so that tests and ``sauti console`` on the built-in defaults run as before.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

EXAMPLE_PSEUDONYM_KEY = "change-me"
EXAMPLE_CONTACT_KEY = "change-me-too"
EXAMPLES = frozenset({EXAMPLE_PSEUDONYM_KEY, EXAMPLE_CONTACT_KEY})
DEFAULT_ID = "k1"
MIN_BITS = 256  # 32 bytes
GENERATE = "sauti keys generate"

_ID = re.compile(r"(k[0-9]{1,6}):(.*)", re.DOTALL)
_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9_+/-]+={0,2}")


@dataclass(frozen=True, slots=True)
class Key:
    """One key: its id and its secret (hidden from repr)."""

    id: str
    secret: str = field(repr=False)


def parse_key(text: str) -> Key:
    """``k2:SECRET`` is key ``k2``; text without such a prefix is key ``k1``."""
    found = _ID.fullmatch(text)
    return Key(found.group(1), found.group(2)) if found else Key(DEFAULT_ID, text)


def weakness(secret: str) -> str | None:
    """Why ``secret`` is not a real key, or None when it is (see the module's doc)."""
    if secret in EXAMPLES:
        return f"is the example key; use a random one ({GENERATE} prints them)"
    hex_digits = _HEX.fullmatch(secret) is not None
    if hex_digits:
        bits, body = 4 * len(secret), secret.lower()
    elif _BASE64.fullmatch(secret):
        body = secret.rstrip("=")
        bits = 6 * len(body)
    else:
        bits, body = 0, secret
    if bits < MIN_BITS:
        return ("too weak: a key needs 32 random bytes, as 43 or more base64url characters or "
                f"64 or more hex digits ({GENERATE} prints them)")
    if not _looks_random(body, hex_digits=hex_digits):
        return ("not random: repeated or sequential characters "
                f"({GENERATE} prints random keys)")
    return None


def _looks_random(body: str, *, hex_digits: bool) -> bool:
    """False for text no random generator makes in practice: few distinct
    characters, one character many times, a repeated block, or a run through
    the alphabet. Each threshold sits where a random key of the shortest
    accepted length crosses it less than once in 10^11 tries."""
    n = len(body)
    if len(set(body)) < (10 if hex_digits else 16):
        return False
    if max(body.count(ch) for ch in set(body)) > 3 * n // 8:
        return False
    if sum(abs(ord(a) - ord(b)) <= 1 for a, b in pairwise(body)) > 3 * (n - 1) // 5:
        return False
    return not any(body[p:] == body[:-p] for p in range(1, n // 2 + 1))


def problems(pseudonym: Key, contact: Key) -> list[str]:
    """What stops the current keys from serving real people, one line each,
    naming the key and never its value: an example, weak or non-random key,
    or one key used for both purposes. Keys in ``previous_*`` are on their way
    out and only need to open or find what they made."""
    found = []
    for name, key in (("pseudonym_key", pseudonym), ("contact_key", contact)):
        why = weakness(key.secret)
        if why is not None:
            found.append(f"privacy.{name}: {why}")
    if pseudonym.secret == contact.secret:
        found.append("privacy.contact_key: is the same as privacy.pseudonym_key; each needs a "
                     "key of its own")
    return found


def on_examples(pseudonym: Key, contact: Key) -> bool:
    """Whether both current keys are still the built-in examples (trying Sauti out)."""
    return pseudonym.secret == EXAMPLE_PSEUDONYM_KEY and contact.secret == EXAMPLE_CONTACT_KEY


def next_id(keys: Iterable[Key]) -> str:
    """The id after the highest of ``keys`` (``k2`` after ``k1``)."""
    return f"k{max((int(k.id[1:]) for k in keys), default=0) + 1}"


def fresh_key(key_id: str) -> str:
    """A new key with id ``key_id``: 32 bytes from :mod:`secrets`, base64url."""
    return f"{key_id}:{secrets.token_urlsafe(32)}"
