"""A case as it stood on a given day: the facts known then, in the state they had.

An official document is a dated record: the SPSLH files it as the case stood on the
document's date (DOMAIN.md, « Documents are records »). The case files hold the case
as it is now; `as_of(case, day)` derives from them the case as of `day`:

- a dated fact after `day` is not known yet: a visit, a concertation, a review, a
  diagnostic request, a DPE, a notified ANAH category, a reported change, the exit,
  the contract (before its signature), a sending date;
- a state is derived from its dates, not from the current `statut`: an aid paid on
  10 August is « accordée » on 6 February if granted before, « demandée » if only
  requested, « à solliciter » if not requested yet; a works item finished in June is
  « en cours », « devis reçu » or « à chiffrer » before;
- a state the files assert without its date (an aid « versée » with no payment date)
  cannot be placed in time: it is kept and marked undated (`_non_date`), so the
  document says « date non renseignée » instead of presenting it as current.

Rules, due dates and indicators read the same module for the states they need.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from .cases import Case
from .config import Programme
from .loader import Document
from .timeline import parse

UNDATED = "_non_date"  # marks a state the files give without the date that would place it in time


def reference_date(dates: dict[str, Any]) -> date | None:
    """Return the date a household's situation is described at: the referral, else the spotting, else the start."""
    return parse(dates.get("saisine")) or parse(dates.get("reperage")) or parse(dates.get("debut"))


