"""Every notebook of notebooks/ runs top to bottom on a small synthetic extract.

As GPflow's tests/integration/test_notebooks.py: a discovery guard checks that exactly the
expected notebooks exist, then each one is executed with nbclient after injecting the small
parameters of irdp.notebooks.SMALL_PARAMETERS.
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


@pytest.mark.notebooks
@pytest.mark.parametrize("name", EXPECTED_NOTEBOOKS)
def test_notebook_runs(name):
    """The notebook executes without error at the small CI size."""
    execute_notebook(NOTEBOOKS / f"{name}.py", small=True, timeout=300)
