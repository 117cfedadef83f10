"""Regenerate locales/sauti.pot from the code and merge it into every catalogue.

Run after changing user-facing strings: ``python tools/extract.py``. English
msgids are the source text; en.po mirrors them so English is "complete" too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "sauti.pot"


def main() -> int:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "NP_:1c,2", "-k", "pgettext:1c,2", "--no-wrap", "--sort-by-file",
         "--project=sauti", "-o", str(POT), "."],
        cwd=ROOT, check=True, capture_output=True)
    with POT.open("rb") as fh:
        template = read_po(fh)
    for po in sorted(ROOT.glob("locales/*/LC_MESSAGES/sauti.po")):
        lang = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        before = {(m.id, m.context): m.string for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if message.id and (message.id, message.context) not in before:
                message.string = ""  # new: needs a translator, never the English by accident
        if lang == "en":
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        catalog.obsolete.clear()
        with po.open("wb") as fh:
            write_po(fh, catalog, width=0, include_previous=False)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
