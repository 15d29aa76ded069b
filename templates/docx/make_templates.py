"""Create the DOCX templates (docxtpl syntax) of templates/docx/ with python-docx.

The .docx files it writes are the real templates: a structure may open them in
Word or LibreOffice, restyle them and keep them in its own templates folder.
Run again after changing this script:  .venv/bin/python templates/docx/make_templates.py
Values come from the render context (generator/documents/context.py), already formatted.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from generator.documents.writer import docx_bytes

HERE = Path(__file__).resolve().parent
OUTPUT = HERE  # `make_templates.py <dossier>` writes there instead (a test compares with the committed files)
FONT = "Liberation Sans"
BLUE = RGBColor(0x1F, 0x4E, 0x79)
LANG = "fr-FR"
# Columns holding amounts: right-aligned, as in the PDF (td.montant).
AMOUNT_HEADERS = {"Montant", "Montant estimé", "Montant prévu", "Montant retenu", "Mensualité", "Prévu", "Réalisé"}
THEME_FONTS = re.compile(rb' w:(?:ascii|hAnsi|eastAsia|cs)[Tt]heme="[^"]*"')


def _font(style, size: float | None = None, bold: bool | None = None, color: RGBColor | None = None) -> None:
    style.font.name = FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color


def new_document():
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(18), Mm(20)
    _font(doc.styles["Normal"], 10)
    for name, size in (("Title", 16), ("Heading 1", 12), ("Heading 2", 10.5)):
        _font(doc.styles[name], size, True, BLUE)
    _font(doc.styles["Table Grid"])
    _font(doc.styles["List Bullet"])
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].paragraph_format.keep_with_next = True  # a heading never ends a page
    _french_and_liberation(doc)
    core = doc.core_properties
    core.author = core.last_modified_by = "astre"
    core.title, core.comments, core.keywords, core.subject = "", "", "", ""
    return doc


def _french_and_liberation(doc) -> None:
    """French everywhere, and Liberation Sans written out in every style (no theme font to fall back to)."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.find(qn("w:lang")).set(qn("w:val"), LANG)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), LANG)
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in list(fonts.attrib):
            if attr.endswith("Theme") or attr.endswith("theme"):
                del fonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:val"), LANG)
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), LANG)
    for part in doc.part.package.parts:
        name = str(part.partname)
        if name == "/word/stylesWithEffects.xml":  # Word 2010's copy of the styles
            part._blob = THEME_FONTS.sub(b"", part.blob).replace(b'w:val="en-US" w:eastAsia="en-US"',
                                                                  b'w:val="fr-FR" w:eastAsia="fr-FR"')
            part._blob = part._blob.replace(b"<w:rFonts/>", b"")
        elif name == "/docProps/app.xml":
            part._blob = re.sub(rb"<Application>[^<]*</Application>", b"<Application>astre</Application>", part.blob)


