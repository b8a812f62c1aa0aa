"""What a reader sees in report.html: numbers, labels, order, tables shaped and placed.

Each test starts from tables shaped like the pipeline's (the numbers of issue 12's demo run)
and checks the rendered HTML, so a regression shows as the finding it would bring back.
"""

from __future__ import annotations

import re
from html import unescape

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irdp.report import (
    SECTIONS,
    TRIPOD_ITEMS,
    Report,
    add_checklist,
    render_html,
    table_one,
    table_one_disclosure,
)
from irdp.report.grid import PAGE_WIDTH_PX, estimate_width, split_to_width
from irdp.report.labels import sort_ordinal
from irdp.report.tabulate import tabulate

matplotlib.use("Agg")


def _cells(html: str, tag: str = "t[hd]") -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html)]


def _headers(html: str) -> list[str]:
    heads = re.findall(r"<thead>(.*?)</thead>", html, re.S)
    return [c for h in heads for c in _cells(h, "th")]


def _performance() -> pd.DataFrame:
    rows = []
    for index in ("logistic", "cox"):
        for data in ("development (apparent)", "validation"):
            rows += [
                ("A", "oe_ratio", 0.721747, 0.0486, 0.632543, 0.823532,
                 "log-scale Wald, SE(log O/E) = SE(O)/O", 219),
                ("C", "c_harrell", 0.780410, 0.0171, 0.746228, 0.813020,
                 "infinitesimal jackknife", 219),
                ("calibration (moderate)", "ici", 0.000257619, np.nan, np.nan, np.nan,
                 "no analytic SE (use bootstrap=)", 219),
                ("D", "net_benefit@0.005", 0.00618337, np.nan, np.nan, np.nan,
                 "treat all: 0.005279", 219),
            ]
            rows[-4:] = [(index, data, *r) for r in rows[-4:]]
    frame = pd.DataFrame(rows, columns=["index", "data", "group", "measure", "value", "se",
                                        "lower", "upper", "method", "n_events"])
    frame["level"] = 0.95
    frame["n"] = 27900
    frame["horizon"] = 365.0
    frame["n_events"] = frame["n_events"].astype("int64")
    return frame


def _report() -> Report:
    r = Report("Form", min_count=11)
    r.add_table("performance", "performance", _performance(), caption="Performance",
                count_columns=["n", "n_events"])
    coef = pd.DataFrame({"term": ["(Intercept)", "age", "sex[F]", "sl_days_24m",
                                  "wai_total__missing"],
                         "coef": [-6.3888, 0.0533015, 0.379896, 0.00164864, 0.81],
                         "se": [1.06, 0.0033, 0.0737, 0.00035, 0.2],
                         "z": [-6.0, 15.9, 5.15, 4.74, 4.05],
                         "p": [1.87263e-09, 2.14486e-213, 2.56e-07, 2.12e-06, 0.0412],
                         "ci_lower": [-8.47282, 0.0467548, 0.235409, 0.000967, 0.42],
                         "ci_upper": [-4.30478, 0.0598483, 0.524383, 0.00233, 1.2]})
    coef["odds_ratio"] = np.exp(coef["coef"])
    r.add_table("model", "coefficients_logistic", coef, caption="Logistic: full model",
                disclosure=False)
    points = pd.DataFrame({"points": [-6.0, -5.0, 0.0, 3.0], "risk": [0.0003, 0.0004,
                                                                      0.002, 0.01]})
    r.add_table("model", "points_risk_points", points, caption="Risk by points",
                disclosure=False, placement="main")
    boot = pd.DataFrame({"index": ["logistic"] * 3, "measure": ["c", "calibration_slope",
                                                                "citl"],
                         "apparent": [0.78041, 1.0, -2.27307e-16],
                         "optimism": [0.0057879, 0.0208191, 0.00491664],
                         "corrected": [0.774623, 0.979181, -0.00491664],
                         "n_resamples": [20, 20, 20]})
    r.add_table("performance", "bootstrap_optimism", boot, caption="Optimism",
                count_columns=[])
    service = pd.DataFrame({"group": ["0-9", "10-49", "250+", "50-249"],
                            "n": [19446, 28173, 28419, 30000],
                            "events_by_horizon": [234, 276, 240, 250],
                            "mean_predicted": [0.013, 0.011, 0.0096, 0.01]})
    r.add_table("service", "service_company_size", service, caption="By company_size",
                count_columns=["n", "events_by_horizon"])
    crosstab = pd.DataFrame({"level_0": ["all"] * 3, "cox": ["faible", "intermédiaire",
                                                             "forte"],
                             "faible": [10968, 457, 0], "forte": [0, 0, 3347]})
    r.add_table("comparison", "comparison_levels_1", crosstab, caption="Levels",
                count_columns=["faible", "forte"])
    dictionary = pd.DataFrame({"name": [f"f{k}" for k in range(117)],
                               "description": ["a definition"] * 117})
    r.add_table("predictors", "data_dictionary", dictionary, caption="Data dictionary",
                disclosure=False)
    nb = pd.DataFrame({"threshold": np.round(np.linspace(0.005, 0.2, 40), 4),
                       "net_benefit": np.linspace(0.004, -0.001, 40)})
    r.add_table("decision-curves", "net_benefit", nb, caption="Net benefit by threshold",
                disclosure=False)
    return r


