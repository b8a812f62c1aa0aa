"""TRIPOD+AI: the checklist items and the report sections that answer them.

The 27 items (with sub-items) of the TRIPOD+AI statement (Collins et al., BMJ
2024;385:e078378) are paraphrased below; check the wording against the official checklist
before quoting it. :data:`SECTIONS` is the report's section registry in reading order: each
section says which items it answers. :func:`checklist` turns a rendered report into the
checklist table: for every item, the sections where it is answered, or — for items only the
authors can answer (funding, ethics, interpretation...) — what the authors must add.

References
----------
Collins GS, Moons KGM, Dhiman P, et al. TRIPOD+AI statement: updated guidance for reporting
clinical prediction models that use regression or machine learning methods. BMJ
2024;385:e078378. doi:10.1136/bmj-2023-078378
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["TripodItem", "SectionSpec", "TRIPOD_ITEMS", "SECTIONS", "section_spec", "checklist"]


@dataclass(frozen=True)
class TripodItem:
    """One TRIPOD+AI checklist item.

    ``authors_must_add`` says what the authors must write when the software cannot answer
    the item from the data (empty when irdp answers it).
    """

    item: str
    topic: str
    text: str
    authors_must_add: str = ""


_A = "Authors must add: "

#: The TRIPOD+AI checklist (main paper items, paraphrased; see the module docstring).
TRIPOD_ITEMS: tuple[TripodItem, ...] = (
    TripodItem("1", "Title", "Identify the study as developing or evaluating a multivariable "
               "prediction model, the target population and the outcome.",
               _A + "final title (the generated title names the outcome and population)."),
    TripodItem("2", "Abstract", "See TRIPOD+AI for Abstracts.",
               _A + "structured abstract; key figures are in the summary section."),
    TripodItem("3a", "Background", "Healthcare context and rationale, with references to "
               "existing models.", _A + "rationale and review of existing indices."),
    TripodItem("3b", "Background", "Target population, intended purpose in the care pathway "
               "and intended users.",
               _A + "intended use of the index by SPSTI teams (médecin du travail, IST, "
               "cellule PDP)."),
    TripodItem("3c", "Background", "Known health inequalities between sociodemographic groups.",
               _A + "literature on inequalities; the groups checked are listed in Fairness."),
    TripodItem("4", "Objectives", "Study objectives: development, evaluation or both."),
    TripodItem("5a", "Data", "Sources of data for development and evaluation, rationale and "
               "representativeness."),
    TripodItem("5b", "Data", "Dates of the data: start and end of accrual and of follow-up."),
    TripodItem("6a", "Participants", "Study setting, number and location of centres."),
    TripodItem("6b", "Participants", "Eligibility criteria."),
    TripodItem("6c", "Participants", "Treatments received and how they were handled.",
               _A + "interventions between index date and outcome (aménagements, PDP "
               "follow-up) and how they may affect predictions."),
    TripodItem("7", "Data preparation", "Pre-processing and quality checks, and whether they "
               "were similar across sociodemographic groups."),
    TripodItem("8a", "Outcome", "Outcome definition, time horizon, how and when assessed, "
               "consistency across groups."),
    TripodItem("8b", "Outcome", "Qualifications of outcome assessors if subjective.",
               _A + "who records the avis d'inaptitude (médecin du travail) and any "
               "variation between services."),
    TripodItem("8c", "Outcome", "Blinding of outcome assessment.",
               _A + "whether physicians knew the index when concluding inaptitude."),
    TripodItem("9a", "Predictors", "Choice of initial predictors and any pre-selection."),
    TripodItem("9b", "Predictors", "Definition of all predictors, how and when measured."),
    TripodItem("9c", "Predictors", "Qualifications of predictor assessors if subjective.",
               _A + "which professionals enter diagnoses and questionnaire answers."),
    TripodItem("10", "Sample size", "How the study size was arrived at and why it suffices."),
    TripodItem("11", "Missing data", "How missing data were handled; reasons for omitting data."),
    TripodItem("12a", "Analytical methods", "How the data were used (partitioning, resampling)."),
    TripodItem("12b", "Analytical methods", "Predictor handling: functional form, "
               "transformations, standardisation."),
    TripodItem("12c", "Analytical methods", "Model type, building steps, tuning, internal "
               "validation."),
    TripodItem("12d", "Analytical methods", "Heterogeneity across clusters (centres)."),
    TripodItem("12e", "Analytical methods", "Performance measures and plots, rationale, model "
               "comparison."),
    TripodItem("12f", "Analytical methods", "Model updating (e.g. recalibration)."),
    TripodItem("12g", "Analytical methods", "For evaluation: how predictions were calculated."),
    TripodItem("13", "Class imbalance", "Class-imbalance methods and recalibration."),
    TripodItem("14", "Fairness", "Approaches to model fairness and rationale."),
    TripodItem("15", "Model output", "Output of the model and how classification thresholds "
               "were identified."),
    TripodItem("16", "Training versus evaluation", "Differences between development and "
               "evaluation data (setting, eligibility, outcome, predictors)."),
    TripodItem("17", "Ethical approval", "Ethics committee and consent or waiver.",
               _A + "ethics committee / CNIL authorisation (méthodologie de référence) and "
               "information of workers."),
    TripodItem("18a", "Funding", "Source of funding and role of funders.",
               _A + "funding and role of the funders."),
    TripodItem("18b", "Conflicts of interest", "Conflicts of interest of all authors.",
               _A + "declarations of interest."),
    TripodItem("18c", "Protocol", "Where the protocol can be accessed.",
               _A + "protocol reference (or state that none was prepared)."),
    TripodItem("18d", "Registration", "Registration information.",
               _A + "registry name and number (or state that the study was not registered)."),
    TripodItem("18e", "Data sharing", "Availability of study data.",
               _A + "data-access conditions of the SPSTI extracts (summary tables of this "
               "report are disclosure-controlled and shareable)."),
    TripodItem("18f", "Code sharing", "Availability of the analytical code."),
    TripodItem("19", "Patient and public involvement", "Involvement of patients and the public.",
               _A + "involvement of workers' and employers' representatives, or none."),
    TripodItem("20a", "Participants", "Flow of participants, with and without the outcome, "
               "follow-up time."),
    TripodItem("20b", "Participants", "Characteristics overall and per data source, including "
               "missing data."),
    TripodItem("20c", "Participants", "For evaluation: comparison with the development data."),
    TripodItem("21", "Model development", "Number of participants and events in each analysis."),
    TripodItem("22", "Model specification", "Full model to allow predictions in new "
               "individuals."),
    TripodItem("23a", "Model performance", "Performance with confidence intervals, including "
               "key subgroups; plots."),
    TripodItem("23b", "Model performance", "Heterogeneity of performance across clusters."),
    TripodItem("24", "Model updating", "Results of any model updating."),
    TripodItem("25", "Interpretation", "Overall interpretation including fairness.",
               _A + "interpretation of the results against the objectives."),
    TripodItem("26", "Limitations", "Limitations: sample, size, overfitting, missing data.",
               _A + "limitations (the completeness sensitivity and missing-data sections give "
               "material)."),
    TripodItem("27a", "Usability", "How poor-quality or missing input data should be handled "
               "at deployment."),
    TripodItem("27b", "Usability", "User interaction and expertise required.",
               _A + "who computes and reads the index in the SPSTI and with what training."),
    TripodItem("27c", "Usability", "Next steps for future research.",
               _A + "next steps (e.g. prospective impact study)."),
)

_ITEM_IDS = {i.item for i in TRIPOD_ITEMS}


@dataclass(frozen=True)
class SectionSpec:
    """One section of the report: anchor ``id``, ``title``, TRIPOD+AI ``items`` answered."""

    id: str
    part: str
    title: str
    items: tuple[str, ...]


#: The sections of a validation report, in reading order (TRIPOD+AI structure).
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("summary", "Title and abstract", "Summary", ("1", "4")),
    SectionSpec("background", "Introduction", "Background and objectives", ("3a", "3b", "4")),
    SectionSpec("data", "Methods", "Data sources and dates", ("5a", "5b", "6a")),
    SectionSpec("participants", "Methods", "Participants and eligibility", ("6b",)),
    SectionSpec("preparation", "Methods", "Data preparation and quality", ("7",)),
    SectionSpec("outcome", "Methods", "Outcome and horizon", ("8a",)),
    SectionSpec("predictors", "Methods", "Predictors and their timing", ("9a", "9b")),
    SectionSpec("sample-size", "Methods", "Sample size", ("10",)),
    SectionSpec("missing", "Methods", "Missing data", ("11",)),
    SectionSpec("analysis", "Methods", "Statistical analysis",
                ("12a", "12b", "12c", "12d", "12e", "12f", "12g", "13")),
    SectionSpec("fairness-methods", "Methods", "Fairness approach", ("3c", "14")),
    SectionSpec("output", "Methods", "Model output and risk levels", ("15",)),
    SectionSpec("dev-vs-val", "Methods", "Development versus validation data", ("16",)),
    SectionSpec("open-science", "Methods", "Open science and reproducibility", ("18f",)),
    SectionSpec("flow", "Results", "Participant flow", ("20a",)),
    SectionSpec("table1", "Results", "Characteristics (Table 1)", ("20b", "20c")),
    SectionSpec("events", "Results", "Participants and events per analysis", ("21",)),
    SectionSpec("model", "Results", "Full model specification", ("22", "12g")),
    SectionSpec("performance", "Results", "Performance (ABCD) with confidence intervals",
                ("23a",)),
    SectionSpec("calibration", "Results", "Calibration plots", ("23a",)),
    SectionSpec("decision-curves", "Results", "Decision curves", ("23a", "15")),
    SectionSpec("iecv", "Results", "Validation across SPSTI and periods (IECV)",
                ("23b", "12d")),
    SectionSpec("updating", "Results", "Model updating", ("24",)),
    SectionSpec("fairness", "Results", "Fairness across groups", ("23a", "14")),
    SectionSpec("comparison", "Results", "Comparison of indices", ("12e", "23a")),
    SectionSpec("completeness", "Results", "Sensitivity to DMST completeness", ("11", "27a")),
    SectionSpec("service", "Results", "Service-level view (SPSTI, sector, company size)", ()),
    SectionSpec("discussion", "Discussion", "Discussion", ("25", "26", "27b", "27c")),
    SectionSpec("deployment", "Discussion", "Input data at deployment", ("27a",)),
    SectionSpec("checklist", "Appendix", "TRIPOD+AI checklist", ()),
    SectionSpec("provenance", "Appendix", "Provenance", ("18f",)),
)

for _s in SECTIONS:  # registry integrity, checked at import (a programming error otherwise)
    _unknown = set(_s.items) - _ITEM_IDS
    if _unknown:
        raise RuntimeError(f"section {_s.id!r} names unknown TRIPOD+AI items {sorted(_unknown)}")


def section_spec(section_id: str) -> SectionSpec:
    """Look up a section of :data:`SECTIONS` by its anchor.

    Raises
    ------
    KeyError
        With the list of known anchors.
    """
    for s in SECTIONS:
        if s.id == section_id:
            return s
    raise KeyError(
        f"unknown report section {section_id!r}; known: {', '.join(s.id for s in SECTIONS)}"
    )


def checklist(answered: dict[str, bool]) -> pd.DataFrame:
    """The TRIPOD+AI checklist table of a report.

    Parameters
    ----------
    answered : dict of str to bool
        For each section id of the report, whether it holds results (False when the section
        only says that a piece is not available in this version).

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``topic``, ``requirement``, ``where`` (section anchors answering the
        item, comma-separated) and ``status`` (``answered``, ``partly answered``, ``authors
        must add`` or ``not available in this version``), and ``to_add`` (what the authors
        must add, if anything).

    Examples
    --------
    >>> t = checklist({"flow": True, "table1": False})
    >>> t.set_index("item").loc["20a", "status"]
    'answered'
    >>> t.set_index("item").loc["18a", "status"]
    'authors must add'
    """
    rows = []
    for it in TRIPOD_ITEMS:
        where = [s.id for s in SECTIONS if it.item in s.items and s.id in answered]
        done = [w for w in where if answered[w]]
        if done and not it.authors_must_add:
            status = "answered"
        elif done:
            status = "partly answered"
        elif it.authors_must_add:
            status = "authors must add"
        else:
            status = "not available in this version"
        rows.append(
            {
                "item": it.item,
                "topic": it.topic,
                "requirement": it.text,
                "where": ", ".join(done or where),
                "status": status,
                "to_add": it.authors_must_add.removeprefix(_A),
            }
        )
    return pd.DataFrame(rows)
