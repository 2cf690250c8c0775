"""The assessment service: carry-over into a new draft, frozen snapshots, demo seeding."""

import pytest
import yaml

from app.extensions import db
from app.models import Assessment, AssessmentAnswer, AssessmentStatus, SurveyResponse
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.assessment import questionnaires
from app.services.assessment.comparison import network_median
from app.services.assessment.lifecycle import (
    answers_of,
    evidence_of,
    finalise,
    result_of,
    save_area,
    start_assessment,
)
from app.services.assessment.questionnaires import DIRECTORY, current, parse_questionnaire
from app.services.demo.assessments import ASSESSED, SURVEY_RESPONSES, seed_demo_assessments
from tests.helpers import count

ADMIN = "admin.utena@demo.example.org"


def answer_everything(assessment, user, value_of=lambda question: question.scale.values[-1]):
    """Answer every question of every area with the scale's last value (or ``value_of``)."""
    questionnaire = questionnaires.find_questionnaire(assessment.questionnaire_id,
                                                      assessment.version)
    for area in questionnaire.areas:
        answers = {question.id: str(value_of(question)) for question in area.questions}
        answers.update({f"{question.id}.evidence": f"minutes of {question.id}"
                        for question in area.questions if question.evidence})
        assert save_area(assessment, area.id, answers, user) == []


def test_a_new_draft_carries_over_the_latest_final_answers(seeded):
    with seeded.app_context():
        utena, admin = find_institution("utena"), find_user(ADMIN)
        risk = current("institutional-risk")
        first = start_assessment(utena, risk, admin)
        answer_everything(first, admin)
        save_area(first, "planning", {}, admin, applicable=False)
        assert finalise(first, admin) == []

        carried = start_assessment(utena, risk, admin, carry_over=True)
        fresh = start_assessment(utena, risk, admin)

        assert answers_of(carried) == first.snapshot["answers"]
        assert evidence_of(carried) == first.snapshot["evidence"]
        assert carried.not_applicable == ["planning"]
        assert carried.status == AssessmentStatus.DRAFT
        assert answers_of(fresh) == {}


def test_only_questions_that_carry_over_reach_a_new_version(seeded, monkeypatch):
    source = (DIRECTORY / "institutional-risk" / "1.yaml").read_bytes()
    data = yaml.safe_load(source)
    data["version"] = 2
    data["follows"] = {"version": 1, "carries_over": {
        "procurement.likelihood": "procurement.likelihood",
        "procurement.impact": "permits.impact"}}  # a deliberate remapping
    version_two = parse_questionnaire(yaml.safe_dump(data, allow_unicode=True).encode())
    shipped = questionnaires.catalogue()
    monkeypatch.setattr(questionnaires, "catalogue",
                        lambda: {**shipped, ("institutional-risk", 2): version_two})
    with seeded.app_context():
        utena, admin = find_institution("utena"), find_user(ADMIN)
        first = start_assessment(utena, shipped["institutional-risk", 1], admin)
        answer_everything(first, admin, value_of=lambda question: (
            4 if question.id == "permits.impact" else question.scale.values[0]))
        assert finalise(first, admin) == []

        second = start_assessment(utena, version_two, admin, carry_over=True)

        assert answers_of(second) == {"procurement.likelihood": 1, "procurement.impact": 4}


def test_a_final_result_is_read_from_its_snapshot(seeded):
    with seeded.app_context():
        utena, admin = find_institution("utena"), find_user(ADMIN)
        assessment = start_assessment(utena, current("institutional-risk"), admin)
        answer_everything(assessment, admin)
        finalise(assessment, admin)
        before = result_of(assessment)
        for row in db.session.query(AssessmentAnswer).filter_by(assessment_id=assessment.id):
            row.value = "1" if row.question_id.endswith("likelihood") else row.value
        db.session.commit()

        after = result_of(db.session.get(Assessment, assessment.id))

        assert after == before
        assert after.overall == before.overall and after.worst == before.worst


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_has_enough_final_results_for_the_network_median(seeded):
    with seeded.app_context():
        assert seed_demo_assessments() is True
        assert seed_demo_assessments() is False  # a second run adds nothing

        median = network_median("institutional-risk")

        assert median is not None and median.institutions == len(ASSESSED)
        assert network_median("integrity-checklist").institutions == len(ASSESSED)
    assert count(seeded, SurveyResponse) == SURVEY_RESPONSES
