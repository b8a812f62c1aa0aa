"""Individual / socio-demographic features (HAS 2019) and questionnaire scores.

Questionnaires are placed here because HAS 2019 lists self-rated work ability, return-to-
work expectations and fear-avoidance beliefs among the individual factors.

References
----------
.. [1] Haute Autorité de santé. Santé et maintien en emploi : prévention de la désinsertion
   professionnelle des travailleurs. Recommandation de bonne pratique, février 2019.
.. [2] Tuomi K, Ilmarinen J, Jahkola A, Katajarinne L, Tulkki A. Work Ability Index. 2nd ed.
   Helsinki: Finnish Institute of Occupational Health; 1998 (WAI items, score 7-49 and
   categories poor 7-27, moderate 28-36, good 37-43, excellent 44-49).
.. [3] Linton SJ, Nicholas M, MacDonald S. Development of a short form of the Örebro
   Musculoskeletal Pain Screening Questionnaire. Spine 2011;36(22):1891-1895 (10 items
   0-10, items 3, 4 and 8 reverse-scored, total 0-100, cut-off 50).
"""

from __future__ import annotations

from irdp.features._spec import spec
from irdp.features.registry import Feature, register_group

_W = ("worker",)


def _f(name: str, fr: str, en: str, desc: str, dtype: str, unit: str, lookback: str,
       missing: str, sources: tuple[str, ...] = _W, levels: tuple[str, ...] | None = None,
       ) -> Feature:
    return spec("individual", name, fr, en, desc, dtype, unit, lookback, missing, sources,
                levels=levels)


AGE_BANDS = ("<30", "30-39", "40-49", "50-54", "55+")


def _worker_sql(p: str) -> str:
    return f"""
    SELECT c.row_id,
        year(c.index_date) - w.birth_year AS age,
        CASE WHEN w.birth_year IS NULL THEN NULL
             WHEN year(c.index_date) - w.birth_year < 30 THEN '<30'
             WHEN year(c.index_date) - w.birth_year < 40 THEN '30-39'
             WHEN year(c.index_date) - w.birth_year < 50 THEN '40-49'
             WHEN year(c.index_date) - w.birth_year < 55 THEN '50-54'
             ELSE '55+' END AS age_band,
        year(c.index_date) - w.birth_year >= 50 AS age_50plus,
        w.sex AS sex,
        w.education_level AS education_level,
        CASE WHEN w.rqth IS NULL THEN NULL
             WHEN NOT w.rqth THEN false
             WHEN w.rqth_date IS NULL THEN NULL
             ELSE w.rqth_date <= c.index_date END AS rqth,
        CASE WHEN w.rqth AND w.rqth_date <= c.index_date
             THEN datediff('day', w.rqth_date, c.index_date) / 365.25 END AS rqth_years,
        w.invalidity_category AS invalidity_category,
        w.invalidity_category > 0 AS invalidity_any
    FROM {p}cohort c
    LEFT JOIN {p}worker w ON w.worker_id = c.worker_id
    """


register_group("worker", _worker_sql, [
    _f("age", "Âge à l'index", "Age at index",
       "year(index_date) - birth_year (the contract records birth years only; +-1 year).",
       "int", "years", "at index", "birth year missing"),
    _f("age_band", "Tranche d'âge", "Age band",
       "Age at index in bands <30, 30-39, 40-49, 50-54, 55+.", "category", "", "at index",
       "birth year missing", levels=AGE_BANDS),
    _f("age_50plus", "Âge ≥ 50 ans", "Aged 50 or over",
       "Age at index >= 50 (HAS 2019: older age, especially over 50).", "bool", "",
       "at index", "birth year missing"),
    _f("sex", "Sexe", "Sex", "Sex as recorded (M/F).", "category", "", "static",
       "sex missing", levels=("F", "M")),
    _f("education_level", "Niveau d'études", "Education level",
       "infra_bac / bac / sup_bac as recorded (often missing).", "category", "", "static",
       "not recorded", levels=("infra_bac", "bac", "sup_bac")),
    _f("rqth", "RQTH à l'index", "RQTH at index",
       "Recognised disabled worker (RQTH) with rqth_date on or before the index date; "
       "false if rqth is false or was granted after the index date; missing if rqth is "
       "missing or true without a date.", "bool", "", "at index included",
       "rqth missing, or rqth true without rqth_date"),
    _f("rqth_years", "Ancienneté RQTH", "Years since RQTH",
       "(index_date - rqth_date) / 365.25 for an RQTH granted on or before the index date.",
       "float", "years", "at index included", "no RQTH at index or date unknown"),
    _f("invalidity_category", "Catégorie d'invalidité", "Invalidity pension category",
       "Invalidity category 0-3 as recorded in the worker table (not time-stamped in the "
       "contract: it may postdate the index date).", "int", "category 0-3", "static",
       "not recorded"),
    _f("invalidity_any", "Pension d'invalidité", "Any invalidity pension",
       "invalidity_category > 0 (not time-stamped, see invalidity_category).", "bool", "",
       "static", "not recorded"),
])


