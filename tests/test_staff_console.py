"""`sauti console --user NAME` chats as the [[staff]] member whose console_user
is NAME: a real subprocess, as an operator runs it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import run

CONFIG = """
[[staff]]
name = "amina"
roles = ["moderator"]
console_user = "amina"
"""


def test_console_user_chats_as_that_staff_member(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    script = "hello\n1\n1\n2\nThe clinic ran out of medicine\n1\n1\n1\n"
    out = run(["console"], tmp_path, script).stdout
    match = re.search(r"Its code is ([2-9A-Z]{6})", out)
    assert match, out
    ref = match.group(1)
    done = run(["console", "--user", "amina"], tmp_path,
               f"hello\n1\n/queue\n/show {ref}\n/take {ref}\n")
    assert done.returncode == 0, done.stderr
    assert f"{ref} · " in done.stdout and "1-1 of 1." in done.stdout
    assert "The clinic ran out of medicine" in done.stdout
    assert f"{ref}: in_review · assigned to amina" in done.stdout
    resident = run(["console"], tmp_path, "/queue\n").stdout  # the default user: a resident
    assert ref not in resident and "Please reply 1-5." in resident  # unknown input
