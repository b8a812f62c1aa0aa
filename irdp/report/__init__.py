"""Disclosure-controlled, TRIPOD+AI structured validation reports.

- :class:`Report`: sections (:data:`SECTIONS`), tables passed through disclosure control when
  added, figures embedded, failed or skipped steps stated (:meth:`Report.add_failure`);
  :func:`write_report` writes ``report.html`` and ``tables/*.csv``.
- The HTML reads like a paper: numbers formatted (:mod:`irdp.report.format`), code names
  replaced by labels (:mod:`irdp.report.labels`), tables shaped and fitted to the page
  (:mod:`irdp.report.tabulate`, :mod:`irdp.report.grid`), long material in the appendix
  (:mod:`irdp.report.layout`), a print stylesheet for A4.
- :data:`TRIPOD_ITEMS` and :func:`checklist`: the TRIPOD+AI checklist (official numbering and
  wording) mapped to sections.
- :func:`table_one`: characteristics by group with standardised mean differences.
- :func:`scan_identifiers`: no worker or company identifier in any file of a run.
- Provenance helpers: :func:`hash_folder`, :func:`git_info`, :func:`make_run_id`.
"""

from irdp.report.document import (
    Failure,
    FigureBlock,
    Note,
    Report,
    Section,
    TableBlock,
    Text,
    disclosure_control,
    figure_to_bytes,
)
from irdp.report.provenance import (
    Timer,
    git_info,
    hash_file,
    hash_folder,
    make_run_id,
    package_versions,
    write_provenance,
)
from irdp.report.render import add_checklist, render_html, write_report, write_tables
from irdp.report.scan import IDENTIFIER_COLUMNS, IdentifierFinding, scan_identifiers
from irdp.report.tables import smd_categorical, smd_continuous, table_one, table_one_disclosure
from irdp.report.tripod import SECTIONS, TRIPOD_ITEMS, SectionSpec, TripodItem, checklist

__all__ = [
    "Failure",
    "FigureBlock",
    "IDENTIFIER_COLUMNS",
    "IdentifierFinding",
    "Note",
    "Report",
    "SECTIONS",
    "Section",
    "SectionSpec",
    "TRIPOD_ITEMS",
    "TableBlock",
    "Text",
    "Timer",
    "TripodItem",
    "add_checklist",
    "checklist",
    "disclosure_control",
    "figure_to_bytes",
    "git_info",
    "hash_file",
    "hash_folder",
    "make_run_id",
    "package_versions",
    "render_html",
    "scan_identifiers",
    "smd_categorical",
    "smd_continuous",
    "table_one",
    "table_one_disclosure",
    "write_provenance",
    "write_report",
    "write_tables",
]
