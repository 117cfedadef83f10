"""The settings model: every section and key, with the defaults of ``config.example.toml``.

The defaults here are the values of ``config.example.toml`` (a test keeps the
two equal), so ``sauti console`` runs with no file at all.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from bot.config.keys import EXAMPLE_CONTACT_KEY, EXAMPLE_PSEUDONYM_KEY, Key, parse_key
from bot.i18n.catalogue import N_, available_languages

Role = Literal["staff", "moderator", "sensitive"]


class ConfigError(Exception):
    """A bad config: the message names the key and never holds a secret."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSettings(_Model):
    default_language: str = "en"
    languages: list[str] = Field(default_factory=lambda: ["en", "fr"])
    timezone: str = "Africa/Kinshasa"
    regions: list[str] = Field(default_factory=lambda: ["CD", "RW", "UG", "BI"])
    session_timeout_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    # At most 10,000: twice the longest message a channel delivers (Telegram and WhatsApp
    # 4,096, an SMS 1,600), and what redaction reads in a few milliseconds.
    max_text_chars: int = Field(default=4000, ge=100, le=10_000)
    # flood control per sender (bot.conversation.flood): messages in a burst, and how
    # many more each minute; a message beyond is held for moderators, not answered
    flood_burst: int = Field(default=15, ge=1, le=1000)
    flood_per_minute: int = Field(default=8, ge=1, le=1000)

    @model_validator(mode="after")
    def _check(self) -> BotSettings:
        known = available_languages()
        for lang in self.languages:
            if lang not in known:
                raise ValueError(f"unknown language {lang!r} (catalogues: {', '.join(known)})")
        if not self.languages:
            raise ValueError("at least one language is needed")
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        supported = phonenumbers.SUPPORTED_REGIONS
        for region in self.regions:
            if region not in supported:
                raise ValueError(f"unknown phone region {region!r}")
        if not self.regions:
            raise ValueError("at least one phone region is needed")
        return self


_CODE = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class Area(_Model):
    code: str = Field(pattern=_CODE)
    names: dict[str, str] = Field(default_factory=dict)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class Category(_Model):
    code: str = Field(pattern=_CODE)
    names: dict[str, str] = Field(default_factory=dict)


class StorageSettings(_Model):
    url: str = "sqlite:///data/sauti.db"

    @model_validator(mode="after")
    def _check(self) -> StorageSettings:
        if not (self.url == "memory://"
                or self.url.startswith(("sqlite://", "postgresql://", "postgres://"))):
            raise ValueError("url must be sqlite://..., postgresql://... or memory://")
        return self


class ServerSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = "https://bot.example.org"

    @model_validator(mode="after")
    def _check(self) -> ServerSettings:
        if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", self.public_url):
            raise ValueError("public_url must be the http(s):// address Twilio and Telegram "
                             "call, without a query (e.g. https://bot.example.org)")
        if self.public_url.startswith("http://") and not _loopback(self.public_url):
            raise ValueError("public_url must be https:// (plain http:// only on a loopback "
                             "host: 127.0.0.1, ::1, localhost)")
        return self


def _loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PrivacySettings(_Model):
    """The keys, each ``ID:SECRET`` or a bare secret (id ``k1``): see bot.config.keys.
    ``pseudonym_key`` and ``contact_key`` are the current ones; the
    ``previous_*`` lists hold keys being rotated out, newest first, still used
    to find and open what they made until ``sauti keys reseal`` has moved it."""

    pseudonym_key: SecretStr = SecretStr(EXAMPLE_PSEUDONYM_KEY)
    contact_key: SecretStr = SecretStr(EXAMPLE_CONTACT_KEY)
    previous_pseudonym_keys: list[SecretStr] = Field(default_factory=list)
    previous_contact_keys: list[SecretStr] = Field(default_factory=list)
    retention_days: int = Field(default=365, ge=1)
    min_cell: int = Field(default=5, ge=1, le=1000)  # breakdown cells with fewer are suppressed

    @property
    def pseudonym_keys(self) -> tuple[Key, ...]:
        """The current pseudonym key, then the previous ones."""
        return _keys(self.pseudonym_key, self.previous_pseudonym_keys)

    @property
    def contact_keys(self) -> tuple[Key, ...]:
        """The current contact key, then the previous ones."""
        return _keys(self.contact_key, self.previous_contact_keys)

    @model_validator(mode="after")
    def _check(self) -> PrivacySettings:
        for name, keys in (("pseudonym_key", self.pseudonym_keys),
                           ("contact_key", self.contact_keys)):
            names = [name] + [f"previous_{name}s[{n}]" for n in range(len(keys) - 1)]
            for where, key in zip(names, keys, strict=True):
                if not key.secret:
                    raise ValueError(f"{where} must not be empty")
                if len(key.secret) > 1024:
                    raise ValueError(f"{where} is longer than 1024 characters")
            for n, key in enumerate(keys):
                for m, earlier in enumerate(keys[:n]):
                    if key.secret == earlier.secret:
                        raise ValueError(f"{names[n]} is the same key as {names[m]}: "
                                         "list each key once")
                    if key.id == earlier.id:
                        raise ValueError(f"{names[n]} has the key id {key.id!r} of {names[m]}:"
                                         " give each key its own id (k2:...)")
        return self


def _keys(current: SecretStr, previous: list[SecretStr]) -> tuple[Key, ...]:
    return tuple(parse_key(s.get_secret_value()) for s in (current, *previous))


