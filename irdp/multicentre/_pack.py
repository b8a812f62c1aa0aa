"""Summary packs: what one SPSTI shares for a multicentre validation (private module).

A pack is a JSON document holding, for each index validated in one SPSTI, the estimates
and standard errors of the pooled measures, the counts behind them, a calibration curve on
a fixed grid of predicted risk, the net benefit at the configured thresholds and case-mix
summaries. Its counts pass the linked-table suppression of :mod:`irdp.privacy` (primary and
complementary suppression, proved by the LP audit); it carries its format version, the irdp
version, the SHA-256 of the experiment configuration and of each model export used, and the
SHA-256 of its own canonical JSON, which :func:`read_pack` checks.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import SummaryPackError
from irdp.metrics import net_benefit, observed_risk
from irdp.metrics._context import events_by_horizon
from irdp.outcomes import as_outcome
from irdp.privacy import DisclosurePolicy, LinkedTables, audit_tables
from irdp.validation import centre_summary

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "RISK_GRID",
    "SummaryPack",
    "check_pack",
    "content_hash",
    "read_pack",
    "summary_pack",
]

#: Value of the ``format`` key of every pack.
FORMAT = "irdp-summary-pack"
#: Version of the pack format; :func:`read_pack` refuses any other.
FORMAT_VERSION = 1
#: Edges of the fixed grid of predicted risk on which calibration is summarised (the same
#: in every SPSTI, so that the bins can be pooled).
RISK_GRID: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
_HASH_KEY = "content_sha256"


def _canonical(data: Mapping[str, Any]) -> str:
    """Canonical JSON: sorted keys, no spaces, no NaN (a suppressed value is null)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a pack, its own ``content_sha256`` key excluded."""
    body = {k: v for k, v in data.items() if k != _HASH_KEY}
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def _num(x: Any) -> float | None:
    """A finite float, or None (suppressed or undefined)."""
    if x is None or x is pd.NA:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _count(x: Any) -> int | None:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    return int(x)


@dataclass(frozen=True)
class SummaryPack:
    """A summary pack of one SPSTI (see :func:`summary_pack` and :func:`read_pack`).

    Attributes
    ----------
    data : dict
        The JSON content, including ``content_sha256``.
    source : str
        Where it was read from (a file name) or ``"<memory>"``.
    """

    data: dict[str, Any]
    source: str = "<memory>"

    @property
    def spsti(self) -> str:
        """The SPSTI the pack summarises."""
        return str(self.data["spsti"])

    @property
    def indices(self) -> list[str]:
        """Names of the indices summarised."""
        return list(self.data["indices"])

    @property
    def content_sha256(self) -> str:
        """The SHA-256 of the pack's canonical JSON."""
        return str(self.data[_HASH_KEY])

    def to_json(self) -> str:
        """The pack as written to a file (indented, keys sorted)."""
        return json.dumps(self.data, indent=2, sort_keys=True, allow_nan=False) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the pack to ``path`` (``<SPSTI>.irdp-summary.json`` by convention)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    def tables(self) -> dict[str, pd.DataFrame]:
        """The pack's tables as published (one calibration table per index, suppressed
        cells missing), for the disclosure audit (:func:`irdp.privacy.audit_tables`)."""
        out = {}
        for name, part in self.data["indices"].items():
            cal = pd.DataFrame(part["calibration"])
            out[f"calibration_{name}"] = cal[["bin", "n", "n_events", "n_non_events",
                                              "mean_predicted", "observed_risk"]]
        return out

    def measures_frame(self) -> pd.DataFrame:
        """One row per index: counts and ``<measure>``, ``<measure>_se`` (as
        :func:`irdp.validation.centre_summary`)."""
        rows = []
        for name, part in self.data["indices"].items():
            row: dict[str, Any] = {"index": name, "centre": self.spsti, "n": part["n"],
                                   "n_events": part["n_events"],
                                   "suppressed": part["suppressed"]}
            for m, est in part["measures"].items():
                row[m] = np.nan if est["estimate"] is None else est["estimate"]
                row[f"{m}_se"] = np.nan if est["se"] is None else est["se"]
            rows.append(row)
        out = pd.DataFrame(rows)
        for c in ("n", "n_events"):
            out[c] = out[c].astype("Int64")
        return out


