"""The anonymous staff survey and the individual quick self-check.

A response is stored with the institution, the questionnaire version and the year, nothing
else: no account, address, browser, time or order (its id is random). The survey has no free
text. Results exist only from K_ANONYMITY responses per institution and year, and each
question's figure only from K_ANONYMITY answers to it; below that, pages, exports and
statistics say "fewer than five" and nothing more. A respondent's own result page is computed
from the answers in their request and linked to nothing stored; the quick self-check stores
nothing unless the person then chooses to contribute the same answers.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Institution, SurveyResponse
from app.services.assessment.lifecycle import finals, result_of
from app.services.assessment.questionnaires import Questionnaire, current, find_questionnaire
from app.services.assessment.scoring import (
    Advice,
    PerceptionGap,
    SurveyResult,
    perception_gaps,
    recommendations,
    survey_result,
)
from app.services.casefile.deadlines import today

SURVEY = "staff-survey"
RISK = "institutional-risk"
CHECKLIST = "integrity-checklist"


def survey_questionnaire() -> Questionnaire:
    """The survey version new responses answer."""
    questionnaire = current(SURVEY)
    if questionnaire is None:
        raise LookupError("no published staff survey")
    return questionnaire


def parse_answers(questionnaire: Questionnaire, form: Mapping[str, str]) -> dict:
    """The answers a form carries. Unknown fields and values the scales lack are dropped;
    every question may be skipped."""
    answers = {}
    for question in questionnaire.questions:
        raw = form.get(question.id, "")
        value = question.parse(raw) if raw else None
        if value is not None:
            answers[question.id] = value
    return answers


def record_response(institution: Institution, questionnaire: Questionnaire,
                    answers: Mapping) -> bool:
    """Store one response; an empty one is not stored (returns False)."""
    if not answers:
        return False
    db.session.add(SurveyResponse(institution_id=institution.id,
                                  questionnaire_id=questionnaire.id,
                                  version=questionnaire.version, year=today().year,
                                  answers=dict(answers)))
    db.session.commit()
    return True


@dataclass(frozen=True)
class OwnResult:
    """A single respondent's view of their own answers."""

    result: SurveyResult
    advice: list[Advice]


def own_result(questionnaire: Questionnaire, answers: Mapping) -> OwnResult:
    """The figures of one person's answers and the advice they call for, from the request
    alone."""
    return OwnResult(survey_result(questionnaire, [answers], minimum=1),
                     recommendations(questionnaire, answers))


@dataclass(frozen=True)
class SurveyPeriod:
    """One year of an institution's survey."""

    year: int
    questionnaire: Questionnaire
    result: SurveyResult
    gaps: list[PerceptionGap]


def survey_years(institution: Institution) -> list[tuple[int, int]]:
    """(year, version) pairs with responses, newest first."""
    return list(db.session.execute(
        select(SurveyResponse.year, SurveyResponse.version)
        .where(SurveyResponse.institution_id == institution.id,
               SurveyResponse.questionnaire_id == SURVEY)
        .group_by(SurveyResponse.year, SurveyResponse.version)
        .order_by(SurveyResponse.year.desc(), SurveyResponse.version.desc())))


def survey_period(institution: Institution, year: int, version: int) -> SurveyPeriod | None:
    """The institution's survey figures for one year and version; below K_ANONYMITY the
    result says only that there are too few responses."""
    questionnaire = find_questionnaire(SURVEY, version)
    if questionnaire is None:
        return None
    responses = list(db.session.scalars(
        select(SurveyResponse.answers).where(
            SurveyResponse.institution_id == institution.id,
            SurveyResponse.questionnaire_id == SURVEY, SurveyResponse.version == version,
            SurveyResponse.year == year)))
    result = survey_result(questionnaire, responses)
    # Compared with management's latest final risk assessment of that year or before.
    assessed = [assessment for assessment in finals(RISK, institution)
                if assessment.finalised_on.year <= year]
    gaps = perception_gaps(questionnaire, result, result_of(assessed[-1])) if assessed else []
    return SurveyPeriod(year, questionnaire, result, gaps)
