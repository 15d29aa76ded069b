"""`astre status`: due items, golden table, JSON, and the .ics export."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def run(project: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def table(output: str) -> list[list[str]]:
    """Rows of the status table, cells split on the column gaps."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines()[2:] if line.strip()]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_status_golden_on_example_cases(project: Path) -> None:
    output = run(project, "status", "--date", "2026-11-22")
    # The due items, then what was sent in the last 30 days (the 3-month review, the exit, the final review).
    assert output == (GOLDEN / "status-2026-11-22.txt").read_text(encoding="utf-8")


def unsend(project: Path) -> None:
    """Forget the sendings of the example cases and add a diagnostic request without answer."""
    cases = project / "cases"
    lefebvre = cases / "lefebvre-2026"
    edit(lefebvre / "contrat.yaml", 'date_envoi_spslh: "2026-09-05"\n', "")
    edit(lefebvre / "suivi.yaml", '    date_signalement: "2026-10-07"\n', "")
    edit(lefebvre / "bilans.yaml", '    date_envoi_spslh: "2026-11-16"\n', "")
    (lefebvre / "envois.yaml").write_text("envois: []\n", encoding="utf-8")
    (lefebvre / "diagnostics.yaml").write_text(
        "demandes:\n  - {type: simple, date_demande: \"2026-10-01\", justification: x, decision: en_attente}\n",
        encoding="utf-8")
    edit(cases / "dumont-2025" / "sortie.yaml", 'date_signalement_spslh: "2026-11-04"\n', "")


def test_status_lists_every_kind_of_due_item(project: Path) -> None:
    unsend(project)
    output = run(project, "status", "--date", "2026-11-22")
    rows = table(output)
    assert ["15/09/2026", "lefebvre-2026", "Claire Martin", "Envoyer le contrat signé au SPSLH",
            "en retard de 68 j"] in rows
    assert "Signaler au SPSLH le changement du 03/10/2026 (projet de travaux)" in output
    assert "Envoyer le bilan à 3 mois (SPSLH, SLISL, structure d'origine)" in output
    assert "Diagnostic simple demandé le 01/10/2026 sans réponse : relancer" in output
    # A closed case still shows its exit not yet reported.
    assert ["06/11/2026", "dumont-2025", "Karim Benali", "Signaler au SPSLH la sortie du 30/10/2026",
            "en retard de 16 j"] in rows
    dues = [line[:10] for line in output.splitlines()[2:] if re.match(r"\d\d/\d\d/\d{4}", line)]
    assert dues == sorted(dues, key=lambda d: d[6:] + d[3:5] + d[:2])  # most urgent first


def test_another_departement_is_a_change_of_astre_yaml(project: Path) -> None:
    # An astre.yaml written before service_court, for another service: its short name is the
    # full name up to its parenthesis, and no message names the SPSLH.
    unsend(project)
    config = project / "astre.yaml"
    edit(config, "service_destinataire: SPSLH (Service des Politiques Sociales du Logement et de l'Habitat)",
         "service_destinataire: SHD (Service de l'Habitat Durable)")
    edit(config, "  service_court: SPSLH\n", "")
    edit(config, "  delai_relance_diagnostic_jours: 30\n", "")
    edit(config, "  horizon_echeances_jours: 30\n", "")
    status = run(project, "status", "--date", "2026-11-22")
    assert "Envoyer le contrat signé au SHD" in status
    assert "Signaler au SHD le changement du 03/10/2026 (projet de travaux)" in status
    assert "Signaler au SHD la sortie du 30/10/2026" in status
    assert "Envoyer le bilan à 3 mois (SHD, SLISL, structure d'origine)" in status
    assert "31/10/2026" in status and "à 30 jours" in status  # the defaults: a reminder after 30 days
    check = CliRunner().invoke(cli, ["-f", str(config), "check", "--date", "2026-11-22"], catch_exceptions=False)
    assert "contrat non envoyé au SHD" in check.output and "non signalée au SHD" in check.output
    assert "SPSLH" not in status + check.output


def test_delays_of_the_structure_come_from_astre_yaml(project: Path) -> None:
    unsend(project)
    config = project / "astre.yaml"
    edit(config, "  service_court: SPSLH\n", "  service_court: SHD\n")
    edit(config, "delai_relance_diagnostic_jours: 30", "delai_relance_diagnostic_jours: 10")
    edit(config, "horizon_echeances_jours: 30", "horizon_echeances_jours: 60")
    output = run(project, "status", "--date", "2026-11-22")
    rows = table(output)
    assert ["11/10/2026", "lefebvre-2026", "Claire Martin",
            "Diagnostic simple demandé le 01/10/2026 sans réponse : relancer", "en retard de 42 j"] in rows
    assert "échéance(s) à 60 jours" in output and "Signaler au SHD la sortie" in output
    # The end of the measure, 55 days ahead: within the 60 days of this structure, not within the default 30.
    assert ["14/08/2027", "lefebvre-2026", "Claire Martin", "Fin des 12 mois de mesure : préparer la sortie",
            "dans 55 j"] in table(run(project, "status", "--date", "2027-06-20"))
    edit(config, "horizon_echeances_jours: 60", "horizon_echeances_jours: 30")
    assert "Fin des 12 mois" not in run(project, "status", "--date", "2027-06-20")


