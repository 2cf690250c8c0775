"""Institutional self-assessments: start, answer over several sittings, finalise, compare.

A draft keeps one row per answered question, saved area by area as the team goes. Finalising
freezes a snapshot (answers, evidence notes and scores as computed that day), which every
later page, export, trend and network comparison reads: a final result never moves, even
when the scoring code or a draft changes. Starting, finalising and changing the action plan
are audited; answering is not (it is the assessment's own record, with who and which day).
"""

import csv
import io
import json
import statistics as stats
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (
    ActionItem,
    ActionStatus,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    Institution,
    User,
)
from app.services import audit
from app.services.assessment.questionnaires import (
    Questionnaire,
    carried_over,
    find_questionnaire,
    localized,
)
from app.services.assessment.scoring import (
    AreaRisk,
    ChecklistResult,
    RiskResult,
    SectionResilience,
    checklist_result,
    recommendations,
    risk_result,
)
from app.services.casefile.deadlines import today
from app.services.insights.statistics import safe_cells

EVIDENCE_LIMIT = 2000  # characters of one evidence note
NETWORK_MINIMUM = 3  # institutions with final results before the network median is shown
ASSESSED_KINDS = ("risk", "checklist")


class AssessmentFrozen(Exception):
    """A final assessment takes no more answers."""


@dataclass(frozen=True)
class Progress:
    """How far an area is answered."""

    answered: int
    total: int

    @property
    def complete(self) -> bool:
        return self.answered == self.total


Result = RiskResult | ChecklistResult


def questionnaire_of(assessment: Assessment) -> Questionnaire:
    """The questionnaire version the assessment answers (published versions never change)."""
    questionnaire = find_questionnaire(assessment.questionnaire_id, assessment.version)
    if questionnaire is None:
        raise LookupError(f"{assessment.questionnaire_id} {assessment.version} is not shipped")
    return questionnaire


def start_assessment(institution: Institution, questionnaire: Questionnaire,
                     user: User, carry_over: bool = False) -> Assessment:
    """A new draft, audited. With ``carry_over``, it starts from the answers and notes of
    the institution's latest final assessment of the lineage, for the questions that carry
    over to this version (docs/assessment.md, "Writing or revising a questionnaire")."""
    if questionnaire.kind not in ASSESSED_KINDS or questionnaire.status != "published":
        raise ValueError("only published risk assessments and checklists are started")
    assessment = Assessment(institution=institution, questionnaire_id=questionnaire.id,
                            version=questionnaire.version, started_on=today(),
                            started_by=user, not_applicable=[])
    db.session.add(assessment)
    previous = finals(questionnaire.id, institution)
    if carry_over and previous:
        _carry_over(assessment, questionnaire, previous[-1], user)
    db.session.flush()
    audit.record("assessment_started", actor=user, institution=institution,
                 assessment=assessment.id, questionnaire=questionnaire.id,
                 version=questionnaire.version)
    db.session.commit()
    return assessment


def _carry_over(assessment: Assessment, questionnaire: Questionnaire, previous: Assessment,
                user: User) -> None:
    answers, notes = previous.snapshot["answers"], previous.snapshot["evidence"]
    for question in questionnaire.questions:
        old_id = carried_over(questionnaire, question.id, previous.version)
        if old_id is None or old_id not in answers:
            continue
        value = question.parse(str(answers[old_id]))
        if value is not None:
            db.session.add(AssessmentAnswer(
                assessment=assessment, question_id=question.id, value=str(value),
                evidence=notes.get(old_id) if question.evidence else None,
                answered_on=today(), answered_by_id=user.id))
    kept_areas = {area.id for area in questionnaire.areas}
    assessment.not_applicable = sorted(set(previous.snapshot["not_applicable"]) & kept_areas)


def assessments_of(institution: Institution) -> list[Assessment]:
    """The institution's assessments, newest first."""
    return list(db.session.scalars(
        select(Assessment).where(Assessment.institution_id == institution.id)
        .order_by(Assessment.id.desc())))


def find_assessment(institution: Institution, assessment_id: int) -> Assessment | None:
    """One of the institution's assessments (None for another institution's)."""
    return db.session.scalar(select(Assessment).where(
        Assessment.id == assessment_id, Assessment.institution_id == institution.id))


