"""The `sauti` command as an operator runs it: a real subprocess, no config file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REAL_KEYS_TOML

SAUTI = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path, stdin: str = "", env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith("SAUTI") and k != "PYTHONPATH"}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run([*SAUTI, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=60, env=full_env)


def test_console_french_walkthrough_without_config(tmp_path: Path) -> None:
    script = "bonjour\n2\n1\n1\nDes coups de feu près du marché hier soir\n1\n2\n1\n"
    done = run(["console"], tmp_path, script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Bonjour, ici Sauti")
    assert "Que voulez-vous faire ?" in out
    match = re.search(r"Son code est ([2-9A-Z]{6})", out)
    assert match, out
    assert (tmp_path / "data" / "sauti.db").is_file()
    listed = run(["reports", "list", "--json"], tmp_path)
    assert listed.returncode == 0
    reports = json.loads(listed.stdout)
    assert [r["ref"] for r in reports] == [match.group(1)]
    assert reports[0]["language"] == "fr" and reports[0]["category"] == "security_incident"


def test_console_english_walkthrough_and_user(tmp_path: Path) -> None:
    script = "hello\n1\n1\n3\nFamilies are sleeping outside the church\n5\n1\n1\n"
    done = run(["console", "--user", "tester"], tmp_path, script)
    assert done.returncode == 0, done.stderr
    assert "Hi, this is Sauti" in done.stdout
    assert re.search(r"Its code is [2-9A-Z]{6}", done.stdout)


def test_console_survives_invalid_utf8(tmp_path: Path) -> None:
    proc = subprocess.run([*SAUTI, "console"], cwd=tmp_path, input=b"hi\n\xff\xfe\x80\n1\n",
                          capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert b"Please reply 1-2." in proc.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_before_or_after_the_command(tmp_path: Path, where: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/x/s.db"\n')
    args = ["--config", str(cfg), "db", "upgrade"] if where == "before" else \
        ["db", "upgrade", "--config", str(cfg)]
    done = run(args, tmp_path)
    assert done.returncode == 0, done.stderr
    from bot.storage.sqlite.schema import MIGRATIONS

    assert f"schema version {len(MIGRATIONS)}" in done.stdout
    assert (tmp_path / "x" / "s.db").is_file()


@pytest.mark.parametrize(
    ("content", "env", "expected"),
    [
        ("[bot]\nunknown = 1\n", {}, "bot.unknown: unknown key"),
        ('[bot]\nlanguages = ["en", "klingon"]\n', {}, "unknown language 'klingon'"),
        ("[telegram]\nenabled = true\n", {}, "token is required"),
        ("[bot\n", {}, "malformed TOML"),
        ("", {"SAUTI__TELEGRAM__ENABLED": "true"}, "token is required"),
        ("[console]\nenabled = false\n", {}, "console channel is disabled"),
    ],
)
def test_bad_config_exits_2_with_one_line(tmp_path: Path, content: str, env: dict[str, str],
                                          expected: str) -> None:
    (tmp_path / "config.toml").write_text(content)
    done = run(["console"], tmp_path, "hi\n", env)
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert run(["frobnicate"], tmp_path).returncode == 2
    assert run(["reports", "list", "--status", "nope"], tmp_path).returncode == 2


def test_reports_show_and_update(tmp_path: Path) -> None:
    script = "hello\n1\n1\n2\nA man threatened the nurse\n1\n2\n1\n"
    out = run(["console"], tmp_path, script).stdout
    match = re.search(r"Its code is ([2-9A-Z]{6})", out)
    assert match
    ref = match.group(1)
    shown = run(["reports", "show", ref.lower(), "--json"], tmp_path)
    assert json.loads(shown.stdout)["description"] == "A man threatened the nurse"
    updated = run(["reports", "update", ref, "--status", "in_review", "--reply", "We are on it"],
                  tmp_path)
    assert updated.returncode == 0
    check = run(["console"], tmp_path, f"3\n{ref}\n").stdout
    assert "being reviewed" in check and "Answer: We are on it" in check
    missing = run(["reports", "show", "ZZZZZZ"], tmp_path)
    assert missing.returncode == 2 and missing.stderr.endswith("sauti: no report 'ZZZZZZ'\n")


def test_console_is_interactive_on_a_terminal(tmp_path: Path) -> None:
    import pty
    import select

    env = {k: v for k, v in os.environ.items() if not k.startswith("SAUTI")}
    env["PYTHONPATH"] = str(ROOT)
    pid, fd = pty.fork()
    if pid == 0:  # the child: sauti console on a real terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [*SAUTI, "console"], env)
    output = b""

    def read_until(marker: bytes, timeout: float = 20) -> None:
        nonlocal output
        import time as _time

        end = _time.monotonic() + timeout
        while marker not in output and _time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    break

    read_until(b"> ")
    os.write(fd, b"hello\n")
    read_until(b"2. Fran")
    os.write(fd, b"\x04")  # Ctrl-D: end of input
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    warning, _, chat = output.partition(b"\r\n")  # the one line on the built-in keys first
    assert warning.startswith(b"sauti: running on the example privacy keys, for trying out")
    assert chat.startswith(b"> ")
    assert b"Hi, this is Sauti" in chat
    assert os.waitstatus_to_exitcode(status) == 0


def test_serve_answers_health_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "serve.toml"
    cfg.write_text(f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
                   f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n' + REAL_KEYS_TOML)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAUTI")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([*SAUTI, "serve", "--config", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    assert "Traceback" not in err
