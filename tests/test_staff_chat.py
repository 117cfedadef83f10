"""Staff in chat: recognised by the pseudonym of their identity, commands by
role, answers in their language, residents answered exactly as unknown input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config.model import StaffMember
from bot.desk.api import Actor, DeskError
from bot.desk.commands import parse
from bot.desk.replies import age, error_line
from bot.staff.directory import StaffDirectory
from bot.storage.desk import AuditRow
from bot.storage.sqlite.store import SQLiteStore
from moderation.pseudonym import Pseudonymiser
from tests.conftest import RecordingChannel, Resident, make_config

STAFF = [
    {"name": "amina", "roles": ["moderator"], "console_user": "amina"},
    {"name": "bosco", "roles": ["moderator", "sensitive"], "console_user": "bosco"},
    {"name": "chantal", "roles": ["staff"], "console_user": "chantal"},
]


@pytest.fixture
async def desk_app(tmp_path: Path) -> AsyncIterator[App]:
    app = await App.open(make_config(tmp_path, staff=STAFF))
    yield app
    await app.close()


@pytest.fixture
def chan(desk_app: App) -> RecordingChannel:
    rec = RecordingChannel()
    desk_app.add_channel(rec)
    return rec


def actor(app: App, name: str) -> Actor:
    roles = app.staff.roles_of(name)
    assert roles is not None
    return Actor(name, roles)


async def person(app: App, chan: RecordingChannel, address: str, lang: str = "1") -> Resident:
    r = Resident(app, chan, address)
    await r.send("hello")
    await r.send(lang)  # 1 English, 2 French
    return r


def test_directory_keeps_pseudonyms_only() -> None:
    members = [StaffMember(name="amina", roles=["moderator"], telegram_user_id=42,
                           phone="+243990000001", console_user="amina")]
    p = Pseudonymiser("k")
    directory = StaffDirectory(members, p, lambda ch, addr: f"{ch[:2]}:{addr}")
    for channel, identity in (("telegram", "te:42"), ("sms", "sm:+243990000001"),
                              ("whatsapp", "wh:+243990000001"), ("console", "co:amina")):
        found = directory.of_contact(p.contact(channel, identity))
        assert found is not None and found.name == "amina" and found.channel == channel
        assert found.roles == frozenset({"moderator"})
    assert directory.of_contact(p.contact("console", "co:bosco")) is None
    assert directory.of_contact(p.contact("sms", "te:42")) is None  # the channel counts
    assert "+243" not in repr(directory) and "42" not in repr(directory)
    assert not any("+243" in k or "amina" in k for k in directory._by_contact)


def test_directory_skips_an_identity_its_channel_refuses() -> None:
    def identify(channel: str, address: str) -> str:
        if channel == "telegram":
            raise LookupError("no plug-in")
        return address
    members = [StaffMember(name="a", roles=[], telegram_user_id=1, console_user="a")]
    p = Pseudonymiser("k")
    directory = StaffDirectory(members, p, identify)
    assert directory.of_contact(p.contact("console", "a")) is not None
    assert directory.roles_of("a") == frozenset() and directory.roles_of("zz") is None


def test_parse() -> None:
    cmd = parse("/queue@SautiBot  mine 2")
    assert (cmd.name, cmd.args) == ("queue", ("mine", "2"))
    note = parse("/note abc123  call the  clinic ")
    assert note.ref == "ABC123" and note.rest == "call the  clinic"
    assert parse("/SHOW").args == () and parse("/SHOW").ref is None


async def test_moderator_works_a_report(desk_app: App, chan: RecordingChannel) -> None:
    r = await person(desk_app, chan, "+243990000009")
    ref = await r.report("The water point near the school has been broken for a week")
    m = await person(desk_app, chan, "amina")
    listed = await m.send("/queue")
    assert ref in listed and "goma" in listed and "1-1 of 1." in listed and "Next" not in listed
    shown = await m.send(f"/show {ref.lower()}")
    assert "water point" in shown and "Status: new" in shown
    assert f"{ref}: in_review · assigned to amina" in await m.send(f"/take {ref}")
    assert await m.send(f"/status {ref} closed") == (
        "The report is in_review: it can go to actioned, referred, rejected.")
    assert "No status nonsense. Statuses:" in await m.send(f"/status {ref} nonsense")
    assert await m.send("/status") == (
        "Use /status REF STATUS (new, in_review, actioned, referred, rejected, closed).")
    assert await m.send("/show NOPE99") == "No report NOPE99. /queue lists them."
    assert "No partner zz. Partners:" in await m.send(f"/refer {ref} zz")
    assert "Answer kept" in await m.send(f"/answer {ref} The pump is being repaired")
    assert "water" in await m.send(f"/tag {ref} water -old")
    assert f"Note kept on {ref}." == await m.send(f"/note {ref} called the utility")
    assert f"{ref}: actioned" in await m.send(f"/status {ref} actioned")
    full = await m.send(f"/show {ref}")
    assert "Tags: water" in full and "Answer: The pump" in full
    assert "Notes:" in full and "called the utility" in full and "Timeline:" in full
    actions = [(e.actor, e.action, e.outcome) for e in await desk_app.desk.audit(
        actor(desk_app, "amina"))]
    assert ("amina", "show", "ok") in actions and ("amina", "take", "ok") in actions


async def test_a_resident_gets_exactly_the_unknown_input_answer(
        desk_app: App, chan: RecordingChannel) -> None:
    r = await person(desk_app, chan, "+243990000010")
    unknown = await r.send("zzz")
    for command in ("/queue", "/show ABC234", "/help", "/take ABC234"):
        assert await r.send(command) == unknown
    denied = [(e.actor, e.action) for e in await desk_app.desk.audit(
        actor(desk_app, "bosco")) if e.outcome == "denied"]
    assert denied == [("resident", "queue"), ("resident", "show"), ("resident", "help"),
                      ("resident", "take")]


async def test_roles_limit_commands_and_help(desk_app: App, chan: RecordingChannel) -> None:
    c = await person(desk_app, chan, "chantal")
    unknown = await c.send("zzz")
    assert await c.send("/queue") == unknown
    helped = await c.send("/help")
    assert "/help" in helped and "/cancel" in helped and "/queue" not in helped
    assert "/advisory" in helped and "/poll" in helped and "/results" in helped  # staff's
    assert await c.send("/cancel") == "Nothing to cancel."
    assert "/advisory" not in await (await person(desk_app, chan, "amina")).send("/help")
    m = await person(desk_app, chan, "amina")
    assert "/queue" in await m.send("/help") and "/refer" in await m.send("/help")
    denied = [(e.actor, e.action) for e in await desk_app.desk.audit(
        actor(desk_app, "bosco")) if e.outcome == "denied"]
    assert denied == [("chantal", "queue")]


async def test_sensitive_reports_only_with_the_role(desk_app: App, chan: RecordingChannel) -> None:
    r = await person(desk_app, chan, "+243990000011")
    sensitive = str(desk_app.mission.categories.index("personnel_conduct") + 1)
    ref = await r.report("A staff member asked me for money", category=sensitive)
    report = await desk_app.store.report_by_ref(ref)
    assert report is not None and report.sensitive
    amina = await person(desk_app, chan, "amina")
    assert await amina.send(f"/show {ref}") == f"No report {ref}. /queue lists them."
    assert ref not in await amina.send("/queue")
    bosco = await person(desk_app, chan, "bosco")
    assert ref in await bosco.send("/queue") and "money" in await bosco.send(f"/show {ref}")


async def test_queue_pages_with_a_next_hint(desk_app: App, chan: RecordingChannel) -> None:
    refs = [await (await person(desk_app, chan, f"+24399000012{n}")).report(
        f"Road number {n} is flooded again") for n in range(3)]  # one each: no flood
    desk_app.staff_chat.page_size = 2
    m = await person(desk_app, chan, "amina")
    first = await m.send("/queue new")
    assert refs[0] in first and refs[1] in first and refs[2] not in first
    assert "1-2 of 3." in first and "Next: /queue new 2" in first
    second = await m.send("/queue new 2")
    assert refs[2] in second and "3-3 of 3." in second and "Next" not in second
    assert await m.send("/queue new 3") == "No more reports."
    assert await m.send("/queue closed") == "No reports waiting."


async def test_answers_in_the_staff_members_language(
        desk_app: App, chan: RecordingChannel) -> None:
    m = await person(desk_app, chan, "amina", lang="2")
    assert await m.send("/show NOPE99") == "Aucun signalement NOPE99. /queue les liste."
    assert "Commandes de l'équipe" in await m.send("/help")


async def test_a_staff_member_is_a_resident_too(desk_app: App, chan: RecordingChannel) -> None:
    m = await person(desk_app, chan, "amina")
    ref = await m.report("The clinic has been closed for three days")
    assert ref in await m.send("/queue")


async def test_after_stop_help_still_answers_and_says_how_to_erase(
        desk_app: App, chan: RecordingChannel) -> None:
    r = await person(desk_app, chan, "+243990000013")
    await r.send("STOP")
    assert await r.send("hello") == ""
    helped = await r.send("HELP")
    assert "anonymised" in helped and "To erase your data, send START, then HELP" in helped
    assert await r.send("1") == ""  # still opted out


@pytest.mark.parametrize(("error", "expected"), [
    (DeskError("unknown_ref", ref="ABC234"), "No report ABC234. /queue lists them."),
    (DeskError("bad_status", status="done", allowed=("new", "closed")),
     "No status done. Statuses: new, closed."),
    (DeskError("bad_transition", status="closed", wanted="new", allowed=()),
     "The report is closed: its status cannot change."),
    (DeskError("unknown_partner", partner="zz", allowed=("unhcr", "msf")),
     "No partner zz. Partners: unhcr, msf."),
    (DeskError("unknown_staff", staff="x", allowed=("amina",)), "No staff member x. Staff: amina."),
    (DeskError("unknown_category", category="c", allowed=("health",)),
     "No category c. Categories: health."),
    (DeskError("unknown_area", area="a", allowed=("goma",)), "No area a. Areas: goma."),
    (DeskError("empty", field="text"),
     "Use /note REF TEXT (internal note, never shown to the reporter)."),
])
def test_each_desk_error_is_one_line_saying_what_works(error: DeskError, expected: str) -> None:
    assert error_line(error, "note") == expected


def test_ages() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert [age(now - d, now) for d in (timedelta(minutes=5), timedelta(hours=3),
                                         timedelta(days=2), timedelta(minutes=-1))] == [
        "5m", "3h", "2d", "0m"]


async def test_a_sensitive_report_leaves_no_trace_for_a_moderator_without_the_role(
        desk_app: App, chan: RecordingChannel, caplog: pytest.LogCaptureFixture) -> None:
    """Absent, not hidden: not in the queue's lines nor its count, every action on it
    answered as for a reference that does not exist, and neither its reference nor its
    category in /metrics or the logs."""
    for name in ("bot", "channels", "moderation"):  # our code at its most talkative
        caplog.set_level("DEBUG", logger=name)
    r = await person(desk_app, chan, "+243990000013")
    plain = await r.report("The water point at the market is broken")
    sensitive = str(desk_app.mission.categories.index("personnel_conduct") + 1)
    ref = await r.report("A staff member asked me for money", category=sensitive)
    amina = await person(desk_app, chan, "amina")
    listed = await amina.send("/queue")
    assert plain in listed and ref not in listed and "1-1 of 1." in listed
    for command in (f"/show {ref}", f"/take {ref}", f"/tag {ref} urgent",
                    f"/note {ref} call back", f"/status {ref} in_review",
                    f"/answer {ref} We are on it", f"/refer {ref} unhcr"):
        missing = await amina.send(command.replace(ref, "NOPE77"))
        assert await amina.send(command) == missing.replace("NOPE77", ref)
    assert await amina.send(f"/show {ref}") == f"No report {ref}. /queue lists them."
    metrics = await desk_app.metrics.render()
    assert ref not in metrics and "personnel_conduct" not in metrics
    assert ref not in caplog.text and "personnel_conduct" not in caplog.text
    bosco = await person(desk_app, chan, "bosco")
    assert "1-2 of 2." in await bosco.send("/queue")


async def test_the_queue_lists_what_waits_unless_a_status_is_asked(
        desk_app: App, chan: RecordingChannel) -> None:
    done, waiting, taken = [await (await person(desk_app, chan, f"+24399000014{n}")).report(
        f"The bridge number {n} is broken") for n in range(3)]
    m = await person(desk_app, chan, "amina")
    await m.send(f"/take {taken}")
    await m.send(f"/take {done}")
    await m.send(f"/status {done} rejected")
    listed = await m.send("/queue")
    assert waiting in listed and taken in listed and done not in listed
    assert "1-2 of 2." in listed
    assert done in await m.send("/queue rejected")
    assert taken in await m.send("/queue mine") and done not in await m.send("/queue mine")


class _NoLoneAudits(SQLiteStore):
    """A store that counts audit rows written on their own, outside a turn."""

    lone = 0

    async def add_audit(self, row: AuditRow) -> None:
        type(self).lone += 1
        await super().add_audit(row)


async def test_a_read_in_chat_is_audited_with_the_turn_that_answers_it(tmp_path: Path) -> None:
    config = make_config(tmp_path, staff=STAFF)
    store = _NoLoneAudits(tmp_path / "sauti.db")
    await store.open()
    app = App(config, store)
    try:
        chan = RecordingChannel()
        app.add_channel(chan)
        r = await person(app, chan, "+243990000031")
        ref = await r.report("The bridge on the north road is cracked")
        await r.send("/queue")
        m = await person(app, chan, "amina")
        await m.send("/queue")
        await m.send(f"/show {ref}")
        c = await person(app, chan, "chantal")
        await c.send("/show " + ref)
        rows = await store.audit_rows(include_sensitive=True)
        assert [(a.actor, a.action, a.target, a.outcome) for a in rows] == [
            ("resident", "queue", "", "denied"), ("amina", "queue", "", "ok"),
            ("amina", "show", ref, "ok"), ("chantal", "show", "", "denied")]
        assert _NoLoneAudits.lone == 0  # every one rode its turn's commit
        await app.desk.audit(actor(app, "amina"))  # the CLI's desk writes its own
        assert _NoLoneAudits.lone == 1
    finally:
        await app.close()


async def test_ack_says_no_alert_waits_until_there_are_alerts(
        desk_app: App, chan: RecordingChannel) -> None:
    m = await person(desk_app, chan, "amina")
    assert await m.send("/ack") == "No urgent alert is waiting to be acknowledged."
    assert "/ack [REF]" in await m.send("/help")
    c = await person(desk_app, chan, "chantal")  # staff, not a moderator
    assert await c.send("/ack") == await c.send("zzz")
    r = await person(desk_app, chan, "+243990000032", lang="2")
    assert await r.send("/ack ABC234") == await r.send("zzz")
