"""Health / medical features (HAS 2019): sick leave and CIM-10 diagnoses.

Sick-leave episodes are only known to the occupational health service through the visits
that follow them: each ``REPRISE`` visit closes one episode whose length is its
``absence_days`` and cause its ``absence_cause``. Maternity leaves are not sick leave and are
left out. The reprise visit *on* the index date counts (its absence is known when the
visit starts; e.g. a reprise index visit after 120 days off).

Diagnoses are read from visits strictly before the index date (the index visit's own
diagnoses are part of its conclusion). A diagnosis flag is false when the worker had at
least one earlier visit and none recorded the chapter, and missing when the worker had no
earlier visit at all (nothing could have been recorded).

References
----------
.. [1] Haute Autorité de santé. Santé et maintien en emploi, 2019 (long and repeated sick
   leave, chronic disease, psychiatric comorbidity).
.. [2] WHO. ICD-10, chapters II (C00-D48), V (F), VI (G), IX (I), XIII (M); ATIH CIM-10 FR.
"""

from __future__ import annotations

from irdp.features._spec import NEVER, spec
from irdp.features.registry import W5Y, W12, W24, Feature, register_group

__all__: list[str] = []

#: CIM-10 chapters used by the features: (key, French, English, SQL condition on 3-char code).
CHAPTERS: tuple[tuple[str, str, str, str], ...] = (
    ("msk", "musculo-squelettique (M)", "musculoskeletal (M)", "cat BETWEEN 'M00' AND 'M99'"),
    ("mental", "troubles mentaux (F)", "mental disorders (F)", "cat BETWEEN 'F00' AND 'F99'"),
    ("circulatory", "appareil circulatoire (I)", "circulatory (I)",
     "cat BETWEEN 'I00' AND 'I99'"),
    ("neoplasm", "tumeurs (C00-D48)", "neoplasms (C00-D48)",
     "(cat BETWEEN 'C00' AND 'C97' OR cat BETWEEN 'D00' AND 'D48')"),
    ("nervous", "système nerveux (G)", "nervous system (G)", "cat BETWEEN 'G00' AND 'G99'"),
)

#: Chronic condition groups counted by ``dx_n_chronic`` (3-character CIM-10 ranges).
CHRONIC: tuple[tuple[str, str, str], ...] = (
    ("diabetes", "E10", "E14"), ("obesity", "E66", "E66"), ("hypertension", "I10", "I15"),
    ("ischaemic_heart", "I20", "I25"), ("heart_failure", "I50", "I50"),
    ("cerebrovascular", "I60", "I69"), ("copd_asthma", "J44", "J45"),
    ("depression", "F32", "F33"), ("anxiety", "F40", "F41"), ("bipolar", "F31", "F31"),
    ("dorsopathy", "M50", "M54"), ("arthrosis", "M15", "M19"),
    ("inflammatory_arthritis", "M05", "M06"), ("cancer", "C00", "C97"),
    ("epilepsy", "G40", "G40"), ("multiple_sclerosis", "G35", "G35"),
)


def _f(name: str, fr: str, en: str, desc: str, dtype: str, unit: str, lookback: str,
       missing: str, sources: tuple[str, ...], thesauri: tuple[str, ...] = ()) -> Feature:
    return spec("health", name, fr, en, desc, dtype, unit, lookback, missing, sources, thesauri)


