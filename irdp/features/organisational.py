"""Organisational / care-pathway features (HAS 2019): visits, previous avis, PDP orientation.

Visit counts and previous conclusions read visits dated strictly before the index date
(the index visit is the index, not history); a count of zero is the truth because the
visit table is the service's complete log of visits for the worker.

References
----------
.. [1] Haute Autorité de santé. Santé et maintien en emploi, 2019 (visits requested by the
   worker or the employer, absence of a préreprise visit, previous accommodations).
.. [2] Code du travail, art. L4624-2-4 and R4624-29 (préreprise visit after more than 30
   days of sick leave), L4624-3 (measures), L4624-4 (inaptitude).
"""

from __future__ import annotations

from irdp.cohort.definition import VISIT_TYPES
from irdp.features._spec import NEVER, spec
from irdp.features.registry import W5Y, W24, Feature, register_group

__all__: list[str] = []


def _f(name: str, fr: str, en: str, desc: str, dtype: str, unit: str, lookback: str,
       missing: str, sources: tuple[str, ...], levels: tuple[str, ...] | None = None,
       ) -> Feature:
    return spec("organisational", name, fr, en, desc, dtype, unit, lookback, missing, sources,
                ("PRESANSE-TV",), levels)


#: (feature name, visit types, window days or None for ever, French, English)
_COUNTS: tuple[tuple[str, tuple[str, ...], int | None, str, str], ...] = (
    ("n_visits_24m", (), W24, "Visites sur 24 mois", "Visits, 24 months"),
    ("n_visits_5y", (), W5Y, "Visites sur 5 ans", "Visits, 5 years"),
    ("n_vip_5y", ("VIP_INIT", "VIP_PER"), W5Y, "VIP sur 5 ans", "VIP visits, 5 years"),
    ("n_sir_5y", ("SIR_EMB", "SIR_PER", "SIR_INTER"), W5Y, "Visites SIR sur 5 ans",
     "SIR visits, 5 years"),
    ("n_prereprise_24m", ("PREREPRISE",), W24, "Visites de préreprise sur 24 mois",
     "Pre-return visits, 24 months"),
    ("n_reprise_24m", ("REPRISE",), W24, "Visites de reprise sur 24 mois",
     "Return-to-work visits, 24 months"),
    ("n_demande_24m", ("DEMANDE_SAL", "DEMANDE_EMP", "DEMANDE_MT"), W24,
     "Visites à la demande sur 24 mois", "Visits on request, 24 months"),
    ("n_demande_sal_24m", ("DEMANDE_SAL",), W24, "Visites à la demande du salarié sur 24 mois",
     "Visits requested by the worker, 24 months"),
    ("n_demande_emp_24m", ("DEMANDE_EMP",), W24,
     "Visites à la demande de l'employeur sur 24 mois",
     "Visits requested by the employer, 24 months"),
    ("n_demande_mt_24m", ("DEMANDE_MT",), W24, "Visites à la demande du médecin sur 24 mois",
     "Visits requested by the occupational physician, 24 months"),
    ("n_mi_carriere_ever", ("MI_CARRIERE",), None, "Visites de mi-carrière antérieures",
     "Previous mid-career visits"),
    ("n_fin_carriere_ever", ("FIN_CARRIERE",), None, "Visites de fin de carrière antérieures",
     "Previous end-of-career visits"),
)

#: (feature name, visit types, French, English) of "days since the last visit of these types"
_RECENCY: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("days_since_last_reprise", ("REPRISE",), "de reprise", "reprise"),
    ("days_since_last_prereprise", ("PREREPRISE",), "de préreprise", "pre-return"),
    ("days_since_last_demande", ("DEMANDE_SAL", "DEMANDE_EMP", "DEMANDE_MT"), "à la demande",
     "on-request"),
    ("days_since_last_vip", ("VIP_INIT", "VIP_PER"), "VIP", "VIP"),
    ("days_since_last_sir", ("SIR_EMB", "SIR_PER", "SIR_INTER"), "SIR", "SIR"),
    ("days_since_last_mi_carriere", ("MI_CARRIERE",), "de mi-carrière", "mid-career"),
)


