"""Report rendering: valid self-contained HTML, disclosure control, checklist, determinism."""

from __future__ import annotations

import html5lib
import matplotlib
import numpy as np
import pandas as pd
import pytest

from irdp.privacy import check_disclosure
from irdp.report import (
    SECTIONS,
    TRIPOD_ITEMS,
    Report,
    add_checklist,
    render_html,
    scan_identifiers,
    smd_categorical,
    smd_continuous,
    table_one,
    table_one_disclosure,
    write_report,
)

matplotlib.use("Agg")


def _report(seed=1):
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    r = Report("Test report", min_count=11)
    r.add_text("summary", "A <b>bold</b> claim & more")  # escaped, not markup
    r.add_table("flow", "flow", pd.DataFrame({"step": ["all", "eligible", "excluded"],
                                              "n": [500, 493, 7]}), caption="Flow")
    fig, ax = plt.subplots()
    ax.plot(rng.random(10))
    r.add_figure("calibration", "calib", fig, caption="A figure")
    r.unavailable("iecv", "IECV", "irdp.validation.iecv is missing")
    df = pd.DataFrame({"set": rng.choice(["dev", "val"], 300, p=[0.7, 0.3]),
                       "age": rng.normal(45, 9, 300),
                       "rare": rng.choice(["a", "b", "c"], 300, p=[0.9, 0.08, 0.02])})
    t1 = table_one(df, "set", ["age", "rare"])
    r.add_table("table1", "table1", t1, caption="Table 1", **table_one_disclosure(t1))
    add_checklist(r)
    return r


def test_html_is_valid_and_self_contained(tmp_path):
    path = write_report(_report(), tmp_path, run_id="r1")
    text = path.read_text(encoding="utf-8")
    parser = html5lib.HTMLParser(strict=True)
    doc = parser.parse(text)  # raises on any parse error
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    imgs = doc.findall(".//h:img", ns)
    assert len(imgs) == 1
    assert all(i.get("src").startswith("data:image/png;base64,") for i in imgs)
    assert "http://" not in text
    assert "https://" not in text
    assert "&lt;b&gt;bold&lt;/b&gt; claim &amp; more" in text
    assert "not available in this version" in text


def test_every_section_and_checklist_item():
    r = _report()
    html = render_html(r)
    for s in SECTIONS:
        if r.sections[s.id].blocks:
            assert f'id="{s.id}"' in html
    checklist = [b for b in r.tables() if b.name == "tripod_ai_checklist"][0].frame
    assert list(checklist["item"]) == [i.item for i in TRIPOD_ITEMS]
    st = checklist.set_index("item")["status"]
    assert st["20a"] == "answered"
    assert st["23b"] == "not answered"  # only the unavailable IECV section
    reason = checklist.set_index("item")["reason"]
    assert "IECV: not available in this version" in reason["23b"]
    assert st["17"] == "authors must add"


def test_disclosure_control_of_tables(tmp_path):
    r = _report()
    write_report(r, tmp_path)
    flow = pd.read_csv(tmp_path / "tables" / "flow.csv", dtype=str)
    assert flow["n"].tolist() == ["500", "493", "[c]"]  # the neutral marker, never "<11"
    for block in r.tables():
        if block.name == "tripod_ai_checklist":
            continue
        counts = [c for c in block.frame.columns if str(c).endswith(": n") or c == "n"]
        assert check_disclosure(block.frame, count_columns=counts) == []
    t1 = [b for b in r.tables() if b.name == "table1"][0]
    rare = t1.frame[t1.frame["variable"] == "rare"]
    # the level 'c' (about 6 workers) is suppressed, and so is at least one other cell of the
    # same column of the block (secondary suppression: the levels add up to the known N)
    masked = rare["val: n"].isna().sum() + rare["dev: n"].isna().sum()
    assert masked >= 2
    assert rare["SMD"].isna().all()


def test_integer_columns_need_disclosure():
    r = Report("x")
    with pytest.raises(ValueError, match="counts of people must pass disclosure control"):
        r.add_table("flow", "t", pd.DataFrame({"n": [3]}), caption="c", disclosure=False)
    r.add_table("flow", "u", pd.DataFrame({"n": [30]}), caption="c")
    with pytest.raises(ValueError, match="already used"):
        r.add_table("flow", "u", pd.DataFrame({"n": [30]}), caption="c")
    with pytest.raises(KeyError, match="unknown report section"):
        r.add_text("nope", "x")


def test_same_report_same_bytes(tmp_path):
    a = write_report(_report(seed=3), tmp_path / "a", run_id="r")
    b = write_report(_report(seed=3), tmp_path / "b", run_id="r")
    assert a.read_bytes() == b.read_bytes()
    for f in (tmp_path / "a" / "tables").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / "tables" / f.name).read_bytes()


def test_identifier_scan(tmp_path):
    (tmp_path / "t.csv").write_text("worker_id,n\nW-000123,12\n")
    (tmp_path / "r.html").write_text("<img src='data:image/png;base64,xxW-000124xx'>")
    found = scan_identifiers(tmp_path, {"W-000123", "W-000124"})
    kinds = sorted((f.kind, f.token) for f in found)
    assert kinds == [("column", "worker_id"), ("value", "W-000123")]


def test_smd_reference_values():
    """Hand-checked SMDs (Austin 2009; Yang & Dalton 2012)."""
    # continuous: means 2.5 and 3.5, variances 5/3 each -> -1 / sqrt(5/3)
    assert smd_continuous([1, 2, 3, 4], [2, 3, 4, 5]) == pytest.approx(-1 / np.sqrt(5 / 3))
    # binary: p = 0.6 vs 0.4 -> 0.2 / sqrt((0.24 + 0.24) / 2)
    assert smd_categorical(list("xxxxxxyyyy"), list("xxxxyyyyyy")) == pytest.approx(
        0.2 / np.sqrt(0.24))
    # identical distributions
    assert smd_categorical(list("abcabc"), list("cbacba")) == pytest.approx(0.0)
