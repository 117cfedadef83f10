"""The attacker of tests/test_unlinkable.py: every value a stolen database holds, as
someone with the config's keys and the code reads it, and the equality joins between
the rows of every two tables.

What the attacker does with a stored value (:meth:`Attacker.facets`): keeps it as it is;
reads a time as the instant it means (whatever its format) and a date as a date; reads
JSON down to its leaves; opens anything sealed with the config's keys (addresses,
payloads, reach links: AES-GCM tokens ``s1.…`` and the Fernet tokens of earlier
versions) and reads what comes out the same way; reads the clear timestamp of a Fernet
token; computes, for every text, the keyed values the code computes (the
pseudonyms of a phone number, the replay tag of a message id). What it leaves out:
integers (row ids, tries, segments, flags: equal counters in two tables mean nothing)
and codes (a word of lowercase letters: channel, language, area, category, status,
kind, step), which many people share. A reference code inside a text ("Its code is
7KQ4MZ") counts as a value of its own. Rows of two tables that share any other value
are joined; the joins are followed from the report's row to every row they reach.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sqlite3
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import Config
from channels.twilio import phone_identity
from moderation.pseudonym import Pseudonymiser

REGION = "CD"
CHANNELS = ("sms", "whatsapp")
CODE = re.compile(r"[a-z][a-z_.]*")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PHONE = re.compile(r"(?:whatsapp:)?\+[1-9]\d{6,14}")
SID = re.compile(r"(?:SM|MM)[0-9a-f]{32}")
REF_IN_TEXT = re.compile(r"\b[2-9A-HJKMNP-Z]{6}\b")  # a reference code inside a text


def _derived(key: str, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key.encode())


@dataclass
class Row:
    table: str
    number: int
    facets: dict[str, str] = field(default_factory=dict)  # facet -> column it came from
    reach: set[str] = field(default_factory=set)  # facets only a reach link gave

    @property
    def name(self) -> str:
        return f"{self.table}#{self.number}"


class Attacker:
    """Everything one can compute from stored values, with the config's keys or without."""

    def __init__(self, config: Config | None) -> None:
        self.keyed = config is not None
        self.opened: dict[str, int] = {"address": 0, "reach": 0}
        self.derived: set[str] = set()  # facets computed with a key (shown last in a path)
        if config is None:
            return
        contact = config.privacy.contact_keys[0]
        pseudonym = config.privacy.pseudonym_keys[0]
        self._vaults = {
            name: Fernet(base64.urlsafe_b64encode(
                _derived(contact.secret, b"sauti-contact-v1", name.encode())))
            for name in ("address", "reach")}
        self._aeads = {
            name: AESGCM(_derived(contact.secret, b"sauti-contact-v1",
                                  name.encode() + b"/aes-256-gcm"))
            for name in ("address", "reach")}
        self.pseudonyms = Pseudonymiser(pseudonym.secret, pseudonym.id)
        self._replay = _derived(pseudonym.secret, b"sauti-pseudonym-v1", b"replay")

    def replay_tag(self, channel: str, external_id: str) -> str:
        mac = hmac.new(self._replay, f"{channel}|{external_id}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def facets(self, value: Any) -> tuple[set[str], set[str]]:
        """What ``value`` says, and the part of it only a reach link said."""
        found: set[str] = set()
        reach: set[str] = set()
        self._read(value, found, reach, via_reach=False, depth=0)
        return found, reach

    def _read(self, value: Any, found: set[str], reach: set[str], *, via_reach: bool,
              depth: int) -> None:
        if depth > 4 or value is None or isinstance(value, int | float):
            return
        out = reach if via_reach else found
        if isinstance(value, bytes | memoryview):
            self._read_bytes(bytes(value), found, reach, via_reach=via_reach, depth=depth)
            return
        text = str(value).strip()
        if not text or CODE.fullmatch(text):
            return
        moment = _moment(text)
        if moment is not None:
            out.add(moment)
            return
        if text[0] in "[{":
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if data is not None:
                out.add("s:" + json.dumps(data, sort_keys=True, ensure_ascii=False))
                for leaf in _leaves(data):
                    self._read(leaf, found, reach, via_reach=via_reach, depth=depth + 1)
                return
        if text.startswith(("gAAAAA", "s1.")):  # a sealed token kept as text
            self._read_bytes(text.encode(), found, reach, via_reach=via_reach, depth=depth + 1)
        out.add("s:" + text)
        out.update("s:" + code for code in REF_IN_TEXT.findall(text))  # "Its code is 7KQ4MZ"
        if not self.keyed:
            return
        keyed = {"s:" + self.replay_tag(channel, text) for channel in CHANNELS}
        if PHONE.fullmatch(text):
            identity = phone_identity(text, REGION)
            out.add("s:" + identity)
            keyed.add("s:" + self.pseudonyms.person(identity))
            keyed.update("s:" + self.pseudonyms.contact(c, identity) for c in CHANNELS)
        out.update(keyed)
        self.derived.update(keyed)

    def _read_bytes(self, blob: bytes, found: set[str], reach: set[str], *, via_reach: bool,
                    depth: int) -> None:
        (reach if via_reach else found).add("b:" + blob.hex())
        if blob.startswith(b"s1."):
            self._read_gcm(blob, found, reach, via_reach=via_reach, depth=depth)
            return
        if not blob.startswith(b"gAAAAA"):  # not a Fernet token
            return
        try:
            raw = base64.urlsafe_b64decode(blob)
        except ValueError:
            return
        stamp = int.from_bytes(raw[1:9], "big")  # version, then the time in clear
        if stamp:  # zero is the constant every token may carry: it says nothing
            (reach if via_reach else found).add(_instant(datetime.fromtimestamp(stamp, UTC)))
        if not self.keyed:
            return
        token = blob
        for name, vault in self._vaults.items():
            try:
                opened = vault.decrypt(token).decode()
            except (InvalidToken, UnicodeDecodeError):
                continue
            self.opened[name] += 1
            self._read(opened, found, reach, via_reach=via_reach or name == "reach",
                       depth=depth + 1)

    def _read_gcm(self, blob: bytes, found: set[str], reach: set[str], *, via_reach: bool,
                  depth: int) -> None:
        """An AES-GCM token: a key tag (4 bytes), a nonce (12), the ciphertext."""
        if not self.keyed:
            return
        try:
            raw = base64.urlsafe_b64decode(blob[3:])
        except ValueError:
            return
        for name, aead in self._aeads.items():
            try:
                opened = aead.decrypt(raw[4:16], raw[16:], None).decode()
            except (InvalidTag, ValueError):
                continue
            self.opened[name] += 1
            self._read(opened, found, reach, via_reach=via_reach or name == "reach",
                       depth=depth + 1)


def _leaves(data: Any) -> Iterable[Any]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return "t:" + moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str) -> str | None:
    """A stored time as the instant it means (a date as the day it names)."""
    if ISO_DATE.match(text):
        try:
            if len(text) == 10:
                return "d:" + date.fromisoformat(text).isoformat()
            return _instant(datetime.fromisoformat(text))
        except ValueError:
            return None
    if re.match(r"[A-Z][a-z]{2}, \d", text):  # Twilio's RFC 2822 dates
        try:
            return _instant(parsedate_to_datetime(text))
        except (TypeError, ValueError):
            return None
    return None


