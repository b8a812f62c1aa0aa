"""irdp: open, reproducible validation of occupational-health risk indices.

The IRDP (indice de repérage de la désinsertion professionnelle) flags workers at risk of
losing their job because of a health problem, from the occupational health record (DMST).
This package holds the extract contract and loader, a synthetic DMST generator, cohort and
feature builders, candidate index models, performance measures, validation designs,
fairness checks and disclosure-controlled reports.

Sub-packages are imported on demand; ``import irdp`` has no side effects.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("irdp")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