class TelegramSettings(_Model):
    enabled: bool = False
    token: SecretStr = SecretStr("")
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr = SecretStr("")
    api_base_url: str = "https://api.telegram.org/bot"
    group_chats: bool = False
    send_timeout_seconds: float = Field(default=10, gt=0)
    messages_per_second: float = Field(default=30, gt=0)
    per_chat_per_second: float = Field(default=1, gt=0)
    per_group_per_minute: float = Field(default=20, gt=0)

    @model_validator(mode="after")
    def _check(self) -> TelegramSettings:
        if self.enabled and not self.token.get_secret_value():
            raise ValueError("token is required when telegram is enabled")
        secret = self.webhook_secret.get_secret_value()
        if self.enabled and self.mode == "webhook":
            if not re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret):
                raise ValueError("webhook_secret must be 32-256 of A-Z a-z 0-9 _ - in webhook "
                                 "mode (sauti keys generate prints one)")
        return self


class TwilioSettings(_Model):
    enabled: bool = False
    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    sms_from: str = ""
    whatsapp_from: str = ""
    api_base_url: str = "https://api.twilio.com"
    sms_per_second: float = Field(default=1, gt=0)
    whatsapp_per_second: float = Field(default=20, gt=0)
    send_timeout_seconds: float = Field(default=10, gt=0)
    whatsapp_templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    whatsapp_fallback_sms: bool = False

    @model_validator(mode="after")
    def _check(self) -> TwilioSettings:
        if self.enabled:
            if not self.account_sid:
                raise ValueError("account_sid is required when twilio is enabled")
            if not self.auth_token.get_secret_value():
                raise ValueError("auth_token is required when twilio is enabled")
            if not (self.sms_from or self.whatsapp_from):
                raise ValueError("sms_from or whatsapp_from is required when twilio is enabled")
        return self


class OutboxSettings(_Model):
    max_attempts: int = Field(default=8, ge=1, le=100)
    concurrency: int = Field(default=32, ge=1, le=1000)
    lease_seconds: float = Field(default=60, gt=0)
    retry_base_seconds: float = Field(default=2, gt=0)
    retry_max_seconds: float = Field(default=600, gt=0)


class ConsoleSettings(_Model):
    enabled: bool = True


class ModerationSettings(_Model):
    alert_telegram_chat_id: int = 0
    sensitive_categories: list[str] = Field(default_factory=lambda: ["personnel_conduct"])
    ack_minutes: int = Field(default=10, ge=1, le=24 * 60)
    sensitive_referral_hours: int = Field(default=24, ge=1, le=24 * 60)
    # words or phrases the mission adds to the abuse lexicons (matched whole, any case)
    abuse_words: list[str] = Field(default_factory=list, max_length=1000)


class Partner(_Model):
    """An organisation reports can be referred to."""

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)


class StaffMember(_Model):
    name: str = Field(min_length=1)
    roles: list[Role] = Field(default_factory=list)
    telegram_user_id: int | None = None
    phone: str | None = None
    console_user: str | None = None


def _default_areas() -> list[Area]:
    return [
        Area(code="goma", names={"en": "Goma", "fr": "Goma"}, latitude=-1.68, longitude=29.22),
        Area(code="bukavu", names={"en": "Bukavu", "fr": "Bukavu"},
             latitude=-2.51, longitude=28.86),
        Area(code="beni", names={"en": "Beni", "fr": "Beni"}, latitude=0.49, longitude=29.47),
        Area(code="bunia", names={"en": "Bunia", "fr": "Bunia"}, latitude=1.56, longitude=30.25),
    ]


DEFAULT_CATEGORIES = {  # code -> label msgid; other categories bring their own names
    "security_incident": N_("Security incident"),
    "threat": N_("Threat or intimidation"),
    "displacement": N_("Displacement"),
    "humanitarian_need": N_("Humanitarian need"),
    "personnel_conduct": N_("Conduct of mission staff"),
}


def _default_categories() -> list[Category]:
    return [Category(code=code) for code in DEFAULT_CATEGORIES]


class Config(_Model):
    bot: BotSettings = Field(default_factory=BotSettings)
    areas: list[Area] = Field(default_factory=_default_areas)
    categories: list[Category] = Field(default_factory=_default_categories)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    staff: list[StaffMember] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Config:
        _unique("areas", [a.code for a in self.areas])
        _unique("categories", [c.code for c in self.categories])
        _unique("partners", [p.code for p in self.partners])
        _unique("staff name", [s.name for s in self.staff])
        if not self.areas:
            raise ValueError("areas: at least one area is needed")
        if not self.categories:
            raise ValueError("categories: at least one category is needed")
        for n, category in enumerate(self.categories):
            missing = [lang for lang in self.bot.languages if lang not in category.names]
            if category.code not in DEFAULT_CATEGORIES and missing:
                raise ValueError(f"categories[{n}].names: no name in {', '.join(missing)}")
        codes = {c.code for c in self.categories}
        for code in self.moderation.sensitive_categories:
            if code not in codes:
                raise ValueError(f"moderation.sensitive_categories: unknown category {code!r}")
        if self.twilio.enabled and self.twilio.whatsapp_from and \
                not self.server.public_url.startswith(("http://", "https://")):
            raise ValueError("server.public_url: must be the http(s) URL Twilio calls")
        _unique("staff console_user", [s.console_user for s in self.staff if s.console_user])
        _unique("staff telegram_user_id",
                [str(s.telegram_user_id) for s in self.staff if s.telegram_user_id])
        _unique("staff phone", [s.phone for s in self.staff if s.phone])
        return self


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what}: {value!r} appears twice")
        seen.add(value)
