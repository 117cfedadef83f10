"""The gettext workflow in one command: Babel's own, configured in pyproject.toml.

``python tools/extract.py`` runs ``pybabel extract`` (the code's strings into
locales/sauti.pot) and ``pybabel update`` (merged into every catalogue), then
fills English: its msgids are the source text, so en.po mirrors them and is
complete too. ``python tools/extract.py --check`` only reports what the
catalogues lack. Catalogues are compiled on load (bot.i18n.catalogue), so no
built file is committed; ``pybabel compile`` builds .mo files if wanted.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "sauti.pot"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT,
                   check=True, capture_output=True)


def extract(pot: Path) -> set[tuple[str, str | None]]:
    """Extract every marked string of the code into ``pot``; return (msgid, context)s."""
    pybabel("extract", "-o", str(pot))
    with pot.open("rb") as fh:
        return {(m.id if isinstance(m.id, str) else m.id[0], m.context)
                for m in read_po(fh) if m.id}


def check() -> int:
    """Exit 1 if the code has strings some catalogue lacks (run tools/extract.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = extract(Path(tmp) / "fresh.pot")
    status = 0
    for po in sorted(ROOT.glob("locales/*/LC_MESSAGES/sauti.po")):
        with po.open("rb") as fh:
            have = {(m.id if isinstance(m.id, str) else m.id[0], m.context)
                    for m in read_po(fh) if m.id}
        for msgid, context in sorted(wanted - have, key=str):
            print(f"{po.parent.parent.name}: missing {msgid!r} (context {context})")
            status = 1
    return status


def untranslated(message: object) -> bool:
    string = getattr(message, "string", "")
    return not any(string) if isinstance(string, tuple) else not string


def mirror_english() -> None:
    english = ROOT / "locales" / "en" / "LC_MESSAGES" / "sauti.po"
    with english.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and untranslated(message):
            message.string = message.id  # a plural's (singular, plural) too
    with english.open("wb") as fh:
        write_po(fh, catalog, width=0, include_previous=False)


def main() -> int:
    extract(POT)
    pybabel("update")
    mirror_english()
    for po in sorted(ROOT.glob("locales/*/LC_MESSAGES/sauti.po")):
        lang = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        missing = [m.id for m in catalog if m.id and untranslated(m)]
        print(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(check() if sys.argv[1:] == ["--check"] else main())
