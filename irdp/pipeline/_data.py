"""Pipeline steps on the data: extract, cohort, features, split, Table 1, events (private)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

import irdp.synth
from irdp.cohort import CohortDefinition, build_cohort
from irdp.exceptions import ExperimentConfigError
from irdp.experiment import FITTED_KINDS
from irdp.features import build_features, data_dictionary
from irdp.io import read_extract
from irdp.io.extract import TABLES
from irdp.io.quality import quality_report
from irdp.pipeline._disclosure import declare_datasets, events_link, table_one_link
from irdp.pipeline._state import _plain_columns, _State, hash_folder_files
from irdp.report import (
    hash_file,
    hash_folder,
    table_one,
    table_one_disclosure,
)
from irdp.report.labels import index_kind_label
from irdp.synth import generate_dmst


def _step_extract(st: _State) -> None:
    """Read (after generating, for a synthetic extract) and check the extract.

    The configuration is checked against the extract as soon as it is read: every SPSTI
    named by ``validation.holdout.spsti`` and the cohort's ``eligibility.spsti`` must be in
    it (:class:`~irdp.exceptions.ExperimentConfigError` otherwise).
    """
    cfg = st.cfg
    if cfg.extract.synthetic is not None:
        st.extract_path = _synthetic_extract(st)
    else:
        st.extract_path = cfg.extract.path
        st.provenance["extract"] = {}
    st.extract = read_extract(st.extract_path)
    _check_against_extract(st)
    hashed = hash_folder(st.extract_path)
    hashed["files"] = {k: v for k, v in hashed["files"].items() if not k.startswith(".")}
    hashed["sha256"] = hash_folder_files(hashed["files"])
    st.provenance["extract"].update({"path": str(st.extract_path), **hashed})
    for table, col in (("worker", "worker_id"), ("company", "company_id")):
        if table in st.extract:
            rows = st.extract.connection.execute(
                f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM "{table}"').fetchall()
            st.identifiers.update(r[0] for r in rows if r[0] is not None)
    _section_data(st)


def _synthetic_extract(st: _State) -> Path:
    """Generate the synthetic extract once per parameters and generator code (cached)."""
    syn = st.cfg.extract.synthetic
    synth_dir = Path(irdp.synth.__file__).parent
    code = hash_folder_files({p.name: hash_file(p) for p in sorted(synth_dir.glob("*.py"))})
    key = json.dumps(
        [syn.n_workers, syn.n_spsti, str(syn.start), str(syn.end), syn.seed, code]
    ).encode()
    folder = st.cache_dir / f"extract-{hashlib.sha256(key).hexdigest()[:12]}"
    marker = folder / ".complete"
    if not marker.exists():
        if folder.exists():
            shutil.rmtree(folder)  # an interrupted generation (cache, not a run folder)
        generate_dmst(syn.n_workers, n_spsti=syn.n_spsti, start=str(syn.start),
                      end=str(syn.end), seed=syn.seed, out=folder)
        marker.write_text("ok\n")
    st.provenance["extract"] = {"synthetic": {
        "n_workers": syn.n_workers, "n_spsti": syn.n_spsti, "start": str(syn.start),
        "end": str(syn.end), "seed": syn.seed}}
    return folder


def _check_against_extract(st: _State) -> None:
    """SPSTI named by the configuration must exist in the extract."""
    present = sorted(r[0] for r in st.extract.connection.execute(
        'SELECT DISTINCT CAST(spsti_id AS VARCHAR) FROM "worker" WHERE spsti_id IS NOT NULL'
    ).fetchall())
    named = [("validation.holdout.spsti", st.cfg.validation.holdout.spsti)]
    cohort = st.cfg.cohort
    if isinstance(cohort, dict):
        named.append(("cohort.eligibility.spsti",
                      (cohort.get("eligibility") or {}).get("spsti") or []))
    problems = []
    for key, values in named:
        for k, value in enumerate(values):
            if str(value) not in present:
                shown = ", ".join(present[:12]) + (", ..." if len(present) > 12 else "")
                problems.append(f"{key}[{k}]: SPSTI {value!r} is not in the extract "
                                f"({st.extract_path}), whose {len(present)} SPSTI are "
                                f"{shown}. Name SPSTI of this extract.")
    if problems:
        source = str(st.cfg.source) if st.cfg.source else "<experiment>"
        raise ExperimentConfigError(source, problems)


def _section_data(st: _State) -> None:
    r = st.report
    ex = st.extract
    con = ex.connection
    rows = []
    names = [n for n in TABLES if n in ex.names] + sorted(set(ex.names) - set(TABLES))
    for name in names:
        n = con.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
        rows.append({"table": name, "rows": int(n)})
    r.add_text("data", "Data source: the DMST (dossier médical en santé au travail) of the "
               "participating SPSTI (services de prévention et de santé au travail), exported "
               "to the irdp extract contract (docs/contract.md).")
    if st.cfg.extract.synthetic is not None:
        r.add_note("data", "This run uses a SYNTHETIC extract generated by irdp.synth "
                   "(seeded); no real worker is described.", kind="info")
    r.add_table("data", "extract_tables", pd.DataFrame(rows), caption="Extract tables and "
                "row counts", count_columns=["rows"])
    dates = con.execute(
        'SELECT MIN(visit_date), MAX(visit_date), COUNT(DISTINCT worker_id) FROM "visit"'
    ).fetchone()
    centres = con.execute(
        'SELECT spsti_id, COUNT(*) AS workers FROM "worker" GROUP BY 1 ORDER BY 1'
    ).df()
    r.add_text("data", f"Visits recorded from {dates[0]} to {dates[1]}; {len(centres)} SPSTI "
               "(centres) contribute workers.")
    centres["spsti_id"] = centres["spsti_id"].astype(str)
    centres["workers"] = centres["workers"].astype("int64")
    r.add_table("data", "centres", centres, caption="Workers followed by each SPSTI",
                count_columns=["workers"], known_totals=True)


def _cohort_definition(st: _State) -> CohortDefinition:
    c = st.cfg.cohort
    if isinstance(c, Path):
        return CohortDefinition.from_yaml(c)
    data = dict(c)
    data.setdefault("name", st.cfg.name)
    if "extract_end" not in data:
        end = st.extract.connection.execute('SELECT MAX(visit_date) FROM "visit"').fetchone()[0]
        data["extract_end"] = str(end)
    source = f"{st.cfg.source or '<experiment>'} (cohort)"
    return CohortDefinition.from_dict(data, source=source)


def _step_cohort(st: _State) -> None:
    definition = _cohort_definition(st)
    st.cohort = build_cohort(st.extract, definition)
    table = st.cohort.table.copy()
    st.frame = table
    r = st.report
    d = definition
    r.add_text("participants", "Cohort definition (as run):")
    r.add_text("participants", d.to_yaml(), pre=True)
    flow = st.cohort.flow.copy()
    counts = [c for c in flow.columns if pd.api.types.is_integer_dtype(flow[c])
              and str(c).startswith(("n_", "excluded_"))]
    r.add_table("flow", "flow", flow, caption="Participant flow: index events and workers "
                "at each eligibility step (TRIPOD+AI 20a)", count_columns=counts)
    summ = st.cohort.summary().reset_index()
    r.add_table("flow", "outcomes_by_cause", summ, caption="Follow-up end by cause, overall "
                "and within the horizon", count_columns=["n_total", "n_within_horizon"],
                known_totals=True)
    h = st.horizon
    r.add_text("outcome", f"Outcome: {', '.join(d.outcome.conclusions)} (avis d'inaptitude) "
               f"recorded after the index date, within a horizon of {h} days. Competing "
               f"events: {', '.join(d.competing) or 'none'}; follow-up is censored at a "
               "change of SPSTI and at the end of the extract "
               f"({d.extract_end}). Risks are absolute risks of the outcome by the horizon.")


def _step_features(st: _State) -> None:
    X = build_features(st.extract, st.cohort)
    dictionary = data_dictionary()
    include = st.cfg.features.include
    if include != "all":
        keep = [c for c in X.columns if c in include or _family(dictionary, c) in include]
        X = X[keep]
    X = X.drop(columns=[c for c in st.cfg.features.exclude if c in X.columns])
    st.X = X.reset_index(drop=True)
    st.dictionary = dictionary
    st.frame = pd.concat([st.frame.reset_index(drop=True),
                          st.X.drop(columns=[c for c in st.X.columns
                                             if c in st.frame.columns])], axis=1)
    st.predictors = {i.name: list(i.features) if i.features else list(st.X.columns)
                     for i in st.cfg.indices if i.kind in FITTED_KINDS}
    d = dictionary[dictionary.iloc[:, 0].isin(X.columns)]
    r = st.report
    r.add_text("predictors", f"{X.shape[1]} candidate predictors, computed from records "
               "dated strictly before (or at, where documented) the index date, by the "
               "declarative feature registry (irdp.features).")
    r.add_table("predictors", "data_dictionary", _plain_columns(d),
                caption="Predictors: definition, family, source and look-back window",
                disclosure=False)


def _family(dictionary: pd.DataFrame, name: str) -> str | None:
    hit = dictionary[dictionary.iloc[:, 0] == name]
    return None if hit.empty else str(hit["family"].iloc[0])


def _step_split(st: _State) -> None:
    ho = st.cfg.validation.holdout
    t = st.frame
    if ho.by == "none":
        st.dev = np.ones(len(t), dtype=bool)
        how = "All index events are used for development; validation is internal only."
        key = "validation.holdout.by"
    elif ho.by == "spsti":
        st.dev = ~t["spsti_id"].astype(str).isin(ho.spsti).to_numpy()
        how = f"SPSTI {', '.join(ho.spsti)} are held out for (geographic) validation."
        key = "validation.holdout.spsti"
    else:
        dates = pd.to_datetime(t["index_date"])
        cutoff = pd.Timestamp(ho.cutoff) if ho.cutoff is not None else dates.quantile(0.7)
        cutoff = cutoff.normalize()
        st.dev = (dates < cutoff).to_numpy()
        how = (f"Index events before {cutoff.date()} are used for development, later ones "
               "for temporal validation.")
        key = "validation.holdout.cutoff"
    if st.dev.sum() == 0 or (ho.by != "none" and st.dev.all()):
        empty = "development" if st.dev.sum() == 0 else "validation"
        raise ExperimentConfigError(str(st.cfg.source or "<experiment>"), [
            f"{key}: leaves the {empty} set empty ({int(st.dev.sum())} development rows of "
            f"{len(st.dev)} index events of the cohort); change validation.holdout."])
    st.frame["dataset"] = np.where(st.dev, "development", "validation")
    st.report.add_text("analysis", "Data use (12a): " + how)
    st.report.add_text("dev-vs-val", how + " Eligibility, outcome and predictor definitions "
                       "are identical in both sets (same cohort definition and feature "
                       "registry); Table 1 compares their case mix with standardised mean "
                       "differences.")


#: Cohort columns describing the participants in Table 1, before the predictors.
_DESCRIPTORS = ("age", "sex", "age_band", "followup_type", "index_visit_type", "company_size",
                "naf_section")


def _all_predictors(st: _State) -> list[str]:
    """Every predictor of every fitted index, in first-use order."""
    seen: dict[str, None] = {}
    for names in st.predictors.values():
        seen.update(dict.fromkeys(names))
    return list(seen)


def _table1_variables(st: _State) -> list[str]:
    """The participants' description, then every predictor of every index."""
    names = [c for c in _DESCRIPTORS if c in st.frame.columns]
    return names + [c for c in _all_predictors(st) if c not in names]