@pytest.fixture(scope="module")
def html() -> str:
    r = _report()
    add_checklist(r)
    return render_html(r, run_id="t", version="0")


def test_numbers_are_rounded_to_meaningful_digits(html):
    assert not re.search(r"\de[-+]\d", html), "no number in exponent notation"
    cells = _cells(html)
    assert "<0.001" in cells  # p = 2.14486e-213
    assert "0.041" not in cells
    assert "0.04" in cells
    boot = html[html.index('id="table-bootstrap_optimism"'):]
    boot_cells = _cells(boot[: boot.index("</figure>")])
    assert "0.00" in boot_cells
    assert "-0.00" not in boot_cells
    assert "0.780 (0.746–0.813)" in cells  # estimate (95% CI)
    assert "0.72 (0.63–0.82)" in cells  # O/E ratio: 2 decimals


def test_integers_print_as_integers(html):
    points = html[html.index('id="table-points_risk_points"'):]
    cells = _cells(points[: points.index("</table>")])
    assert "-6" in cells
    assert "-6.0" not in cells
    assert "27,900" in _cells(html)


def test_table_one_percentages_and_means(tmp_path):
    rng = np.random.default_rng(20240601)
    df = pd.DataFrame({"dataset": rng.choice(["development", "validation"], 600),
                       "age": rng.normal(39, 12, 600),
                       "age_band": rng.choice(["30-39", "40-49", "50-54", "55+", "<30"], 600),
                       "rqth": rng.random(600) < 0.2})
    t1 = table_one(df, "dataset", ["age", "age_band", "rqth"])
    r = Report("T1")
    r.add_table("table1", "table1", t1, caption="Table 1", **table_one_disclosure(t1))
    text = render_html(r)
    cells = _cells(text)
    assert not any(re.fullmatch(r"\d+\.\d{3,}", c) for c in cells), "no raw percentages"
    assert any(re.fullmatch(r"\d{2}\.\d \(\d{2}\.\d\)", c) for c in cells), "mean (SD)"
    assert "Age at index, mean (SD)" in cells
    assert "Age band, n (%)" in cells
    assert "RQTH at index, n (%)" in cells
    assert "True" not in cells
    assert "Missing" not in cells  # no missing value: no missing row
    levels = [c for c in cells if c in {"<30", "30-39", "40-49", "50-54", "55+"}]
    assert levels == ["<30", "30-39", "40-49", "50-54", "55+"]


def test_ordinal_categories_keep_their_order(html):
    service = html[html.index('id="table-service_company_size"'):]
    groups = [c for c in _cells(service[: service.index("</table>")])
              if c in {"0-9", "10-49", "50-249", "250+"}]
    assert groups == ["0-9", "10-49", "50-249", "250+"]
    assert sort_ordinal(["forte", "faible", "intermédiaire"]) == ["faible", "intermédiaire",
                                                                  "forte"]
    assert sort_ordinal(["30-39", "55+", "<30"], feature="age_band") == ["<30", "30-39", "55+"]


def test_no_code_names_in_headers_or_rows(html):
    heads = _headers(html)
    for code in ("level_0", "n_events", "events_by_horizon", "mean_predicted", "ci_lower",
                 "odds_ratio", "n_resamples"):
        assert code not in heads, code
    cells = _cells(html)
    assert "Sick-leave days, 24 months" in cells
    assert "sl_days_24m" not in cells
    assert "Sex: F" in cells
    assert "Intercept" in cells
    assert "Work Ability Index score: missing" in cells
    assert "C statistic (Harrell)" in cells
    assert "c_harrell" not in cells
    assert "By company size band" in html


def test_missing_interval_is_a_dash_with_a_footnote(html):
    assert "use bootstrap=" not in html
    assert "no analytic SE" not in html
    assert "0.0003 (—)" in _cells(html)
    assert "— no confidence interval" in html


def test_long_performance_table_is_pivoted_and_methods_given_once(html):
    perf = html[html.index('id="table-performance"'):]
    perf = perf[: perf.index("</figure>")]
    assert perf.count("infinitesimal jackknife") == 1
    assert perf.count("<table>") == 1
    heads = _headers(perf)
    assert {"Development (apparent)", "Validation"} <= set(heads) or \
        {"development (apparent)", "validation"} <= set(heads)
    assert "Net benefit at a 0.5% threshold: treat all" in _cells(perf)
    assert "0.0053" in _cells(perf)


