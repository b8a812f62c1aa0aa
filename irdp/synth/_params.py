"""Parameters of the synthetic DMST generator (the documented data-generating process).

Every number the generator uses lives here, with its source or rationale (DOMAIN.md §3-§4 tags:
[S] sourced, [R] recalled, [I] inferred). ``irdp.synth.DmstTruth`` exposes them as tables.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------------------------
# Inaptitude hazard: log lambda_i(t) = log(BASELINE_HAZARD) + sum_k beta_k x_ik(t) + u_c(i)
# piecewise constant by calendar year (covariates updated every 1 January / at entry).
# --------------------------------------------------------------------------------------------
#: Baseline inaptitude hazard (per person-year) of the reference worker (male, < 45 y, no risk
#: factor, company >= 10, other sector, centre effect 0). Calibrated so that the crude annual
#: incidence of the followed population is ~7 per 1,000 (DOMAIN §4.2 [I]).
BASELINE_HAZARD = 0.001

#: (term, log hazard ratio, description). Priors from DOMAIN §4.5 (hazard ratios used as the
#: suggested odds ratios; events are rare so HR ~ OR).
COEFFICIENTS: tuple[tuple[str, float, str], ...] = (
    ("age_45_54", np.log(1.6), "age 45-54 at interval start (vs < 45); age = year - birth_year"),
    ("age_55_59", np.log(2.8), "age 55-59 at interval start (vs < 45)"),
    ("age_60p", np.log(4.5), "age >= 60 at interval start (vs < 45)"),
    ("female", np.log(1.3), "sex F"),
    ("sick_leave_long", np.log(6.0),
     "a sick leave >= 91 days (any cause but maternity) ended in the 365 days before"),
    ("sick_leave_repeated", np.log(2.0),
     ">= 2 sick leaves (reprise-eligible, non-maternity) ended in the 365 days before"),
    ("msk", np.log(2.5), "musculoskeletal condition (CIM-10 chapter M) present"),
    ("mental", np.log(3.0), "mental or behavioural condition (chapter F) present"),
    ("chronic2", np.log(2.0), ">= 2 chronic conditions"),
    ("biomech_exposure", np.log(1.7), "biomechanical exposure (TEP family B) in current job"),
    ("rqth", np.log(2.0), "RQTH recognised before the interval start"),
    ("small_company", np.log(1.3), "company size band 0-9"),
    ("high_risk_sector", np.log(1.3),
     "NAF section F, G, H, I or Q (construction, retail, transport, HCR, health & social)"),
    ("prior_amenagement", np.log(2.5), "an AMENAGEMENT conclusion (L4624-3) before the interval"),
    ("low_work_ability", np.log(3.0), "latent single-item work ability (WAS) <= 4"),
)

#: Standard deviation of the SPSTI random effect on the log-hazard (centre heterogeneity).
CENTRE_EFFECT_SD = 0.25

#: Probability that an inaptitude is preceded by the sick leave it ends (declared at the
#: reprise visit that closes the leave). Calibrated so ~63% of inaptitudes are at a reprise
#: visit (DOMAIN §4.2 [S]: 84,733 / 134,375 in 2022).
P_INAPT_AFTER_LEAVE = 0.67
#: Share of inaptitudes with dispense de reclassement.
P_INAPT_DISPENSE = 0.2
#: Share of inaptitudes followed by a dismissal for inaptitude (DOMAIN §3.4: >= 95%).
P_DISMISSAL_AFTER_INAPT = 0.96

# --------------------------------------------------------------------------------------------
# Competing exits (annual hazards, per person-year)
# --------------------------------------------------------------------------------------------
#: Retirement hazard by age at interval start (age -> hazard); 0 before 60, certain at 67.
RETIREMENT_HAZARD = {60: 0.12, 61: 0.15, 62: 0.45, 63: 0.30, 64: 0.35, 65: 0.45, 66: 0.5}
RETIREMENT_CERTAIN_AGE = 67
#: Death (Gompertz): hazard = DEATH_A * exp(DEATH_B * (age - 40)).
DEATH_A = 0.0008
DEATH_B = 0.085
#: Change of SPSTI (new employer followed by another service).
CHANGE_SPSTI_HAZARD = 0.04
#: Other job loss (end of contract, resignation, dismissal for another reason), by contract.
JOB_LOSS_HAZARD = {"CDI": 0.05, "CDD": 0.35, "INTERIM": 0.45, "APPRENTI": 0.25, "AUTRE": 0.10}
#: End of follow-up for another reason (company leaves the SPSTI, lost record).
END_FOLLOWUP_HAZARD = 0.01

# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------
#: Share of workers already followed at ``start``; the others are hired uniformly over the period.
P_PREVALENT = 0.55
P_FEMALE = 0.45
#: Age distribution (at start, prevalent workers): bands and weights.
AGE_BANDS_PREVALENT = ((18, 25, 0.10), (25, 35, 0.24), (35, 45, 0.25), (45, 55, 0.25),
                       (55, 60, 0.11), (60, 65, 0.05))
AGE_BANDS_HIRES = ((16, 25, 0.30), (25, 35, 0.30), (35, 45, 0.20), (45, 55, 0.14),
                   (55, 63, 0.06))

#: NAF sections used, with a representative NAF rév. 2 sous-classe list and baseline weight.
SECTORS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("A", 0.02, ("01.11Z", "01.21Z", "01.50Z")),
    ("C", 0.12, ("10.71C", "25.62B", "28.29B", "29.32Z", "22.22Z")),
    ("F", 0.10, ("43.99C", "41.20A", "43.21A", "43.32A", "42.11Z")),
    ("G", 0.16, ("47.11F", "47.11D", "45.20A", "46.90Z", "47.71Z")),
    ("H", 0.07, ("49.41A", "52.29A", "49.32Z", "53.20Z")),
    ("I", 0.07, ("56.10A", "55.10Z", "56.30Z", "56.10C")),
    ("J", 0.04, ("62.01Z", "62.02A", "58.29C")),
    ("K", 0.04, ("64.19Z", "66.22Z", "65.12Z")),
    ("M", 0.08, ("69.20Z", "71.12B", "70.22Z", "69.10Z")),
    ("N", 0.10, ("78.20Z", "81.21Z", "80.10Z", "82.11Z")),
    ("P", 0.03, ("85.59A", "85.10Z")),
    ("Q", 0.13, ("86.10Z", "87.10A", "88.10A", "86.21Z", "87.30A")),
    ("S", 0.04, ("96.02A", "94.99Z", "96.09Z")),
)
HIGH_RISK_SECTIONS = ("F", "G", "H", "I", "Q")

#: Company size bands: share of companies (DOMAIN §4.1: 77.6% < 10) and mean headcount.
SIZE_BANDS = (("0-9", 0.776, 3.5), ("10-49", 0.18, 22.0), ("50-249", 0.037, 110.0),
              ("250+", 0.007, 600.0))

#: Job codes per sector: (PCS-ESE 2017 code, ROME v3 code, manual job?).
JOBS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "A": (("691a", "A1101", True), ("692a", "A1414", True)),
    "C": (("673a", "H2909", True), ("628a", "H2912", True), ("479a", "H1206", False),
          ("543a", "M1203", False)),
    "F": (("632a", "F1703", True), ("681a", "F1704", True), ("621a", "F1202", True),
          ("633a", "F1602", True)),
    "G": (("552a", "D1505", False), ("554a", "D1106", False), ("676a", "N1103", True),
          ("463a", "D1402", False)),
    "H": (("641a", "N4101", True), ("653a", "N1103", True), ("546a", "N4102", False)),
    "I": (("561a", "G1803", False), ("636d", "G1602", True), ("468a", "G1402", False)),
    "J": (("388a", "M1805", False), ("478a", "M1805", False)),
    "K": (("373a", "C1206", False), ("543a", "M1203", False)),
    "M": (("543a", "M1203", False), ("372a", "M1205", False), ("473a", "F1106", False)),
    "N": (("684a", "K2204", True), ("532b", "K2503", False), ("543a", "M1607", False)),
    "P": (("422e", "K2106", False), ("525a", "K2111", False)),
    "Q": (("526a", "J1501", True), ("431a", "J1506", True), ("563b", "K1302", True),
          ("543a", "M1607", False)),
    "S": (("562a", "D1202", False), ("563a", "K1304", True)),
}

CONTRACTS = (("CDI", 0.80), ("CDD", 0.10), ("INTERIM", 0.05), ("APPRENTI", 0.03), ("AUTRE", 0.02))

#: TEP surrogate codes (family letter + 4 digits) and the sectors where they occur.
TEP_CODES: dict[str, tuple[str, ...]] = {
    "B": ("B0101", "B0102", "B0103", "B0104"),   # manual handling, postures, vibrations, repetition
    "C": ("C0201", "C0202", "C0203"),            # CMR agents, solvents, wood dust
    "P": ("P0301", "P0302", "P0303"),            # noise, heat/cold, radiation
    "O": ("O0401", "O0402", "O0403"),            # night work, shift work, public contact/tension
    "G": ("G0501",),                             # biological agents
}
#: P(exposure family | manual job) and P(exposure family | non-manual job) by family.
P_EXPOSURE = {"B": (0.70, 0.08), "C": (0.30, 0.03), "P": (0.35, 0.04), "O": (0.25, 0.15),
              "G": (0.10, 0.02)}
#: Sector multipliers of those probabilities (capped at 0.95): pesticides and animals in
#: agriculture, solvents/noise in industry and construction, night and shift work and
#: biological agents in health care, heat in catering, night driving in transport.
SECTOR_EXPOSURE = {
    "A": {"B": 1.2, "C": 2.0, "G": 2.0},
    "C": {"C": 1.5, "P": 2.0},
    "F": {"B": 1.2, "C": 1.5, "P": 1.5},
    "H": {"B": 1.2, "O": 2.0},
    "I": {"O": 1.5, "P": 1.5},
    "Q": {"G": 4.0, "O": 2.0},
}

# --------------------------------------------------------------------------------------------
# Health states (latent; recorded through visits and diagnoses)
# --------------------------------------------------------------------------------------------
#: Logistic models for the latent conditions at entry: intercept, per-decade age slope, female.
P_MSK = (-2.6, 0.35, 0.10, 0.6)      # + manual job effect (last)
P_MENTAL = (-2.7, 0.05, 0.45, 0.0)
P_CHRONIC2 = (-3.4, 0.55, 0.0, 0.0)
#: RQTH at entry: logistic intercept, per-decade age slope, effect of any condition.
P_RQTH = (-4.6, 0.35, 1.3)
#: Annual hazard of a new RQTH during follow-up (x3 with a condition).
RQTH_ONSET_HAZARD = 0.003

# --------------------------------------------------------------------------------------------
# Sick leave (only leaves long enough to matter for the DMST are simulated)
# --------------------------------------------------------------------------------------------
#: Annual rate of leaves >= 30 days (any cause but maternity) for the reference worker,
#: multiplied by exp(SICK_LEAVE_EFFECTS . x). ~3% of workers start a leave > 90 days a year.
SICK_LEAVE_RATE = 0.035
SICK_LEAVE_EFFECTS = {"age_50p": np.log(2.0), "female": np.log(1.2), "msk": np.log(2.5),
                      "mental": np.log(2.5), "chronic2": np.log(2.0), "manual_job": np.log(1.5),
                      "recent_long": np.log(2.0)}
#: Cause mix of non-maternity leaves >= 30 days.
LEAVE_CAUSES = (("MALADIE", 0.82), ("AT", 0.14), ("MP", 0.04))
#: Log-normal duration (days) of leaves, by cause: (median, sigma); truncated below at 30.
LEAVE_DURATION = {"MALADIE": (70.0, 0.75), "AT": (60.0, 0.7), "MP": (120.0, 0.8)}
#: Longest leave simulated (3 years of daily allowances, DOMAIN §4.3).
MAX_LEAVE_DAYS = 1095
#: Annual maternity leave rate for women aged 22-40 (durations ~ 112 days).
MATERNITY_RATE = 0.05
#: Reprise visit thresholds (days) before / after 1 April 2022 (DOMAIN §3.3 [S]).
REFORM_DATE = "2022-04-01"
REPRISE_THRESHOLD_OLD = {"MALADIE": 30, "AT": 30, "MP": 1, "MATERNITE": 1}
REPRISE_THRESHOLD_NEW = {"MALADIE": 60, "AT": 30, "MP": 1, "MATERNITE": 1}
#: Pré-reprise visits are possible beyond these durations (3 months before, 30 days after).
PREREPRISE_THRESHOLD_OLD = 90
PREREPRISE_THRESHOLD_NEW = 30
P_PREREPRISE = 0.30
#: Share of compulsory reprise visits actually held (many are missed in practice [I]).
P_REPRISE_HELD = 0.85

# --------------------------------------------------------------------------------------------
# Visits
# --------------------------------------------------------------------------------------------
VIP_PERIOD_YEARS = 5
VIP_PERIOD_YEARS_ADAPTED = 3   # RQTH / invalidity / SIA
SIR_PERIOD_YEARS = 4           # with an intermediate visit at 2 years
P_PERIODIC_HELD = 0.75
P_MI_CARRIERE = 0.45
MI_CARRIERE_FROM = "2022-03-31"
FIN_CARRIERE_FROM = "2021-10-01"
P_FIN_CARRIERE = 0.5
#: Annual rate of visits on request (worker, employer, physician), x3 with a condition.
DEMAND_RATE = 0.06
DEMAND_SPLIT = (("DEMANDE_SAL", 0.45), ("DEMANDE_EMP", 0.25), ("DEMANDE_MT", 0.30))

# --------------------------------------------------------------------------------------------
# Diagnoses (CIM-10) by chapter
# --------------------------------------------------------------------------------------------
ICD10_CODES: dict[str, tuple[str, ...]] = {
    "M": ("M54.5", "M75.1", "M51.1", "M17.1", "M65.4", "M79.1", "M54.4", "M77.1"),
    "F": ("F32.1", "F41.1", "F43.2", "F33.1", "F43.1", "F10.2"),
    "I": ("I10", "I25.1", "I63.9", "I48"),
    "C": ("C50.9", "C18.9", "C61", "C34.9"),
    "G": ("G56.0", "G35", "G40.9", "G43.9"),
    "S": ("S62.6", "S83.2", "S93.4", "S42.2"),
    "E": ("E11.9", "E66.9"),
    "J": ("J45.9", "J44.9"),
}
CHRONIC_CODES = ("E11.9", "I10", "J45.9", "J44.9", "E66.9", "I25.1")


def sector_names() -> list[str]:
    """NAF sections used by the generator."""
    return [s for s, _, _ in SECTORS]
