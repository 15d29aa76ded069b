"""The works site, from the first quote to the reserves lifted, and the household's share against its target.

What the ensemblier follows (seed 003): several dated quotes per poste and the reason of the
choice, an RGE company for the works the aids require it for, site meetings, the reception
with its reserves and their lifting, the maintenance note and eco-gestures handed to the
household. The figures (open reserves, the share in % of the works) are read on a case as
of a date (generator.model.measure.as_of), like every other derived value; the checks
(`check_site`) on the case as the files hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..reading.cases import Case
from ..reading.config import Programme
from ..reading.resources import Resources
from .deadlines import CLOSED
from .measure import Plan, aid_amount, chosen_company, chosen_quote, financing_plan, quotes_of, retained_quotes
from .timeline import parse
from .wording import label, money, percentage, short_day

# ---------------------------------------------------------------- the reception and its reserves


def reserves(travaux: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the reserves made at the reception (travaux.yaml « reserves »), each a dict."""
    listed = travaux.get("reserves")
    return [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []


def open_reserves(travaux: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the reserves not lifted (on a case as of a date: not lifted by then)."""
    return [r for r in reserves(travaux) if not parse(r.get("date_levee"))]


def with_reserves(travaux: dict[str, Any]) -> bool | None:
    """Return whether the reception was made with reserves: as the files say, else from the reserves listed.

    None when the files say nothing (no « avec_reserves », no list, no former text).
    """
    reception = travaux.get("reception")
    if not isinstance(reception, dict):
        return None
    if isinstance(reception.get("avec_reserves"), bool):
        return bool(reception["avec_reserves"])
    if isinstance(travaux.get("reserves"), list):
        return bool(reserves(travaux))
    legacy = reception.get("reserves")
    return bool(legacy.strip()) if isinstance(legacy, str) else None


# ---------------------------------------------------------------- the household's share


@dataclass(frozen=True)
class Share:
    """The household's share (« reste à charge ») of a financing plan, in euros and in % of the works."""

    amount: float
    cost: float
    target: float | None  # in % of the works (astre.yaml), None when the programme sets none

    @property
    def ratio(self) -> float:
        """The share as a fraction of the works' cost."""
        return self.amount / self.cost

    @property
    def target_amount(self) -> float | None:
        """The share the target allows, in euros."""
        return None if self.target is None else round(self.cost * self.target / 100, 2)

    @property
    def gap(self) -> float:
        """What the share exceeds the target by, in euros (0 when within it or without a target)."""
        allowed = self.target_amount
        return 0.0 if allowed is None else max(0.0, round(self.amount - allowed, 2))


def household_share(plan: Plan, programme: Programme) -> Share | None:
    """Return the share of `plan` against the programme's target, None while it cannot be computed.

    None too when the aids exceed the cost: the plan says so on its own line, a negative share has no percentage.
    """
    if plan.share is None or plan.cost is None or plan.cost <= 0 or plan.abandoned or plan.share < 0:
        return None
    return Share(plan.share, plan.cost, programme.share_target_percentage)


def target_text(target: float) -> str:
    """Return « 10 % », « 12,5 % » for a target given in % (programme data)."""
    return percentage(target / 100, "#,##0.##")


def share_text(share: Share) -> str:
    """Return « 4 200,00 € (12,5 % des travaux ; cible : 10 %) »."""
    target = f" ; cible : {target_text(share.target)}" if share.target is not None else ""
    return f"{money(share.amount)} ({percentage(share.ratio)} des travaux{target})"


# ---------------------------------------------------------------- checks


def check_site(sources: Resources, case: Case, programme: Programme, add: Any) -> None:
    """Report the problems of the quotes, the reception and its reserves, and the share above its target.

    `add(name, where, message, hint, severity=…, code=…, key=…)` locates and records one problem.
    """
    travaux = case.get("travaux")
    postes = [p for p in travaux.get("postes", []) if isinstance(p, dict)]
    reception = travaux.get("reception") if isinstance(travaux.get("reception"), dict) else None
    received = parse(reception.get("date")) if reception else None
    for index, poste in enumerate(postes):
        _quotes(poste, index, received, add)
        _rge(sources, poste, index, programme, add)
    _reception(travaux, postes, reception, received, add)
    _reserves(travaux, postes, received, add)
    _share(case, programme, add)


def _name(poste: dict[str, Any]) -> str:
    return f"poste « {poste.get('intitule')} »"


def _quotes(poste: dict[str, Any], index: int, received: date | None, add: Any) -> None:
    """Several quotes need the reason of the choice; a quote comes before the works, unless it is an amendment."""
    quotes = quotes_of(poste)
    competing = [q for q in quotes if not q.get("avenant")]
    chosen = retained_quotes(poste)
    if len(competing) > 1 and chosen and not poste.get("motif_choix"):
        add("travaux", ("postes", index), f"{_name(poste)} : {len(competing)} devis comparés, devis retenu "
            "sans « motif_choix »",
            "ajoutez « motif_choix » : pourquoi ce devis plutôt que les autres (prix, matériaux, délais, entreprise "
            "RGE)", code="devis", key="devis")
    if len(competing) > 1 and not chosen and poste.get("statut") in ("commande", "en_cours", "realise"):
        add("travaux", ("postes", index), f"{_name(poste)} commandé, mais aucun de ses {len(competing)} "
            "devis n'est noté « retenu »", "ajoutez « retenu: true » au devis signé, et « motif_choix »", code="devis",
            key="devis")
    ordered, started = parse(poste.get("date_commande")), parse(poste.get("date_debut"))
    dated: list[tuple[tuple, Any, bool]] = [(("devis", number, "date"), q.get("date"), bool(q.get("avenant")))
                                            for number, q in enumerate(quotes)]
    dated += [(("date_devis",), poste["date_devis"], False)] if poste.get("date_devis") else []
    for where, value, amendment in dated:
        when = parse(value)
        if when is None:
            continue
        if amendment:
            if received and when > received:
                add("travaux", ("postes", index, *where), f"{_name(poste)} : avenant du {short_day(when)} daté après "
                    f"la réception des travaux ({short_day(received)})",
                    "vérifiez la date de l'avenant ou de la réception", code="date")
            continue
        late = [(day, what) for day, what in ((started, "le début des travaux du poste"),
                                              (received, "la réception des travaux")) if day and when > day]
        if late:
            day, what = min(late)
            add("travaux", ("postes", index, *where), f"{_name(poste)} : devis du {short_day(when)} daté après "
                f"{what} ({short_day(day)})",
                "vérifiez la date du devis ; un devis établi en cours de chantier est un avenant : ajoutez "
                "« avenant: true »", severity="erreur", code="date")
        elif ordered and when > ordered:
            add("travaux", ("postes", index, *where), f"{_name(poste)} : devis du {short_day(when)} daté après "
                f"la commande ({short_day(ordered)})",
                "vérifiez la date du devis ou de la commande ; un devis qui modifie la commande est un avenant : "
                "ajoutez « avenant: true »", code="date")


def _rge(sources: Resources, poste: dict[str, Any], index: int, programme: Programme, add: Any) -> None:
    """A poste of a type the aids require an RGE company for (programme.types_travaux_rge), done by one."""
    if poste.get("type") not in programme.rge_work_types or poste.get("statut") == "abandonne":
        return
    company, quote = chosen_company(poste), chosen_quote(poste)
    if company is None:
        return  # no company chosen yet
    where: tuple = ("postes", index, "entreprise")
    if quote is not None and isinstance(quote.get("entreprise"), dict):  # the company is the chosen quote's
        where = ("postes", index, "devis", quotes_of(poste).index(quote), "entreprise")
    kind = label(sources, "type_travaux", poste.get("type"))
    rule = "les aides (MaPrimeRénov', CEE…) exigent pour ces travaux une entreprise certifiée RGE " \
           "(astre.yaml, programme.types_travaux_rge)"
    if company.get("rge") is False:
        add("travaux", where, f"{_name(poste)} ({kind}) : l'entreprise retenue « {company.get('nom')} » n'est pas RGE",
            f"{rule} : retenez une entreprise RGE, ou vérifiez que le plan de financement ne compte pas sur ces aides",
            code="rge")
    elif company.get("rge") is None:
        add("travaux", where, f"{_name(poste)} ({kind}) : certification RGE de l'entreprise « {company.get('nom')} » "
            "non renseignée", f"{rule} : ajoutez « rge: true » ou « rge: false » (annuaire France Rénov')",
            code="rge")


def _reception(travaux: dict[str, Any], postes: list[dict[str, Any]], reception: dict[str, Any] | None,
               received: date | None, add: Any) -> None:
    """The reception comes after each poste's order and start; the former free text of reserves is named."""
    if reception is None:
        return
    if isinstance(reception.get("reserves"), str):
        add("travaux", ("reception",), "« reception.reserves » (texte libre) n'est plus utilisé : astre suit chaque "
            "réserve et sa levée", "notez chaque réserve sous « reserves: » (au niveau de « reception ») avec "
            "« description », « poste », « entreprise » et « date_levee », puis retirez ce texte",
            code="reception", key="reserves")
    if received is None:
        return
    for poste in postes:
        if poste.get("statut") == "abandonne":
            continue
        for key, what in (("date_commande", "la commande"), ("date_debut", "le début des travaux")):
            when = parse(poste.get(key))
            if when and received < when:
                add("travaux", ("reception", "date"), f"réception des travaux ({short_day(received)}) avant {what} "
                    f"du {_name(poste)} ({short_day(when)})",
                    "vérifiez les deux dates : la réception vient après la commande et la fin des travaux",
                    severity="erreur", code="date")
                break
    written = parse(reception.get("date_compte_rendu"))
    if written and written < received:
        add("travaux", ("reception", "date_compte_rendu"), f"compte rendu de réception daté du {short_day(written)}, "
            f"avant la réception ({short_day(received)})", "corrigez « date_compte_rendu » (ou retirez-la : le "
            "compte rendu est alors daté de la réception)", severity="erreur", code="date")
    stated, listed = reception.get("avec_reserves"), reserves(travaux)
    if stated is False and listed:
        add("travaux", ("reception", "avec_reserves"), f"réception notée sans réserves, mais {len(listed)} réserve(s) "
            "listée(s) sous « reserves »", "écrivez « avec_reserves: true », ou retirez les réserves",
            severity="erreur", code="reception")
    elif stated is True and not listed and not isinstance(reception.get("reserves"), str):
        add("travaux", ("reception", "avec_reserves"), "réception avec réserves, mais aucune réserve listée",
            "notez chaque réserve sous « reserves: » (description, poste, entreprise, date_levee)", code="reception")


def _reserves(travaux: dict[str, Any], postes: list[dict[str, Any]], received: date | None, add: Any) -> None:
    """Each reserve belongs to a reception, names a poste of the case, and is lifted after the reception."""
    listed = reserves(travaux)
    if listed and not isinstance(travaux.get("reception"), dict):
        add("travaux", ("reserves",), "réserves notées sans réception des travaux",
            "ajoutez « reception: » avec sa « date » : les réserves sont émises à la réception",
            severity="erreur", code="reception")
    names = {p.get("intitule") for p in postes}
    for index, reserve in enumerate(travaux.get("reserves") or []):
        if not isinstance(reserve, dict):
            continue
        what = f"réserve « {reserve.get('description')} »"
        if reserve.get("poste") is not None and reserve["poste"] not in names:
            add("travaux", ("reserves", index, "poste"), f"{what} : aucun poste ne s'intitule « {reserve['poste']} »",
                "écrivez l'intitulé du poste tel qu'il est sous « postes »", code="reception")
        lifted = parse(reserve.get("date_levee"))
        if lifted and received and lifted < received:
            add("travaux", ("reserves", index, "date_levee"), f"{what} levée le {short_day(lifted)}, avant la "
                f"réception des travaux ({short_day(received)})",
                "une réserve est émise à la réception et levée ensuite : corrigez la date de levée ou celle de la "
                "réception", severity="erreur", code="date")


def _share(case: Case, programme: Programme, add: Any) -> None:
    """The household's share above the programme's target, while the measure runs: the gap, the aids to request."""
    financing = case.get("financement")
    if case.get("mesure").get("statut") in CLOSED or case.get("sortie"):
        return  # the measure has ended: nothing is left to request (its documents still show the share)
    share = household_share(financing_plan(case), programme)
    if not financing or share is None or not share.gap:
        return
    assert share.target is not None
    pending = [a for a in financing.get("aides", []) if isinstance(a, dict) and a.get("statut") == "a_solliciter"]
    hint = ("cherchez un autre financeur (caisse de retraite, CCAS, fondation) ou un prêt pour combler l'écart, ou "
            "revoyez les postes avec l'opérateur technique")
    if pending:
        # The plan already counts them (at their estimate): without them, the gap would be wider.
        counted_in = sum(aid_amount(a) or 0 for a in pending)
        named = ", ".join(f"{a.get('financeur')} ({money(aid_amount(a))})" for a in pending)
        hint += (f" ; les aides encore à solliciter ({named}) sont déjà comptées dans ce reste à charge : "
                 f"sollicitez-les, sans elles l'écart serait de {money(round(share.gap + counted_in, 2))}")
    else:
        hint = "aucune aide n'est encore à solliciter dans financement.yaml : " + hint
    add("financement", ("aides",), f"reste à charge du ménage de {money(share.amount)} ({percentage(share.ratio)} "
        f"des travaux), au-dessus de la cible de {target_text(share.target)} "
        f"(programme.reste_a_charge_cible_pourcentage) : {money(share.gap)} de plus que la cible",
        hint, code="reste_a_charge")