def _step_table1(st: _State) -> None:
    r = st.report
    variables = _table1_variables(st)
    t1 = table_one(st.frame, "dataset", variables, overall=True)
    r.add_table("table1", "table1_dev_val", t1, caption="Table 1: characteristics and "
                "predictors of the development and validation data, with standardised mean "
                "differences (SMD)", **table_one_disclosure(t1),
                link=table_one_link(t1, "dataset", "dataset"))
    t2 = table_one(st.frame, "spsti_id", variables, overall=True)
    r.add_table("table1", "table1_by_spsti", t2, caption="Table 1 by SPSTI (SMD: largest "
                "absolute pairwise difference between SPSTI)", **table_one_disclosure(t2),
                link=table_one_link(t2, "spsti_id", "spsti"))
    declare_datasets(r, st.frame)
    _missing_section(st)
    _quality_section(st)
    r.add_text("preparation", "Data preparation: the extract is validated against the "
               "contract on loading (types, code systems and versions, keys, dates); the "
               "completeness of each predictor per SPSTI is in the Missing data section, so "
               "differences in data quality between services are visible.")


def _missing_section(st: _State) -> None:
    """Missing values of every predictor of every index, overall and by SPSTI."""
    r = st.report
    predictors = _all_predictors(st)
    frame = st.frame
    miss = []
    for v in predictors:
        s = frame[v]
        row = {"variable": v, "indices": ", ".join(n for n, p in st.predictors.items()
                                                    if v in p),
               "n_missing": int(s.isna().sum())}
        for g, part in frame.groupby("spsti_id", sort=True):
            row[f"missing % ({g})"] = round(100 * float(part[v].isna().mean()), 2)
        miss.append(row)
    r.add_text("missing", f"Missing values of the {len(predictors)} predictors of the "
               "candidate indices, overall and by SPSTI. Missing values are handled by a "
               "missing-indicator design fitted on the development data: a predictor "
               "missing in one SPSTI but recorded in another gets its indicator term for "
               "every worker of the first one.")
    r.add_table("missing", "missing_by_spsti", pd.DataFrame(miss), caption="Missing values "
                "of each predictor, overall (count) and per SPSTI (%)",
                count_columns=["n_missing"])
    for text in _missingness_shifts(st, predictors):
        r.add_note("missing", text)
        r.add_note("dev-vs-val", text)


