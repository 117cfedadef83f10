"""The loop closed through the CLI: a resident reports over WhatsApp (fake Twilio)
or Telegram (fake Bot API) to a running service; an operator answers and closes
the report with ``sauti reports update`` in a process of its own, on the same
database; the service sends the answer, then the satisfaction question, and the
resident's answer is kept against the report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import code_of, start_sauti
from tests.fakes.telegram import FakeTelegram, make_callback_update, make_text_update
from tests.fakes.twilio import FakeTwilio
from tests.test_telegram import running as telegram_running
from tests.test_twilio import running as twilio_running

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

ANSWER = "A patrol went past the school twice."


def cli_config(tmp_path: Path) -> Path:
    """The CLI's config: the service's database and privacy keys (tests/conftest.py)."""
    path = tmp_path / "cli.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/sauti.db"\n'
                    '[privacy]\npseudonym_key = "test-pseudonym-key"\n'
                    'contact_key = "test-contact-key"\n'
                    '[[staff]]\nname = "Amina"\nroles = ["staff", "moderator"]\n')
    return path


async def sauti(tmp_path: Path, *args: str) -> str:
    proc = await start_sauti(*args, "--config", str(cli_config(tmp_path)), cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def answer_and_close(tmp_path: Path, ref: str) -> None:
    assert (await sauti(tmp_path, "reports", "update", ref, "--as", "Amina",
                        "--status", "in_review", "--reply", ANSWER)).startswith(
        f"{ref}: in_review")
    await sauti(tmp_path, "reports", "update", ref, "--status", "actioned")
    await sauti(tmp_path, "reports", "update", ref, "--status", "closed")


@pytest.fixture
async def twilio() -> FakeTwilio:  # type: ignore[misc]
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def telegram() -> FakeTelegram:  # type: ignore[misc]
    async with FakeTelegram(token="123:ABC") as fake:
        yield fake


@pytest.mark.parametrize("answers", [False, True])
async def test_whatsapp_reporter_gets_the_answer_sent_from_the_cli(
        tmp_path: Path, twilio: FakeTwilio, answers: bool) -> None:
    number, to = "+243810000311", "whatsapp:+243810000311"
    async with twilio_running(tmp_path, twilio) as bot:
        for text in ("hello", "1", "1", "1", "Armed men near the school", "1", "1"):
            await bot.wa(number, text)
        ref = code_of(await bot.wa(number, "1"))
        before = len(twilio.sent_to(to))
        await answer_and_close(tmp_path, ref)
        await bot.until(lambda: len(twilio.sent_to(to)) >= before + 4)
        bodies = [m["Body"] for m in twilio.sent_to(to)[before:]]
        assert bodies[0] == f"Answer to your report {ref}: {ANSWER}"
        assert bodies[1] == f"Your report {ref}: action has been taken."
        assert bodies[2].startswith(f"Your report {ref} is now closed.")
        assert f"Are you satisfied with how your report {ref} was handled?" in bodies[3]
        if answers:
            assert (await bot.wa(number, "1")).startswith("Thank you for your answer.")
    shown = await sauti(tmp_path, "reports", "show", ref)
    assert "Public answer:\n  " + ANSWER in shown
    assert f"Report {ref}  (closed" in shown
    if answers:
        assert "  satisfied:   yes" in shown


async def test_telegram_reporter_gets_the_answer_sent_from_the_cli(
        tmp_path: Path, telegram: FakeTelegram) -> None:
    user = 700311
    async with telegram_running(tmp_path, telegram, webhook_secret="") as r:
        msg = await r.say(make_text_update(1, user, "hello", language_code="en"), user)
        for n, key in enumerate(("en", "report", "security_incident"), start=2):
            msg = await r.say(make_callback_update(n, user, key,
                                                   message_id=msg["message_id"]), user)
        msg = await r.say(make_text_update(5, user, "Armed men near the school"), user)
        for n, key in enumerate(("goma", "yes", "send"), start=6):
            msg = await r.say(make_callback_update(n, user, key,
                                                   message_id=msg["message_id"]), user)
        ref = code_of(msg["text"])
        before = len(telegram.sent_messages(user))
        await answer_and_close(tmp_path, ref)
        from tests.test_telegram import eventually

        await eventually(lambda: len(telegram.sent_messages(user)) >= before + 4, r.app)
        texts = [m["text"] for m in telegram.sent_messages(user)[before:]]
        assert texts[0] == f"Answer to your report {ref}: {ANSWER}"
        assert texts[1] == f"Your report {ref}: action has been taken."
        assert texts[2].startswith(f"Your report {ref} is now closed.")
        assert f"Are you satisfied with how your report {ref} was handled?" in texts[3]
        assert [b["text"] for row in texts_markup(telegram, user) for b in row] == [
            "1. Yes", "2. Partly", "3. No"]
    shown = await sauti(tmp_path, "reports", "show", ref)
    assert f"Report {ref}  (closed" in shown and "Public answer:\n  " + ANSWER in shown


def texts_markup(telegram: FakeTelegram, user: int) -> list[list[dict[str, str]]]:
    """The buttons of the last message to ``user``."""
    rows: list[list[dict[str, str]]] = telegram.sent_messages(user)[-1].get(
        "reply_markup", {}).get("inline_keyboard", [])
    return rows
