"""Run an experiment end to end: extract -> cohort -> features -> indices -> validation -> report.

:func:`run_experiment` is what ``irdp run experiments/X.yaml`` calls. It writes
``<out>/<name>/<run-id>/`` holding

- ``report.html``: the self-contained TRIPOD+AI report (figures embedded);
- ``tables/*.csv``: every table of the report, after disclosure control;
- ``models/<index>.json``: the exported fitted indices (:func:`irdp.models.load` reads them);
- ``provenance.json``: git commit, SHA-256 of the extract files and of the configuration,
  package versions, seeds and timings.

Every random step draws from the experiment's ``seed`` (never from the number of cores), so
two runs of one configuration give byte-identical tables. After writing, the run folder is
scanned for worker and company identifiers; finding one is an error.

A step whose building block is missing from the installed irdp (for example a validation
design not available in this version) does not stop the run: its report section says so
explicitly, and the TRIPOD+AI checklist marks the items as not available.
"""

from irdp.pipeline._run import run_experiment
from irdp.pipeline._state import LEVEL_LABELS, IdentifierLeakError, RunResult

__all__ = ["RunResult", "run_experiment", "IdentifierLeakError", "LEVEL_LABELS"]
