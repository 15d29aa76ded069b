"""DOCX layout of the activity report and the funding statement (python-docx, tables only).

Same context as the PDF templates: this module only lays values out.
Bytes are reproducible (fixed core properties and zip dates via writer.docx_bytes).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..documents.writer import docx_bytes


def _new(context: dict[str, Any]) -> Any:
    doc = Document()
    section = doc.sections[0]  # A4, like the PDF (python-docx's default is US Letter)
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(18)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Liberation Sans", Pt(10)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "fr-FR")
    style.element.get_or_add_rPr().append(lang)
    s = context["structure"]
    head = doc.add_paragraph()
    head.add_run(s["nom"]).bold = True
    for line in s["adresse"]:
        head.add_run("\n" + line)
    contact = " — ".join(filter(None, [f"Tél. {s['telephone']}" if s.get("telephone") else "", s.get("courriel")]))
    if contact:
        head.add_run("\n" + contact)
    p = context["programme"]
    doc.add_paragraph(f"{p['financeur']} — {p['service']} — {p['nom']}")
    d = context["document"]
    doc.add_heading(d["titre"], level=0)
    doc.add_paragraph(f"Période du {d['debut']} au {d['fin']} — établi à {s['ville_signature']}, le {d['date']}")
    return doc


def _grid(doc: Any, header: list[str] | None, rows: list[list[str]]) -> None:
    table = doc.add_table(rows=0, cols=len(rows[0]) if rows else len(header or [1]))
    table.style = "Table Grid"
    for index, values in enumerate(([header] if header else []) + rows):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
            if header and index == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
    doc.add_paragraph()


def _finish(doc: Any, context: dict[str, Any], when: date) -> bytes:
    core = doc.core_properties
    core.created = core.modified = core.last_printed = datetime(when.year, when.month, when.day)
    core.revision = 1
    core.title = context["document"]["titre"][:255]
    core.author = core.last_modified_by = context["structure"]["nom"][:255]
    core.language = "fr-FR"
    return docx_bytes(doc)


def _transmission(doc: Any, block: dict[str, Any], title: str, note: str = "") -> None:
    """The documents due to the programme's service in the period: counts, then the late or missing ones."""
    doc.add_heading(title, level=1)
    if note:
        doc.add_paragraph(note)
    doc.add_paragraph(block["texte"])
    if block["lignes"]:
        _grid(doc, ["Documents dus sur la période", "À temps", "En retard", "Non transmis", "En attente"],
              [[r["type"], r["a_temps"], r["en_retard"], r["manquants"], r["en_attente"]] for r in block["lignes"]])
    if block["retards"]:
        _grid(doc, ["Mesure", "Document", "Limite", "Envoi", "Retard"],
              [[r["identifiant"], r["document"], r["echeance"], r["envoi"], r["retard"]] for r in block["retards"]])


def report_docx(context: dict[str, Any], when: date) -> bytes:
    """Return the activity report as DOCX bytes."""
    doc = _new(context)
    perimetre = context["perimetre"]
    doc.add_heading("Périmètre et qualité des données", level=1)
    doc.add_paragraph(f"Dossiers pris en compte : {perimetre['dossiers']} (repérés, déposés ou accompagnés sur la "
                      f"période), dont {perimetre['actifs']} mesure(s) active(s). Chaque indicateur précise les "
                      "dossiers sur lesquels il est calculé et combien n'ont pas la donnée (« non renseigné ») : "
                      "aucun dossier n'est écarté sans le dire.")
    doc.add_paragraph(perimetre["exclusions"]["texte"])
    doc.add_paragraph("Ce rapport ne contient aucune donnée personnelle : des effectifs, des catégories et des "
                      "extraits sans nom, adresse, commune, téléphone ni courriel des ménages.")
    doc.add_heading("Partie quantitative : les 13 indicateurs", level=1)
    for ind in context["indicateurs"]:
        doc.add_heading(f"Indicateur {ind['numero']} — {ind['titre']}", level=2)
        note = f"Calculé sur : {ind['population']}."
        if ind["non_renseigne"]:
            note += f" Non renseigné : {ind['non_renseigne']} dossier(s) ({ind['non_renseigne_quoi']})."
        doc.add_paragraph(note)
        if ind["chiffres"]:
            _grid(doc, None, [[label, value] for label, value in ind["chiffres"]])
        if ind["a_part"]:
            doc.add_paragraph(f"{ind['a_part']['titre']}. {ind['a_part']['note']}")
            _grid(doc, None, [[label, value] for label, value in ind["a_part"]["chiffres"]])
        if ind["financeurs"]:
            _grid(doc, ["Type de financeur", "Aides", "Demandées ou obtenues", "dont accordées ou versées",
                        "dont en cours", "Refusées"],
                  [[f["type"], f["nombre"], f["total"], f["obtenues"], f["en_cours"], f["refusees"]]
                   for f in ind["financeurs"]])
        for t in ind["tableaux"]:
            if t["note"]:
                doc.add_paragraph(f"{t['titre']} : {t['note']}")
            _grid(doc, [t["titre"], t["unite"], t["part_titre"]],
                  [[row["libelle"], str(row["nombre"]), row["part"]] for row in t["lignes"]]
                  + [[t["total_libelle"], str(t["total"]), ""]])
    service = context["programme"]["service_court"]
    _transmission(doc, context["transmission"], f"Transmission des documents au {service}")
    doc.add_heading("Partie qualitative", level=1)
    doc.add_paragraph("Les effectifs viennent des données codées des dossiers. Les extraits sont les mots des "
                      "référents (bilans, sorties, signalements, concertations de la période), tels qu'ils ont été "
                      "envoyés : un extrait qui "
                      "cite un nom, une adresse, une commune, un téléphone ou un courriel d'un ménage est "
                      "écarté, et compté.")
    for key, title in (("difficultes", "Difficultés rencontrées"), ("ruptures", "Ruptures de parcours"),
                       ("fins", "Fins de mesure"), ("coordination", "Coordinations mises en place")):
        doc.add_heading(title, level=2)
        for sentence in context["qualitatif"][key]:
            doc.add_paragraph(sentence)
        quotes = context["extraits"][key]
        if quotes["textes"]:
            doc.add_paragraph("Dans les mots des référents :")
            for text in quotes["textes"]:
                doc.add_paragraph(f"« {text} »", style="List Bullet")
        if quotes["ecartes"]:
            doc.add_paragraph(quotes["ecartes_texte"])
    return _finish(doc, context, when)


