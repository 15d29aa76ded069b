"""`astre serve` in a real Chromium: what a référent does, and what the files look like after."""

from __future__ import annotations

import http.client
import subprocess
from pathlib import Path

from playwright.sync_api import expect

from .conftest import Server, git

CASE = "cases/lefebvre-2026"


def test_a_request_without_the_token_or_with_a_foreign_host_is_refused(server: Server, page) -> None:
    host, port = server.base.removeprefix("http://").split(":")
    for path, headers in (("/", {}), ("/dossiers/lefebvre-2026/menage", {}),
                          ("/?token=" + server.token, {"Host": f"astre.example.com:{port}"}),
                          ("/?token=faux", {})):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        status, body = answer.status, answer.read().decode()
        connection.close()
        assert status == 403, path
        assert "Accès refusé" in body
    # The browser that opened the URL with the token is in, and its page forbids foreign scripts.
    response = page.goto(server.base + "/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("html").get_attribute("lang") == "fr"


def test_a_post_without_the_csrf_token_changes_nothing(server: Server, page) -> None:
    before = (server.root / CASE / "menage.yaml").read_text()
    answer = page.request.post(server.base + "/dossiers/lefebvre-2026/menage",
                               form={"designation": "Piraté", "_digest": "x"})
    assert answer.status == 403
    assert (server.root / CASE / "menage.yaml").read_text() == before


def test_a_saved_edit_changes_only_its_lines_and_keeps_the_comments(server: Server, page) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    page.get_by_label("Désignation").fill("Mme Josiane Lefebvre")
    page.locator("[name='ressources.0.montant_mensuel']").fill("830.15")
    page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    page.get_by_text("Enregistré.").wait_for()
    diff = git(server.root, "diff", "-U0", "--", f"{CASE}/menage.yaml")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-designation: Mme Lefebvre", "+designation: Mme Josiane Lefebvre",
                       "-    montant_mensuel: 812.40", "+    montant_mensuel: 830.15"]
    text = (server.root / CASE / "menage.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "# Catégorie indiquée par Mon Accompagnateur Rénov'" in text


def test_a_bad_date_is_said_beside_its_field_and_nothing_is_written(server: Server, page) -> None:
    path = server.root / CASE / "menage.yaml"
    before = path.read_text()
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    page.locator("[name='membres.0.date_naissance']").fill("1848-03-09")
    page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    beside = page.locator("#f-membres-0-date_naissance-messages")
    beside.get_by_text("date invalide « … (donnée personnelle, non recopiée ici) »").wait_for()
    assert "AAAA-MM-JJ" in beside.inner_text()
    assert page.locator("#resume-erreurs a[href='#f-membres-0-date_naissance']").count() == 1
    assert page.get_by_text("Rien n'a été enregistré").is_visible()
    assert path.read_text() == before


def test_an_edit_made_on_disk_meanwhile_is_detected(server: Server, page) -> None:
    path = server.root / CASE / "menage.yaml"
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    edited = path.read_text().replace("telephone: \"0612345678\"", "telephone: \"0699999999\"")
    path.write_text(edited)  # as VS Code or a git pull would, while the form is open
    page.get_by_label("Désignation").fill("Mme Lefebvre Josiane")
    page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    page.get_by_text("Ce fichier a changé pendant que vous le modifiiez").wait_for()
    assert "0699999999" in page.locator("pre.diff").inner_text()
    assert path.read_text() == edited


def _build(page, server: Server, title: str) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/documents")
    page.get_by_role("button", name=f"Construire « {title} »").click()
    page.wait_for_load_state()
    assert page.locator("iframe.preview").count() == 1, page.inner_text("main")


def _served_pdf_text(page, server: Server, tmp_path: Path) -> str:
    source = page.locator("iframe.preview").get_attribute("src")
    answer = page.request.get(server.base + source)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "apercu.pdf"
    pdf.write_bytes(answer.body())
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def test_the_pdf_preview_shows_the_new_value(server: Server, page, tmp_path: Path) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    page.get_by_label("Commune").first.fill("Hesdin")
    page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    page.get_by_text("Enregistré.").wait_for()
    _build(page, server, "Fiche saisine")
    assert "Hesdin" in _served_pdf_text(page, server, tmp_path)
    docx = page.locator("a", has_text="DOCX (Word)").first.get_attribute("href")
    answer = page.request.get(server.base + docx)
    assert answer.status == 200 and answer.body().startswith(b"PK")  # a Word file (a zip)
    assert "attachment" in answer.headers["content-disposition"]


def test_recording_a_sending_keeps_the_copy(server: Server, page) -> None:
    _build(page, server, "Contrat d'accompagnement")
    page.locator("#envoi-document").select_option("contrat")
    page.locator("#envoi-date").fill("2026-12-01")
    page.get_by_role("button", name="Enregistrer l'envoi").click()
    page.get_by_text("Envoi enregistré dans envois.yaml").wait_for()
    register = (server.root / CASE / "envois.yaml").read_text()
    # The example comes without its sendings: the register is made from astre new's model, filled in place.
    assert "envois:\n  - document: contrat\n    date: \"2026-12-01\"\n    destinataires: [spslh]\n" in register
    from generator.reading.loader import load

    assert load(server.root / CASE / "envois.yaml").data["envois"] == [
        {"document": "contrat", "date": "2026-12-01", "destinataires": ["spslh"]}]
    kept = sorted(p.name for p in (server.root / CASE / "envoyes").glob("contrat--2026-12-01.*"))
    assert kept == ["contrat--2026-12-01.docx", "contrat--2026-12-01.json", "contrat--2026-12-01.pdf"]


def test_a_new_case_filled_through_the_form_gets_a_ready_fiche_saisine(server: Server, page, tmp_path) -> None:
    page.goto(server.base + "/")
    page.get_by_label("Identifiant du dossier").fill("durand-2026")
    page.get_by_role("button", name="Créer le dossier").click()
    page.get_by_text("Dossier créé").wait_for()

    def save() -> None:
        page.get_by_role("button", name="Enregistrer", exact=True).last.click()
        page.wait_for_load_state()
        assert page.get_by_text("Enregistré.").count() == 1, page.inner_text("main")[:3000]

    def fill(values: dict[str, str]) -> None:
        for name, value in values.items():
            field = page.locator(f"[name='{name}']")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)

    def add(list_name: str) -> None:
        page.locator(f"button[name='_action'][value='ajouter:{list_name}']").click()
        page.locator(f"[name='{list_name}.0.{'prenom' if list_name == 'membres' else 'intitule'}']").wait_for()

    fill({"referent": "Claire Martin", "statut": "reperage", "dates.reperage": "2026-09-01",
          "dates.saisine": "2026-09-15", "origine.structure": "MDS de Montreuil", "origine.type": "mds_slisl",
          "territoire.mds": "MDS du Montreuillois", "territoire.commune": "Hesdin", "territoire.perimetre": "diffus"})
    save()
    page.goto(server.base + "/dossiers/durand-2026/menage")
    add("membres")
    # The keyboard is in the new element (autofocus is applied once the page is shown).
    expect(page.locator("[name='membres.0.prenom']")).to_be_focused()
    fill({"designation": "M. Durand", "adresse.rue": "3 rue des Lilas", "adresse.code_postal": "62140",
          "adresse.commune": "Hesdin", "membres.0.prenom": "Paul", "membres.0.nom": "Durand",
          "membres.0.lien": "demandeur", "membres.0.date_naissance": "1950-02-03",
          "revenu_fiscal_reference.annee_revenus": "2025", "revenu_fiscal_reference.montant": "11200"})
    page.get_by_role("checkbox", name="isolement").check()
    save()
    page.goto(server.base + "/dossiers/durand-2026/logement")
    fill({"type": "maison_individuelle", "dpe_avant.classe": "G", "chauffage.energie": "fioul"})
    save()
    page.goto(server.base + "/dossiers/durand-2026/travaux")
    add("postes")
    fill({"postes.0.intitule": "Isolation des combles", "postes.0.type": "energetique",
          "postes.0.prevu_a_la_saisine": "true", "postes.0.statut": "a_chiffrer",
          "projet_de_vie": "Rester à domicile dans un logement chauffé."})
    save()
    page.goto(server.base + "/dossiers/durand-2026/documents")
    fiche = page.locator("ul.docs > li", has_text="Fiche saisine")
    assert "prêt" in fiche.inner_text(), fiche.inner_text()
    page.get_by_role("button", name="Construire « Fiche saisine »").click()
    page.locator("iframe.preview").wait_for()
    assert "M. Durand" in _served_pdf_text(page, server, tmp_path)
    check = subprocess.run(["git", "-C", str(server.root), "status", "--porcelain"], capture_output=True, text=True)
    assert "cases/durand-2026/" in check.stdout