# --------------------------------------------------------------------------- questionnaires

_N_ITEMS = {"WAI": 7, "WAS": 1, "OMPSQ_SF": 10, "Q4": 4}
_Q = ("questionnaire", "visit")


def _questionnaire_sql(p: str) -> str:
    items = ",\n".join(
        f"max(q.value) FILTER (WHERE q.item = '{k}') AS i{k}" for k in range(1, 11)
    )
    complete = " ".join(f"WHEN '{k}' THEN {v}" for k, v in _N_ITEMS.items())
    return f"""
    WITH adm AS (
        SELECT q.visit_id, q.instrument, any_value(v.worker_id) AS worker_id,
               any_value(v.visit_date) AS visit_date,
               count(DISTINCT q.item) AS n_items,
               sum(CASE WHEN q.instrument = 'OMPSQ_SF' AND q.item IN ('3', '4', '8')
                        THEN 10 - q.value ELSE q.value END) AS total,
               {items}
        FROM {p}questionnaire q JOIN {p}visit v ON v.visit_id = q.visit_id
        WHERE q.value IS NOT NULL
        GROUP BY q.visit_id, q.instrument
    ),
    pick AS (
        SELECT c.row_id, a.*
        FROM {p}cohort c JOIN adm a
          ON a.worker_id = c.worker_id AND a.visit_date <= c.index_date
        WHERE a.n_items = CASE a.instrument {complete} END
        QUALIFY row_number() OVER (
            PARTITION BY c.row_id, a.instrument ORDER BY a.visit_date DESC, a.visit_id DESC) = 1
    )
    SELECT c.row_id,
        max(k.total) FILTER (WHERE k.instrument = 'WAI') AS wai_total,
        {", ".join(f"max(k.i{j}) FILTER (WHERE k.instrument = 'WAI') AS wai_item{j}"
                   for j in range(1, 8))},
        CASE WHEN max(k.total) FILTER (WHERE k.instrument = 'WAI') IS NULL THEN NULL
             WHEN max(k.total) FILTER (WHERE k.instrument = 'WAI') < 28 THEN 'poor'
             WHEN max(k.total) FILTER (WHERE k.instrument = 'WAI') < 37 THEN 'moderate'
             WHEN max(k.total) FILTER (WHERE k.instrument = 'WAI') < 44 THEN 'good'
             ELSE 'excellent' END AS wai_category,
        datediff('day', max(k.visit_date) FILTER (WHERE k.instrument = 'WAI'), c.index_date)
            AS wai_days_since,
        max(k.i1) FILTER (WHERE k.instrument = 'WAS') AS was_score,
        datediff('day', max(k.visit_date) FILTER (WHERE k.instrument = 'WAS'), c.index_date)
            AS was_days_since,
        max(k.total) FILTER (WHERE k.instrument = 'OMPSQ_SF') AS ompsq_total,
        max(k.total) FILTER (WHERE k.instrument = 'OMPSQ_SF') >= 50 AS ompsq_high,
        datediff('day', max(k.visit_date) FILTER (WHERE k.instrument = 'OMPSQ_SF'),
                 c.index_date) AS ompsq_days_since,
        max(k.total) FILTER (WHERE k.instrument = 'Q4') AS q4_total,
        datediff('day', max(k.visit_date) FILTER (WHERE k.instrument = 'Q4'), c.index_date)
            AS q4_days_since
    FROM {p}cohort c LEFT JOIN pick k ON k.row_id = c.row_id
    GROUP BY c.row_id, c.index_date
    """


