"""Keys that must be real, as an operator meets them: `sauti serve` run as a real
subprocess refuses example, weak or shared keys; `sauti keys generate` prints
keys it accepts; the other commands say once that they run on keys for trying out."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from tests.test_cli import ROOT, SAUTI, run

STRONG = "k2:Wv3TqP0bLdJmB5uM2yHx9sKcVn8eRfGz7aQo1NtYiE4"
OTHER = "k2:Rj6LhT2wKpX9mCv4bNsQ8yZdF0gUaE3oVt5iWx7MnB1"
SHORT = "k2:" + secrets.token_urlsafe(24)
HEX_SHORT = secrets.token_hex(16)
EXAMPLE_LINE = ("sauti: running on the example privacy keys, for trying out only (sauti serve "
                "refuses them; sauti keys generate prints real ones)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, privacy: str, port: int = 0) -> Path:
    cfg = tmp_path / "serve.toml"
    cfg.write_text(f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
                   f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n[privacy]\n{privacy}')
    return cfg


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAUTI")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize(("privacy", "env", "named", "hidden"), [
    ("", {}, "privacy.pseudonym_key: is the example key", None),
    (f'pseudonym_key = "{STRONG}"\n', {}, "privacy.contact_key: is the example key", None),
    (f'pseudonym_key = "{SHORT}"\ncontact_key = "{OTHER}"\n', {},
     "privacy.pseudonym_key: too weak: a key needs 32 random bytes", SHORT),
    (f'pseudonym_key = "{STRONG}"\ncontact_key = "{HEX_SHORT}"\n', {},
     "privacy.contact_key: too weak", HEX_SHORT),
    (f'pseudonym_key = "{STRONG}"\n', {"SAUTI__PRIVACY__CONTACT_KEY": SHORT},
     "privacy.contact_key: too weak", SHORT),
    (f'pseudonym_key = "k2:{"ab" * 40}"\ncontact_key = "{OTHER}"\n', {},
     "privacy.pseudonym_key: not random", "ab" * 40),
    (f'pseudonym_key = "{STRONG}"\ncontact_key = "{STRONG.replace("k2", "k7")}"\n', {},
     "privacy.contact_key: is the same as privacy.pseudonym_key", STRONG[3:]),
])
def test_serve_refuses_keys_that_are_not_real(tmp_path: Path, privacy: str, env: dict[str, str],
                                              named: str, hidden: str | None) -> None:
    port = free_port()
    done = run(["serve", "--config", str(write_config(tmp_path, privacy, port))], tmp_path,
               env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()], "one line"
    assert done.stderr.startswith(f"sauti: config error: {named}")
    assert "Traceback" not in done.stderr
    if hidden is not None:
        assert hidden not in done.stdout + done.stderr
    assert not (tmp_path / "s.db").exists(), "refused before anything was opened"


def generated(tmp_path: Path, config: Path | None = None) -> str:
    args = ["keys", "generate"] + (["--config", str(config)] if config else [])
    done = run(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_generated_keys_differ_each_time_and_serve_accepts_them(tmp_path: Path) -> None:
    first, second = generated(tmp_path), generated(tmp_path)
    keys = tomllib.loads(first)["privacy"]
    again = tomllib.loads(second)["privacy"]
    assert set(keys) == {"pseudonym_key", "contact_key"}
    assert keys["pseudonym_key"].startswith("k2:") and keys["contact_key"].startswith("k2:")
    assert len({keys["pseudonym_key"], keys["contact_key"], again["pseudonym_key"],
                again["contact_key"]}) == 4
    secret_line = next(line for line in first.splitlines() if "webhook_secret" in line)
    assert len(tomllib.loads(secret_line.removeprefix("# "))["webhook_secret"]) >= 32

    port = free_port()
    cfg = tmp_path / "real.toml"
    cfg.write_text(first + f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
                   f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n')
    proc = subprocess.Popen([*SAUTI, "serve", "--config", str(cfg)], cwd=tmp_path,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        body = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    for value in keys.values():
        assert value not in out + err
    assert "example privacy keys" not in err


def test_generated_keys_take_the_id_after_the_configs(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f'pseudonym_key = "k4:{STRONG[3:]}"\ncontact_key = "{OTHER}"\n'
                       'previous_pseudonym_keys = ["k3:old"]\n')
    keys = tomllib.loads(generated(tmp_path, cfg))["privacy"]
    assert keys["pseudonym_key"].startswith("k5:") and keys["contact_key"].startswith("k5:")


def test_console_on_the_built_in_keys_says_so_once(tmp_path: Path) -> None:
    done = run(["console"], tmp_path, "hello\n1\nmenu\n")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [EXAMPLE_LINE]
    assert "Hi, this is Sauti" in done.stdout and EXAMPLE_LINE not in done.stdout


def test_console_on_a_weak_key_of_its_own_warns_and_runs(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f'pseudonym_key = "{SHORT}"\ncontact_key = "{OTHER}"\n')
    done = run(["console", "--config", str(cfg)], tmp_path, "hello\n")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "sauti: warning: privacy.pseudonym_key: too weak: a key needs 32 random bytes, as 43 or"
        " more base64url characters or 64 or more hex digits (sauti keys generate prints"
        " them); for trying out only, sauti serve refuses it"]
    assert SHORT not in done.stderr


def test_database_commands_warn_and_reseal_refuses(tmp_path: Path) -> None:
    assert run(["console"], tmp_path, "hello\n").returncode == 0
    listed = run(["reports", "list", "--json"], tmp_path)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert listed.stderr.splitlines() == [EXAMPLE_LINE]
    upgraded = run(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0 and upgraded.stderr.splitlines() == [EXAMPLE_LINE]
    resealed = run(["keys", "reseal"], tmp_path)
    assert resealed.returncode == 2
    assert resealed.stderr.splitlines() == [
        "sauti: config error: privacy.pseudonym_key: is the example key; use a random one"
        " (sauti keys generate prints them)"]


def test_reseal_makes_no_database(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f'pseudonym_key = "{STRONG}"\ncontact_key = "{OTHER}"\n')
    done = run(["keys", "reseal", "--config", str(cfg)], tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"sauti: no database at {tmp_path}/s.db (storage.url): nothing to re-seal"]
    assert not (tmp_path / "s.db").exists()
