"""TRIPOD+AI: the checklist items and the report sections that answer them.

:data:`TRIPOD_ITEMS` holds the 27 items of the TRIPOD+AI statement as its 52 numbered
sub-items (1, 2, 3a-c, 4, 5a-b, 6a-c, 7, 8a-c, 9a-c, 10, 11, 12a-g, 13, 14, 15, 16, 17, 18a-f,
19, 20a-c, 21, 22, 23a-b, 24, 25, 26, 27a-c), with the wording of the official checklist
(Collins et al. 2024, published under CC BY 4.0; the wording was checked against the
checklist PDF distributed at tripod-statement.org as transcribed in public repositories).
:data:`SECTIONS` is the report's section registry in reading order: each section says which
items it answers. :func:`checklist` turns a rendered report into the checklist table: for
every item, the sections where it is answered, why it is not (a section that failed or was
not produced) or, for items only the authors can answer (funding, ethics,
interpretation...), what the authors must add.

References
----------
Collins GS, Moons KGM, Dhiman P, et al. TRIPOD+AI statement: updated guidance for reporting
clinical prediction models that use regression or machine learning methods. BMJ
2024;385:e078378. doi:10.1136/bmj-2023-078378
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["TripodItem", "SectionSpec", "TRIPOD_ITEMS", "SECTIONS", "section_spec", "checklist"]


@dataclass(frozen=True)
class TripodItem:
    """One TRIPOD+AI checklist item (a numbered sub-item of the official checklist).

    ``text`` is the item's wording in the official checklist; ``applies`` says whether it
    concerns development (``D``), evaluation (``E``) or both (``D;E``); ``part`` is the part
    of the paper it belongs to. ``authors_must_add`` says what the authors must write when
    the software cannot answer the item from the data (empty when irdp answers it).
    """

    item: str
    topic: str
    text: str
    authors_must_add: str = ""
    applies: str = "D;E"
    part: str = ""


_A = "Authors must add: "


def _items(part: str, *rows: tuple[str, ...]) -> tuple[TripodItem, ...]:
    return tuple(TripodItem(item, topic, text, add, applies, part)
                 for item, applies, topic, text, add in rows)


#: The TRIPOD+AI checklist: 27 items, 52 numbered sub-items, with the official wording of
#: Collins et al., BMJ 2024;385:e078378 (checklist, Table 1 of the paper; CC BY 4.0).
TRIPOD_ITEMS: tuple[TripodItem, ...] = (
    *_items(
        "Title and abstract",
        ("1", "D;E", "Title", "Identify the study as developing or evaluating the performance "
         "of a multivariable prediction model, the target population, and the outcome to be "
         "predicted.", _A + "the final title (the generated title names the outcome and "
         "the population)."),
        ("2", "D;E", "Abstract", "See TRIPOD+AI for Abstracts checklist.",
         _A + "a structured abstract (TRIPOD+AI for Abstracts); key figures are in the "
         "Summary."),
    ),
    *_items(
        "Introduction",
        ("3a", "D;E", "Background", "Explain the healthcare context (including whether "
         "diagnostic or prognostic) and rationale for developing or evaluating the prediction "
         "model, including references to existing models.",
         _A + "the rationale and a review of existing indices."),
        ("3b", "D;E", "Background", "Describe the target population and the intended purpose "
         "of the prediction model in the care pathway, including its intended users (eg, "
         "healthcare professionals, patients, public).",
         _A + "the intended use of the index by SPSTI teams (médecin du travail, IST, "
         "cellule PDP)."),
        ("3c", "D;E", "Background", "Describe any known health inequalities between "
         "sociodemographic groups.",
         _A + "the literature on inequalities; the groups checked are listed in the fairness "
         "sections."),
        ("4", "D;E", "Objectives", "Specify the study objectives, including whether the study "
         "describes the development or validation of a prediction model (or both).", ""),
    ),
    *_items(
        "Methods",
        ("5a", "D;E", "Data", "Describe the sources of data separately for the development "
         "and evaluation datasets (eg, randomised trial, cohort, routine care or registry "
         "data), the rationale for using these data, and representativeness of the data.",
         ""),
        ("5b", "D;E", "Data", "Specify the dates of the collected participant data, "
         "including start and end of participant accrual; and, if applicable, end of "
         "follow-up.", ""),
        ("6a", "D;E", "Participants", "Specify key elements of the study setting (eg, "
         "primary care, secondary care, general population) including the number and "
         "location of centres.", ""),
        ("6b", "D;E", "Participants", "Describe the eligibility criteria for study "
         "participants.", ""),
        ("6c", "D;E", "Participants", "Give details of any treatments received, and how they "
         "were handled during model development or evaluation, if relevant.",
         _A + "the interventions between the index date and the outcome (aménagements, PDP "
         "follow-up) and how they may affect predictions."),
        ("7", "D;E", "Data preparation", "Describe any data pre-processing and quality "
         "checking, including whether this was similar across relevant sociodemographic "
         "groups.", ""),
        ("8a", "D;E", "Outcome", "Clearly define the outcome that is being predicted and the "
         "time horizon, including how and when assessed, the rationale for choosing this "
         "outcome, and whether the method of outcome assessment is consistent across "
         "sociodemographic groups.", ""),
        ("8b", "D;E", "Outcome", "If outcome assessment requires subjective interpretation, "
         "describe the qualifications and demographic characteristics of the outcome "
         "assessors.", _A + "who records the avis d'inaptitude (médecin du travail) and any "
         "variation between services."),
        ("8c", "D;E", "Outcome", "Report any actions to blind assessment of the outcome to be "
         "predicted.", _A + "whether physicians knew the index when concluding inaptitude."),
        ("9a", "D", "Predictors", "Describe the choice of initial predictors (eg, literature, "
         "previous models, all available predictors) and any pre-selection of predictors "
         "before model building.", ""),
        ("9b", "D;E", "Predictors", "Clearly define all predictors, including how and when "
         "they were measured (and any actions to blind assessment of predictors for the "
         "outcome and other predictors).", ""),
        ("9c", "D;E", "Predictors", "If predictor measurement requires subjective "
         "interpretation, describe the qualifications and demographic characteristics of the "
         "predictor assessors.", _A + "which professionals enter diagnoses and questionnaire "
         "answers."),
        ("10", "D;E", "Sample size", "Explain how the study size was arrived at (separately "
         "for development and evaluation), and justify that the study size was sufficient to "
         "answer the research question. Include details of any sample size calculation.", ""),
        ("11", "D;E", "Missing data", "Describe how missing data were handled. Provide "
         "reasons for omitting any data.", ""),
        ("12a", "D", "Analytical methods", "Describe how the data were used (eg, for "
         "development and evaluation of model performance) in the analysis, including "
         "whether the data were partitioned, considering any sample size requirements.", ""),
        ("12b", "D", "Analytical methods", "Depending on the type of model, describe how "
         "predictors were handled in the analyses (functional form, rescaling, "
         "transformation, or any standardisation).", ""),
        ("12c", "D", "Analytical methods", "Specify the type of model, rationale, all "
         "model-building steps, including any hyperparameter tuning, and method for internal "
         "validation.", ""),
        ("12d", "D;E", "Analytical methods", "Describe if and how any heterogeneity in "
         "estimates of model parameter values and model performance was handled and "
         "quantified across clusters (eg, hospitals, countries). See TRIPOD-Cluster for "
         "additional considerations.", ""),
        ("12e", "D;E", "Analytical methods", "Specify all measures and plots used (and their "
         "rationale) to evaluate model performance (eg, discrimination, calibration, clinical "
         "utility) and, if relevant, to compare multiple models.", ""),
        ("12f", "E", "Analytical methods", "Describe any model updating (eg, recalibration) "
         "arising from the model evaluation, either overall or for particular "
         "sociodemographic groups or settings.", ""),
        ("12g", "E", "Analytical methods", "For model evaluation, describe how the model "
         "predictions were calculated (eg, formula, code, object, application programming "
         "interface).", ""),
        ("13", "D;E", "Class imbalance", "If class imbalance methods were used, state why and "
         "how this was done, and any subsequent methods to recalibrate the model or the model "
         "predictions.", ""),
        ("14", "D;E", "Fairness", "Describe any approaches that were used to address model "
         "fairness and their rationale.", ""),
        ("15", "D", "Model output", "Specify the output of the prediction model (eg, "
         "probabilities, classification). Provide details and rationale for any "
         "classification and how the thresholds were identified.", ""),
        ("16", "D;E", "Training versus evaluation", "Identify any differences between the "
         "development and evaluation data in healthcare setting, eligibility criteria, "
         "outcome, and predictors.", ""),
        ("17", "D;E", "Ethical approval", "Name the institutional research board or ethics "
         "committee that approved the study and describe the participant-informed consent or "
         "the ethics committee waiver of informed consent.",
         _A + "the ethics committee or CNIL authorisation (méthodologie de référence) and "
         "how workers were informed."),
    ),
    *_items(
        "Open science",
        ("18a", "D;E", "Funding", "Give the source of funding and the role of the funders for "
         "the present study.", _A + "the funding and the role of the funders."),
        ("18b", "D;E", "Conflicts of interest", "Declare any conflicts of interest and "
         "financial disclosures for all authors.", _A + "the declarations of interest."),
        ("18c", "D;E", "Protocol", "Indicate where the study protocol can be accessed or "
         "state that a protocol was not prepared.",
         _A + "the protocol reference (or that none was prepared)."),
        ("18d", "D;E", "Registration", "Provide registration information for the study, "
         "including register name and registration number, or state that the study was not "
         "registered.", _A + "the register and number (or that the study was not "
         "registered)."),
        ("18e", "D;E", "Data sharing", "Provide details of the availability of the study "
         "data.", _A + "the access conditions of the SPSTI extracts (the summary tables of "
         "this report are disclosure-controlled and shareable)."),
        ("18f", "D;E", "Code sharing", "Provide details of the availability of the analytical "
         "code.", ""),
    ),
    *_items(
        "Patient and public involvement",
        ("19", "D;E", "Patient and public involvement", "Provide details of any patient and "
         "public involvement during the design, conduct, reporting, interpretation, or "
         "dissemination of the study or state no involvement.",
         _A + "the involvement of workers' and employers' representatives, or none."),
    ),
    *_items(
        "Results",
        ("20a", "D;E", "Participants", "Describe the flow of participants through the study, "
         "including the number of participants with and without the outcome and, if "
         "applicable, a summary of the follow-up time. A diagram may be helpful.", ""),
        ("20b", "D;E", "Participants", "Report the characteristics overall and, where "
         "applicable, for each data source or setting, including the key dates, key "
         "predictors (including demographics), treatments received, sample size, number of "
         "outcome events, follow-up time, and amount of missing data. A table may be "
         "helpful. Report any differences across key demographic groups.", ""),
        ("20c", "E", "Participants", "For model evaluation, show a comparison with the "
         "development data of the distribution of important predictors (demographics, "
         "predictors, and outcome).", ""),
        ("21", "D;E", "Model development", "Specify the number of participants and outcome "
         "events in each analysis (eg, for model development, hyperparameter tuning, model "
         "evaluation).", ""),
        ("22", "D", "Model specification", "Provide details of the full prediction model (eg, "
         "formula, code, object, application programming interface) to allow predictions in "
         "new individuals and to enable third-party evaluation and implementation, including "
         "any restrictions to access or re-use (eg, freely available, proprietary).", ""),
        ("23a", "D;E", "Model performance", "Report model performance estimates with "
         "confidence intervals, including for any key subgroups (eg, sociodemographic). "
         "Consider plots to aid presentation.", ""),
        ("23b", "D;E", "Model performance", "If examined, report results of any heterogeneity "
         "in model performance across clusters. See TRIPOD-Cluster for additional details.",
         ""),
        ("24", "E", "Model updating", "Report the results from any model updating, including "
         "the updated model and subsequent performance.", ""),
    ),
    *_items(
        "Discussion",
        ("25", "D;E", "Interpretation", "Give an overall interpretation of the main results, "
         "including issues of fairness in the context of the objectives and previous "
         "studies.", _A + "the interpretation of the results against the objectives."),
        ("26", "D;E", "Limitations", "Discuss any limitations of the study (such as a "
         "non-representative sample, sample size, overfitting, missing data) and their "
         "effects on any biases, statistical uncertainty, and generalisability.",
         _A + "the limitations (the sample-size, missing-data and completeness sections give "
         "material)."),
        ("27a", "D", "Usability of the model in the context of current care", "Describe how "
         "poor quality or unavailable input data (eg, predictor values) should be assessed "
         "and handled when implementing the prediction model.", ""),
        ("27b", "D", "Usability of the model in the context of current care", "Specify "
         "whether users will be required to interact in the handling of the input data or "
         "use of the model, and what level of expertise is required of users.",
         _A + "who computes and reads the index in the SPSTI, and with what training."),
        ("27c", "D;E", "Usability of the model in the context of current care", "Discuss any "
         "next steps for future research, with a specific view to applicability and "
         "generalisability of the model.", _A + "the next steps (e.g. a prospective impact "
         "study)."),
    ),
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
    SectionSpec("stability", "Results", "Internal validation: stability of the predicted risks",
                ("12c", "23a")),
    SectionSpec("decision-curves", "Results", "Decision curves", ("23a", "15")),
    SectionSpec("iecv", "Results", "Validation across SPSTI and periods (IECV)",
                ("23b", "12d")),
    SectionSpec("heterogeneity", "Results", "Heterogeneity: calibration across SPSTI",
                ("12d", "23b")),
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


def checklist(
    answered: Mapping[str, bool],
    failed: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The TRIPOD+AI checklist table of a report.

    An item is *answered* only when at least one section answering it was produced and
    none of its sections failed: a section that failed (a step that failed or was skipped,
    see :meth:`irdp.report.Report.add_failure`) makes every item it answers *not answered*,
    with the reason.

    Parameters
    ----------
    answered : dict of str to bool
        For each section id of the report, whether it was produced (holds text, tables or
        figures, not only notes).
    failed : dict of str to sequence of str, optional
        For each section id, the reasons why (part of) it failed or was skipped.

    Returns
    -------
    pandas.DataFrame
        One row per sub-item, in the official order. Columns ``item``, ``topic``,
        ``requirement`` (official wording), ``where`` (titles of the sections answering
        it), ``status`` (``answered``, ``partly answered`` when the authors must add to
        what the report says, ``authors must add`` or ``not answered``), ``to_add`` (what
        the authors must add) and ``reason`` (why the item is not answered).

    Examples
    --------
    >>> t = checklist({"flow": True, "table1": False}).set_index("item")
    >>> t.loc["20a", ["where", "status"]].tolist()
    ['Participant flow', 'answered']
    >>> t.loc["18a", "status"]
    'authors must add'
    >>> t = checklist({"updating": True}, {"updating": ["step 'updating' failed: singular"]})
    >>> t.set_index("item").loc["24", ["status", "reason"]].tolist()
    ['not answered', "Model updating: step 'updating' failed: singular"]
    """
    failed = {k: list(v) for k, v in (failed or {}).items() if v}
    titles = {s.id: s.title for s in SECTIONS}
    rows = []
    for it in TRIPOD_ITEMS:
        where = [s.id for s in SECTIONS if it.item in s.items and s.id in answered]
        done = [w for w in where if answered[w] and w not in failed]
        broken = [w for w in where if w in failed]
        reasons = [f"{titles[w]}: {r}" for w in broken for r in failed[w]]
        if broken or (not done and not it.authors_must_add):
            status = "not answered"
            if not broken:
                planned = ", ".join(titles[w] for w in where) or "none planned"
                reasons = [f"no section of this run answers it ({planned})"]
        elif done and not it.authors_must_add:
            status = "answered"
        elif done:
            status = "partly answered"
        else:
            status = "authors must add"
        rows.append(
            {
                "item": it.item,
                "topic": it.topic,
                "requirement": it.text,
                "where": ", ".join(titles[w] for w in (done + broken or where)),
                "status": status,
                "to_add": it.authors_must_add.removeprefix(_A),
                "reason": "; ".join(reasons),
            }
        )
    return pd.DataFrame(rows)
