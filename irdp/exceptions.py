"""Exceptions and warnings raised by irdp.

Every error raised on purpose by irdp derives from :class:`IrdpError`; every warning from
:class:`IrdpWarning`. Errors about a bad *value* also derive from :class:`ValueError` so that
generic ``except ValueError`` handlers keep working.
"""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning

__all__ = [
    "IrdpError",
    "ExtractError",
    "OutcomeError",
    "IndexMismatchError",
    "NoComparablePairsError",
    "ComputationError",
    "InsufficientDataError",
    "ConvergenceError",
    "ExperimentConfigError",
    "DisclosureError",
    "ConvergenceWarning",
    "IrdpWarning",
    "SmallGroupWarning",
    "UndefinedMetricWarning",
    "SeparationWarning",
    "CompleteCaseWarning",
    "IrdpDeprecationWarning",
    "UnknownMeasureError",
    "CohortDefinitionError",
    "SummaryPackError",
]


class IrdpError(Exception):
    """Base class of every error raised by irdp."""


class ExtractError(IrdpError, ValueError):
    """A DMST extract does not satisfy the contract in ``data_schemas/``."""


class OutcomeError(IrdpError, ValueError):
    """An outcome container was given inconsistent or impossible values."""


class IndexMismatchError(IrdpError, ValueError):
    """Pandas inputs whose indexes differ were passed together (irdp never aligns silently)."""


class ComputationError(IrdpError):
    """A statistic or model cannot be computed on these (valid) data.

    Raised when the inputs are well formed but cannot support the computation: too few
    events, no event of a cause, a constant predictor in a resample, a singular or diverging
    fit. A run records it as the failure of the step that raised it and goes on; every other
    exception (a bad input, a bad configuration, a programming error) is not swallowed.
    """


class InsufficientDataError(ComputationError, ValueError):
    """The data hold too little information (events, pairs, rows, categories) for this result."""


class ConvergenceError(ComputationError, ArithmeticError):
    """A fit did not converge or its information matrix is singular."""


class NoComparablePairsError(InsufficientDataError):
    """A concordance-type measure has no comparable pair of subjects."""


class DisclosureError(IrdpError):
    """An output would let a reader read or recover a count below the disclosure threshold."""


class IrdpWarning(UserWarning):
    """Base class of every warning issued by irdp."""


class SmallGroupWarning(IrdpWarning):
    """A group is smaller than the stated minimum; its results are unreliable or suppressed."""


class UndefinedMetricWarning(IrdpWarning):
    """A measure is undefined for the data given (for example no event before the horizon)."""


class ConvergenceWarning(IrdpWarning, _SklearnConvergenceWarning):
    """An iterative fit stopped before convergence (also a scikit-learn ``ConvergenceWarning``)."""


class SeparationWarning(IrdpWarning):
    """A fit shows (quasi-)complete separation; estimates diverge."""


class ExperimentConfigError(IrdpError, ValueError):
    """An experiment configuration (``experiments/*.yaml``) is invalid.

    The message lists every problem found (unknown key, wrong type, missing file, bad value),
    each with its dotted key path, what was observed and how to fix it; ``problems`` keeps
    them as a list of strings.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{source}: {len(self.problems)} problem(s) in the experiment configuration:\n{lines}"
        )


class CompleteCaseWarning(IrdpWarning):
    """Complete-case analysis was used: biased unless data are missing completely at random."""


class IrdpDeprecationWarning(IrdpWarning, FutureWarning):
    """An old spelling of an argument was used; it still works and will be removed.

    A ``FutureWarning`` (shown by default, unlike ``DeprecationWarning``) as well as an
    :class:`IrdpWarning`.
    """


class UnknownMeasureError(IrdpError, ValueError):
    """A measure name is not in the registry :data:`irdp.metrics.METRICS` (nor an alias)."""


class CohortDefinitionError(ExperimentConfigError):
    """A cohort definition (``experiments/cohorts/*.yaml`` or the ``cohort`` block) is invalid.

    Like :class:`ExperimentConfigError`, the message lists every problem at once, each with
    its key path; ``problems`` keeps them as a list of strings.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super(ExperimentConfigError, self).__init__(
            f"{source}: {len(self.problems)} problem(s) in the cohort definition:\n{lines}"
        )


class SummaryPackError(IrdpError, ValueError):
    """A summary pack (``*.irdp-summary.json``) cannot be used or pooled.

    Raised by :mod:`irdp.multicentre` for a pack that is not a summary pack, whose format
    version is not supported, whose content does not match its SHA-256 (tampered or
    damaged), or that cannot be pooled with the others (another experiment, other indices
    or horizon, the same SPSTI twice).

    Attributes
    ----------
    source : str
        The pack (file name or label) concerned.
    rule : str
        The rule broken: ``"format"``, ``"version"``, ``"hash"``, ``"compatibility"``,
        ``"duplicate"``, ``"content"`` (a pack that would breach disclosure control), or,
        when a pack is written, ``"spsti"`` (not in the extract), ``"models"`` (a model
        export missing or unusable) and ``"indices"`` (unknown index names).
    """

    def __init__(self, source: str, rule: str, message: str) -> None:
        self.source = str(source)
        self.rule = rule
        super().__init__(f"{source}: {message}")
