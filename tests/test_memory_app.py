"""``storage.url = "memory://"``: the whole bot on the in-memory backend."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.config import Config, ConfigError, load_config
from tests.conftest import RecordingChannel, Resident
from tests.test_flows_en import onboard


async def test_a_resident_reports_on_the_memory_store() -> None:
    config = Config.model_validate({"storage": {"url": "memory://"}})
    app = await App.open(config)
    try:
        channel = RecordingChannel()
        app.add_channel(channel)
        r = Resident(app, channel, "memo")
        await onboard(r)
        ref = await r.report("Water point broken since Monday")
        found = await app.store.report_by_ref(ref)
        assert found is not None and found.description == "Water point broken since Monday"
    finally:
        await app.close()


def test_an_unknown_storage_scheme_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(None, {"SAUTI__STORAGE__URL": "redis://localhost"})
    assert str(refused.value) == "storage: url must be sqlite://..., postgresql://... or memory://"
