"""Reading and validating DMST extracts."""

from irdp.io.extract import TABLES, Extract

__all__ = ["Extract", "TABLES"]
