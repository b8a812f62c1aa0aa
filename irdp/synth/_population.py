"""Services, companies, workers, jobs, exposures and latent health states (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from irdp.synth import _params as P
from irdp.synth._codes import CONTRACTS, SIZE_BANDS

_METRO_DEPTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]


def day(s: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(s, "D").astype(np.int64))


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def jan1(year: int) -> int:
    """Day number of 1 January of ``year``."""
    return int(np.datetime64(f"{year:04d}-01-01", "D").astype(np.int64))


@dataclass
class Spsti:
    """Per-service parameters (one entry per SPSTI)."""

    weight: np.ndarray
    centre_effect: np.ndarray
    legacy: np.ndarray
    diag_completeness: np.ndarray
    mental_coding: np.ndarray
    exposure_completeness: np.ndarray
    education_recorded: np.ndarray
    rqth_recorded: np.ndarray
    questionnaire_rate: np.ndarray
    uses_wai: np.ndarray
    uses_ompsq: np.ndarray
    nurse_share: np.ndarray
    sector_tilt: np.ndarray
    age_shift: np.ndarray
    departments: list[list[str]]


def make_spsti(rng: np.random.Generator, k: int) -> Spsti:
    """Draw the SPSTI-level parameters (case mix, centre effect, coding habits, software)."""
    legacy = rng.random(k) < 0.3
    if k >= 2:
        legacy[0], legacy[1] = True, False  # at least one legacy and one current software
    n_sect = len(P.SECTORS)
    depts = [list(rng.choice(_METRO_DEPTS, size=int(rng.integers(1, 4)), replace=False))
             for _ in range(k)]
    return Spsti(
        weight=rng.dirichlet(np.full(k, 3.0)),
        centre_effect=rng.normal(0.0, P.CENTRE_EFFECT_SD, k),
        legacy=legacy,
        diag_completeness=rng.uniform(0.45, 0.95, k),
        mental_coding=rng.uniform(0.4, 1.0, k),
        exposure_completeness=rng.uniform(0.55, 1.0, k),
        education_recorded=rng.uniform(0.1, 0.8, k),
        rqth_recorded=rng.uniform(0.7, 1.0, k),
        questionnaire_rate=rng.choice(np.array([0.0, 0.1, 0.3, 0.6]), k),
        uses_wai=rng.random(k) < 0.4,
        uses_ompsq=rng.random(k) < 0.5,
        nurse_share=rng.uniform(0.2, 0.5, k),
        sector_tilt=np.exp(rng.normal(0.0, 0.4, (k, n_sect))),
        age_shift=rng.normal(0.0, 1.5, k),
        departments=depts,
    )


@dataclass
class Companies:
    """Company table (one row per company) and the worker -> company assignment."""

    spsti: np.ndarray
    sector: np.ndarray
    naf_index: np.ndarray
    size_band: np.ndarray
    department: np.ndarray


def _draw_bands(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right")


def make_companies(
    rng: np.random.Generator, sp: Spsti, worker_spsti: np.ndarray
) -> tuple[Companies, np.ndarray]:
    """Companies per SPSTI (77.6% with < 10 employees) and each worker's company."""
    share = [b[1] for b in P.SIZE_BANDS]
    mean_size = np.array([b[2] for b in P.SIZE_BANDS])
    base_sector = np.array([s[1] for s in P.SECTORS])
    n_naf = np.array([len(s[2]) for s in P.SECTORS])
    k = len(sp.weight)
    counts = np.bincount(worker_spsti, minlength=k)
    parts: dict[str, list[np.ndarray]] = {x: [] for x in ("spsti", "sector", "naf", "size", "dep")}
    company_of = np.empty(len(worker_spsti), dtype=np.int64)
    offset = 0
    for c in range(k):
        n_w = int(counts[c])
        n_c = max(1, int(np.ceil(n_w / 14.0)))
        size = _draw_bands(rng, n_c, share)
        sw = base_sector * sp.sector_tilt[c]
        sector = _draw_bands(rng, n_c, list(sw))
        naf = np.floor(rng.random(n_c) * n_naf[sector]).astype(np.int64)
        deps = np.array(sp.departments[c], dtype=object)[rng.integers(0, len(sp.departments[c]),
                                                                      n_c)]
        w = mean_size[size] * rng.lognormal(0.0, 0.5, n_c)
        members = np.flatnonzero(worker_spsti == c)
        pick = np.searchsorted(np.cumsum(w / w.sum()), rng.random(n_w), side="right")
        company_of[members] = offset + pick.clip(0, n_c - 1)
        parts["spsti"].append(np.full(n_c, c))
        parts["sector"].append(sector)
        parts["naf"].append(naf)
        parts["size"].append(size)
        parts["dep"].append(deps)
        offset += n_c
    comp = Companies(
        spsti=np.concatenate(parts["spsti"]),
        sector=np.concatenate(parts["sector"]),
        naf_index=np.concatenate(parts["naf"]),
        size_band=np.concatenate(parts["size"]),
        department=np.concatenate(parts["dep"]),
    )
    # keep only companies that employ at least one worker, renumbered in order
    used = np.zeros(offset, dtype=bool)
    used[company_of] = True
    new_index = np.cumsum(used) - 1
    comp = Companies(*(getattr(comp, f)[used] for f in
                       ("spsti", "sector", "naf_index", "size_band", "department")))
    return comp, new_index[company_of]


