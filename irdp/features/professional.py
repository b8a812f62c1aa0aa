"""Professional features (HAS 2019): job, company, contract and TEP exposures.

The *current employment* is the employment active on the index date
(``start_date <= index_date`` and ``end_date`` missing or ``>= index_date``); with several,
the latest start (then the largest ``employment_id``). Its ``end_date`` and ``end_reason``
are never read (they may lie in the future).

References
----------
.. [1] INSEE. Nomenclature d'activités française NAF rév. 2 (2008): sections A-U and their
   divisions.
.. [2] Anses. Thésaurus des expositions professionnelles (TEP). irdp uses the surrogate
   code pattern of docs/contract.md whose first letter is the family.
"""

from __future__ import annotations

from irdp.features._spec import NEVER, spec
from irdp.features.registry import W5Y, Feature, register_group

__all__: list[str] = []

#: NAF rév. 2 sections by their first and last division.
NAF_SECTIONS: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
    ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
    ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
    ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
)
SIZE_BANDS = ("0-9", "10-49", "50-249", "250+")
CONTRACTS = ("CDI", "CDD", "INTERIM", "APPRENTI", "AUTRE")
FOLLOWUP = ("SIG", "SIA", "SIR")
_PCS_SYSTEMS = ("PCS-ESE-2017", "PCS-2020")


def _f(name: str, fr: str, en: str, desc: str, dtype: str, unit: str, lookback: str,
       missing: str, sources: tuple[str, ...], thesauri: tuple[str, ...] = (),
       levels: tuple[str, ...] | None = None) -> Feature:
    return spec("professional", name, fr, en, desc, dtype, unit, lookback, missing, sources,
                thesauri, levels)


def _employment_sql(p: str) -> str:
    section = " ".join(
        f"WHEN TRY_CAST(left(co.naf_code, 2) AS INTEGER) BETWEEN {a} AND {b} THEN '{s}'"
        for s, a, b in NAF_SECTIONS
    )
    pcs = ", ".join(f"'{s}'" for s in _PCS_SYSTEMS)
    return f"""
    WITH cur AS (
        SELECT c.row_id, e.*
        FROM {p}cohort c JOIN {p}employment e
          ON e.worker_id = c.worker_id AND e.start_date <= c.index_date
         AND (e.end_date IS NULL OR e.end_date >= c.index_date)
        QUALIFY row_number() OVER (
            PARTITION BY c.row_id ORDER BY e.start_date DESC, e.employment_id DESC) = 1
    ),
    recent AS (
        SELECT c.row_id, count(e.employment_id) AS n
        FROM {p}cohort c LEFT JOIN {p}employment e
          ON e.worker_id = c.worker_id AND e.start_date <= c.index_date
         AND e.start_date > c.index_date - {W5Y}
        GROUP BY c.row_id
    ),
    co AS (SELECT * FROM {p}company)
    SELECT c.row_id,
        cur.row_id IS NOT NULL AS employed_at_index,
        CASE WHEN co.naf_system = 'NAF-2008' THEN CASE {section} END END AS naf_section,
        CASE WHEN co.naf_system = 'NAF-2008' THEN left(co.naf_code, 2) END AS naf_division,
        co.size_band AS company_size,
        co.size_band IN ('0-9', '10-49') AS company_small,
        cur.contract AS contract,
        cur.contract IN ('CDD', 'INTERIM') AS contract_precarious,
        CASE WHEN cur.job_system IN ({pcs}) THEN left(cur.job_code, 1) END AS pcs_group,
        cur.followup_type AS followup_type,
        datediff('day', cur.start_date, c.index_date) / 365.25 AS seniority_years,
        recent.n AS n_employments_5y
    FROM {p}cohort c
    LEFT JOIN cur ON cur.row_id = c.row_id
    LEFT JOIN co ON co.company_id = cur.company_id
    LEFT JOIN recent ON recent.row_id = c.row_id
    """


_EMP = ("employment",)
_EMPCO = ("employment", "company")
_CUR = "at index (current employment)"
_NOJOB = "no employment active on the index date, or not recorded"

