"""bot/cli/logs.py: what the log says of an exception is where, and of what type,
never its message (which can quote a phone number or a person's text)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from bot.cli.logs import FORMAT, RedactingFormatter

PHONE = "+243815550199"  # invented
ROOT = Path(__file__).resolve().parent.parent


def _look_up(contacts: dict[str, str]) -> str:
    return contacts[PHONE]


def _record(exc_info: bool = True, *args: object) -> logging.LogRecord:
    try:
        try:
            _look_up({})
        except KeyError as exc:
            raise ValueError(f"no contact for {PHONE} who wrote 'help me'") from exc
    except ValueError:
        return logging.getLogger("sauti.test").makeRecord(
            "sauti.test", logging.ERROR, __file__, 1, "lookup failed %s", args or ("",),
            sys.exc_info() if exc_info else None)
    raise AssertionError("unreachable")


def test_a_traceback_names_types_and_frames_not_messages() -> None:
    text = RedactingFormatter(FORMAT).format(_record())
    assert PHONE not in text and "help me" not in text
    assert "ERROR sauti.test: lookup failed" in text
    lines = text.splitlines()
    assert "KeyError" in lines and "ValueError" in lines
    assert "The above exception was the direct cause of the following exception:" in lines
    assert f'  File "{__file__}", line {_look_up.__code__.co_firstlineno + 1}, in _look_up' \
        in lines
    assert any(line.startswith(f'  File "{__file__}", line ') and line.endswith("in _record")
               for line in lines)


def test_the_standard_formatter_would_have_leaked_it() -> None:
    assert PHONE in logging.Formatter(FORMAT).format(_record())


def test_an_exception_as_an_argument_is_written_as_its_type() -> None:
    record = _record(False, KeyError(PHONE))
    text = RedactingFormatter(FORMAT).format(record)
    assert text.endswith("lookup failed KeyError") and PHONE not in text
    assert isinstance(record.args, tuple) and isinstance(record.args[0], KeyError)  # kept


def test_an_exception_group_names_each_inner_type() -> None:
    try:
        raise ExceptionGroup(f"both for {PHONE}", [KeyError(PHONE), ValueError(PHONE)])
    except ExceptionGroup:
        record = logging.makeLogRecord({"msg": "x", "exc_info": sys.exc_info()})
    text = RedactingFormatter(FORMAT).format(record)
    assert PHONE not in text
    lines = text.splitlines()
    assert "ExceptionGroup" in lines and "  | KeyError" in lines and "  | ValueError" in lines


def test_main_installs_it_for_every_command(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n')
    script = (
        "import logging, sys\n"
        "from bot.cli.main import main\n"
        f"main(['db', 'upgrade', '--config', {str(cfg)!r}])\n"
        "try:\n"
        f"    {{}}[{PHONE!r}]\n"
        "except KeyError:\n"
        "    logging.getLogger('sauti').exception('lookup failed')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAUTI")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ERROR sauti: lookup failed" in done.stderr
    assert "KeyError" in done.stderr.splitlines()
    assert PHONE not in done.stderr
