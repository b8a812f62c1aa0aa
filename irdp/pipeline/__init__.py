"""Run an experiment end to end: extract -> cohort -> features -> indices -> validation -> report.

:func:`run_experiment` is what ``irdp run experiments/X.yaml`` calls. It writes
``<out>/<name>/<run-id>/`` holding

- ``report.html``: the self-contained TRIPOD+AI report (figures embedded);
- ``tables/*.csv``: every table of the report, after disclosure control;
- ``models/<index>.json``: the exported fitted indices (:func:`irdp.models.load` reads them);
- ``quality_report.txt``: the data-quality summary of the extract (as ``irdp check``);
- ``provenance.json``: git commit, SHA-256 of the extract files and of the configuration,
  package versions, seeds, timings, warnings, ``failures`` and ``complete``.

Every random step draws from the experiment's ``seed`` (never from the number of cores), so
two runs of one configuration give byte-identical tables.

A step (or a part of one) that cannot be computed on the data at hand
(:class:`~irdp.exceptions.ComputationError`, ``LinAlgError``, ``FloatingPointError``) is
recorded as failed, with its reason, in its report section, in ``provenance.json`` and on
the command line, and the rest of the report is produced. irdp's own input errors and
programming errors are not swallowed: they stop the run, whose folder keeps what was
computed, a ``failure.json`` and ``"complete": false`` (:class:`RunStoppedError`). A run
folder is never deleted. After writing, the folder is scanned for the extract's worker and
company identifiers; a file holding one is moved to ``withheld/``.
"""

from irdp.pipeline._run import run_experiment
from irdp.pipeline._state import (
    COMPUTATION_FAILURES,
    LEVEL_LABELS,
    IdentifierLeakError,
    RunResult,
    RunStoppedError,
    StepFailure,
)

__all__ = ["RunResult", "run_experiment", "IdentifierLeakError", "LEVEL_LABELS",
           "RunStoppedError", "StepFailure", "COMPUTATION_FAILURES"]
