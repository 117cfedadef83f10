"""``sauti moderation check`` as a moderator runs it: a real subprocess reading
stdin, one verdict a line, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import run

LINES = [
    "they are shooting now at the market, call me 0810000123",  # urgent, a phone
    "Mon voisin Patrick Lumumba a vu le commandant Bosco Ntaganda",  # names, French
    "you stupid bot, idiot",  # abuse
    "no shooting today, all calm in zone 3",  # negated: not urgent
    "my sister was raped by soldiers last night, she needs a doctor",  # urgent, not abuse
    "",  # blank lines are skipped
]


def test_each_line_gets_the_pipelines_verdict_as_json(tmp_path: Path) -> None:
    done = run(["moderation", "check", "--json"], tmp_path, stdin="\n".join(LINES) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 5 and all(set(r) == {"language", "text", "kinds", "urgent", "abuse"}
                                  for r in rows)
    shooting, names, insult, calm, assault = rows
    assert shooting["urgent"] and shooting["kinds"] == ["phone"]
    assert "0810000123" not in shooting["text"] and "[phone]" in shooting["text"]
    assert names["language"] == "fr" and names["kinds"] == ["name"]
    assert "Lumumba" not in names["text"] and "Ntaganda" not in names["text"]
    assert names["text"].startswith("Mon voisin [name] a vu le commandant [name]")
    assert insult["abuse"] and not insult["urgent"]
    assert not calm["urgent"] and not calm["abuse"]
    assert assault["urgent"] and not assault["abuse"]  # a report of violence is not abuse
    assert not list(tmp_path.iterdir())  # no database, nothing stored


def test_plain_output_and_a_language_given(tmp_path: Path) -> None:
    done = run(["moderation", "check", "--lang", "sw"], tmp_path,
               stdin="wanapiga risasi sasa hivi sokoni\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sw · URGENT · shooting")
    bad = run(["moderation", "check", "--lang", "zz"], tmp_path, stdin="x\n")
    assert bad.returncode == 2 and "no language 'zz'" in bad.stderr


def test_a_missions_own_abuse_words_come_from_config(tmp_path: Path) -> None:
    config = tmp_path / "mission.toml"
    config.write_text('[moderation]\nabuse_words = ["zorglub"]\n', "utf-8")
    stdin = "the zorglub at the desk again\nthe clerk at the desk again\n"
    done = run(["--config", str(config), "moderation", "check", "--json"], tmp_path,
               stdin=stdin)
    assert done.returncode == 0, done.stderr
    flagged, plain = [json.loads(line) for line in done.stdout.splitlines()]
    assert flagged["abuse"] and not plain["abuse"]
    without = run(["moderation", "check", "--json"], tmp_path, stdin=stdin)
    assert not any(json.loads(line)["abuse"] for line in without.stdout.splitlines())
