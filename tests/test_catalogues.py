"""Every user-facing string is in the catalogues, and every catalogue is complete:
translated, its placeholders and line breaks kept, its plural forms those of its
language (Arabic has six), its keywords its own."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.config import Config
from bot.conversation.mission import Mission
from bot.flows import build_flows
from bot.i18n.catalogue import available_languages, language, ngettext, translate_in
from bot.i18n.formatting import language_name

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = list(available_languages())
# as GNU gettext has them; a language added later: Babel's table
PLURAL_FORMS = {"en": 2, "fr": 2, "sw": 2, "pt": 2, "es": 2, "ar": 6}
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
    # the header's rule has the language's forms (as GNU gettext documents them), and
    # picks each of them, and no other, over the counts people see
    assert catalogue.num_plurals == PLURAL_FORMS.get(lang, get_plural(lang).num_plurals)
    rule = gettext.c2py(catalogue.plural_expr)
    assert {rule(n) for n in range(0, 1001)} == set(range(catalogue.num_plurals))
    for message in ids:
        assert message.string, f"{lang}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{lang}: fuzzy {message.id!r}"
        source = message.id if isinstance(message.id, str) else message.id[-1]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if not isinstance(message.id, str):
            assert len(forms) == catalogue.num_plurals, f"{lang}: plural forms of {source!r}"
        for form in forms:
            assert form, f"{lang}: untranslated form of {source!r}"
            assert sorted(set(PLACEHOLDER.findall(source))) == sorted(
                set(PLACEHOLDER.findall(form))), f"{lang}: placeholders of {source!r}"
            assert form.count("\n") == source.count("\n"), f"{lang}: lines of {source!r}"


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
        if name in ("check.retry", "poll.answered", "report.description.again"):
            # say nothing: the answer said it
            assert english == french == ""
        else:
            assert english and french != english, name


KEYWORDS = ("STOP", "START", "HELP", "MENU", "LANGUAGE")


def test_every_keyword_is_translated_and_means_one_thing() -> None:
    """Each language has its own words for each keyword; a word (as people type it,
    folded) means one keyword in every language, and is no answer's text in any
    catalogue (a keyword counts when it is the whole message, at any step)."""
    from bot.i18n.catalogue import pgettext_in
    from bot.text.cleaning import fold

    meaning: dict[str, tuple[str, str]] = {}
    for lang in COMPLETE:
        for keyword in KEYWORDS:
            words = [fold(w) for w in pgettext_in(lang, "keyword", keyword).split(",")]
            assert words and all(words), (lang, keyword)
            if lang != "en" and not (keyword == "MENU" and lang in ("fr", "pt", "es")):
                assert set(words) - {fold(keyword)}, f"{lang}: {keyword} untranslated"
            for word in words:
                assert meaning.setdefault(word, (lang, keyword))[1] == keyword, (
                    f"{word!r} is {meaning[word]} and {(lang, keyword)}")
    for lang in COMPLETE:
        for message in load(lang):
            if message.id and message.context != "keyword" and isinstance(message.string, str):
                said = fold(message.string)
                assert said not in meaning, f"{lang}: {said!r} is the keyword {meaning[said]}"


def test_no_user_facing_text_bypasses_gettext() -> None:
    """What the bot says goes through gettext: no literal (or f-string with words
    of its own) handed to ``turn.say``, ``Outbound(...)`` or an ``Option`` label
    anywhere in the code that talks to people."""
    import ast

    said = {"say"}
    built = {"Outbound", "Option"}

    def wordy(node: ast.expr) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return re.search(r"[A-Za-z]{3}", node.value) is not None
        if isinstance(node, ast.JoinedStr):
            return any(wordy(v) for v in node.values if isinstance(v, ast.Constant))
        return False

    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.parent.name in ("cli", "storage", "sqlite"):  # operators' and data's words
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = (node.func.attr if isinstance(node.func, ast.Attribute)
                    else node.func.id if isinstance(node.func, ast.Name) else "")
            if name in said and node.args and wordy(node.args[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if name in built:
                texts = node.args[1:2] if name == "Option" else node.args[:1]
                if name == "Option" and any(k.arg == "translate" for k in node.keywords):
                    continue  # shown as is on purpose: area and language names
                if any(wordy(a) for a in texts):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"text not through gettext: {offenders}"
