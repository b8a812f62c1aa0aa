"""Code lists of the contract used by the generator (checked against data_schemas/ in tests)."""

from __future__ import annotations

VISIT_TYPES = (
    "VIP_INIT", "VIP_PER", "SIR_EMB", "SIR_PER", "SIR_INTER", "PREREPRISE", "REPRISE",
    "MI_CARRIERE", "FIN_CARRIERE", "DEMANDE_SAL", "DEMANDE_EMP", "DEMANDE_MT",
)
VT = {name: i for i, name in enumerate(VISIT_TYPES)}
ABSENCE_CAUSES = ("MALADIE", "AT", "MP", "MATERNITE")
AC = {name: i for i, name in enumerate(ABSENCE_CAUSES)}
CONCLUSIONS = ("ATTESTATION", "APTE", "AMENAGEMENT", "INAPTE", "INAPTE_DISPENSE", "ORIENTATION")
CC = {name: i for i, name in enumerate(CONCLUSIONS)}
EXIT_REASONS = (
    "CHANGEMENT_SPSTI", "RETRAITE", "DECES", "FIN_SUIVI", "LICENCIEMENT_INAPTITUDE",
    "AUTRE_PERTE_EMPLOI",
)
END_REASONS = (
    "LICENCIEMENT_INAPTITUDE", "LICENCIEMENT_AUTRE", "FIN_CONTRAT", "DEMISSION",
    "RUPTURE_CONVENTIONNELLE", "RETRAITE", "AUTRE",
)
PROFESSIONALS = ("MT", "IST", "IPA", "INTERNE", "COLLAB")
MEASURES = ("POSTE", "TEMPS", "TPT", "RESTRICTION", "FORMATION", "RECLASSEMENT")
SIZE_BANDS = ("0-9", "10-49", "50-249", "250+")
CONTRACTS = ("CDI", "CDD", "INTERIM", "APPRENTI", "AUTRE")
FOLLOWUP_TYPES = ("SIG", "SIA", "SIR")
EDUCATION = ("infra_bac", "bac", "sup_bac")
ROLES = ("PRINCIPAL", "SECONDAIRE", "INAPTITUDE")
INSTRUMENTS = ("WAI", "WAS", "OMPSQ_SF", "Q4")

#: Truth event codes (first event of each worker).
EVENTS = ("CENSORED", "INAPTITUDE", "RETRAITE", "DECES", "CHANGEMENT_SPSTI", "AUTRE_PERTE_EMPLOI",
          "FIN_SUIVI")
EV = {name: i for i, name in enumerate(EVENTS)}

#: Code systems (legacy SPSTI software vs current).
SYSTEMS_LEGACY = {"visit_type": "PRESANSE-TV-2013", "icd10": "CIM-10-FR-2019", "tep": "TEP-2018",
                  "job": "ROME-V3"}
SYSTEMS_CURRENT = {"visit_type": "PRESANSE-TV-2022", "icd10": "CIM-10-FR-2024", "tep": "TEP-2024",
                   "job": "PCS-ESE-2017"}