def _in(types: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{t}'" for t in types) + ")"


def _visits_sql(p: str) -> str:
    counts = []
    for name, types, window, _, _ in _COUNTS:
        cond = [] if window is None else [f"v.visit_date > c.index_date - {window}"]
        if types:
            cond.append(f"v.visit_type IN {_in(types)}")
        filt = f" FILTER (WHERE {' AND '.join(cond)})" if cond else ""
        counts.append(f"count(v.visit_id){filt} AS {name}")
    recency = [
        f"datediff('day', max(v.visit_date) FILTER (WHERE v.visit_type IN {_in(types)}), "
        f"c.index_date) AS {name}"
        for name, types, _, _ in _RECENCY
    ]
    return f"""
    WITH rp AS (
        SELECT r.worker_id, r.visit_date,
               EXISTS (SELECT 1 FROM {p}visit q
                       WHERE q.worker_id = r.worker_id AND q.visit_type = 'PREREPRISE'
                         AND q.visit_date < r.visit_date
                         AND q.visit_date >= r.visit_date - r.absence_days) AS had_prereprise
        FROM {p}visit r
        WHERE r.visit_type = 'REPRISE' AND r.absence_days > 30
    ),
    nopre AS (
        SELECT c.row_id, count(rp.visit_date) FILTER (WHERE NOT rp.had_prereprise) AS n
        FROM {p}cohort c LEFT JOIN rp
          ON rp.worker_id = c.worker_id AND rp.visit_date <= c.index_date
         AND rp.visit_date > c.index_date - {W5Y}
        GROUP BY c.row_id
    ),
    iv AS (SELECT visit_id, visit_type FROM {p}visit)
    SELECT c.row_id,
        {", ".join(counts)},
        datediff('day', max(v.visit_date), c.index_date) AS days_since_last_visit,
        {", ".join(recency)},
        avg(CASE WHEN v.professional IN ('IST', 'IPA') THEN 1.0
                 WHEN v.professional IS NOT NULL THEN 0.0 END)
            FILTER (WHERE v.visit_date > c.index_date - {W5Y}) AS share_nurse_visits_5y,
        any_value(nopre.n) AS n_leave_without_prereprise_5y,
        any_value(iv.visit_type) AS index_visit_type
    FROM {p}cohort c
    LEFT JOIN {p}visit v ON v.worker_id = c.worker_id AND v.visit_date < c.index_date
    LEFT JOIN nopre ON nopre.row_id = c.row_id
    LEFT JOIN iv ON iv.visit_id = c.index_visit_id
    GROUP BY c.row_id, c.index_date
    """


_V = ("visit",)
_LB = {W24: "24 months before index", W5Y: "5 years before index", None: "ever before index"}

register_group("visits", _visits_sql, [
    *[
        _f(name, fr, en,
           (f"Visits of type {', '.join(types)}" if types else "Visits of any type")
           + (f" dated in (index - {window} days, index)." if window else
              " dated before the index date."),
           "int", "count", _LB[window], NEVER, _V)
        for name, types, window, fr, en in _COUNTS
    ],
    _f("days_since_last_visit", "Délai depuis la dernière visite", "Days since last visit",
       "Days from the most recent visit before the index date.", "int", "days",
       "ever before index", "no earlier visit", _V),
    *[
        _f(name, f"Délai depuis la dernière visite {fr}", f"Days since last {en} visit",
           f"Days from the most recent visit of type {', '.join(types)} before the index date.",
           "int", "days", "ever before index", f"no earlier {en} visit", _V)
        for name, types, fr, en in _RECENCY
    ],
    _f("share_nurse_visits_5y", "Part des visites infirmières sur 5 ans",
       "Share of nurse visits, 5 years",
       "Share of visits in (index - 1826 days, index) done by an IST or IPA nurse, among "
       "visits whose professional is recorded.", "float", "proportion",
       "5 years before index", "no earlier visit with a recorded professional", _V),
    _f("n_leave_without_prereprise_5y", "Arrêts > 30 jours sans préreprise",
       "Sick leaves over 30 days without a pre-return visit",
       "REPRISE visits in (index - 1826 days, index] after more than 30 days of absence "
       "with no PREREPRISE visit during the absence [reprise - absence_days, reprise).",
       "int", "count", "5 years before index, at index included", NEVER, _V),
    _f("index_visit_type", "Type de la visite index", "Type of the index visit",
       "visit_type of the index visit (missing for landmark cohorts).", "category", "",
       "at index", "landmark index (no index visit)", _V, levels=VISIT_TYPES),
])


def _conclusions_sql(p: str) -> str:
    def has(measure: str) -> str:
        return (f"coalesce(bool_or(list_contains(string_split(k.measures, ';'), '{measure}')), "
                "false)")

    return f"""
    WITH k AS (
        SELECT v.worker_id, v.visit_date, x.conclusion, x.measures, x.pdp_orientation
        FROM {p}conclusion x JOIN {p}visit v ON v.visit_id = x.visit_id
    )
    SELECT c.row_id,
        count(k.conclusion) FILTER (WHERE k.conclusion = 'AMENAGEMENT'
                                      AND k.visit_date > c.index_date - {W5Y})
            AS prev_amenagement_n_5y,
        coalesce(bool_or(k.conclusion = 'AMENAGEMENT'), false) AS prev_amenagement_ever,
        {has('POSTE')} AS prev_measure_poste_ever,
        {has('TPT')} AS prev_measure_tpt_ever,
        {has('RESTRICTION')} AS prev_measure_restriction_ever,
        {has('RECLASSEMENT')} AS prev_measure_reclassement_ever,
        coalesce(bool_or(k.pdp_orientation), false) AS prev_pdp_orientation_ever,
        count(k.conclusion) FILTER (WHERE k.conclusion = 'ORIENTATION'
                                      AND k.visit_date > c.index_date - {W5Y})
            AS prev_orientation_n_5y,
        coalesce(bool_or(k.conclusion IN ('INAPTE', 'INAPTE_DISPENSE')), false)
            AS prev_inaptitude_ever,
        datediff('day', max(k.visit_date) FILTER (WHERE k.conclusion = 'AMENAGEMENT'),
                 c.index_date) AS days_since_last_amenagement
    FROM {p}cohort c LEFT JOIN k ON k.worker_id = c.worker_id AND k.visit_date < c.index_date
    GROUP BY c.row_id, c.index_date
    """


_C = ("conclusion", "visit")
_EV = "ever before index"


def _g(name: str, fr: str, en: str, desc: str, dtype: str = "bool", unit: str = "",
       lookback: str = _EV, missing: str = NEVER) -> Feature:
    return spec("organisational", name, fr, en, desc, dtype, unit, lookback, missing, _C,
                ("PRESANSE-CONCLUSIONS",))


register_group("conclusions", _conclusions_sql, [
    _g("prev_amenagement_n_5y", "Aménagements sur 5 ans", "Accommodations, 5 years",
       "AMENAGEMENT conclusions (L4624-3) at visits in (index - 1826 days, index).", "int",
       "count", "5 years before index"),
    _g("prev_amenagement_ever", "Aménagement antérieur", "Previous accommodation",
       "An AMENAGEMENT conclusion at a visit before the index date."),
    _g("prev_measure_poste_ever", "Aménagement de poste antérieur",
       "Previous workstation adjustment", "A POSTE measure before the index date."),
    _g("prev_measure_tpt_ever", "Temps partiel thérapeutique antérieur",
       "Previous therapeutic part-time", "A TPT measure before the index date."),
    _g("prev_measure_restriction_ever", "Restriction antérieure", "Previous restriction",
       "A RESTRICTION measure before the index date."),
    _g("prev_measure_reclassement_ever", "Reclassement proposé antérieur",
       "Previous redeployment proposal", "A RECLASSEMENT measure before the index date."),
    _g("prev_pdp_orientation_ever", "Orientation cellule PDP antérieure",
       "Previous referral to the PDP unit",
       "A conclusion with pdp_orientation true before the index date (missing values read "
       "as no referral)."),
    _g("prev_orientation_n_5y", "Orientations sur 5 ans", "Referrals, 5 years",
       "ORIENTATION conclusions at visits in (index - 1826 days, index).", "int", "count",
       "5 years before index"),
    _g("prev_inaptitude_ever", "Inaptitude antérieure", "Previous inaptitude",
       "An INAPTE or INAPTE_DISPENSE conclusion before the index date (cohorts excluding "
       "prior outcomes make it constant)."),
    _g("days_since_last_amenagement", "Délai depuis le dernier aménagement",
       "Days since last accommodation",
       "Days from the most recent AMENAGEMENT conclusion before the index date.", "int",
       "days", _EV, "no earlier accommodation"),
])