def _edit_designation(page, server: Server, value: str) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    page.get_by_label("Désignation").fill(value)
    page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    page.get_by_text("Enregistré.").wait_for()


def _commit(page, server: Server, author: str) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/historique")
    page.get_by_label("Votre nom").fill(author)
    page.get_by_role("button", name="Enregistrer dans l'historique").click()
    page.locator("p.alert.ok", has_text="Enregistré dans l'historique").wait_for()


def test_recording_in_the_history_commits_the_case_with_the_referent_s_name(server: Server, page) -> None:
    _edit_designation(page, server, "Mme J. Lefebvre")
    page.goto(server.base + "/dossiers/lefebvre-2026/historique")
    assert "cases/lefebvre-2026/menage.yaml : modifié" in page.inner_text("main")
    assert "+designation: Mme J. Lefebvre" in page.locator("pre.diff").text_content()
    _commit(page, server, "Claire Martin")
    assert git(server.root, "log", "-1", "--format=%an|%s") == "Claire Martin|Dossier lefebvre-2026 : mise à jour\n"
    assert git(server.root, "status", "--porcelain") == ""
    page.goto(server.base + "/dossiers/lefebvre-2026/historique")
    assert page.get_by_label("Votre nom").count() == 0  # nothing left to record
    assert "Rien de nouveau" in page.inner_text("main")


