"""Cohorts: index dates, eligibility, outcomes at a horizon and the TRIPOD flow table.

Typical use::

    from irdp.cohort import CohortDefinition, build_cohort
    definition = CohortDefinition.from_yaml("experiments/cohorts/mi_carriere_12m.yaml")
    cohort = build_cohort(extract, definition)
    cohort.table, cohort.flow, cohort.competing_risks, cohort.binary
"""

from irdp.cohort.build import (
    Cohort,
    PartitionedCohort,
    PartitionedTable,
    build_cohort,
    build_cohort_partitioned,
)
from irdp.cohort.definition import (
    CAUSES,
    COMPETING_CAUSE,
    CohortDefinition,
    Eligibility,
    Horizon,
    IndexEvent,
    OutcomeEvent,
    months_to_days,
)

__all__ = [
    "CAUSES",
    "COMPETING_CAUSE",
    "Cohort",
    "CohortDefinition",
    "Eligibility",
    "Horizon",
    "IndexEvent",
    "OutcomeEvent",
    "PartitionedCohort",
    "PartitionedTable",
    "build_cohort",
    "build_cohort_partitioned",
    "months_to_days",
]