def _missingness_shifts(st: _State, predictors: list[str]) -> list[str]:
    """Predictors never recorded in some SPSTI, or much more often missing in validation.

    Such a predictor's missing-indicator term stands for the SPSTI's recording practice, not
    only for non-response: when every validated worker gets it, the validation data are
    miscalibrated by construction.
    """
    frame = st.frame
    val = ~st.dev
    out = []
    for v in predictors:
        na = frame[v].isna().to_numpy()
        by = pd.Series(na).groupby(frame["spsti_id"].astype(str).to_numpy(), sort=True).mean()
        never = [g for g, m in by.items() if m >= 0.999]
        share_dev = 100 * na[st.dev].mean()
        share_val = 100 * na[val].mean() if val.any() else float("nan")
        shift = val.any() and abs(share_dev - share_val) >= 30
        if not (shift or (never and len(never) < len(by))):
            continue
        text = f"{v}: missing for {share_dev:.0f}% of development"
        text += f" and {share_val:.0f}% of validation index events" if val.any() else \
            " index events"
        if never and len(never) < len(by):
            text += (f"; never recorded in SPSTI {', '.join(never)} (recorded in "
                     f"{', '.join(g for g in by.index if g not in never)}), so its "
                     "missing-indicator term also stands for the SPSTI's recording practice")
        if val.any() and na[val].all():
            text += (". Every validated worker has it missing (indicator = 1): a likely cause "
                     "of miscalibration in the validation data (see the updating section)")
        out.append(text + ".")
    return out