def table_rows(db: Path, attacker: Attacker) -> list[Row]:
    """Every row of every table, generically (sqlite_master, all columns, all values)."""
    rows: list[Row] = []
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [c[0] for c in cursor.description]
            for number, values in enumerate(cursor.fetchall()):
                rows.append(row_of(table, number, zip(columns, values, strict=True), attacker))
    return rows


def row_of(table: str, number: int, cells: Iterable[tuple[str, Any]], attacker: Attacker) -> Row:
    row = Row(table, number)
    for column, value in cells:
        found, reach = attacker.facets(value)
        for facet in found:
            row.facets.setdefault(facet, column)
        for facet in reach - found:
            row.facets.setdefault(facet, column)
            row.reach.add(facet)
    return row


def path(rows: list[Row], start: Row, targets: set[str], *, through_reach: bool,
         derived: set[str]) -> list[str] | None:
    """The joins from ``start`` to a row holding one of ``targets``, or None. A join
    is between two tables: rows of one table that share a value (two reports filed
    in the same minute, two contacts of one language) say nothing of who is who."""
    def usable(row: Row) -> list[str]:  # what a value says first, what keys computed last
        found = set(row.facets) if through_reach else set(row.facets) - row.reach
        return sorted(found, key=lambda f: (f in derived, f))

    index: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for facet in usable(row):
            index.setdefault(facet, []).append(i)
    first = rows.index(start)
    came: dict[int, tuple[int, str] | None] = {first: None}
    todo = deque([first])
    while todo:
        i = todo.popleft()
        row = rows[i]
        hit = [f for f in usable(row) if f in targets]
        if hit:
            steps = [f"{row.name}.{row.facets[hit[0]]} holds the sender"]
            while came[i] is not None:
                j, facet = came[i]  # type: ignore[misc]
                steps.append(f"{rows[j].name}.{rows[j].facets[facet]} = "
                             f"{row.name}.{row.facets[facet]} ({facet[:60]})")
                i, row = j, rows[j]
            return steps[::-1]
        for facet in usable(row):
            for j in index[facet]:
                if j not in came and rows[j].table != row.table:
                    came[j] = (i, facet)
                    todo.append(j)
    return None


def markers(number: str, pseudonyms: Pseudonymiser) -> set[str]:
    """What stands for the sender: their contact ids, their pseudonym, their address."""
    identity = phone_identity(number, REGION)
    found = {"s:" + number, "s:whatsapp:" + number, "s:" + identity,
             "s:" + pseudonyms.person(identity)}
    return found | {"s:" + pseudonyms.contact(c, identity) for c in CHANNELS}
