"""The transmission record: sendings, lateness, recipients, and sent documents kept as sent."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from generator.checking.check import check, check_case
from generator.engine.build import build
from generator.followup.status import collect, format_text
from generator.reading.config import load_config
from tests.model.test_rules import edit
from tests.model.test_rules import problems as rule_problems

TODAY = date(2026, 11, 22)


def problems(project: Path, case_id: str, today: date = TODAY) -> list[str]:
    """The case's problems, paths relative to the project (as the référent reads them)."""
    return [line.replace(str(project) + "/", "") for line in rule_problems(project, case_id, today)]


def only(project: Path, case_id: str) -> Path:
    """Keep one example case (builds stay short)."""
    for other in (project / "cases").iterdir():
        if other.is_dir() and other.name != case_id:
            shutil.rmtree(other)
    shutil.rmtree(project / "cases" / case_id / "envoyes", ignore_errors=True)
    return project / "cases" / case_id


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_a_contract_sent_late_is_said_with_the_days_counted(project: Path) -> None:
    # caron-2026 starts on 12/01/2026: contract due one month later, 12/02/2026; sent on 27/03/2026.
    lines = problems(project, "caron-2026")
    assert ("cases/caron-2026/contrat.yaml:14:19: avertissement : contrat envoyé le 27/03/2026, 43 jours après la "
            "limite du 12/02/2026") in "\n".join(lines)


def test_a_review_written_but_never_sent(project: Path) -> None:
    case = project / "cases" / "lefebvre-2026"
    edit(case / "bilans.yaml", '    date_envoi_spslh: "2026-11-16"\n', "")
    (case / "envois.yaml").write_text("envois:\n  - document: fiche-saisine\n    date: \"2026-07-02\"\n"
                                      "    destinataires: [spslh]\n", encoding="utf-8")
    # 3-month review due on 15/11/2026, plus the 15 days of delai_bilan_jours: 30/11/2026.
    assert not [line for line in problems(project, "lefebvre-2026") if "non envoyé" in line]
    lines = problems(project, "lefebvre-2026", date(2026, 12, 1))
    assert any("avertissement : bilan-intermediaire-3-mois rédigé mais non envoyé (limite : 30/11/2026)" in line
               for line in lines)


def test_bad_sendings_are_located(project: Path) -> None:
    case = project / "cases" / "lefebvre-2026"
    (case / "envois.yaml").write_text(
        "envois:\n"
        "  - document: fiche-saisine\n    date: \"2026-06-01\"\n    destinataires: [spslh]\n"  # before its date
        "  - document: bilan-intermediaire-6-mois\n    date: \"2026-11-20\"\n    destinataires: [spslh]\n"
        "  - document: contrat\n    date: \"2026-09-05\"\n    destinataires: [spslh, prefecture]\n"
        "  - document: fiche-saisine\n    date: \"2026-06-01\"\n    destinataires: [spslh]\n"
        "  - document: fiche-saisine\n    date: \"2026-07-03\"\n    destinataires: [slisl]\n",
        encoding="utf-8")
    text = "\n".join(problems(project, "lefebvre-2026"))
    assert "envois.yaml:10:28: erreur : envois[3].destinataires[2] : valeur « prefecture » non prévue" in text
    (case / "envois.yaml").write_text((case / "envois.yaml").read_text(encoding="utf-8").replace(
        "[spslh, prefecture]", "[spslh]"), encoding="utf-8")
    text = "\n".join(problems(project, "lefebvre-2026"))
    assert "envois.yaml:5:15: erreur : document inconnu « bilan-intermediaire-6-mois » pour ce dossier" in text
    assert "documents du dossier : bilan-intermediaire-3-mois, contrat, fiche-saisine, signalement-changement-1" in text
    assert "envois.yaml:11:5: erreur : deux envois de « fiche-saisine » le même jour (2026-06-01)" in text
    assert "envois.yaml:2:5: erreur : fiche-saisine envoyé le 01/06/2026, avant sa date (02/07/2026)" in text
    # The fiche saisine goes to the SPSLH (programme.destinataires).
    assert "envois.yaml:14:5: avertissement : fiche-saisine envoyé le 03/07/2026 sans : spslh" in text


