"""Every user-facing string is in the catalogues, complete in en and fr."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import Config
from bot.conversation.mission import Mission
from bot.flows import build_flows
from bot.i18n.catalogue import available_languages, language, ngettext, translate_in
from bot.i18n.formatting import language_name

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = ["en", "fr"]
PLACEHOLDER = re.compile(r"\{\w+\}")


def load(lang: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "sauti.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_every_string_of_the_code_is_in_every_catalogue() -> None:
    done = subprocess.run([sys.executable, "tools/extract.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"run tools/extract.py:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("lang", COMPLETE)
def test_catalogue_complete_and_placeholders_kept(lang: str) -> None:
    catalogue = load(lang)
    ids = [m for m in catalogue if m.id]
    assert len(ids) > 50
    for message in ids:
        assert message.string, f"{lang}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{lang}: fuzzy {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(message.string)), f"{lang}: placeholders of {message.id!r}"


def test_french_is_really_french() -> None:
    assert translate_in("fr", "What would you like to do?") == "Que voulez-vous faire ?"
    assert translate_in("fr", "Report a concern") != "Report a concern"


def test_language_per_context_not_process_wide() -> None:
    with language("fr"):
        from bot.i18n.catalogue import _

        assert _("Yes") == "Oui"
        with language("en"):
            assert _("Yes") == "Yes"
        assert _("Yes") == "Oui"


def test_languages_and_names() -> None:
    assert set(COMPLETE) <= set(available_languages())
    assert language_name("fr") == "Français" and language_name("en") == "English"
    with language("fr"):
        assert ngettext("one", "many", 2) == "many"  # no entry: English fallback


def test_every_prompt_is_translated() -> None:
    """Each step's prompt, rendered in French, differs from the English: no prompt is
    built outside the catalogues."""
    from datetime import UTC, datetime

    from bot.conversation.flow import FlowTable
    from bot.conversation.turn import Message, State, Turn
    from bot.flows.report import ReportDraft
    from moderation.anonymise import Anonymiser
    from moderation.screening import Screened

    anonymiser = Anonymiser(["CD"])
    table = FlowTable()
    for flow in build_flows(Mission.from_config(Config())):
        table.add(flow)
    turn = Turn(State("menu", {}, "en", False),
                Message("", "", None, (), None, False, datetime.now(UTC)),
                "k1:c", lookups=None,  # type: ignore[arg-type]
                screener=lambda raw: Screened(anonymiser.redact(raw)))
    turn.draft = ReportDraft(category="threat", area="goma", description=anonymiser.redact("x"))
    for name, step in table.steps.items():
        with language("en"):
            english = step.prompt(turn)
        with language("fr"):
            french = step.prompt(turn)
        if name in ("check.retry", "poll.answered"):  # say nothing: the answer said it
            assert english == french == ""
        else:
            assert english and french != english, name
