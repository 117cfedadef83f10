"""``sauti reports``, ``audit`` and ``export`` run in-process through main(), on a
real SQLite file seeded by residents talking to a real App: --as, the sensitive
wall, bad input, a missing database, times in the mission's timezone."""

from __future__ import annotations

import asyncio
import csv
import json
import os
from pathlib import Path

import pytest

from bot.app import App
from bot.cli.main import main
from bot.config import Config, load_config
from tests.conftest import RecordingChannel, Resident

TOML = """
[bot]
timezone = "Africa/Kinshasa"
[storage]
url = "sqlite:///{db}"
[privacy]
pseudonym_key = "test-pseudonym-key"
contact_key = "test-contact-key"
[[staff]]
name = "Amina"
roles = ["staff", "moderator"]
[[staff]]
name = "Zawadi"
roles = ["moderator", "sensitive"]
[[staff]]
name = "Kito"
roles = ["staff"]
[[partners]]
code = "hcr"
name = "Protection cluster"
"""


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SAUTI_AS", raising=False)
    monkeypatch.delenv("SAUTI_CONFIG", raising=False)
    # main() points logging at the sys.stderr of its time: capsys's, gone after the test
    monkeypatch.setattr("bot.cli.logs.configure", lambda level: None)
    path = tmp_path / "sauti.toml"
    path.write_text(TOML.format(db=tmp_path / "sauti.db"))
    return path


async def _seed(config: Config) -> tuple[str, str]:
    """One ordinary report (threat) and one sensitive (personnel_conduct)."""
    app = await App.open(config)
    try:
        channel = RecordingChannel()
        app.add_channel(channel)
        refs = []
        for n, category in (("1", "2"), ("2", "5")):
            r = Resident(app, channel, f"person-{n}")
            await r.send("hello")
            await r.send("1")
            refs.append(await r.report("The guard at the gate shouted at us",
                                       category=category))
        return refs[0], refs[1]
    finally:
        await app.close()


@pytest.fixture
def seeded(cfg: Path) -> tuple[str, str]:
    return asyncio.run(_seed(load_config(str(cfg))))