def _field(paragraph, instruction: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) to `paragraph`: Word and LibreOffice compute it."""
    for kind, text in (("begin", None), (None, f" {instruction} "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "1":
            run.text = text
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def _cant_split(row, keep_with_next: bool = False, header: bool = False) -> None:
    """A table row stays whole on one page; `keep_with_next` also keeps it with the following row."""
    props = row._tr.get_or_add_trPr()
    props.append(OxmlElement("w:cantSplit"))
    if header:
        props.append(OxmlElement("w:tblHeader"))  # repeated at the top of each page
    if keep_with_next:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


class Builder:
    """A tiny writer of docxtpl templates: paragraphs, loops, conditions, tables."""

    def __init__(self) -> None:
        self.doc = new_document()
        self.footer()

    def footer(self) -> None:
        """« Titre — ménage — dossier — page N / M », like the PDF's page footer."""
        para = self.doc.sections[0].footer.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run("{{ document.titre }} — {{ menage.designation }} — dossier {{ mesure.identifiant }} — page ")
        run.font.size = Pt(8)
        _field(para, "PAGE")
        para.add_run(" / ").font.size = Pt(8)
        _field(para, "NUMPAGES")
        for r in para.runs:
            r.font.size = Pt(8)

    def p(self, text: str, style: str | None = None, bold: bool = False) -> None:
        para = self.doc.add_paragraph(style=style)
        run = para.add_run(text)
        run.bold = bold

    def h(self, text: str, level: int = 1) -> None:
        self.doc.add_paragraph(text, style=f"Heading {level}")

    def tag(self, text: str) -> None:
        self.doc.add_paragraph(f"{{%p {text} %}}")

    def bullets(self, loop: str, item: str) -> None:
        self.tag(f"for {loop}")
        self.doc.add_paragraph(item, style="List Bullet")
        self.tag("endfor")

    def if_p(self, condition: str, text: str, style: str | None = None) -> None:
        self.tag(f"if {condition}")
        self.p(text, style)
        self.tag("endif")

    def fields(self, rows: list[tuple[str, str]]) -> None:
        table = self.doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in rows:
            row = table.add_row()
            cells = row.cells
            cells[0].paragraphs[0].add_run(label).bold = True
            cells[1].paragraphs[0].add_run(value)
            cells[0].width, cells[1].width = Mm(55), Mm(119)
            _cant_split(row)
        self.doc.add_paragraph()

    def table(self, headers: list[str], loop: str, cells: list[str], totals: list[list[str]] = ()) -> None:
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        amounts = [header in AMOUNT_HEADERS for header in headers]
        for cell, text in zip(table.rows[0].cells, headers):
            cell.paragraphs[0].add_run(text).bold = True
        _cant_split(table.rows[0], keep_with_next=True, header=True)
        table.add_row().cells[0].text = f"{{%tr for {loop} %}}"
        row = table.add_row()
        for cell, text in zip(row.cells, cells):
            cell.text = text
        # With totals, the rows keep with the next one: the totals never start a page alone.
        _cant_split(row, keep_with_next=bool(totals))
        table.add_row().cells[0].text = "{%tr endfor %}"
        for index, total in enumerate(totals):
            row = table.add_row()
            for cell, text in zip(row.cells, total):
                cell.paragraphs[0].add_run(text).bold = True
            _cant_split(row, keep_with_next=index < len(totals) - 1)
        for row in table.rows:
            for cell, amount in zip(row.cells, amounts):
                if amount:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.doc.add_paragraph()

    def letterhead(self) -> None:
        table = self.doc.add_table(rows=1, cols=3)
        logo, structure, recipient = table.rows[0].cells
        logo.text = "{% if structure.logo %}{{ logo_image }}{% endif %}"
        logo.width, structure.width, recipient.width = Mm(25), Mm(85), Mm(64)
        _cant_split(table.rows[0])
        structure.paragraphs[0].add_run("{{ structure.nom }}").bold = True
        structure.add_paragraph("{% for ligne in structure.adresse %}{{ ligne }} {% endfor %}")
        structure.add_paragraph("{% if structure.telephone %}Tél. {{ structure.telephone }}{% endif %}"
                                "{% if structure.courriel %} — {{ structure.courriel }}{% endif %}")
        recipient.text = "{{ programme.financeur }}"
        recipient.add_paragraph("{{ programme.service }}")
        recipient.add_paragraph("{{ programme.nom }}")
        self.doc.add_paragraph("{{ document.titre }}", style="Title")
        self.p("{{ structure.ville_signature }}, le {{ document.date }} — référent·e : {{ mesure.referent }} — "
               "dossier {{ mesure.identifiant }}")
        self.p("Destinataires : {{ document.destinataires }}.")

    def financing(self) -> None:
        self.h("Plan de financement")
        self.table(["Financeur", "Nature", "Statut", "Montant"], "aide in financement.aides",
                   ["{{ aide.financeur }}", "{{ aide.type }}", "{{ aide.statut }}", "{{ aide.montant }}"],
                   [["Total des aides (hors aides refusées ou annulées)", "", "", "{{ financement.total_aides }}"]])
        self.h("Équilibre du plan à la date du document", 2)
        self.table(["Équilibre", "Montant"], "ligne in financement.equilibre",
                   ["{{ ligne.libelle }}", "{{ ligne.montant }}"])
        self.tag("if financement.prets")
        self.h("Prêts", 2)
        self.table(["Organisme", "Nature", "Statut", "Montant", "Mensualité"], "pret in financement.prets",
                   ["{{ pret.organisme }}", "{{ pret.nature }}", "{{ pret.statut }}", "{{ pret.montant }}",
                    "{{ pret.mensualite }}"])
        self.tag("endif")
        self.if_p("financement.avance_audit", "Avance de l'audit énergétique : {{ financement.avance_audit.montant }} "
                  "par {{ financement.avance_audit.financeur }}{% if financement.avance_audit.date %} le "
                  "{{ financement.avance_audit.date }}{% endif %}.")

    def review(self) -> None:
        self.h("Le ménage et la mesure")
        self.fields([("Ménage", "{{ menage.designation }}, {{ menage.adresse }}"),
                     ("Début de la mesure", "{{ mesure.dates.debut }}"),
                     ("Date du bilan", "{{ bilan.date }} (mois {{ bilan.mois_mesure }} de la mesure)"),
                     ("Période couverte", "du {{ bilan.periode_debut }} au {{ bilan.periode_fin }}"),
                     ("Structure à l'origine", "{{ mesure.origine.structure }}")])
        self.h("Effets de l'accompagnement")
        self.p("{{ bilan.effets }}")
        self.h("Difficultés rencontrées")
        self.p("{{ bilan.difficultes }}")
        self.tag("if bilan.motifs_echec")
        self.h("Motifs d'échec", 2)
        self.p("{{ bilan.motifs_echec }}")
        self.tag("endif")
        self.h("Avancement des travaux")
        self.p("{{ bilan.avancement_travaux }}")
        self.if_p("travaux.relogement", "Relogement pendant les travaux : {{ travaux.relogement }}")
        self.tag("if not bilan.final")  # the final review has its own planned-vs-done table
        self.table(["Poste", "Type", "Statut", "Montant retenu"], "poste in travaux.postes",
                   ["{{ poste.intitule }}", "{{ poste.type }}", "{{ poste.statut }}", "{{ poste.montant_retenu }}"],
                   [["Total (hors postes abandonnés non facturés)", "", "", "{{ travaux.total_retenu }}"]])
        self.tag("endif")
        self.financing()
        self.p("{{ bilan.point_financement }}")
        self.h("Visites de la période")
        self.p("{{ bilan.rencontres }}, dont {{ bilan.nombre_domicile }} à domicile (minimum du "
               "programme : {{ programme.visites_minimum }} par mois, dont {{ programme.visites_domicile }} à domicile).")
        self.tag("if bilan.mois")
        self.table(["Mois de la mesure", "Période", "Rencontres", "À domicile", "Minimum respecté"], "m in bilan.mois",
                   ["{{ m.numero }}", "du {{ m.du }} au {{ m.au }}", "{{ m.rencontres }}", "{{ m.domicile }}",
                    "{{ m.conforme }}"])
        self.tag("endif")
        self.h("Concertations de la période")
        self.bullets("c in bilan.concertations", "{{ c.date }}{% if c.participants %}, avec {{ c.participants }}"
                     "{% endif %} : {{ c.objet }}")
        self.if_p("not bilan.concertations", "Aucune concertation sur la période.")
        self.h("Demandes de diagnostic de la période")
        self.bullets("d in bilan.diagnostics", "Demande de diagnostic {{ d.type }} du {{ d.date_demande }} : "
                     "{{ d.reponse }}.")
        self.if_p("not bilan.diagnostics", "Aucune demande de diagnostic sur la période.")
        # Still literal, like « Signalé au SPSLH le » below: a Jinja tag in a run without one makes docxtpl
        # add xml:space="preserve" to it, which changes the bytes (not the text) of every document already
        # made. {{ programme.service_court }} here is the fix once a change of those bytes is accepted.
        self.h("Changements signalés au SPSLH")
        self.bullets("s in bilan.signalements", "{{ s.date }} — {{ s.nature }} : {{ s.description }} "
                     "({{ s.signale }})")
        self.if_p("not bilan.signalements", "Aucun changement signalé sur la période.")

    def save(self, name: str) -> None:
        # Fixed dates and zip order: running the script twice gives the same bytes (no Git noise).
        core = self.doc.core_properties
        core.created = core.modified = core.last_printed = datetime(2026, 1, 1, tzinfo=timezone.utc)
        core.revision = 1
        (OUTPUT / name).write_bytes(docx_bytes(self.doc))


