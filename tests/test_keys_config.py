"""What makes a privacy key real, key ids, and the config checks that came with
them (previous keys, webhook_secret, public_url): bot.config.keys and the model."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.config.keys import (
    EXAMPLE_CONTACT_KEY,
    EXAMPLE_PSEUDONYM_KEY,
    Key,
    fresh_key,
    next_id,
    on_examples,
    parse_key,
    problems,
    weakness,
)

STRONG = "Wv3TqP0bLdJmB5uM2yHx9sKcVn8eRfGz7aQo1NtYiE4"
OTHER = "Rj6LhT2wKpX9mCv4bNsQ8yZdF0gUaE3oVt5iWx7MnB1"


def load(tmp_path: Path, toml: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    load_config(path, environ={})


@pytest.mark.parametrize("secret", [
    secrets.token_urlsafe(32),                           # what sauti keys generate uses
    secrets.token_hex(32),                               # openssl rand -hex 32
    secrets.token_hex(32).upper(),
    base64.b64encode(secrets.token_bytes(32)).decode(),  # openssl rand -base64 32 (padded)
    secrets.token_urlsafe(64),
    STRONG,
])
def test_random_keys_of_32_bytes_or_more_are_real(secret: str) -> None:
    assert weakness(secret) is None


def test_generated_keys_are_real_every_time() -> None:
    """The randomness checks must not turn down real keys: a thousand fresh ones pass."""
    for _ in range(1000):
        assert weakness(parse_key(fresh_key("k2")).secret) is None
        assert weakness(secrets.token_hex(32)) is None


@pytest.mark.parametrize(("secret", "why"), [
    (EXAMPLE_PSEUDONYM_KEY, "is the example key"),
    (EXAMPLE_CONTACT_KEY, "is the example key"),
    (secrets.token_urlsafe(31), "too weak"),                 # 42 characters: 252 bits
    (secrets.token_hex(31) + "a", "too weak"),               # 63 hex digits
    (secrets.token_hex(16), "too weak"),                     # 128 bits
    ("correct horse battery staple and a long tail of words", "too weak"),  # not base64 or hex
    ("a" * 64, "not random"),                                # hex, 256 bits of nothing
    ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "not random"),
    ("0123456789abcdef" * 4, "not random"),
    ("q8Zp3" * 10, "not random"),
    (secrets.token_urlsafe(16) * 2, "not random"),           # one random block, twice
    ("x" * 20 + secrets.token_urlsafe(24), "not random"),    # mostly one character
    ("ab" * 40, "not random"),
])
def test_weak_keys_are_named_for_what_is_wrong(secret: str, why: str) -> None:
    found = weakness(secret)
    assert found is not None and found.startswith(why)
    assert secret not in found


def test_a_key_id_prefixes_the_secret_and_a_bare_key_is_k1() -> None:
    assert parse_key("k2:" + STRONG) == Key("k2", STRONG)
    assert parse_key(STRONG) == Key("k1", STRONG)
    assert parse_key("my:passphrase") == Key("k1", "my:passphrase")  # not an id: kept whole
    assert STRONG not in repr(parse_key("k7:" + STRONG))
    assert next_id([Key("k1", "a"), Key("k9", "b"), Key("k3", "c")]) == "k10"
    fresh = fresh_key("k4")
    assert fresh.startswith("k4:") and fresh != fresh_key("k4")


def test_problems_name_the_key_and_one_key_for_both_purposes() -> None:
    assert problems(Key("k2", STRONG), Key("k2", OTHER)) == []
    assert problems(Key("k2", STRONG), Key("k3", STRONG)) == [
        "privacy.contact_key: is the same as privacy.pseudonym_key; each needs a key of its own"]
    found = problems(Key("k1", EXAMPLE_PSEUDONYM_KEY), Key("k1", "short"))
    assert [f.split(":")[0] for f in found] == ["privacy.pseudonym_key", "privacy.contact_key"]
    assert on_examples(Key("k1", EXAMPLE_PSEUDONYM_KEY), Key("k1", EXAMPLE_CONTACT_KEY))
    assert not on_examples(Key("k1", EXAMPLE_PSEUDONYM_KEY), Key("k2", OTHER))


def test_previous_keys_come_after_the_current_one(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[privacy]\npseudonym_key = "k3:{STRONG}"\ncontact_key = "k3:{OTHER}"\n'
                    'previous_pseudonym_keys = ["k2:older-p", "oldest-p"]\n'
                    'previous_contact_keys = ["k2:older-c"]\n')
    privacy = load_config(path, environ={}).privacy
    assert privacy.pseudonym_keys == (Key("k3", STRONG), Key("k2", "older-p"),
                                      Key("k1", "oldest-p"))
    assert privacy.contact_keys == (Key("k3", OTHER), Key("k2", "older-c"))
    from_env = load_config(environ={"SAUTI__PRIVACY__PREVIOUS_CONTACT_KEYS": '["k0:from-env"]'})
    assert from_env.privacy.contact_keys[1] == Key("k0", "from-env")


@pytest.mark.parametrize(("privacy", "message"), [
    (f'pseudonym_key = "k2:{STRONG}"\nprevious_pseudonym_keys = ["k2:other"]\n',
     "privacy: previous_pseudonym_keys[0] has the key id 'k2' of pseudonym_key: give each key"),
    (f'pseudonym_key = "{STRONG}"\nprevious_pseudonym_keys = ["old-bare-key"]\n',
     "previous_pseudonym_keys[0] has the key id 'k1' of pseudonym_key"),
    (f'contact_key = "k3:{OTHER}"\nprevious_contact_keys = ["k2:{OTHER}"]\n',
     "privacy: previous_contact_keys[0] is the same key as contact_key: list each key once"),
    ('previous_contact_keys = ["k2:a", "k3:b", "k2:c"]\n',
     "previous_contact_keys[2] has the key id 'k2' of previous_contact_keys[0]"),
    ('pseudonym_key = ""\n', "privacy: pseudonym_key must not be empty"),
    ('contact_key = "k2:"\n', "privacy: contact_key must not be empty"),
])
def test_bad_key_lists_are_one_clear_line(tmp_path: Path, privacy: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, "[privacy]\n" + privacy)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert STRONG not in str(err.value) and OTHER not in str(err.value)


WEBHOOK = '[telegram]\nenabled = true\ntoken = "1:x"\nmode = "webhook"\nwebhook_secret = "{}"\n'


def test_a_webhook_secret_has_at_least_32_characters(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="webhook_secret must be 32-256 of") as err:
        load(tmp_path, WEBHOOK.format("A" * 31))
    assert "A" * 31 not in str(err.value)
    load(tmp_path, WEBHOOK.format("A" * 32))
    load(tmp_path, WEBHOOK.format("A" * 31).replace('"webhook"', '"polling"'))  # not used


@pytest.mark.parametrize("url", ["https://bot.example.org", "http://127.0.0.1:8080",
                                 "http://127.0.0.53", "http://[::1]:8080/sauti",
                                 "http://localhost:9000"])
def test_public_url_is_https_unless_loopback(tmp_path: Path, url: str) -> None:
    load(tmp_path, f'[server]\npublic_url = "{url}"\n')


@pytest.mark.parametrize("url", ["http://bot.example.org", "http://10.0.0.5:8080",
                                 "http://localhost.example.org", "http://[::2]"])
def test_plain_http_elsewhere_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, f'[server]\npublic_url = "{url}"\n')
    assert str(err.value) == ("server: public_url must be https:// (plain http:// only on a "
                              "loopback host: 127.0.0.1, ::1, localhost)")
