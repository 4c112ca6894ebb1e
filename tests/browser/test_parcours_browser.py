"""In Chromium, against a real ``jalon serve``, a whole parcours de labellisation: the admin fills the
criteria and names the pilotes, sends the demande; the staff assigns an auditor who is not a member; she
starts the audit (the admin's statut controls are then locked, with the reason), audits a mesure and
validates it; the staff records the commission's decision; the dashboard then says the star obtained."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.browser.conftest import new_context
from tests.browser.server import Account, JalonServer
from tests.browser.ui import dashboard_url, login, mesure_url, set_statut

SOUS_MESURES = {
    "cae_6.1.1": ["cae_6.1.1.1", "cae_6.1.1.2", "cae_6.1.1.3", "cae_6.1.1.4", "cae_6.1.1.5"],
    "cae_6.1.2": ["cae_6.1.2.1", "cae_6.1.2.2", "cae_6.1.2.3"],
}


def open_as(browser: Browser, server: JalonServer, account: Account) -> Page:
    page = new_context(browser).new_page()
    login(page, server, account)
    page.goto(server.url(f"/c/{server.collectivite_id}/labellisation/"))
    return page


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def etat(page: Page) -> str:
    return page.get_by_test_id("etat-parcours-cae").inner_text()


def test_a_whole_parcours_in_the_browser(browser: Browser, server: JalonServer) -> None:
    admin = new_context(browser).new_page()
    login(admin, server, server.admin)
    for mesure, sous_mesures in SOUS_MESURES.items():
        admin.goto(mesure_url(server, mesure))
        for action_id in sous_mesures:
            set_statut(admin, action_id, "fait")
    admin.goto(server.url(f"/c/{server.collectivite_id}/labellisation/"))
    assert etat(admin) == "non demandée (cycle 1)"
    for action_id in ("cae_6.1.2.1.1", "cae_6.1.1.1.2"):
        admin.get_by_test_id("pilote-cae").get_by_label("Action").select_option(action_id)
        admin.get_by_label("Pilote (nom)").fill("Camille Martin")
        click(admin, "Nommer le pilote")
    admin.get_by_label("Étoile demandée").select_option(label="2e étoile")
    admin.get_by_label("Document signé (lien)").fill("https://exemple.fr/lettre.pdf")
    click(admin, "Demander la labellisation ou l'audit")
    assert etat(admin) == "demande envoyée (cycle 1)"

    staff = open_as(browser, server, server.add_member("stella", "staff"))
    audrey_account = server.add_member("audrey", "aucun")
    staff.get_by_label("Identifiant de l'auditeur").fill("audrey")
    click(staff, "Affecter un auditeur")
    assert staff.get_by_test_id("auditeurs-cae").inner_text() == "audrey"

    audrey = open_as(browser, server, audrey_account)
    click(audrey, "Démarrer l'audit")
    assert etat(audrey) == "audit en cours (cycle 1)"
    audrey.get_by_label("Mesure").select_option("cae_6.1.1")
    audrey.get_by_label("Statut d'audit").select_option(label="Audité")
    audrey.get_by_label("Avis").fill("Partenariats solides.")
    click(audrey, "Auditer une mesure")
    assert "Partenariats solides." in audrey.get_by_test_id("notes-cae").inner_text()
    # During the audit the admin, not an auditor, sees why the statuts are locked, their controls disabled.
    admin.goto(mesure_url(server, "cae_6.1.1"))
    assert "seuls les auditeurs affectés" in admin.get_by_test_id("verrou").inner_text()
    assert admin.get_by_test_id("statut-cae_6.1.1.1").is_disabled()
    click(audrey, "Valider l'audit")
    assert etat(audrey) == "audit validé (cycle 1)"
    admin.reload()
    assert admin.get_by_test_id("verrou").count() == 0
    assert admin.get_by_test_id("statut-cae_6.1.1.1").is_enabled()

    staff.reload()
    staff.get_by_label("Décision").select_option(label="Label accordé")
    click(staff, "Enregistrer la décision de la commission")
    assert etat(staff) == "labellisée (cycle 1)"

    admin.goto(dashboard_url(server))
    # (The day is the server's, in its time zone: not compared here; test_pages_parcours does.)
    assert "Étoile obtenue : 5e étoile, le " in admin.get_by_test_id("etoile").first.inner_text()
    for page in (admin, staff, audrey):
        page.context.close()
