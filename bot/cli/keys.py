"""``sauti keys``: fresh privacy keys, and the re-seal job of a key rotation; and
what the other commands do with keys that are not real (bot.config.keys).

``sauti serve`` and ``sauti keys reseal`` refuse them (exit 2, one line naming
the key): the first makes pseudonyms and seals addresses of real people, the
second re-seals every address under the current key. Their parsers set
``real_keys``, which bot/cli/main.py checks before the command runs
(:func:`bot.cli.command.require_real_keys`). Every
other command that opens the database (``sauti console``, ``db upgrade``,
``reports``, ``purge``) says so in one line on stderr, as it opens it, and runs: they are
how one tries Sauti out on the built-in defaults, and refusing would lock an
operator out of a database the console made. ``sauti keys generate`` reads no
key.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import TYPE_CHECKING

from bot.cli.command import with_app
from bot.config import Config
from bot.config.keys import fresh_key, next_id
from bot.privacy.rotation import rekey_contacts, reseal_all
from bot.privacy.vault import AddressVault
from bot.storage.keys import (
    CONTACT_ADDRESS,
    OUTBOX_ADDRESS,
    OUTBOX_PAYLOAD,
    REPORT_REACH,
    TIMER_SEALED,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    keys = sub.add_parser("keys", parents=[common], help="privacy keys: new ones, rotation")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    actions.add_parser("generate", parents=[common], help="print fresh keys for the config"
                       ).set_defaults(run=generate)
    actions.add_parser("reseal", parents=[common],
                       help="after a rotation: move every contact and sealed address to the "
                            "current keys").set_defaults(run=reseal, real_keys=True)


async def generate(args: argparse.Namespace, config: Config) -> int:
    """Fresh keys as TOML, numbered after the config's own (k2 after k1)."""
    privacy = config.privacy
    key_id = next_id((*privacy.pseudonym_keys, *privacy.contact_keys))
    print("# Fresh keys (sauti keys generate): 32 random bytes each, prefixed with their id.\n"
          "# A new config takes these lines as they are. To replace keys in use, first\n"
          "# move the current values into previous_pseudonym_keys and previous_contact_keys\n"
          "# (README, \"Rotating the privacy keys\").\n"
          "[privacy]\n"
          f'pseudonym_key = "{fresh_key(key_id)}"\n'
          f'contact_key = "{fresh_key(key_id)}"\n'
          "# and, for [telegram] in webhook mode:\n"
          f'# webhook_secret = "{secrets.token_urlsafe(32)}"')
    return 0


def sealed_vaults(app: App) -> dict[str, AddressVault]:
    """The vault of each kind of sealed value the store keeps."""
    return {CONTACT_ADDRESS: app.vault, OUTBOX_ADDRESS: app.vault, OUTBOX_PAYLOAD: app.vault,
            REPORT_REACH: app.store_keys.reach, TIMER_SEALED: app.vault}


async def reseal(args: argparse.Namespace, config: Config) -> int:
    """Every contact to the current pseudonym key, every sealed value to the
    current contact key; exit 1 if any could not be opened (left as it was), or
    if there is no database (it makes none)."""
    if config.storage.url.startswith("sqlite://"):
        from bot.storage.sqlite.connection import sqlite_path

        path = sqlite_path(config.storage.url)
        if not path.is_file():
            print(f"sauti: no database at {path} (storage.url): nothing to re-seal",
                  file=sys.stderr)
            return 1

    async def body(app: App) -> int:
        vaults = sealed_vaults(app)
        missing = [kind for kind in app.store.sealed_kinds() if kind not in vaults]
        if missing:
            print(f"sauti: no vault for sealed {', '.join(missing)}", file=sys.stderr)
            return 1
        moved = await rekey_contacts(app.store, app.vault, app.pseudonyms, app.identity)
        print(f"contacts: {moved.changed} moved to pseudonym key {app.pseudonyms.key_id},"
              f" {moved.current} already under it, {moved.unreadable} unreadable")
        left = moved.unreadable
        for kind, tally in (await reseal_all(app.store, vaults)).items():
            print(f"{kind}: {tally.changed} re-sealed under the current contact key,"
                  f" {tally.current} already under it, {tally.unreadable} unreadable")
            left += tally.unreadable
        if left:
            print(f"sauti: {left} stored values open with none of the configured keys and were"
                  " left as they are: keep the previous keys", file=sys.stderr)
            return 1
        print("nothing is left under the previous keys")
        return 0

    return await with_app(config, body)
