"""``summarise``: the experiment run inside one SPSTI, down to its summary pack (private)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import SummaryPackError
from irdp.experiment import ExperimentConfig, load_experiment
from irdp.multicentre._pack import RISK_GRID, SummaryPack, summary_pack
from irdp.outcomes import CompetingRisks
from irdp.privacy import DisclosurePolicy

__all__ = ["experiment_hash", "summarise"]


def experiment_hash(cfg: ExperimentConfig) -> str:
    """SHA-256 identifying the experiment across SPSTI.

    The canonical configuration without what differs from one service to the next: the
    ``extract`` section (each SPSTI points to its own extract), ``compute`` and ``n_jobs``
    (they never change a result), and file locations (a cohort file counts by its content,
    a risk file by its name).
    """
    plain = cfg.to_dict()
    for key in ("source", "extract", "compute", "n_jobs"):
        plain.pop(key, None)
    if isinstance(cfg.cohort, Path):
        plain["cohort"] = {"file_sha256": hashlib.sha256(cfg.cohort.read_bytes()).hexdigest()}
    for i, idx in enumerate(cfg.indices):
        if idx.file is not None:
            plain["indices"][i]["file"] = idx.file.name
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _policy(cfg: ExperimentConfig) -> DisclosurePolicy:
    k = cfg.report.min_count
    reason = None if k >= 11 else f"report.min_count of experiment {cfg.name!r}"
    return DisclosurePolicy(min_count=k, override_reason=reason)


def _local_data(cfg: ExperimentConfig, cache_dir: Path) -> Any:
    """Extract, cohort and features built by the steps of ``irdp run``.

    The extract is read (after generating it, for a synthetic one) without the checks of the
    configuration against the whole extract (held-out SPSTI present...): an SPSTI's own
    extract holds only its workers, and the development design is not used here.
    """
    from irdp.io import read_extract
    from irdp.pipeline._data import _step_cohort, _step_features, _synthetic_extract
    from irdp.pipeline._state import _State
    from irdp.report import Report

    st = _State(cfg=cfg, report=Report(cfg.name, min_count=cfg.report.min_count),
                cache_dir=cache_dir, n_jobs=cfg.n_jobs)
    st.extract_path = _synthetic_extract(st) if cfg.extract.synthetic is not None \
        else cfg.extract.path
    st.extract = read_extract(st.extract_path)
    _step_cohort(st)
    _step_features(st)
    return st


def _model_risk(spec: dict[str, Any], X: pd.DataFrame, name: str) -> np.ndarray:
    """Risks of an exported model on features built by the pipeline (as ``irdp score``)."""
    from irdp.models.base import load
    from irdp.models.preprocessing import MissingIndicatorPreprocessing
    from irdp.models.scoring import _input_columns, scoring_horizon

    try:
        model = load(spec)
        columns = _input_columns(model, spec)
    except (ValueError, KeyError, TypeError) as err:
        raise SummaryPackError(name, "models", f"the model export cannot score features: "
                               f"{err}") from err
    prep = (MissingIndicatorPreprocessing.from_dict(spec["preprocessing"])
            if "preprocessing" in spec else None)
    raw = list(prep.features) if prep is not None and prep.features else columns
    absent = [c for c in dict.fromkeys(raw) if c not in X.columns]
    if absent:
        raise SummaryPackError(name, "models", f"the model needs features {absent[:5]} that "
                               "the experiment does not build; keep them in "
                               "features.include.")
    Xd = prep.transform(X[raw]) if prep is not None else X[raw]
    if prep is not None or getattr(model, "_accepts_missing", False):
        ok = np.ones(len(Xd), bool)
    else:
        ok = ~Xd[columns].isna().any(axis=1).to_numpy()
    risk = np.full(len(Xd), np.nan)
    if ok.any():
        part = Xd.loc[ok].reset_index(drop=True)
        risk[ok] = np.asarray(model.predict_risk(part, horizon=scoring_horizon(spec, None)),
                              float)
    return risk


def _risks(st: Any, rows: np.ndarray, models: Path | None,
           chosen: list[str]) -> tuple[dict, dict]:
    """Risks of every index on the SPSTI's rows, and the SHA-256 of each model export."""
    from irdp.pipeline._models import _external_risk

    risks: dict[str, np.ndarray] = {}
    hashes: dict[str, str] = {}
    X = st.X.loc[rows].reset_index(drop=True)
    for idx in st.cfg.indices:
        if idx.name not in chosen:
            continue
        if idx.kind == "column":
            risks[idx.name] = _external_risk(st, idx)[rows]
            continue
        path = None if models is None else models / f"{idx.name}.json"
        if path is None or not path.is_file():
            where = "no --models folder was given" if models is None else \
                f"{idx.name}.json is not in {models}"
            raise SummaryPackError(
                idx.name, "models", f"index {idx.name!r} ({idx.kind}) is developed centrally: "
                f"its frozen model is needed to validate it in an SPSTI, and {where}. Give "
                "the models/ folder of the development run (irdp run writes it).")
        text = path.read_bytes()
        hashes[idx.name] = hashlib.sha256(text).hexdigest()
        risks[idx.name] = _model_risk(json.loads(text), X, idx.name)
    return risks, hashes