def answers_of(assessment: Assessment) -> dict[str, int | str]:
    """The answers so far, as the questionnaire's values."""
    if assessment.snapshot is not None:
        return dict(assessment.snapshot["answers"])
    questionnaire = questionnaire_of(assessment)
    found = {}
    for row in assessment.answers:
        question = questionnaire.question(row.question_id)
        if question is not None and row.value is not None:
            value = question.parse(row.value)
            if value is not None:
                found[row.question_id] = value
    return found


def evidence_of(assessment: Assessment) -> dict[str, str]:
    """The evidence notes so far."""
    if assessment.snapshot is not None:
        return dict(assessment.snapshot["evidence"])
    return {row.question_id: row.evidence for row in assessment.answers if row.evidence}


def save_area(assessment: Assessment, area_id: str, submitted: Mapping[str, str],
              user: User, applicable: bool = True) -> list[str]:
    """Store the answers and notes of one area as submitted; an empty field clears its
    answer. Returns the ids of questions whose answer was not one the scale offers (those
    keep their previous answer); everything else is saved."""
    if assessment.status == AssessmentStatus.FINAL:
        raise AssessmentFrozen
    questionnaire = questionnaire_of(assessment)
    area = questionnaire.area(area_id)
    if area is None:
        raise KeyError(area_id)
    rows = {row.question_id: row for row in assessment.answers}
    rejected = []
    for question in area.questions:
        raw = submitted.get(question.id, "").strip()
        value = question.parse(raw) if raw else None
        if raw and value is None:
            rejected.append(question.id)
            continue
        note = submitted.get(f"{question.id}.evidence", "").strip()[:EVIDENCE_LIMIT] or None
        if question.evidence is None:
            note = None
        row = rows.get(question.id)
        if row is None:
            if value is None and note is None:
                continue
            row = AssessmentAnswer(assessment=assessment, question_id=question.id,
                                   answered_on=today(), answered_by_id=user.id)
            db.session.add(row)
        row.value = None if value is None else str(value)
        row.evidence = note
        row.answered_on, row.answered_by_id = today(), user.id
    if questionnaire.kind == "risk":
        excluded = set(assessment.not_applicable) - {area_id}
        assessment.not_applicable = sorted(excluded if applicable else excluded | {area_id})
    db.session.commit()
    return rejected


def progress(assessment: Assessment) -> dict[str, Progress]:
    """Answered questions per area; an area declared not applicable counts as complete."""
    questionnaire, answers = questionnaire_of(assessment), answers_of(assessment)
    found = {}
    for area in questionnaire.areas:
        total = len(area.questions)
        answered = total if area.id in assessment.not_applicable else sum(
            1 for question in area.questions if question.id in answers)
        found[area.id] = Progress(answered, total)
    return found


def result_of(assessment: Assessment) -> Result:
    """The scores: frozen for a final assessment, as answered so far for a draft."""
    if assessment.snapshot is not None:
        return _result_from_plain(assessment.snapshot["result"])
    return _score(questionnaire_of(assessment), answers_of(assessment),
                  assessment.not_applicable)


def _score(questionnaire: Questionnaire, answers: Mapping, not_applicable) -> Result:
    if questionnaire.kind == "risk":
        return risk_result(questionnaire, answers, not_applicable)
    return checklist_result(questionnaire, answers)


def _state(assessment: Assessment, questionnaire: Questionnaire) -> dict:
    """What a snapshot freezes: the answers, notes and scores as they are now."""
    answers = answers_of(assessment)
    return {"questionnaire": questionnaire.id, "version": questionnaire.version,
            "digest": questionnaire.digest, "answers": answers,
            "evidence": evidence_of(assessment),
            "not_applicable": list(assessment.not_applicable),
            "result": _plain(_score(questionnaire, answers, assessment.not_applicable))}


def advice_of(assessment: Assessment):
    """The recommendations the answers call for, by residual risk (risk) or in order."""
    questionnaire, answers = questionnaire_of(assessment), answers_of(assessment)
    result = result_of(assessment)
    return recommendations(questionnaire, answers,
                           result if isinstance(result, RiskResult) else None,
                           assessment.not_applicable)