def test_review_not_needed_has_its_reason_and_no_document(project: Path) -> None:
    case = project / "cases" / "dumont-2025"
    edit(case / "bilans.yaml", "  - echeance: 6_mois\n", "  - echeance: 6_mois\n    non_necessaire: true\n")
    assert any("bilans.yaml:" in line and "bilan « 6_mois » noté non nécessaire sans motif" in line
               for line in problems(project, "dumont-2025"))
    edit(case / "bilans.yaml", "    non_necessaire: true\n",
         "    non_necessaire: true\n    motif_non_necessaire: Bilan fait avec le comité du 12 mai.\n")
    assert not [line for line in problems(project, "dumont-2025") if "6_mois" in line or "6-mois" in line]
    from generator.reading.forms import load_form

    config = load_config(project / "astre.yaml")
    names = [name for name, _ in load_form(config.resources, "bilan-intermediaire").documents(
        check_case(case, config, TODAY))]
    assert names == ["bilan-intermediaire-3-mois", "bilan-intermediaire-9-mois"]


def test_sent_document_is_kept_as_sent_and_a_correction_is_a_new_sending(project: Path) -> None:
    case = only(project, "lefebvre-2026")
    config = load_config(project / "astre.yaml")
    first = build(config, forms=["contrat"], jobs=1, today=TODAY)
    assert first.ok and not first.warnings
    kept = case / "envoyes" / "contrat--2026-09-05.pdf"
    out = project / "out" / "lefebvre-2026" / "contrat.pdf"
    assert kept.read_bytes() == out.read_bytes()
    sent = kept.read_bytes()
    # A fact the contract shows is changed after it was sent: the sent contract stays, the change is said.
    edit(case / "contrat.yaml", "sortir la maison de l'étiquette G.",
         "sortir la maison de l'étiquette G (fioul et bois).")
    second = build(load_config(project / "astre.yaml"), forms=["contrat"], jobs=1, today=TODAY)
    assert second.ok and kept.read_bytes() == sent and out.read_bytes() == sent
    assert len(second.warnings) == 1 and "contrat : envoyé le 05/09/2026, gardé tel quel" in second.warnings[0][1]
    assert "contrat.objectifs[1]" in second.warnings[0][1]
    assert any("contrat.yaml:18:19: avertissement : contrat : envoyé le 05/09/2026, gardé tel quel ; données "
               "modifiées depuis : contrat.objectifs[1]" in line for line in problems(project, "lefebvre-2026"))
    # The corrected version is sent on purpose: a new sending, kept too; the first one stays.
    (case / "envois.yaml").write_text((case / "envois.yaml").read_text(encoding="utf-8") + (
        "  - document: contrat\n    date: \"2026-11-20\"\n    destinataires: [spslh]\n    correction: true\n"
        "    note: Objectifs complétés (chauffage au bois).\n"), encoding="utf-8")
    third = build(load_config(project / "astre.yaml"), forms=["contrat"], jobs=1, today=TODAY)
    assert third.ok and not third.warnings
    assert (case / "envoyes" / "contrat--2026-11-20.pdf").read_bytes() == out.read_bytes() != sent
    assert kept.read_bytes() == sent
    assert "(fioul et bois)" in " ".join(pdf_text(out).split())


def test_a_kept_copy_edited_or_deleted_by_hand(project: Path) -> None:
    case = only(project, "lefebvre-2026")
    config = load_config(project / "astre.yaml")
    assert build(config, forms=["contrat"], jobs=1, today=TODAY).ok
    kept = case / "envoyes" / "contrat--2026-09-05.pdf"
    kept.write_bytes(kept.read_bytes() + b"%retouche\n")
    lines = problems(project, "lefebvre-2026")
    assert any("contrat.yaml:18:19: erreur : contrat envoyé le 05/09/2026 : contrat--2026-09-05.pdf modifié depuis "
               "l'envoi" in line and "git checkout" in line for line in lines)
    for path in (case / "envoyes").glob("contrat--2026-09-05.*"):
        path.unlink()
    # The last build had kept it: an error of check, so the build makes nothing of this case until it is restored.
    assert any("contrat.yaml:18:19: erreur : contrat envoyé le 05/09/2026 : copie gardée supprimée" in line
               for line in problems(project, "lefebvre-2026"))
    summary = build(load_config(project / "astre.yaml"), forms=["contrat"], jobs=1, today=TODAY)
    assert any("copie gardée supprimée" in why for _, why in summary.failed)
    assert not kept.exists()  # never made again from today's data