def fiche_saisine() -> None:
    b = Builder()
    b.letterhead()
    b.h("Origine de la demande")
    b.fields([("Structure à l'origine", "{{ mesure.origine.structure }} ({{ mesure.origine.type }})"
               "{% if mesure.origine.contact %} — {{ mesure.origine.contact }}{% endif %}"),
              ("Date de repérage", "{{ mesure.dates.reperage }}"),
              ("Territoire", "MDS {{ mesure.territoire.mds }}, commune de {{ mesure.territoire.commune }}"),
              ("Périmètre", "{{ mesure.territoire.perimetre }}{% if mesure.territoire.nom_perimetre %} "
               "({{ mesure.territoire.nom_perimetre }}){% endif %}")])
    b.h("Situation du ménage")
    b.fields([("Ménage", "{{ menage.designation }}"), ("Adresse", "{{ menage.adresse }}"),
              ("Téléphone", "{{ menage.telephone }}"), ("Composition", "{{ menage.composition }}")])
    b.table(["Prénom et nom", "Lien", "Naissance", "Âge", "Situation"], "p in menage.membres",
            ["{{ p.prenom }} {{ p.nom }}", "{{ p.lien }}", "{{ p.date_naissance }}", "{{ p.age }}", "{{ p.situation }}"])
    b.h("Ressources mensuelles", 2)
    b.table(["Nature", "Bénéficiaire", "Montant"], "r in menage.ressources",
            ["{{ r.nature }}", "{{ r.beneficiaire }}", "{{ r.montant }}"], [["Total", "", "{{ menage.total_ressources }}"]])
    b.fields([("Revenu fiscal de référence", "{{ menage.rfr.montant }} (revenus {{ menage.rfr.annee }})"),
              ("Catégorie ANAH", "{{ menage.categorie }}"),
              ("Charges mensuelles", "{{ menage.total_charges }}"), ("Dettes", "{{ menage.total_dettes }}"),
              ("Mobilité", "{{ menage.mobilite }}"), ("Protection juridique", "{{ menage.protection_juridique }}"),
              ("Isolement", "{{ menage.isolement }}"), ("Public du PDALHPD", "{{ menage.public_pdalhpd }}")])
    b.if_p("menage.sante", "Santé : {{ menage.sante }}")
    b.h("Difficultés repérées", 2)
    b.bullets("d in menage.difficultes", "{{ d }}")
    b.if_p("menage.difficultes_precisions", "{{ menage.difficultes_precisions }}")
    b.h("Le logement")
    b.fields([("Statut d'occupation", "{{ logement.statut_occupation }}"),
              ("Type", "{{ logement.type }}, {{ logement.construction }}, {{ logement.surface }}"),
              ("Étiquette énergie", "{{ logement.dpe_avant }}{% if logement.dpe_avant_date %} (diagnostic du "
               "{{ logement.dpe_avant_date }}){% endif %}"),
              ("Chauffage", "{{ logement.chauffage }}{% if logement.chauffage_description %} — "
               "{{ logement.chauffage_description }}{% endif %}"),
              ("Indignité", "{{ logement.insalubrite }}{% if logement.insalubrite_description %} — "
               "{{ logement.insalubrite_description }}{% endif %}")])
    b.p("{{ logement.etat }}")
    b.h("Projet d'intervention")
    b.h("Travaux envisagés", 2)
    b.table(["Poste", "Type", "Montant estimé"], "poste in travaux.postes",
            ["{{ poste.intitule }}", "{{ poste.type }}", "{{ poste.montant_retenu }}"],
            [["Total", "", "{{ travaux.total_retenu }}"]])
    b.if_p("travaux.relogement", "Relogement pendant les travaux : {{ travaux.relogement }}")
    b.h("Objectifs de l'accompagnement", 2)
    b.tag("if mesure.projet.objectifs")
    b.bullets("o in mesure.projet.objectifs", "{{ o }}")
    b.tag("elif contrat.objectifs")
    b.bullets("o in contrat.objectifs", "{{ o }}")
    b.tag("else")
    b.p("À définir avec le ménage lors du contrat.")
    b.tag("endif")
    b.tag("if mesure.projet.etapes")
    b.h("Étapes prévues", 2)
    b.bullets("e in mesure.projet.etapes", "{{ e }}")
    b.tag("endif")
    b.h("Partenaires", 2)
    b.p("Opérateur technique (MAR) : {{ mesure.mar }}")
    b.bullets("p in mesure.partenaires", "{{ p.nom }} : {{ p.type }}{% if p.role %} — {{ p.role }}{% endif %} ({{ p.periode }})")
    b.h("Diagnostics demandés", 2)
    b.tag("if diagnostics")
    b.bullets("d in diagnostics", "Diagnostic {{ d.type }} demandé le {{ d.date_demande }}")
    b.tag("else")
    b.p("Aucun diagnostic demandé à cette date.")
    b.tag("endif")
    b.tag("if financement.present")
    b.financing()
    b.tag("endif")
    b.h("Intérêt des travaux pour le projet de vie du ménage", 2)
    b.p("{{ travaux.projet_de_vie }}")
    b.save("fiche-saisine.docx")