def test_long_material_goes_to_the_appendix(html):
    main = html[: html.index('<div id="appendix"')]
    appendix = html[html.index('<div id="appendix"'):]
    assert 'id="table-data_dictionary"' not in main
    assert 'id="table-net_benefit"' not in main
    assert re.search(r'<details id="appendix-data_dictionary">', appendix)
    assert "In the appendix:" in main
    assert 'href="#appendix-data_dictionary"' in main
    assert 'id="table-points_risk_points"' in main  # placement="main" wins


def test_wide_table_one_is_split_to_the_page_width():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"spsti": rng.choice([f"S00{k}" for k in range(1, 9)], 4000),
                       "age": rng.normal(40, 12, 4000),
                       "sex": rng.choice(["F", "M"], 4000)})
    t = table_one(df, "spsti", ["age", "sex"])
    r = Report("wide")
    block_frame = r.add_table("table1", "by_spsti", t, caption="By SPSTI",
                              **table_one_disclosure(t))
    assert block_frame.shape == t.shape
    grid = tabulate(r.tables()[0], "<11")
    assert estimate_width(grid) > PAGE_WIDTH_PX
    parts = split_to_width(grid)
    assert len(parts) >= 2
    assert all(estimate_width(p) <= PAGE_WIDTH_PX for p in parts)
    assert all(p.headers[0] == "Characteristic" for p in parts)  # row labels repeated
    assert [h for p in parts for h in p.headers[1:]] == grid.headers[1:]
    assert "Part 2 of" in render_html(r)


def test_forest_plot_titles_in_words():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title("IECV: oe")
    r = Report("fig")
    r.add_figure("iecv", "forest_logistic_spsti_oe", fig, caption="Forest plot of oe of "
                 "logistic by spsti")
    assert ax.get_title() == "Observed / expected ratio by held-out SPSTI"
    text = render_html(r)
    assert "Forest plot of O/E ratio of logistic by SPSTI" in text


def test_add_failure_is_stated_and_unanswers_the_items():
    r = Report("failures")
    r.add_text("updating", "Closed testing on the validation data.")
    r.add_table("updating", "updating_fits", pd.DataFrame({"method": ["a", "b"],
                                                           "loglik": [-1.5, -1.2]}),
                caption="Fits", disclosure=False)
    failure = r.add_failure("updating", "updating", "a predictor is constant in the "
                            "validation data")
    assert r.failures == [failure]
    table = add_checklist(r).set_index("item")
    assert table.loc["24", "status"] == "not answered"
    assert "a predictor is constant" in table.loc["24", "reason"]
    html = render_html(r)
    section = html[html.index('<section id="updating">'):]
    section = section[: section.index("</section>")]
    assert "Not reported: the step &#39;updating&#39; failed or was skipped" in section
    with pytest.raises(TypeError, match="reason must be a non-empty string"):
        r.add_failure("updating", "updating", "")
    with pytest.raises(KeyError, match="unknown report section"):
        r.add_failure("nope", "x", "y")


def test_unproduced_section_leaves_its_item_unanswered():
    r = Report("x")
    r.add_text("flow", "Flow.")
    t = add_checklist(r).set_index("item")
    assert t.loc["20a", "status"] == "answered"
    assert t.loc["23b", "status"] == "not answered"
    assert "no section of this run answers it" in t.loc["23b", "reason"]
    assert t.loc["17", "status"] == "authors must add"


def test_tripod_ai_official_numbering_and_wording():
    expected = ["1", "2", "3a", "3b", "3c", "4", "5a", "5b", "6a", "6b", "6c", "7", "8a", "8b",
                "8c", "9a", "9b", "9c", "10", "11", "12a", "12b", "12c", "12d", "12e", "12f",
                "12g", "13", "14", "15", "16", "17", "18a", "18b", "18c", "18d", "18e", "18f",
                "19", "20a", "20b", "20c", "21", "22", "23a", "23b", "24", "25", "26", "27a",
                "27b", "27c"]
    assert [i.item for i in TRIPOD_ITEMS] == expected
    assert len({re.match(r"\d+", i.item).group(0) for i in TRIPOD_ITEMS}) == 27
    text = {i.item: i.text for i in TRIPOD_ITEMS}
    assert text["7"] == ("Describe any data pre-processing and quality checking, including "
                         "whether this was similar across relevant sociodemographic groups.")
    assert text["12g"].startswith("For model evaluation, describe how the model predictions "
                                  "were calculated")
    assert {i.applies for i in TRIPOD_ITEMS} == {"D", "E", "D;E"}
    covered = {it for s in SECTIONS for it in s.items}
    assert {i.item for i in TRIPOD_ITEMS if not i.authors_must_add} <= covered


