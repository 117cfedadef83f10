"""Messages and records: frozen for the type checker and at run time, comparable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from mypy import api

from bot.domain.messages import Choice, Inbound

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_rejects_changing_a_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    """CI's mypy fails on any change to a record, before it could run."""
    snippet = tmp_path / "mutate.py"
    snippet.write_text(
        "from bot.domain.messages import Inbound\n"
        "from bot.domain.records import Session\n"
        "def change(i: Inbound, s: Session) -> None:\n"
        "    i.text = 'changed'\n"
        "    s.step = 'elsewhere'\n"
        "def read(i: Inbound) -> str:\n"
        "    return i.text\n")
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    out, _err, status = api.run(["--strict", "--no-error-summary", "--config-file", "",
                                 str(snippet)])
    assert status == 1
    errors = [line for line in out.splitlines() if "error" in line]
    assert len(errors) == 2, out
    assert '"text" defined in "Inbound" is read-only' in errors[0]
    assert '"step" defined in "Session" is read-only' in errors[1]


def test_records_refuse_changes_at_run_time() -> None:
    message = Inbound(channel="sms", address="+243810000001", text="hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.text = "changed"  # type: ignore[misc]
    assert message.text == "hi"


def test_records_compare_and_hash_by_value() -> None:
    assert Choice("en", "English") == Choice("en", "English")
    assert len({Choice("en", "English"), Choice("en", "English"), Choice("fr", "Français")}) == 2
    a = Inbound(channel="sms", address="+243810000001", text="hi", external_id="SM1")
    b = Inbound(channel="sms", address="+243810000001", text="hi", external_id="SM1",
                received_at=a.received_at)
    assert a == b and hash(a) == hash(b)
    assert not hasattr(a, "__dict__")  # slotted: no stray attributes