_QLB = "most recent complete administration, at index included"
_QMISS = "no complete administration on or before the index date"
_WAI_ITEMS = {
    1: ("capacité actuelle vs meilleure", "current vs lifetime best work ability", "0-10"),
    2: ("capacité vs exigences du poste", "work ability vs job demands (weighted)", "2-10"),
    3: ("nombre de maladies diagnostiquées", "number of diagnosed diseases", "1-7"),
    4: ("gêne au travail due aux maladies", "work impairment due to diseases", "1-6"),
    5: ("absences maladie sur 12 mois", "sick leave over the past 12 months", "1-5"),
    6: ("pronostic à 2 ans", "own prognosis of work ability in 2 years", "1, 4 or 7"),
    7: ("ressources mentales", "mental resources", "1-4"),
}

register_group("questionnaire", _questionnaire_sql, [
    _f("wai_total", "Score WAI", "Work Ability Index score",
       "Sum of the 7 WAI items (7-49) of the most recent complete WAI (all 7 items) filled "
       "in on or before the index date.", "float", "points (7-49)", _QLB, _QMISS, _Q),
    *[
        _f(f"wai_item{k}", f"WAI item {k} : {fr}", f"WAI item {k}: {en}",
           f"WAI item {k} ({en}; range {rng}) of the administration used for wai_total.",
           "float", f"points ({rng})", _QLB, _QMISS, _Q)
        for k, (fr, en, rng) in _WAI_ITEMS.items()
    ],
    _f("wai_category", "Catégorie WAI", "WAI category",
       "poor (7-27), moderate (28-36), good (37-43), excellent (44-49) from wai_total.",
       "category", "", _QLB, _QMISS, _Q, levels=("poor", "moderate", "good", "excellent")),
    _f("wai_days_since", "Ancienneté du WAI", "Age of the WAI score",
       "Days from the WAI administration used to the index date (0 if filled in at the "
       "index visit).", "int", "days", _QLB, _QMISS, _Q),
    _f("was_score", "Score WAS", "Work Ability Score",
       "WAS item 1 (0-10) of the most recent WAS administration.", "float", "points (0-10)",
       _QLB, _QMISS, _Q),
    _f("was_days_since", "Ancienneté du WAS", "Age of the WAS score",
       "Days from the WAS administration used to the index date.", "int", "days", _QLB,
       _QMISS, _Q),
    _f("ompsq_total", "Score ÖMPSQ-SF", "ÖMPSQ-SF score",
       "Sum of the 10 ÖMPSQ-SF items (0-100), items 3, 4 and 8 reverse-scored (10 - value), "
       "of the most recent complete administration.", "float", "points (0-100)", _QLB,
       _QMISS, _Q),
    _f("ompsq_high", "ÖMPSQ-SF ≥ 50", "ÖMPSQ-SF at or above 50",
       "ompsq_total >= 50 (cut-off of Linton et al. 2011).", "bool", "", _QLB, _QMISS, _Q),
    _f("ompsq_days_since", "Ancienneté ÖMPSQ-SF", "Age of the ÖMPSQ-SF score",
       "Days from the ÖMPSQ-SF administration used to the index date.", "int", "days", _QLB,
       _QMISS, _Q),
    _f("q4_total", "Score local 4 questions", "Local 4-question score",
       "Sum of the 4 items (0-2 each, 0-8) of the local mid-career questionnaire.", "float",
       "points (0-8)", _QLB, _QMISS, _Q),
    _f("q4_days_since", "Ancienneté score 4 questions", "Age of the 4-question score",
       "Days from the 4-question administration used to the index date.", "int", "days",
       _QLB, _QMISS, _Q),
])

__all__: list[str] = []