@dataclass
class Workers:
    """Worker-level attributes, observed and latent."""

    spsti: np.ndarray
    female: np.ndarray
    birth_year: np.ndarray
    entry: np.ndarray           # day number of entry into follow-up
    prevalent: np.ndarray
    company: np.ndarray
    sector: np.ndarray
    size_band: np.ndarray
    contract: np.ndarray
    job_index: np.ndarray
    manual: np.ndarray
    followup: np.ndarray        # 0 SIG, 1 SIA, 2 SIR
    emp_start: np.ndarray
    msk: np.ndarray
    mental: np.ndarray
    chronic2: np.ndarray
    was: np.ndarray             # latent single-item work ability 0-10
    rqth_date: np.ndarray       # day number or INT_MAX
    invalidity: np.ndarray
    education: np.ndarray       # 0/1/2
    exposures: np.ndarray       # (n, 5) bool: families B, C, P, O, G

    @property
    def low_work_ability(self) -> np.ndarray:
        """Latent WAS <= 4."""
        return self.was <= 4

    @property
    def any_condition(self) -> np.ndarray:
        """Any latent chronic health condition."""
        return self.msk | self.mental | self.chronic2


NEVER = np.iinfo(np.int32).max
FAMILIES = ("B", "C", "P", "O", "G")


def _ages(rng: np.random.Generator, n: int, bands: tuple[tuple[float, float, float], ...]
          ) -> np.ndarray:
    b = _draw_bands(rng, n, [w for _, _, w in bands])
    lo = np.array([x[0] for x in bands])[b]
    hi = np.array([x[1] for x in bands])[b]
    return lo + (hi - lo) * rng.random(n)