def contrat() -> None:
    b = Builder()
    b.letterhead()
    b.p("Entre {{ menage.designation }}, {{ menage.adresse }}, ci-après « le ménage », et {{ structure.nom }}, "
        "ci-après « l'association », dans le cadre du programme {{ programme.nom }} financé par le "
        "{{ programme.financeur }}.")
    b.h("But de l'accompagnement")
    b.bullets("o in contrat.objectifs", "{{ o }}")
    b.h("Étapes")
    b.table(["Étape", "Échéance"], "e in contrat.etapes", ["{{ e.intitule }}", "{{ e.echeance }}"])
    b.h("Engagements du ménage")
    b.bullets("e in contrat.engagements_menage", "{{ e }}")
    b.h("Engagements de l'association")
    b.bullets("e in contrat.engagements_structure", "{{ e }}")
    b.h("Modalités")
    b.p("L'accompagnement dure {{ programme.duree_mois }} mois, du {{ mesure.dates.debut }} au "
        "{{ mesure.dates.fin_prevue }}. Les rencontres ont lieu au moins {{ programme.visites_minimum }} fois par mois, "
        "dont au moins {{ programme.visites_domicile }} au domicile du ménage. Des bilans intermédiaires sont établis à "
        "{{ programme.bilans_mois }} mois si nécessaire, et un bilan final en fin de mesure. {% if bilans.destinataires "
        "%}Les bilans sont partagés avec {{ bilans.destinataires }}.{% else %}Les bilans intermédiaires sont partagés "
        "avec {{ bilans.destinataires_intermediaires }} ; le bilan final avec {{ bilans.destinataires_final }}."
        "{% endif %} Tout changement de situation est signalé sans délai.")
    b.p("Référent·e : {{ mesure.referent }}.{% if mesure.mar %} Mon Accompagnateur Rénov' : {{ mesure.mar }}.{% endif %}")
    b.p("Fait à {{ structure.ville_signature }}, le {{ contrat.date_signature }}.{% if contrat.date_envoi_spslh %} "
        "Contrat envoyé au {{ programme.service_court }} le {{ contrat.date_envoi_spslh }}.{% endif %}")
    # The signatures stay on the page of the terms they sign (never alone on page 2).
    for paragraph in b.doc.paragraphs[-3:]:  # the terms, the référent, « Fait à … »
        paragraph.paragraph_format.keep_with_next = True
    table = b.doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    _cant_split(table.rows[0])
    for cell, who, name in zip(table.rows[0].cells, ("Pour le ménage", "Pour l'association"),
                               ("{{ menage.designation }}", "{{ structure.nom }}")):
        cell.paragraphs[0].add_run(who).bold = True
        cell.add_paragraph(name)
        cell.add_paragraph("")
        cell.add_paragraph("Signature :")
        cell.add_paragraph("")
        cell.add_paragraph("")
    b.save("contrat.docx")


