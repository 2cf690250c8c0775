"""Institutional self-assessments: start, answer over several sittings, finalise.

A draft keeps one row per answered question, saved area by area as the team goes. Finalising
freezes a snapshot (answers, evidence notes and scores as computed that day; see
:mod:`app.services.assessment.snapshot`), which every later page, export, trend and network
comparison reads: a final result never moves, even when the scoring code or a draft changes.
Starting and finalising are audited; answering is not (it is the assessment's own record,
with who and which day).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Assessment, AssessmentAnswer, AssessmentStatus, Institution, User
from app.services import audit
from app.services.assessment.questionnaires import Questionnaire, carried_over, find_questionnaire
from app.services.assessment.scoring import (
    ChecklistResult,
    RiskResult,
    checklist_result,
    recommendations,
    risk_result,
)
from app.services.assessment.snapshot import plain, result_from_plain
from app.services.casefile.deadlines import today

EVIDENCE_LIMIT = 2000  # characters of one evidence note
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
        return result_from_plain(assessment.snapshot["result"])
    return _score(questionnaire_of(assessment), answers_of(assessment),
                  assessment.not_applicable)


def _score(questionnaire: Questionnaire, answers: Mapping, not_applicable) -> Result:
    if questionnaire.kind == "risk":
        return risk_result(questionnaire, answers, not_applicable)
    return checklist_result(questionnaire, answers)


def current_state(assessment: Assessment, questionnaire: Questionnaire) -> dict:
    """What a snapshot freezes: the answers, notes and scores as they are now (plain data,
    ready for JSON)."""
    answers = answers_of(assessment)
    return {"questionnaire": questionnaire.id, "version": questionnaire.version,
            "digest": questionnaire.digest, "answers": answers,
            "evidence": evidence_of(assessment),
            "not_applicable": list(assessment.not_applicable),
            "result": plain(_score(questionnaire, answers, assessment.not_applicable))}


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
    assessment.snapshot = current_state(assessment, questionnaire)
    assessment.status = AssessmentStatus.FINAL
    assessment.finalised_on, assessment.finalised_by = today(), user
    audit.record("assessment_finalised", actor=user, institution=assessment.institution,
                 assessment=assessment.id, questionnaire=questionnaire.id,
                 version=questionnaire.version)
    db.session.commit()
    return []


# -- reading final results -----------------------------------------------------------------

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
