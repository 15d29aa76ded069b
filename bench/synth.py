"""Synthetic ASTRE cases for benchmarks: valid, varied, realistic sizes.

Other benches import it::

    sys.path.insert(0, str(Path(__file__).parent))
    from synth import make_cases
    root = make_cases(tmp / "projet", 1000)

Every case has the ten files (sortie.yaml left as a comment while the measure
runs), about 25 visits, 4 postes de travaux, 4 aides, and reviews and an exit
when its dates call for them. `astre check --date 2026-11-22` finds no error.
"""

from __future__ import annotations

import calendar
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)
try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

PRENOMS = ["Josiane", "Michel", "Monique", "Gérard", "Nadine", "Alain", "Sylvie", "Bernard", "Chantal", "Patrick"]
NOMS = ["Lefebvre", "Dumont", "Caron", "Leroy", "Lemaire", "Duhamel", "Delattre", "Vasseur", "Lecomte", "Fournier"]
COMMUNES = [("Frévent", "62361", "Montreuillois-Ternois"), ("Bapaume", "62080", "Arrageois"),
            ("Hesdin", "62447", "Montreuillois-Ternois"), ("Lens", "62498", "Lens-Liévin"),
            ("Calais", "62193", "Calaisis"), ("Saint-Pol-sur-Ternoise", "62767", "Montreuillois-Ternois")]
POSTES = [("Isolation des combles perdus", "energetique"), ("Pompe à chaleur air-eau", "energetique"),
          ("Remplacement des menuiseries", "energetique"), ("Isolation des murs par l'extérieur", "energetique"),
          ("Douche de plain-pied", "adaptation_vieillissement"), ("Mise en sécurité électrique", "habitat_indigne")]
AIDES = [("ANAH – MaPrimeRénov'", "anah"), ("Département – fonds FSL travaux", "fsl"),
         ("CARSAT – aide habitat", "caisse_retraite"), ("Commune – aide à l'amélioration", "commune")]
OBJETS = ["Point budget et courrier", "Visite technique avec le MAR", "Lecture des devis", "Dossier d'aide ANAH",
          "Préparation du bilan", "Suivi du chantier", "Relevé des consommations d'énergie"]


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def iso(day: date) -> str:
    return day.isoformat()


