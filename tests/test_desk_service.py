"""The desk service through a real App (SQLite): every allowed and refused
transition, roles and the sensitive wall, the audit row with each change, and
the loop closed with the reporter in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.desk.api import TRANSITIONS, Actor, DeskError
from bot.domain.records import ReportStatus
from bot.i18n.catalogue import translate_in
from tests.conftest import RecordingChannel, Resident, make_config

AMINA = Actor("Amina", frozenset({"staff", "moderator"}))
ZAWADI = Actor("Zawadi", frozenset({"moderator", "sensitive"}))
STAFF_ONLY = Actor("Kito", frozenset({"staff"}))
ALL = ("new", "in_review", "actioned", "referred", "closed", "rejected")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path,
        staff=[{"name": "Amina", "roles": ["staff", "moderator"], "console_user": "amina"},
               {"name": "Zawadi", "roles": ["moderator", "sensitive"],
                "telegram_user_id": 4242}],
        partners=[{"code": "hcr", "name": "Protection cluster"}])


async def filed(r: Resident, *, category: str = "1", contact: str = "1",
                lang: str = "1", text: str = "Armed men near the school") -> str:
    await r.send("hello")
    await r.send(lang)
    return await r.report(text, category=category, contact=contact)


async def at_status(app: App, ref: str, status: str) -> None:
    path = {"new": [], "in_review": ["in_review"], "actioned": ["in_review", "actioned"],
            "referred": ["in_review", "referred"], "rejected": ["in_review", "rejected"],
            "closed": ["in_review", "rejected", "closed"]}[status]
    for step in path:
        await app.desk.set_status(AMINA, ref, step)


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("wanted", ALL)
async def test_every_transition_allowed_or_refused(app: App, resident, start: str,
                                                   wanted: str) -> None:
    ref = await filed(resident(f"p-{start}-{wanted}"), contact="2")
    await at_status(app, ref, start)
    before = len(await app.store.audit_rows())
    if wanted in TRANSITIONS[start]:
        view = await app.desk.set_status(AMINA, ref, wanted)
        assert view.report.status is ReportStatus(wanted)
        assert view.timeline[-1].action == "status" and view.timeline[-1].detail == wanted
        rows = await app.store.audit_rows()
        assert [(a.actor, a.action, a.target) for a in rows[before:]] == [
            ("Amina", "status", ref)]
    else:
        with pytest.raises(DeskError) as raised:
            await app.desk.set_status(AMINA, ref, wanted)
        assert raised.value.kind == "bad_transition"
        assert raised.value.detail["allowed"] == TRANSITIONS[start]
        stored = await app.store.report_by_ref(ref)
        assert stored is not None and stored.status is ReportStatus(start)
        assert len(await app.store.audit_rows()) == before  # nothing written


async def test_bad_status_and_unknown_ref(app: App, resident) -> None:
    ref = await filed(resident("p1"), contact="2")
    with pytest.raises(DeskError) as raised:
        await app.desk.set_status(AMINA, ref, "done")
    assert raised.value.kind == "bad_status" and "closed" in raised.value.detail["allowed"]
    with pytest.raises(DeskError) as raised:
        await app.desk.show(AMINA, "ZZZZZZ")
    assert raised.value.kind == "unknown_ref"


async def test_take_tag_note_assign_refer(app: App, resident) -> None:
    ref = await filed(resident("p2"), contact="2")
    view = await app.desk.take(AMINA, ref.lower())
    assert view.assignee == "Amina" and view.report.status is ReportStatus.IN_REVIEW
    view = await app.desk.tag(AMINA, ref, ["#Water", "bad tag!"], [])
    assert view.tags == ("water",)
    with pytest.raises(DeskError) as raised:
        await app.desk.tag(AMINA, ref, [], [])
    assert raised.value.kind == "empty"
    view = await app.desk.note(AMINA, ref, "  called the chief  ")
    assert [(n.actor, n.detail) for n in view.notes] == [("Amina", "called the chief")]
    with pytest.raises(DeskError) as raised:
        await app.desk.note(AMINA, ref, "   ")
    assert raised.value.kind == "empty"
    with pytest.raises(DeskError) as raised:
        await app.desk.assign(AMINA, ref, "Nobody")
    assert raised.value.kind == "unknown_staff"
    assert raised.value.detail["allowed"] == ("Amina", "Zawadi")
    assert (await app.desk.assign(AMINA, ref, "zawadi")).assignee == "Zawadi"
    with pytest.raises(DeskError) as raised:
        await app.desk.refer(AMINA, ref, "unicef")
    assert raised.value.kind == "unknown_partner" and raised.value.detail["allowed"] == ("hcr",)
    view = await app.desk.refer(AMINA, ref, "HCR")
    assert view.partner == "hcr" and view.report.status is ReportStatus.REFERRED
    assert [e.action for e in view.timeline] == ["take", "tag", "note", "assign", "refer"]
    mine = await app.desk.queue(ZAWADI, mine=True)
    assert [v.ref for v in mine.items] == [ref]
    assert app.desk.partners() == {"hcr": "Protection cluster"}


async def test_queue_pages_oldest_first_and_filters(app: App, resident) -> None:
    refs = [await filed(resident(f"q{n}"), contact="2", text="The school roof leaks again")
            for n in range(3)]
    page = await app.desk.queue(AMINA, limit=2)
    assert [v.ref for v in page.items] == refs[:2] and page.total == 3
    page = await app.desk.queue(AMINA, offset=2, limit=2)
    assert [v.ref for v in page.items] == refs[2:] and page.offset == 2
    await app.desk.take(AMINA, refs[1])
    assert [v.ref for v in (await app.desk.queue(AMINA, status="in_review")).items] == [
        refs[1]]
    for kind, kw in (("unknown_category", {"category": "x"}), ("unknown_area", {"area": "x"}),
                     ("bad_status", {"status": "x"})):
        with pytest.raises(DeskError) as raised:
            await app.desk.queue(AMINA, **kw)  # type: ignore[arg-type]
        assert raised.value.kind == kind
    assert (await app.desk.queue(AMINA, urgent=True)).items == ()


async def test_roles_are_needed_and_refusals_audited(app: App, resident) -> None:
    ref = await filed(resident("p3"), contact="2")
    for call in (app.desk.queue(STAFF_ONLY), app.desk.show(STAFF_ONLY, ref),
                 app.desk.take(STAFF_ONLY, ref), app.desk.audit(STAFF_ONLY),
                 app.desk.export_reports(STAFF_ONLY)):
        with pytest.raises(DeskError) as raised:
            await call
        assert raised.value.kind == "forbidden"
    await app.desk.denied("resident", "queue")
    rows = await app.store.audit_rows()
    assert [(a.actor, a.action, a.outcome) for a in rows] == [
        ("Kito", "queue", "denied"), ("Kito", "show", "denied"), ("Kito", "take", "denied"),
        ("Kito", "audit", "denied"), ("Kito", "export", "denied"),
        ("resident", "queue", "denied")]
    stored = await app.store.report_by_ref(ref)
    assert stored is not None and stored.status is ReportStatus.NEW


async def test_the_sensitive_wall(app: App, resident) -> None:
    plain = await filed(resident("s1"), contact="2")
    secret = await filed(resident("s2"), category="5", contact="2")
    assert (await app.store.report_by_ref(secret)).sensitive  # type: ignore[union-attr]
    for call in (app.desk.show(AMINA, secret), app.desk.take(AMINA, secret),
                 app.desk.note(AMINA, secret, "x"), app.desk.set_status(AMINA, secret, "x")):
        with pytest.raises(DeskError) as raised:
            await call
        assert raised.value.kind == "unknown_ref"  # exactly as a missing one
        assert raised.value.detail == {"ref": secret}
    assert [v.ref for v in (await app.desk.queue(AMINA)).items] == [plain]
    assert [v.ref for v in await app.desk.export_reports(AMINA)] == [plain]
    assert [v.ref for v in (await app.desk.queue(ZAWADI)).items] == [plain, secret]
    await app.desk.show(ZAWADI, secret)
    await app.desk.show(AMINA, plain)
    mine = [(a.actor, a.action, a.target) for a in await app.desk.audit(AMINA)]
    assert secret not in {t for _a, _b, t in mine}
    assert ("Amina", "show", plain) in mine
    theirs = [(a.actor, a.action, a.target, a.outcome) for a in await app.desk.audit(ZAWADI)]
    assert ("Zawadi", "show", secret, "ok") in theirs
    assert ("Amina", "show", secret, "denied") in theirs


@pytest.mark.parametrize(("description", "written"), [
    ("Watu wenye silaha walichukua mbuzi wetu karibu na soko jana usiku", "sw"),
    ("Mbuzi wetu", "fr"),  # too short to say: the conversation's language
    ("Des hommes armés ont pris nos chèvres près du marché", "fr"),
])
async def test_a_report_keeps_the_language_it_was_written_in(
        tmp_path: Path, description: str, written: str) -> None:
    """A French conversation, a description in Swahili: the report is Swahili, shown
    so to moderators, and its answer goes in Swahili; a short one says nothing."""
    app = await App.open(make_config(tmp_path, bot={"languages": ["en", "fr", "sw"]}))
    channel = RecordingChannel()
    app.add_channel(channel)
    try:
        r = Resident(app, channel, "writer")
        await r.send("bonjour")
        await r.send("2")  # Français
        await r.send("1")
        await r.send("1")
        await r.send(description)
        await r.send("1")
        await r.send("1")  # may be contacted
        ref = (await r.send("1")).split("Son code est ")[1][:6]
        view = await app.desk.show(AMINA, ref)
        assert view.report.language == written  # /show and /queue say it
        await app.desk.answer(AMINA, ref, "Doria imepita.")
        await app.dispatcher.drain()
        [answer] = channel.take("writer")
        assert answer.language == written
        assert answer.text.startswith(translate_in(written, "Answer to your report {ref}: "
                                                   "{answer}").split("{ref}")[0])
    finally:
        await app.close()


async def test_answer_and_close_reach_the_reporter_in_their_language(
        app: App, resident, channel: RecordingChannel) -> None:
    r = resident("fr-1")
    await r.send("bonjour")
    await r.send("2")  # Français
    assert "De quoi s'agit-il" in await r.send("1")
    await r.send("1")
    await r.send("Des hommes armés près de l'école")
    await r.send("1")
    await r.send("1")  # may be contacted
    done = await r.send("1")
    ref = done.split("Son code est ")[1][:6]
    await app.desk.take(AMINA, ref)
    await app.desk.answer(AMINA, ref, "Une patrouille est passée.")
    await app.dispatcher.drain()
    said = [m.text for m in channel.take("fr-1")]
    assert said == [f"Réponse à votre signalement {ref} : Une patrouille est passée."]
    await app.desk.set_status(AMINA, ref, "actioned")
    await app.desk.set_status(AMINA, ref, "closed")
    await app.dispatcher.drain()
    sent = channel.take("fr-1")
    assert [m.language for m in sent] == ["fr", "fr", "fr"]
    assert sent[0].text == f"Votre signalement {ref} : des mesures ont été prises."
    assert sent[1].text.startswith(f"Votre signalement {ref} est maintenant clos.")
    assert "Une patrouille est passée." in sent[1].text
    assert [c.label for c in sent[2].choices] == ["Oui", "En partie", "Non"]
    stored = await app.store.report_by_ref(ref)
    assert stored is not None and stored.public_reply == "Une patrouille est passée."
    # the next message answers the question, kept against the report
    thanks = await r.send("2")
    assert thanks.startswith("Merci pour votre réponse.")
    view = await app.desk.show(AMINA, ref)
    assert view.satisfaction == "partly"
    assert "Réponse : Une patrouille est passée." in await r.send("3") + await r.send(ref)


async def test_the_question_does_not_interrupt_a_report_being_written(
        app: App, resident, channel: RecordingChannel) -> None:
    r = resident("busy")
    ref = await filed(r)
    await app.desk.take(AMINA, ref)
    await app.desk.set_status(AMINA, ref, "rejected")
    assert "What is it about?" in await r.send("1")  # a new report, under way
    await app.desk.set_status(AMINA, ref, "closed")
    await app.dispatcher.drain()
    assert len(channel.take("busy")) == 2  # told, and asked
    assert "Describe what happened" in await r.send("1")  # the report goes on
    assert (await app.desk.show(AMINA, ref)).satisfaction is None


async def test_nobody_is_told_without_contact_or_after_stop(
        app: App, resident, channel: RecordingChannel) -> None:
    quiet = await filed(resident("no-contact"), contact="2")
    r = resident("stopper")
    stopped = await filed(r)
    await r.send("STOP")
    channel.take("stopper")
    for ref in (quiet, stopped):
        await app.desk.take(AMINA, ref)
        await app.desk.answer(AMINA, ref, "Merci")
        await app.desk.set_status(AMINA, ref, "rejected")
        await app.desk.set_status(AMINA, ref, "closed")
    await app.dispatcher.drain()
    assert channel.take("no-contact") == [] and channel.take("stopper") == []
    assert await app.store.outbox_depth() == 0


async def test_erased_reporter_is_not_told(app: App, resident,
                                           channel: RecordingChannel) -> None:
    r = resident("eraser")
    ref = await filed(r)
    assert await app.store.reporter_of(ref) is not None
    await r.send("MENU")
    assert "1. Erase my data" in await r.send("5")
    assert "Erase your contact" in await r.send("1")
    assert "Your data is erased." in await r.send("1")
    channel.take("eraser")
    await app.desk.take(AMINA, ref)
    view = await app.desk.answer(AMINA, ref, "Merci")
    assert view.report.public_reply == "Merci"  # the answer is kept: "check the code" shows it
    await app.desk.set_status(AMINA, ref, "actioned")
    await app.dispatcher.drain()
    assert channel.take("eraser") == [] and await app.store.outbox_depth() == 0


@pytest.mark.parametrize(("days", "kept"), [(2, "yes"), (8, None)])
async def test_the_question_waits_days_for_its_answer_not_forever(
        app: App, resident, channel: RecordingChannel, days: int, kept: str | None) -> None:
    r = resident(f"late-{days}")
    ref = await filed(r)
    await at_status(app, ref, "closed")
    await app.dispatcher.drain()
    assert "Are you satisfied" in channel.take(f"late-{days}")[-1].text
    later = datetime.now(UTC) + timedelta(days=days)  # far beyond a session's 30 minutes
    answer = await r.send("1", at=later)
    assert answer.startswith("Thank you for your answer.") == (kept is not None)
    assert (await app.desk.show(AMINA, ref)).satisfaction == kept