def works_planned(postes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the works items planned at the referral (« prévu à la saisine »)."""
    return [p for p in postes if p.get("prevu_a_la_saisine")]


def works_done(postes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the works items done (statut « réalisé »; on a case as of a date, done by then)."""
    return [p for p in postes if p.get("statut") == "realise"]


def visits(case: Case, first: date | None = None, last: date | None = None) -> list[tuple[date, str | None]]:
    """Return (date, place) of each dated visit, in order, from `first` to `last` included when given."""
    found = [(parse(v.get("date")), v.get("lieu")) for v in case.get("suivi").get("visites", [])]
    return sorted(((day, place) for day, place in found if day is not None
                   and (first is None or first <= day) and (last is None or day <= last)),
                  key=lambda visit: visit[0])


def _known(value: Any, day: date) -> bool:
    """True when the date `value` is on or before `day`."""
    when = parse(value)
    return when is not None and when <= day


def _later(value: Any, day: date) -> bool:
    when = parse(value)
    return when is not None and when > day


def _drop_later(item: dict[str, Any], day: date, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not (k in keys and _later(v, day))}


def item_as_of(item: dict[str, Any], day: date) -> dict[str, Any]:
    """Return a document's own element (a review, a diagnostic request) without its dates after `day`.

    A decision taken after `day` (a diagnostic granted two weeks after the request) goes with its date.
    """
    if _later(item.get("date_decision"), day):
        item = {k: v for k, v in item.items() if k != "decision"}
    return {k: v for k, v in item.items() if not (isinstance(v, str) and k.startswith("date") and _later(v, day))}


# ---------------------------------------------------------------- states


def aid_state(aid: dict[str, Any], day: date) -> tuple[str, bool]:
    """Return (statut, undated) of a financing aid as of `day`."""
    status = aid.get("statut", "a_solliciter")
    if status == "a_solliciter":
        return status, False
    asked, granted, paid = aid.get("date_demande"), aid.get("date_accord"), aid.get("date_versement")
    if _later(asked, day):
        return "a_solliciter", False  # requested later: at `day`, at most an aid to request
    if status == "versee" and _known(paid, day):
        return "versee", False
    if status in ("versee", "accordee") and _known(granted, day):
        return "accordee", False
    if status in ("versee", "accordee") and (paid if status == "versee" else granted) is None:
        return status, True  # granted or paid, on a day the files do not say
    if status == "refusee":
        return "refusee", True  # the files give no date of refusal
    return "demandee", asked is None


def work_state(poste: dict[str, Any], day: date) -> tuple[str, bool]:
    """Return (statut, undated) of a works item as of `day`."""
    status = poste.get("statut", "a_chiffrer")
    dates = [poste.get(k) for k in ("date_devis", "date_debut", "date_fin")]
    if status in ("a_chiffrer",):
        return status, False
    if status == "abandonne":
        return status, True  # no date of abandonment in the files
    if status == "realise" and _known(poste.get("date_fin"), day):
        return "realise", False
    if status in ("realise", "en_cours") and _known(poste.get("date_debut"), day):
        return "en_cours", False
    if status in ("realise", "en_cours", "commande", "devis_recu") and _known(poste.get("date_devis"), day):
        return ("devis_recu" if status != "commande" else "commande"), status == "commande"
    if any(parse(d) for d in dates):
        return "a_chiffrer", False  # every dated step is after `day`
    return status, True


def measure_state(mesure: dict[str, Any], sortie: dict[str, Any], day: date) -> str:
    """Return the measure's statut as of `day`, from its dates."""
    status = mesure.get("statut", "reperage")
    dates = mesure.get("dates", {})
    if status in ("terminee", "rompue") and _known(sortie.get("date"), day):
        return status
    if status == "refusee" and not _later(dates.get("validation"), day):
        return status
    for key, state in (("debut", "en_cours"), ("validation", "validee"), ("saisine", "saisine_envoyee")):
        if _known(dates.get(key), day):
            return state
    return "reperage"


# ---------------------------------------------------------------- the case as of a day


def as_of(case: Case, day: date) -> Case:
    """Return `case` as it stood on `day` (see the module's docstring)."""
    documents = {}
    for name, document in case.documents.items():
        data = document.data
        if isinstance(data, dict):
            data = _FILES.get(name, lambda d, c, x: d)(data, case, day)
        documents[name] = Document(document.path, data, document.text)
    return Case(case.id, case.folder, documents, case.problems)


def _mesure(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    dates = dict(data.get("dates") or {})
    started = _known(dates.get("debut"), day)
    dates = {k: v for k, v in dates.items() if k == "fin_prevue" and started or not _later(v, day)}
    if not started:
        dates.pop("fin_prevue", None)  # planned from the start, which had not come yet
    return {**data, "dates": dates, "statut": measure_state(data, case.get("sortie"), day)} if data else data


def _menage(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    # An ANAH category notified after `day` was not known yet.
    if isinstance(data.get("categorie_anah"), dict) and _later(data["categorie_anah"].get("date"), day):
        return {k: v for k, v in data.items() if k != "categorie_anah"}
    return data


def _logement(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    return {k: v for k, v in data.items()
            if not (k in ("dpe_avant", "dpe_apres") and isinstance(v, dict) and _later(v.get("date"), day))}


def _travaux(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    postes = []
    for poste in data.get("postes", []):
        dated = [poste.get(k) for k in ("date_devis", "date_debut", "date_fin")]
        if not poste.get("prevu_a_la_saisine") and any(parse(d) for d in dated) and \
                not any(_known(d, day) for d in dated):
            continue  # added to the project after `day`
        state, undated = work_state(poste, day)
        kept = _drop_later(poste, day, ("date_devis", "date_debut", "date_fin"))
        if state != "realise":
            kept.pop("montant_realise", None)
        if state == "a_chiffrer":
            kept.pop("entreprise", None)  # chosen with a quote, which came later
        postes.append({**kept, "statut": state, **({UNDATED: True} if undated else {})})
    result = {**data, "postes": postes} if "postes" in data else dict(data)
    if isinstance(data.get("reception"), dict) and _later(data["reception"].get("date"), day):
        result.pop("reception")
    return result


def _financement(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    aides = []
    for aid in data.get("aides", []):
        state, undated = aid_state(aid, day)
        kept = _drop_later(aid, day, ("date_demande", "date_accord", "date_versement"))
        aides.append({**kept, "statut": state, **({UNDATED: True} if undated else {})})
    prets = [{**p, UNDATED: True} if p.get("statut") in ("accorde", "refuse") else p for p in data.get("prets", [])]
    result = {**data}
    if "aides" in data:
        result["aides"] = aides
    if "prets" in data:
        result["prets"] = prets
    if isinstance(data.get("avance_audit"), dict) and _later(data["avance_audit"].get("date"), day):
        result.pop("avance_audit")
    return result


def _contrat(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if _later(data.get("date_signature"), day):
        return {}  # not signed yet: its objectives and steps were not agreed
    return _drop_later(data, day, ("date_envoi_spslh",))


def _suivi(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    result = dict(data)
    for key, field in (("visites", "date"), ("concertations", "date")):
        if key in data:
            result[key] = [item for item in data[key] if not _later(item.get(field), day)]
    if "signalements" in data:
        result["signalements"] = [_drop_later(s, day, ("date_signalement",)) for s in data["signalements"]
                                  if not _later(s.get("date_changement"), day)]
    return result


def _diagnostics(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if "demandes" not in data:
        return data
    demandes = []
    for request in data["demandes"]:
        if _later(request.get("date_demande"), day):
            continue
        if _later(request.get("date_decision"), day):
            request = {k: v for k, v in request.items() if k not in ("decision", "date_decision")}
        demandes.append(request)
    return {**data, "demandes": demandes}


def _bilans(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if "bilans" not in data:
        return data
    return {**data, "bilans": [_drop_later(b, day, ("date_envoi_spslh",)) for b in data["bilans"]
                               if not _later(b.get("date"), day)]}


def _sortie(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if _later(data.get("date"), day):
        return {}
    return _drop_later(data, day, ("date_signalement_spslh",))


# ---------------------------------------------------------------- sendings


@dataclass(frozen=True)
class Sending:
    """One document sent: when, to whom, and where the case files record it (to locate messages)."""

    document: str  # output name, as in out/<case>/: contrat, bilan-intermediaire-3-mois…
    day: date
    recipients: tuple[str, ...]
    file: str  # case file recording it
    where: tuple  # path inside that file
    correction: bool = False


# Before envois.yaml, each document's own file held its sending date (to the SPSLH): still read.
def _review_document(echeance: str) -> str:
    return "bilan-final" if echeance == "final" else "bilan-intermediaire-" + echeance.replace("_", "-")


def form_of(document: str) -> str:
    """Return the form id of a document name (« bilan-intermediaire-3-mois » → « bilan-intermediaire »)."""
    for prefix in ("bilan-intermediaire", "demande-diagnostic", "signalement-changement"):
        if document.startswith(prefix + "-"):
            return prefix
    return document


def recipients_of(document: str, programme: Programme) -> tuple[str, ...]:
    """Return who receives `document` under the programme (astre.yaml, programme.destinataires)."""
    return programme.recipients.get(form_of(document), ("spslh",))


def sendings(case: Case, programme: Programme) -> dict[str, list[Sending]]:
    """Return every recorded sending, by document, oldest first.

    envois.yaml is the register; the older fields (contrat.date_envoi_spslh,
    bilans[].date_envoi_spslh, sortie.date_signalement_spslh, suivi.signalements[].date_signalement)
    still count, as a sending to the programme's recipients of that document.
    """
    found: dict[str, dict[date, Sending]] = defaultdict(dict)

    def add(sending: Sending) -> None:
        same = found[sending.document].get(sending.day)
        if same is not None:  # one sending recorded in both places: one sending
            sending = Sending(sending.document, sending.day, tuple(dict.fromkeys(same.recipients + sending.recipients)),
                              same.file, same.where, same.correction or sending.correction)
        found[sending.document][sending.day] = sending

    def legacy(document: str, value: Any, file: str, where: tuple) -> None:
        day = parse(value)
        if day is not None:
            add(Sending(document, day, recipients_of(document, programme), file, where))

    legacy("contrat", case.get("contrat").get("date_envoi_spslh"), "contrat", ("date_envoi_spslh",))
    for index, review in enumerate(case.get("bilans").get("bilans", [])):
        if isinstance(review.get("echeance"), str):
            legacy(_review_document(review["echeance"]), review.get("date_envoi_spslh"), "bilans",
                   ("bilans", index, "date_envoi_spslh"))
    legacy("signalement-sortie", case.get("sortie").get("date_signalement_spslh"), "sortie",
           ("date_signalement_spslh",))
    for index, change in enumerate(case.get("suivi").get("signalements", [])):
        legacy(f"signalement-changement-{index + 1}", change.get("date_signalement"), "suivi",
               ("signalements", index, "date_signalement"))
    for index, entry in enumerate(case.get("envois").get("envois", [])):
        day = parse(entry.get("date"))
        if day is not None and isinstance(entry.get("document"), str):
            add(Sending(entry["document"], day, tuple(entry.get("destinataires") or ()), "envois", ("envois", index),
                        bool(entry.get("correction"))))
    return {name: sorted(days.values(), key=lambda s: s.day) for name, days in found.items()}


_FILES = {"mesure": _mesure, "menage": _menage, "logement": _logement, "travaux": _travaux, "financement": _financement,
          "contrat": _contrat, "suivi": _suivi, "diagnostics": _diagnostics, "bilans": _bilans, "sortie": _sortie}
