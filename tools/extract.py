"""Regenerate locales/sauti.pot from the code and merge it into every catalogue.

Run after changing user-facing strings: ``python tools/extract.py``;
``python tools/extract.py --check`` only reports what the catalogues lack. English
msgids are the source text; en.po mirrors them so English is "complete" too.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "sauti.pot"


def extract(pot: Path) -> set[tuple[str, str | None]]:
    """Extract every marked string of the code into ``pot``; return (msgid, context)s."""
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "NP_:1c,2", "-k", "pgettext:1c,2", "--no-wrap", "--sort-by-file",
         "--project=sauti", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        return {(m.id, m.context) for m in read_po(fh) if m.id}


def check() -> int:
    """Exit 1 if the code has strings some catalogue lacks (run tools/extract.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = extract(Path(tmp) / "fresh.pot")
    status = 0
    for po in sorted(ROOT.glob("locales/*/LC_MESSAGES/sauti.po")):
        with po.open("rb") as fh:
            have = {(m.id, m.context) for m in read_po(fh) if m.id}
        for msgid, context in sorted(wanted - have, key=str):
            print(f"{po.parent.parent.name}: missing {msgid!r} (context {context})")
            status = 1
    return status


def main() -> int:
    extract(POT)
    with POT.open("rb") as fh:
        template = read_po(fh)
    for po in sorted(ROOT.glob("locales/*/LC_MESSAGES/sauti.po")):
        lang = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        known = {(m.id, m.context) for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if message.id and (message.id, message.context) not in known:
                # new: English mirrors its msgid; others wait for a translator
                message.string = message.id if lang == "en" else ""
        catalog.obsolete.clear()
        with po.open("wb") as fh:
            write_po(fh, catalog, width=0, include_previous=False)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(check() if sys.argv[1:] == ["--check"] else main())
