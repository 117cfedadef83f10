"""``sauti moderation check``: the moderation pipeline on text from stdin.

One text a line; for each, what a report of it would keep and what moderation
would decide: the language (``--lang``, else detected among the configured
ones as for a first message), the redacted text, the kinds of what was
removed, the urgent and abuse verdicts. It stores nothing and opens no
database: moderators try a wording before they change a lexicon, and
evaluations run on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from bot.cli.command import UsageError
from bot.config import Config
from bot.i18n.catalogue import available_languages
from bot.i18n.detection import LanguageDetector
from bot.text.cleaning import clean
from moderation.urgent import LANGS

if TYPE_CHECKING:
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("moderation", parents=[common], help="try the moderation pipeline")
    actions = group.add_subparsers(dest="moderation_command", required=True, metavar="ACTION")
    p = actions.add_parser("check", parents=[common],
                           help="redact and judge each line of stdin; stores nothing")
    p.add_argument("--lang", metavar="L", help="the texts' language (default: detected)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.set_defaults(run=check)


async def check(args: argparse.Namespace, config: Config) -> int:
    from bot.app import screening_of

    lang = args.lang.lower() if args.lang else None
    known = sorted({*available_languages(), *LANGS})  # catalogues, and lexicons
    if lang is not None and lang not in known:
        raise UsageError(f"no language {args.lang!r} (languages: {', '.join(known)})")
    screening = screening_of(config)
    detector = LanguageDetector(config.bot.languages, config.bot.default_language)
    for line in sys.stdin:
        raw = line.rstrip("\r\n")
        if not raw.strip():
            continue
        text, _cut = clean(raw, config.bot.max_text_chars)
        language = lang or detector.detect(text)
        screened = screening.screen(text, language)
        if args.json:
            print(json.dumps({"language": language, "text": screened.text,
                              "kinds": sorted(set(screened.kinds)),
                              "urgent": screened.urgent, "abuse": screened.abusive},
                             ensure_ascii=False), flush=True)
            continue
        verdicts = [v for v, on in (("URGENT", screened.urgent),
                                    (f"abuse {screened.abuse_score:.2f}", screened.abusive)) if on]
        head = " · ".join([language, *verdicts, ",".join(screened.cues) or "-",
                           ",".join(sorted(set(screened.kinds))) or "-"])
        print(f"{head}: {screened.text}", flush=True)
    return 0