def test_a_kept_record_replaced_by_other_json_is_said_not_a_crash(project: Path) -> None:
    case = project / "cases" / "lefebvre-2026"
    shutil.copytree(Path(__file__).resolve().parents[2] / "cases" / "lefebvre-2026" / "envoyes", case / "envoyes")
    assert not [line for line in problems(project, "lefebvre-2026") if "envoyé le 05/09/2026" in line]
    (case / "envoyes" / "contrat--2026-09-05.json").write_text("[]\n", encoding="utf-8")
    assert any("contrat.yaml:18:19: erreur : contrat envoyé le 05/09/2026 : contrat--2026-09-05.json modifié : ce "
               "n'est plus le relevé JSON écrit par astre" in line for line in problems(project, "lefebvre-2026"))


def test_a_second_check_reuses_its_comparisons_until_the_data_changes(project: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.documents.values

    case = project / "cases" / "dumont-2025"
    shutil.copytree(Path(__file__).resolve().parents[2] / "cases" / "dumont-2025" / "envoyes", case / "envoyes")
    an_hour_ago = time.time() - 3600
    for path in (case / "envoyes").iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))  # kept long ago, as in a clone
    drawn: list[str] = []
    draw = generator.documents.values.document_values

    def counted(*args: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs["only"])
        return draw(*args, **kwargs)

    monkeypatch.setattr(generator.documents.values, "document_values", counted)
    hashed: list[str] = []
    read_bounded = generator.documents.archive.read_bounded

    def read(path: Path, *args: Any, **kwargs: Any) -> bytes:
        if path.suffix in (".pdf", ".docx"):
            hashed.append(path.name)
        return read_bounded(path, *args, **kwargs)

    monkeypatch.setattr(generator.documents.archive, "read_bounded", read)

    def lines() -> list[str]:
        return [p.format() for p in check(load_config(project / "astre.yaml"), [], TODAY, jobs=1).problems]

    first = lines()
    # The 3-month review's text was completed after it was sent: the reviews after it are drawn to compare.
    assert sorted(drawn) == ["bilan-final", "bilan-intermediaire-3-mois", "bilan-intermediaire-6-mois",
                             "bilan-intermediaire-9-mois"]
    assert sum("données modifiées depuis : bilan.difficultes" in line for line in first) == 1
    assert len(hashed) == 16  # the PDF and DOCX of the 8 sendings, to tell they are intact
    drawn.clear()
    hashed.clear()
    # Same data, same kept copies: the same verdicts, nothing drawn again, no kept file read again.
    assert lines() == first and drawn == [] and hashed == []
    # A kept copy edited by hand is said all the same, even with its time put back.
    pdf = case / "envoyes" / "contrat--2025-11-20.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%retouche\n")
    os.utime(pdf, (an_hour_ago, an_hour_ago))
    hashed.clear()
    assert any("contrat--2025-11-20.pdf modifié depuis l'envoi" in line for line in lines())
    assert hashed == ["contrat--2025-11-20.pdf"]
    shutil.copy(Path(__file__).resolve().parents[2] / "cases" / "dumont-2025" / "envoyes" / pdf.name, pdf)
    edit(case / "bilans.yaml", "Avance de trésorerie en attendant", "Avance de trésorerie lourde en attendant")
    third = lines()
    assert sorted(drawn) == ["bilan-final", "bilan-intermediaire-9-mois"]
    assert any("bilan-intermediaire-9-mois : envoyé le 07/08/2026, gardé tel quel ; données modifiées depuis : "
               "bilan.difficultes" in line for line in third)


