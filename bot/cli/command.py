"""What every ``sauti`` command shares: its signature, bad usage, an open App, and
what it does with privacy keys that are not real (see bot/cli/keys.py)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.config import Config, ConfigError
from bot.config.keys import on_examples, problems

if TYPE_CHECKING:
    from bot.app import App
    from bot.desk.api import Actor

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


async def with_app(config: Config, body: Callable[[App], Awaitable[int]]) -> int:
    """Run ``body`` with the App ``config`` describes, closed afterwards; says
    first if its privacy keys are not real (bot/cli/keys.py)."""
    from bot.app import App  # here: `sauti --help` and bad usage need no store or engine

    warn_unless_real(config)
    app = await App.open(config)
    try:
        return await body(app)
    finally:
        await app.close()


def require_real_keys(config: Config) -> None:
    """:class:`ConfigError` naming the first current key that is not real."""
    found = problems(config.privacy.pseudonym_keys[0], config.privacy.contact_keys[0])
    if found:
        raise ConfigError(found[0])


def warn_unless_real(config: Config) -> None:
    """One line on stderr when the current keys are not real."""
    pseudonym, contact = config.privacy.pseudonym_keys[0], config.privacy.contact_keys[0]
    found = problems(pseudonym, contact)
    if not found:
        return
    if on_examples(pseudonym, contact):
        print("sauti: running on the example privacy keys, for trying out only (sauti serve "
              "refuses them; sauti keys generate prints real ones)", file=sys.stderr)
    else:
        print(f"sauti: warning: {found[0]}; for trying out only, sauti serve refuses it",
              file=sys.stderr)


class NoDatabase(Exception):
    """A command that reads the database found none (exit code 1): it names the path."""


def require_database(config: Config) -> None:
    """:class:`NoDatabase` when the configured SQLite file is missing: only
    ``console``, ``serve`` and ``db upgrade`` create one."""
    from bot.storage.sqlite.connection import sqlite_path

    url = config.storage.url
    if url.startswith("sqlite://") and not sqlite_path(url).is_file():
        raise NoDatabase(f"no database at {sqlite_path(url)} (sauti db upgrade creates one)")


def actor_of(args: argparse.Namespace, config: Config) -> Actor:
    """Who the command acts as: ``--as NAME`` or $SAUTI_AS (a ``[[staff]]`` name,
    any case), else the local operator. An unknown name is bad usage."""
    from bot.desk.api import Actor

    name = (getattr(args, "as_name", None) or os.environ.get("SAUTI_AS") or "").strip()
    if not name:
        return Actor.operator()
    for member in config.staff:
        if member.name.casefold() == name.casefold():
            return Actor(member.name, frozenset(member.roles))
    known = ", ".join(m.name for m in config.staff) or "none configured"
    raise UsageError(f"--as: no staff member {name[:40]!r} (staff: {known})")
