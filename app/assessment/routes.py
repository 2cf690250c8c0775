"""The institution's self-assessments, results, exports and action plan (staff side)."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.assessment import bp
from app.assessment.forms import ActionItemForm, ActionUpdateForm, StartForm
from app.assessment.results import results_page
from app.models import ActionStatus, Assessment, AssessmentStatus, Institution, Role
from app.services.accounts import permissions
from app.services.assessment.action_plan import actions_of, add_action, find_action, update_action
from app.services.assessment.export import export_assessment
from app.services.assessment.labels import TOLERANCE_BANDS
from app.services.assessment.lifecycle import (
    ASSESSED_KINDS,
    AssessmentFrozen,
    answers_of,
    assessments_of,
    evidence_of,
    finalise,
    find_assessment,
    progress,
    questionnaire_of,
    save_area,
    start_assessment,
)
from app.services.assessment.questionnaires import current, find_questionnaire, localized, published
from app.services.assessment.surveys import RISK, survey_period, survey_years
from app.web.forms import options
from app.web.guards import assessment_team, current_staff, institution_role
from app.web.sharing import base_url


def _language() -> str:
    return str(get_locale())


def _assessment(institution: Institution, number: int) -> Assessment:
    found = find_assessment(institution, number)
    if found is None:
        abort(404)
    return found


def _start_form() -> StartForm:
    form = StartForm()
    form.questionnaire.choices = options(
        (f"{q.id}:{q.version}", localized(q.title, _language()))
        for kind in ASSESSED_KINDS for q in published(kind))
    return form


@bp.get("/i/<slug>/assessments")
@assessment_team
def index(institution):
    """The institution's assessments, and a new one to start."""
    return render_template("assessment/index.html", institution=institution,
                           assessments=assessments_of(institution), form=_start_form(),
                           title_of=_title_of, survey_url=_survey_url(institution))


def _survey_url(institution) -> str:
    """The anonymous survey's address as staff hand it on: on the public site (a staff-only
    node's own address is wrong for it), never from a forged Host header."""
    return base_url() + url_for("survey.survey", slug=institution.slug)


def _title_of(assessment: Assessment) -> str:
    return localized(questionnaire_of(assessment).title, _language())


@bp.post("/i/<slug>/assessments")
@assessment_team
def start(institution):
    """Start an assessment."""
    form = _start_form()
    if not form.validate_on_submit():
        return render_template("assessment/index.html", institution=institution,
                               assessments=assessments_of(institution), form=form,
                               title_of=_title_of), 400
    lineage, _sep, version = form.questionnaire.data.partition(":")
    questionnaire = find_questionnaire(lineage, int(version))
    assessment = start_assessment(institution, questionnaire, current_staff().user,
                                  carry_over=form.carry_over.data)
    return redirect(url_for("assessment.overview", slug=institution.slug,
                            number=assessment.id))


@bp.get("/i/<slug>/assessments/<int:number>")
@assessment_team
def overview(institution, number):
    """The areas of an assessment and how far each is answered."""
    assessment = _assessment(institution, number)
    return render_template(
        "assessment/overview.html", institution=institution, assessment=assessment,
        questionnaire=questionnaire_of(assessment), progress=progress(assessment),
        may_finalise=permissions.has_role(current_staff().user, institution,
                                          Role.INSTITUTION_ADMIN))


@bp.route("/i/<slug>/assessments/<int:number>/areas/<area_id>", methods=["GET", "POST"])
@assessment_team
def area(institution, number, area_id):
    """One area's questions; saving keeps every valid answer and names the others."""
    assessment = _assessment(institution, number)
    questionnaire = questionnaire_of(assessment)
    shown = questionnaire.area(area_id)
    if shown is None:
        abort(404)
    rejected, status = [], 200
    if request.method == "POST":
        if assessment.status == AssessmentStatus.FINAL:
            flash(_("This assessment is final: its answers can no longer change."))
            return redirect(url_for("assessment.overview", slug=institution.slug,
                                    number=number))
        try:
            rejected = save_area(assessment, area_id, request.form, current_staff().user,
                                 applicable="not_applicable" not in request.form)
        except AssessmentFrozen:
            abort(409)
        if not rejected:
            flash(_("Saved."))
            return redirect(_after_saving(institution, assessment, questionnaire, area_id))
        status = 400
    return render_template(
        "assessment/area.html", institution=institution, assessment=assessment,
        questionnaire=questionnaire, area=shown, answers=answers_of(assessment),
        evidence=evidence_of(assessment), rejected=rejected,
        applicable=area_id not in assessment.not_applicable,
        frozen=assessment.status == AssessmentStatus.FINAL), status


def _after_saving(institution, assessment, questionnaire, area_id) -> str:
    """The next area after "Save and continue", else the overview."""
    ids = [area.id for area in questionnaire.areas]
    position = ids.index(area_id)
    if "next" in request.form and position + 1 < len(ids):
        return url_for("assessment.area", slug=institution.slug, number=assessment.id,
                       area_id=ids[position + 1])
    return url_for("assessment.overview", slug=institution.slug, number=assessment.id)


