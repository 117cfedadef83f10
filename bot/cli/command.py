"""What every ``sauti`` command shares: its signature, bad usage, and an open App."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


async def with_app(config: Config, body: Callable[[App], Awaitable[int]]) -> int:
    """Run ``body`` with the App ``config`` describes, closed afterwards."""
    from bot.app import App  # here: `sauti --help` and bad usage need no store or engine

    app = await App.open(config)
    try:
        return await body(app)
    finally:
        await app.close()
