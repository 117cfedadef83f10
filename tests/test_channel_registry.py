"""Channels are found through their ``sauti.channels`` entry points."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.transport.channel import Channel, UnknownChannel
from bot.transport.registry import ChannelPlugin, enabled_channels, plugin, plugins
from tests.conftest import make_config


def test_the_four_channels_are_found_by_entry_point() -> None:
    found = plugins()
    assert sorted(found) == ["console", "sms", "telegram", "whatsapp"]
    assert all(isinstance(p, ChannelPlugin) and p.name == n for n, p in found.items())
    assert plugin("sms") is found["sms"]
    with pytest.raises(UnknownChannel, match="fax"):
        plugin("fax")


def test_the_plugins_say_what_the_config_enables(tmp_path: Path) -> None:
    assert enabled_channels(make_config(tmp_path)) == []
    config = make_config(tmp_path, telegram={"enabled": True, "token": "1:x"},
                         twilio={"enabled": True, "account_sid": "AC1", "auth_token": "t",
                                 "whatsapp_from": "+15005550006"})
    assert enabled_channels(config) == ["telegram", "whatsapp"]


async def test_enable_channel_builds_it_from_its_plugin(tmp_path: Path) -> None:
    config = make_config(tmp_path, twilio={"enabled": True, "account_sid": "AC1",
                                           "auth_token": "t", "sms_from": "+15005550006"})
    app = await App.open(config)
    try:
        sms = app.enable_channel("sms")
        assert isinstance(sms, Channel) and app.channels["sms"] is sms
        # the SMS and WhatsApp channels share the one gateway of this bot
        whatsapp = app.enable_channel("whatsapp")
        assert whatsapp._gateway is sms._gateway  # type: ignore[attr-defined]
    finally:
        await app.close()


async def test_identities_come_from_the_channel(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path))
    try:
        # not added in this process: the plug-in says what the channel would
        assert app.identity("sms", "0810000303") == "+243810000303"
        assert app.identity("whatsapp", "whatsapp:+243810000303") == "+243810000303"
        assert app.identity("telegram", " 700001 ") == "tg:700001"
        assert app.identity("console", " Amani ") == "console:amani"
        with pytest.raises(UnknownChannel, match="fax"):
            app.identity("fax", "123")
    finally:
        await app.close()