def read_pack(path: str | Path) -> SummaryPack:
    """Read a summary pack and check its format, version and content hash.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    SummaryPack

    Raises
    ------
    SummaryPackError
        Not JSON or not a pack (``rule="format"``), another format version
        (``"version"``), or content that does not match ``content_sha256`` (``"hash"``: the
        pack was edited or damaged after it was written).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SummaryPackError(path.name, "format", f"not a summary pack: invalid JSON "
                               f"({type(err).__name__}: {err}).") from err
    return check_pack(data, source=path.name)


def check_pack(data: Any, *, source: str = "<memory>") -> SummaryPack:
    """Check a pack already parsed from JSON (see :func:`read_pack`)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise SummaryPackError(source, "format", f"not a summary pack: 'format' must be "
                               f"{FORMAT!r}; found {found!r}. Give the files written by "
                               "'irdp summarise'.")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise SummaryPackError(source, "version", f"format version {version!r} is not "
                               f"supported: this irdp reads version {FORMAT_VERSION}. Write "
                               "the pack again with the same irdp version as the pooling.")
    missing = [k for k in ("spsti", "experiment", "indices", _HASH_KEY) if k not in data]
    if missing:
        raise SummaryPackError(source, "format", f"keys {missing} are missing; the pack is "
                               "incomplete.")
    expected = content_hash(data)
    if data[_HASH_KEY] != expected:
        raise SummaryPackError(source, "hash", f"content does not match its SHA-256 "
                               f"(recorded {str(data[_HASH_KEY])[:12]}..., computed "
                               f"{expected[:12]}...): the pack was modified after 'irdp "
                               "summarise' wrote it. Ask the SPSTI for the original file.")
    return SummaryPack(data, source)


# ----------------------------------------------------------------------------- building


def _bins(grid: Sequence[float]) -> list[str]:
    return [f"[{lo:g}, {hi:g}{']' if k == len(grid) - 2 else ')'}"
            for k, (lo, hi) in enumerate(zip(grid[:-1], grid[1:], strict=True))]


