"""Vaults and pseudonyms across a rotation: sealed under the current key, opened
under any configured one, moved by reseal; pseudonyms under previous keys named."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import load_config
from bot.privacy.keyring import contact_vault, pseudonymiser
from bot.privacy.vault import PREFIX, AddressVault, VaultError

OLD, NEW = "an-old-contact-key", "Rj6LhT2wKpX9mCv4bNsQ8yZdF0gUaE3oVt5iWx7MnB1"
ADDRESS = "+243810000701"


def test_a_vault_seals_under_its_key_and_opens_under_any() -> None:
    old_sealed = AddressVault(OLD).seal(ADDRESS)
    rotating = AddressVault(NEW, [OLD])
    assert rotating.open(old_sealed) == ADDRESS
    new_sealed = rotating.seal(ADDRESS)
    assert AddressVault(NEW).open(new_sealed) == ADDRESS
    with pytest.raises(VaultError):
        AddressVault(OLD).open(new_sealed)


def test_reseal_moves_only_what_a_previous_key_sealed() -> None:
    rotating = AddressVault(NEW, [OLD])
    assert rotating.reseal(rotating.seal(ADDRESS)) is None
    moved = rotating.reseal(AddressVault(OLD).seal(ADDRESS))
    assert moved is not None and AddressVault(NEW).open(moved) == ADDRESS
    with pytest.raises(VaultError, match="cannot be decrypted") as err:
        rotating.reseal(AddressVault("a-key-nobody-has").seal(ADDRESS))
    assert ADDRESS not in str(err.value)


def test_vaults_of_the_same_keys_for_other_purposes_do_not_open_each_other() -> None:
    address, reach = AddressVault(NEW, [OLD]), AddressVault(NEW, [OLD], info=b"reach")
    with pytest.raises(VaultError):
        reach.open(address.seal(ADDRESS))
    with pytest.raises(VaultError):
        address.open(reach.seal(ADDRESS))
    assert reach.open(AddressVault(OLD, info=b"reach").seal(ADDRESS)) == ADDRESS


def test_addresses_sealed_before_rotation_existed_still_open() -> None:
    """The derivation is what it was (HKDF-SHA256, the same salt and info), so
    databases made before keys could rotate keep their addresses."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sauti-contact-v1",
                   info=b"address").derive(OLD.encode())
    earlier = Fernet(base64.urlsafe_b64encode(derived)).encrypt(ADDRESS.encode())
    assert AddressVault(OLD).open(earlier) == ADDRESS
    assert AddressVault(NEW, [OLD]).open(earlier) == ADDRESS


def test_the_configs_keys_make_the_vault_and_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[privacy]\npseudonym_key = "k3:new-p"\ncontact_key = "k3:{NEW}"\n'
                    'previous_pseudonym_keys = ["k2:mid-p", "old-p"]\n'
                    f'previous_contact_keys = ["{OLD}"]\n')
    privacy = load_config(path, environ={}).privacy
    assert contact_vault(privacy).open(AddressVault(OLD).seal(ADDRESS)) == ADDRESS
    assert AddressVault(NEW).open(contact_vault(privacy).seal(ADDRESS)) == ADDRESS
    names = pseudonymiser(privacy)
    assert names.key_id == "k3" and "new-p" not in repr(names)
    identity = ADDRESS
    mac = hmac.new(b"new-p", f"contact|sms|{identity}".encode(), hashlib.sha256)
    assert names.contact("sms", identity) == "k3:" + mac.hexdigest()[:32]
    earlier = names.earlier_contacts("sms", identity)
    old_mac = hmac.new(b"old-p", f"contact|sms|{identity}".encode(), hashlib.sha256)
    assert [e.split(":")[0] for e in earlier] == ["k2", "k1"]
    assert earlier[1] == "k1:" + old_mac.hexdigest()[:32]
    assert pseudonymiser(load_config(environ={}).privacy).earlier_contacts("sms", identity) == []


def test_fernet_tokens_of_earlier_versions_open_and_reseal_to_the_current_format() -> None:
    """Before AES-GCM the vault sealed with Fernet (same HKDF derivation): such a
    token still opens, under the current key or a previous one, and reseal moves
    it to the current format even when the current key sealed it."""
    for key in (NEW, OLD):
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sauti-contact-v1",
                       info=b"address").derive(key.encode())
        earlier = Fernet(base64.urlsafe_b64encode(derived)).encrypt_at_time(ADDRESS.encode(), 0)
        rotating = AddressVault(NEW, [OLD])
        assert rotating.open(earlier) == ADDRESS
        moved = rotating.reseal(earlier)
        assert moved is not None and moved.startswith(PREFIX)
        assert AddressVault(NEW).open(moved) == ADDRESS and rotating.reseal(moved) is None


@pytest.mark.parametrize("damage", [
    lambda t: t[:-1] + (b"A" if t[-1:] != b"A" else b"B"),  # the ciphertext's tag
    lambda t: t[:3] + (b"A" if t[3:4] != b"A" else b"B") + t[4:],  # the key tag
    lambda t: t[:20],  # cut short
    lambda t: t + b"!!",  # not base64
    lambda t: b"s2." + t[3:],  # a format nobody wrote
    lambda t: b"",
])
def test_a_damaged_token_is_a_vault_error_naming_nothing(damage: Callable[[bytes], bytes]
                                                        ) -> None:
    vault = AddressVault(NEW, [OLD])
    with pytest.raises(VaultError) as err:
        vault.open(damage(vault.seal(ADDRESS)))
    assert ADDRESS not in str(err.value)
    with pytest.raises(VaultError):
        vault.reseal(damage(vault.seal(ADDRESS)))
