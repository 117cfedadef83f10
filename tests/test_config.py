"""Config: defaults equal the example file, env overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_example_file_is_the_built_in_default() -> None:
    assert load_config(ROOT / "config.example.toml", environ={}) == Config()


def test_no_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.console.enabled and config.storage.url == "sqlite:///data/sauti.db"


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[bot]\ntimezone = "Africa/Kigali"\n')
    other = tmp_path / "other.toml"
    other.write_text('[bot]\ntimezone = "Africa/Kampala"\n')
    assert load_config(environ={}).bot.timezone == "Africa/Kigali"
    assert load_config(environ={"SAUTI_CONFIG": str(other)}).bot.timezone == "Africa/Kampala"
    assert load_config(other, environ={}).bot.timezone == "Africa/Kampala"


def test_environment_overrides(tmp_path: Path) -> None:
    env = {
        "SAUTI__TELEGRAM__ENABLED": "true",
        "SAUTI__TELEGRAM__TOKEN": "123456:invented-token",
        "SAUTI__BOT__LANGUAGES": '["fr", "en"]',
        "SAUTI__BOT__DEFAULT_LANGUAGE": "fr",
        "SAUTI__SERVER__PORT": "9090",
        "SAUTI__TWILIO__ACCOUNT_SID": "12345",
    }
    config = load_config(tmp_path / "missing-is-not-used.toml" if False else None, environ=env)
    assert config.telegram.enabled is True
    assert config.telegram.token.get_secret_value() == "123456:invented-token"
    assert config.bot.languages == ["fr", "en"]
    assert config.server.port == 9090
    assert config.twilio.account_sid == "12345"  # stays text, not a number


@pytest.mark.parametrize(
    ("toml", "env", "names"),
    [
        ("[bot]\nfoo = 1\n", {}, "bot.foo: unknown key"),
        ("[nope]\n", {}, "nope: unknown key"),
        ('[bot]\nlanguages = ["en", "xx"]\n', {}, "unknown language 'xx'"),
        ('[bot]\ndefault_language = "fr"\nlanguages = ["en"]\n', {}, "default_language"),
        ("[telegram]\nenabled = true\n", {}, "telegram: Value error, token is required"
         .replace("Value error, ", "")),
        ("[twilio]\nenabled = true\n", {}, "account_sid is required"),
        ('[telegram]\nenabled = true\ntoken = "1:x"\nmode = "webhook"\n', {}, "webhook_secret"),
        ("[server]\nport = 70000\n", {}, "server.port"),
        ('[server]\npublic_url = ""\n', {}, "server: public_url must be the http(s)://"),
        ('[server]\npublic_url = "bot.example.org"\n', {}, "public_url must be"),
        ('[server]\npublic_url = "https://bot.example.org/?x=1"\n', {}, "without a query"),
        ('[bot]\ntimezone = "Mars/Olympus"\n', {}, "unknown timezone"),
        ('[bot]\nregions = ["ZZ"]\n', {}, "unknown phone region"),
        ('[storage]\nurl = "mysql://x"\n', {}, "storage"),
        ("[[areas]]\ncode = \"Bad Code\"\n", {}, "areas[0].code"),
        ("[bot\n", {}, "malformed TOML"),
        ('[[partners]]\ncode = "Bad Code"\nname = "x"\n', {}, "partners[0].code"),
        ('[[partners]]\ncode = "hcr"\nname = "a"\n[[partners]]\ncode = "hcr"\nname = "b"\n',
         {}, "partners: 'hcr' appears twice"),
        ('[[staff]]\nname = "Amina"\n[[staff]]\nname = "Amina"\n', {},
         "staff name: 'Amina' appears twice"),
        ("[moderation]\nsensitive_referral_hours = 0\n", {}, "sensitive_referral_hours"),
        ("", {"SAUTI__BOT__NOPE": "1"}, "unknown key bot.nope"),
        ("", {"SAUTI__WHAT__X": "1"}, "unknown section 'what'"),
        ("", {"SAUTI__BOT": "1"}, "expected SAUTI__SECTION__KEY"),
        ('[moderation]\nsensitive_categories = ["nope"]\n', {}, "unknown category 'nope'"),
        ('[[categories]]\ncode = "land"\nnames = { en = "Land dispute" }\n', {},
         "categories[0].names: no name in fr"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, toml: str, env: dict[str, str],
                                      names: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ=env)
    message = str(err.value)
    assert names in message
    assert "\n" not in message


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_secrets_never_appear_in_repr_or_errors(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[telegram]\nenabled = true\ntoken = "999:very-secret-token"\n'
                    'mode = "webhook"\nwebhook_secret = "bad secret!"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert "very-secret-token" not in str(err.value) and "bad secret!" not in str(err.value)
    config = load_config(environ={"SAUTI__PRIVACY__PSEUDONYM_KEY": "hush-hush-key"})
    assert "hush-hush-key" not in repr(config) and "hush-hush-key" not in str(config)


def test_own_category_named_in_every_language_is_shown(tmp_path: Path) -> None:
    from bot.conversation.mission import Mission
    from bot.i18n.catalogue import language

    path = tmp_path / "config.toml"
    path.write_text('[[categories]]\ncode = "land"\nnames = { en = "Land dispute", '
                    'fr = "Litige foncier" }\n[[categories]]\ncode = "threat"\n'
                    '[moderation]\nsensitive_categories = []\n')
    mission = Mission.from_config(load_config(path, environ={}))
    with language("fr"):
        assert mission.category_name("land") == "Litige foncier"
        assert mission.category_name("threat") == "Menace ou intimidation"