def _calibration_rows(y: Any, risk: np.ndarray, horizon: float | None,
                      grid: Sequence[float]) -> pd.DataFrame:
    """Counts, mean predicted and observed risk in each bin of the grid, then all rows."""
    edges = np.asarray(grid, float)
    code = np.clip(np.searchsorted(edges, risk, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for k, label in enumerate([*_bins(grid), "all"]):
        idx = np.flatnonzero(code == k) if label != "all" else np.arange(len(risk))
        ys = y.take(idx)
        n = len(idx)
        e = events_by_horizon(ys, horizon) if n else 0
        rows.append({"bin": label, "lower": float(edges[k]) if label != "all" else 0.0,
                     "upper": float(edges[k + 1]) if label != "all" else 1.0, "n": n,
                     "n_events": int(e), "n_non_events": int(n - e),
                     "mean_predicted": float(risk[idx].mean()) if n else np.nan,
                     "observed_risk": observed_risk(ys, horizon) if n else np.nan})
    out = pd.DataFrame(rows)
    for c in ("n", "n_events", "n_non_events"):
        out[c] = out[c].astype("int64")
    return out


def _case_mix(risk: np.ndarray, covariates: pd.DataFrame | None) -> dict[str, float | None]:
    """Mean and SD of the linear predictor (logit risk) and of numeric covariates."""
    p = np.clip(risk, 1e-12, 1 - 1e-12)
    lp = np.log(p / (1 - p))
    out: dict[str, float | None] = {
        "mean_risk": _num(risk.mean()), "mean_logit_risk": _num(lp.mean()),
        "sd_logit_risk": _num(lp.std(ddof=1)) if len(lp) > 1 else None}
    if covariates is not None:
        for c in covariates.columns:
            v = pd.to_numeric(covariates[c], errors="coerce").to_numpy(float)
            v = v[np.isfinite(v)]
            out[f"mean_{c}"] = _num(v.mean()) if len(v) else None
            out[f"sd_{c}"] = _num(v.std(ddof=1)) if len(v) > 1 else None
    return out


def summary_pack(
    y: Any,
    risks: Mapping[str, Any],
    *,
    spsti: str,
    horizon: float | None,
    measures: Sequence[str] | None = None,
    thresholds: Sequence[float] = (0.01, 0.02, 0.05, 0.1, 0.2),
    grid: Sequence[float] = RISK_GRID,
    covariates: pd.DataFrame | None = None,
    policy: DisclosurePolicy | None = None,
    experiment: Mapping[str, Any] | None = None,
) -> SummaryPack:
    """Summarise the validation of risk indices in one SPSTI for pooling elsewhere.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcomes of the SPSTI's index events.
    risks : dict of str -> array-like of shape (n_samples,)
        Predicted risks of each index by the horizon (NaN: not scored; left out of that
        index's summary).
    spsti : str
        The SPSTI.
    horizon : float or None
        Horizon in days (timed outcomes).
    measures : sequence of str, optional
        Measures with an analytic SE (registry names or aliases). Default: those Debray et
        al. (2017) pool, C, O/E and calibration slope (:func:`irdp.validation.centre_summary`).
    thresholds : sequence of float
        Risk thresholds of the net benefit.
    grid : sequence of float, default=:data:`RISK_GRID`
        Edges of the bins of predicted risk of the calibration summary.
    covariates : DataFrame, optional
        Numeric case-mix variables (e.g. age), one row per index event; their mean and SD
        are shared.
    policy : DisclosurePolicy, optional
        Default ``DisclosurePolicy()`` (``min_count=11``).
    experiment : mapping, optional
        Identification of the experiment (name, configuration SHA-256, model SHA-256...).

    Returns
    -------
    SummaryPack

    Notes
    -----
    The counts of each index (per risk bin and in all, events and non-events by the
    horizon) form one linked system suppressed by :class:`irdp.privacy.LinkedTables`
    (primary suppression under ``min_count``, complementary suppression until the LP audit
    recovers nothing); estimates, calibration values, net benefit and case mix are
    withheld wherever the counts they rest on are. Nothing else about a worker is kept.

    References
    ----------
    Debray TPA et al. A guide to systematic review and meta-analysis of prediction model
    performance. BMJ 2017;356:i6460. Hundepool A et al. Statistical Disclosure Control.
    Wiley 2012, ch. 4.

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(0)
    >>> risk = rng.uniform(0.02, 0.4, 3000)
    >>> pack = summary_pack(Binary(rng.uniform(size=3000) < risk), {"m": risk}, spsti="S001",
    ...                     horizon=None)
    >>> part = pack.data["indices"]["m"]
    >>> part["suppressed"], sorted(part["measures"]), len(pack.content_sha256)
    (False, ['c_harrell', 'calibration_slope', 'oe_ratio'], 64)
    """
    pol = policy if policy is not None else DisclosurePolicy()
    yy = as_outcome(y)
    grid = [float(g) for g in grid]
    if len(grid) < 2 or any(b <= a for a, b in zip(grid[:-1], grid[1:], strict=True)) or \
            grid[0] > 0 or grid[-1] < 1:
        raise ValueError(f"grid must be increasing edges from 0 to 1; got {grid}.")
    thresholds = [float(t) for t in thresholds]
    if not risks:
        raise ValueError("risks must name at least one index.")
    lt = LinkedTables(pol)
    raw: dict[str, dict[str, Any]] = {}
    labels = _bins(grid)
    for name, r in risks.items():
        r = np.asarray(r, dtype=float)
        if len(r) != len(yy):
            raise ValueError(f"risks[{name!r}] has {len(r)} values for {len(yy)} outcomes.")
        ok = np.flatnonzero(np.isfinite(r))
        ys, rs = yy.take(ok), r[ok]
        cal = _calibration_rows(ys, rs, horizon, grid)
        population = f"index_{name}"
        lt.levels("risk_bin", labels, population=population)
        lt.levels("outcome", ["event", "no_event"], population=population)
        lt.add(f"calibration_{name}", cal, dims={"bin": "risk_bin"}, population=population,
               counts={"n": {}, "n_events": {"outcome": "event"},
                       "n_non_events": {"outcome": "no_event"}},
               derived={"mean_predicted": ["n"], "observed_risk": ["n", "n_events"]},
               other=())
        raw[name] = {"y": ys, "risk": rs, "ok": ok}
    controlled = lt.suppress()
    audit = controlled.audit()
    indices: dict[str, Any] = {}
    for name, part in raw.items():
        cal = controlled[f"calibration_{name}"]
        total = cal[cal["bin"] == "all"].iloc[0]
        hidden = any(pd.isna(total[c]) for c in ("n", "n_events", "n_non_events"))
        ys, rs = part["y"], part["risk"]
        summ = centre_summary(ys, rs, measures=measures, horizon=horizon, centre=spsti,
                              min_count=pol.min_count).iloc[0]
        suppressed = bool(hidden or summ["suppressed"])
        cols = [c for c in summ.index if c.endswith("_se")]
        est = {c[:-3]: {"estimate": None if suppressed else _num(summ[c[:-3]]),
                        "se": None if suppressed else _num(summ[c])} for c in cols}
        nb_rows = []
        if thresholds and not suppressed:
            nb = net_benefit(ys, rs, thresholds, horizon=horizon).frame
            nb_rows = [{"threshold": float(t), "net_benefit": _num(v), "treat_all": _num(a)}
                       for t, v, a in zip(nb["threshold"], nb["net_benefit"], nb["treat_all"],
                                          strict=True)]
        cov = None if covariates is None else covariates.iloc[part["ok"]]
        mix = None if suppressed else _case_mix(rs, cov)
        indices[name] = {
            "n": _count(total["n"]), "n_events": _count(total["n_events"]),
            "suppressed": suppressed, "measures": est,
            "calibration": [
                {"bin": row["bin"], "lower": float(row["lower"]), "upper": float(row["upper"]),
                 "n": _count(row["n"]), "n_events": _count(row["n_events"]),
                 "n_non_events": _count(row["n_non_events"]),
                 "mean_predicted": _num(row["mean_predicted"]),
                 "observed_risk": _num(row["observed_risk"])}
                for _, row in cal.iterrows()],
            "net_benefit": nb_rows, "case_mix": mix,
        }
    from irdp import __version__

    data: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "irdp_version": __version__,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "spsti": str(spsti),
        "experiment": dict(experiment or {}),
        "horizon_days": _num(horizon),
        "outcome": yy.kind,
        "measures": sorted({m for p in indices.values() for m in p["measures"]}),
        "thresholds": thresholds,
        "risk_grid": grid,
        "disclosure": {"policy": pol.to_dict(), "n_primary": int(controlled.n_primary),
                       "n_secondary": int(controlled.n_secondary),
                       "lp_audit_recoverable": int(audit.n_recoverable)},
        "indices": indices,
    }
    if audit.n_recoverable:  # suppression passes its audit by construction; never publish
        raise SummaryPackError(str(spsti), "content", f"the LP audit recovers "
                               f"{audit.n_recoverable} suppressed count(s); the pack is not "
                               "written.")
    data[_HASH_KEY] = content_hash(data)
    pack = SummaryPack(data)
    check = audit_tables(pack.tables(), policy=pol)
    if not check.clean:
        raise SummaryPackError(str(spsti), "content", "the disclosure audit of the pack's "
                               f"tables recovers {check.n_recoverable} count(s); the pack is "
                               "not written.")
    return pack
