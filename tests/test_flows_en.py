"""Every resident flow, in English, through the real engine and SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.domain.messages import Location, MediaKind
from bot.domain.records import ReportStatus
from tests.conftest import Resident, code_of

MENU_LINES = ["1. Report a concern", "2. Safety advisories", "3. Check a report",
              "4. Change language", "5. Help and privacy"]


async def onboard(r: Resident) -> None:
    first = await r.send("hello")
    assert "this is Sauti" in first
    assert "1. English" in first and "2. Français" in first
    menu = await r.send("1")
    for line in MENU_LINES:
        assert line in menu


async def test_first_contact_greets_with_privacy_notice_and_language_menu(resident):
    r = resident("+243810000101")
    reply = await r.send("hello")
    greeting, prompt, *_ = reply.splitlines()
    assert greeting == ("Hi, this is Sauti, the mission's feedback line. Reports are "
                        "anonymised, not linked to your number. STOP to stop, HELP to "
                        "erase your data.")
    assert prompt == "Choose your language:"
    assert reply.endswith("1. English\n2. Français")


async def test_full_report_gives_reference_code_and_stores_report(app: App, resident):
    r = resident("amani")
    await onboard(r)
    code = await r.report("Armed men took three goats near the school in Goma last night")
    stored = await app.store.report_by_ref(code)
    assert stored is not None
    assert stored.category == "security_incident"
    assert stored.area == "goma"
    assert stored.language == "en"
    assert stored.status is ReportStatus.NEW
    assert stored.description == "Armed men took three goats near the school in Goma last night"
    assert stored.contactable is False


async def test_report_options_chosen_by_text_and_by_button_key(app: App, resident):
    r = resident("baraka")
    await onboard(r)
    assert "What is it about?" in await r.send("report a concern")
    assert "Describe" in await r.send("displacement")
    assert "Which area?" in await r.send("Families left the camp")
    assert "contact you" in await r.send(choice="bukavu")
    assert "Send this report? Displacement, Bukavu" in await r.send("yes")
    code = code_of(await r.send("send"))
    stored = await app.store.report_by_ref(code)
    assert stored is not None and stored.area == "bukavu" and stored.contactable is True


async def test_sensitive_category_is_marked_sensitive(app: App, resident):
    r = resident("chiku")
    await onboard(r)
    code = await r.report("A soldier of the mission asked for money", category="5", area="5")
    stored = await app.store.report_by_ref(code)
    assert stored is not None and stored.sensitive and stored.area is None
    assert code not in [x.ref for x in await app.store.list_reports()]


async def test_cancel_report_stores_nothing(app: App, resident):
    r = resident("dalila")
    await onboard(r)
    await r.send("1")
    await r.send("2")
    await r.send("Someone is threatening the shop owners")
    await r.send("1")
    await r.send("2")
    reply = await r.send("2")
    assert "Report cancelled." in reply
    assert await app.store.list_reports(include_sensitive=True) == []


async def test_photo_and_location_are_noted_and_location_becomes_area(app: App, resident):
    r = resident("eliya")
    await onboard(r)
    await r.send("1")
    await r.send("4")
    reply = await r.send("", media=(MediaKind.PHOTO,), location=Location(-1.67, 29.23))
    assert "Attachment noted." in reply
    assert "contact you" in reply  # area taken from the shared location
    summary = await r.send("2")
    assert "Goma" in summary and "(attachment only)" in summary
    done = await r.send("1")
    stored = await app.store.report_by_ref(code_of(done))
    assert stored is not None
    assert stored.area == "goma" and stored.media == ("photo",)


async def test_location_answers_the_area_question(app: App, resident):
    r = resident("eliya-2")
    await onboard(r)
    await r.send("1")
    await r.send("1")
    assert "Which area?" in await r.send("Gunfire at night")
    assert "contact you" in await r.send("", location=Location(1.55, 30.24))
    summary = await r.send("2")
    assert "Bunia" in summary
    far = resident("eliya-3")
    await onboard(far)
    for text in ("1", "1", "Gunfire at night"):
        await far.send(text)
    await far.send("", location=Location(10.0, 10.0))  # nowhere near a configured area
    assert "area not given" in await far.send("2")


async def test_check_report_shows_status_and_public_answer(app: App, resident):
    r = resident("faraji")
    await onboard(r)
    code = await r.report("The road to the clinic is blocked")
    await app.store.set_report_status(code, ReportStatus.ACTIONED,
                                      public_reply="The road was cleared.",
                                      now=datetime.now(UTC))
    assert "Send the code" in await r.send("3")
    reply = await r.send(code.lower()[:3] + " " + code.lower()[3:])
    assert f"Report {code} of " in reply
    assert "action taken" in reply
    assert "Answer: The road was cleared." in reply


async def test_check_unknown_code_re_asks_without_echo(resident):
    r = resident("gasira")
    await onboard(r)
    await r.send("3")
    reply = await r.send("ZZZZ99")
    assert reply.startswith("No report has that code.")
    assert "ZZZZ99" not in reply
    reply = await r.send("not a code at all")
    assert reply.startswith("No report has that code. Check it")
    reply = await r.send("ABCDEF")
    assert reply.startswith("No report has that code.\nWhat would you like to do?\n1. ")
    assert "What is it about?" in await r.send("1")  # back at the menu after 3 tries


async def test_advisories_subscribe_latest_unsubscribe(app: App, resident):
    r = resident("hodari")
    await onboard(r)
    adv_menu = await r.send("2")
    assert "1. Subscribe to an area" in adv_menu
    assert "Which area?" in await r.send("1")
    assert "You will get advisories for Beni." in await r.send("3")
    contact = app.conversations.contact_id("console", "hodari")
    assert await app.store.subscriptions(contact) == ["beni"]

    await app.store.add_advisory(severity="warning", areas=["beni"],
                                 texts={"en": "Avoid the north road after dark.",
                                        "fr": "Évitez la route nord la nuit."},
                                 now=datetime.now(UTC) - timedelta(hours=1))
    await r.send("menu")
    await r.send("2")
    await r.send("3")
    latest = await r.send("Beni")
    assert latest.startswith("Warning · ")
    assert "Avoid the north road after dark." in latest
    await r.send("menu")
    await r.send("2")
    assert "No advisory for Bunia." in (await r.send("3") and await r.send("4"))

    await r.send("menu")
    await r.send("2")
    unsub = await r.send("2")
    assert unsub.endswith("3. Beni")  # its number in every list of areas
    assert "No more advisories for Beni." in await r.send("3")
    assert await app.store.subscriptions(contact) == []


async def test_areas_keep_their_numbers_while_one_unsubscribes(app: App, resident):
    r = resident("numbers")
    await onboard(r)
    clock = iter(datetime.now(UTC) + timedelta(seconds=10 * n) for n in range(100))

    async def say(text: str) -> str:  # one every ten seconds: never a flood
        return await r.send(text, at=next(clock))

    for area in ("1", "2", "3"):  # Goma, Bukavu, Beni
        await say("2")
        await say("1")
        await say(area)
    await say("2")
    assert (await say("2")).endswith("1. Goma\n2. Bukavu\n3. Beni")
    assert "No more advisories for Goma." in await say("1")
    await say("2")
    unsub = await say("2")
    assert unsub.endswith("Stop advisories for which area?\n2. Bukavu\n3. Beni")  # not renumbered
    assert await say("1") == "Please reply 2, 3."  # Goma is gone: 1 picks nothing
    assert "No more advisories for Beni." in await say("3")
    contact = app.conversations.contact_id("console", "numbers")
    assert await app.store.subscriptions(contact) == ["bukavu"]


async def test_unsubscribe_without_subscriptions_says_so(resident):
    r = resident("imani")
    await onboard(r)
    await r.send("2")
    reply = await r.send("2")
    assert reply.startswith("You have no subscriptions.")
    assert "1. Subscribe to an area" in reply


async def test_expired_advisory_is_not_shown(app: App, resident):
    r = resident("jabari")
    await onboard(r)
    now = datetime.now(UTC)
    await app.store.add_advisory(severity="critical", areas=["goma"], texts={"en": "Old news."},
                                 now=now - timedelta(days=2), expires_at=now - timedelta(days=1))
    await r.send("2")
    await r.send("3")
    assert "No advisory for Goma." in await r.send("1")


async def test_language_change_is_remembered(app: App, resident):
    r = resident("kesi")
    await onboard(r)
    reply = await r.send("4")
    assert "1. English" in reply
    changed = await r.send("2")
    assert changed.startswith("Langue")
    assert "Signaler" in changed
    contact = app.conversations.contact_id("console", "kesi")
    convo = await app.store.load(contact)
    assert convo is not None and convo.contact.language == "fr"


async def test_help_and_erase(app: App, resident):
    r = resident("lulu")
    await onboard(r)
    await r.send("2")
    await r.send("1")
    await r.send("1")  # subscribed to Goma
    code = None
    await r.send("menu")
    code = await r.report("Water point broken", contact="1")
    help_text = await r.send("5")
    assert "1. Erase my data" in help_text
    assert "Erase your contact" in await r.send("1")
    assert "Your data is erased." in await r.send("1")
    contact = app.conversations.contact_id("console", "lulu")
    assert await app.store.load(contact) is None
    assert await app.store.subscriptions(contact) == []
    stored = await app.store.report_by_ref(code)
    assert stored is not None and stored.contactable is False  # report stays, unlinked
    # a new message is a first contact again
    assert "this is Sauti" in await r.send("hi")


async def test_erase_declined_keeps_data(app: App, resident):
    r = resident("mosi")
    await onboard(r)
    await r.send("5")
    await r.send("1")
    assert "Nothing was erased." in await r.send("2")
    assert await app.store.load(app.conversations.contact_id("console", "mosi")) is not None