def summarise(
    experiment: ExperimentConfig | str | Path,
    spsti: str,
    *,
    models: str | Path | None = None,
    indices: list[str] | None = None,
    out: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> SummaryPack:
    """Validate the experiment's indices inside one SPSTI and write its summary pack.

    The extract, cohort and features are built by the steps of ``irdp run``; only the
    SPSTI's index events are kept; each index is scored with its frozen model (the
    ``models/`` folder of the development run) or read from its risk file (kind
    ``column``), and :func:`summary_pack` keeps only what pooling needs, under the
    experiment's disclosure threshold (``report.min_count``).

    Parameters
    ----------
    experiment : ExperimentConfig or path
        The experiment (the same file in every SPSTI).
    spsti : str
        The SPSTI whose rows are summarised (``spsti_id`` of the extract).
    models : str or pathlib.Path, optional
        Folder of model exports ``<index>.json`` (``<run>/models``); needed for every index
        that is not of kind ``column``.
    out : str or pathlib.Path, optional
        Write the pack there (``<SPSTI>.irdp-summary.json``).
    cache_dir : str or pathlib.Path, optional
        Where a synthetic extract is generated (default ``reports/<name>/_cache``, as
        ``irdp run``).

    Returns
    -------
    SummaryPack

    Raises
    ------
    SummaryPackError
        The SPSTI is not in the extract, or a model export is missing or unusable.
    ExperimentConfigError, ExtractError
        An invalid experiment or extract.

    References
    ----------
    Debray TPA et al. BMJ 2017;356:i6460 (what a centre shares for a meta-analysis of
    prediction model performance).
    """
    cfg = experiment if isinstance(experiment, ExperimentConfig) else \
        load_experiment(experiment)
    names = [i.name for i in cfg.indices]
    chosen = names if indices is None else list(dict.fromkeys(indices))
    unknown = [n for n in chosen if n not in names]
    if unknown or not chosen:
        found = f"{unknown} are not indices of the experiment" if unknown else "none given"
        raise SummaryPackError(str(spsti), "indices", f"indices to summarise: {found}; "
                               f"choose among {names}.")
    cache = Path(cache_dir) if cache_dir is not None else Path("reports") / cfg.name / "_cache"
    st = _local_data(cfg, cache)
    labels = st.frame["spsti_id"].astype(str).to_numpy()
    rows = labels == str(spsti)
    if not rows.any():
        present = sorted(set(labels))
        raise SummaryPackError(str(spsti), "spsti", f"SPSTI {spsti!r} has no index event in "
                               f"the cohort of this extract, whose SPSTI are "
                               f"{', '.join(present[:12])}. Give the SPSTI of this extract.")
    risks, hashes = _risks(st, rows, Path(models) if models is not None else None, chosen)
    sub = st.frame.loc[rows]
    y = CompetingRisks(sub["time"].to_numpy(float), sub["cause"].to_numpy(int),
                       event_of_interest=1)
    measures = _pooled_measures(cfg)
    covariates = sub[["age"]].reset_index(drop=True) if "age" in sub.columns else None
    pack = summary_pack(
        y, risks, spsti=str(spsti), horizon=st.horizon, measures=measures,
        thresholds=cfg.validation.thresholds, grid=RISK_GRID, covariates=covariates,
        policy=_policy(cfg),
        experiment={"name": cfg.name, "config_sha256": experiment_hash(cfg),
                    "model_sha256": hashes,
                    "indices": chosen})
    _refuse_identifiers(pack, st)
    if out is not None:
        pack.write(out)
    return pack


def _refuse_identifiers(pack: SummaryPack, st: Any) -> None:
    """The identifier scan of ``irdp run``, on the pack before it is written."""
    from irdp.privacy import find_identifiers

    ids: set[str] = set()
    for table, col in (("worker", "worker_id"), ("company", "company_id")):
        if table in st.extract:
            rows = st.extract.connection.execute(
                f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM "{table}"').fetchall()
            ids.update(r[0] for r in rows if r[0] is not None)
    ids = {i for i in ids if not (i.isdigit() and len(i) < 6)}  # indistinct from counts
    hits = find_identifiers(pack.to_json(), ids, max_hits=1)
    if hits:
        raise SummaryPackError(pack.spsti, "content", "the pack holds a value shaped like an "
                               "identifier of the extract (not shown); it is not written. "
                               "Check the labels of the experiment (index names, SPSTI).")


def _pooled_measures(cfg: ExperimentConfig) -> list[str] | None:
    """The experiment's measures that have an analytic SE (default: Debray's three)."""
    from irdp.metrics import get_metric

    chosen = cfg.validation.measures
    if chosen is None:
        return None
    names = [get_metric(m).name for m in chosen]
    keep = [n for n in dict.fromkeys(names)
            if get_metric(n).has_se and get_metric(n).supports("competing")]
    return keep or None