def finalise(assessment: Assessment, user: User) -> list[str]:
    """Freeze the assessment when every area is answered (or, in a risk assessment, declared
    not applicable); otherwise change nothing and return the unfinished areas' ids."""
    if assessment.status == AssessmentStatus.FINAL:
        raise AssessmentFrozen
    unfinished = [area_id for area_id, done in progress(assessment).items()
                  if not done.complete]
    if unfinished:
        return unfinished
    questionnaire = questionnaire_of(assessment)
    assessment.snapshot = _state(assessment, questionnaire)
    assessment.status = AssessmentStatus.FINAL
    assessment.finalised_on, assessment.finalised_by = today(), user
    audit.record("assessment_finalised", actor=user, institution=assessment.institution,
                 assessment=assessment.id, questionnaire=questionnaire.id,
                 version=questionnaire.version)
    db.session.commit()
    return []


# -- comparison ------------------------------------------------------------------------------

def finals(questionnaire_id: str, institution: Institution | None = None) -> list[Assessment]:
    """Final assessments of a lineage (of one institution), oldest first."""
    query = select(Assessment).where(Assessment.questionnaire_id == questionnaire_id,
                                     Assessment.status == AssessmentStatus.FINAL)
    if institution is not None:
        query = query.where(Assessment.institution_id == institution.id)
    return list(db.session.scalars(query.order_by(Assessment.finalised_on, Assessment.id)))


def headline(result: Result) -> Decimal | None:
    """The one figure of a result: overall residual risk, or the resilience index."""
    return result.overall if isinstance(result, RiskResult) else result.index


def area_figures(result: Result) -> dict[str, Decimal]:
    """Per area: residual risk, or a section's resilience index (scored ones only)."""
    if isinstance(result, RiskResult):
        return {area.area_id: area.residual for area in result.scored}
    return {section.area_id: section.index for section in result.sections
            if section.index is not None}


@dataclass(frozen=True)
class NetworkMedian:
    """The median of the latest final results of the network's institutions."""

    institutions: int
    headline: Decimal | None
    areas: dict[str, Decimal]  # only areas with at least NETWORK_MINIMUM figures


def network_median(questionnaire_id: str) -> NetworkMedian | None:
    """None until NETWORK_MINIMUM institutions have a final result of the lineage. Each
    institution counts once, with its latest result; only medians are shown, so no other
    institution's figures can be read off."""
    latest: dict[int, Assessment] = {}
    for assessment in finals(questionnaire_id):
        latest[assessment.institution_id] = assessment  # finals() is oldest first
    if len(latest) < NETWORK_MINIMUM:
        return None
    results = [result_of(assessment) for assessment in latest.values()]
    headlines = [value for value in map(headline, results) if value is not None]
    per_area: dict[str, list[Decimal]] = {}
    for result in results:
        for area_id, value in area_figures(result).items():
            per_area.setdefault(area_id, []).append(value)
    return NetworkMedian(
        len(latest),
        _median(headlines) if len(headlines) >= NETWORK_MINIMUM else None,
        {area_id: _median(values) for area_id, values in per_area.items()
         if len(values) >= NETWORK_MINIMUM})


def _median(values: list[Decimal]) -> Decimal:
    """The median, rounded half up to the places its values have."""
    return Decimal(stats.median(values)).quantize(min(map(_places, values)),
                                                  rounding=ROUND_HALF_UP)


def _places(value: Decimal) -> Decimal:
    return Decimal(1).scaleb(value.as_tuple().exponent)


# -- action plan -----------------------------------------------------------------------------

def actions_of(institution: Institution) -> list[ActionItem]:
    """The action plan: open items by due date, then finished ones."""
    items = db.session.scalars(select(ActionItem).where(
        ActionItem.institution_id == institution.id).order_by(ActionItem.id)).all()
    finished = (ActionStatus.DONE, ActionStatus.DROPPED)
    return sorted(items, key=lambda item: (item.status in finished,
                                           item.due_on or date.max, item.id))