@bp.post("/i/<slug>/assessments/<int:number>/finalise")
@institution_role(Role.INSTITUTION_ADMIN)
def finalise_assessment(institution, number):
    """Freeze the result (institution admins)."""
    assessment = _assessment(institution, number)
    user = current_staff().user
    if assessment.status == AssessmentStatus.FINAL:
        flash(_("This assessment is already final."))
    else:
        unfinished = finalise(assessment, user)
        if unfinished:
            questionnaire = questionnaire_of(assessment)
            names = ", ".join(localized(questionnaire.area(area_id).title, _language())
                              for area_id in unfinished)
            flash(_("Answer every question first (or mark an area as not applicable): "
                    "%(areas)s.", areas=names))
            return redirect(url_for("assessment.overview", slug=institution.slug,
                                    number=number))
        flash(_("The assessment is final. Its result will not change any more."))
    return redirect(url_for("assessment.results", slug=institution.slug, number=number))


@bp.get("/i/<slug>/assessments/<int:number>/results")
@assessment_team
def results(institution, number):
    """Scores, heat map, recommendations, trend and the network median."""
    return results_page(institution, _assessment(institution, number),
                        "assessment/results.html")


@bp.get("/i/<slug>/assessments/<int:number>/report")
@assessment_team
def report(institution, number):
    """The printable report, in the page's language."""
    return results_page(institution, _assessment(institution, number),
                        "assessment/report.html")


@bp.get("/i/<slug>/assessments/<int:number>/export.<any(csv, json):kind>")
@assessment_team
def export(institution, number, kind):
    """The result as CSV or JSON (audited)."""
    content = export_assessment(_assessment(institution, number), kind,
                                current_staff().user, _language())
    response = Response(content, mimetype="text/csv" if kind == "csv" else "application/json")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"skaidra-{institution.slug}-assessment-{number}.{kind}")
    return response


# -- action plan -----------------------------------------------------------------------------

def _areas() -> list:
    """Every risk area and checklist section, for the action plan's area choice."""
    language = _language()
    return [(f"{q.id}:{area.id}", f"{localized(q.title, language)} · "
             f"{localized(area.title, language)}")
            for kind in ASSESSED_KINDS for q in published(kind) for area in q.areas]


def _action_form() -> ActionItemForm:
    form = ActionItemForm()
    form.area.choices = options([("", _("No particular area")), *_areas()])
    if request.method == "GET":
        form.title.data = form.title.data or request.args.get("title", "")[:300]
        chosen = request.args.get("area", "")
        form.area.data = chosen if chosen in dict(_areas()) else ""
    return form


def _plan_page(institution, form, status=200):
    return render_template("assessment/action_plan.html", institution=institution,
                           form=form, items=actions_of(institution),
                           areas=dict(_areas()), update_form=ActionUpdateForm), status


@bp.get("/i/<slug>/action-plan")
@assessment_team
def action_plan(institution):
    """The institution's measures (a recommendation's link prefills a new one)."""
    return _plan_page(institution, _action_form())


@bp.post("/i/<slug>/action-plan")
@assessment_team
def add_measure(institution):
    """Add a measure."""
    form = _action_form()
    if not form.validate_on_submit():
        return _plan_page(institution, form, 400)
    add_action(institution, current_staff().user, form.title.data.strip(),
               form.owner_role.data.strip(), form.due_on.data, form.area.data or None)
    flash(_("The measure is in the action plan."))
    return redirect(url_for("assessment.action_plan", slug=institution.slug))


@bp.post("/i/<slug>/action-plan/<int:item_id>")
@assessment_team
def update_measure(institution, item_id):
    """Change a measure's status or due date."""
    item = find_action(institution, item_id)
    if item is None:
        abort(404)
    form = ActionUpdateForm(prefix=f"item-{item.id}")
    if not form.validate_on_submit():
        flash(" ".join(str(error) for errors in form.errors.values() for error in errors))
        return _plan_page(institution, _action_form(), 400)
    update_action(item, current_staff().user, ActionStatus(form.status.data), form.due_on.data)
    flash(_("The measure is updated."))
    return redirect(url_for("assessment.action_plan", slug=institution.slug))


# -- survey results --------------------------------------------------------------------------

@bp.get("/i/<slug>/survey-results")
@assessment_team
def survey_results(institution):
    """The anonymous survey's figures per year, from five responses on."""
    periods = [survey_period(institution, year, version)
               for year, version in survey_years(institution)]
    risk = current(RISK)
    return render_template(
        "assessment/survey_results.html", institution=institution,
        survey_url=_survey_url(institution),
        periods=[period for period in periods if period is not None],
        tolerance_bands=TOLERANCE_BANDS,
        risk_titles={area.id: localized(area.title, _language())
                     for area in (risk.areas if risk else ())})