def test_status_end_of_measure_and_final_review(project: Path) -> None:
    output = run(project, "status", "--date", "2027-07-20")
    rows = table(output)
    assert ["14/08/2027", "lefebvre-2026", "Claire Martin", "Fin des 12 mois de mesure : préparer la sortie",
            "dans 25 j"] in rows
    assert ["15/08/2027", "lefebvre-2026", "Claire Martin", "Rédiger le bilan final", "dans 26 j"] in rows
    assert "Rédiger le bilan à 6 mois" in output and "en retard de 155 j" in output


def test_invalid_case_is_listed_not_crashing(project: Path) -> None:
    (project / "cases" / "caron-2026" / "mesure.yaml").write_text("statut: [\n", encoding="utf-8")
    output = run(project, "status", "--date", "2026-11-22")
    assert ["—", "caron-2026", "dossier invalide : lancez « astre check »", "à corriger"] in table(output)
    assert "1 dossier(s) invalide(s)" in output


def test_status_json(project: Path) -> None:
    data = json.loads(run(project, "status", "--date", "2026-11-22", "--format", "json"))
    assert data["echeances"] == [{
        "dossier": "lefebvre-2026", "referent": "Claire Martin", "echeance": "2026-12-14", "code": "visites-mois-4",
        "action": "Visites du mois 4 de la mesure", "detail": "1/2 dont 1 à domicile", "jours": 22,
        "etat": "dans 22 j"}]
    assert data["dossiers_invalides"] == []


def test_ics_is_valid_rfc5545_and_private(project: Path) -> None:
    target = project / "out" / "agenda" / "echeances.ics"
    run(project, "status", "--date", "2026-11-22", "--ics", "agenda/echeances.ics")
    raw = target.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.decode("utf-8").split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = "\r\n".join(lines).replace("\r\n ", "").split("\r\n")
    assert unfolded[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//astre//Echeancier ASTRE//FR"]
    assert unfolded.count("BEGIN:VEVENT") == unfolded.count("END:VEVENT") == 5
    assert unfolded[-1] == "END:VCALENDAR"
    assert "UID:lefebvre-2026-bilan-6@astre" in unfolded
    assert "DTSTART;VALUE=DATE:20270215" in unfolded and "DTEND;VALUE=DATE:20270216" in unfolded
    assert all(line == "DTSTAMP:20261122T000000Z" for line in unfolded if line.startswith("DTSTAMP"))
    for secret in ("Lefebvre", "Josiane", "Calvaire", "Frévent", "0612345678", "Dumont", "Caron"):
        assert secret.lower() not in raw.decode("utf-8").lower().replace("lefebvre-2026", "")
    # Same date, same bytes (stable UIDs, deterministic DTSTAMP); an absolute path inside out/ is fine.
    run(project, "status", "--date", "2026-11-22", "--ics", str(target))
    assert target.read_bytes() == raw


def test_ics_outside_the_output_folder_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "ailleurs.ics"
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "status", "--date", "2026-11-22",
                                      "--ics", str(outside)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "chemin de sortie refusé" in result.output
    assert "donnez un nom de fichier" in result.output
    assert not outside.exists()
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "status", "--ics", "../evasion.ics"],
                                catch_exceptions=False)
    assert result.exit_code == 2 and not (project / "evasion.ics").exists()


def test_ics_escapes_and_folds() -> None:
    from datetime import date

    from generator.followup.status import StatusResult, to_ics
    from generator.model.deadlines import DueItem

    item = DueItem("x-1", "R", date(2026, 1, 2), "k", "Relancer, puis noter; " + "é" * 80)
    text = to_ics(StatusResult(date(2026, 1, 1), [item]))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "Relancer\\, puis noter\\;" in text


def test_ics_reads_back_with_icalendar_each_event_with_a_reminder(project: Path) -> None:
    """What Outlook or Thunderbird import: one all-day event per due date, reminded a week before."""
    from datetime import date, timedelta

    from icalendar import Calendar

    run(project, "status", "--date", "2026-11-22", "--ics", "echeances.ics")
    calendar = Calendar.from_ical((project / "out" / "echeances.ics").read_bytes())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 5
    review = events["lefebvre-2026-bilan-6@astre"]
    assert review.decoded("dtstart") == date(2027, 2, 15) and review.decoded("dtend") == date(2027, 2, 16)
    assert str(review["summary"]) == "lefebvre-2026 : Rédiger le bilan à 6 mois"
    for event in events.values():
        [alarm] = event.walk("VALARM")
        assert str(alarm["action"]) == "DISPLAY" and alarm.decoded("trigger") == timedelta(days=-7)
        assert str(event["summary"]) in str(alarm["description"])


def test_status_does_not_import_renderers(project: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from generator.cli import main; sys.argv=['astre','-f',sys.argv[1],'status','--date',"
            "'2026-11-22']\ntry:\n main()\nexcept SystemExit: pass\n"
            "assert 'weasyprint' not in sys.modules and 'docxtpl' not in sys.modules, 'heavy import'")
    done = subprocess.run([sys.executable, "-c", code, str(project / "astre.yaml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