def _quality_section(st: _State) -> None:
    """Completeness of every incompletely filled field of the extract, by SPSTI (item 7)."""
    q = quality_report(st.extract, policy=st.report.policy)
    st.quality_text = q.as_text()
    comp = q.completeness.copy()
    comp["field"] = comp["table"].astype(str) + "." + comp["column"].astype(str)
    wide = comp.pivot_table(index="field", columns="spsti_id", values="pct_filled",
                            aggfunc="first", sort=True)
    wide = wide[[c for c in ["ALL", *sorted(c for c in wide.columns if c != "ALL")]
                 if c in wide.columns]]
    wide = wide[(wide.fillna(100) < 100).any(axis=1)].round(2)
    if wide.empty:
        st.report.add_text("preparation", "Every field of the extract is completely filled.")
        return
    wide = wide.reset_index().astype({c: "float64" for c in wide.columns})
    st.report.add_table("preparation", "completeness_by_spsti", wide, caption="Percentage "
                        "of rows with the field filled, overall (ALL) and by SPSTI (fields "
                        "not always filled; blank: suppressed by the disclosure control of "
                        "irdp.io.quality_report)", disclosure=False)


def _step_events(st: _State) -> None:
    t = st.frame
    h = st.horizon
    rows = []
    for name, mask in (("development", st.dev), ("validation", ~st.dev),
                       ("all", np.ones(len(t), bool))):
        part = t[mask]
        if part.empty:
            continue
        within = part["time"] <= h
        rows.append({
            "analysis": name,
            "n": int(len(part)),
            "workers": int(part["worker_id"].nunique()),
            "events_by_horizon": int(((part["cause"] == 1) & within).sum()),
            "competing_by_horizon": int(((part["cause"] > 1) & within).sum()),
            "censored_before_horizon": int(((part["cause"] == 0) & within).sum()),
            "median_followup_days": float(part["time"].median()),
        })
    table = pd.DataFrame(rows)
    st.report.add_table(
        "events", "events_per_analysis", table,
        caption=f"Participants and outcome events per analysis (horizon {h} days)",
        count_columns=["n", "workers", "events_by_horizon", "competing_by_horizon",
                       "censored_before_horizon"], link=events_link(table),
    )