def bilan_intermediaire() -> None:
    b = Builder()
    b.letterhead()
    b.p("Bilan à {{ bilan.echeance }}.")
    b.review()
    b.h("Conclusion")
    b.p("Décision : {{ bilan.poursuite }}.", bold=True)
    b.p("{{ bilan.conclusion }}")
    b.if_p("bilan.date_envoi_spslh", "Bilan envoyé au {{ programme.service_court }} le {{ bilan.date_envoi_spslh }}.")
    b.save("bilan-intermediaire.docx")


def bilan_final() -> None:
    b = Builder()
    b.letterhead()
    b.p("Bilan de fin de mesure.")
    b.review()
    b.h("Travaux prévus et réalisés")
    b.table(["Poste", "Prévu à la saisine", "Statut", "Prévu", "Réalisé"], "poste in travaux.postes",
            ["{{ poste.intitule }}", "{{ poste.prevu_a_la_saisine }}", "{{ poste.statut }}", "{{ poste.montant_prevu }}",
             "{{ poste.montant_realise }}"],
            [["Travaux prévus à la saisine / réalisés{% if travaux.taux_non_calcule %} à ce jour{% endif %}", "", "",
              "{{ travaux.total_prevu_saisine }}",
              "{{ travaux.total_realise }}"]])
    b.p("Taux de variation entre travaux prévus à la saisine et travaux réalisés : {% if travaux.taux_non_calcule %}"
        "non calculé, {{ travaux.taux_non_calcule }}{% else %}{{ travaux.taux_variation }}{% endif %}.")
    b.p("Étiquette énergie (DPE) : {{ logement.dpe_avant }} avant travaux{% if logement.dpe_avant_date %} (diagnostic "
        "du {{ logement.dpe_avant_date }}){% endif %}{% if logement.dpe_apres %} → {{ logement.dpe_apres }} après "
        "travaux{% if logement.dpe_apres_date %} (diagnostic du {{ logement.dpe_apres_date }}){% endif %}{% else %} ; "
        "pas de diagnostic après travaux{% endif %}.")
    b.if_p("travaux.reception", "Réception des travaux le {{ travaux.reception }}.{% if travaux.reserves %} "
           "Réserves : {{ travaux.reserves }}{% endif %}")
    b.h("Satisfaction du ménage")
    b.p("{{ bilan.satisfaction }}")
    b.if_p("bilan.satisfaction_commentaire", "{{ bilan.satisfaction_commentaire }}")
    b.h("Sortie de la mesure")
    b.fields([("Date", "{{ sortie.date }}"), ("Type", "{{ sortie.type }}"), ("Motif", "{{ sortie.motif }}")])
    b.p("{{ sortie.explication }}")
    b.h("Conclusion")
    b.p("Nécessité de poursuivre l'accompagnement : {{ bilan.poursuite_necessaire }}.", bold=True)
    b.p("{{ bilan.conclusion }}")
    b.save("bilan-final.docx")


