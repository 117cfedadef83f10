"""A French-speaking resident, detected from the first message, all in French."""

from __future__ import annotations

from bot.app import App


async def test_french_resident_reports_in_french(app: App, resident) -> None:
    r = resident("+243810000404")
    first = await r.send("bonjour")
    assert first.startswith("Bonjour, ici Sauti")
    assert "STOP : arrêter, AIDE : effacer vos données" in first
    assert "Choisissez votre langue" in first
    menu = await r.send("2")
    assert "1. Signaler un problème" in menu
    assert "De quoi s'agit-il ?" in await r.send("1")
    assert "Décrivez ce qui s'est passé" in await r.send("2")
    assert "Quelle zone ?" in await r.send("Des hommes armés ont menacé les commerçants")
    assert "L'équipe peut-elle vous contacter" in await r.send("1")
    summary = await r.send("non")
    assert summary.startswith("Envoyer ce signalement ? Menace ou intimidation, Goma")
    done = await r.send("envoyer")
    assert done.startswith("Merci. Votre signalement est envoyé. Son code est ")
    code = done.split("Son code est ")[1][:6]
    stored = await app.store.report_by_ref(code)
    assert stored is not None and stored.language == "fr" and stored.category == "threat"

    assert "Envoyez le code" in await r.send("3")
    status = await r.send(code)
    assert f"Signalement {code} du " in status and "pas encore examiné" in status
    assert "Que voulez-vous faire ?" in await r.send("MENU")
    assert "Choisissez votre langue" in await r.send("langue")
    assert "Aide et confidentialité" in await r.send("2")


async def test_french_keywords_and_dates(app: App, resident) -> None:
    r = resident("+243810000405")
    await r.send("Bonjour")
    await r.send("2")
    stop = await r.send("arrêt")
    assert stop == "Vous ne recevrez plus de messages. Envoyez REPRENDRE pour revenir."
    assert await r.send("1") == ""
    back = await r.send("reprendre")
    assert back.startswith("Bon retour parmi nous.\nQue voulez-vous faire ?")
    help_text = await r.send("aide")
    assert "Effacer mes données" in help_text