def _sick_leave_sql(p: str) -> str:
    def w(days: int) -> str:
        return f"r.visit_date > c.index_date - {days}"

    return f"""
    WITH r AS (
        SELECT worker_id, visit_id, visit_date, absence_days, absence_cause
        FROM {p}visit
        WHERE visit_type = 'REPRISE' AND absence_cause IS DISTINCT FROM 'MATERNITE'
    )
    SELECT c.row_id,
        count(r.visit_id) FILTER (WHERE {w(W12)}) AS sl_n_12m,
        count(r.visit_id) FILTER (WHERE {w(W12)} AND r.absence_days > 90) AS sl_long_n_12m,
        count(r.visit_id) FILTER (WHERE {w(W24)}) AS sl_n_24m,
        CASE WHEN count(r.visit_id) FILTER (WHERE {w(W24)}) = 0 THEN 0
             ELSE sum(r.absence_days) FILTER (WHERE {w(W24)}) END AS sl_days_24m,
        count(r.visit_id) FILTER (WHERE {w(W5Y)}) AS sl_n_5y,
        CASE WHEN count(r.visit_id) FILTER (WHERE {w(W5Y)}) = 0 THEN 0
             ELSE sum(r.absence_days) FILTER (WHERE {w(W5Y)}) END AS sl_days_5y,
        count(r.visit_id) FILTER (WHERE {w(W5Y)} AND r.absence_days > 90) AS sl_long_n_5y,
        count(r.visit_id) FILTER (WHERE {w(W24)}) >= 2 AS sl_repeated_24m,
        max(r.absence_days) FILTER (WHERE {w(W5Y)}) AS sl_max_days_5y,
        arg_max(r.absence_days, strftime(r.visit_date, '%Y-%m-%d') || r.visit_id)
            AS sl_last_days,
        datediff('day', max(r.visit_date), c.index_date) AS sl_days_since_last,
        count(r.visit_id) FILTER (WHERE {w(W5Y)} AND r.absence_cause = 'AT') AS sl_at_n_5y,
        count(r.visit_id) FILTER (WHERE {w(W5Y)} AND r.absence_cause = 'MP') AS sl_mp_n_5y
    FROM {p}cohort c LEFT JOIN r ON r.worker_id = c.worker_id AND r.visit_date <= c.index_date
    GROUP BY c.row_id, c.index_date
    """


_SL = ("visit",)
_SLD = "no reprise visit in the window: 0; missing when every episode's absence_days is missing"
_L12 = "12 months before index, at index included"
_L24 = "24 months before index, at index included"
_L5 = "5 years before index, at index included"

register_group("sick_leave", _sick_leave_sql, [
    _f("sl_n_12m", "Arrêts (reprises) sur 12 mois", "Sick-leave episodes, 12 months",
       "REPRISE visits (maternity excluded) dated in (index - 365 days, index].", "int",
       "count", _L12, NEVER, _SL),
    _f("sl_long_n_12m", "Arrêts > 90 jours sur 12 mois", "Long sick leaves (> 90 days), 12 months",
       "Episodes of sl_n_12m with absence_days > 90.", "int", "count", _L12, NEVER, _SL),
    _f("sl_n_24m", "Arrêts (reprises) sur 24 mois", "Sick-leave episodes, 24 months",
       "REPRISE visits (maternity excluded) dated in (index - 730 days, index].", "int",
       "count", _L24, NEVER, _SL),
    _f("sl_days_24m", "Jours d'arrêt sur 24 mois", "Sick-leave days, 24 months",
       "Sum of absence_days of the episodes counted by sl_n_24m (known values only).",
       "int", "days", _L24, _SLD, _SL),
    _f("sl_n_5y", "Arrêts (reprises) sur 5 ans", "Sick-leave episodes, 5 years",
       "REPRISE visits (maternity excluded) dated in (index - 1826 days, index].", "int",
       "count", _L5, NEVER, _SL),
    _f("sl_days_5y", "Jours d'arrêt sur 5 ans", "Sick-leave days, 5 years",
       "Sum of absence_days of the episodes counted by sl_n_5y (known values only).", "int",
       "days", _L5, _SLD, _SL),
    _f("sl_long_n_5y", "Arrêts > 90 jours sur 5 ans", "Long sick leaves (> 90 days), 5 years",
       "Episodes of sl_n_5y with absence_days > 90.", "int", "count", _L5, NEVER, _SL),
    _f("sl_repeated_24m", "Arrêts répétés (≥ 2 sur 24 mois)", "Repeated sick leave",
       "sl_n_24m >= 2.", "bool", "", _L24, NEVER, _SL),
    _f("sl_max_days_5y", "Arrêt le plus long sur 5 ans", "Longest sick leave, 5 years",
       "Largest absence_days among the episodes of sl_n_5y.", "int", "days", _L5,
       "no episode in 5 years, or lengths unknown", _SL),
    _f("sl_last_days", "Durée du dernier arrêt", "Length of the last sick leave",
       "absence_days of the most recent REPRISE visit on or before the index date.", "int",
       "days", "ever before index, at index included", "no episode, or length unknown", _SL),
    _f("sl_days_since_last", "Délai depuis la dernière reprise", "Days since last return",
       "Days from the most recent REPRISE visit to the index date (0 at a reprise index).",
       "int", "days", "ever before index, at index included", "no episode", _SL),
    _f("sl_at_n_5y", "Arrêts pour accident du travail sur 5 ans",
       "Work-accident sick leaves, 5 years", "Episodes of sl_n_5y with absence_cause AT.",
       "int", "count", _L5, NEVER, _SL),
    _f("sl_mp_n_5y", "Arrêts pour maladie professionnelle sur 5 ans",
       "Occupational-disease sick leaves, 5 years",
       "Episodes of sl_n_5y with absence_cause MP.", "int", "count", _L5, NEVER, _SL),
])


