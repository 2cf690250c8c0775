"""The anonymous staff survey and the quick self-check (public side, works without
JavaScript). A respondent's result page is rendered from their own request: nothing links
it to what is stored."""

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.assessment import survey_bp
from app.extensions import limiter
from app.ratelimits import (
    per_browser_session,
    per_surveyed_institution,
    survey_limit,
    survey_session_limit,
)
from app.services.administration.institutions import find_institution, list_institutions
from app.services.assessment.labels import TOLERANCE_BANDS
from app.services.assessment.surveys import (
    own_result,
    parse_answers,
    record_response,
    survey_questionnaire,
)
from app.web.lookups import institution_or_404


def _form_page(institution=None, error: str | None = None, status: int = 200):
    return render_template("survey/form.html", institution=institution,
                           questionnaire=survey_questionnaire(), answers=request.form,
                           error=error), status


def _own_page(answers: dict, institution=None, stored: bool = False,
              error: str | None = None, status: int = 200):
    questionnaire = survey_questionnaire()
    return render_template(
        "survey/own_result.html", institution=institution, questionnaire=questionnaire,
        answers=answers, own=own_result(questionnaire, answers), stored=stored,
        tolerance_bands=TOLERANCE_BANDS, error=error,
        institutions=[] if stored else list_institutions(str(get_locale()))), status


@survey_bp.get("/i/<slug>/survey")
def survey(slug: str):
    """The institution's anonymous survey."""
    return _form_page(institution_or_404(slug))


@survey_bp.post("/i/<slug>/survey")
@limiter.shared_limit(survey_limit, scope="survey-institution", key_func=per_surveyed_institution)
@limiter.limit(survey_session_limit, key_func=per_browser_session)
def answer_survey(slug: str):
    """Store the response and show the respondent their own answers' result."""
    institution = institution_or_404(slug)
    answers = parse_answers(survey_questionnaire(), request.form)
    if not record_response(institution, survey_questionnaire(), answers):
        return _form_page(institution, _("Answer at least one question, or close the page "
                                         "to leave without answering."), 400)
    return _own_page(answers, institution, stored=True)


@survey_bp.get("/self-check")
def self_check():
    """The quick self-check: the survey's questions, nothing stored."""
    return _form_page()


@survey_bp.post("/self-check")
def self_check_result():
    """The person's own result; they may then contribute the answers to a survey."""
    answers = parse_answers(survey_questionnaire(), request.form)
    if not answers:
        return _form_page(None, _("Answer at least one question to see a result."), 400)
    return _own_page(answers)


@survey_bp.post("/self-check/contribute")
@limiter.shared_limit(survey_limit, scope="survey-institution", key_func=per_surveyed_institution)
@limiter.limit(survey_session_limit, key_func=per_browser_session)
def contribute():
    """Add the self-check's answers to the chosen institution's survey."""
    institution = find_institution(request.form.get("institution", ""))
    answers = parse_answers(survey_questionnaire(), request.form)
    if institution is None:
        if not answers:
            abort(400)
        return _own_page(answers, error=_("Choose your institution."), status=400)
    if not record_response(institution, survey_questionnaire(), answers):
        abort(400)
    return render_template("survey/contributed.html", institution=institution)
