"""``sauti serve``: webhooks, Telegram polling and the outbox dispatcher, until a signal."""

from __future__ import annotations

import argparse
import gc
import logging
from typing import TYPE_CHECKING

from bot.cli.command import with_app
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands

log = logging.getLogger(__name__)

# Every connection is an open file, and so are the database, its journal and the
# clients' connections to Telegram and Twilio. Below this many, a burst of
# connections (each kept for at most bot.web.service.KEEPALIVE_SECONDS once idle)
# can exhaust the limit: the server then stops accepting and asyncio logs every
# refused accept. 1,024, a common default, is low.
MIN_OPEN_FILES = 4096


# The cyclic collector's youngest generation is collected after this many new
# container objects rather than CPython's 700: a webhook makes a few hundred, so
# the default walks each request's fresh, acyclic objects every other request.
# The serving process owns its interpreter, so the command sets it, not a library
# function. Measured not to let rejected uploads pile up since their bodies are no
# longer held in reference cycles (figures: docs/performance.md, "The young GC
# generation" and "Hostile input").
GC_YOUNG_THRESHOLD = 20_000


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common],
                       help="webhooks, Telegram polling and the outbox dispatcher")
    p.set_defaults(run=run, real_keys=True)  # real people: real keys (bot/cli/keys.py)


def open_files_limit() -> int | None:
    """The process's soft limit on open files, or None if unlimited or unknown."""
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def check_open_files(limit: int | None) -> bool:
    """Warn (once, at start) if ``limit`` is below :data:`MIN_OPEN_FILES`; True if so."""
    if limit is None or limit >= MIN_OPEN_FILES:
        return False
    log.warning("the open-files limit is %d: each connection holds one, and below %d a "
                "burst of connections can exhaust it and stop the server accepting; "
                "raise it (ulimit -n, or LimitNOFILE= in a systemd unit)",
                limit, MIN_OPEN_FILES)
    return True


async def run(args: argparse.Namespace, config: Config) -> int:
    from bot.web.service import serve_forever  # aiohttp's server only for this command

    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    check_open_files(open_files_limit())

    async def body(app: App) -> int:
        await serve_forever(app)
        return 0

    return await with_app(config, body)
