"""Pseudonymised export for the Département: one row per measure, CSV and XLSX.

Nothing personal leaves: no name, address, phone, birth date nor free text.
Ages are brackets, income is the ANAH category and a bracket, the place is the
MDS territory and the commune's INSEE code (public geography), dates are months.

The pseudonym is HMAC-SHA256(case id) keyed with a secret salt kept in
`.astre-salt` at the root of the structure's repository, created once, with the
repository, by `astre init` (or `astre secret` for an older repository; never by a
build: astre writes nothing else outside the output folder). It must be committed
with the cases: every colleague then gets the same pseudonym for the same measure,
year after year, while the Département, which never sees the salt, cannot
recompute it from a case id.

CSV: UTF-8 with BOM, `;` separator, French decimal comma (what Excel in French
opens directly); amounts in euros without thousands separator.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from ..commands import command
from ..errors import UsageError, YamlError
from ..reading.loader import read_bounded
from .indicators import Facts, Period

SALT_FILE = ".astre-salt"
SALT_MAX_BYTES = 4096  # `astre secret` writes 65 bytes

COLUMNS = [
    ("structure", "structure"), ("annee", "année"), ("periode", "période"),
    ("pseudonyme", "pseudonyme"), ("statut", "statut"),
    ("mois_reperage", "mois de repérage"), ("mois_saisine", "mois de saisine"), ("mois_debut", "mois de début"),
    ("mois_sortie", "mois de sortie"), ("duree_mois", "durée (mois entamés)"), ("origine_type", "origine"),
    ("mds", "territoire MDS"), ("code_insee", "code INSEE"), ("perimetre", "périmètre"),
    ("personnes", "personnes"), ("tranche_age", "âge du demandeur"), ("categorie_anah", "catégorie ANAH"),
    ("tranche_revenus", "revenu fiscal de référence"), ("difficultes", "difficultés à la saisine"),
    ("types_travaux", "types de travaux"), ("montant_prevu", "montant prévu à la saisine"),
    ("montant_realise", "montant réalisé"), ("taux_variation", "taux de variation (%)"),
    ("travaux_termines", "travaux terminés (oui, non : en cours ; vide : rien de réalisé)"),
    ("postes_ajoutes", "postes ajoutés"), ("postes_abandonnes", "postes abandonnés"),
    ("avance_audit", "avance de l'audit"), ("aides_nombre", "aides (nombre, hors refusées)"),
    ("aides_total", "aides (total, hors refusées)"), ("aides_obtenues", "aides obtenues"),
    ("aides_refusees", "aides refusées (total)"), ("aides_types", "types de financeurs"),
    ("reste_a_charge", "reste à charge"), ("satisfaction", "satisfaction"), ("partenaires", "types de partenaires"),
    ("sortie_type", "type de sortie"), ("sortie_motif", "motif de sortie"),
    ("diagnostics", "diagnostics"), ("visites", "visites sur la période"),
    ("concertations", "concertations sur la période"),
]


def salt(root: Path) -> bytes:
    """Return the structure's secret salt; raise UsageError when `astre secret` was never run."""
    path = root / SALT_FILE
    try:
        value = read_bounded(path, SALT_MAX_BYTES, inside=root).decode("ascii").strip()
    except UnicodeDecodeError:
        value = ""
    except YamlError as e:
        if os.path.lexists(path):
            raise UsageError(f"{e.problem.location}: secret de pseudonymisation illisible : {e.problem.message} — "
                             "restaurez-le depuis l'historique (git checkout -- .astre-salt) ; s'il est perdu, "
                             "« astre secret --renouveler » en crée un autre (les pseudonymes changent)") from None
        value = ""
    if len(value) < 32:
        raise UsageError(f"{path} : secret de pseudonymisation absent ou trop court — lancez « {command('secret')} » "
                         "une fois, puis versionnez ce fichier avec les dossiers (ne l'envoyez jamais au Département)")
    return value.encode("ascii")


def create_salt(root: Path, renew: bool = False) -> Path:
    """Write a new random `.astre-salt`; refuse to replace an existing one unless `renew`."""
    from ..documents.writer import write_atomic

    path = root / SALT_FILE
    if path.exists() and not renew:
        raise UsageError(f"{path} existe déjà : le remplacer changerait tous les pseudonymes des exports "
                         "(ajoutez --renouveler si c'est voulu)")
    write_atomic(path, new_salt())
    return path


def new_salt() -> bytes:
    """Return the content of a new `.astre-salt`: 32 random bytes, in hexadecimal."""
    return (secrets.token_hex(32) + "\n").encode("ascii")


