"""Nothing personal leaves through the export: every name, street, phone, birth date and free text is absent."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from generator.cli import cli
from generator.loader import load

# Free-text or identifying fields, by file: (list key or None, field names).
PERSONAL = {
    "menage": [(None, ["designation", "telephone", "difficultes_precisions"]), ("membres", ["prenom", "nom",
               "date_naissance", "situation"]), ("ressources", ["beneficiaire"]), ("charges", ["libelle"]),
               ("dettes", ["creancier"])],
    "mesure": [(None, ["referent", "mon_accompagnateur_renov"]), ("partenaires", ["nom", "role"])],
    "logement": [(None, ["etat"])],
    "travaux": [("postes", ["intitule"]), (None, ["relogement"])],
    "financement": [("aides", ["financeur"]), ("prets", ["organisme"])],
    "suivi": [("visites", ["objet"]), ("concertations", ["objet"]), ("signalements", ["description"])],
    "bilans": [("bilans", ["effets", "difficultes", "avancement_travaux", "point_financement", "motifs_echec",
                           "satisfaction_commentaire", "conclusion"])],
    "sortie": [(None, ["explication"])],
    "contrat": [(None, [])],
    "diagnostics": [("demandes", ["justification", "questions_sociales", "questions_juridiques",
                                  "questions_techniques"])],
}


def secrets(cases: Path) -> set[str]:
    found: set[str] = set()
    for folder in cases.iterdir():
        found.add(folder.name)  # case ids carry the family name
        for name, specs in PERSONAL.items():
            path = folder / f"{name}.yaml"
            if not path.exists():
                continue
            data = load(path).data or {}
            for listing, keys in specs:
                items = data.get(listing, []) if listing else [data]
                for item in items:
                    found.update(str(item[k]) for k in keys if item.get(k))
            menage = data if name == "menage" else {}
            found.update(str(v) for v in menage.get("adresse", {}).values() if v and not str(v).isdigit())
            found.update(str(v) for v in (data.get("origine", {}).get("structure"), data.get("origine", {})
                                          .get("contact")) if v)
            for key in ("objectifs", "engagements_menage", "engagements_structure"):
                found.update(data.get(key, []) if name == "contrat" else [])
            if name == "menage":
                found.add(data["adresse"]["rue"])
                found.add(data["adresse"]["code_postal"])
                found.add(data.get("telephone", "").replace(" ", ""))
    # Short generic words (« Urbanis » is a company, still not wanted) are kept; empty strings dropped.
    return {s.strip() for s in found if len(s.strip()) >= 4}


def test_exports_hold_no_personal_data(project: Path) -> None:
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date",
                                      "2026-11-22"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = project / "out"
    raw = (out / "export-mesures-2026.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 4 and len({len(r) for r in rows}) == 1
    book = load_workbook(out / "export-mesures-2026.xlsx")
    cells = "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    # Birth dates in every spelling.
    leaks = []
    for secret in secrets(project / "cases"):
        variants = {secret, secret.lower()}
        if len(secret) == 10 and secret[4] == "-":
            variants |= {f"{secret[8:]}/{secret[5:7]}/{secret[:4]}"}
        for variant in variants:
            if variant in text or variant in cells or variant.lower() in text.lower():
                leaks.append(secret)
    assert not leaks
    # The pseudonym is stable: same salt, same pseudonym.
    assert (project / ".astre-salt").exists()
    ids = [r[rows[0].index("pseudonyme")] for r in rows[1:]]
    CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date", "2026-11-22"],
                       catch_exceptions=False)
    again = list(csv.reader(io.StringIO((out / "export-mesures-2026.csv").read_text("utf-8-sig")), delimiter=";"))
    assert [r[rows[0].index("pseudonyme")] for r in again[1:]] == ids


def test_csv_uses_french_decimal_comma(project: Path) -> None:
    CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date", "2026-11-22"],
                       catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO((project / "out" / "export-mesures-2026.csv").read_text("utf-8-sig")),
                               delimiter=";"))
    dumont = next(r for r in rows if r["montant_realise"])
    assert dumont["taux_variation"] == "22,09" and dumont["montant_realise"] == "42000,00"
    assert dumont["categorie_anah"] == "tres_modeste" and dumont["tranche_age"] == "60_74"


def test_report_without_secret_refuses_and_writes_nothing(project: Path) -> None:
    (project / ".astre-salt").unlink()
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    assert "secret de pseudonymisation absent" in result.output and "astre secret" in result.output
    assert not (project / ".astre-salt").exists()
    assert not list(project.glob("out/*"))  # nothing half-done: the secret is checked before any write


def test_secret_is_created_once_and_renewed_only_on_request(project: Path) -> None:
    (project / ".astre-salt").unlink()
    run = ["-f", str(project / "astre.yaml"), "secret"]
    assert CliRunner().invoke(cli, run, catch_exceptions=False).exit_code == 0
    first = (project / ".astre-salt").read_text()
    assert len(first.strip()) == 64
    refused = CliRunner().invoke(cli, run, catch_exceptions=False)
    assert refused.exit_code == 2 and "existe déjà" in refused.output
    assert (project / ".astre-salt").read_text() == first
    assert CliRunner().invoke(cli, [*run, "--renouveler"], catch_exceptions=False).exit_code == 0
    assert (project / ".astre-salt").read_text() != first
