"""The report of a small synthetic run, checked in a real browser (headless Chromium).

- every figure loads (``naturalWidth > 0``);
- no table of the main text is wider than the printed text block of an A4 page (the print
  stylesheet applied on a screen as wide as the text block);
- the main text (everything but the appendix) prints on at most 15 A4 pages
  (``--print-to-pdf``, pages counted in the PDF).

Chromium is a test dependency (Debian's ``chromium``, installed by ``.ci/run``): the tests
fail, not skip, when it is missing. Plain command-line flags only (``--dump-dom`` on a test
copy of the page with a measuring script, ``--print-to-pdf``).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from irdp.pipeline import run_experiment
from irdp.report.grid import PAGE_WIDTH_PX

#: At most this many printed A4 pages for the main text.
MAX_MAIN_PAGES = 15

PREDICTORS = ["age", "sex", "sl_days_24m", "dx_msk_24m", "rqth", "company_size",
              "prev_amenagement_ever"]
CONFIG = {
    "name": "layout",
    "seed": 11,
    "extract": {"synthetic": {"n_workers": 8000, "n_spsti": 3, "start": "2016-01-01",
                              "end": "2024-12-31", "seed": 5}},
    "cohort": {"index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
               "extract_end": "2024-12-31", "horizon": {"months": 24}},
    "indices": [{"name": "logistic", "kind": "logistic", "features": PREDICTORS},
                {"name": "cox", "kind": "cox", "features": PREDICTORS}],
    "validation": {"holdout": {"by": "period", "cutoff": "2021-06-01"},
                   "bootstrap": {"n_boot": 0}, "iecv": {"by": ["spsti"]},
                   "measures": ["c", "calibration_slope", "citl", "oe", "brier", "ipa"],
                   "compare_n_boot": 5},
    "fairness": {"groups": ["sex", "company_size"], "n_boot": 5},
    "completeness": {"fields": ["sl_days_24m"], "rates": [0.0, 0.5], "n_repeats": 1},
    "report": {"min_count": 11},
}

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--hide-scrollbars", "--mute-audio"]

_MEASURE = """<script>
window.addEventListener("load", () => {
  const main = document.querySelector("main");
  const tables = [...main.querySelectorAll("table")].map(t => {
    const box = t.closest(".scroll") || t.parentElement;
    return {id: (t.closest("figure") || {}).id || "", width: t.getBoundingClientRect().width,
            room: box.clientWidth, scroll: box.scrollWidth};
  });
  const images = [...document.images].map(i => ({complete: i.complete,
                                                   width: i.naturalWidth}));
  const out = document.createElement("pre");
  out.id = "irdp-layout";
  out.textContent = JSON.stringify({tables, images,
    page: document.documentElement.clientWidth, body: document.body.scrollWidth});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    """The Chromium binary; a failure (not a skip) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.path.exists("/usr/bin/chromium"):
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail("Chromium is needed for the report layout tests and is not installed: "
                    "install Debian's 'chromium' package (.ci/run does it).")
    return found


def _run_chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(tmp))  # no profile written outside the test folder
    return subprocess.run([chromium(), *_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
                          capture_output=True, text=True, timeout=240, env=env, check=False)


def measure_layout(report: Path, tmp: Path) -> dict:
    """Figures and main-text table widths, with the print stylesheet on a screen as wide as
    the printed text block of an A4 page."""
    text = report.read_text(encoding="utf-8")
    assert "@media print {" in text, "the report has a print stylesheet"
    text = text.replace("@media print {", "@media all {").replace("</body>", _MEASURE + "</body>")
    copy = tmp / "measure.html"
    copy.write_text(text, encoding="utf-8")
    done = _run_chromium([f"--window-size={PAGE_WIDTH_PX},1200", "--virtual-time-budget=10000",
                          "--dump-dom", copy.as_uri()], tmp)
    found = re.search(r'<pre id="irdp-layout">(.*?)</pre>', done.stdout, re.S)
    assert found, f"Chromium did not run the measuring script: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def printed_main_pages(report: Path, tmp: Path) -> int:
    """A4 pages of the printed main text (the report printed without its appendix)."""
    text = report.read_text(encoding="utf-8")
    text = text.replace("</style>", "#appendix { display: none !important; }</style>", 1)
    copy = tmp / "main.html"
    copy.write_text(text, encoding="utf-8")
    pdf = tmp / "main.pdf"
    done = _run_chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", copy.as_uri()],
                         tmp)
    assert pdf.exists(), f"Chromium did not print: {done.stderr[-2000:]}"
    return count_pdf_pages(pdf.read_bytes())


def count_pdf_pages(data: bytes) -> int:
    """Page objects of a PDF (``/Type /Page``, not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layout")
    cfg = root / "layout.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    return run_experiment(cfg, out=root / "reports", progress=False, n_jobs=1,
                          run_id="r").report_path


@pytest.fixture(scope="module")
def layout(report, tmp_path_factory) -> dict:
    return measure_layout(report, tmp_path_factory.mktemp("chromium"))


def test_count_pdf_pages():
    assert count_pdf_pages(b"<< /Type /Pages /Count 2 >> << /Type /Page >> "
                           b"<</Type/Page/Parent 1 0 R>>") == 2


def test_every_figure_loads(report, layout):
    n_img = len(re.findall(r"<img\b", report.read_text(encoding="utf-8")))
    assert n_img >= 5, "the small run draws figures"
    assert len(layout["images"]) == n_img
    broken = [k for k, i in enumerate(layout["images"]) if not i["complete"] or i["width"] <= 0]
    assert broken == [], f"figures that do not load: {broken}"


def test_no_main_text_table_overflows_the_page(layout):
    assert layout["page"] == PAGE_WIDTH_PX
    assert len(layout["tables"]) >= 10, "the main text has tables"
    wide = [(t["id"], round(t["width"]), t["room"]) for t in layout["tables"]
            if t["width"] > t["room"] + 1 or t["scroll"] > t["room"] + 1]
    assert wide == [], f"main-text tables wider than the A4 text block: {wide}"
    assert layout["body"] <= layout["page"] + 1


def test_main_text_prints_on_at_most_15_pages(report, tmp_path):
    pages = printed_main_pages(report, tmp_path)
    assert 1 <= pages <= MAX_MAIN_PAGES, f"the main text prints on {pages} A4 pages"
