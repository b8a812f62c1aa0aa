"""Data-completeness indicators per worker (not risk factors).

They let a model or an analyst tell "nothing recorded" from "recorded as absent", and
compare coding practices between SPSTI (see :func:`irdp.features.missingness_report`).
"""

from __future__ import annotations

from irdp.features._spec import NEVER, spec
from irdp.features.registry import W5Y, Feature, register_group

__all__: list[str] = []


def _f(name: str, fr: str, en: str, desc: str, dtype: str, unit: str, lookback: str,
       missing: str, sources: tuple[str, ...]) -> Feature:
    return spec("completeness", name, fr, en, desc, dtype, unit, lookback, missing, sources)


def _completeness_sql(p: str) -> str:
    return f"""
    WITH vd AS (
        SELECT v.worker_id, v.visit_id, v.visit_date, v.visit_type, v.absence_days,
               EXISTS (SELECT 1 FROM {p}diagnosis g WHERE g.visit_id = v.visit_id) AS has_dx,
               EXISTS (SELECT 1 FROM {p}conclusion k WHERE k.visit_id = v.visit_id) AS has_cc,
               EXISTS (SELECT 1 FROM {p}questionnaire q WHERE q.visit_id = v.visit_id) AS has_q
        FROM {p}visit v
    ),
    xp AS (
        SELECT c.row_id, count(x.exposure_id) AS n
        FROM {p}cohort c LEFT JOIN {p}exposure x
          ON x.worker_id = c.worker_id AND x.start_date <= c.index_date
        GROUP BY c.row_id
    ),
    ed AS (SELECT worker_id, education_level FROM {p}worker)
    SELECT c.row_id,
        datediff('day', min(vd.visit_date), c.index_date) / 365.25 AS dq_history_years,
        count(vd.visit_id) FILTER (WHERE vd.visit_date < c.index_date) > 0
            AS dq_has_prior_visit,
        avg(CASE WHEN vd.has_dx THEN 1.0 ELSE 0.0 END)
            FILTER (WHERE vd.visit_date < c.index_date AND vd.visit_date > c.index_date - {W5Y})
            AS dq_share_visits_with_diagnosis_5y,
        avg(CASE WHEN vd.has_cc THEN 1.0 ELSE 0.0 END)
            FILTER (WHERE vd.visit_date < c.index_date AND vd.visit_date > c.index_date - {W5Y})
            AS dq_share_visits_with_conclusion_5y,
        avg(CASE WHEN vd.absence_days IS NOT NULL THEN 1.0 ELSE 0.0 END)
            FILTER (WHERE vd.visit_type = 'REPRISE') AS dq_share_reprise_absence_known,
        coalesce(bool_or(vd.has_q), false) AS dq_has_questionnaire,
        any_value(xp.n) > 0 AS dq_has_exposure_record,
        any_value(ed.education_level) IS NOT NULL AS dq_education_known
    FROM {p}cohort c
    LEFT JOIN vd ON vd.worker_id = c.worker_id AND vd.visit_date <= c.index_date
    LEFT JOIN xp ON xp.row_id = c.row_id
    LEFT JOIN ed ON ed.worker_id = c.worker_id
    GROUP BY c.row_id, c.index_date
    """


_S = ("visit", "diagnosis", "conclusion")
_AT = "ever before index, at index included"

register_group("completeness", _completeness_sql, [
    _f("dq_history_years", "Profondeur d'historique", "Length of recorded history",
       "Years from the worker's first visit in the extract to the index date.", "float",
       "years", _AT, "no visit on or before the index date", ("visit",)),
    _f("dq_has_prior_visit", "Visite antérieure", "Has an earlier visit",
       "At least one visit strictly before the index date.", "bool", "", "ever before index",
       NEVER, ("visit",)),
    _f("dq_share_visits_with_diagnosis_5y", "Part des visites avec diagnostic",
       "Share of visits with a diagnosis",
       "Share of visits in (index - 1826 days, index) with at least one diagnosis record.",
       "float", "proportion", "5 years before index", "no visit in the window", _S),
    _f("dq_share_visits_with_conclusion_5y", "Part des visites avec conclusion",
       "Share of visits with a conclusion",
       "Share of visits in (index - 1826 days, index) with at least one conclusion record.",
       "float", "proportion", "5 years before index", "no visit in the window", _S),
    _f("dq_share_reprise_absence_known", "Part des reprises avec durée d'arrêt",
       "Share of reprise visits with a known absence",
       "Share of REPRISE visits on or before the index date whose absence_days is recorded.",
       "float", "proportion", _AT, "no reprise visit", ("visit",)),
    _f("dq_has_questionnaire", "Questionnaire renseigné", "Has a questionnaire",
       "At least one questionnaire answer at a visit on or before the index date.", "bool",
       "", _AT, NEVER, ("questionnaire", "visit")),
    _f("dq_has_exposure_record", "Exposition renseignée", "Has an exposure record",
       "At least one TEP exposure starting on or before the index date.", "bool", "", _AT,
       NEVER, ("exposure",)),
    _f("dq_education_known", "Niveau d'études renseigné", "Education level recorded",
       "education_level is recorded.", "bool", "", "static", NEVER, ("worker",)),
])
