"""Every notebook of notebooks/ runs top to bottom on a small synthetic extract.

As GPflow's tests/integration/test_notebooks.py: a discovery guard checks that exactly the
expected notebooks exist, then each one is executed with nbclient after injecting the small
parameters of irdp.notebooks.SMALL_PARAMETERS, and what a reader sees is checked: every cell
that draws a figure holds a PNG image, no cell prints a warning (or anything on stderr), and
no output shows a worker or visit identifier, and no displayed table shows a count of 1 to 10
in a count column (finding 7 of issue 11).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from irdp.notebooks import EXPECTED_NOTEBOOKS, execute_notebook, find_notebooks, read_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def test_has_notebooks():
    """Discovery guard: a missing, extra or renamed notebook fails here."""
    found = [p.stem for p in find_notebooks(NOTEBOOKS)]
    assert found == list(EXPECTED_NOTEBOOKS)


def test_no_ipynb_committed():
    """Only percent scripts are committed; .ipynb files are generated."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", EXPECTED_NOTEBOOKS)
def test_notebook_structure(name):
    """One parameters cell, public irdp API only, no silenced warnings, no seeds downstream."""
    path = NOTEBOOKS / f"{name}.py"
    nb = read_notebook(path)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"from irdp\.\w*\._|import irdp\.\w*\._|irdp\._", source), \
        "notebooks import only the public irdp API"
    assert "filterwarnings" not in source
    assert "simplefilter" not in source
    assert any(c.cell_type == "markdown" for c in nb.cells)


#: A code line that draws a figure (plot functions, results' plot(), displays).
PLOTTING = re.compile(r"\.plot(_\w+)?\(|\bplot_\w+\(|\w+Display(\.from_\w+)?\(")
#: A warning as Python prints it ("...: SomethingWarning: message").
WARNING = re.compile(r"\b\w*Warning\b")
#: Identifiers of the synthetic extract (workers W000000007, visits V0000007383).
IDENTIFIER = re.compile(r"\b[WV]\d{9,10}\b")


def _code_lines(cell):
    return [ln for ln in cell.source.splitlines() if ln.strip() and
            not ln.lstrip().startswith("#")]


def plotting_cells(nb):
    """Indices of the code cells that draw a figure."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and
            any(PLOTTING.search(ln) for ln in _code_lines(c))]


#: Columns of a displayed table that count people or events.
COUNT_COLUMN = re.compile(r"^(n|n_.+|.+_n|events?|n?_?events?_.*|count|workers|cases|"
                          r"non_events|effectif)$", re.IGNORECASE)


def small_counts(html):
    """Counts 1-10 shown in the count columns of the HTML tables of an output."""
    import io

    import pandas as pd

    if "<table" not in html:
        return []
    try:
        tables = pd.read_html(io.StringIO(html), flavor="bs4")
    except (ValueError, ImportError):
        return []
    found = []
    for t in tables:
        for col in t.columns:
            name = " ".join(map(str, col)) if isinstance(col, tuple) else str(col)
            if not COUNT_COLUMN.match(name.strip().split(" ")[-1]):
                continue
            values = pd.to_numeric(t[col].astype(str).str.replace(",", ""), errors="coerce")
            small = values[(values >= 1) & (values < 11) & (values == values.round())]
            found += [f"{name}={int(v)}" for v in small]
    return found


def _texts(output):
    if output.output_type == "stream":
        yield output.text
    for mime in ("text/plain", "text/html"):
        if mime in output.get("data", {}):
            yield output["data"][mime]


def problems(nb):
    """What a reader must not see, cell by cell: missing images, warnings, identifiers."""
    found = []
    for i in plotting_cells(nb):
        if not any("image/png" in o.get("data", {}) for o in nb.cells[i].outputs):
            found.append((i, "plotting cell without an image/png output"))
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stderr":
                found.append((i, f"stderr: {out.text[:300]!r}"))
            if out.output_type == "error":
                found.append((i, f"error: {out.ename}"))
            for text in _texts(out):
                if WARNING.search(text):
                    found.append((i, f"warning: {WARNING.search(text).group(0)}"))
                if IDENTIFIER.search(text):
                    found.append((i, "an identifier of the extract is shown"))
            html = out.get("data", {}).get("text/html", "")
            if small_counts(html):
                found.append((i, f"counts under 11 shown: {small_counts(html)[:5]}"))
    return found


def test_problems_detects_what_a_reader_must_not_see():
    """The checks of the executed notebooks can fail (a figure printed as text, a warning)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("cal.plot()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "<Figure size 600x485 with 1 Axes>"})]),
        nbformat.v4.new_code_cell("fit()", outputs=[nbformat.v4.new_output(
            "stream", name="stderr", text="LinAlgWarning: ill-conditioned matrix")]),
        nbformat.v4.new_code_cell("display(t)", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/plain": "W000000007  S002"})]),
        nbformat.v4.new_code_cell("d = CalibrationDisplay.from_result(cal)\nd", outputs=[
            nbformat.v4.new_output("execute_result", data={"image/png": "iVBOR",
                                                           "text/plain": "<CalibrationDisplay>"})]),
        nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": "<table><tr><th>group</th><th>n</th>"
                                    "<th>events</th></tr><tr><td>a</td><td>1,072</td>"
                                    "<td>7</td></tr><tr><td>b</td><td>[c]</td><td>12</td>"
                                    "</tr></table>"})]),
    ]
    assert plotting_cells(nb) == [0, 3]
    kinds = [k for _, k in problems(nb)]
    assert kinds == ["plotting cell without an image/png output",
                     "stderr: 'LinAlgWarning: ill-conditioned matrix'",
                     "warning: LinAlgWarning", "an identifier of the extract is shown",
                     "counts under 11 shown: ['events=7']"]


@pytest.mark.parametrize("name", EXPECTED_NOTEBOOKS)
def test_every_figure_is_commented(name):
    """Each cell that draws a figure is followed by a markdown cell that reads it."""
    nb = read_notebook(NOTEBOOKS / f"{name}.py")
    uncommented = [i for i in plotting_cells(nb)
                   if i + 1 >= len(nb.cells) or nb.cells[i + 1].cell_type != "markdown"]
    assert uncommented == []


@pytest.mark.notebooks
@pytest.mark.parametrize("name", EXPECTED_NOTEBOOKS)
def test_notebook_runs(name):
    """The notebook executes at the small CI size; every figure is an image, no warnings."""
    nb = execute_notebook(NOTEBOOKS / f"{name}.py", small=True, timeout=300)
    assert problems(nb) == []
