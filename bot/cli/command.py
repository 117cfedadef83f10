"""What every ``sauti`` command shares: its signature, bad usage, an open App, and
what it does with privacy keys that are not real (see bot/cli/keys.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.config import Config, ConfigError
from bot.config.keys import on_examples, problems

if TYPE_CHECKING:
    from bot.app import App

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