def sauti(cfg: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--config", str(cfg)])
    out, err = capsys.readouterr()
    return code, out, err


def last_line(err: str) -> str:
    return err.strip().splitlines()[-1]


def test_sensitive_wall_in_list_show_export_and_audit(
        cfg: Path, seeded: tuple[str, str], capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    plain, secret = seeded
    code, out, _ = sauti(cfg, capsys, "reports", "list", "--json")
    assert code == 0 and [r["ref"] for r in json.loads(out)] == [plain]
    code, out, _ = sauti(cfg, capsys, "--as", "Zawadi", "reports", "list", "--json")
    assert code == 0 and {r["ref"] for r in json.loads(out)} == {plain, secret}

    code, _, err = sauti(cfg, capsys, "reports", "show", secret)
    assert code == 2 and last_line(err) == f"sauti: no report {secret!r}"  # as a missing one
    code, _, err = sauti(cfg, capsys, "--as", "Amina", "reports", "show", "ZZZZZZ")
    assert code == 2 and last_line(err) == "sauti: no report 'ZZZZZZ'"
    code, out, _ = sauti(cfg, capsys, "reports", "show", secret, "--as", "zawadi", "--json")
    assert code == 0 and json.loads(out)["category"] == "personnel_conduct"

    out_file = tmp_path / "reports.json"
    assert sauti(cfg, capsys, "export", "reports", "--format", "json",
                 "--out", str(out_file))[0] == 0
    assert [r["ref"] for r in json.loads(out_file.read_text())] == [plain]
    assert os.stat(out_file).st_mode & 0o077 == 0
    csv_file = tmp_path / "reports.csv"
    csv_file.write_text("old")
    csv_file.chmod(0o644)
    assert sauti(cfg, capsys, "--as", "Zawadi", "export", "reports", "--format", "csv",
                 "--out", str(csv_file))[0] == 0
    rows = list(csv.DictReader(csv_file.open(encoding="utf-8")))
    assert os.stat(csv_file).st_mode & 0o077 == 0
    assert {r["ref"] for r in rows} == {plain, secret}

    code, out, _ = sauti(cfg, capsys, "audit", "--json")
    targets = {e["target"] for e in json.loads(out)}
    assert code == 0 and plain not in targets and secret not in targets
    code, out, _ = sauti(cfg, capsys, "--as", "Zawadi", "audit", "--json")
    shown = [e for e in json.loads(out) if e["target"] == secret]
    assert {(e["actor"], e["action"], e["outcome"]) for e in shown} == {
        ("operator", "show", "denied"), ("Zawadi", "show", "ok")}
    code, out, _ = sauti(cfg, capsys, "--as", "Amina", "audit", "--json")
    assert secret not in {e["target"] for e in json.loads(out)}
    assert all(e["at"].endswith("+01:00") for e in json.loads(out))  # Kinshasa time


def test_update_as_someone_is_audited_under_their_name(
        cfg: Path, seeded: tuple[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain, _ = seeded
    monkeypatch.setenv("SAUTI_AS", "Amina")
    code, out, _ = sauti(cfg, capsys, "reports", "update", plain, "--status", "in_review",
                         "--tag", "gate", "--tag", "night", "--note", "Ask the guard's unit",
                         "--assign", "zawadi")
    assert code == 0 and out == f"{plain}: in_review tags gate night assigned to Zawadi\n"
    code, out, _ = sauti(cfg, capsys, "reports", "update", plain, "--tag=-night",
                         "--refer", "hcr")
    assert code == 0 and out.startswith(f"{plain}: referred tags gate ")
    code, out, _ = sauti(cfg, capsys, "reports", "show", plain)
    assert code == 0
    assert "  assignee:    Zawadi" in out and "  partner:     hcr" in out
    assert "Amina: Ask the guard's unit" in out and "WAT" in out
    assert "ReportView" not in out and "datetime" not in out
    code, out, _ = sauti(cfg, capsys, "audit", "--json")
    mine = [(e["actor"], e["action"]) for e in json.loads(out) if e["target"] == plain]
    assert ("Amina", "assign") in mine and ("Amina", "refer") in mine
    assert all(actor == "Amina" for actor, _ in mine)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["reports", "list", "--status", "nope"],
         "sauti: unknown status 'nope' (statuses: new, in_review, actioned, referred, "
         "closed, rejected)"),
        (["reports", "list", "--area", "paris"],
         "sauti: unknown area 'paris' (areas: goma, bukavu, beni, bunia)"),
        (["reports", "list", "--category", "weather"],
         "sauti: unknown category 'weather' (categories: security_incident, threat, "
         "displacement, humanitarian_need, personnel_conduct)"),
        (["reports", "list", "--as", "Nobody"],
         "sauti: --as: no staff member 'Nobody' (staff: Amina, Zawadi, Kito)"),
        (["reports", "update", "REF", "--status", "closed"],
         "sauti: a report new cannot move to closed (next: in_review)"),
        (["reports", "update", "REF", "--refer", "unicef"],
         "sauti: unknown partner 'unicef' (partners: hcr)"),
        (["reports", "update", "REF", "--assign", "Bob"],
         "sauti: unknown staff member 'Bob' (staff: Amina, Zawadi, Kito)"),
        (["reports", "update", "REF"],
         "sauti: reports update: give at least one of --status, --tag, --note, --reply, "
         "--assign, --refer"),
        (["audit", "--since", "yesterday"],
         "sauti: --since: not an ISO 8601 time 'yesterday' (e.g. 2026-12-01 or "
         "2026-12-01T08:00+01:00)"),
    ])
def test_bad_input_is_exit_2_with_one_line(cfg: Path, seeded: tuple[str, str],
                                           capsys: pytest.CaptureFixture[str],
                                           args: list[str], line: str) -> None:
    plain, _ = seeded
    code, out, err = sauti(cfg, capsys, *[plain if a == "REF" else a for a in args])
    assert (code, out, last_line(err)) == (2, "", line)


def test_a_role_missing_is_refused_and_audited(cfg: Path, seeded: tuple[str, str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = sauti(cfg, capsys, "--as", "Kito", "reports", "list")
    assert code == 1 and last_line(err) == (
        "sauti: queue needs the role 'moderator' (act as someone who has it with --as NAME)")
    code, out, _ = sauti(cfg, capsys, "audit", "--json")
    assert {"actor": "Kito", "action": "queue", "outcome": "denied"}.items() <= \
        next(e for e in json.loads(out) if e["actor"] == "Kito").items()


@pytest.mark.parametrize("args", [["reports", "list"], ["reports", "show", "ABCDEF"],
                                  ["reports", "update", "ABCDEF", "--note", "x"],
                                  ["reports", "referral", "ABCDEF", "--out", "f.txt"],
                                  ["audit"], ["export", "audit", "--format", "csv",
                                              "--out", "f.csv"], ["purge"]])
def test_reading_commands_refuse_to_create_a_database(cfg: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      args: list[str]) -> None:
    code, _, err = sauti(cfg, capsys, *args)
    assert (code, last_line(err)) == (
        1, f"sauti: no database at {tmp_path / 'sauti.db'} (sauti db upgrade creates one)")
    assert not (tmp_path / "sauti.db").exists()


def test_audit_since_and_referral_package(cfg: Path, seeded: tuple[str, str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, secret = seeded
    assert sauti(cfg, capsys, "--as", "Zawadi", "reports", "update", secret,
                 "--status", "in_review", "--note", "Private lead")[0] == 0
    assert sauti(cfg, capsys, "--as", "Zawadi", "reports", "update", secret,
                 "--refer", "hcr")[0] == 0
    package = tmp_path / "referral.txt"
    code, _, err = sauti(cfg, capsys, "reports", "referral", secret, "--out", str(package))
    assert code == 2 and not package.exists()  # the operator has no "sensitive" role
    assert last_line(err) == f"sauti: no report {secret!r}"
    code, out, _ = sauti(cfg, capsys, "--as", "Zawadi", "reports", "referral", secret,
                         "--out", str(package))
    assert code == 0, out
    text = package.read_text()
    assert f"Referral package for report {secret}" in text
    assert "The guard at the gate shouted at us" in text
    assert "Partner:   Protection cluster" in text
    assert "Zawadi         refer hcr" in text and "Audit trail:" in text
    assert "Private lead" not in text and "person-2" not in text
    assert os.stat(package).st_mode & 0o077 == 0
    code, out, _ = sauti(cfg, capsys, "--as", "Zawadi", "audit", "--since", "2999-01-01",
                         "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = sauti(cfg, capsys, "--as", "Zawadi", "audit", "--since", "2000-01-01")
    assert code == 0 and f"refer      {secret}" in out
