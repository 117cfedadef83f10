"""Polls (issue 14, first part): created, sent from due rows to the subscribers of
their areas in their language, answered by number, text or button, changed,
closed, answered late; results counted with small cells suppressed; answers
erased with the person's data; only staff may."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.desk.api import Actor, DeskError
from bot.outbox.payload import message_of
from bot.polls.fanout import PollFanOut
from bot.polls.results import suppressed, tally
from bot.polls.service import PollError
from bot.storage.polls import POLL_SEND, Answer
from bot.timers import TimerRunner
from tests.conftest import REAL_KEYS_TOML, RecordingChannel, Resident, make_config
from tests.test_cli import run

STAFF = Actor("Chantal", frozenset({"staff"}))
QUESTION = {"en": "Is the water point working?", "fr": "Le point d'eau fonctionne-t-il ?"}
OPTIONS = [{"en": "Yes", "fr": "Oui"}, {"en": "No", "fr": "Non"},
           {"en": "Sometimes", "fr": "Parfois"}]


@pytest.fixture(params=["sqlite", "memory"])
async def papp(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[App]:
    extra = {"storage": {"url": "memory://"}} if request.param == "memory" else {}
    app = await App.open(make_config(tmp_path, **extra))
    app.add_channel(RecordingChannel())
    yield app
    await app.close()


async def resident(app: App, who: str, lang: str = "1", area: str | None = "1") -> Resident:
    r = Resident(app, app.channels["console"], who)  # type: ignore[arg-type]
    await r.send("hello")
    await r.send(lang)
    if area is not None:
        for text in ("2", "1", area):
            await r.send(text)
    return r


async def sent_poll(app: App, **kw: object) -> int:
    poll_id = await app.polls.create(STAFF, app.polls.check(
        question=QUESTION, options=OPTIONS, areas=["goma"], **kw))  # type: ignore[arg-type]
    await app.polls.send(STAFF, poll_id)
    runner = TimerRunner(app.store, clock=lambda: datetime.now(UTC) + timedelta(seconds=1))
    runner.register(POLL_SEND, PollFanOut(app.store, list(app.config.bot.languages), "en"))
    while await runner.run_once():
        pass
    return poll_id


async def test_a_poll_is_asked_answered_changed_closed_and_counted(papp: App) -> None:
    en = await resident(papp, "en-1")
    fr = await resident(papp, "fr-1", lang="2")
    busy = await resident(papp, "busy")
    await busy.send("1")  # Report a concern: in the middle of something
    await busy.send("1")
    await resident(papp, "elsewhere", area="3")  # Beni: not asked
    poll_id = await sent_poll(papp)
    later = datetime.now(UTC) + timedelta(hours=1)
    rows = await papp.store.claim_outbound(later, 50, later + timedelta(minutes=1))
    asked = {papp.vault.open(r.address_sealed or b""): message_of(r, papp.vault)
             for r in rows if r.kind == "poll"}
    assert set(asked) == {"en-1", "fr-1", "busy"}
    assert asked["en-1"].text == ("Is the water point working?\n1. Yes\n2. No\n3. Sometimes")
    assert asked["fr-1"].text.startswith("Le point d'eau fonctionne-t-il ?\n1. Oui")
    assert [c.label for c in asked["fr-1"].choices] == ["Oui", "Non", "Parfois"]
    for r in rows:
        await papp.store.outbound_sent(r.id, external_id=None, segments=1, now=later)
    first = await en.send("2")
    assert first.startswith("Thank you. Your answer: No.\nSend another number to change it.")
    assert "age group and gender" in first  # offered once, with the first answer
    changed = await en.send("1")
    assert changed.startswith("Your answer is now: Yes.") and "age group" not in changed
    assert (await fr.send("parfois")).startswith("Merci. Votre réponse : Parfois.")
    assert "Which area?" in await busy.send("1")  # their report goes on: "1" described it
    assert (await fr.send("hello")).startswith("Que voulez-vous faire")  # something else
    _poll, res = await papp.polls.results(STAFF, poll_id)
    assert (res.respondents, res.counts) == (2, (1, 0, 1))
    assert res.breakdowns["language"] == {"en": {"1": None, "2": None, "3": None},
                                          "fr": {"1": None, "2": None, "3": None}}
    await papp.polls.close(STAFF, poll_id)
    closed = await en.send("2")  # their options are still their choice: told it closed
    assert closed.startswith("This poll is closed: your answer was not counted.")
    en_id = papp.conversations.contact_id("console", "en-1")
    assert await papp.store.answer_of(poll_id, en_id) == 1  # unchanged


async def test_answers_are_erased_with_the_persons_data(papp: App) -> None:
    r = await resident(papp, "eraser")
    poll_id = await sent_poll(papp)
    await r.send("1")
    assert len(await papp.store.answers(poll_id)) == 1
    await r.send("HELP")
    for text in ("1", "1"):  # erase my data, confirm
        await r.send(text)
    assert await papp.store.answers(poll_id) == []


async def test_only_staff_and_bad_polls_say_what_works(papp: App) -> None:
    with pytest.raises(DeskError):
        await papp.polls.create(Actor("Amina", frozenset({"moderator"})), papp.polls.check(
            question=QUESTION, options=OPTIONS))
    for kw, says in (({"options": OPTIONS[:1]}, "2 to 9"),
                     ({"question": {"fr": "?"}}, "needs a text in en"),
                     ({"areas": ["mars"]}, "unknown area"),
                     ({"closes_at": datetime.now(UTC) - timedelta(hours=1)}, "--closes")):
        args = {"question": QUESTION, "options": OPTIONS, **kw}
        with pytest.raises(PollError, match=says):
            papp.polls.check(**args)  # type: ignore[arg-type]


def test_small_cells_and_the_one_that_would_reveal_them_are_suppressed() -> None:
    assert suppressed({"1": 12, "2": 3, "3": 7}, 5) == {"1": 12, "2": None, "3": None}
    assert suppressed({"1": 12, "2": 3, "3": 2}, 5) == {"1": 12, "2": None, "3": None}
    assert suppressed({"1": 12, "2": 0, "3": 7}, 5) == {"1": 12, "2": 0, "3": 7}
    answers = ([Answer(1, "goma", "en", "sms")] * 9 + [Answer(2, "goma", "fr", "sms")] * 6
               + [Answer(1, "beni", "en", "telegram")] * 2)
    res = tally(answers, 2, 5)
    assert res.counts == (11, 6) and res.respondents == 17  # overall: in full
    assert res.breakdowns["area"]["beni"] == {"1": None, "2": None}  # 2 people
    assert res.breakdowns["area"]["goma"] == {"1": None, "2": None}  # its complement
    assert res.breakdowns["language"]["fr"] == {"1": 0, "2": 6}


def test_the_cli_creates_sends_and_counts(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/sauti.db"\n{REAL_KEYS_TOML}'
                      '[[staff]]\nname = "Chantal"\nroles = ["staff"]\n', "utf-8")
    base = ["--config", str(config), "--as", "Chantal"]
    assert run([*base, "db", "upgrade"], tmp_path).returncode == 0
    made = run([*base, "poll", "create", "--question", "en=Is the water point working?",
                "fr=Le point d'eau fonctionne-t-il ?", "--option", "en=Yes", "fr=Oui",
                "--option", "en=No", "fr=Non", "--area", "goma", "--closes",
                "2099-01-01T08:00"], tmp_path)
    assert made.returncode == 0, made.stderr
    poll_id = int(made.stdout.splitlines()[0])
    assert run([*base, "poll", "send", str(poll_id)], tmp_path).returncode == 0
    again = run([*base, "poll", "send", str(poll_id)], tmp_path)
    assert again.returncode == 2 and "only a draft" in again.stderr
    shown = json.loads(run([*base, "poll", "results", str(poll_id), "--json"],
                           tmp_path).stdout)
    assert shown["poll"] == poll_id and shown["respondents"] == 0
    assert (shown["audience"], shown["turnout"]) == (0, None)  # no one subscribed: asked none
    assert [(o["key"], o["label"], o["count"]) for o in shown["options"]] == [
        ("1", "Yes", 0), ("2", "No", 0)]
    out = tmp_path / "results.csv"
    assert run([*base, "poll", "results", str(poll_id), "--csv", str(out)],
               tmp_path).returncode == 0
    with out.open(encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["by", "group", "Yes", "No"] and table[1] == ["all", "all", "0", "0"]
    png = tmp_path / "results.png"
    drawn = run([*base, "poll", "results", str(poll_id), "--png", str(png)], tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    one = run([*base, "poll", "create", "--question", "en=?", "--option", "en=only"], tmp_path)
    assert one.returncode == 2 and "2 to 9" in one.stderr


def test_export_polls_holds_results_with_small_cells_suppressed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/sauti.db"\n{REAL_KEYS_TOML}',
                      "utf-8")
    base = ["--config", str(config)]
    assert run([*base, "db", "upgrade"], tmp_path).returncode == 0
    made = run([*base, "poll", "create", "--question", "en=Safe to travel?", "--option",
                "en=Yes", "--option", "en=No"], tmp_path)
    assert made.returncode == 0, made.stderr
    out = tmp_path / "polls.json"
    done = run([*base, "export", "polls", "--format", "json", "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text("utf-8"))
    assert [(r["question"], r["results"]["respondents"]) for r in rows] == [
        ({"en": "Safe to travel?"}, 0)]
    flat = tmp_path / "polls.csv"
    assert run([*base, "export", "polls", "--format", "csv", "--out", str(flat)],
               tmp_path).returncode == 0
    with flat.open(encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert json.loads(row["question"]) == {"en": "Safe to travel?"}


async def test_age_band_and_gender_only_with_consent_and_in_breakdowns(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path, privacy={"min_cell": 1}))
    app.add_channel(RecordingChannel())
    try:
        r = await resident(app, "someone")
        poll_id = await sent_poll(app)
        answered = await r.send("1")
        assert 'send HELP and choose "About you"' in answered  # offered, not asked
        helped = await r.send("HELP")
        assert "3. About you (optional)" in helped
        asked = await r.send("3")
        assert "never linked to your number" in asked and "1. Yes" in asked
        assert "6. Prefer not to say" in await r.send("1")
        assert "4. Prefer not to say" in await r.send("2")  # 18 to 29
        assert (await r.send("1")).startswith("Thank you. You can change it in Help")
        cid = app.conversations.contact_id("console", "someone")
        assert await app.store.profile(cid) == ("18-29", "woman")
        _poll, res = await app.polls.results(STAFF, poll_id)
        assert res.breakdowns["age_band"] == {"18-29": {"1": 1, "2": 0, "3": 0}}
        assert res.breakdowns["gender"] == {"woman": {"1": 1, "2": 0, "3": 0}}
        shy = await resident(app, "shy")
        await shy.send("HELP")
        await shy.send("3")
        assert (await shy.send("2")).startswith("Nothing was kept.")
        assert await app.store.profile(app.conversations.contact_id("console", "shy")) is None
        await r.send("HELP")
        await r.send("1")
        await r.send("1")  # erase my data
        assert await app.store.profile(cid) is None
    finally:
        await app.close()


async def test_open_polls_are_found_from_the_main_menu(papp: App) -> None:
    r = await resident(papp, "finder")
    menu = await r.send("MENU")
    assert "5. Help and privacy" in menu and "6." not in menu  # no poll open: no entry
    poll_id = await papp.polls.create(STAFF, papp.polls.check(
        question=QUESTION, options=OPTIONS, areas=["goma"]))
    await papp.polls.send(STAFF, poll_id)
    await papp.store.set_poll_status(poll_id, "open")  # fanned out (nobody idle here)
    from bot.flows import poll as poll_flow
    poll_flow._OPEN.clear()  # the menu's few seconds of memory of what is open
    menu = await r.send("MENU")
    assert "6. Polls" in menu and "5. Help and privacy" in menu
    asked = await r.send("6")
    assert asked.startswith("Is the water point working?") and "3. Sometimes" in asked
    assert (await r.send("3")).startswith("Thank you. Your answer: Sometimes.")
    elsewhere = await resident(papp, "beni", area="3")
    assert "6. Polls" not in await elsewhere.send("MENU")  # not its audience


async def test_results_in_chat_for_staff_only(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path, staff=[
        {"name": "Chantal", "roles": ["staff"], "console_user": "chantal"},
        {"name": "Amina", "roles": ["moderator"], "console_user": "amina"}]))
    app.add_channel(RecordingChannel())
    try:
        voter = await resident(app, "voter")
        poll_id = await sent_poll(app)
        await voter.send("2")
        staff = await resident(app, "chantal", area=None)
        shown = await staff.send(f"/results {poll_id}")
        assert shown.startswith("Is the water point working? (n = 1)")
        assert "2. No: 1 (100%)" in shown and "1. Yes: 0 (0%)" in shown
        assert shown.endswith("Turnout: 1 of 1 (100%).")  # the one subscriber asked
        assert await staff.send("/results 99") == "No poll 99."
        moderator = await resident(app, "amina", area=None)
        assert "(n = 1)" not in await moderator.send(f"/results {poll_id}")  # unknown input
    finally:
        await app.close()