def _text_sections(st: _State) -> None:
    if st.texts_done:
        return
    st.texts_done = True
    cfg, r = st.cfg, st.report
    r.add_text("summary", cfg.description or f"Validation of candidate IRDP indices "
               f"(indice de repérage de la désinsertion professionnelle) in experiment "
               f"'{cfg.name}': development and validation of risk indices of avis "
               "d'inaptitude from the DMST.")
    r.add_text("summary", "Candidate indices: " + ", ".join(
        f"{i.label or i.name} ({index_kind_label(i.kind)})" for i in cfg.indices) + ".")
    if st.headline:
        r.add_text("summary", "Key results (95% CIs; outcome with competing exits at the "
                   "horizon): " + " ".join(st.headline))
    if st.failures:
        r.add_note("summary", "Steps that failed or were skipped (stated in their sections): "
                   + "; ".join(f.label for f in st.failures) + ".", kind="unavailable")
    if cfg.report.background:
        r.add_text("background", cfg.report.background)
    r.add_note("background", "Authors must add the rationale, the intended use of the index "
               "in the SPSTI care pathway (cellule PDP, médecin du travail) and a review of "
               "existing indices (TRIPOD+AI 3a-3b).", kind="authors")
    r.add_text("background", _objective(st))
    r.add_text("open-science", "Code: irdp (open source). This run is reproducible from the "
               "configuration below and the provenance record (git commit, hashes of the "
               "extract and configuration, package versions, seeds).")
    r.add_text("open-science", json.dumps(cfg.to_dict(), indent=2, default=str), pre=True)
    r.add_note("discussion", "Authors must add the interpretation (25), the limitations (26), "
               "the expertise required of users (27b) and the next steps (27c).",
               kind="authors")
    r.add_text("deployment", "At deployment, exported indices refuse inputs that break the "
               "extract contract (irdp.io.read_extract) and the models' input checks "
               "(missing columns, wrong types, values outside the development range are "
               "reported, never silently imputed). The completeness sensitivity section shows "
               "how performance degrades when DMST fields are missing.")
    r.add_text("analysis", "Class imbalance (13): no resampling or reweighting of events is "
               "used; models are fitted by maximum likelihood on the observed case mix.")


def _objective(st: _State) -> str:
    """The objective, in words, from what the configuration asks for (TRIPOD+AI 3c)."""
    cfg = st.cfg
    by_kind: dict[str, list[str]] = {}
    for i in cfg.indices:
        by_kind.setdefault(i.kind, []).append(i.label or i.name)
    aims = []
    fitted = [n for k in FITTED_KINDS for n in by_kind.get(k, [])]
    if fitted:
        aims.append(f"to develop {len(fitted)} candidate index(es) ({'; '.join(fitted)})"
                    + (" and points scores derived from them" if "points" in by_kind else ""))
    val = cfg.validation
    designs = []
    if fitted and val.bootstrap.n_boot > 0:
        designs.append(f"internally (optimism bootstrap, {val.bootstrap.n_boot} resamples)")
    if val.holdout.by == "spsti":
        designs.append(f"in held-out SPSTI ({', '.join(val.holdout.spsti)})")
    elif val.holdout.by == "period":
        designs.append("in a later period (temporal validation)")
    if fitted and val.iecv.by:
        designs.append("across " + " and ".join(
            "SPSTI" if b == "spsti" else "calendar periods" for b in val.iecv.by)
            + " (internal-external cross-validation)")
    if designs:
        aims.append("to validate them " + ", ".join(designs))
    if "questionnaire" in by_kind:
        aims.append("to compare them with existing questionnaires ("
                    + "; ".join(by_kind["questionnaire"]) + ")")
    if "column" in by_kind:
        aims.append("to validate indices computed outside irdp ("
                    + "; ".join(by_kind["column"]) + ")")
    if len(cfg.indices) > 1 and "questionnaire" not in by_kind:
        aims.append("to compare the indices with one another")
    outcome = "an avis d'inaptitude"
    if st.cohort is not None:
        outcome += f" within {st.horizon} days of the index date"
    text = "; ".join(aims) if aims else "to validate the indices listed"
    return (f"Objective (3c): {text}. The outcome is {outcome} (désinsertion professionnelle), "
            "with competing exits from employment.")