def demande_diagnostic() -> None:
    b = Builder()
    b.letterhead()
    b.fields([("Ménage", "{{ menage.designation }}, {{ menage.adresse }}"),
              ("Type de diagnostic", "{{ diagnostic.type }} (montant maximum : {{ diagnostic.montant_maximum }})"),
              ("Date de la demande", "{{ diagnostic.date_demande }}"),
              ("Logement", "{{ logement.type }}, étiquette {{ logement.dpe_avant }}{% if logement.indignite %} ; "
               "{{ logement.indignite }}{% endif %}")])
    b.h("Justification")
    b.p("{{ diagnostic.justification }}")
    b.h("Questions de faisabilité")
    for key, word in (("sociales", "sociale"), ("juridiques", "juridique"), ("techniques", "technique")):
        b.h(key.capitalize(), 2)
        b.p(f"{{{{ diagnostic.questions_{key} or \"Aucune question {word}.\" }}}}")
    b.tag("if diagnostic.decision")
    b.h("Décision du Département")
    b.p("Demande {{ diagnostic.decision }}{% if diagnostic.date_decision %} le {{ diagnostic.date_decision }}"
        "{% endif %}.")
    b.tag("endif")
    b.save("demande-diagnostic.docx")


def signalement_sortie() -> None:
    b = Builder()
    b.letterhead()
    b.fields([("Ménage", "{{ menage.designation }}, {{ menage.adresse }}"),
              ("Début de la mesure", "{{ mesure.dates.debut }}"), ("Date de sortie", "{{ sortie.date }}"),
              ("Type de sortie", "{{ sortie.type }}"), ("Motif", "{{ sortie.motif }}"),
              ("Signalé au SPSLH le", "{{ sortie.date_signalement }}")])  # literal: see Builder « Changements »
    b.h("Explication")
    b.p("{{ sortie.explication }}")
    b.save("signalement-sortie.docx")


def signalement_changement() -> None:
    b = Builder()
    b.letterhead()
    b.fields([("Ménage", "{{ menage.designation }}, {{ menage.adresse }}"),
              ("Début de la mesure", "{{ mesure.dates.debut }}"),
              ("Date du changement", "{{ changement.date_changement }}"), ("Nature", "{{ changement.nature }}")])
    b.h("Le changement et ses conséquences")
    b.p("{{ changement.description }}")
    b.save("signalement-changement.docx")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        OUTPUT = Path(sys.argv[1])
    for make in (fiche_saisine, contrat, bilan_intermediaire, bilan_final, demande_diagnostic, signalement_sortie,
                 signalement_changement):
        make()
    print(f"Modèles écrits dans {OUTPUT}")
