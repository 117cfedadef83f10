"""Typed configuration: the settings model and how it is loaded."""

from bot.config.loading import load_config
from bot.config.model import (
    DEFAULT_CATEGORIES,
    Area,
    BotSettings,
    Category,
    Config,
    ConfigError,
    ConsoleSettings,
    ModerationSettings,
    OutboxSettings,
    PrivacySettings,
    ServerSettings,
    StaffMember,
    StorageSettings,
    TelegramSettings,
    TwilioSettings,
)

__all__ = [
    "DEFAULT_CATEGORIES", "Area", "BotSettings", "Category", "Config", "ConfigError",
    "ConsoleSettings", "ModerationSettings", "OutboxSettings", "PrivacySettings",
    "ServerSettings", "StaffMember", "StorageSettings", "TelegramSettings", "TwilioSettings",
    "load_config",
]
