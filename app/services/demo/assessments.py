"""Demo self-assessments for `make run`: final risk assessments and checklists in four
institutions (so the network median shows) and a year of survey responses for Utena (so the
survey figures show). Answers are drawn from a fixed seed: the same demo every time."""

import random

from sqlalchemy import func, select

from app.extensions import db
from app.models import Assessment
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.assessment.lifecycle import finalise, save_area, start_assessment
from app.services.assessment.questionnaires import Questionnaire, current
from app.services.assessment.surveys import CHECKLIST, RISK, SURVEY, record_response
from app.services.demo.network import DEMO_DOMAIN

ASSESSED = ("utena", "birzai", "prienai", "druskininkai")
SURVEYED = "utena"
SURVEY_RESPONSES = 12
SKIPPED_SHARE = 0.15


def seed_demo_assessments() -> bool:
    """Add the demo assessments unless any assessment exists; True when added."""
    if db.session.scalar(select(func.count()).select_from(Assessment)):
        return False
    chance = random.Random(37)  # noqa: S311  (demo data, not a secret)
    for slug in ASSESSED:
        institution = find_institution(slug)
        admin = find_user(f"admin.{slug}@{DEMO_DOMAIN}")
        if institution is None or admin is None:
            continue
        for lineage in (RISK, CHECKLIST):
            questionnaire = current(lineage)
            if questionnaire is not None:
                _answer_all(institution, admin, questionnaire, chance)
    survey, institution = current(SURVEY), find_institution(SURVEYED)
    if survey is not None and institution is not None:
        for _response in range(SURVEY_RESPONSES):
            record_response(institution, survey, {
                question.id: chance.choice(question.scale.values)
                for question in survey.questions if chance.random() > SKIPPED_SHARE})
    return True


def _answer_all(institution, admin, questionnaire: Questionnaire, chance) -> None:
    assessment = start_assessment(institution, questionnaire, admin)
    for area in questionnaire.areas:
        answers = {question.id: str(chance.choice(question.scale.values))
                   for question in area.questions}
        # Biržai owns no municipal company in the demo: that area does not apply there.
        save_area(assessment, area.id, answers, admin,
                  applicable=(institution.slug, area.id) != ("birzai", "municipal-companies"))
    finalise(assessment, admin)