def pseudonym(case_id: str, key: bytes) -> str:
    """Return the stable pseudonym of a case: « M- » and 12 hex digits of its HMAC."""
    return "M-" + hmac.new(key, case_id.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def _amount(value: Any) -> float | None:
    return None if value is None else float(value)


def _month(day: Any) -> str:
    return day.strftime("%Y-%m") if day else ""


def rows(all_facts: list[Facts], period: Period, structure: str, key: bytes) -> list[dict[str, Any]]:
    """Return one row per measure in the report's scope, sorted by pseudonym."""
    label = f"{period.start.isoformat()}/{period.end.isoformat()}"
    years = f"{period.start.year}" if period.start.year == period.end.year else f"{period.start.year}-{period.end.year}"
    out = []
    for f in all_facts:
        if not f.in_scope(period):
            continue
        out.append({
            "structure": structure, "annee": years, "periode": label,
            "pseudonyme": pseudonym(f.id, key), "statut": f.statut,
            "mois_reperage": _month(f.reperage), "mois_saisine": _month(f.saisine), "mois_debut": _month(f.debut),
            "mois_sortie": _month(f.sortie), "duree_mois": f.duree_mois, "origine_type": f.origine_type,
            "mds": f.mds, "code_insee": f.code_insee, "perimetre": f.perimetre, "personnes": f.personnes,
            "tranche_age": f.tranche_age, "categorie_anah": f.categorie_anah, "tranche_revenus": f.tranche_revenus,
            "difficultes": ",".join(f.difficultes), "types_travaux": ",".join(sorted(set(f.postes_types))),
            "montant_prevu": _amount(f.montant_prevu), "montant_realise": _amount(f.montant_realise),
            "taux_variation": round(f.taux_variation * 100, 2) if f.taux_variation is not None else None,
            "travaux_termines": ("oui" if f.travaux_termines else "non") if f.travaux_realises else "",
            "postes_ajoutes": f.postes_ajoutes, "postes_abandonnes": f.postes_abandonnes,
            "avance_audit": _amount(f.avance_audit), "aides_nombre": sum(1 for a in f.aides if a[1] != "refusee"),
            "aides_total": float(f.aides_total), "aides_obtenues": float(f.aides_obtenues),
            "aides_refusees": float(sum(a[2] for a in f.aides if a[1] == "refusee")),
            "aides_types": ",".join(sorted({a[0] for a in f.aides})), "reste_a_charge": _amount(f.reste_a_charge),
            "satisfaction": f.satisfaction or "", "partenaires": ",".join(sorted(set(f.partenaires))),
            "sortie_type": f.sortie_type or "", "sortie_motif": f.sortie_motif or "",
            "diagnostics": ",".join(f"{kind}:{decision}" for kind, decision, _ in f.diagnostics),
            "visites": sum(1 for v in f.events["visites"] if v[0] in period),
            "concertations": sum(1 for c in f.events["concertations"] if c[0] in period),
        })
    return sorted(out, key=lambda r: r["pseudonyme"])


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def to_csv(table: list[dict[str, Any]]) -> bytes:
    """Return the CSV bytes (UTF-8 with BOM, `;`, decimal comma, CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([key for key, _ in COLUMNS])
    for row in table:
        writer.writerow([_csv_value(row[key]) for key, _ in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: list[dict[str, Any]], year: int, title: str, author: str) -> bytes:
    """Return the XLSX bytes: one sheet « mesures », a sheet « colonnes »; same input, same bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    sheet = book.active
    sheet.title = "mesures"
    sheet.append([key for key, _ in COLUMNS])
    for row in table:
        sheet.append([row[key] for key, _ in COLUMNS])
    sheet.freeze_panes = "A2"
    legend = book.create_sheet("colonnes")
    legend.append(["colonne", "signification"])
    for key, meaning in COLUMNS:
        legend.append([key, meaning])
    stamp = datetime(year, 12, 31)
    props = book.properties
    props.created = props.modified = stamp
    props.creator = props.lastModifiedBy = author
    props.title = title
    stream = io.BytesIO()
    archive = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(book, archive).save()  # not save_workbook(): it stamps `modified` with now()
    return _fixed_zip(stream.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member dates, so the bytes never depend on the clock."""
    from ..documents.writer import FixedZipWriter

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    target = FixedZipWriter(out)
    for info in source.infolist():
        target.add(info.filename, source.read(info.filename))
    target.close()
    return out.getvalue()