def test_documents_name_their_recipients_and_status_lists_sendings(project: Path) -> None:
    only(project, "lefebvre-2026")
    config = load_config(project / "astre.yaml")
    assert build(config, jobs=1, today=TODAY).ok
    text = " ".join(pdf_text(project / "out" / "lefebvre-2026" / "bilan-intermediaire-3-mois.pdf").split())
    assert ("Destinataires : SPSLH (Service des Politiques Sociales du Logement et de l'Habitat), SLISL de la MDS "
            "Montreuillois-Ternois, MDS du Montreuillois-Ternois — SLISL de Saint-Pol-sur-Ternoise") in text
    change = " ".join(pdf_text(project / "out" / "lefebvre-2026" / "signalement-changement-1.pdf").split())
    assert "Signalement de changement de situation" in change and "Ajout d'une douche de plain-pied" in change
    status = format_text(collect(config, [], TODAY))
    assert "16/11/2026  lefebvre-2026  bilan-intermediaire-3-mois → SPSLH, SLISL, structure d'origine" in status


@pytest.mark.parametrize("poursuite", ["true", "false"])
def test_final_review_prints_the_decision_to_continue(project: Path, poursuite: str) -> None:
    case = only(project, "dumont-2025")
    edit(case / "bilans.yaml", "    poursuite: false\n    satisfaction",
         f"    poursuite: {poursuite}\n    satisfaction")
    assert build(load_config(project / "astre.yaml"), forms=["bilan-final"], jobs=1, today=TODAY).ok
    text = " ".join(pdf_text(project / "out" / "dumont-2025" / "bilan-final.pdf").split())
    expected = ("oui, un accompagnement doit se poursuivre" if poursuite == "true"
                else "non, pas de poursuite nécessaire")
    assert f"Nécessité de poursuivre l'accompagnement : {expected}." in text


def test_report_and_funding_statement_count_what_was_late_or_missing(project: Path) -> None:
    """Programme period (01/11/2025–31/10/2026): three contracts due, caron's sent 43 days late."""
    from docx import Document

    from generator.followup.indicators import Period
    from generator.followup.report import build_funding

    config = load_config(project / "astre.yaml")
    edit(project / "cases" / "lefebvre-2026" / "bilans.yaml", '    date_envoi_spslh: "2026-11-16"\n', "")
    (project / "cases" / "lefebvre-2026" / "envois.yaml").write_text("envois: []\n", encoding="utf-8")
    written, _ = build_funding(config, Period(date(2025, 11, 1), date(2026, 10, 31)), date(2026, 12, 1))
    pdf = next(project / "out" / name for name in written if name.endswith(".pdf"))
    text = " ".join(pdf_text(pdf).split())
    assert "Transmission des bilans et documents" in text, text[text.find("Transmission"):][:800]
    # dumont (due 03/12/2025) and lefebvre (due 15/09/2026) on time; caron (due 12/02/2026) late.
    assert "Contrats 2 1 0" in text, text[text.find("Transmission"):][:800]
    assert "contrat 12 février 2026 27 mars 2026 43 j" in text
    # lefebvre's 3-month review is due on 30/11/2026: after the period, not counted as missing.
    assert "Bilans intermédiaires 4 0 0" in text
    docx = Document(str(pdf.with_suffix(".docx")))
    cells = [[c.text for c in row.cells] for table in docx.tables for row in table.rows]
    assert ["Contrats", "2", "1", "0", "0"] in cells
    assert any(row[1:] == ["contrat", "12 février 2026", "27 mars 2026", "43 j"] for row in cells)
    assert "caron" not in text.lower() and "ASTRE-2025-0203" in text  # cases by SPSLH reference


def test_every_recorded_sending_is_kept_even_on_a_day_another_document_was_sent(project: Path) -> None:
    """dumont-2025 sent its final review and its exit report on 4 November 2026, its 6-month review and its
    second change report on 11 May: each document's copy is kept, although the form of one does not see the
    file recording the other's sending (a copy of the same day is not a copy « no sending names »)."""
    from generator.engine.build import build
    from generator.model.measure import sendings

    config = load_config(project / "astre.yaml")
    summary = build(config, today=TODAY, jobs=1)
    assert summary.failed == [], summary.failed
    for folder in sorted((project / "cases").iterdir()):
        case = check_case(folder, config, TODAY)
        recorded = sendings(config.resources, case, config.programme)
        stems = {f"{document}--{s.day.isoformat()}" for document, found in recorded.items()
                 for s in found[-1:]}  # the last sending of each document is the one a build keeps
        kept = {p.stem for p in (folder / "envoyes").glob("*.json")}
        assert stems <= kept, (folder.name, sorted(stems - kept))