def funding_docx(context: dict[str, Any], when: date) -> bytes:
    """Return the funding statement as DOCX bytes."""
    doc = _new(context)
    t = context["totaux"]
    doc.add_paragraph(context["exclusions"]["texte"])
    doc.add_paragraph("Les mesures sont désignées par leur référence SPSLH (décision de validation) ; à défaut, par "
                      "l'identifiant du dossier.")
    if context["convention"]:
        doc.add_heading("Convention et avance", level=1)
        _grid(doc, None, [[label, value] for label, value in context["convention"]])
        for note in context["avance_notes"]:
            doc.add_paragraph(note)
    if context["periode_note"]:
        doc.add_paragraph(context["periode_note"])
    doc.add_heading("Service fait", level=1)
    doc.add_paragraph("Une mesure est comptée pour chaque mois de mesure entamé dans la période (sans prorata), "
                      "jusqu'à sa sortie ; les diagnostics comptés sont ceux accordés par le Département.")
    _grid(doc, ["Mois", "Mesures", "Montant"], [[m["mois"], m["mesures"], m["montant"]] for m in context["mois"]]
          + [[f"Total : {t['mois']} mois de mesure × {t['tarif']}", t["mois"], t["mesures"]]])
    doc.add_heading("Détail par mesure", level=2)
    if context["mesures"]:
        _grid(doc, ["Mesure", "Premier mois compté", "Dernier mois compté", "Mois", "Montant"],
              [[m["identifiant"], m["du"], m["au"], m["mois"], m["montant"]] for m in context["mesures"]])
    if context["non_facturables"]:
        doc.add_heading("Mesures non facturées", level=2)
        doc.add_paragraph("Une mesure que le comité de validation n'a pas validée n'est jamais facturée.")
        _grid(doc, ["Mesure", "Motif"], [[m["identifiant"], m["motif"]] for m in context["non_facturables"]])
    visits = context["visites"]
    doc.add_heading("Mois facturés sans le minimum de visites", level=2)
    doc.add_paragraph(visits["regle"])
    doc.add_paragraph(visits["texte"])
    if visits["lignes"]:
        _grid(doc, ["Mesure", "Mois de mesure", "Rencontres", "dont à domicile"],
              [[v["identifiant"], v["mois"], v["rencontres"], v["domicile"]] for v in visits["lignes"]])
    doc.add_heading("Diagnostics de faisabilité accordés", level=2)
    if context["diagnostics"]:
        _grid(doc, ["Mesure", "Type", "Date", "Montant"],
              [[d["identifiant"], d["type"], d["date"], d["montant"]] for d in context["diagnostics"]])
    else:
        doc.add_paragraph("Aucun diagnostic accordé sur la période.")
    _transmission(doc, context["transmission"], "Transmission des bilans et documents",
                  "Le solde est versé « sous réserve … de la transmission des différents bilans dans les délais "
                  "impartis ».")
    doc.add_heading("Récapitulatif", level=1)
    _grid(doc, None, [[r["libelle"], r["montant"]] for r in context["recapitulatif"]])
    doc.add_paragraph(f"Fait à {context['structure']['ville_signature']}, le {context['document']['date']}.")
    return _finish(doc, context, when)