register_group("employment", _employment_sql, [
    _f("employed_at_index", "En emploi à l'index", "Employed at index",
       "An employment is active on the index date.", "bool", "", "at index", NEVER, _EMP),
    _f("naf_section", "Section NAF", "NAF section",
       "NAF rév. 2 section (A-U) of the current employer, from the first two digits of "
       "naf_code; missing for NAF-2025 codes (no section table yet).", "category", "",
       _CUR, _NOJOB + "; NAF-2025 code", _EMPCO, ("NAF-2008",),
       tuple(s for s, _, _ in NAF_SECTIONS)),
    _f("naf_division", "Division NAF", "NAF division",
       "NAF rév. 2 division (2 digits) of the current employer.", "category", "", _CUR,
       _NOJOB + "; NAF-2025 code", _EMPCO, ("NAF-2008",)),
    _f("company_size", "Taille de l'entreprise", "Company size band",
       "size_band of the current employer (0-9, 10-49, 50-249, 250+).", "category",
       "employees", _CUR, _NOJOB, _EMPCO, levels=SIZE_BANDS),
    _f("company_small", "Entreprise < 50 salariés", "Company under 50 employees",
       "Current employer has fewer than 50 employees (few reclassement options, HAS 2019).",
       "bool", "", _CUR, _NOJOB, _EMPCO),
    _f("contract", "Contrat", "Contract type", "Contract of the current employment.",
       "category", "", _CUR, _NOJOB, _EMP, levels=CONTRACTS),
    _f("contract_precarious", "Contrat précaire", "Precarious contract",
       "Current contract is CDD or INTERIM.", "bool", "", _CUR, _NOJOB, _EMP),
    _f("pcs_group", "Groupe PCS", "PCS occupational group",
       "First digit of the PCS-ESE 2017 / PCS 2020 job code of the current employment "
       "(missing for ROME codes).", "category", "", _CUR, _NOJOB + "; ROME code", _EMP,
       ("PCS-ESE-2017", "PCS-2020"), tuple("123456")),
    _f("followup_type", "Type de suivi", "Follow-up type",
       "SIG / SIA / SIR of the current employment.", "category", "", _CUR, _NOJOB, _EMP,
       levels=FOLLOWUP),
    _f("seniority_years", "Ancienneté dans l'emploi", "Job seniority",
       "(index_date - start_date) / 365.25 of the current employment.", "float", "years",
       _CUR, _NOJOB, _EMP),
    _f("n_employments_5y", "Emplois commencés sur 5 ans", "Jobs started in 5 years",
       "Employments with start_date in (index_date - 1826 days, index_date].", "int",
       "count", "5 years before index, at index included", NEVER, _EMP),
])


# --------------------------------------------------------------------------- exposures

_TEP = {"B": ("biomech", "biomécaniques", "biomechanical"),
        "C": ("chemical", "chimiques", "chemical"),
        "P": ("physical", "physiques", "physical"),
        "O": ("psychosocial", "organisationnelles / psychosociales",
              "organisational / psychosocial"),
        "G": ("biological", "biologiques", "biological")}


def _exposure_sql(p: str) -> str:
    flags = ",\n".join(
        f"coalesce(bool_or(left(x.tep_code, 1) = '{k}'), false) AS exp_{v[0]}_any"
        for k, v in _TEP.items()
    )
    years = ",\n".join(
        f"coalesce(sum(datediff('day', x.start_date, least(coalesce(x.end_date, c.index_date), "
        f"c.index_date))) FILTER (WHERE left(x.tep_code, 1) = '{k}'), 0) / 365.25 "
        f"AS exp_{v[0]}_years"
        for k, v in _TEP.items() if k != "G"
    )
    return f"""
    SELECT c.row_id,
        {flags},
        {years},
        count(DISTINCT left(x.tep_code, 1)) AS exp_n_families,
        max(x.intensity) AS exp_max_intensity,
        coalesce(bool_or(x.exposure_id IS NOT NULL
                          AND (x.end_date IS NULL OR x.end_date >= c.index_date)), false)
            AS exp_current_any
    FROM {p}cohort c LEFT JOIN {p}exposure x
      ON x.worker_id = c.worker_id AND x.start_date <= c.index_date
    GROUP BY c.row_id, c.index_date
    """


_X = ("exposure",)
_XT = ("TEP",)
_XLB = "ever before index, at index included"
_XZERO = "never: no exposure record reads as not exposed (see dq_has_exposure_record)"

register_group("exposure", _exposure_sql, [
    *[
        _f(f"exp_{v[0]}_any", f"Exposition {v[1]}", f"{v[2].capitalize()} exposure",
           f"At least one TEP exposure of family {k} ({v[2]}) starting on or before the index "
           "date.", "bool", "", _XLB, _XZERO, _X, _XT)
        for k, v in _TEP.items()
    ],
    *[
        _f(f"exp_{v[0]}_years", f"Durée d'exposition {v[1]}", f"Years of {v[2]} exposure",
           f"Sum over TEP exposures of family {k} of the years from start_date to the earlier "
           "of end_date and the index date (overlapping periods add up).", "float", "years",
           _XLB, _XZERO, _X, _XT)
        for k, v in _TEP.items() if k != "G"
    ],
    _f("exp_n_families", "Nombre de familles d'exposition", "Number of exposure families",
       "Distinct TEP families (B, C, P, O, G) recorded on or before the index date.", "int",
       "count", _XLB, _XZERO, _X, _XT),
    _f("exp_max_intensity", "Intensité maximale d'exposition", "Maximum exposure intensity",
       "Largest intensity (1-3) among exposures starting on or before the index date.",
       "int", "level 1-3", _XLB, "no exposure record or intensity not recorded", _X, _XT),
    _f("exp_current_any", "Exposition en cours", "Ongoing exposure",
       "An exposure started on or before the index date and not ended before it.", "bool",
       "", "at index", _XZERO, _X, _XT),
])
