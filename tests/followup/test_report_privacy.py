"""Nothing personal leaves through the export: every name, street, phone, birth date and free text is absent."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from generator.cli import cli
from generator.reading.loader import load

ROOT = Path(__file__).resolve().parents[2]

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


# Free texts the report's qualitative part may quote once screened (generator/followup/quotes.py).
QUOTED = {"bilans": ["difficultes", "motifs_echec"], "suivi": ["objet", "description"], "sortie": ["explication"]}


def secrets(cases: Path, quoted: bool = True) -> set[str]:
    """Every personal value of the cases; without the quotable free texts when `quoted` is False."""
    found: set[str] = set()
    for folder in cases.iterdir():
        found.add(folder.name)  # case ids carry the family name
        for name, specs in PERSONAL.items():
            if not quoted and name in QUOTED:
                specs = [(listing, [k for k in keys if k not in QUOTED[name] or listing == "visites"])
                         for listing, keys in specs]
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
    assert not leaks, sorted({s for _, s in leaks})
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


def variants(secret: str) -> set[str]:
    """The secret as it may be printed: as written, lower case, and a date in French spellings."""
    from datetime import date

    from babel.dates import format_date

    found = {" ".join(secret.split()).lower()}
    if len(secret) == 10 and secret[4] == "-" and secret[:4].isdigit():
        day = date.fromisoformat(secret)
        found |= {f"{secret[8:]}/{secret[5:7]}/{secret[:4]}", format_date(day, "d MMMM y", locale="fr_FR")}
    return found


def document_texts(out: Path) -> dict[str, str]:
    """Every document's text, lower case, spaces normalised (a line break or a no-break space is a space)."""
    from docx import Document
    from pypdf import PdfReader

    texts = {}
    for path in sorted(out.glob("*.pdf")):
        texts[path.name] = "".join(page.extract_text() for page in PdfReader(path).pages)
    for path in sorted(out.glob("*.docx")):
        doc = Document(str(path))
        texts[path.name] = "\n".join([p.text for p in doc.paragraphs]
                                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    return {name: " ".join(text.split()).lower() for name, text in texts.items()}


def test_documents_for_the_departement_hold_no_personal_data(project: Path) -> None:
    from generator.followup.export import pseudonym, salt

    # One case excluded, so the exclusion lists are scanned too.
    sortie = project / "cases" / "caron-2026" / "sortie.yaml"
    sortie.write_text(sortie.read_text(encoding="utf-8").replace('date: "2026-05-20"\n', ""), encoding="utf-8")
    for args in (["report", "--year", "2026"], ["report"], ["financement"]):
        result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), *args, "--date", "2026-11-22"],
                                    catch_exceptions=False)
        assert result.exit_code == 1, result.output  # caron excluded
    texts = document_texts(project / "out")
    assert {name.rsplit(".", 1)[1] for name in texts} == {"pdf", "docx"} and len(texts) == 8
    assert any(name.startswith("etat-financement") for name in texts)
    ids = {folder.name for folder in (project / "cases").iterdir()}
    assert ids == {"caron-2026", "dumont-2025", "lefebvre-2026"}
    # Public on purpose: the commune of the works (indicator 7, public geography) and the programme's own
    # labels (a funder called « Certificats d'économies d'énergie » is also a type of funder).
    public = {str(load(folder / "mesure.yaml").data["territoire"]["commune"]).lower()
              for folder in (project / "cases").iterdir()}
    public |= {str(text).lower() for family in load(ROOT / "forms" / "libelles.yaml").data.values()
               for text in family.values()}
    # The report quotes the référents' free texts that name nobody: those are checked below, word by word.
    personal = {s for s in secrets(project / "cases", quoted=False) if s.lower() not in public} | ids
    assert {"Dumont", "23 chemin des Prés", "0321999999", "1956-11-20"} <= personal
    # Quoted référents' words « … » are checked against the households' identifiers in the next test.
    import re

    outside = {name: re.sub(r"« [^»]* »", "", text) for name, text in texts.items()}
    leaks = [(name, secret) for secret in personal for variant in variants(secret)
             for name, text in outside.items() if variant in text]
    assert not leaks, sorted({s for _, s in leaks})
    # The cases are still there: in the report under their pseudonym, so the Département can match the export;
    # in the funding statement under the SPSLH reference of their validation, which the SPSLH files them under.
    key = salt(project)
    assert pseudonym("caron-2026", key).lower() in texts["rapport-activite-2026.pdf"]  # the excluded case
    funding = texts["etat-financement-2025-11-01_2026-10-31.pdf"]
    assert all(reference in funding for reference in ("astre-2025-0203", "astre-2025-0147"))


def test_quoted_texts_name_no_household(project: Path) -> None:
    """The référents' words reach the report only when they hold no household's name, address, phone, commune."""
    bilans = project / "cases" / "dumont-2025" / "bilans.yaml"
    text = bilans.read_text(encoding="utf-8")
    # Three texts of dumont's case that name someone: lefebvre (another case), a phone, the commune of caron.
    for old, new in (("Méfiance du ménage envers les entreprises après un démarchage abusif en 2024 (pompe à chaleur "
                      "jamais posée).",
                      "Méfiance du ménage, comme Mme Lefebvre, envers les entreprises."),
                     ("Surcoût de l'isolation des murs découvert pendant le chantier.",
                      "Surcoût découvert pendant le chantier, rappeler le 03.21.99.99.99."),):
        assert old in text
        text = text.replace(old, new)
    bilans.write_text(text, encoding="utf-8")
    suivi = project / "cases" / "lefebvre-2026" / "suivi.yaml"
    before = suivi.read_text(encoding="utf-8")
    assert "Tour de table des financements" in before
    suivi.write_text(before.replace("Tour de table des financements", "Tour de table des financements à Bapaume"),
                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date",
                                      "2026-11-22"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    texts = document_texts(project / "out")
    for name in ("rapport-activite-2026.pdf", "rapport-activite-2026.docx"):
        report = texts[name]
        # Kept: texts naming nobody, in the référents' words.
        assert "« délais de l'audit énergétique (six semaines) ; pas d'accès numérique. »" in report
        assert "surcoût de 2 450 € sur l'isolation des murs, couvert par un éco-ptz." in report
        # Left out: the three edited texts, and caron's, which name M. Caron or Bapaume; and counted.
        for leak in ("lefebvre", "03.21.99.99.99", "à bapaume", "m. caron"):
            assert leak not in report, (name, leak)
        assert "5 extraits écartés : ils citent un nom, une adresse, une commune, un téléphone ou un courriel" in report
        assert "1 extrait écarté : il cite un nom" in report  # coordination: the edited concertation
    # Every quoted text holds none of any household's identifying values (communes included here).
    households: set[str] = set()
    for folder in (project / "cases").iterdir():
        menage = load(folder / "menage.yaml").data
        households |= {menage["designation"], *menage["adresse"].values(), menage["telephone"],
                       load(folder / "mesure.yaml").data["territoire"]["commune"]}
        households |= {m[k] for m in menage["membres"] for k in ("prenom", "nom")}
    households = {str(h).lower() for h in households}
    quoted = [q for q in texts["rapport-activite-2026.docx"].split("« ")[1:]]
    assert len(quoted) >= 8
    for q in quoted:
        words = q.split(" »")[0]
        assert not [s for s in households if len(s) >= 4 and s in words], words