def add_action(institution: Institution, user: User, title: str, owner_role: str,
               due_on: date | None, area_id: str | None = None,
               assessment: Assessment | None = None) -> ActionItem:
    """A new planned measure, audited."""
    item = ActionItem(institution=institution, title=title, owner_role=owner_role,
                      due_on=due_on, area_id=area_id or None, assessment=assessment)
    db.session.add(item)
    db.session.flush()
    audit.record("action_plan_changed", actor=user, institution=institution, item=item.id,
                 status=item.status.value)
    db.session.commit()
    return item


def update_action(item: ActionItem, user: User, status: ActionStatus,
                  due_on: date | None) -> None:
    """Move a measure on or reschedule it, audited."""
    item.status, item.due_on = status, due_on
    audit.record("action_plan_changed", actor=user, institution=item.institution_id,
                 item=item.id, status=status.value)
    db.session.commit()


def find_action(institution: Institution, item_id: int) -> ActionItem | None:
    return db.session.scalar(select(ActionItem).where(
        ActionItem.id == item_id, ActionItem.institution_id == institution.id))


# -- export ----------------------------------------------------------------------------------

def export_json(assessment: Assessment) -> str:
    """The snapshot of a final assessment (or the draft's current state) as JSON."""
    content = assessment.snapshot or _state(assessment, questionnaire_of(assessment))
    return json.dumps({"institution": assessment.institution.slug,
                       "status": assessment.status.value,
                       "started_on": assessment.started_on.isoformat(),
                       "finalised_on": assessment.finalised_on.isoformat()
                       if assessment.finalised_on else None, **content},
                      ensure_ascii=False, indent=2, sort_keys=True)


RISK_COLUMNS = ("area", "title", "applicable", "likelihood", "impact", "factor_load",
                "inherent", "maturity", "residual", "band")
CHECKLIST_COLUMNS = ("area", "title", "answered", "applicable", "index", "band")


def export_csv(assessment: Assessment, language: str) -> str:
    """One row per area and an overall row; spreadsheet formulas are neutralised."""
    questionnaire, result = questionnaire_of(assessment), result_of(assessment)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    title = {area.id: localized(area.title, language) for area in questionnaire.areas}
    if isinstance(result, RiskResult):
        writer.writerow(RISK_COLUMNS)
        for area in result.areas:
            writer.writerow(safe_cells([
                area.area_id, title[area.area_id], "yes" if area.applicable else "no",
                *(_cell(getattr(area, name)) for name in RISK_COLUMNS[3:])]))
        writer.writerow(["overall", "", "", "", "", "", "", "", _cell(result.overall),
                         _cell(result.overall_band)])
    else:
        writer.writerow(CHECKLIST_COLUMNS)
        for section in result.sections:
            writer.writerow(safe_cells([
                section.area_id, title[section.area_id], str(section.answered),
                str(section.applicable), _cell(section.index), _cell(section.band)]))
        writer.writerow(["overall", "", "", "", _cell(result.index), _cell(result.band)])
    return buffer.getvalue()


def _cell(value) -> str:
    return "" if value is None else str(value)


# -- snapshot serialisation ------------------------------------------------------------------

DECIMAL_FIELDS = {"factor_load", "inherent", "maturity", "residual", "index"}


def _plain(value):
    """A result as JSON-ready data: Decimals as strings, tuples as lists."""
    if is_dataclass(value):
        return {key: _plain(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _build(cls, data: dict):
    """A result row from its plain form: cells as tuples, Decimal fields as Decimals."""
    values = {}
    for spec in fields(cls):
        item = data.get(spec.name)
        if item is not None and spec.name.endswith("_cell"):
            item = tuple(item)
        elif item is not None and spec.name in DECIMAL_FIELDS:
            item = Decimal(item)
        values[spec.name] = item
    return cls(**values)


def _result_from_plain(data: dict) -> Result:
    if "areas" in data:
        areas = [(_build(AreaRisk, area)) for area in data["areas"]]
        worst = data.get("worst")
        return RiskResult(areas, _decimal(data.get("overall")), data.get("overall_band"),
                          (_build(AreaRisk, worst)) if worst else None)
    sections = [(_build(SectionResilience, item)) for item in data["sections"]]
    weakest = data.get("weakest")
    return ChecklistResult(sections, _decimal(data.get("index")), data.get("band"),
                           (_build(SectionResilience, weakest)) if weakest else None)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