def test_synchronising_into_a_conflict_stops_and_loses_nothing(server: Server, page, tmp_path: Path) -> None:
    shared = tmp_path / "partage.git"
    git(server.root, "clone", "-q", "--bare", str(server.root), str(shared))
    git(server.root, "remote", "add", "origin", str(shared))
    git(server.root, "fetch", "-q", "origin")
    git(server.root, "branch", "-q", "--set-upstream-to=origin/main")
    colleague = tmp_path / "collegue"
    git(tmp_path, "clone", "-q", str(shared), str(colleague))
    menage = colleague / CASE / "menage.yaml"
    menage.write_text(menage.read_text().replace("designation: Mme Lefebvre", "designation: Mme Lefebvre (collègue)"))
    git(colleague, "commit", "-qam", "Collègue")
    git(colleague, "push", "-q")
    _edit_designation(page, server, "Mme Lefebvre (moi)")
    _commit(page, server, "Claire Martin")
    mine = git(server.root, "rev-parse", "HEAD")
    page.get_by_role("button", name="Synchroniser").click()
    page.get_by_text("synchronisation arrêtée").wait_for()
    assert "Rien n'est perdu" in page.inner_text("main")
    assert git(server.root, "rev-parse", "HEAD") == mine
    assert git(server.root, "status", "--porcelain") == ""  # no half-done rebase left
    assert "designation: Mme Lefebvre (moi)" in (server.root / CASE / "menage.yaml").read_text()


def test_a_bad_value_is_said_as_the_referent_types(server: Server, page) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    page.locator("[name='adresse.code_postal']").fill("6227")
    page.locator("[name='adresse.code_postal']").blur()
    page.locator("#f-adresse-code_postal-messages").get_by_text("valeur « 6227 » mal formée").wait_for()
    assert page.locator("#f-adresse-code_postal").get_attribute("aria-invalid") == "true"


def test_list_elements_are_moved_and_removed_with_the_keyboard_and_saved(server: Server, page) -> None:
    page.goto(server.base + "/dossiers/lefebvre-2026/menage")
    page.get_by_role("button", name="Monter « Charge 2 »").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[name='charges.0.nature']")).to_have_value("eau")
    page.get_by_role("button", name="Retirer « Charge 4 »").click()
    expect(page.locator("[name='charges.3.nature']")).to_have_count(0)
    page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    page.get_by_text("Enregistré.").wait_for()
    text = (server.root / CASE / "menage.yaml").read_text()
    charges = text.split("charges:\n", 1)[1].split("dettes:", 1)[0]
    assert charges == ("  - nature: eau\n    montant_mensuel: 28\n"
                       "  - nature: energie\n    libelle: fioul (lissé sur l'année)\n    montant_mensuel: 165\n"
                       "  - nature: assurance\n    libelle: assurance habitation\n    montant_mensuel: 31.50\n")
    diff = git(server.root, "diff", "--stat")
    assert "menage.yaml" in diff and "1 file changed" in diff