def make_case(case_id: str, rng: random.Random) -> dict[str, dict | None]:
    """Return the ten files of one valid case (None: file left as a comment)."""
    start = date(2025, 11, 1) + timedelta(days=rng.randrange(0, 330))
    end_planned = add_months(start, 12) - timedelta(days=1)
    broken = rng.random() < 0.1 and add_months(start, 3) < TODAY
    if broken:
        exit_day = add_months(start, rng.randrange(2, 4)) + timedelta(days=rng.randrange(0, 20))
        exit_day = min(exit_day, TODAY - timedelta(days=3))
    elif end_planned < TODAY:
        exit_day = end_planned
    else:
        exit_day = None
    last_day = min(exit_day or TODAY, TODAY - timedelta(days=1))
    name, (commune, insee, mds) = rng.choice(NOMS), rng.choice(COMMUNES)
    persons = rng.randint(1, 6)
    saisine = start - timedelta(days=rng.randrange(40, 70))
    mesure = {
        "identifiant": case_id, "referent": "Claire Martin",
        "statut": "rompue" if broken else "terminee" if exit_day else "en_cours",
        "dates": {"reperage": iso(saisine - timedelta(days=20)), "saisine": iso(saisine),
                  "validation": iso(saisine + timedelta(days=25)), "debut": iso(start), "fin_prevue": iso(end_planned)},
        "origine": {"structure": f"MDS {mds} — SLISL", "type": rng.choice(["mds_slisl", "ccas", "operateur_anah"])},
        "territoire": {"mds": mds, "commune": commune, "code_insee": insee,
                       "perimetre": rng.choice(["opah", "pig", "diffus"])},
        "partenaires": [{"nom": "Soliha Pas-de-Calais", "type": "habitat_technique", "role": "MAR, audit"},
                        {"nom": f"CCAS de {commune}", "type": "social", "role": "aide facultative"}],
        "mon_accompagnateur_renov": "Soliha Pas-de-Calais",
    }
    members = [{"prenom": rng.choice(PRENOMS), "nom": name, "lien": "demandeur" if k == 0 else "enfant",
                "date_naissance": iso(date(1940 + rng.randrange(40) if k == 0 else 1990 + rng.randrange(20), 3, 9))}
               for k in range(persons)]
    menage = {
        "designation": f"M. ou Mme {name}",
        "adresse": {"rue": f"{rng.randint(1, 90)} rue du Calvaire", "code_postal": insee[:2] + "000",
                    "commune": commune},
        "telephone": "06 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)),
        "membres": members,
        "ressources": [{"nature": "retraite", "montant_mensuel": round(rng.uniform(700, 1100), 2)},
                       {"nature": "aide_logement", "montant_mensuel": 0}],
        "revenu_fiscal_reference": {"annee_revenus": saisine.year - 1, "montant": 9000 + rng.randrange(0, 7000)},
        "charges": [{"nature": "energie", "libelle": "fioul", "montant_mensuel": 150},
                    {"nature": "assurance", "montant_mensuel": 31.5}],
        "dettes": [{"creancier": "Fournisseur d'énergie", "nature": "energie", "montant": 640, "plan_apurement": True}],
        "situation": {"sante": "Suivi régulier par le médecin traitant.", "mobilite": "reduite",
                      "protection_juridique": "aucune", "isolement": rng.random() < 0.5},
        "difficultes_precisions": "Chauffe une seule pièce ; pas d'accès à internet.\n" * 3,
    }
    logement = {"type": "maison_individuelle", "annee_construction": 1900 + rng.randrange(80),
                "surface_habitable": rng.randrange(55, 110), "dpe_avant": {"classe": rng.choice("FG")},
                "chauffage": {"energie": rng.choice(["fioul", "electricite", "charbon"])},
                "insalubrite": {"nature": "aucune"},
                "etat": "Maison de briques non isolée, menuiseries simple vitrage, toiture à reprendre."}
    postes = []
    for title, kind in rng.sample(POSTES, 4):
        postes.append({"intitule": title, "type": kind, "prevu_a_la_saisine": rng.random() < 0.8,
                       "montant_prevu": rng.randrange(1500, 15000), "statut": "devis_recu",
                       "entreprise": {"nom": "Artois Rénovation", "rge": True},
                       "date_devis": iso(min(start + timedelta(days=rng.randrange(20, 60)), last_day))})
    travaux = {"postes": postes, "relogement": "Pas de relogement : travaux pièce par pièce."}
    amounts = [rng.randrange(500, 15000) for _ in AIDES]
    rest = rng.randrange(0, 4000)
    financement = {
        "cout_total": sum(amounts) + rest,
        "aides": [{"financeur": f, "type_financeur": t, "montant": m, "statut": "demandee",
                   "date_demande": iso(min(start + timedelta(days=30), last_day))}
                  for (f, t), m in zip(AIDES, amounts, strict=True)],
        "reste_a_charge": rest,
    }
    visits = []
    months = 0
    while months < 12 and add_months(start, months) <= last_day:
        first = add_months(start, months)
        for k, place in enumerate(("domicile", rng.choice(["domicile", "bureau", "permanence"]))):
            day = first + timedelta(days=3 + 12 * k + rng.randrange(0, 4))
            if day <= last_day:
                visits.append({"date": iso(day), "lieu": place, "objet": rng.choice(OBJETS), "avec_mar": k == 1})
        months += 1
    suivi = {"visites": visits,
             "concertations": [{"date": iso(start + timedelta(days=10)), "participants": ["Soliha", "CCAS"],
                                "objet": "Tour de table des financements."}]}
    contrat = {"objectifs": ["Sortir le logement de l'étiquette F ou G.", "Boucler le plan de financement."],
               "etapes": [{"intitule": "Audit énergétique", "echeance": iso(add_months(start, 2))}],
               "engagements_menage": ["Recevoir la référente deux fois par mois."],
               "date_signature": iso(start + timedelta(days=7)), "date_envoi_spslh": iso(start + timedelta(days=14))}
    diagnostics = {"demandes": [{"type": "simple", "date_demande": iso(start + timedelta(days=5)),
                                 "justification": "Faisabilité juridique à établir (indivision).",
                                 "decision": "accordee", "date_decision": iso(start + timedelta(days=20))}]
                   if rng.random() < 0.3 else []}
    reviews = []
    for month in (3, 6, 9):
        due = add_months(start, month)
        if due < last_day and not (exit_day and exit_day <= due):
            reviews.append(_review(f"{month}_mois", due, True))
    sortie = None
    if exit_day:
        reviews.append(_review("final", exit_day, False))
        if broken:  # a measure broken off says why in its final review (rules: motifs_echec)
            reviews[-1]["motifs_echec"] = "Perte de contact avec le ménage."
        sortie = {"date": iso(exit_day), "type": "rupture" if broken else "fin",
                  "motif": "perte_de_contact" if broken else "fin_de_mesure",
                  "explication": "Mesure close ; signalement envoyé au SPSLH.",
                  "date_signalement_spslh": iso(min(exit_day + timedelta(days=2), TODAY))}
    return {"mesure": mesure, "menage": menage, "logement": logement, "travaux": travaux,
            "financement": financement, "suivi": suivi, "contrat": contrat, "diagnostics": diagnostics,
            "bilans": {"bilans": reviews}, "sortie": sortie}


def _review(key: str, day: date, go_on: bool) -> dict:
    return {"echeance": key, "date": iso(day), "date_envoi_spslh": iso(min(day + timedelta(days=2), TODAY)),
            "effets": "Le ménage ouvre son courrier avec la référente.", "difficultes": "Délais des entreprises.",
            "avancement_travaux": "Devis reçus.", "point_financement": "Demandes déposées.",
            "poursuite": go_on, "conclusion": "Poursuite de l'accompagnement." if go_on else "Fin de la mesure."}


def make_cases(root: Path, n: int, seed: int = 0) -> Path:
    """Write astre.yaml, a pseudonym secret and `n` synthetic valid cases under `root/cases`; return `root`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    (root / ".astre-salt").write_text(f"{seed:064x}\n")  # the pseudonym secret `astre secret` would create
    cases = root / "cases"
    cases.mkdir(exist_ok=True)
    rng = random.Random(seed)
    for index in range(n):
        case_id = f"synth-{index:04d}"
        folder = cases / case_id
        folder.mkdir(exist_ok=True)
        for name, data in make_case(case_id, rng).items():
            head = f"# yaml-language-server: $schema=../../schemas/{name}.schema.json\n"
            body = ("# Pas de sortie : mesure en cours.\n" if data is None else
                    yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100))
            (folder / f"{name}.yaml").write_text(head + body, encoding="utf-8")
    return root


if __name__ == "__main__":
    import sys

    target = make_cases(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "_work" / "synth",
                        int(sys.argv[2]) if len(sys.argv) > 2 else 10)
    print(target)