@pytest.mark.parametrize(("name", "where"), [
    ("forest_logistic_spsti_c", "main"),
    ("forest_logistic_spsti_oe", "main"),
    ("forest_logistic_spsti_brier", "appendix"),
    ("forest_logistic_period_c", "appendix"),
    ("calibration_logistic_val", "main"),
    ("calibration_logistic_dev", "appendix"),
    ("decision_curves", "main"),
])
def test_figure_placement(name, where):
    from irdp.report.document import FigureBlock
    from irdp.report.layout import placement

    assert placement(FigureBlock(name, b"", "image/png", "c")) == where
    assert placement(FigureBlock(name, b"", "image/png", "c", "main")) == "main"


def test_separated_model_coefficients_render():
    """A coefficient of a separated model (exp overflows) prints, its odds ratio as ∞."""
    coef = pd.DataFrame({"term": ["age", "rqth"], "coef": [0.05, 812.0], "se": [0.01, 1e5],
                         "p": [0.001, 0.99], "ci_lower": [0.03, -2e5], "ci_upper": [0.07, 2e5]})
    coef["odds_ratio"] = np.exp(coef["coef"].clip(upper=700))
    r = Report("separation")
    r.add_table("model", "coefficients_x", coef, caption="Separated", disclosure=False)
    cells = _cells(render_html(r))
    assert "812 (-200,000 to 200,000)" in cells
    assert any(c.startswith("1.01e+304 (0.00–∞)") for c in cells)


def test_suppressed_counts_in_a_measure_table():
    """Counts under the threshold are suppressed in the pivoted table too (marker, no NA)."""
    perf = _performance()
    perf.loc[perf["data"] == "validation", "n_events"] = 7
    r = Report("small")
    shown = r.add_table("performance", "performance", perf, caption="Performance",
                        count_columns=["n", "n_events"])
    assert shown["n_events"].isna().any()
    cells = _cells(render_html(r))
    events = cells[cells.index("Events"):][:5]
    assert "[c]" in events  # the policy's neutral marker
    assert "781" not in cells  # nothing invented


_VALUES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.integers(-10**15, 10**15), st.sampled_from(["a", "<30", "55+", "faible",
                                                                    "forte", "", "(missing)"]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(columns=st.lists(st.sampled_from(["index", "data", "measure", "value", "lower", "upper",
                                         "n", "p", "coef", "ci_lower", "ci_upper", "group",
                                         "method", "level_0", "odds_ratio", "rate"]),
                        min_size=1, max_size=7, unique=True),
       n_rows=st.integers(0, 6), data=st.data())
def test_any_table_renders(columns, n_rows, data):
    """Whatever the columns and values (missing, infinite, huge, text), a table renders."""
    frame = pd.DataFrame({c: data.draw(st.lists(_VALUES, min_size=n_rows, max_size=n_rows))
                          for c in columns})
    ints = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    frame[ints] = frame[ints].astype("float64")  # counts of people need disclosure control
    r = Report("fuzz")
    r.add_table("performance", "t", frame, caption="t", disclosure=False)
    grid = tabulate(r.tables()[0], "<11")
    for part in split_to_width(grid):
        assert len(part.headers) == len(part.numeric)
    assert "<table>" in render_html(r)


def test_models_of_every_cause_are_sectioned_and_long_ones_go_to_the_appendix():
    terms = ["age", "sex[F]", "rqth", "sl_days_24m", "dx_msk_24m"]
    pieces = []
    for cause in ("1 (inaptitude)", "2 (retirement)"):
        pieces.append(pd.DataFrame({"cause": cause, "term": terms,
                                    "coef": [0.05, 0.3, 0.7, 0.002, 0.4],
                                    "p": [0.001, 0.02, 0.3, 0.01, 0.04],
                                    "ci_lower": [0.03, 0.1, 0.2, 0.001, 0.1],
                                    "ci_upper": [0.07, 0.5, 1.2, 0.003, 0.7]}))
    short = pd.concat(pieces, ignore_index=True)
    short["hazard_ratio"] = np.exp(short["coef"])
    r = Report("csc")
    r.add_table("model", "coefficients_csc", short, caption="Every cause", disclosure=False)
    long = pd.concat([short] * 7, ignore_index=True)
    long["cause"] = [f"{k // 5}" for k in range(len(long))]
    r.add_table("model", "coefficients_long", long, caption="Many causes", disclosure=False)
    html = render_html(r)
    main = html[: html.index('<div id="appendix"')]
    assert "Cause: 1 (inaptitude)" in _cells(main)  # one heading row per cause
    assert 'id="table-coefficients_csc"' in main
    assert 'id="table-coefficients_long"' not in main  # 84 rows with headings: appendix
    assert 'href="#appendix-coefficients_long"' in main