def make_workers(rng: np.random.Generator, sp: Spsti, n: int, start: int, end: int) -> tuple[
        Workers, Companies]:
    """Draw the workers, their company, job, exposures and latent health at entry."""
    spsti = np.sort(_draw_bands(rng, n, list(sp.weight)))
    comp, company = make_companies(rng, sp, spsti)
    prevalent = rng.random(n) < P.P_PREVALENT
    entry = np.where(prevalent, start, rng.integers(start, end + 1, n))
    age = np.where(prevalent, _ages(rng, n, P.AGE_BANDS_PREVALENT),
                   _ages(rng, n, P.AGE_BANDS_HIRES)) + sp.age_shift[spsti]
    age = np.clip(age, 16.0, 66.0)
    birth_day = entry - np.round(age * 365.25).astype(np.int64)
    birth_year = year_of(birth_day)
    female = rng.random(n) < P.P_FEMALE
    sector = comp.sector[company]
    contract = _draw_bands(rng, n, [w for _, w in P.CONTRACTS])
    contract = np.where((contract == CONTRACTS.index("APPRENTI")) & (age >= 26), 0, contract)
    n_jobs = np.array([len(P.JOBS[s[0]]) for s in P.SECTORS])
    job_index = np.floor(rng.random(n) * n_jobs[sector]).astype(np.int64)
    manual_table = np.zeros((len(P.SECTORS), max(n_jobs)), dtype=bool)
    for i, s in enumerate(P.SECTORS):
        for j, job in enumerate(P.JOBS[s[0]]):
            manual_table[i, j] = job[2]
    manual = manual_table[sector, job_index]
    mult = np.ones((len(P.SECTORS), len(FAMILIES)))
    for i, (section, _, _) in enumerate(P.SECTORS):
        for j, f in enumerate(FAMILIES):
            mult[i, j] = P.SECTOR_EXPOSURE.get(section, {}).get(f, 1.0)
    exposures = np.column_stack([
        rng.random(n) < np.minimum(np.where(manual, P.P_EXPOSURE[f][0], P.P_EXPOSURE[f][1])
                                   * mult[sector, j], 0.95)
        for j, f in enumerate(FAMILIES)
    ])
    risky_sector = np.isin(sector, [i for i, s in enumerate(P.SECTORS) if s[0] in "ACFH"])
    sir = rng.random(n) < np.where(manual & risky_sector, 0.45, 0.05)
    dec = (age - 40.0) / 10.0
    msk = rng.random(n) < expit(P.P_MSK[0] + P.P_MSK[1] * dec + P.P_MSK[2] * female
                                + P.P_MSK[3] * manual)
    mental = rng.random(n) < expit(P.P_MENTAL[0] + P.P_MENTAL[1] * dec + P.P_MENTAL[2] * female)
    chronic2 = rng.random(n) < expit(P.P_CHRONIC2[0] + P.P_CHRONIC2[1] * dec)
    cond = msk | mental | chronic2
    was = np.clip(np.round(8.4 - 1.9 * msk - 2.3 * mental - 1.6 * chronic2 - 0.3 * dec
                           + rng.normal(0.0, 1.3, n)), 0, 10).astype(np.int64)
    rqth0 = rng.random(n) < expit(P.P_RQTH[0] + P.P_RQTH[1] * dec + P.P_RQTH[2] * cond)
    adult18 = np.array([jan1(int(y)) for y in range(1900, 2100)])  # lookup of 1 Jan by year
    rqth_lo = adult18[np.clip(birth_year + 18 - 1900, 0, 199)]
    rqth_date = np.where(rqth0, np.maximum(entry - rng.integers(0, 3650, n), rqth_lo), NEVER)
    sia = (~sir) & (rqth0 | exposures[:, 3] & (rng.random(n) < 0.4) | (age < 18))
    followup = np.where(sir, 2, np.where(sia, 1, 0))
    inv_u = rng.random(n)
    inv_p1 = np.where(cond, 0.02, 0.003)
    invalidity = np.where(inv_u < inv_p1, 1, np.where(inv_u < inv_p1 * 1.4, 2, 0))
    p_infra = np.where(manual, 0.55, 0.25)
    p_sup = np.where(manual, 0.08, 0.45)
    u = rng.random(n)
    education = np.where(u < p_infra, 0, np.where(u < p_infra + (1 - p_infra - p_sup), 1, 2))
    seniority = np.minimum(rng.exponential(8.0 * 365.25, n), (age - 16.0) * 365.25)
    emp_start = np.where(prevalent, start - np.round(seniority).astype(np.int64) - 1, entry)
    w = Workers(
        spsti=spsti, female=female, birth_year=birth_year, entry=entry.astype(np.int64),
        prevalent=prevalent, company=company, sector=sector, size_band=comp.size_band[company],
        contract=contract, job_index=job_index, manual=manual, followup=followup,
        emp_start=emp_start.astype(np.int64), msk=msk, mental=mental, chronic2=chronic2,
        was=was, rqth_date=rqth_date.astype(np.int64), invalidity=invalidity,
        education=education, exposures=exposures,
    )
    return w, comp


def size_is_small(size_band: np.ndarray) -> np.ndarray:
    """Company in the 0-9 band."""
    return size_band == SIZE_BANDS.index("0-9")


def high_risk_sector(sector: np.ndarray) -> np.ndarray:
    """NAF section F, G, H, I or Q."""
    idx = [i for i, s in enumerate(P.SECTORS) if s[0] in P.HIGH_RISK_SECTIONS]
    return np.isin(sector, idx)