def _diagnosis_sql(p: str) -> str:
    chronic = " ".join(f"WHEN cat BETWEEN '{a}' AND '{b}' THEN '{k}'" for k, a, b in CHRONIC)
    parts = []
    for key, _, _, cond in CHAPTERS:
        cond_d = cond.replace("cat", "d.cat")
        parts.append(f"CASE WHEN pv.n = 0 THEN NULL ELSE coalesce(bool_or({cond_d}), false) END "
                     f"AS dx_{key}_ever")
        parts.append(f"CASE WHEN pv.n = 0 THEN NULL ELSE coalesce(bool_or({cond_d} AND "
                     f"d.visit_date > c.index_date - {W24}), false) END AS dx_{key}_24m")
    return f"""
    WITH d AS (
        SELECT v.worker_id, v.visit_date, g.work_related,
               upper(left(replace(trim(g.icd10_code), '.', ''), 3)) AS cat,
               CASE {chronic} END AS chronic
        FROM {p}diagnosis g JOIN {p}visit v ON v.visit_id = g.visit_id
        WHERE g.icd10_code IS NOT NULL
    ),
    pv AS (
        SELECT c.row_id, count(v.visit_id) AS n
        FROM {p}cohort c LEFT JOIN {p}visit v
          ON v.worker_id = c.worker_id AND v.visit_date < c.index_date
        GROUP BY c.row_id
    )
    SELECT c.row_id,
        {", ".join(parts)},
        CASE WHEN pv.n = 0 THEN NULL ELSE count(DISTINCT left(d.cat, 1)) END
            AS dx_n_chapters_ever,
        CASE WHEN pv.n = 0 THEN NULL ELSE count(DISTINCT d.chronic) END AS dx_n_chronic,
        CASE WHEN pv.n = 0 THEN NULL ELSE coalesce(bool_or(d.work_related), false) END
            AS dx_work_related_ever
    FROM {p}cohort c
    JOIN pv ON pv.row_id = c.row_id
    LEFT JOIN d ON d.worker_id = c.worker_id AND d.visit_date < c.index_date
    GROUP BY c.row_id, c.index_date, pv.n
    """


_DX = ("diagnosis", "visit")
_DXT = ("CIM-10",)
_DXM = "no visit before the index date"

register_group("diagnosis", _diagnosis_sql, [
    *[
        f
        for key, fr, en, _ in CHAPTERS
        for f in (
            _f(f"dx_{key}_ever", f"Diagnostic {fr} (antécédent)", f"Diagnosis: {en}, ever",
               f"A diagnosis of chapter {en} recorded at a visit before the index date.",
               "bool", "", "ever before index", _DXM, _DX, _DXT),
            _f(f"dx_{key}_24m", f"Diagnostic {fr} sur 24 mois", f"Diagnosis: {en}, 24 months",
               f"A diagnosis of chapter {en} recorded at a visit in (index - 730 days, "
               "index).", "bool", "", "24 months before index", _DXM, _DX, _DXT),
        )
    ],
    _f("dx_n_chapters_ever", "Nombre de chapitres CIM-10", "Number of ICD-10 chapters",
       "Distinct first letters of the CIM-10 codes recorded before the index date.", "int",
       "count", "ever before index", _DXM, _DX, _DXT),
    _f("dx_n_chronic", "Nombre de maladies chroniques", "Number of chronic conditions",
       "Distinct chronic condition groups (diabetes, obesity, hypertension, ischaemic heart "
       "disease, heart failure, cerebrovascular, COPD/asthma, depression, anxiety, bipolar, "
       "dorsopathy, arthrosis, inflammatory arthritis, cancer, epilepsy, multiple sclerosis; "
       "CIM-10 ranges in irdp.features.health.CHRONIC) recorded before the index date.",
       "int", "count", "ever before index", _DXM, _DX, _DXT),
    _f("dx_work_related_ever", "Pathologie liée au travail", "Work-related condition",
       "A diagnosis flagged work_related before the index date.", "bool", "",
       "ever before index", _DXM, _DX, _DXT),
])
