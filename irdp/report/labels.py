"""Words for the reader: labels of columns, measures, features and ordinal categories.

The report never shows a code name: column names of result tables, measure names of the
metric registry and feature names of :mod:`irdp.features` are mapped to labels here, and
ordinal categories (age bands, company sizes, risk levels...) are put back in their order.
Unknown snake_case names fall back to words (``foo_bar`` -> ``Foo bar``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = [
    "COLUMN_LABELS",
    "MEASURES",
    "MeasureStyle",
    "column_label",
    "feature_label",
    "term_label",
    "index_kind_label",
    "in_sentence",
    "measure_label",
    "measure_decimals",
    "ordinal_key",
    "is_ordinal_scale",
    "sort_ordinal",
]

#: Labels of the columns of irdp result tables.
COLUMN_LABELS: dict[str, str] = {
    "index": "Index", "data": "Data set", "dataset": "Data set", "group": "Group",
    "grouping": "Grouping", "measure": "Measure", "value": "Value", "estimate": "Estimate",
    "mean": "Mean", "lower": "Lower", "upper": "Upper", "se": "SE", "level": "Level",
    "method": "Method", "n": "N", "n_events": "Events", "events": "Events",
    "non_events": "Non-events", "workers": "Workers", "horizon": "Horizon (days)",
    "events_by_horizon": "Events by the horizon",
    "competing_by_horizon": "Competing exits by the horizon",
    "censored_before_horizon": "Censored before the horizon",
    "median_followup_days": "Median follow-up (days)", "analysis": "Analysis",
    "mean_predicted": "Mean predicted risk", "observed": "Observed risk",
    "observed_risk": "Observed risk", "p10_predicted": "Predicted risk, P10",
    "p50_predicted": "Predicted risk, median", "p90_predicted": "Predicted risk, P90",
    "n_faible": "N faible", "n_intermédiaire": "N intermédiaire", "n_forte": "N forte",
    "centre": "Held-out cluster", "n_train": "N (training)", "tau2": "τ²", "i2": "I² (%)",
    "q": "Cochran's Q", "q_pvalue": "p (Q)", "k": "Clusters", "term": "Term",
    "coef": "Coefficient", "z": "z", "p": "p", "p_value": "p", "pvalue": "p",
    "odds_ratio": "OR", "hazard_ratio": "HR", "threshold": "Threshold",
    "net_benefit": "Net benefit", "treat_all": "Treat all", "treat_none": "Treat none",
    "net_interventions_avoided": "Net interventions avoided (per 100)",
    "share_flagged": "Share flagged", "observed_risk_flagged": "Observed risk if flagged",
    "status": "Status", "flagged": "Flagged", "reason": "Reason", "purpose": "Purpose",
    "minimum_n": "Minimum N", "expected_events": "Expected events",
    "epp": "Events per parameter", "available_n": "Available N", "rate": "Deletion rate",
    "missing_share": "Share missing", "field": "Field", "table": "Table", "rows": "Rows",
    "spsti_id": "SPSTI", "spsti": "SPSTI", "step": "Step", "criterion": "Criterion",
    "excluded_index_events": "Excluded index events", "excluded_workers": "Excluded workers",
    "n_index_events": "Index events", "n_workers": "Workers", "cause": "Cause",
    "n_total": "Total", "n_within_horizon": "Within the horizon", "index_a": "Index A",
    "index_b": "Index B", "value_a": "Index A", "value_b": "Index B",
    "difference": "Difference (A − B)", "apparent": "Apparent",
    "training": "Bootstrap training", "test": "Bootstrap test", "optimism": "Optimism",
    "corrected": "Optimism-corrected", "n_resamples": "Resamples", "points": "Points",
    "risk": "Risk", "column": "Predictor", "category": "Category",
    "contribution": "Contribution", "label": "Label", "variable": "Variable",
    "n_missing": "N missing", "item": "Item", "topic": "Topic",
    "requirement": "Requirement (TRIPOD+AI wording)", "where": "Answered in",
    "to_add": "Authors must add", "family": "Family", "label_fr": "Label (fr)",
    "label_en": "Label (en)", "description": "Definition", "sources": "Sources",
    "thesauri": "Thesauri", "dtype": "Type", "unit": "Unit", "lookback": "Look-back",
    "missing": "When missing", "levels": "Levels", "name": "Name", "oe": "O/E ratio",
    "calibration_slope": "Calibration slope", "c": "C statistic", "brier": "Brier score",
    "ipa": "IPA", "auc": "AUC", "pi": "95% PI", "n_common": "N (all risks known)",
    "repeat": "Repeat", "bin": "Bin", "df": "df", "parameters": "Parameters",
    "n_boot": "Bootstrap resamples", "n_repeats": "Repeats", "ALL": "All",
    # model stability (irdp.validation.stability) and calibration across SPSTI
    "mean_risk": "Mean predicted risk", "level_change": "Probability of a level change",
    "interval_width": "Mean width of the stability interval",
    "original_level": "Level with the index", "to_faible": "Rebuilt: faible",
    "to_intermédiaire": "Rebuilt: intermédiaire", "to_forte": "Rebuilt: forte",
    "n_below": "N below", "n_above": "N at or above",
    "cii": "Classification instability, all workers", "cii_below": "Classification "
    "instability, below", "cii_above": "Classification instability, at or above",
    "pooled": "Pooled", "spsti_pooled": "SPSTI pooled", "approach": "Method",
    "predicted": "Predicted risk", "pi_lower": "PI, lower", "pi_upper": "PI, upper",
    "pi_to_ci_width": "Width of the PI / width of the CI",
}


class MeasureStyle:
    """Label and number of decimals of one performance measure."""

    __slots__ = ("label", "decimals")

    def __init__(self, label: str, decimals: int) -> None:
        self.label = label
        self.decimals = decimals


def _m(label: str, decimals: int) -> MeasureStyle:
    return MeasureStyle(label, decimals)


#: Performance measures (names of :data:`irdp.metrics.METRICS` and their aliases).
MEASURES: dict[str, MeasureStyle] = {
    "oe_ratio": _m("O/E ratio", 2), "oe": _m("O/E ratio", 2),
    "calibration_in_the_large": _m("Calibration-in-the-large", 2),
    "citl": _m("Calibration-in-the-large", 2),
    "calibration_slope": _m("Calibration slope", 2), "slope": _m("Calibration slope", 2),
    "intercept_joint_fit": _m("Calibration intercept (joint fit with the slope)", 2),
    "c": _m("C statistic", 3), "c_harrell": _m("C statistic (Harrell)", 3),
    "c_uno": _m("C statistic (Uno)", 3), "auc": _m("AUC", 3),
    "td_auc": _m("Time-dependent AUC", 3),
    "td_auc_def1": _m("Time-dependent AUC (competing exits as controls)", 3),
    "td_auc_def2": _m("Time-dependent AUC (event-free as controls)", 3),
    "brier": _m("Brier score", 4), "ipa": _m("IPA (scaled Brier score)", 3),
    "ici": _m("ICI (integrated calibration index)", 4), "e50": _m("E50 (median error)", 4),
    "e90": _m("E90 (90th percentile error)", 4), "emax": _m("Emax (largest error)", 4),
    "eci": _m("ECI (estimated calibration index)", 4),
    "spiegelhalter": _m("Spiegelhalter z", 2), "spiegelhalter_z": _m("Spiegelhalter z", 2),
    "nri_categorical": _m("NRI (categorical)", 3), "nri_continuous": _m("NRI (continuous)", 3),
    "nri_events": _m("NRI, events", 3), "nri_nonevents": _m("NRI, non-events", 3),
    "idi": _m("IDI", 4), "observed_risk": _m("Observed risk", 4),
    "mean_predicted": _m("Mean predicted risk", 4), "net_benefit": _m("Net benefit", 4),
    "sensitivity": _m("Sensitivity", 3), "specificity": _m("Specificity", 3),
    "ppv": _m("Positive predictive value", 3), "npv": _m("Negative predictive value", 3),
    "share_flagged": _m("Share flagged", 3), "mape": _m("MAPE", 4),
}

#: ABCD groups of the performance table.
MEASURE_GROUPS = {
    "A": "Calibration-in-the-large (A)", "B": "Calibration slope (B)",
    "C": "Discrimination (C)", "D": "Clinical usefulness (D)", "overall": "Overall accuracy",
    "calibration (moderate)": "Moderate calibration",
}

_NET_BENEFIT = re.compile(r"^net_benefit@(?P<t>[0-9.eE+-]+)$")
_TERM = re.compile(r"^(?P<name>[A-Za-z0-9_]+)\[(?:T\.)?(?P<level>.+)\]$")


def _words(name: str) -> str:
    text = str(name).replace("__", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


@lru_cache(maxsize=1)
def _registry() -> dict[str, Any]:
    try:
        from irdp.features import REGISTRY
    except ImportError:  # pragma: no cover - the registry is part of irdp
        return {}
    return dict(REGISTRY)


def feature_label(name: str) -> str | None:
    """English label of a registered feature (``None`` when ``name`` is not a feature)."""
    f = _registry().get(str(name))
    return None if f is None else str(f.label_en)


def feature_levels(name: str) -> tuple[str, ...] | None:
    """Ordered categories of a registered categorical feature, if declared."""
    f = _registry().get(str(name))
    return None if f is None or not f.levels else tuple(str(v) for v in f.levels)


def column_label(name: Any) -> str:
    """Reader's label of a column name (result tables, features, ``<group>: n``...).

    Examples
    --------
    >>> column_label("events_by_horizon")
    'Events by the horizon'
    >>> column_label("sl_days_24m")
    'Sick-leave days, 24 months'
    >>> column_label("some_new_column")
    'Some new column'
    """
    key = str(name)
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    label = feature_label(key)
    if label is not None:
        return label
    if key in MEASURES:
        return MEASURES[key].label
    m = re.match(r"^(?P<what>.+?) \((?P<g>[^)]+)\)$", key)  # e.g. "missing % (S001)"
    if m:
        return f"{_words(m['what'])} ({m['g']})"
    if re.fullmatch(r"level_\d+", key):
        return ""
    if re.fullmatch(r"[a-z0-9_]+", key):
        return _words(key)
    return key


#: Words for the kinds of candidate index of an experiment file.
INDEX_KINDS: dict[str, str] = {
    "logistic": "logistic regression",
    "cox": "Cox proportional hazards model",
    "fine_gray": "Fine–Gray subdistribution hazards model",
    "cause_specific_cox": "cause-specific Cox models",
    "points": "points score",
    "questionnaire": "questionnaire score",
    "column": "risks computed outside irdp",
}


def index_kind_label(kind: Any) -> str:
    """Words for an index kind of the experiment file (``cause_specific_cox`` -> words).

    Examples
    --------
    >>> index_kind_label("cause_specific_cox")
    'cause-specific Cox models'
    >>> index_kind_label("logistic")
    'logistic regression'
    """
    return INDEX_KINDS.get(str(kind), _words(str(kind)).lower())


def term_label(term: Any) -> str:
    """Label of a model term, predictor or grouping name (``sex[F]`` -> ``Sex: F``).

    Examples
    --------
    >>> term_label("sex[F]")
    'Sex: F'
    >>> term_label("wai_total__missing")
    'Work Ability Index score: missing'
    >>> term_label("(Intercept)")
    'Intercept'
    """
    text = str(term)
    if text in ("(Intercept)", "Intercept", "intercept", "const"):
        return "Intercept"
    m = _TERM.match(text)
    if m:
        return f"{term_label(m['name'])}: {m['level']}"
    if text.endswith("__missing"):
        return f"{term_label(text[: -len('__missing')])}: missing"
    label = feature_label(text)
    if label is not None:
        return label
    if text in COLUMN_LABELS and text not in ("index", "data", "group", "level"):
        return COLUMN_LABELS[text]
    return text


def measure_label(name: Any) -> str:
    """Label of a performance measure (``net_benefit@0.02`` -> ``Net benefit at 2%``).

    Examples
    --------
    >>> measure_label("c_harrell")
    'C statistic (Harrell)'
    >>> measure_label("net_benefit@0.005")
    'Net benefit at a 0.5% threshold'
    """
    key = str(name)
    m = _NET_BENEFIT.match(key)
    if m:
        return f"Net benefit at a {_percent(float(m['t']))} threshold"
    if key in MEASURES:
        return MEASURES[key].label
    return _words(key) if re.fullmatch(r"[a-z0-9_]+", key) else key


def measure_decimals(name: Any) -> int | None:
    """Decimals used to print a measure (``None`` when unknown: significant digits rule)."""
    key = str(name)
    if _NET_BENEFIT.match(key):
        return 4
    style = MEASURES.get(key)
    return None if style is None else style.decimals


def _percent(t: float) -> str:
    text = f"{100 * t:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


# ---------------------------------------------------------------------------- ordinal order
_LEVEL_WORDS = {"(none)": -1, "faible": 0, "low": 0, "intermédiaire": 1, "intermediaire": 1,
                "intermediate": 1, "forte": 2, "high": 2}
_LAST = {"(missing)": 1, "missing": 1, "unknown": 1, "(overall)": 2, "overall": 2, "all": 2,
         "total": 2}
_NUM = r"[0-9]+(?:[.,][0-9]+)?"
_PATTERNS = (
    (re.compile(rf"^(?:<|≤|<=)\s*({_NUM})\b.*$"), -0.5),     # "<30", "≤ 9"
    (re.compile(rf"^({_NUM})\s*(?:-|–|to)\s*{_NUM}\b.*$"), 0.0),  # "30-39", "10–49 employees"
    (re.compile(rf"^({_NUM})\s*(?:\+|or more|and over)(?:\s.*)?$"), 0.0),  # "55+", "250+"
    (re.compile(rf"^(?:>|≥|>=)\s*({_NUM})\b.*$"), 0.5),      # ">= 250"
    (re.compile(rf"^\[\s*(-?inf|{_NUM})\s*,.*\)$"), 0.0),     # "[27, 34)"
)


def ordinal_key(value: Any) -> tuple[int, float] | None:
    """Sort key of an ordinal category, or ``None`` when ``value`` is not one.

    Recognised: numeric bands (``<30``, ``30-39``, ``55+``, ``>=250``, ``[27, 34)``), risk
    levels (faible < intermédiaire < forte), and ``(missing)`` / overall rows, which sort
    last.

    Examples
    --------
    >>> sorted(["30-39", "55+", "<30", "50-54", "40-49"], key=ordinal_key)
    ['<30', '30-39', '40-49', '50-54', '55+']
    """
    text = str(value).strip()
    low = text.lower()
    if low in _LAST:
        return (2 + _LAST[low], 0.0)
    if low in _LEVEL_WORDS:
        return (0, float(_LEVEL_WORDS[low]))
    for pattern, shift in _PATTERNS:
        m = pattern.match(low)
        if m:
            raw = m.group(1)
            number = float("-inf") if raw == "-inf" else float(raw.replace(",", "."))
            return (1, number + shift)
    return None


def is_ordinal_scale(values: Any) -> bool:
    """True when every value is an ordinal category and at least two are not missing."""
    keys = [ordinal_key(v) for v in values]
    if not keys or any(k is None for k in keys):
        return False
    real = {k for k in keys if k is not None and k[0] < 3}
    kinds = {k[0] for k in real}
    return len(real) >= 2 and len(kinds) == 1


def sort_ordinal(values: Any, feature: str | None = None) -> list[Any]:
    """Distinct values in their natural order.

    The declared levels of a registered ``feature`` win; otherwise ordinal categories are
    recognised (:func:`ordinal_key`); otherwise values are sorted as text, with missing and
    overall rows last.
    """
    distinct = list(dict.fromkeys(values))
    declared = feature_levels(feature) if feature is not None else None
    if declared:
        rank = {v: i for i, v in enumerate(declared)}

        def key(v: Any) -> tuple[int, float, str]:
            text = str(v)
            if text in rank:
                return (0, float(rank[text]), "")
            last = _LAST.get(text.lower())
            return (1 + (last or 0), 0.0, text)

        return sorted(distinct, key=key)
    if is_ordinal_scale(distinct):
        return sorted(distinct, key=lambda v: ordinal_key(v) or (9, 0.0))
    return sorted(distinct, key=lambda v: (_LAST.get(str(v).lower(), 0), str(v)))


def _is_text(series: Any) -> bool:
    import pandas as pd

    return (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)) \
        and not pd.api.types.is_bool_dtype(series)


def _ordered_block(values: list[Any], feature: str | None) -> list[Any] | None:
    distinct = list(dict.fromkeys(values))
    if feature is not None:
        known = set(feature_levels(feature) or ()) | set(_LAST)
        if not {str(v) for v in distinct} <= known | {v.upper() for v in _LAST}:
            feature = None
    if feature is None and not is_ordinal_scale(distinct):
        return None
    return sort_ordinal(distinct, feature)


def ordinal_row_order(frame: Any) -> list[int] | None:
    """Row positions putting ordinal categories in order, or ``None`` when nothing moves.

    The first text column whose values, within each run of rows sharing the text columns to
    its left, are ordinal categories (declared feature levels, or numeric bands and risk
    levels, see :func:`ordinal_key`) is sorted within those runs; rows keep their order
    otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"group": ["0-9", "10-49", "250+", "50-249"], "n": [5, 6, 7, 8]})
    >>> ordinal_row_order(t)
    [0, 1, 3, 2]
    """
    text = [c for c in frame.columns if _is_text(frame[c])]
    cells = {c: [str(v) for v in frame[c].tolist()] for c in text}
    for j, column in enumerate(text):
        keys = text[:j]
        runs: list[list[int]] = []
        previous = None
        for pos in range(len(frame)):
            key = tuple(cells[k][pos] for k in keys)
            if key != previous:
                runs.append([])
                previous = key
            runs[-1].append(pos)
        order: list[int] = []
        for run in runs:
            order.extend(_sorted_run(run, cells, keys, column))
        if order != list(range(len(frame))):
            return order
    return None


def _sorted_run(run: list[int], cells: dict[Any, list[str]], keys: list[Any],
                column: Any) -> list[int]:
    if len(run) < 2:
        return run
    feature = next((cells[k][run[0]] for k in keys if feature_levels(cells[k][run[0]])),
                   str(column) if feature_levels(str(column)) else None)
    ranked = _ordered_block([cells[column][p] for p in run], feature)
    if ranked is None:
        return run
    rank = {str(v): i for i, v in enumerate(ranked)}
    return sorted(run, key=lambda p: rank[cells[column][p]])


# ------------------------------------------------------------------- figures and captions
#: Long names of measures, for titles.
MEASURE_TITLES = {
    "oe": "Observed / expected ratio", "oe_ratio": "Observed / expected ratio",
    "citl": "Calibration-in-the-large", "calibration_in_the_large": "Calibration-in-the-large",
    "calibration_slope": "Calibration slope", "slope": "Calibration slope",
    "c": "C statistic", "c_harrell": "C statistic", "auc": "Area under the ROC curve",
    "brier": "Brier score", "ipa": "Index of prediction accuracy (IPA)",
    "ici": "Integrated calibration index (ICI)",
}
_CLUSTERS = {"spsti": "SPSTI", "spsti_id": "SPSTI", "period": "period"}
_IECV_TITLE = re.compile(r"^IECV: (?P<m>[A-Za-z0-9_]+)$")
_FOREST_NAME = re.compile(r"^forest_.+_(?P<by>spsti|period|[a-z]+)_(?P<m>[a-z0-9_]+)$")


def figure_title(title: str, name: str = "") -> str:
    """A figure title in words (``"IECV: oe"`` -> ``"Observed / expected ratio by held-out
    SPSTI"``); other titles are returned unchanged unless they are a bare code name.

    Examples
    --------
    >>> figure_title("IECV: oe", "forest_logistic_spsti_oe")
    'Observed / expected ratio by held-out SPSTI'
    >>> figure_title("calibration_slope")
    'Calibration slope'
    """
    m = _IECV_TITLE.match(title.strip())
    if m:
        measure = m["m"]
        what = MEASURE_TITLES.get(measure, measure_label(measure))
        by = None
        f = _FOREST_NAME.match(name)
        if f and f["m"] == measure:
            stem = name[: -len(measure) - 1]
            by = next((v for k, v in _CLUSTERS.items() if stem.endswith(f"_{k}")), None)
        return f"{what} by held-out {by or 'cluster'}"
    key = title.strip()
    if key in MEASURE_TITLES:
        return MEASURE_TITLES[key]
    if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", key):
        return column_label(key)
    text = readable(title)
    return text[:1].upper() + text[1:] if text != title and text[:1].islower() else text


_TICK = re.compile(r"^(?P<code>[a-z][a-z0-9_]*): (?P<level>.+)$")


def tick_label(text: str) -> str:
    """A tick label ``grouping: level`` in words (``age_band: <30`` -> ``Age band: <30``)."""
    if text.strip() == "(overall)":
        return "Overall"
    m = _TICK.match(text.strip())
    if not m:
        return text
    code = m["code"]
    label = _CLUSTERS.get(code) if code.startswith("spsti") else None
    label = label or feature_label(code) or (COLUMN_LABELS.get(code) if code in COLUMN_LABELS
                                             else None)
    return f"{label}: {m['level']}" if label else text


_CODE_WORD = re.compile(r"\b(?:by|of) (spsti_id|spsti|naf_section|company_size|age_band)\b")
_CODE_TOKEN = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_MEASURE_WORD = re.compile(r"\b(?:of|Forest plot of) (oe|citl|brier|ipa|c|auc)\b")


def in_sentence(label: str) -> str:
    """A label inside a sentence: first letter lower-cased, acronyms kept.

    Examples
    --------
    >>> in_sentence("Company size band"), in_sentence("NAF section"), in_sentence("SPSTI")
    ('company size band', 'NAF section', 'SPSTI')
    """
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():  # an acronym (NAF, SPSTI, WAI...)
        return label
    return label[:1].lower() + label[1:]


def readable(text: str) -> str:
    """A caption without code names: known feature, column and measure codes become words.

    Examples
    --------
    >>> readable("Predicted and observed risk by spsti_id")
    'Predicted and observed risk by SPSTI'
    >>> readable("Forest plot of oe of logistic by spsti: random-effects summary")
    'Forest plot of O/E ratio of logistic by SPSTI: random-effects summary'
    >>> readable("Forest plot of citl of cox by period")
    'Forest plot of calibration-in-the-large of cox by period'
    """
    def by(m: re.Match[str]) -> str:
        code = m.group(1)
        label = _CLUSTERS.get(code) or feature_label(code) or column_label(code)
        word = m.group(0).split(" ", 1)[0]
        return f"{word} {in_sentence(label)}"

    def measure(m: re.Match[str]) -> str:
        return m.group(0)[: -len(m.group(1))] + _inline(measure_label(m.group(1)))

    def token(m: re.Match[str]) -> str:
        code = m.group(0)
        if code in MEASURES or code in COLUMN_LABELS or feature_label(code) is not None:
            return _inline(column_label(code) if code not in MEASURES else measure_label(code))
        return code

    text = _CODE_WORD.sub(by, text)
    text = _MEASURE_WORD.sub(measure, text)
    text = _CODE_TOKEN.sub(token, text)
    return text[:1].upper() + text[1:] if text[:1].islower() else text


_NAMES = ("Brier", "Harrell", "Uno", "Spiegelhalter", "Work Ability", "Cochran")


def _inline(label: str) -> str:
    """A label inside a sentence: lower-case first letter unless an acronym or a name."""
    if len(label) > 1 and label[0].isupper() and label[1].islower() and \
            not label.startswith(_NAMES):
        return label[0].lower() + label[1:]
    return label


def relabel_figure(fig: Any, name: str = "") -> None:
    """Put the titles and axis labels of a matplotlib figure in words (in place)."""
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        suptitle.set_text(figure_title(suptitle.get_text(), name))
    for ax in fig.get_axes():
        for loc in ("center", "left", "right"):
            title = ax.get_title(loc=loc)
            if title:
                ax.set_title(figure_title(title, name), loc=loc)
        for get, set_ in ((ax.get_xlabel, ax.set_xlabel), (ax.get_ylabel, ax.set_ylabel)):
            label = get()
            if label and figure_title(label, name) != label:
                set_(figure_title(label, name))
        _relabel_ticks(ax)


def _relabel_ticks(ax: Any) -> None:
    """Tick labels naming a grouping and a level (``age_band: <30``) put in words."""
    for axis in (ax.yaxis, ax.xaxis):
        labels = [t.get_text() for t in axis.get_ticklabels()]
        new = [tick_label(t) for t in labels]
        if new != labels and all(labels):
            axis.set_ticks(axis.get_ticklocs(), labels=new)
